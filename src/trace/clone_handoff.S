/* long clone_handing_off(unsigned long flags, struct clone_handoff *h)
 *
 * clone() with the caller's stack left to the child: the child returns 0
 * from here as fork()'s does, on that stack (shared with CLONE_VM), while
 * the parent leaves it at once, for h->stack, and calls h->fn(h, child),
 * which must not return.  glibc's clone() does the reverse (the child
 * moves); numamma's front process must stay the parent (its pid is the
 * one the user waits for) and become the watchdog, the child going on as
 * the tracer (src/trace/watchdog.c).  -errno, and no child, on failure. */
	.text
	.globl	clone_handing_off
	.type	clone_handing_off, @function
clone_handing_off:
	mov	%rsi, %r9		/* h: a register the system call keeps */
	xor	%esi, %esi		/* no new stack: the child keeps this one */
	xor	%edx, %edx
	xor	%r10d, %r10d
	xor	%r8d, %r8d
	mov	$56, %eax		/* SYS_clone */
	syscall
	test	%rax, %rax
	jg	1f
	ret				/* the child (0), or the error */
1:	mov	0(%r9), %rsp		/* the parent: h->stack, 16-byte aligned */
	mov	%r9, %rdi
	mov	%rax, %rsi
	call	*8(%r9)			/* h->fn(h, child) */
	ud2
	.size	clone_handing_off, . - clone_handing_off
	.section .note.GNU-stack, "", @progbits
