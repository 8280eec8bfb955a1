/* Ground truth for the clock sampler's constants: one thread sums an
 * array scaled by a constant for SECONDS, the constant reloaded from the
 * constant pool at the top of each turn (as compilers do when the
 * multiply overwrites its register), a read that always hits.  The loop
 * is written in assembly so that every compiler makes that loop.  The
 * samples belong to the array, none to the pool.
 *
 *   access-constant [ARRAY_MIB [SECONDS]]    (16 1)
 * Prints "summed yes" once the work is done. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double scaled_sum(const double *v, size_t n);

__asm__(".text\n"
	".globl scaled_sum\n"
	".type scaled_sum, @function\n"
	"scaled_sum:\n"
	"	.cfi_startproc\n"
	"	pxor %xmm1, %xmm1\n"
	"1:	movsd scale_constant(%rip), %xmm0\n"
	"	mulsd (%rdi), %xmm0\n"
	"	addsd %xmm0, %xmm1\n"
	"	add $8, %rdi\n"
	"	dec %rsi\n"
	"	jnz 1b\n"
	"	movapd %xmm1, %xmm0\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size scaled_sum, .-scaled_sum\n"
	".section .rodata\n"
	".balign 8\n"
	"scale_constant: .double 0.5\n"
	".text\n");

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t n = (argc > 1 ? strtoul(argv[1], NULL, 10) : 16) << 20 >> 3;
	double end = now() + (argc > 2 ? atof(argv[2]) : 1), *v = malloc(n * sizeof(*v)), s = 0;

	for (size_t i = 0; i < n; i++)
		v[i] = (double)i;
	while (now() < end)
		s += scaled_sum(v, n);
	printf("summed %s\n", s > 0 ? "yes" : "no");
	return 0;
}
