/* bg-child OUT: forks a child that allocates for 1.2 s and then writes
 * "child ok" to OUT; the parent prints "parent done" after 50 ms and
 * exits 3 without waiting for it. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (fork() == 0) {
		FILE *f;

		for (int i = 0; i < 60; i++) {
			void *volatile p = malloc(100 + i);

			usleep(20000);
			free(p);
		}
		f = fopen(argv[1], "w");
		if (!f)
			return 1;
		fprintf(f, "child ok\n");
		fclose(f);
		return 0;
	}
	usleep(50000);
	printf("parent done\n");
	return 3;
}
