#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

/* strtoull without its surprises: no sign, no overflow wrapped into a
 * valid-looking value.  Returns the end of the digits, or NULL. */
static const char *scan(const char *s, int base, uint64_t *v)
{
	char *end;

	if (strchr(s, '-'))
		return NULL;
	errno = 0;
	*v = strtoull(s, &end, base);
	if (errno || end == s)
		return NULL;
	return end;
}

int parse_number(const char *s, int base, uint64_t min, uint64_t max, uint64_t *v)
{
	const char *end = scan(s, base, v);

	return end && !*end && *v >= min && *v <= max ? 0 : -1;
}

int parse_size(const char *s, uint64_t *size)
{
	const char *end = scan(s, 10, size);
	int shift = 0;

	if (!end)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end || *size > UINT64_MAX >> shift)
		return -1;
	*size <<= shift;
	return 0;
}
