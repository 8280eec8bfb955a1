/* Calls malloc from a function whose unwind rule takes its frame from
 * rbp (CFA = rbp + 16, as any frame-pointer function's), while rbp holds
 * the number given, not a frame: code that keeps data in rbp between two
 * rules, or a tracer's unwind stepping into such a frame.  With rbp = -8,
 * the saved rbp is "at" 0xfffffffffffffff8, the last word of the address
 * space: a remote unwinder that checks addr + 8 against its buffer's end
 * (wrapping to 0) read far outside it.  Prints "ok N". */
#include <stdio.h>
#include <stdlib.h>

void *malloc_with_rbp(long rbp, size_t n);

__asm__(".text\n"
	".globl malloc_with_rbp\n"
	".type malloc_with_rbp, @function\n"
	"malloc_with_rbp:\n"
	".cfi_startproc\n"
	"	push %rbp\n"
	".cfi_def_cfa_offset 16\n"
	".cfi_offset %rbp, -16\n"
	"	mov %rsp, %rbp\n"
	".cfi_def_cfa_register %rbp\n"
	"	mov %rdi, %rbp\n"       /* the rule still says: CFA = rbp + 16 */
	"	mov %rsi, %rdi\n"
	"	call malloc@PLT\n"
	"	mov %rsp, %rbp\n"       /* the frame back: rsp points at the saved rbp */
	"	pop %rbp\n"
	".cfi_def_cfa %rsp, 8\n"
	"	ret\n"
	".cfi_endproc\n"
	".size malloc_with_rbp, .-malloc_with_rbp\n");

int main(void)
{
	static const long rbps[] = { -8, -16, 0, 8, -4096, -4104 };
	int n = 0;

	for (int round = 0; round < 50; round++)
		for (size_t i = 0; i < sizeof(rbps) / sizeof(rbps[0]); i++) {
			char *p = malloc_with_rbp(rbps[i], 64 + i);

			p[0] = (char)i;
			n += p[0] == (char)i;
			free(p);
		}
	printf("ok %d\n", n);
	return 0;
}
