/* Many distinct allocation call stacks, as a recursive program makes them
 * (bc's Karatsuba multiplication: 175,000 stacks in 192,000 calls): each
 * of 8 functions calls one of the 8 through a table, LEVELS deep, and the
 * last allocates; path i takes the digits of i in base 8, so every call
 * has a stack of its own, 8^LEVELS of them (262,144 by default).  For
 * bench/report-read.sh: what reading such a profile costs.
 *
 *   stacks [LEVELS]    (6) */
#include <stdio.h>
#include <stdlib.h>

#define WAYS 8

typedef void step_fn(unsigned long path, int level);
static step_fn *const steps[WAYS];
static void *keep;
static unsigned long calls;

/* The call is not the function's last act (the empty asm after it), so
 * its return address stays in the stack: a tail call would leave none. */
#define STEP(k)                                                                 \
	__attribute__((noinline)) static void step##k(unsigned long path, int level) \
	{                                                                       \
		if (!level) {                                                   \
			free(keep);                                             \
			keep = malloc(16 + path % 64);                          \
			calls++;                                                \
		} else {                                                        \
			steps[path % WAYS](path / WAYS, level - 1);             \
		}                                                               \
		__asm__ volatile("" ::: "memory");                              \
	}
STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6) STEP(7)
static step_fn *const steps[WAYS] = { step0, step1, step2, step3, step4, step5, step6, step7 };

int main(int argc, char **argv)
{
	int levels = argc > 1 ? atoi(argv[1]) : 6;
	unsigned long paths = 1;

	if (levels < 1 || levels > 10) {
		fprintf(stderr, "usage: %s [LEVELS (1-10)]\n", argv[0]);
		return 2;
	}
	for (int l = 0; l < levels; l++)
		paths *= WAYS;
	for (unsigned long i = 0; i < paths; i++)
		steps[i % WAYS](i / WAYS, levels - 1);
	free(keep);
	printf("%lu calls\n", calls);
	return 0;
}
