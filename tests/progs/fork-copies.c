/* One 4 MiB mapping, which three fork children inherit and exit holding
 * (copies, not allocations of theirs), then the parent unmaps it: its
 * call site made one allocation, of 4 MiB, none of it live at the end.
 * With the argument "unmap", each child unmaps its copy before exiting;
 * with "linger", the parent and each child wait 0.3 s holding the block,
 * long enough for numamma to read their maps meanwhile. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE (4 << 20)

int main(int argc, char **argv)
{
	int unmap = argc > 1 && !strcmp(argv[1], "unmap");
	int linger = argc > 1 && !strcmp(argv[1], "linger");

	char *block = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (block == MAP_FAILED)
		return 1;
	memset(block, 1, SIZE);
	if (linger)
		usleep(300000);
	for (int i = 0; i < 3; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			/* A block of its own after the fork: numamma copies
			 * its parent's objects into a child that does more
			 * than exec or exit. */
			char *mine = malloc(2 << 20);

			mine[0] = block[i];
			if (unmap)
				munmap(block, SIZE);
			if (linger)
				usleep(300000);
			_exit(mine[0] == 1 ? 0 : 1);
		}
		waitpid(pid, NULL, 0);
	}
	munmap(block, SIZE);
	return 0;
}
