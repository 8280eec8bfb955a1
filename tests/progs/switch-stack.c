/* switch-stack [deep]: code that runs on stacks its thread switched to.
 *  - By hand, as runtimes and coroutine libraries do: main moves rsp to
 *    the top of a 64 KiB mapping with nothing mapped above it and calls
 *    on_new_stack() there, which makes a 3 MiB block.  main's unwind
 *    data knows nothing of the switch: a walk that follows it reads past
 *    the mapping's end (it faulted in the program under numamma's agent).
 *  - ucontext: a fiber on a 256 KiB mapping (swapcontext) makes a 2 MiB
 *    block in in_fiber(), then a 5 MiB one six frames of 1 KiB deeper
 *    (descend()), the frames spread over several of its pages.
 * Each block is freed.  With "deep", only a recursion of main's 2 MiB
 * deep (past the mapping the main stack had at the exec) that makes a
 * 4 MiB block: on the thread's own stack. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>

static volatile long sink;
static ucontext_t main_ctx, fiber_ctx;

static void block(size_t size)
{
	char *p = malloc(size);

	p[0] = 1;
	sink += p[0];
	free(p);
}

__attribute__((noinline)) void on_new_stack(void)
{
	block(3u << 20);
}

/* n + 1 frames of 1 KiB each, then the block. */
__attribute__((noinline)) static void descend(int n, size_t size)
{
	volatile char pad[1024];

	pad[0] = (char)n;
	if (n)
		descend(n - 1, size);
	else
		block(size);
	sink += pad[0];
}

__attribute__((noinline)) static void in_fiber(void)
{
	block(2u << 20);
	descend(5, 5u << 20);
	swapcontext(&fiber_ctx, &main_ctx);
}

static char *mapped_stack(size_t len)
{
	/* A page past the end, then unmapped: nothing is mapped above. */
	char *m = mmap(NULL, len + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		exit(2);
	munmap(m + len, 4096);
	return m;
}

int main(int argc, char **argv)
{
	char *top, *fiber;

	if (argc > 1) {
		descend(2000, 4u << 20);
		printf("sink %ld\n", sink);
		return 0;
	}
	top = mapped_stack(64 << 10) + (64 << 10);
	fiber = mapped_stack(256 << 10);
	__asm__ volatile("mov %%rsp, %%rbx\n\tmov %0, %%rsp\n\tcall on_new_stack\n\tmov %%rbx, %%rsp"
			 : : "r"(top)
			 : "rbx", "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
	getcontext(&fiber_ctx);
	fiber_ctx.uc_stack.ss_sp = fiber;
	fiber_ctx.uc_stack.ss_size = 256 << 10;
	fiber_ctx.uc_link = &main_ctx;
	makecontext(&fiber_ctx, in_fiber, 0);
	swapcontext(&main_ctx, &fiber_ctx);
	printf("sink %ld\n", sink);
	return 0;
}
