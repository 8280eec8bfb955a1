/* unwind + modmap: a forked child stops itself three calls deep
 * (level_a -> level_b -> level_c -> raise(SIGSTOP)); its stack, unwound
 * through ptrace, must symbolise to level_c, level_b, level_a in order. */
#include <signal.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "elfsyms.h"
#include "modmap.h"
#include "unit.h"
#include "unwind.h"

#define MAX_FRAMES 64

/* Keeps each call out of tail position, so that every level has a frame. */
static volatile int calls;

__attribute__((noinline, noclone)) void level_c(void) { raise(SIGSTOP); calls++; }
__attribute__((noinline, noclone)) void level_b(void) { level_c(); calls++; }
__attribute__((noinline, noclone)) void level_a(void) { level_b(); calls++; }

static pid_t start_stopped_child(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(1);
		level_a();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		return -1;
	return pid;
}

/* The function each ip is in.  Return addresses point after their call,
 * possibly past the caller's last byte: frames above the first are looked
 * up at ip - 1. */
static const char *frame_function(const struct modmap *mm, uint64_t ip, int depth)
{
	const struct loaded_module *lm = modmap_find(mm, ip - (depth > 0));
	const char *name;
	uint64_t off;

	if (!lm || elfmod_symbolize(lm->elf, ip - (depth > 0) - lm->bias, &name, &off) < 0)
		return "?";
	return name;
}

static void check_frames(pid_t pid, const uint64_t *ips, int n)
{
	struct modmap mm, copy;
	struct nm_frame frame;
	int c = -1;

	modmap_init(&mm);
	CHECK(modmap_refresh(&mm, pid) > 0);
	CHECK(mm.n >= 3);   /* the test, libc, ld.so at least */
	for (int i = 0; i < n; i++) {
		const char *fn = frame_function(&mm, ips[i], i);

		printf("  #%d %#" PRIx64 " %s\n", i, ips[i], fn);
		if (c < 0 && !strcmp(fn, "level_c"))
			c = i;
	}
	CHECK(c > 0);   /* raise() and its callees are above level_c */
	if (c > 0 && c + 2 < n) {
		CHECK_STR(frame_function(&mm, ips[c + 1], c + 1), "level_b");
		CHECK_STR(frame_function(&mm, ips[c + 2], c + 2), "level_a");
	}

	/* The innermost frame is in libc, a module apart from the test's. */
	CHECK_INT(modmap_frame(&mm, ips[0], &frame), 0);
	CHECK(strstr(frame.path, "libc") != NULL);
	if (c > 0) {
		const struct loaded_module *lm = modmap_find(&mm, ips[c]);

		CHECK_INT(modmap_frame(&mm, ips[c], &frame), 0);
		CHECK(strstr(frame.path, "test-unwind") != NULL);
		CHECK_STR(frame.module, elfmod_identity(lm->elf));
		CHECK_INT(frame.offset, ips[c] - lm->bias);
		CHECK_INT(frame.ip, ips[c]);
	}
	CHECK_INT(modmap_frame(&mm, 8, &frame), -1);
	CHECK_STR(frame.module, "[anon]");
	CHECK_STR(frame.path, "");
	CHECK_INT(frame.offset, 8);

	/* Nothing new on a second look; a fork's copy answers alike. */
	CHECK_INT(modmap_refresh(&mm, pid), 0);
	CHECK_INT(mm.generation, 2);
	CHECK_INT(mm.v[0].generation, 1);
	modmap_copy(&copy, &mm);
	modmap_free(&mm);
	CHECK_INT(modmap_frame(&copy, ips[0], &frame), 0);
	CHECK(strstr(frame.path, "libc") != NULL);
	modmap_free(&copy);
	CHECK_INT(modmap_refresh(&copy, -2), -1);
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Not asserted: shows what UNW_CACHE_GLOBAL saves per stack. */
static void report_cost(struct unwind_thread *ut)
{
	uint64_t ips[MAX_FRAMES];
	const int rounds = 200;
	double t0, warm, cold;

	t0 = seconds();
	for (int i = 0; i < rounds; i++)
		unwind_stack(ut, ips, MAX_FRAMES);
	warm = (seconds() - t0) / rounds;
	t0 = seconds();
	for (int i = 0; i < rounds; i++) {
		unwind_flush_caches();
		unwind_stack(ut, ips, MAX_FRAMES);
	}
	cold = (seconds() - t0) / rounds;
	printf("unwind cost: %.1f us with the global cache, %.1f us flushed each time\n",
	       warm * 1e6, cold * 1e6);
}

int main(void)
{
	uint64_t ips[MAX_FRAMES];
	struct unwind_thread *ut;
	pid_t pid;
	int n;

	CHECK_INT(unwind_init(), 0);
	pid = start_stopped_child();
	if (pid < 0)
		UNIT_SKIP("cannot ptrace a child here");
	ut = unwind_thread_new(pid);
	CHECK(ut != NULL);
	if (ut) {
		n = unwind_stack(ut, ips, MAX_FRAMES);
		CHECK(n >= 5);
		CHECK_INT(unwind_stack(ut, ips, 2), 2);
		n = unwind_stack(ut, ips, MAX_FRAMES);
		check_frames(pid, ips, n);
		report_cost(ut);
		unwind_thread_free(ut);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	modmap_cache_clear();
	return unit_done();
}
