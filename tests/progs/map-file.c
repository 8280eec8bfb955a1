/* "map-file FILE SECONDS": writes 64 KiB to FILE, maps it read-only and
 * reads it over and over for SECONDS (a small file mapping that samples
 * hit).  Prints "mapped ADDRESS" and "sum ok". */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define SIZE (64 << 10)

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static long words[SIZE / sizeof(long)];
	const volatile long *map;
	double end;
	long sum = 0;
	int fd;

	if (argc != 3)
		return 2;
	for (size_t i = 0; i < SIZE / sizeof(long); i++)
		words[i] = (long)i;
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, words, SIZE) != SIZE)
		return 1;
	map = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return 1;
	printf("mapped %lu\n", (unsigned long)map);
	end = seconds() + atof(argv[2]);
	while (seconds() < end)
		for (size_t i = 0; i < SIZE / sizeof(long); i++)
			sum += map[i];
	printf("sum %s\n", sum >= 0 ? "ok" : "negative");
	return 0;
}
