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

static const char *skip_white(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

/* A positive id at s, its end; NULL when there is none or it overflows. */
static const char *scan_id(const char *s, int64_t *id)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return NULL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > ((uint64_t)INT64_MAX - (uint64_t)(*s - '0')) / 10)
			return NULL;
		v = 10 * v + (uint64_t)(*s - '0');
	}
	*id = (int64_t)v;
	return v ? s : NULL;
}

int parse_id_list(const char *s, int64_t *ids, int max)
{
	int n = 0;

	if (!s || *(s = skip_white(s)) != '[')
		return -1;
	s = skip_white(s + 1);
	if (*s == ']')
		return *skip_white(s + 1) ? -1 : 0;
	for (;;) {
		if (n == max || !(s = scan_id(s, &ids[n++])))
			return -1;
		s = skip_white(s);
		if (*s == ']')
			return *skip_white(s + 1) ? -1 : n;
		if (*s != ',')
			return -1;
		s = skip_white(s + 1);
	}
}
