/* The main of a program that counts its own allocator calls:
 * COUNTED_CALLS(round) for each of ROUNDS rounds (argv[1], 1000 by
 * default), then "allocations A frees F", the calls it made.  Every
 * counted call is made in COUNTED_CALLS, whose depth-0 frame names it. */
#include <stdio.h>
#include <stdlib.h>

static unsigned long allocations, frees;

static void COUNTED_CALLS(unsigned round);

int main(int argc, char **argv)
{
	unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;

	for (unsigned r = 0; r < rounds; r++)
		COUNTED_CALLS(r);
	printf("allocations %lu frees %lu\n", allocations, frees);
	return 0;
}
