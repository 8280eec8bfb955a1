/* A child sends 100 queued SIGUSR1 to its parent, each with a value, and
 * waits for the parent's SIGUSR2 acknowledgement before the next: the
 * parent's handler counts them, sums the values and checks the sender. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define NSIGNALS 100

static volatile sig_atomic_t received, sum, bad;
static pid_t child;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	received++;
	sum += si->si_value.sival_int;
	if (si->si_pid != child || si->si_code != SI_QUEUE)
		bad++;
	kill(child, SIGUSR2);
}

static void send_signals(void)
{
	sigset_t usr2;
	pid_t parent = getppid();

	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	for (int i = 0; i < NSIGNALS; i++) {
		sigqueue(parent, SIGUSR1, (union sigval){ .sival_int = i });
		sigwaitinfo(&usr2, NULL);
	}
	_exit(0);
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };
	sigset_t blocked, waiting;

	sigemptyset(&blocked);
	sigaddset(&blocked, SIGUSR1);
	sigaddset(&blocked, SIGUSR2);
	sigprocmask(SIG_BLOCK, &blocked, &waiting);
	sigaction(SIGUSR1, &sa, NULL);
	child = fork();
	if (child == 0)
		send_signals();
	while (received < NSIGNALS)
		sigsuspend(&waiting);
	waitpid(child, NULL, 0);
	printf("received %d signals, sum %d, %d bad\n", (int)received, (int)sum, (int)bad);
	return 0;
}
