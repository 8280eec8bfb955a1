/* Touches a static array, a heap array and an anonymous mapping, then
 * prints for each how many of its pages sit on each node (move_pages):
 *   static 0:512 1:0 2:0 3:0
 * Pages shared with neighbouring objects are left out (first and last). */
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_NODES 8

static char static_array[2 << 20];

static void report(const char *name, char *p, size_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	char *start = (char *)(((unsigned long)p + page - 1) & ~(page - 1));
	char *end = (char *)(((unsigned long)p + size) & ~(page - 1));
	long n = (end - start) / page, count[MAX_NODES] = { 0 }, other = 0;
	void **pages = malloc(n * sizeof(*pages));
	int *status = malloc(n * sizeof(*status));

	for (long i = 0; i < n; i++)
		pages[i] = start + i * page;
	if (move_pages(0, n, pages, NULL, status, 0) < 0) {
		perror("move_pages");
		exit(1);
	}
	for (long i = 0; i < n; i++) {
		if (status[i] >= 0 && status[i] < MAX_NODES)
			count[status[i]]++;
		else
			other++;
	}
	printf("%s", name);
	for (int node = 0; node < 4; node++)
		printf(" %d:%ld", node, count[node]);
	printf(" other:%ld\n", other);
	free(pages);
	free(status);
}

int main(void)
{
	size_t heap_size = 4 << 20, map_size = 1 << 20;
	char *heap = malloc(heap_size);
	char *map = mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	memset(static_array, 1, sizeof(static_array));
	memset(heap, 1, heap_size);
	memset(map, 1, map_size);
	report("static", static_array, sizeof(static_array));
	report("heap", heap, heap_size);
	report("mmap", map, map_size);
	return 0;
}
