/* Catches its own deliberate segfaults (a NULL write, a write to a
 * PROT_NONE page) with a SIGSEGV handler that siglongjmps out, allocating
 * between them, and prints what it caught. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static sigjmp_buf recover;
static void *volatile fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	fault_addr = si->si_addr;
	siglongjmp(recover, 1);
}

static int faults(volatile char *where)
{
	if (sigsetjmp(recover, 1) == 0) {
		*where = 1;
		return 0;
	}
	return fault_addr == (void *)where;
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
	char *guard = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int caught = 0;

	sigaction(SIGSEGV, &sa, NULL);
	for (int i = 0; i < 3; i++) {
		free(malloc(100 + i));
		caught += faults(NULL);
		caught += faults(guard + 100 * i);
	}
	printf("caught %d segfaults at the right addresses\n", caught);
	return caught == 6 ? 0 : 1;
}
