/* Bounded fuzz runs of the parsers that read what numamma does not
 * control: /proc/PID/maps text, policy files, perf ring records (the
 * kernel's, or a damaged ring's), symbol names (a damaged ELF file's, a
 * hostile one's: the demangler, then the report's readings of the name).  Each starts from a checked-in seed
 * (tests/unit/data/fuzz/) and mutates it with a fixed seed, so a failure
 * reproduces; a parser must accept or refuse, never crash or read out of
 * bounds (t0190 runs this under ASan and UBSan).  Longer runs:
 * NUMAMMA_FUZZ_ROUNDS=1000000. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "data/build.h"
#include "demangle.h"
#include "error.h"
#include "langrt.h"
#include "perf_ring.h"
#include "placement.h"
#include "procmaps.h"
#include "report.h"
#include "unit.h"

static char *read_seed(const char *name, size_t *len)
{
	char *path = data_source(name), *text = NULL;
	FILE *f = fopen(path, "r");
	size_t cap = 0;

	*len = 0;
	if (f) {
		text = xmalloc(cap = 1 << 16);
		*len = fread(text, 1, cap - 1, f);
		text[*len] = '\0';
		fclose(f);
	}
	free(path);
	return text;
}

/* Flips, inserts, deletes or duplicates a few bytes of buf (len, room for
 * cap); returns the new length.  Control bytes and digits are favoured:
 * they are what parsers of these formats branch on. */
static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
	static const uint8_t interesting[] = { 0, '\n', ' ', '-', '+', ':', '%', '0', '9', 'x', 0xff, 0x80 };

	for (int k = 1 + random() % 4; k > 0 && len > 1; k--) {
		size_t at = random() % len;

		switch (random() % 4) {
		case 0: buf[at] = (uint8_t)random(); break;
		case 1: buf[at] = interesting[random() % sizeof(interesting)]; break;
		case 2: memmove(buf + at, buf + at + 1, len - at - 1); len--; break;
		default:
			if (len + 8 < cap) {
				memmove(buf + at + 8, buf + at, len - at);
				len += 8;
			}
		}
	}
	return len;
}

static void fuzz_text(const char *seed_name, int rounds, void (*parse)(const char *text))
{
	size_t len, n;
	char *seed = read_seed(seed_name, &len), *buf;

	CHECK(seed && len > 0);
	if (!seed)
		return;
	buf = xmalloc(len + 4096);
	for (int r = 0; r < rounds; r++) {
		memcpy(buf, seed, len);
		n = mutate((uint8_t *)buf, len, len + 4096 - 1);
		buf[n] = '\0';
		parse(buf);
	}
	free(buf);
	free(seed);
}

static void parse_maps(const char *text)
{
	struct map_list maps;

	procmaps_parse(text, &maps);
	procmaps_find(&maps, 0x5556f595d000ULL);
	procmaps_free(&maps);
}

static void parse_policy(const char *text)
{
	struct policy *pol = policy_parse(text, "fuzz.policy");

	if (pol)
		policy_free(pol);
}

/* Each line a symbol. */
static void parse_symbols(const char *text)
{
	char *copy = xstrdup(text), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *name = demangle(line), *shown;

		langrt_function(name ? name : line);
		shown = report_shorten_name(name ? name : line, 40);
		free(shown);
		free(name);
	}
	free(copy);
}

/* The sample seed: a sample_type line, then the body's bytes in hex. */
static uint8_t *sample_seed(uint64_t *sample_type, size_t *len)
{
	size_t text_len, n = 0;
	char *text = read_seed("fuzz/sample.seed", &text_len), *line, *save = NULL;
	uint8_t *body = xmalloc(text_len);
	unsigned byte;

	*sample_type = 0;
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		if (*line == '#')
			continue;
		if (!*sample_type) {
			*sample_type = strtoull(line, NULL, 0);
			continue;
		}
		for (char *p = line; sscanf(p, "%2x", &byte) == 1; p += 2)
			body[n++] = (uint8_t)byte;
	}
	free(text);
	*len = n;
	return body;
}

static void fuzz_samples(int rounds)
{
	uint64_t sample_type;
	size_t len, n;
	uint8_t *seed = sample_seed(&sample_type, &len), *buf = xmalloc(len + 64);
	struct perf_sample_rec rec;

	CHECK_INT(perf_decode_sample(seed, len, sample_type, &rec), 0);
	CHECK_INT(rec.tid, 101);
	CHECK_INT(rec.raw_size, 20);
	for (int r = 0; r < rounds; r++) {
		memcpy(buf, seed, len);
		n = mutate(buf, len, len + 64);
		/* Copied to an exact-size block: ASan sees a read past it. */
		uint8_t *exact = xmalloc(n ? n : 1);

		memcpy(exact, buf, n);
		if (perf_decode_sample(exact, n, sample_type ^ (random() % 3 ? 0 : 1ULL << (random() % 20)),
				       &rec) == 0 && rec.raw)
			CHECK(rec.raw >= exact && rec.raw + rec.raw_size <= exact + n);
		free(exact);
	}
	free(buf);
	free(seed);
}

int main(void)
{
	const char *env = getenv("NUMAMMA_FUZZ_ROUNDS");
	int rounds = env ? atoi(env) : 3000;
	int saved_stderr = dup(2), devnull = open("/dev/null", O_WRONLY);

	srandom(20261129);
	fuzz_text("fuzz/maps.seed", rounds, parse_maps);
	/* The policy parser says what it refuses: thousands of lines. */
	dup2(devnull, 2);
	fuzz_text("fuzz/policy.seed", rounds, parse_policy);
	dup2(saved_stderr, 2);
	fuzz_samples(rounds);
	fuzz_text("fuzz/symbols.seed", rounds, parse_symbols);
	printf("fuzz: %d rounds each of maps, policy, sample records and symbols, no crash\n", rounds);
	return unit_done();
}
