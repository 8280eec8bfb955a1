/* A thread-local array each thread sums and writes (its own copy) in
 * tls_work() for SECONDS: built into access-tls-threads (the
 * executable's accesses, local-exec), or as a shared library it links
 * with (-DTLS_LIBRARY: the library's own, general-dynamic). */
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define WORDS 32768             /* 256 KiB */

_Alignas(64) __thread uint64_t tls_array[WORDS];

static uint64_t tls_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint64_t tls_work(double seconds)
{
	uint64_t end = tls_now_ns() + seconds * 1e9, sum = 0;

	do {
		for (size_t i = 0; i < WORDS; i++) {
			sum += tls_array[i];
			tls_array[i] = sum ^ i;
		}
	} while (tls_now_ns() < end);
	return sum;
}

void *tls_copy(size_t *bytes)
{
	*bytes = sizeof(tls_array);
	return tls_array;
}
