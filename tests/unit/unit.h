/* A tiny unit-test kit: each tests/unit/test-*.c is one program whose
 * exit status is its verdict (0 pass, 77 skip, other fail).  CHECK()
 * failures are counted, printed with file:line, and do not stop the run. */
#ifndef NUMAMMA_UNIT_H
#define NUMAMMA_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

#define CHECK_INT(got, want) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ != w_) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: %s is %lld, want %lld\n", __FILE__, __LINE__, #got, g_, w_); \
	} \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!g_ || !w_ || strcmp(g_, w_)) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: %s is \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got, \
			g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
	} \
} while (0)

/* CHECK_STR against a printf-style want. */
#define CHECK_STRF(got, ...) do { \
	char *want_; \
	if (asprintf(&want_, __VA_ARGS__) < 0) \
		want_ = NULL; \
	CHECK_STR(got, want_); \
	free(want_); \
} while (0)

#define UNIT_SKIP(...) do { printf("skip: " __VA_ARGS__); printf("\n"); return 77; } while (0)

static inline int unit_done(void)
{
	if (unit_failures)
		fprintf(stderr, "%d check(s) failed\n", unit_failures);
	return unit_failures ? 1 : 0;
}

#endif
