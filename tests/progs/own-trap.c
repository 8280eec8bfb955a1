/* own-trap: a program using SIGTRAP itself (int3 and icebp instructions,
 * raise(SIGTRAP)) with a handler, between allocations: every trap is its
 * own, none is numamma's.  Prints "traps 15". */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>
static volatile int n;
/* Some hypervisors (KVM on an AMD host, a 6.18 guest) report an icebp
 * (TRAP_BRKPT) with the ip on it, not after it, as a fault: the handler
 * steps over it, or the program runs it again forever, natively as under
 * numamma.  (After an int3, SI_KERNEL, the ip is on the icebp next.) */
static void h(int s, siginfo_t *si, void *c)
{
	ucontext_t *u = c;
	const unsigned char *ip = (const unsigned char *)u->uc_mcontext.gregs[REG_RIP];

	if (si->si_code == TRAP_BRKPT && *ip == 0xf1)
		u->uc_mcontext.gregs[REG_RIP]++;
	n++;
}
int main(void) {
	struct sigaction sa = { .sa_sigaction = h, .sa_flags = SA_SIGINFO };
	sigaction(SIGTRAP, &sa, NULL);
	for (int i = 0; i < 5; i++) { void *volatile p = malloc(10); __asm__ volatile("int3"); __asm__ volatile(".byte 0xf1"); raise(SIGTRAP); free(p); }
	printf("traps %d\n", n);
	return 0;
}
