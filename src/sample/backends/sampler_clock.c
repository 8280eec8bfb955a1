/* The clock sampler: perf's cpu-clock software event on every thread (an
 * hrtimer on the thread's own cpu time), each sample with the user
 * registers.  Works wherever perf software events do: any VM, no PMU, no
 * debug registers, unprivileged at perf_event_paranoid 2.
 *
 * A timer does not say what the thread was accessing: the data address
 * comes from the code at the sampled ip and the sampled registers
 * (x86_access.c), the code read from the process with process_vm_readv
 * into a cache of pages per address space (an exec, or a new process
 * under a pid, fork child or attach, starts with none), and decoded once
 * into a cache of instructions checked against those bytes at each use.  The
 * instruction before
 * the ip, the load the thread stalled on, is used when the function's
 * layout says it is the only way to the ip: functions are found in the
 * symbol tables of the process's modules (their own module map, read
 * from /proc/PID/maps when an ip falls outside the known modules) and
 * their maps kept in a cache.  Samples whose address cannot be found are
 * counted per thread under the reason, not stored.
 *
 * Rate.  The period is in ns of the thread's cpu time: 1e9 / --frequency
 * (default 1000 Hz), or --period.  cpu-clock in frequency mode is turned
 * into that same period by the kernel, so the period is given directly.
 * Samples are then proportional to the time each thread spends on each
 * page, what a placement weighs.
 *
 * fs-relative operands (thread-local variables, the stack protector's
 * canary) need the thread's fs_base, which perf does not sample: the
 * tracer is the thread's ptracer, and the thread is stopped when its
 * events open, so PTRACE_GETREGS gives it then.  A program's main thread
 * starts at exec with fs_base 0 (its libc sets it later): it is read
 * again at the thread's next ptrace stops (its allocations) until set;
 * fs-relative samples before that are counted as no_fs_base. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include "elfsyms.h"
#include "error.h"
#include "modmap.h"
#include "perf_ring.h"
#include "pmu.h"
#include "sampler_backend.h"
#include "x86_access.h"

#define CLOCK_SAMPLE_TYPE (PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | \
			   PERF_SAMPLE_CPU | PERF_SAMPLE_REGS_USER)
#define DEFAULT_HZ 1000
#define CODE_PAGE 4096
#define CODE_PAGES 256              /* cached, direct-mapped: 1 MiB */
#define CODE_TTL_NS 1000000000ULL   /* re-read: dlclose/dlopen, JITs */
#define FUNC_MAPS 1024              /* cached, direct-mapped */
#define INSNS 2048                  /* decoded instructions cached, direct-mapped */
#define MAPS_EVERY_NS 200000000ULL  /* re-reads of a process's maps, at most... */
#define MAPS_TTL_NS 1000000000ULL   /* ...and at least, while it is sampled */
/* The self-test spins until its first sample, before the program
 * starts: at 10 kHz that is 0.1 ms of numamma's cpu, not 1 ms. */
#define PROBE_HZ 10000
/* The self-test waits for a sample this long, or gives up after
 * PROBE_WALL_NS.  A sample comes after about 0.1 ms; but a VM's cpu time
 * also grows while its vcpu is preempted, with one timer expiry at most
 * once it runs again: a loaded host needs tens of ms. */
#define PROBE_CPU_NS 200000000ULL
#define PROBE_WALL_NS 2000000000ULL
/* Turns of the user-mode wait between two reads of the cpu time (~20 us). */
#define PROBE_SPINS 1000
#define PROBE_RING_PAGES 1

/* The caches' entries belong to an address space, by number: a
 * process's are dropped by giving it a new number, not by a pass over the
 * caches, which faulted in all of their 1 MiB at a profile's first
 * process end (3.6 ms where the hypervisor backs each page read). */
struct code_page {
	uint64_t space;                /* 0: empty */
	uint64_t page, stamp;
	uint8_t bytes[CODE_PAGE];
};

/* A process sampled: its modules, for function bounds. */
struct clock_process {
	pid_t pid;
	uint64_t space;                /* its entries in the caches */
	struct modmap mm;
	uint64_t maps_ns;              /* when mm was last read; 0: never */
	struct clock_process *next;
};

