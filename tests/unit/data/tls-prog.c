/* Thread-local variables of three alignments for the elfsyms unit test:
 * each of two threads prints its thread pointer, then the address of
 * each variable, by name. */
#include <pthread.h>
#include <stdio.h>

__thread char tls_bytes[3] = { 1 };
__thread int tls_counts[5];
_Alignas(64) __thread double tls_lines[10];

static void *print_copies(void *arg)
{
	(void)arg;
	printf("tp %p\n", __builtin_thread_pointer());
	printf("tls_bytes %p\ntls_counts %p\ntls_lines %p\n", (void *)tls_bytes,
	       (void *)tls_counts, (void *)tls_lines);
	fflush(stdout);
	return NULL;
}

int main(void)
{
	pthread_t t;

	print_copies(NULL);
	if (pthread_create(&t, NULL, print_copies, NULL) || pthread_join(t, NULL))
		return 1;
	return 0;
}
