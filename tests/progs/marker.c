/* marker FILE [STATUS]: allocates a large block, creates FILE (so a test
 * can tell whether the program ran at all), prints a line and exits with
 * STATUS (default 0). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char table[1 << 20];

int main(int argc, char **argv)
{
	char *block = malloc(4 << 20);
	FILE *f;

	if (argc < 2 || !block)
		return 2;
	memset(block, 1, 4 << 20);
	memset(table, 2, sizeof(table));
	f = fopen(argv[1], "w");
	if (!f)
		return 3;
	fclose(f);
	printf("marker ran\n");
	free(block);
	return argc > 2 ? atoi(argv[2]) : 0;
}
