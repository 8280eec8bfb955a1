/* own-trap: a program using SIGTRAP itself (int3 and icebp instructions,
 * raise(SIGTRAP)) with a handler, between allocations: every trap is its
 * own, none is numamma's.  Prints "traps 15". */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
static volatile int n;
static void h(int s, siginfo_t *si, void *c) { n++; }
int main(void) {
	struct sigaction sa = { .sa_sigaction = h, .sa_flags = SA_SIGINFO };
	sigaction(SIGTRAP, &sa, NULL);
	for (int i = 0; i < 5; i++) { void *volatile p = malloc(10); __asm__ volatile("int3"); __asm__ volatile(".byte 0xf1"); raise(SIGTRAP); free(p); }
	printf("traps %d\n", n);
	return 0;
}