/* A function's map, by its module's file and its address there: a
 * library's functions are the same code in every process that loads it
 * (each process of a shell's loop or of a build decoded libc's and the
 * loader's again: 55 us of each exec'd process). */
struct func_slot {
	const struct elf_module *elf;  /* NULL: empty */
	uint64_t start;                /* in the file's addresses */
	uint64_t bias;                 /* of the process the map was built in */
	struct x86_func_map *map;      /* NULL: the function could not be mapped */
};

/* One sampler per numamma run. */
static struct code_page *code_cache;
static struct func_slot *func_cache;
static struct x86_insn_cache *insn_cache;
static struct clock_process *processes;
static uint64_t last_space;
static uint64_t lowest_addr;           /* vm.mmap_min_addr */
/* Threads whose fs_base was not set yet at their last stop. */
static struct clock_thread *unset_fs;

struct clock_thread {
	pid_t tid;
	uint64_t fs_base;                     /* 0: not set yet */
	struct clock_thread *next_unset;      /* in unset_fs */
	uint64_t found[X86_NR_RESOLUTIONS];   /* samples by resolution */
	uint64_t no_regs;                     /* samples without user registers */
};

static void clock_attr(struct perf_event_attr *attr, uint64_t period_ns)
{
	memset(attr, 0, sizeof(*attr));
	attr->type = PERF_TYPE_SOFTWARE;
	attr->config = PERF_COUNT_SW_CPU_CLOCK;
	attr->sample_period = period_ns;
	attr->sample_type = CLOCK_SAMPLE_TYPE;
	attr->sample_regs_user = X86_SAMPLE_REGS_MASK;
	attr->exclude_kernel = 1;
}

/* ---- the self-test ---- */

/* Runs on the calling thread's cpu until the ring holds a sample, or
 * PROBE_CPU_NS of its cpu time (cpu-clock counts only while it runs), or
 * PROBE_WALL_NS pass.  Returns the cpu time spent. */
static uint64_t spin_for_sample(const struct perf_event_mmap_page *meta)
{
	uint64_t cpu_start = thread_cpu_ns(), wall_end = now_ns() + PROBE_WALL_NS, cpu = 0;

	/* The thread's cpu time is a system call: read between spins of
	 * user code, since the event samples only user mode.  Read at each
	 * turn, it kept the thread in the kernel, and the first sample took
	 * ten periods (1 ms of every profile) where one should do. */
	while (!__atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE) &&
	       (cpu = thread_cpu_ns() - cpu_start) < PROBE_CPU_NS && now_ns() < wall_end)
		for (int spin = 0; spin < PROBE_SPINS && !__atomic_load_n(&meta->data_head,
									   __ATOMIC_ACQUIRE); spin++)
			__builtin_ia32_pause();
	return cpu;
}

/* A per-cpu event where one is allowed (CAP_PERFMON, perf_event_paranoid
 * <= 0): the kernel's first per-task event after a second without any
 * waits for an RCU grace period (15-20 ms on a 2-vcpu VM), a per-cpu one
 * does not.  The self-test then samples this cpu, the thread pinned to it
 * meanwhile (*saved: its affinity, to restore).  Elsewhere it samples
 * this thread. */
