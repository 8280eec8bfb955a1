/* First-touches a known number of pages, for numamma stat's page-fault
 * count: touch-pages PAGES [main|thread|fork|signal] [EXIT]
 * The pages are touched by the main thread, a thread, or a forked child
 * (counted through inheritance), one fault each (no huge pages); signal:
 * by a thread created once SIGUSR1 arrives (for attach tests).  Prints
 * one line to stdout and one to stderr, then exits with EXIT (default 0). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static long npages;

static void *touch(void *arg)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, npages * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	madvise(p, npages * page, MADV_NOHUGEPAGE);
	for (long i = 0; i < npages; i++)
		p[i * page] = 1;
	return arg;
}

int main(int argc, char **argv)
{
	const char *who = argc > 2 ? argv[2] : "main";
	pthread_t t;
	pid_t pid;

	npages = argc > 1 ? atol(argv[1]) : 1000;
	if (!strcmp(who, "signal")) {
		sigset_t usr1;
		int sig;

		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigprocmask(SIG_BLOCK, &usr1, NULL);
		printf("waiting\n");
		fflush(stdout);
		sigwait(&usr1, &sig);
	}
	if (!strcmp(who, "thread") || !strcmp(who, "signal")) {
		pthread_create(&t, NULL, touch, NULL);
		pthread_join(t, NULL);
	} else if (!strcmp(who, "fork")) {
		pid = fork();
		if (pid == 0) {
			touch(NULL);
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	} else {
		touch(NULL);
	}
	printf("touched %ld pages in %s\n", npages, who);
	fprintf(stderr, "stderr line\n");
	return argc > 3 ? atoi(argv[3]) : 0;
}
