/* Ground truth for fs-relative accesses: the main thread writes its own
 * thread-local array for SECONDS, every access an operand relative to fs
 * (whose base the kernel does not sample), after one allocation, as
 * programs make before their work.
 *
 *   access-tls [SECONDS]    (1)
 * Prints "tls ADDRESS BYTES" of the array. */
#include "access-common.h"    /* first: it defines _GNU_SOURCE */
#include <inttypes.h>

#define WORDS 4096

static __thread uint64_t tls_words[WORDS];
static void *volatile keep;           /* the allocation, kept */

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 1;
	uint64_t end = now_ns() + seconds * 1e9;
	/* The array's offset from the thread pointer: a compiler would
	 * hoist the thread pointer out of the loop, the asm keeps %fs. */
	intptr_t off = (intptr_t)((uintptr_t)tls_words - (uintptr_t)__builtin_thread_pointer());
	size_t i;

	keep = malloc(64);
	do {
		for (i = 0; i < WORDS; i++)
			__asm__ volatile("addq %1, %%fs:(%0)" : : "r"(off + 8 * (intptr_t)i), "r"((uint64_t)i)
					 : "memory");
	} while (now_ns() < end);
	printf("tls %" PRIuPTR " %zu\n", (uintptr_t)tls_words, sizeof(tls_words));
	free(keep);
	return 0;
}