static int open_probe_event(struct perf_event_attr *attr, cpu_set_t *saved, bool *pinned)
{
	int cpu = sched_getcpu(), fd;
	cpu_set_t one;

	*pinned = false;
	CPU_ZERO(&one);
	if (cpu >= 0 && cpu < CPU_SETSIZE && !sched_getaffinity(0, sizeof(*saved), saved)) {
		CPU_SET(cpu, &one);
		if (!sched_setaffinity(0, sizeof(one), &one)) {
			fd = (int)syscall(SYS_perf_event_open, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
			if (fd >= 0) {
				*pinned = true;
				return fd;
			}
			sched_setaffinity(0, sizeof(*saved), saved);
		}
	}
	return (int)syscall(SYS_perf_event_open, attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

/* Opens the event and spins until it samples: an event that opens is not
 * yet one that fires (hypervisors).  The common code runs it once per
 * process. */
static int clock_probe(char *why, size_t len)
{
	struct perf_event_attr attr;
	long page = sysconf(_SC_PAGESIZE);
	size_t map_len = (PROBE_RING_PAGES + 1) * page;
	struct perf_event_mmap_page *meta;
	uint64_t cpu = 0, head = 0;
	cpu_set_t saved;
	bool pinned;
	int fd, map_err;

	clock_attr(&attr, 1000000000ULL / PROBE_HZ);
	attr.size = sizeof(attr);
	fd = open_probe_event(&attr, &saved, &pinned);
	if (fd < 0) {
		perf_open_why("cpu-clock", errno, why, len);
		return -1;
	}
	meta = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	map_err = errno;
	if (meta != MAP_FAILED && !sampler_test_idle("cpu-clock")) {
		cpu = spin_for_sample(meta);
		head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	}
	if (pinned)
		sched_setaffinity(0, sizeof(saved), &saved);
	if (meta == MAP_FAILED) {
		snprintf(why, len, "mapping a cpu-clock ring: %s", strerror(map_err));
		close(fd);
		return -1;
	}
	munmap(meta, map_len);
	close(fd);
	if (!head) {
		snprintf(why, len, "cpu-clock events open but delivered no sample in %.1f ms of cpu time"
			 " at %d Hz", cpu / 1e6, PROBE_HZ);
		return -1;
	}
	return 0;
}

/* vm.mmap_min_addr, or 0 when it cannot be read (the decoder then
 * refuses the first page only). */
static uint64_t mmap_min_addr(void)
{
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");
	unsigned long long v = 0;

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static int clock_attrs(const struct sampler_opts *opts, struct perf_event_attr *attrs,
		       int *group_leader, char *why, size_t len)
{
	unsigned hz = opts->frequency ? opts->frequency : DEFAULT_HZ;
	uint64_t period = opts->period ? opts->period : 1000000000ULL / hz;

	clock_attr(&attrs[0], period);
	*group_leader = 0;
	if (!code_cache)
		code_cache = xcalloc_sparse(CODE_PAGES, sizeof(*code_cache));
	if (!func_cache)
		func_cache = xcalloc(FUNC_MAPS, sizeof(*func_cache));
	if (!insn_cache)
		insn_cache = x86_insn_cache_new(INSNS);
	lowest_addr = mmap_min_addr();
	return 1;
}

/* ---- the code cache ---- */

static struct code_page *code_slot(uint64_t space, uint64_t page)
{
	uint64_t h = (page / CODE_PAGE) * 0x9e3779b97f4a7c15ULL ^ space;

	return &code_cache[(h >> 24) % CODE_PAGES];
}

/* The maps of an entry no longer matched are freed when its slot is
 * taken: at most FUNC_MAPS of them are kept. */
static void free_func_slot(struct func_slot *f)
{
	x86_func_map_free(f->map);
	*f = (struct func_slot){ 0 };
}

/* Drops what was kept of pid's address space. */
static void forget_process(pid_t pid)
{
	struct clock_process **pp;

	for (pp = &processes; *pp; pp = &(*pp)->next)
		if ((*pp)->pid == pid) {
			struct clock_process *p = *pp;

			*pp = p->next;
			modmap_free(&p->mm);
			free(p);
			return;
		}
}

static struct clock_process *process_of(pid_t pid)
{
	struct clock_process *p;

	for (p = processes; p; p = p->next)
		if (p->pid == pid)
			return p;
	p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	p->space = ++last_space;
	modmap_init(&p->mm);
	p->next = processes;
	processes = p;
	return p;
}

/* The page of cp holding addr, read if not cached; NULL if unreadable. */
static const struct code_page *code_page(const struct clock_process *cp, uint64_t addr)
{
	uint64_t page = addr & ~(uint64_t)(CODE_PAGE - 1), now = now_ns();
	struct code_page *p = code_slot(cp->space, page);
	struct iovec local = { p->bytes, CODE_PAGE }, remote = { (void *)page, CODE_PAGE };

	if (p->space == cp->space && p->page == page && now - p->stamp < CODE_TTL_NS)
		return p;
	p->space = 0;
	if (process_vm_readv(cp->pid, &local, 1, &remote, 1, 0) != CODE_PAGE)
		return NULL;
	p->space = cp->space;
	p->page = page;
	p->stamp = now;
	return p;
}

/* x86_code_reader over the cache; arg is the clock_process. */
static size_t read_code(void *arg, uint64_t addr, uint8_t *buf, size_t len)
{
	const struct clock_process *cp = arg;
	size_t done = 0;

	while (done < len) {
		const struct code_page *p = code_page(cp, addr + done);
		size_t off = (addr + done) % CODE_PAGE, n = CODE_PAGE - off;

		if (!p)
			break;
		if (n > len - done)
			n = len - done;
		memcpy(buf + done, p->bytes + off, n);
		done += n;
	}
	return done;
}

/* ---- function maps ---- */

/* The module holding ip.  The maps are read again when no known module
 * holds ip (a library loaded since), at most every MAPS_EVERY_NS, and
 * every MAPS_TTL_NS: a library unloaded and another loaded in its place
 * has other functions, whose maps must be built anew. */
static const struct loaded_module *module_of(struct clock_process *p, uint64_t ip)
{
	const struct loaded_module *lm = modmap_find(&p->mm, ip);
	uint64_t now = now_ns(), age = now - p->maps_ns;

	if (p->maps_ns && age < (lm ? MAPS_TTL_NS : MAPS_EVERY_NS))
		return lm;
	p->maps_ns = now;
	/* A module gone, its addresses may hold another's code: every page
	 * of the process is read again (the functions' maps go by file).
	 * Modules added leave the pages known as they were (python's startup
	 * loads a dozen, and each made its interpreter's functions decoded
	 * again, 100 KB of code for its loop: nearly half of the decoding of
	 * a profile's maps). */
	if (modmap_refresh(&p->mm, p->pid) >= 0 && p->mm.gone)
		p->space = ++last_space;
	return modmap_find(&p->mm, ip);
}

/* x86_code.predecessor: from the map of the code holding ip, built if
 * asked to. */
static uint64_t predecessor(void *arg, uint64_t ip, bool build)
{
	struct clock_process *p = arg;
	const struct loaded_module *lm = module_of(p, ip);
	uint64_t start, size, h, at;
	struct func_slot *f;

	if (!lm || elfmod_code_range(lm->elf, ip - lm->bias, &start, &size))
		return 0;
	h = start * 0x9e3779b97f4a7c15ULL ^ (uintptr_t)lm->elf;
	f = &func_cache[(h >> 24) % FUNC_MAPS];
	if (f->elf != lm->elf || f->start != start) {
		if (!build)
			return X86_PREDECESSOR_UNKNOWN;
		free_func_slot(f);
		*f = (struct func_slot){ lm->elf, start, lm->bias,
					 x86_func_map_build(start + lm->bias, start + lm->bias + size,
							    read_code, p) };
	}
	/* The map is in the addresses of the process it was built in. */
	at = f->map ? x86_func_map_predecessor(f->map, ip - lm->bias + f->bias) : 0;
	return at ? at - f->bias + lm->bias : 0;
}

/* x86_code.constant: addr in a file's mapping the program cannot write
 * (its .rodata, its GOT once relocated), as the maps last read say. */
static bool constant(void *arg, uint64_t addr)
{
	struct clock_process *p = arg;
	const struct map_entry *m;

	if (!module_of(p, addr))
		return false;
	m = procmaps_find(&p->mm.maps, addr);
	return m && m->perms[1] != 'w' && m->path[0] == '/';
}

/* ---- samples ---- */

/* Reads the stopped thread's fs_base; 0 when not set yet. */
static uint64_t read_fs_base(pid_t tid)
{
	struct user_regs_struct regs;

	return ptrace(PTRACE_GETREGS, tid, 0, &regs) == 0 ? regs.fs_base : 0;
}

/* Takes c out of unset_fs, if there. */
static void drop_unset(struct clock_thread *c)
{
	struct clock_thread **pp;

	for (pp = &unset_fs; *pp; pp = &(*pp)->next_unset)
		if (*pp == c) {
			*pp = c->next_unset;
			return;
		}
}

/* The thread's fs_base is not set: read it at its next stops. */
static void unset_fs_base(struct clock_thread *c)
{
	c->fs_base = 0;
	c->next_unset = unset_fs;
	unset_fs = c;
}

static void clock_thread_start(struct sampler_thread *th)
{
	struct clock_thread *c = th->priv = xcalloc(1, sizeof(*c));

	/* A process's first thread: a new address space under this pid. */
	if (th->tid == th->pid)
		forget_process(th->pid);
	c->tid = th->tid;
	c->fs_base = read_fs_base(th->tid);
	if (!c->fs_base)
		unset_fs_base(c);
}

static void clock_thread_stopped(pid_t tid)
{
	struct clock_thread *c;

	for (c = unset_fs; c && c->tid != tid; c = c->next_unset)
		;
	if (c && (c->fs_base = read_fs_base(tid)))
		drop_unset(c);
}

static int clock_locate(struct sampler_thread *th, const struct perf_sample_rec *rec, struct nm_sample *out)
{
	struct clock_thread *c = th->priv;
	struct x86_regs regs = { .fs_base = c->fs_base };
	struct x86_code code = { .read = read_code, .predecessor = predecessor,
				 .arg = process_of(out->pid), .insns = insn_cache, .constant = constant,
				 .lowest_addr = lowest_addr };
	struct x86_access a;
	enum x86_resolution how;

	if (rec->regs_abi == PERF_SAMPLE_REGS_ABI_NONE) {
		c->no_regs++;
		return -1;
	}
	memcpy(regs.r, rec->regs, sizeof(regs.r));
	how = x86_find_access(&regs, &code, &a);
	c->found[how]++;
	if (how != X86_AT_IP && how != X86_BACKWARD && how != X86_REPEAT && how != X86_FORWARD)
		return -1;
	out->addr = a.addr;
	out->ip = a.ip;
	out->access = a.kind;
	out->resolution = x86_resolution_name(how);
	out->forward_steps = (int)a.steps;
	return 0;
}

static void clock_thread_stop(const struct sampler_thread *th, const struct sample_sink *sink)
{
	struct clock_thread *c = th->priv;
	int how;

	drop_unset(c);
	for (how = X86_AT_IP; sink && how < X86_NR_RESOLUTIONS; how++)
		sink->count(sink->ctx, th->tid, x86_resolution_name(how), c->found[how]);
	if (sink)
		sink->count(sink->ctx, th->tid, "no_regs", c->no_regs);
	/* Its main thread gone, a process is gone or about to be (a later
	 * sample of it builds what it needs again). */
	if (th->tid == th->pid)
		forget_process(th->pid);
}

/* A new program: its code, and the exec'ing thread's fs_base, which exec
 * cleared (a fork child's was its parent's); the thread is now pid. */
static void clock_process_exec(pid_t pid, struct sampler_thread *th)
{
	struct clock_thread *c = th ? th->priv : NULL;

	forget_process(pid);
	if (!c)
		return;
	drop_unset(c);
	c->tid = pid;
	unset_fs_base(c);
}

const struct sampler_backend sampler_clock = {
	.name = "clock",
	.description = "software: cpu-clock samples, the access decoded from the sampled registers",
	.probe = clock_probe,
	.attrs = clock_attrs,
	.cpu_wide = true,
	/* 64 KiB: 250 samples of 250 bytes, a quarter of a second of a cpu at
	 * the default rate (woken at a quarter full, drained every 0.1 s);
	 * mapping each ring was a tenth of a short profile's cost at 256 KiB. */
	.ring_pages = 16,
	.thread_start = clock_thread_start,
	.locate = clock_locate,
	.thread_stop = clock_thread_stop,
	.thread_stopped = clock_thread_stopped,
	.process_exec = clock_process_exec,
};
