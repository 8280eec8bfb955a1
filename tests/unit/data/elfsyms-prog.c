/* A program with known symbols for the elfsyms and symbolize unit tests.
 * It prints the runtime addresses of a function and two data objects,
 * then waits for its standard input to close, so that the test can read
 * its /proc/PID/maps meanwhile. */
#include <stdio.h>

int prog_global_array[100];                     /* 400 bytes, global */
static double prog_local_table[25] = { 1.5 };   /* 200 bytes, local */

__attribute__((noinline)) int prog_leaf(int x)
{
	prog_global_array[x % 100] += x;
	return prog_global_array[x % 100] + (int)prog_local_table[x % 25];
}

int prog_last(int x);

int main(void)
{
	printf("%p %p %p\n", (void *)prog_leaf, (void *)prog_global_array,
	       (void *)prog_local_table);
	fflush(stdout);
	while (getchar() != EOF)
		;
	return prog_leaf(3) == prog_last(3);
}

/* Last in the file, so last in .text: the FDE no other follows. */
__attribute__((noinline)) int prog_last(int x)
{
	return prog_global_array[x % 100] * 3;
}
