/* Whether numamma run placed each large block before the call that made
 * it returned: the block's first whole page's memory policy, asked right
 * after the call (get_mempolicy, MPOL_F_ADDR), is the policy's, not the
 * default.  Two threads, each with 500 small blocks between 8 large ones
 * (malloc, calloc, posix_memalign, realloc, mmap), each touched, then
 * freed, ROUNDS times (argv[1], 1 by default).  Prints "placed at
 * return: N of M"; natively N is 0.  With "fork" (argv[2]), a fork child
 * (no exec) then makes one thread's blocks once and prints "child placed
 * at return: N of M". */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MPOL_F_ADDR (1 << 1)
#define LARGE (256 << 10)
#define PER_THREAD 8

static int placed, made, rounds = 1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void check(char *block, size_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	char *first = (char *)(((uintptr_t)block + page - 1) & ~(uintptr_t)(page - 1));
	int mode = -1;

	if (syscall(SYS_get_mempolicy, &mode, NULL, 0, first, MPOL_F_ADDR) < 0)
		mode = -1;
	memset(block, 1, size);
	pthread_mutex_lock(&lock);
	made++;
	placed += mode > 0;     /* MPOL_DEFAULT is 0 */
	pthread_mutex_unlock(&lock);
}

static void small_ones(void)
{
	for (int i = 0; i < 500; i++) {
		char *p = malloc(16 + i % 200);

		p[0] = (char)i;
		free(p);
	}
}

static void make_blocks(void)
{
	void *b[PER_THREAD];
	char *m;

	for (int i = 0; i < 4; i++) {
		small_ones();
		b[i] = malloc(LARGE);
		check(b[i], LARGE);
	}
	small_ones();
	b[4] = calloc(LARGE / 64, 64);
	check(b[4], LARGE);
	if (posix_memalign(&b[5], 4096, LARGE))
		exit(2);
	check(b[5], LARGE);
	b[6] = realloc(malloc(64), LARGE);
	check(b[6], LARGE);
	m = mmap(NULL, LARGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		exit(2);
	check(m, LARGE);
	munmap(m, LARGE);
	for (int i = 0; i < PER_THREAD - 1; i++)
		free(b[i]);
}

static void *work(void *arg)
{
	(void)arg;
	for (int round = 0; round < rounds; round++)
		make_blocks();
	return NULL;
}

int main(int argc, char **argv)
{
	bool fork_pass = argc > 2 && !strcmp(argv[2], "fork");
	pid_t child = -1;
	pthread_t t;

	if (argc > 1)
		rounds = atoi(argv[1]);
	for (int pass = 0; pass < 1 + fork_pass; pass++) {
		/* The child makes the main thread's blocks again, from the
		 * same stacks (the same call of work() below). */
		if (pass == 1) {
			fflush(stdout);
			if ((child = fork()) != 0)
				break;
			placed = made = 0;
			rounds = 1;
		}
		if (pass == 0)
			pthread_create(&t, NULL, work, NULL);
		work(NULL);
		if (pass == 0) {
			pthread_join(t, NULL);
			printf("placed at return: %d of %d\n", placed, made);
		}
	}
	if (child == 0) {
		printf("child placed at return: %d of %d\n", placed, made);
		return 0;
	}
	return fork_pass && (child < 0 || waitpid(child, NULL, 0) != child) ? 2 : 0;
}
