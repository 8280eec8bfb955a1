/* Pure parsers for numamma stat: the kernel's "key value" counter files
 * and numa_maps lines.  No I/O here, so tests/unit/test-stat.c feeds them
 * literal text. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "stat.h"

/* One "key value" line: the value of keys[i] when the key is one of them. */
static int parse_counter_line(const char *line, size_t len, const char *const *keys,
			      size_t nkeys, uint64_t *value)
{
	size_t klen = strcspn(line, " \t\n");
	char *end;

	if (klen >= len)
		return -1;
	for (size_t i = 0; i < nkeys; i++) {
		if (strlen(keys[i]) != klen || strncmp(keys[i], line, klen))
			continue;
		*value = strtoull(line + klen, &end, 10);
		/* A value must follow: a truncated line is not a zero. */
		return end == line + klen ? -1 : (int)i;
	}
	return -1;
}

int stat_parse_counters(const char *text, const char *const *keys, size_t nkeys,
			uint64_t *values, uint64_t *found)
{
	int n = 0;

	for (const char *line = text; *line; ) {
		size_t len = strcspn(line, "\n");
		uint64_t v;
		int i = parse_counter_line(line, len, keys, nkeys, &v);

		if (i >= 0) {
			if (!(*found & (1ULL << i)))
				n++;
			values[i] = v;
			*found |= 1ULL << i;
		}
		line += len + (line[len] == '\n');
	}
	return n;
}

/* "N<node>=<pages>": 0 and the two numbers, or -1. */
static int parse_node_field(const char *tok, unsigned long *node, uint64_t *pages)
{
	char *end;

	if (tok[0] != 'N' || tok[1] < '0' || tok[1] > '9')
		return -1;
	*node = strtoul(tok + 1, &end, 10);
	if (*end != '=' || *node >= STAT_MAX_NODES)
		return -1;
	*pages = strtoull(end + 1, &end, 10);
	return *end ? -1 : 0;
}

int stat_parse_numa_maps_line(const char *line, uint64_t *kib)
{
	size_t addr = strspn(line, "0123456789abcdef");
	/* File names in numa_maps have their spaces escaped (\040): a " key=" is a field. */
	const char *size = strstr(line, " kernelpagesize_kB=");
	/* Older kernels print no page size: base pages. */
	uint64_t page_kib = size ? strtoull(size + 19, NULL, 10) : 4;
	char *buf, *save, *tok;

	/* Every line starts with the mapping's address in hex. */
	if (addr == 0 || line[addr] != ' ')
		return -1;
	buf = xstrdup(line);
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		unsigned long node;
		uint64_t n;

		if (!parse_node_field(tok, &node, &n))
			kib[node] += n * page_kib;
	}
	free(buf);
	return 0;
}
