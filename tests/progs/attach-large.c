/* attach-large: allocates three large blocks (glibc mmaps each one), prints
 * "ADDRESS SIZE" for each, then sleeps 3 s and exits 0: blocks that exist
 * before numamma attaches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	static const size_t sizes[] = { 1 << 20, 3 << 20, 200000 };
	char *volatile blocks[3];

	for (int i = 0; i < 3; i++) {
		blocks[i] = malloc(sizes[i]);
		memset(blocks[i], 1, sizes[i]);
		printf("%lu %zu\n", (unsigned long)blocks[i], sizes[i]);
	}
	fflush(stdout);
	sleep(3);
	return blocks[0][0] == 1 ? 0 : 1;
}
