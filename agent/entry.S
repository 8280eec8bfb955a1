/* The one entry of every hooked allocator.  A hook's thunk (numamma
 * writes it near the hooked function) loads the hook's number into %r11,
 * a scratch register no argument uses, and jumps here with the caller's
 * return address on top of the stack.
 *
 * The frame (struct agent_frame, 128 bytes) is built below it: 136 bytes
 * keep the stack 16-byte aligned for the calls.  The original function
 * runs on top of the frame; allocators take no stack arguments.
 *
 * While it runs, the 8 bytes above the frame hold the caller's %rbp and
 * %rbp points there: a frame-pointer walk from inside the allocator (an
 * ASan program's, which records every block's stack so) passes the
 * agent's frame and reaches the caller's, which it skipped before. */
	.section .text.entry, "ax"
	.globl agent_entry
	.hidden agent_entry
	.type agent_entry, @function
agent_entry:
	sub	$136, %rsp
	mov	%rdi, 0(%rsp)
	mov	%rsi, 8(%rsp)
	mov	%rdx, 16(%rsp)
	mov	%rcx, 24(%rsp)
	mov	%r8, 32(%rsp)
	mov	%r9, 40(%rsp)
	mov	%rax, 48(%rsp)
	mov	%r10, 56(%rsp)
	mov	%r11, 64(%rsp)
	lea	136(%rsp), %rax
	mov	%rax, 72(%rsp)
	mov	%rbp, 80(%rsp)
	mov	%rsp, %rdi
	call	agent_enter
	mov	%eax, %r11d
	mov	0(%rsp), %rdi
	mov	8(%rsp), %rsi
	mov	16(%rsp), %rdx
	mov	24(%rsp), %rcx
	mov	32(%rsp), %r8
	mov	40(%rsp), %r9
	mov	48(%rsp), %rax
	mov	56(%rsp), %r10
	test	%r11d, %r11d
	jnz	1f
	/* Nothing to see at the return: the original returns to the caller. */
	mov	88(%rsp), %r11
	add	$136, %rsp
	jmp	*%r11
1:	mov	%rbp, 128(%rsp)
	lea	128(%rsp), %rbp
	call	*88(%rsp)
	mov	128(%rsp), %rbp
	mov	%rax, 120(%rsp)
	mov	%rsp, %rdi
	mov	%rax, %rsi
	call	agent_leave
	test	%rax, %rax
	jnz	2f
	mov	120(%rsp), %rax
	add	$136, %rsp
	ret
	/* A nothrow form run in a throwing new's place failed: the throwing
	 * one runs, returning (or throwing) straight to the caller. */
2:	mov	%rax, %r11
	mov	0(%rsp), %rdi
	mov	8(%rsp), %rsi
	add	$136, %rsp
	jmp	*%r11
	.size agent_entry, . - agent_entry

/* numamma's stop at the loader's _dl_debug_state (agent.c): it knows the
 * trap by this address, and resumes the thread after it. */
	.globl agent_loader_trap
	.hidden agent_loader_trap
	.type agent_loader_trap, @function
agent_loader_trap:
	int3
	ret
	.size agent_loader_trap, . - agent_loader_trap

/* numamma's stop at a fork child's first call (agent.c): it maps the
 * child's own region, sets its owner word, and resumes it here. */
	.globl agent_region_trap
	.hidden agent_region_trap
	.type agent_region_trap, @function
agent_region_trap:
	int3
	ret
	.size agent_region_trap, . - agent_region_trap

/* numamma's stop at a call it may let the process go at (agent.c): the
 * function (enum alloc_fn) and its three arguments in rdi, rsi, rdx and
 * rcx. */
	.globl agent_call_trap
	.hidden agent_call_trap
	.type agent_call_trap, @function
agent_call_trap:
	int3
	ret
	.size agent_call_trap, . - agent_call_trap
	.section .note.GNU-stack, "", @progbits
