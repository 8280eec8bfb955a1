/* The agent's host side: numamma injects the agent (agent/) into the
 * program, hooks its allocators with jumps to it, tells it where the
 * modules' unwind data lie, and drains its ring into alloc_events.
 *
 * Loading: an injected memfd_create, the memfd mapped by the program
 * (code read-execute, then the data region read-write) and by numamma
 * through /proc/PID/fd/N; the program's descriptor is closed again.  The
 * program's environment, files and libraries are untouched.
 *
 * The agent never blocks the program on a numamma that is gone: it
 * waits on a full ring only while numamma's heartbeat (written at each
 * drain) is fresh, then passes calls through.  Detach turns it off and
 * puts the original bytes back; the memfd stays mapped, as the scratch
 * pages do, for threads still returning through it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <asm/prctl.h>
#include <link.h>
#include <stddef.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <x86intrin.h>

#include "../../agent/agent_syms.h"
#include "agent_abi.h"
#include "agent_premap.h"
#include "breakpoint.h"
#include "db.h"
#include "elfsyms.h"
#include "error.h"
#include "hash.h"
#include "jmphook.h"
#include "launch.h"
#include "minheap.h"
#include "ownlimits.h"
#include "procmaps.h"
#include "syscall_chain.h"
#include "tracer_int.h"
#include "u64map.h"
#include "watchdog.h"

extern const uint8_t agent_blob[], agent_blob_end[];

#define CODE_SIZE ((uint64_t)AGENT_SYM_CTL)
#define MAP_SIZE (CODE_SIZE + AGENT_DATA_SIZE)
#define STALE_NS (10ULL * 1000 * 1000 * 1000)
#define DRAIN_MAX (1u << 16)            /* slots per drain, then others' turn */
#define DRAIN_RELEASE 4096              /* slots read before room is given back */
#define RECENTLY_BUSY_NS (100 * 1000 * 1000ULL)
#define BURST 64                        /* records in one drain */
#define LOOK_AHEAD 8                    /* records */
#define FDE_TABLES 8                    /* modules without .eh_frame_hdr, per process */

/* The FDE table built for a module without .eh_frame_hdr: the module
 * (its file_key() and start), the table's place in the program and its
 * entries. */
struct fde_table {
	uint64_t file, start, at, n;
};

struct agent_proc {
	uint8_t *base;          /* numamma's view of the memfd */
	struct agent_ctl *ctl;
	uint64_t remote;        /* the program's view */
	int nr_hooks;
	struct jmphook hooks[AGENT_MAX_HOOKS];
	uint64_t exe_key;       /* its executable's file_key() */
	uint64_t published_modules;     /* modules_key() of the published list */
	/* bit g % 64 of word g / 64: ring g has had an owner (rings 1..) */
	uint64_t rings_taken[(AGENT_RINGS + 63) / 64];
	struct agent_premap premap;     /* the program's pages numamma mapped */
	uint32_t stacks_sent;   /* stack records read... */
	uint32_t stacks_new;    /* ...of stacks the profile had not (two threads may send one) */
	uint32_t doorbells;     /* heard (-v) */
	uint32_t place_stops;   /* run: stops for a block to place... */
	uint32_t spared;        /* ...and the stacks spared them since, */
	uint32_t placing;       /* those whose blocks the agent places since, */
	uint32_t agent_placed;  /* and the blocks it placed, */
	uint32_t agent_checked; /* then checked (-v) */
	bool fell_behind;       /* recording was resumed once (resume_recording()) */
	/* Processes that share the region (agent_share()), and whether any
	 * ever did. */
	uint32_t sharers;
	bool shared;
	uint64_t filters_seen_ns;       /* its seccomp filters last counted... */
	int filters;                    /* ...that many (agent_check_calls()) */
	/* The event each call is handed on in: fields a call does not set
	 * stay zero for good (zeroing the whole of it at each call was a
	 * tenth of the drain's instructions). */
	struct nm_event call;
	/* numamma's memfd of the region, kept open for a fork child to map
	 * at its first call (agent_fork_ahead()); -1: none. */
	int memfd;
	struct fde_table fde_tables[FDE_TABLES];
	int nr_fde_tables;
};

/* ---- time: the agent stamps records with rdtsc ---- */

static struct {
	uint64_t tsc0, ns0, refined_tsc;
	double ns_per_tick;
} clk;

/* A TSC and the clock read at once: the TSC halfway through the
 * closest of a few tries.  In a VM an exit between the two reads (a
 * microsecond or more) would shift every record's time by it until the
 * next refinement. */
static void clock_pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;

	*tsc = *ns = 0;
	for (int i = 0; i < 3; i++) {
		uint64_t before = __rdtsc(), t = now_ns(), after = __rdtsc();

		if (after - before < best) {
			best = after - before;
			*tsc = before + best / 2;
			*ns = t;
		}
	}
}

/* The baseline starts with the tracer (agent_clock_start()), so that by
 * the first agent's setup, after the program's exec, the millisecond it
 * needs has mostly passed: the program no longer waits for it. */
void agent_clock_start(void)
{
	if (clk.ns0)
		return;
	clock_pair(&clk.tsc0, &clk.ns0);
}

static void clock_init(void)
{
	uint64_t ns, tsc;

	if (clk.ns_per_tick > 0)
		return;
	agent_clock_start();
	while (now_ns() - clk.ns0 < 1000000)
		;
	clock_pair(&tsc, &ns);
	clk.ns_per_tick = (double)(ns - clk.ns0) / (double)(tsc - clk.tsc0);
}

/* The longer the baseline, the better the rate; and the rate through a
 * recent reading follows the clock where it strays from a straight line
 * (a guest's kvm-clock: a microsecond in tens of milliseconds), so it is
 * taken again each millisecond. */
static void clock_refine(void)
{
	uint64_t ns, tsc;

	if (clk.ns_per_tick <= 0 || (double)(__rdtsc() - clk.refined_tsc) * clk.ns_per_tick < 1e6)
		return;
	clock_pair(&tsc, &ns);
	clk.refined_tsc = tsc;
	if (ns - clk.ns0 > 100000000 && tsc > clk.tsc0)
		clk.ns_per_tick = (double)(ns - clk.ns0) / (double)(tsc - clk.tsc0);
}

static uint64_t tsc_ns(uint64_t tsc)
{
	return clk.ns0 + (int64_t)((double)(int64_t)(tsc - clk.tsc0) * clk.ns_per_tick);
}

/* ---- the module list: where the agent finds unwind data ---- */

static int by_start(const void *a, const void *b)
{
	const struct loaded_module *x = *(struct loaded_module *const *)a;
	const struct loaded_module *y = *(struct loaded_module *const *)b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static struct agent_module *module_space(struct agent_ctl *c)
{
	return (struct agent_module *)((uint8_t *)c + AGENT_OFF_MODULES);
}

/* The region's pages numamma is about to write, faulted in by one call
 * (best effort: before Linux 5.14 they fault one by one, as before).  A
 * fresh shared page's first write is a trap each in a VM, 11-23 us: the
 * agent's code and control pages at an exec, the control and module
 * pages copied for a fork child (0.09-0.16 ms of each fork). */
static void populate(void *at, size_t len)
{
	uintptr_t start = (uintptr_t)at & ~(uintptr_t)4095;
	uintptr_t end = ((uintptr_t)at + len + 4095) & ~(uintptr_t)4095;

	madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}

/* Which files are loaded where: FNV-1a over the paths and biases, in
 * load address order. */
static uint64_t modules_key(const struct loaded_module *const *mods, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		for (const char *c = mods[i]->path; *c; c++)
			h = (h ^ (uint8_t)*c) * 0x100000001b3ULL;
		h = (h ^ mods[i]->bias) * 0x100000001b3ULL;
	}
	return h | 1;
}

/* A file's key: its identity's (build id, or path and size), so that
 * ids made with it (struct agent_module's id_delta) are the same in every
 * process that maps the file; never 0. */
static uint64_t file_key(const struct loaded_module *m)
{
	uint64_t h = m->elf ? elfmod_identity_key(m->elf) : hash_module_name(m->path);

	return h > 1 && h != UINT64_MAX ? h : 2;
}

/* Pairs kept under a key of a map (an executable's stacks, a file's
 * unwind rules), for the next processes. */
struct learnt {
	uint64_t (*v)[2];
	size_t n, cap;
};

static struct learnt *learnt_of(struct u64map *map, uint64_t key, bool create)
{
	const struct u64map_slot *s = u64map_find(map, key);
	struct learnt *l;

	if (s || !create)
		return s ? (struct learnt *)(uintptr_t)s->a : NULL;
	l = xcalloc(1, sizeof(*l));
	u64map_put(map, key, (uintptr_t)l, 0);
	return l;
}

static void learn(struct u64map *map, uint64_t key, uint64_t a, uint64_t b)
{
	struct learnt *l = learnt_of(map, key, true);

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n][0] = a;
	l->v[l->n++][1] = b;
}

/* One of the sets in ap's region (at off: AGENT_OFF_STACKSET, _PLACED, _SPARED). */
static uint64_t *agent_set(struct agent_proc *ap, uint64_t off)
{
	return (uint64_t *)((uint8_t *)ap->ctl + off);
}

static struct agent_fde *fde_space(struct agent_ctl *c)
{
	return (struct agent_fde *)((uint8_t *)c + AGENT_OFF_FDES);
}

static int by_fde_start(const void *a, const void *b)
{
	const struct agent_fde *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The FDEs of m's .eh_frame (a copy at eh, loaded at at) that describe
 * its own code, sorted, at out; how many. */
static uint64_t read_fdes(const struct loaded_module *m, const uint8_t *eh, uint64_t size,
			  uint64_t at, struct agent_fde *out, uint64_t max)
{
	uint64_t n = agent_cfi_fdes(eh, size, at, out, max), kept = 0;

	for (uint64_t i = 0; i < n; i++)
		if (out[i].start >= m->start && out[i].start < m->end)
			out[kept++] = out[i];
	qsort(out, kept, sizeof(*out), by_fde_start);
	return kept;
}

/* The table of m's FDEs in the region, built at the module's first
 * publication in the process, for a module without .eh_frame_hdr (gcc
 * has ld write none for a static link): else the agent finds no rule in
 * it, and stacks end at their first frame.  NULL when its .eh_frame
 * cannot be read or there is no room. */
static const struct fde_table *fde_table(struct agent_proc *ap, const struct loaded_module *m,
					 uint64_t eh_at, uint64_t eh_size)
{
	struct agent_ctl *c = ap->ctl;
	struct fde_table *t = ap->fde_tables;
	struct agent_fde *out = fde_space(c) + c->fdes_used;
	const uint8_t *eh;
	size_t size;
	uint64_t max;

	for (int i = 0; i < ap->nr_fde_tables; i++)
		if (t[i].file == file_key(m) && t[i].start == m->start)
			return &t[i];
	eh = elfmod_section_data(m->elf, ".eh_frame", &size);
	/* An FDE takes 16 bytes or more. */
	max = size / 16 < AGENT_FDE_SPACE - c->fdes_used ? size / 16 : AGENT_FDE_SPACE - c->fdes_used;
	if (!eh || size != eh_size || !max || ap->nr_fde_tables == FDE_TABLES)
		return NULL;
	populate(out, max * sizeof(*out));
	t += ap->nr_fde_tables++;
	*t = (struct fde_table){ file_key(m), m->start,
				 ap->remote + CODE_SIZE + AGENT_OFF_FDES + c->fdes_used * sizeof(*out),
				 read_fdes(m, eh, size, eh_at, out, max) };
	c->fdes_used += t->n;
	debug("%s: no .eh_frame_hdr: a table of its %llu FDEs", m->path, (unsigned long long)t->n);
	return t;
}

/* A module's .eh_frame_hdr (or numamma's table) and .eh_frame where the
 * loader mapped them; without them, code of the module ends a walk. */
static struct agent_module module_entry(struct agent_proc *ap, const struct loaded_module *m)
{
	struct agent_module e = { .start = m->start, .end = m->end,
				  .wrapper = hooks_wrapper_module(m->path),
				  .id_delta = file_key(m) - m->bias };
	const struct fde_table *t;
	uint64_t hdr, hdr_size, eh, eh_size;

	if (!m->elf || !elfmod_section_range(m->elf, ".eh_frame", &eh, &eh_size))
		return e;
	e.eh_frame = eh + m->bias;
	e.eh_frame_end = e.eh_frame + eh_size;
	if (elfmod_section_range(m->elf, ".eh_frame_hdr", &hdr, &hdr_size)) {
		e.eh_hdr = hdr + m->bias;
		e.eh_hdr_end = e.eh_hdr + hdr_size;
	} else if ((t = fde_table(ap, m, e.eh_frame, eh_size))) {
		e.eh_hdr = t->at;
		e.eh_hdr_end = t->at + t->n * sizeof(struct agent_fde);
		e.fde_table = 1;
	}
	return e;
}

/* The wrapper functions hooks found (they only add to them), for the
 * agent to count its walks' frames as hooks_user_frames() does. */
static void publish_wrappers(struct proc *p)
{
	struct agent_ctl *c = p->agent->ctl;
	uint32_t n = (uint32_t)p->nr_wrappers < AGENT_MAX_WRAPPERS ? (uint32_t)p->nr_wrappers
								   : AGENT_MAX_WRAPPERS;

	for (uint32_t i = c->nr_wrappers; i < n; i++) {
		c->wrappers[i].start = p->wrappers[i].start;
		c->wrappers[i].end = p->wrappers[i].end;
	}
	__atomic_store_n(&c->nr_wrappers, n, __ATOMIC_RELEASE);
}

/* The doublings (from steps) that make the agent's table t (AGENT_T_*)
 * hold entries, as far as its reserved size allows. */
static uint32_t doublings_for(int t, uint64_t entries, uint32_t steps)
{
	while (((uint64_t)agent_table_smallest[t] << steps) < entries &&
	       ((uint64_t)agent_table_smallest[t] << steps) < agent_table_largest[t])
		steps++;
	return steps;
}

/* The unwind rules earlier processes computed for the files p maps, put
 * in its cache for the module list just published; the agent computes
 * only the others.  The cache is filled an eighth full: with two ways a
 * set, hardly a rule evicts another (direct-mapped, 6% did; at half
 * full, a third).  At most a quarter of its largest size is written: LLVM's
 * rules are not all written at each of rustc's starts. */
static void prefill_rules(struct tracer *tr, struct proc *p)
{
	struct agent_ctl *c = p->agent->ctl;
	struct agent_ipcache *table = (struct agent_ipcache *)((uint8_t *)c + AGENT_OFF_IPCACHE);
	uint32_t steps = c->growth.steps[AGENT_T_IPCACHE];
	uint64_t gen = agent_rules_gen(c->modules), size, total = 0;

	for (size_t i = 0; i < p->mods.n; i++) {
		const struct learnt *l = learnt_of(&tr->agent_file_rules, file_key(&p->mods.v[i]), false);

		total += l ? l->n : 0;
	}
	if (!total)
		return;
	steps = doublings_for(AGENT_T_IPCACHE, 8 * total, steps);
	size = (uint64_t)AGENT_IPCACHE_MIN << steps;
	if (total > size / 4)
		total = size / 4;
	/* Spread by hash, an eighth full: every page of the table is
	 * written. */
	populate(table + size - AGENT_IPCACHE_MIN, size * sizeof(*table));
	for (size_t i = 0, written = 0; i < p->mods.n && written < total; i++) {
		const struct loaded_module *m = &p->mods.v[i];
		const struct learnt *l = learnt_of(&tr->agent_file_rules, file_key(m), false);

		for (size_t k = 0; l && k < l->n && written < total; k++, written++) {
			uint64_t ip = m->bias + l->v[k][0];

			if (ip >= m->start && ip < m->end)
				agent_ipcache_put(agent_ipcache_at(table, size, ip), ip,
						  l->v[k][1] | gen << 56);
		}
	}
	c->growth.steps[AGENT_T_IPCACHE] = steps;
	c->growth.fills[AGENT_T_IPCACHE] = (uint32_t)total;
	debug("process %d: %llu unwind rules known", p->pid, (unsigned long long)total);
}

/* Writes the list of modules after the one in use, then publishes it with
 * one store.  The agent reads each module's unwind data in place, for the
 * return addresses it meets (agent/cfi.c): nothing is built per module.
 * The loader stops the program twice per dlopen (and at start-up) with
 * the same modules: the list is not written again then. */
void agent_modules(struct tracer *tr, struct proc *p)
{
	struct agent_proc *ap = p->agent;
	const struct loaded_module **mods;
	uint64_t first, key;
	uint32_t n = 0;
	struct agent_module *out;

	if (!ap || !ap->nr_hooks)
		return;
	publish_wrappers(p);
	first = (ap->ctl->modules >> 32) + (uint32_t)ap->ctl->modules;
	if (first + AGENT_MODULES_MAX > AGENT_MODULE_SPACE)
		first = 0;
	out = module_space(ap->ctl) + first;
	mods = xcalloc(p->mods.n + 1, sizeof(*mods));
	populate(out, (p->mods.n < AGENT_MODULES_MAX ? p->mods.n : AGENT_MODULES_MAX) * sizeof(*out));
	for (size_t i = 0; i < p->mods.n; i++)
		mods[i] = &p->mods.v[i];
	qsort(mods, p->mods.n, sizeof(*mods), by_start);
	key = modules_key(mods, p->mods.n);
	if (key != ap->published_modules) {
		for (size_t i = 0; i < p->mods.n && n < AGENT_MODULES_MAX; i++)
			out[n++] = module_entry(ap, mods[i]);
		__atomic_store_n(&ap->ctl->modules, first << 32 | n, __ATOMIC_RELEASE);
		ap->published_modules = key;
		debug("process %d: %u modules published", p->pid, n);
		/* At the exec the loader alone runs, which calls no hooked
		 * allocator: the rules wait for its libraries. */
		if (p->mods.n > 2)
			prefill_rules(tr, p);
	}
	free(mods);
}

void agent_modules_withdraw(struct proc *p)
{
	struct agent_proc *ap = p->agent;
	uint64_t first;

	if (!ap)
		return;
	first = (ap->ctl->modules >> 32) + (uint32_t)ap->ctl->modules;
	if (first + AGENT_MODULES_MAX > AGENT_MODULE_SPACE)
		first = 0;
	__atomic_store_n(&ap->ctl->modules, first << 32, __ATOMIC_RELEASE);
	ap->published_modules = 0;
	debug("process %d: module list withdrawn (dlclose)", p->pid);
}

/* ---- loading ---- */


static long inject(struct tracer *tr, struct tcb *t, long nr, long a0, long a1, long a2,
		   long a3, long a4, long a5)
{
	const long args[6] = { a0, a1, a2, a3, a4, a5 };

	return inject_syscall(tr, t, nr, args);
}

static bool failed(long ret)
{
	return (ret < 0 && ret > -4096) || ret == INJECT_FAILED;
}

/* A new memfd in the program (its descriptor in *fd there) and mapped
 * here.  Returns numamma's view, or NULL. */
static uint8_t *new_memfd(struct tracer *tr, struct tcb *t, long *fd)
{
	static const char name[] = AGENT_MEMFD_NAME;
	struct proc *p = t->proc;
	char path[64];
	uint8_t *view = MAP_FAILED;
	int mine;

	if (!p->scratch || tracee_write(p, p->scratch + SCRATCH_DATA, name, sizeof(name)))
		return NULL;
	*fd = inject(tr, t, SYS_memfd_create, (long)(p->scratch + SCRATCH_DATA), MFD_CLOEXEC,
		     0, 0, 0, 0);
	if (failed(*fd))
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/fd/%ld", p->pid, *fd);
	mine = open(path, O_RDWR | O_CLOEXEC);
	if (mine >= 0 && ftruncate(mine, MAP_SIZE) == 0)
		view = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mine, 0);
	if (mine >= 0)
		close(mine);
	if (view == MAP_FAILED) {
		inject(tr, t, SYS_close, *fd, 0, 0, 0, 0, 0);
		return NULL;
	}
	return view;
}

/* numamma's pid, asked once: every getpid() is a system call (glibc
 * caches none), and a VM's cost 10-20 us each at every fork and exec. */
static pid_t own_pid(void)
{
	static pid_t pid;

	if (!pid)
		pid = getpid();
	return pid;
}

/* Does pid see numamma's pid as numamma does?  Not from another pid
 * namespace (a container's): the doorbell would signal whoever has that
 * number there. */
static bool same_pid_namespace(pid_t pid)
{
	static struct stat own;         /* numamma's, asked once */
	static int own_known;
	char path[64];
	struct stat its;

	if (!own_known)
		own_known = stat("/proc/self/ns/pid", &own) == 0 ? 1 : -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	return own_known > 0 && stat(path, &its) == 0 && own.st_dev == its.st_dev &&
	       own.st_ino == its.st_ino;
}

/* A region's token: which one a fork child's agent has mapped. */
static uint64_t next_token(struct tracer *tr)
{
	return ++tr->agent_tokens;
}

static void init_ctl(struct tracer *tr, struct agent_ctl *c, pid_t pid, uint64_t scratch)
{
	int frames = tr->cfg.call_depth + 7;

	c->version = AGENT_ABI_VERSION;
	c->max_frames = frames < AGENT_MAX_FRAMES ? frames : AGENT_MAX_FRAMES;
	/* Smaller, a block holds no whole page (placement.c's ranges). */
	c->place_min = tr->cfg.place_blocks ? (uint64_t)sysconf(_SC_PAGESIZE) : 0;
	c->call_depth = (uint32_t)tr->cfg.call_depth;
	c->stale_tsc = (uint64_t)(STALE_NS / clk.ns_per_tick);
	c->spin_tsc = (uint64_t)(1e6 / clk.ns_per_tick);
	c->heartbeat_tsc = __rdtsc();
	c->doorbell_pid = same_pid_namespace(pid) ? own_pid() : 0;
	c->doorbell_fill = AGENT_DOORBELL_IDLE;
	c->owner_at = scratch + SCRATCH_OWNER;
	c->owner_arm = 1;       /* agent_check_calls() may say otherwise */
	c->tracer_euid = geteuid();
	c->tracer_egid = getegid();
	c->token = next_token(tr);
	for (int maps = 0; maps < 2; maps++)
		if (tr->agent_kinds_decided[maps])
			c->kinds[maps] = (struct agent_placing){ 1, tr->agent_kinds[maps].nodemask,
								 tr->agent_kinds[maps].mode };
	__atomic_store_n(&c->state, AGENT_ON, __ATOMIC_RELEASE);
}

/* Is the agent's code at at, executable, in pid's maps?  An injected
 * call's result cannot be the only proof: t0600 (attach/detach cycles
 * under ASan, SIGUSR1s flying) saw an injection report another call's
 * result (an mmap "returning" fd 9), and threads then jumped into the
 * agent's code mapped read-write only and died of SIGSEGV. */
static bool code_mapped(pid_t pid, uint64_t at)
{
	struct map_list maps = { 0 };
	const struct map_entry *m;
	bool ok;

	procmaps_read(pid, &maps);
	m = procmaps_find(&maps, at);
	ok = m && m->start == at && m->end == at + CODE_SIZE && m->perms[2] == 'x';
	procmaps_free(&maps);
	return ok;
}

/* The region the program mapped at at is the agent's, once its code is
 * seen mapped executable there.  What a sampler sees in it is numamma's
 * doing, not the program's. */
static int take_region(struct tracer *tr, struct tcb *t, struct agent_proc *ap, long at)
{
	if (failed(at))
		return -1;
	if (!code_mapped(t->proc->pid, (uint64_t)at)) {
		debug("process %d: the agent's code is not mapped executable at %#lx", t->proc->pid, at);
		return -1;
	}
	ap->remote = (uint64_t)at;
	t->proc->agent_start = (uint64_t)at;
	t->proc->agent_end = (uint64_t)at + MAP_SIZE;
	tracer_emit(tr, &(struct nm_event){ .kind = EV_AGENT_REGION, .pid = t->proc->pid,
		    .object = &(struct nm_object){ .addr = (uint64_t)at, .size = MAP_SIZE } });
	return 0;
}

/* One mmap of numamma's memfd by the program; addr AT_FIRST: where the
 * first one went. */
struct memfd_mapping {
	long addr, len;
	int prot, flags;
	long offset;
};
#define AT_FIRST (-1L)

/* The calls that map numamma's memfd, by its /proc path at path_at,
 * into the program: it opens it, makes the n mappings, closes it (its own
 * memfd_create, mmaps and close took a stop each).  How many. */
static int memfd_calls(uint64_t path_at, const struct memfd_mapping *map, int n,
		       struct chain_call *calls)
{
	int k = 1;

	/* openat, the call glibc makes for open(): a seccomp filter that
	 * allows only what the program makes has it. */
	calls[0] = (struct chain_call){ SYS_openat, { AT_FDCWD, (long)path_at, O_RDWR | O_CLOEXEC }, 0 };
	for (int i = 0; i < n; i++, k++) {
		bool at_first = map[i].addr == AT_FIRST;

		/* fd: the open's result (call 0); addr: the first mmap's. */
		calls[k] = (struct chain_call){ SYS_mmap, { at_first ? 1 : map[i].addr, map[i].len,
				map[i].prot, map[i].flags, 0, map[i].offset }, 1u << 4 | at_first };
	}
	calls[k++] = (struct chain_call){ SYS_close, { 0 }, 1 };
	return k;
}

/* From memfd_calls()' results: the first mapping's address, or the
 * first failed() value (a program that may not open numamma's files,
 * its user changed, fails at once), a partial failure unmapped. */
static long memfd_mapped(struct tracer *tr, struct tcb *t, const long *ret,
			 const struct memfd_mapping *map, int n)
{
	for (int i = 0; i <= n; i++)
		if (failed(ret[i])) {
			if (i > 1)
				inject(tr, t, SYS_munmap, ret[1], map[0].len, 0, 0, 0, 0);
			return ret[i];
		}
	return ret[1];
}

static void memfd_path(char *path, size_t size, int fd)
{
	snprintf(path, size, "/proc/%d/fd/%d", own_pid(), fd);
}

/* Maps numamma's memfd fd into the program in one stop, the path in the
 * scratch page.  As memfd_mapped() returns. */
static long map_numamma_memfd(struct tracer *tr, struct tcb *t, int fd,
			      const struct memfd_mapping *map, int n)
{
	uint64_t path_at = t->proc->scratch + SCRATCH_DATA;
	struct chain_call calls[CHAIN_MAX];
	long ret[CHAIN_MAX];
	char path[64];
	int k;

	memfd_path(path, sizeof(path), fd);
	if (n > CHAIN_MAX - 2 || tracee_write(t->proc, path_at, path, strlen(path) + 1))
		return -EINVAL;
	k = memfd_calls(path_at, map, n, calls);
	if (inject_chain(tr, t, calls, k, ret) < 0)
		return INJECT_FAILED;
	return memfd_mapped(tr, t, ret, map, n);
}

/* ---- regions made and unmade while numamma waits ---- */

/* Making a region (a memfd, its mapping here, its first pages faulted
 * in) and unmapping an ended one's (0.12 ms here: its pages and the
 * memfd freed) were work done in a stop, the program waiting: at each
 * fork and exec, and at the stop after each end (a shell's SIGCHLD).
 * Now the next process's region is made while numamma waits, and ended
 * ones unmapped then. */
#define ENDED_MAX 64
static struct {
	uint8_t *base;          /* the next region, made ready (NULL: none) */
	int fd;
	uint8_t *ended[ENDED_MAX];      /* regions of ended processes, to unmap */
	int nended;
} spare = { .fd = -1 };

static void release_region(uint8_t *base)
{
	if (spare.nended < ENDED_MAX)
		spare.ended[spare.nended++] = base;
	else
		munmap(base, MAP_SIZE);
}

static uint8_t *make_region(int *fd);

bool agent_idle(struct tracer *tr)
{
	if (spare.nended) {
		/* A few at a time (0.12 ms each): a stop is not kept waiting
		 * for a storm's. */
		for (int i = 0; i < 4 && spare.nended; i++)
			munmap(spare.ended[--spare.nended], MAP_SIZE);
		return true;
	}
	if (spare.base || !tr->agent_used)
		return false;
	spare.base = make_region(&spare.fd);
	/* The pages every region's set-up writes: the code (an exec's) and
	 * the control pages. */
	if (spare.base)
		madvise(spare.base, CODE_SIZE + AGENT_CTL_SIZE, MADV_POPULATE_WRITE);
	return spare.base != NULL;
}

void agent_regions_end(void)
{
	while (spare.nended)
		munmap(spare.ended[--spare.nended], MAP_SIZE);
	if (spare.base) {
		munmap(spare.base, MAP_SIZE);
		close(spare.fd);
	}
	spare.base = NULL;
	spare.fd = -1;
}

/* numamma's memfd of the agent's region, mapped here (NULL: none): the
 * one made ready, else a new one. */
static uint8_t *numamma_memfd(int *fd)
{
	uint8_t *view = spare.base;

	if (view) {
		*fd = spare.fd;
		spare.base = NULL;
		spare.fd = -1;
		return view;
	}
	return make_region(fd);
}

static uint8_t *make_region(int *fd)
{
	uint8_t *view = MAP_FAILED;

	*fd = memfd_create(AGENT_MEMFD_NAME, MFD_CLOEXEC);
	if (*fd < 0)
		return NULL;
	if (ftruncate(*fd, MAP_SIZE) == 0)
		view = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (view == MAP_FAILED) {
		close(*fd);
		return NULL;
	}
	return view;
}

/* The program's own memfd (new_memfd()), mapped with an injected call
 * each, then closed: for a program that may not open numamma's.  As
 * map_numamma_memfd() returns. */
static long map_own_memfd(struct tracer *tr, struct tcb *t, struct agent_proc *ap,
			  const struct memfd_mapping *map, int n)
{
	long fd, first = 0;

	ap->base = new_memfd(tr, t, &fd);
	if (!ap->base)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		long at = inject(tr, t, SYS_mmap, map[i].addr == AT_FIRST ? first : map[i].addr,
				 map[i].len, map[i].prot, map[i].flags, fd, map[i].offset);

		if (failed(at)) {
			if (i)
				inject(tr, t, SYS_munmap, first, map[0].len, 0, 0, 0, 0);
			first = at;
			break;
		}
		if (!i)
			first = at;
	}
	inject(tr, t, SYS_close, fd, 0, 0, 0, 0, 0);
	return first;
}

/* The /proc/PID/map_files name of pid's mapping m. */
static void map_files_path(char *path, size_t size, pid_t pid, const struct map_entry *m)
{
	snprintf(path, size, "/proc/%d/map_files/%llx-%llx", (int)pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
}

/* numamma's view of the program's shared memory at at (its mapping's
 * offset off in the region), opened through /proc/PID/map_files: a
 * region's size reserved, that memory over its part.  NULL where the
 * kernel refuses (map_files wants CAP_SYS_ADMIN or, from Linux 5.9,
 * CAP_CHECKPOINT_RESTORE). */
static uint8_t *view_of_shared(pid_t pid, uint64_t at, long off, long len)
{
	struct map_list maps = { 0 };
	const struct map_entry *m;
	uint8_t *base = MAP_FAILED;
	char path[96];
	int fd = -1;

	procmaps_read(pid, &maps);
	m = procmaps_find(&maps, at);
	if (m && m->start == at) {
		map_files_path(path, sizeof(path), pid, m);
		fd = open(path, O_RDWR | O_CLOEXEC);
	}
	procmaps_free(&maps);
	if (fd >= 0)
		base = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
			    MAP_NORESERVE, -1, 0);
	if (base != MAP_FAILED &&
	    mmap(base + off, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
		munmap(base, MAP_SIZE);
		base = MAP_FAILED;
	}
	if (fd >= 0)
		close(fd);
	return base == MAP_FAILED ? NULL : base;
}

/* May numamma open pid's mappings through /proc/PID/map_files?  Asked of
 * its first file's before a mapping is made that could not be opened:
 * one made over another (a fork child's data region) would leave a hole
 * where the child's agent writes (a non-dumpable program's child, numamma
 * not root). */
static bool map_files_open(pid_t pid)
{
	struct map_list maps = { 0 };
	bool ok = false;
	char path[96];

	procmaps_read(pid, &maps);
	for (size_t i = 0; i < maps.n && !ok; i++) {
		int fd;

		if (maps.v[i].path[0] != '/')
			continue;
		map_files_path(path, sizeof(path), pid, &maps.v[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
		close(fd);
		ok = true;
	}
	procmaps_free(&maps);
	return ok;
}

/* The program's own anonymous shared memory, for a program whose seccomp
 * filter refuses both memfd_create and opening a file for writing (man's
 * sandbox, which the programs of its pipelines inherit: each of their
 * allocator calls was a trap).  The mappings after the first are parts
 * of it, given their protection.  As map_numamma_memfd() returns. */
static long map_anon_shared(struct tracer *tr, struct tcb *t, struct agent_proc *ap,
			    const struct memfd_mapping *map, int n)
{
	long at;

	if (!map_files_open(t->proc->pid))
		return -EPERM;
	at = inject(tr, t, SYS_mmap, map[0].addr, map[0].len, PROT_READ | PROT_WRITE,
		    map[0].flags | MAP_ANONYMOUS, -1, 0);
	for (int i = 1; i < n && !failed(at); i++) {
		long r = map[i].addr != AT_FIRST || map[i].offset != map[0].offset ? -EINVAL :
			 inject(tr, t, SYS_mprotect, at, map[i].len, map[i].prot, 0, 0, 0);

		if (failed(r)) {
			inject(tr, t, SYS_munmap, at, map[0].len, 0, 0, 0, 0);
			at = r;
		}
	}
	if (failed(at))
		return at;
	ap->base = view_of_shared(t->proc->pid, (uint64_t)at, map[0].offset, map[0].len);
	if (!ap->base) {
		inject(tr, t, SYS_munmap, at, map[0].len, 0, 0, 0, 0);
		return -EPERM;
	}
	return at;
}

/* The mappings of a region of the agent in the program, and numamma's
 * view of it in ap->base (NULL on failure): numamma's memfd (one stop),
 * else the program's own (a stop per call), else its anonymous shared
 * memory.  As map_numamma_memfd() returns. */
static long map_memfd(struct tracer *tr, struct tcb *t, struct agent_proc *ap,
		      const struct memfd_mapping *map, int n)
{
	long at;
	int fd;

	ap->base = numamma_memfd(&fd);
	if (ap->base) {
		at = map_numamma_memfd(tr, t, fd, map, n);
		close(fd);
		if (!failed(at))
			return at;
		debug("process %d: numamma's memfd not mapped (%ld): the program's own instead",
		      t->proc->pid, at);
		munmap(ap->base, MAP_SIZE);
	}
	at = map_own_memfd(tr, t, ap, map, n);
	if (failed(at) && ap->base) {
		munmap(ap->base, MAP_SIZE);
		ap->base = NULL;
	}
	if (failed(at)) {
		debug("process %d: no memfd of its own (%ld): anonymous shared memory instead",
		      t->proc->pid, at);
		at = map_anon_shared(tr, t, ap, map, n);
	}
	return at;
}

/* The agent's region: read-write, its code part executable. */
static const struct memfd_mapping region[] = {
	{ 0, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 0 },
	{ AT_FIRST, CODE_SIZE, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, 0 },
};
#define REGION_MAPPINGS 2

static int map_region(struct tracer *tr, struct tcb *t, struct agent_proc *ap)
{
	if (take_region(tr, t, ap, map_memfd(tr, t, ap, region, REGION_MAPPINGS)) == 0)
		return 0;
	if (ap->base)
		munmap(ap->base, MAP_SIZE);
	ap->base = NULL;
	return -1;
}

static struct agent_proc *agent_new(void)
{
	struct agent_proc *ap = xcalloc(1, sizeof(*ap));

	ap->memfd = -1;
	return ap;
}

static void agent_free(struct agent_proc *ap)
{
	if (ap->base)
		release_region(ap->base);
	if (ap->memfd >= 0)
		close(ap->memfd);
	free(ap);
}

/* An agent left by an earlier numamma (killed while attached) still
 * records into a ring nobody reads: it is turned off, its hooks then pass
 * calls through to whatever they displaced. */
static void turn_off_earlier(struct proc *p)
{
	for (size_t i = 0; i < p->mods.maps.n; i++) {
		const struct map_entry *m = &p->mods.maps.v[i];
		uint64_t ctl = m->end;          /* the data region follows the code */
		uint32_t version, off = AGENT_OFF;

		if (strncmp(m->path, AGENT_MAPS_PATH, strlen(AGENT_MAPS_PATH)) || m->perms[2] != 'x' ||
		    m->end - m->start != CODE_SIZE ||
		    tracee_read(p, ctl, &version, sizeof(version)) || version != AGENT_ABI_VERSION)
			continue;
		tracee_write(p, ctl + offsetof(struct agent_ctl, state), &off, sizeof(off));
	}
}

/* The process's address-space limit (ulimit -v, a batch system's memory
 * limit), 0 when it has none (or it cannot be read: a set-user-ID
 * program's). */
static uint64_t address_limit(pid_t pid)
{
	struct rlimit rl;

	if (prlimit(pid, RLIMIT_AS, NULL, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	return rl.rlim_cur;
}

/* The region is the program's address space: under a limit it leaves the
 * program that much less, and a program that fits alone could fail under
 * numamma (a python program's 190 MiB bytearray under ulimit -v 244 MiB
 * did).  auto catches such a process's calls with breakpoints instead;
 * agent, asked for, maps the region.  Said once a run. */
static void tell_address_limit(struct tracer *tr, pid_t pid, uint64_t limit, bool agent)
{
	if (tr->told_address_limit)
		return;
	tr->told_address_limit = true;
	if (agent) {
		warning("process %d has an address-space limit (ulimit -v, %llu MiB): the agent's "
			"region takes %llu MiB of it", pid, (unsigned long long)(limit >> 20),
			(unsigned long long)(MAP_SIZE >> 20));
		hint("--intercept=trap takes none (every allocator call then stops the program)");
		return;
	}
	warning("process %d has an address-space limit (ulimit -v, %llu MiB): its allocator calls are "
		"caught with breakpoints, slower, to leave all of it to the program", pid,
		(unsigned long long)(limit >> 20));
	hint("--intercept=agent is faster, and takes %llu MiB of the limit", (unsigned long long)(MAP_SIZE >> 20));
}

/* The set of stacks sent of a new process, filled with those its
 * executable's processes sent before (a quarter full at most: the agent
 * doubles it at half): it sends none of them again.  Each process of a
 * build's compiler sent 3,700 stacks its predecessors had sent. */
static void prefill_stacks(struct tracer *tr, pid_t pid, struct agent_proc *ap)
{
	const struct learnt *x = ap->exe_key ? learnt_of(&tr->agent_exe_stacks, ap->exe_key, false)
					      : NULL;
	uint64_t *set = agent_set(ap, AGENT_OFF_STACKSET), size;
	uint32_t steps = 0, filled = 0;

	if (!x || !x->n)
		return;
	steps = doublings_for(AGENT_T_STACKSET, 4 * x->n, 0);
	size = (uint64_t)AGENT_STACKSET_MIN << steps;
	populate(set + size - AGENT_STACKSET_MIN, size * sizeof(*set));     /* as the rules' */
	for (size_t i = 0; i < x->n && filled < size / 4; i++) {
		uint64_t *e = agent_stackset_slot(set, size, x->v[i][0]);

		if (e && !*e) {
			*e = x->v[i][0];
			filled++;
		}
	}
	ap->ctl->growth.steps[AGENT_T_STACKSET] = steps;
	ap->ctl->growth.fills[AGENT_T_STACKSET] = filled;
	debug("process %d: %u stacks known at its start", pid, filled);
}

static struct agent_placing *placing_table(struct agent_proc *ap)
{
	return (struct agent_placing *)((uint8_t *)ap->ctl + AGENT_OFF_PLACING);
}

/* Stack key's decision in ap's region: spared (how->mode 0), or placed
 * by the agent.  false: its set or table is full. */
static bool decide(struct agent_proc *ap, uint64_t key, const struct agent_placement *how)
{
	if (!how->mode)
		return agent_set_add(agent_set(ap, AGENT_OFF_SPARED), AGENT_SPARED, key);
	return agent_placing_add(placing_table(ap), AGENT_PLACING, key, how->mode, how->nodemask);
}

/* run: the spared and placing stacks of a new process, those its
 * executable's processes decided (its set and its table half full at
 * most): a build's every compiler would otherwise stop once for each of
 * its stacks. */
static void prefill_decided(struct tracer *tr, pid_t pid, struct agent_proc *ap)
{
	const struct learnt *x = ap->exe_key && ap->ctl->place_min
					 ? learnt_of(&tr->agent_exe_decided, ap->exe_key, false) : NULL;
	uint32_t spared = 0, placing = 0;

	for (size_t i = 0; x && i < x->n; i++) {
		uint64_t how = x->v[i][1];
		uint32_t *n = how ? &placing : &spared;

		if (*n < (how ? AGENT_PLACING : AGENT_SPARED) / 2)
			*n += decide(ap, x->v[i][0],
				     how ? &tr->agent_placements[how - 1] : &(struct agent_placement){ 0 });
	}
	if (spared || placing)
		debug("process %d: %u stacks spared, %u placing at its start", pid, spared, placing);
}

/* At an exec, the scratch page and the region mapped in one stop, the
 * memfd's path below the stack pointer.  *rode: the region was mapped
 * then, taken when ap->base is left set; else map_region() maps it (a
 * failed open: the program's own memfd).  Returns the scratch page. */
static uint64_t scratch_and_region(struct tracer *tr, struct tcb *t, struct agent_proc *ap,
				   bool *rode)
{
	struct chain_call calls[CHAIN_MAX];
	long ret[CHAIN_MAX], at;
	struct chain_rider rider = { calls, 0, ret, false };
	uint64_t path_at, page;
	char path[64];
	int fd;

	*rode = false;
	ap->base = numamma_memfd(&fd);
	if (!ap->base)
		return scratch_ensure(tr, t, t->proc->mods.v[0].start);
	memfd_path(path, sizeof(path), fd);
	if ((path_at = tracee_exec_data(t, path, strlen(path) + 1)))
		rider.n = memfd_calls(path_at, region, REGION_MAPPINGS, calls);
	page = scratch_ensure_with(tr, t, t->proc->mods.v[0].start, &rider);
	close(fd);
	at = rider.ran ? memfd_mapped(tr, t, ret, region, REGION_MAPPINGS) : -ENOENT;
	*rode = !failed(at);
	if (*rode && page && take_region(tr, t, ap, at) == 0)
		return page;
	/* Mapped, but no scratch page for the hooks: unmapped. */
	if (*rode && !page)
		inject(tr, t, SYS_munmap, at, MAP_SIZE, 0, 0, 0, 0);
	munmap(ap->base, MAP_SIZE);
	ap->base = NULL;
	return page;
}

static int setup(struct tracer *tr, struct tcb *t)
{
	struct proc *p = t->proc;
	struct agent_proc *ap = agent_new();
	bool rode = false;
	uint64_t page, limit;

	turn_off_earlier(p);
	if (!p->mods.n) {
		free(ap);
		return -1;
	}
	page = t->flags & TCB_AT_EXEC ? scratch_and_region(tr, t, ap, &rode)
				      : scratch_ensure(tr, t, p->mods.v[0].start);
	if (!page || (rode ? !ap->base : map_region(tr, t, ap) < 0)) {
		free(ap);
		return -1;
	}
	ap->ctl = (struct agent_ctl *)(ap->base + CODE_SIZE);
	populate(ap->base, CODE_SIZE + sizeof(*ap->ctl));
	/* Run by no thread before its hooks are written. */
	memcpy(ap->base, agent_blob, agent_blob_end - agent_blob);
	clock_init();
	init_ctl(tr, ap->ctl, p->pid, page);
	ap->exe_key = file_key(&p->mods.v[0]);
	prefill_stacks(tr, p->pid, ap);
	prefill_decided(tr, p->pid, ap);
	/* If numamma dies (attach mode), its watchdog turns the agent off. */
	_Static_assert(AGENT_OFF == 0, "the watchdog writes 0");
	watchdog_note_agent(p->pid, ap->remote + CODE_SIZE + offsetof(struct agent_ctl, state));
	p->agent = ap;
	tr->agent_used = true;
	if ((limit = address_limit(p->pid)))
		tell_address_limit(tr, p->pid, limit, true);
	return 0;
}

void agent_setup(struct tracer *tr, struct tcb *t)
{
	struct proc *p = t->proc;
	uint64_t limit;

	if (tr->cfg.intercept == INTERCEPT_TRAP || p->agent || p->agent_refused || p->ignored)
		return;
	if (tr->cfg.intercept == INTERCEPT_AUTO && (limit = address_limit(p->pid))) {
		tell_address_limit(tr, p->pid, limit, false);
		p->agent_refused = true;
		return;
	}
	if (setup(tr, t) < 0) {
		if (tr->cfg.intercept == INTERCEPT_AGENT)
			warning("process %d: the agent cannot be used (injection failed): "
				"intercepting with traps", p->pid);
		p->agent_refused = true;
		return;
	}
	for (int i = 0; i < TCB_HASH; i++)
		for (struct tcb *o = tr->tcb_hash[i]; o; o = o->next) {
			uint64_t tcb = o->proc == p ? tcb_address(o) : 0;

			/* Its reach as found at its first stop or exec. */
			if (tcb) {
				agent_name_thread(p, o->tid, tcb, o->reach);
			} else if (o->proc == p) {
				memcpy(p->agent->ctl->unnamed_stack, o->reach, sizeof(o->reach));
				p->agent->ctl->unnamed_tid = o->tid;
			}
		}
	agent_check_calls(p, t);
}

/* ---- hooking ---- */

/* Attach: a thread stopped inside the bytes about to be replaced goes on
 * in their relocated copy. */
static void move_stopped_threads(struct tracer *tr, struct proc *p, const struct jmphook *h)
{
	for (int i = 0; i < TCB_HASH; i++)
		for (struct tcb *o = tr->tcb_hash[i]; o; o = o->next) {
			struct user_regs_struct regs;
			uint64_t to;

			if (o->proc != p || tracee_getregs(o->tid, &regs))
				continue;
			to = jmphook_moved_rip(h, regs.rip);
			if (to) {
				regs.rip = to;
				tracee_setregs(o->tid, &regs);
			}
		}
}

static bool branch_inside(struct proc *p, const struct jmphook *h, uint64_t size)
{
	uint8_t *body;
	bool inside = true;

	if (size > (1 << 20))
		size = 1 << 20;
	body = xmalloc(size ? size : 1);
	if (size && tracee_read(p, h->addr, body, size) == 0)
		inside = jmphook_branch_inside(h, body, size);
	free(body);
	return inside && size;
}

/* (module, function) -> its branch_inside() answer, for the numamma
 * process's life: each process hooks the same libc, and decoding its
 * allocators' bodies at each exec was a twentieth of numamma's time on
 * programs made of short processes. */
static struct u64map branches_checked;

static bool branch_inside_known(struct proc *p, const struct loaded_module *m,
				const struct jmphook *h, uint64_t size)
{
	uint64_t vaddr = h->addr - m->bias;
	uint64_t key = (elfmod_identity_key(m->elf) ^ vaddr * 0x9e3779b97f4a7c15ULL) >> 1 | 1;
	const struct u64map_slot *s = u64map_find(&branches_checked, key);
	bool inside;

	if (s && s->a == vaddr && s->b >> 1 == size)
		return s->b & 1;
	inside = branch_inside(p, h, size);
	u64map_put(&branches_checked, key, vaddr, size << 1 | inside);
	return inside;
}

/* A module's hooks, written by agent_hooks_commit(): their copies of the
 * displaced instructions, which lie side by side in a scratch page, in a
 * write per run of them, then the jumps to them, a write per run of
 * pages (write_jumps()).  The copies first: a thread of the program may
 * be running (dlopen), and a jump must find its copy there. */
static struct {
	struct proc *p;
	int n;
	struct pending_hook {
		uint64_t addr, at;
		uint8_t slot[JMPHOOK_SLOT_SIZE], jmp[JMPHOOK_JMP_LEN];
	} h[AGENT_MAX_HOOKS];
} batch;

static int by_slot(const void *a, const void *b)
{
	const struct pending_hook *x = a, *y = b;

	return x->at < y->at ? -1 : x->at > y->at;
}

static int by_addr(const void *a, const void *b)
{
	const struct pending_hook *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The copies of batch.h[from..to), consecutive in the program's memory. */
static int write_slots(struct proc *p, int from, int to)
{
	uint8_t run[AGENT_MAX_HOOKS * JMPHOOK_SLOT_SIZE];

	for (int i = from; i < to; i++)
		memcpy(run + (size_t)(i - from) * JMPHOOK_SLOT_SIZE, batch.h[i].slot,
		       JMPHOOK_SLOT_SIZE);
	return tracee_write(p, batch.h[from].at, run, (size_t)(to - from) * JMPHOOK_SLOT_SIZE);
}

/* The jumps of batch.h[from..to), in address order, in one write: the
 * code between them read first and written back as it was. */
static int write_jump_run(struct proc *p, int from, int to)
{
	static uint8_t run[JMPHOOK_RUN_MAX];
	uint64_t start = batch.h[from].addr;
	size_t len = batch.h[to - 1].addr + JMPHOOK_JMP_LEN - start;

	if (to - from == 1 || tracee_read(p, start, run, len)) {
		for (int i = from; i < to; i++)
			if (tracee_write(p, batch.h[i].addr, batch.h[i].jmp, JMPHOOK_JMP_LEN))
				return -1;
		return 0;
	}
	for (int i = from; i < to; i++)
		memcpy(run + (batch.h[i].addr - start), batch.h[i].jmp, JMPHOOK_JMP_LEN);
	return tracee_write(p, start, run, len);
}

/* The jumps, a write per run of them (jmphook_run_length()): libc's
 * fifteen took fifteen writes at every exec (10-20 us each in a VM), now
 * four writes and three reads. */
static int write_jumps(struct proc *p)
{
	uint64_t addrs[AGENT_MAX_HOOKS];

	qsort(batch.h, (size_t)batch.n, sizeof(batch.h[0]), by_addr);
	for (int i = 0; i < batch.n; i++)
		addrs[i] = batch.h[i].addr;
	for (int i = 0, end; i < batch.n; i = end) {
		end = i + jmphook_run_length(addrs + i, batch.n - i);
		if (write_jump_run(p, i, end))
			return -1;
	}
	return 0;
}

void agent_hooks_commit(struct proc *p)
{
	int failed = 0;

	if (batch.p != p || !batch.n)
		return;
	qsort(batch.h, (size_t)batch.n, sizeof(batch.h[0]), by_slot);
	for (int i = 0, end; i < batch.n; i = end) {
		for (end = i + 1; end < batch.n &&
		     batch.h[end].at == batch.h[end - 1].at + JMPHOOK_SLOT_SIZE; end++)
			;
		if (write_slots(p, i, end))
			failed = -1;
	}
	if (!failed)
		failed = write_jumps(p);
	if (failed)
		warning("process %d: its allocators' hooks could not be written (%s): their calls "
			"go unrecorded", p->pid, strerror(errno));
	p->agent->ctl->nr_hooks = (uint32_t)p->agent->nr_hooks;
	batch.p = NULL;
	batch.n = 0;
}

static void queue(struct proc *p, uint64_t addr, uint64_t at, const uint8_t *slot,
		  const uint8_t *jmp)
{
	struct pending_hook *h;

	if (batch.p != p)
		agent_hooks_commit(batch.p);
	batch.p = p;
	h = &batch.h[batch.n++];
	h->addr = addr;
	h->at = at;
	memcpy(h->slot, slot, JMPHOOK_SLOT_SIZE);
	memcpy(h->jmp, jmp, JMPHOOK_JMP_LEN);
}

/* nothrow: the original the agent runs in this function's place (0: its
 * own). */
static int hook(struct tracer *tr, struct tcb *t, const struct loaded_module *m, uint64_t addr,
		uint64_t size, int fn, uint64_t nothrow)
{
	struct proc *p = t->proc;
	struct agent_proc *ap = p->agent;
	uint8_t code[32], slot[JMPHOOK_SLOT_SIZE], jmp[JMPHOOK_JMP_LEN];
	struct jmphook *h;
	const char *why = NULL;
	uint64_t at;

	if (!ap || (fn == FN_DL_DEBUG_STATE && !p->r_debug))
		return -1;
	/* Aliases (aligned_alloc and memalign): the first name hooks it. */
	for (int i = 0; i < ap->nr_hooks; i++)
		if (ap->hooks[i].addr == addr)
			return 0;
	/* The loader's allocators run before TLS exists, which the agent's
	 * thread table needs; its events' hook reads none. */
	if (ap->nr_hooks == AGENT_MAX_HOOKS || (modmap_is_loader(m) && fn != FN_DL_DEBUG_STATE) ||
	    bp_find(p->bps, addr) ||
	    tracee_read(p, addr, code, sizeof(code)) ||
	    !(at = xol_slot_near(tr, t, addr, JMPHOOK_SLOT_SIZE)))
		return -1;
	h = &ap->hooks[ap->nr_hooks];
	if (jmphook_prepare(h, addr, code, sizeof(code), at, ap->nr_hooks,
			    ap->remote + AGENT_SYM_ENTRY, slot, &why) < 0 ||
	    (branch_inside_known(p, m, h, size) && (why = "a branch into its first instructions"))) {
		debug("%s at %#lx: %s: trapped instead", alloc_fn_name(fn), (unsigned long)addr, why);
		return -1;
	}
	ap->ctl->hooks[ap->nr_hooks].fn = fn;
	ap->ctl->hooks[ap->nr_hooks].original = at + JMPHOOK_ORIGINAL;
	ap->ctl->hooks[ap->nr_hooks].nothrow = nothrow;
	if (fn == FN_DL_DEBUG_STATE)
		ap->ctl->r_state = p->r_debug + offsetof(struct r_debug, r_state);
	if (p->attached && !p->hooks_ready)
		move_stopped_threads(tr, p, h);
	jmphook_jump(h, jmp);
	queue(p, addr, at, slot, jmp);
	ap->nr_hooks++;
	return 0;
}

int agent_hook(struct tracer *tr, struct tcb *t, const struct loaded_module *m, uint64_t addr,
	       uint64_t size, int fn)
{
	return hook(tr, t, m, addr, size, fn, 0);
}

int agent_hook_new(struct tracer *tr, struct tcb *t, const struct loaded_module *m,
		   uint64_t addr, uint64_t size, int fn, uint64_t nothrow)
{
	struct agent_proc *ap = t->proc->agent;

	for (int i = 0; ap && i < ap->nr_hooks; i++)
		if (ap->hooks[i].addr == nothrow)
			return hook(tr, t, m, addr, size, fn, ap->ctl->hooks[i].original);
	return -1;
}

bool agent_loader_trap_at(const struct proc *p, uint64_t at)
{
	return p->agent && at == p->agent->remote + AGENT_SYM_LOADER_TRAP;
}

bool agent_call_trap_at(const struct proc *p, uint64_t at)
{
	return p->agent && at == p->agent->remote + AGENT_SYM_CALL_TRAP;
}

/* ---- draining ---- */

/* A stack's frames, for run mode's rules (config.alloc_frames): module
 * identities and offsets, the same in every process that sends it. */
struct stack_frames {
	int n;
	struct nm_frame v[];
};

static void keep_frames(struct tracer *tr, uint64_t hash, const struct nm_frame *frames, int n)
{
	struct stack_frames *kept = xmalloc(sizeof(*kept) + (size_t)n * sizeof(*frames));

	kept->n = n;
	memcpy(kept->v, frames, (size_t)n * sizeof(*frames));
	/* The module's path is its process's, gone with it; its identity
	 * (what rules match) is the run's. */
	for (int i = 0; i < n; i++)
		kept->v[i].path = "";
	u64map_put(&tr->agent_stack_frames, hash, (uint64_t)(uintptr_t)kept, 0);
}

/* The frames of the stack hash names, or NULL (none kept, or its record
 * is late). */
static const struct stack_frames *frames_of(struct tracer *tr, uint64_t hash)
{
	struct u64map_slot *s = hash && tr->cfg.alloc_frames ? u64map_find(&tr->agent_stack_frames, hash)
							      : NULL;

	return s ? (const struct stack_frames *)(uintptr_t)s->a : NULL;
}

/* A stack's hash is the same in every process (its frames' ids): one
 * named by any process is known to all. */
static void add_stack(struct tracer *tr, struct proc *p, struct agent_proc *ap, uint64_t hash,
		      const uint64_t *rets, int n)
{
	struct nm_frame frames[NM_MAX_FRAMES];
	int k;

	ap->stacks_sent++;
	if (u64map_find(&tr->agent_stacks, hash))
		return;
	ap->stacks_new++;
	k = hooks_user_frames(p, rets, n, tr->cfg.call_depth, frames);
	u64map_put(&tr->agent_stacks, hash, tr->db && k ? db_intern_callsite(tr->db, frames, k) : 0,
		   0);
	if (tr->cfg.alloc_frames && k)
		keep_frames(tr, hash, frames, k);
	if (ap->exe_key)
		learn(&tr->agent_exe_stacks, ap->exe_key, hash, 0);
}

/* The call site of a stack, and its word for the recorder (its slot's
 * b: valid until the next stack is added); 0 when not known yet (its
 * record is late). */
static int64_t callsite_of(struct tracer *tr, uint64_t hash, uint64_t **memo)
{
	struct u64map_slot *s = hash ? u64map_find(&tr->agent_stacks, hash) : NULL;

	*memo = s ? &s->b : NULL;
	return s ? (int64_t)s->a : 0;
}


static struct agent_rec *slot_at(struct agent_ctl *c, uint32_t ring, uint64_t pos)
{
	return (struct agent_rec *)((uint8_t *)c + AGENT_OFF_RING) +
	       agent_ring_first(ring) + (pos & (agent_ring_slots(ring) - 1));
}

static bool published(struct agent_ctl *c, uint32_t ring, uint64_t pos)
{
	return __atomic_load_n(&slot_at(c, ring, pos)->seq, __ATOMIC_ACQUIRE) ==
	       (uint32_t)(pos + 1);
}

/* Where a drain stands in one ring. */
struct cursor {
	uint64_t pos, end;      /* next slot; end: the head, in a final drain */
	uint64_t tsc;           /* of the record at pos, when ready */
	bool ready;             /* pos holds a whole record, not read yet */
	bool done;              /* nothing more to read this time */
};

/* The record after the call at cu when it is the same thread freeing
 * the block that call returned: a block used and freed between two of
 * its thread's calls (a malloc storm's, a temporary buffer's). */
static const struct agent_rec *freed_next(struct agent_ctl *c, uint32_t ring,
					  const struct cursor *cu, const struct agent_rec *r,
					  uint64_t addr)
{
	const struct agent_rec *next = slot_at(c, ring, cu->pos + 1);

	if (cu->pos + 1 >= cu->end || !published(c, ring, cu->pos + 1))
		return NULL;
	return next->type == AGENT_REC_CALL && alloc_fn_frees(next->fn) && next->tid == r->tid &&
	       next->args[0] == addr ? next : NULL;
}

/* Hands the call at cu to the recorder, with the free that follows it
 * when the tracer may pair them (one event instead of two, and no index
 * entry for a block nobody can ask about).  Returns the slots read. */
static uint32_t call_event(struct tracer *tr, struct proc *p, struct agent_proc *ap,
			   uint32_t ring, const struct cursor *cu, const struct agent_rec *r)
{
	struct alloc_call c = { .fn = r->fn, .args = { r->args[0], r->args[1], r->args[2] },
				.ret = r->ret, .out = r->args[0] };
	struct alloc_event ev;
	/* A vfork child writes into its parent's ring with its own tid. */
	struct tcb *t = tcb_find(tr, (pid_t)r->tid);
	const struct agent_rec *freed;
	const struct stack_frames *kept;

	if (!alloc_call_event(&c, p->page_size, &ev) || !tr->cfg.on_event)
		return 1;
	freed = tr->cfg.pair_frees && ev.op == AE_ALLOC && !ev.mapped ?
		freed_next(ap->ctl, ring, cu, r, ev.addr) : NULL;
	ev.pid = t ? t->proc->pid : p->pid;
	ev.tid = (int32_t)r->tid;
	ev.threaded = (t ? t->proc : p)->next_rank > 1;
	ev.ns = tsc_ns(r->tsc);
	ev.freed_ns = freed ? tsc_ns(freed->tsc) : 0;
	_Static_assert(AE_PLACED == AGENT_PLACED_BLOCK && AE_PLACE_FAILED == AGENT_PLACED_FAILED &&
		       AE_PLACED_FRESH == AGENT_PLACED_FRESH, "a record's placed bits are the event's");
	ev.callsite_id = callsite_of(tr, r->hash, &ev.site_memo);
	if ((ev.placed = r->nframes & (AGENT_PLACED_BLOCK | AGENT_PLACED_FAILED | AGENT_PLACED_FRESH)))
		ap->agent_placed++;
	if ((kept = frames_of(tr, r->hash))) {
		ev.frames = kept->v;
		ev.nframes = kept->n;
	}
	/* Not tracer_emit(): the call's time is the agent's, not now. */
	ap->call.kind = EV_ALLOC;
	ap->call.pid = ev.pid;
	ap->call.tid = ev.tid;
	ap->call.ns = ev.ns;
	ap->call.alloc = &ev;
	tr->cfg.on_event(tr->cfg.ctx, &ap->call);
	return freed ? 2 : 1;
}

/* A stack record and the slots of return addresses after it (a check
 * record and its nodes' counts alike); 0 while some are still being
 * written. */
static uint32_t read_stack(struct agent_ctl *c, uint32_t ring, uint64_t pos, uint64_t *rets,
			   int *n)
{
	const struct agent_rec *r = slot_at(c, ring, pos);
	uint32_t extra;

	*n = r->nframes < AGENT_MAX_FRAMES ? r->nframes : AGENT_MAX_FRAMES;
	extra = (*n + AGENT_IPS_PER_SLOT - 1) / AGENT_IPS_PER_SLOT;
	for (uint32_t s = 0; s < extra; s++) {
		const struct agent_rec_ips *x =
			(const struct agent_rec_ips *)slot_at(c, ring, pos + 1 + s);

		if (!published(c, ring, pos + 1 + s))
			return 0;
		for (int k = 0; k < AGENT_IPS_PER_SLOT && s * AGENT_IPS_PER_SLOT + k < (uint32_t)*n; k++)
			rets[s * AGENT_IPS_PER_SLOT + k] = x->ip[k];
	}
	return 1 + (r->nframes + AGENT_IPS_PER_SLOT - 1) / AGENT_IPS_PER_SLOT;
}

/* Wakes at most n of the threads waiting for room: as many as can use the
 * slots just freed.  Waking all of them at every drain made a crowd of
 * 8,000 threads on ring 0 spin through the futex while numamma, starved
 * of cpu, fell behind. */
static void wake_waiters(struct agent_ring *g, uint64_t n)
{
	__atomic_fetch_add(&g->drained, 1, __ATOMIC_ACQ_REL);
	if (__atomic_load_n(&g->waiters, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, &g->drained, FUTEX_WAKE, n < INT_MAX ? (int)n : INT_MAX, NULL,
			NULL, 0);
}

/* Makes cu ready, or done.  final: no thread can write any more (exec,
 * the last thread gone): slots a killed thread left unwritten are
 * skipped. */
static void peek(struct agent_ctl *c, uint32_t ring, struct cursor *cu, bool final)
{
	while (!cu->ready && !cu->done) {
		const struct agent_rec *r = slot_at(c, ring, cu->pos);
		uint64_t rets[AGENT_MAX_FRAMES];
		int n;

		if (cu->pos >= cu->end || (!published(c, ring, cu->pos) && !final)) {
			cu->done = true;
		} else if (!published(c, ring, cu->pos) || r->type == AGENT_REC_IPS) {
			cu->pos++;      /* a dead thread's torn record */
		} else if ((r->type == AGENT_REC_STACK || r->type == AGENT_REC_CHECK) &&
			   !read_stack(c, ring, cu->pos, rets, &n)) {
			if (final)
				cu->pos++;
			else
				cu->done = true;
		} else {
			cu->tsc = r->tsc;
			cu->ready = true;
		}
	}
}

/* The agent's count of a placed block's pages at its free: to the
 * placer, which checks it no more at the free's EV_RELEASE. */
static void check_event(struct tracer *tr, struct proc *p, const struct agent_rec *r,
			const uint64_t *words, int n)
{
	struct tcb *t = tcb_find(tr, (pid_t)r->tid);
	struct nm_page_check check = { .pages = r->args[1], .present = r->args[2],
				       .on_intended = r->ret };

	for (int i = 0; i < n; i++)
		if (words[i] >> 48 < NM_CHECK_NODES)
			check.per_node[words[i] >> 48] = words[i] & ((1ULL << 48) - 1);
	p->agent->agent_checked++;
	tracer_emit(tr, &(struct nm_event){ .kind = EV_PAGES_CHECKED, .pid = t ? t->proc->pid : p->pid,
					    .tid = (pid_t)r->tid, .addr = r->args[0], .check = &check });
}

/* Hands the ready record at cu to the recorder; returns its slots. */
static uint32_t consume(struct tracer *tr, struct proc *p, struct agent_proc *ap, uint32_t ring,
			struct cursor *cu)
{
	const struct agent_rec *r = slot_at(ap->ctl, ring, cu->pos);
	uint64_t rets[AGENT_MAX_FRAMES];
	uint32_t used = 1;
	int n;

	if (r->type == AGENT_REC_STACK) {
		used = read_stack(ap->ctl, ring, cu->pos, rets, &n);
		add_stack(tr, p, ap, r->hash, rets, n);
	} else if (r->type == AGENT_REC_CALL) {
		used = call_event(tr, p, ap, ring, cu, r);
	} else if (r->type == AGENT_REC_CHECK) {
		used = read_stack(ap->ctl, ring, cu->pos, rets, &n);
		check_event(tr, p, r, rets, n);
	}
	cu->pos += used;
	cu->ready = false;
	return used;
}

static void give_room(struct agent_ctl *c, const struct cursor *cu)
{
	for (uint32_t g = 0; g < AGENT_RINGS; g++)
		if (cu[g].pos != c->rings[g].tail) {
			uint64_t freed = cu[g].pos - c->rings[g].tail;

			__atomic_store_n(&c->rings[g].tail, cu[g].pos, __ATOMIC_RELEASE);
			wake_waiters(&c->rings[g], freed);
		}
}

/* What the calls ahead will look up, fetched while the records before
 * them are handled (a large live set misses the cache at every lookup),
 * in two steps: the index's slot and its stack's for the call
 * LOOK_AHEAD records on,
 * then, for a free half as far, the block's entry that slot names (a
 * second miss that only the first could resolve: 3 Rust threads filling
 * and emptying hash maps, 198 -> 165 ms). */
static void look_ahead(struct tracer *tr, struct proc *p, struct agent_ctl *c, uint32_t ring,
		       uint64_t pos)
{
	const struct agent_rec *far = slot_at(c, ring, pos);
	const struct agent_rec *near = slot_at(c, ring, pos - LOOK_AHEAD / 2);

	if (!tr->cfg.prefetch)
		return;
	if (published(c, ring, pos) && far->type == AGENT_REC_CALL) {
		tr->cfg.prefetch(tr->cfg.ctx, p->pid, alloc_fn_frees(far->fn) ? far->args[0] : far->ret,
				 false);
		if (far->hash)
			u64map_prefetch(&tr->agent_stacks, far->hash);
	}
	if (published(c, ring, pos - LOOK_AHEAD / 2) && near->type == AGENT_REC_CALL &&
	    alloc_fn_frees(near->fn))
		tr->cfg.prefetch(tr->cfg.ctx, p->pid, near->args[0], true);
}

/* A thread of p found its ring full and numamma silent for STALE_NS: the
 * program went on unrecorded (AGENT_BEHIND), counting its calls.  numamma
 * is back: recording resumes (after the heartbeat, so that it is not
 * taken for stale at once). */
static void resume_recording(struct proc *p)
{
	uint32_t behind = AGENT_BEHIND;

	if (!__atomic_compare_exchange_n(&p->agent->ctl->state, &behind, AGENT_ON, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	p->agent->fell_behind = true;
	warning("process %d: numamma drained nothing for %llu s, and the program went on "
		"without being recorded; recording again (the calls meanwhile are in "
		"runs.calls_lost)", p->pid, STALE_NS / 1000000000ULL);
}

/* The pages of the region the program is about to touch first
 * (src/intercept/agent_premap.c). */
static void map_ahead(struct proc *p, struct agent_proc *ap, const struct cursor *cu)
{
	struct premap_range r[PREMAP_RANGES];
	uint64_t read[AGENT_RINGS];
	size_t n;

	for (uint32_t g = 0; g < AGENT_RINGS; g++)
		read[g] = cu[g].pos;
	n = agent_premap_plan(&ap->premap, ap->ctl, read, r);
	if (n)
		agent_premap_map(p->mm_tid, ap->remote + CODE_SIZE, r, n);
}

/* Reads p's rings in TSC order (see include/agent_abi.h), up to the
 * records written before this drain began, at most DRAIN_MAX slots. */
/* Has ring g ever had records?  Ring 0 (shared past the others) may
 * have; rings 1.. only once a thread took them, for good.  A ring's first
 * slot read here would make the kernel give the memfd a page for it: 127
 * pages per process and per fork, for rings most programs never take.
 * owner shares its line with head, which each call writes: it is read
 * only until it is seen set. */
static bool ring_taken(struct agent_proc *ap, uint32_t g)
{
	uint64_t bit = 1ULL << (g % 64);

	if (!g || ap->rings_taken[g / 64] & bit)
		return true;
	if (!__atomic_load_n(&ap->ctl->rings[g].owner, __ATOMIC_ACQUIRE))
		return false;
	ap->rings_taken[g / 64] |= bit;
	return true;
}

/* Reads the records written before limit (a TSC); *reached (when not
 * NULL) says up to when: limit, or the first record left unread when
 * DRAIN_MAX ended the pass. */
static size_t drain(struct tracer *tr, struct proc *p, bool final, uint64_t limit,
		    uint64_t *reached)
{
	struct agent_proc *ap = p->agent;
	struct cursor cu[AGENT_RINGS];
	struct agent_ctl *c;
	size_t used = 0, released = 0;
	/* The rings with a record to read, by its TSC. */
	struct minheap_entry heap[AGENT_RINGS];
	struct minheap ready = { heap, 0 };

	if (!ap)
		return 0;
	c = ap->ctl;
	for (uint32_t g = 0; g < AGENT_RINGS; g++) {
		cu[g] = (struct cursor){ .pos = c->rings[g].tail, .end = UINT64_MAX };
		if (!ring_taken(ap, g)) {
			cu[g].done = true;
			continue;
		}
		/* Reading head, which every call writes, would pull its line
		 * away from the program's thread: the sequence numbers say
		 * what is written.  Only a final drain needs it. */
		if (final)
			cu[g].end = __atomic_load_n(&c->rings[g].head, __ATOMIC_ACQUIRE);
		peek(c, g, &cu[g], final);
	}
	for (uint32_t g = 0; g < AGENT_RINGS; g++)
		if (cu[g].ready)
			minheap_push(&ready, cu[g].tsc, g);
	while (used < DRAIN_MAX && ready.n && minheap_top(&ready)->key < limit) {
		uint32_t best = minheap_top(&ready)->id;

		used += consume(tr, p, ap, best, &cu[best]);
		peek(c, best, &cu[best], final);
		if (cu[best].ready)
			minheap_replace_top(&ready, cu[best].tsc);
		else
			minheap_pop(&ready);
		look_ahead(tr, p, c, best, cu[best].pos + LOOK_AHEAD);
		/* A thread waiting for room gets it as it is made. */
		if (used - released >= DRAIN_RELEASE) {
			give_room(c, cu);
			released = used;
		}
	}
	if (reached)
		*reached = ready.n && minheap_top(&ready)->key < limit ? minheap_top(&ready)->key :
									  limit;
	__atomic_store_n(&c->heartbeat_tsc, __rdtsc(), __ATOMIC_RELEASE);
	give_room(c, cu);
	resume_recording(p);
	if (!final)
		map_ahead(p, ap, cu);
	return used;
}

size_t agent_drain(struct tracer *tr, struct proc *p)
{
	return drain(tr, p, false, __rdtsc(), NULL);
}

void agent_block_stop(struct tracer *tr, struct tcb *t, struct proc *owner,
		      const struct user_regs_struct *regs)
{
	int fn = (int)regs->rdi;
	uint64_t addr = regs->rsi, hash = regs->rcx, *e;
	const struct stack_frames *stack;
	struct nm_object block;

	if (regs->rdx) {        /* a placed block's release */
		agent_drain(tr, owner);
		if (owner->agent && (e = agent_set_find(agent_set(owner->agent, AGENT_OFF_PLACED),
							AGENT_PLACED, addr)))
			__atomic_store_n(e, AGENT_SET_GONE, __ATOMIC_RELEASE);
		return;
	}
	tr->placing = t;
	tr->spare_key = agent_spare_key(hash, alloc_fn_maps(fn));
	tr->placing_maps = alloc_fn_maps(fn);
	agent_drain(tr, owner);
	if (owner->agent)
		owner->agent->place_stops++;
	/* The block as far as its stop knows it: its rules' words. */
	stack = frames_of(tr, hash);
	block = (struct nm_object){ .pid = t->proc->pid, .tid = t->tid, .addr = addr,
				    .kind = alloc_fn_maps(fn) ? OBJ_MMAP : OBJ_HEAP };
	tracer_emit(tr, &(struct nm_event){ .kind = EV_PLACE_STOP, .t = t, .pid = t->proc->pid,
					    .tid = t->tid, .addr = addr, .object = &block,
					    .frames = stack ? stack->v : NULL,
					    .nframes = stack ? stack->n : 0 });
	tr->placing = NULL;
	tr->spare_key = 0;
}

void agent_decide_kind(struct tracer *tr, struct proc *owner, const struct agent_placement *how)
{
	int maps = tr->placing_maps;
	struct agent_placing *to;

	tr->spare_key = 0;
	if (!tr->agent_kinds_decided[maps]) {
		tr->agent_kinds[maps] = *how;
		tr->agent_kinds_decided[maps] = true;
		debug("run: every %s %s from now on, whatever its stack (no rule names a stack "
		      "of its kind)", maps ? "mapping" : "heap block",
		      how->mode ? "placed alike by the agent" : "left unplaced");
	}
	if (!owner->agent || owner->agent->ctl->kinds[maps].key)
		return;
	to = &owner->agent->ctl->kinds[maps];
	to->nodemask = how->nodemask;
	to->mode = how->mode;
	__atomic_store_n(&to->key, 1, __ATOMIC_RELEASE);
}

/* how's number + 1 among the distinct placements (few: a policy's
 * rules' nodes), for agent_exe_decided; 0: none (spared). */
static uint64_t placement_number(struct tracer *tr, const struct agent_placement *how)
{
	size_t i = 0;

	if (!how->mode)
		return 0;
	while (i < tr->nagent_placements && memcmp(&tr->agent_placements[i], how, sizeof(*how)))
		i++;
	if (i == tr->nagent_placements) {
		tr->agent_placements = xrealloc(tr->agent_placements, (i + 1) * sizeof(*how));
		tr->agent_placements[tr->nagent_placements++] = *how;
	}
	return i + 1;
}

void agent_decide_stack(struct tracer *tr, struct proc *owner, const struct agent_placement *how)
{
	struct agent_proc *ap = owner->agent;
	uint64_t key = tr->spare_key;

	tr->spare_key = 0;
	/* Two threads may have stopped for a new stack at once. */
	if (!ap || !key || agent_set_find(agent_set(ap, AGENT_OFF_SPARED), AGENT_SPARED, key) ||
	    agent_placing_find(placing_table(ap), AGENT_PLACING, key) || !decide(ap, key, how))
		return;
	if (how->mode)
		ap->placing++;
	else
		ap->spared++;
	if (ap->exe_key)
		learn(&tr->agent_exe_decided, ap->exe_key, key, placement_number(tr, how));
}

void agent_stop_at_release(struct proc *owner, uint64_t addr)
{
	struct agent_proc *ap = owner->agent;
	uint64_t *slot;

	if (!ap || addr <= AGENT_SET_GONE)
		return;
	if ((slot = agent_set_claim(agent_set(ap, AGENT_OFF_PLACED), AGENT_PLACED, addr)))
		/* Its free stops: numamma placed it, numamma checks it. */
		*agent_placed_how_at(ap->ctl, slot) = (struct agent_placed_how){ 0 };
	else
		debug("process %d: the set of placed blocks is full: %#llx is checked once freed",
		      owner->pid, (unsigned long long)addr);
}

/* The calls p's agent could not record, added to the run's count once,
 * and said: callsite_totals misses them. */
static void count_lost(struct tracer *tr, struct proc *p)
{
	uint64_t lost = __atomic_exchange_n(&p->agent->ctl->lost, 0, __ATOMIC_ACQ_REL);

	if (!lost)
		return;
	tr->calls_lost += lost;
	if (p->agent->shared)
		warning("process %d: %llu allocator calls were not recorded while a child "
			"shared its agent (runs.calls_lost)", p->pid, (unsigned long long)lost);
	else if (__atomic_load_n(&p->agent->ctl->tp, __ATOMIC_ACQUIRE) != AGENT_TP_SET)
		warning("process %d: %llu allocator calls were not recorded, made while its thread "
			"pointer was unknown (a static program's start, or a seccomp filter that "
			"forbids asking) (runs.calls_lost)", p->pid, (unsigned long long)lost);
	else if (p->agent->fell_behind)
		warning("process %d: %llu allocator calls were not recorded while numamma was "
			"behind, or past its %u threads at once (runs.calls_lost)", p->pid,
			(unsigned long long)lost, AGENT_INSIDE);
	else
		warning("process %d: %llu allocator calls were not recorded: it had more than %u "
			"threads at once (runs.calls_lost)", p->pid, (unsigned long long)lost,
			AGENT_INSIDE);
}

/* The rules p's agent computed for the module list in use (an older
 * list's may be of other code at the same addresses), learnt by file and
 * ELF address for the next processes (prefill_rules()). */
static void learn_rules(struct tracer *tr, struct proc *p)
{
	const struct agent_ctl *c = p->agent->ctl;
	const struct agent_rulelog *log =
		(const struct agent_rulelog *)((const uint8_t *)c + AGENT_OFF_RULELOG);
	uint32_t n = c->rulelog_n < AGENT_RULELOG ? c->rulelog_n : AGENT_RULELOG;
	uint8_t gen = agent_rules_gen(c->modules);
	const struct loaded_module *m = NULL;
	uint64_t key = 0;
	uint32_t learnt = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t ip = __atomic_load_n(&log[i].ip, __ATOMIC_ACQUIRE), vaddr;

		if (!ip || (uint8_t)(log[i].rule >> 56) != gen)
			continue;
		if (!m || ip < m->start || ip >= m->end) {
			if (!(m = modmap_find(&p->mods, ip)))
				continue;
			key = file_key(m);
		}
		vaddr = ip - m->bias;
		/* (0 and ~0 are no keys of a map: such a rule is not learnt.) */
		if (key + vaddr == 0 || key + vaddr == UINT64_MAX ||
		    u64map_find(&tr->agent_rule_ids, key + vaddr))
			continue;
		u64map_put(&tr->agent_rule_ids, key + vaddr, 1, 0);
		learn(&tr->agent_file_rules, key, vaddr, log[i].rule & ~(0xffULL << 56));
		learnt++;
	}
	debug("process %d: %u unwind rules computed, %u new", p->pid, n, learnt);
}

void agent_drain_final(struct tracer *tr, struct proc *p)
{
	while (drain(tr, p, true, UINT64_MAX, NULL) >= DRAIN_MAX)
		;
	count_lost(tr, p);
	if (!p->agent)
		return;
	debug("process %d: %u stacks sent, %u new, %llu threads asked their tid, %llu stack pages "
	      "asked of the kernel", p->pid, p->agent->stacks_sent, p->agent->stacks_new,
	      (unsigned long long)p->agent->ctl->tids_asked,
	      (unsigned long long)p->agent->ctl->probes);
	debug("process %d: %u doorbells heard%s", p->pid, p->agent->doorbells,
	      p->agent->ctl->doorbell_pid ? "" : " (none rung: no doorbell)");
	if (p->agent->ctl->place_min)
		debug("process %d: %u stops to place a block, %u placed by the agent, %u checked by "
		      "it at their free; stacks: %u spared (no rule places their blocks), %u placing "
		      "(a whole rule)", p->pid, p->agent->place_stops, p->agent->agent_placed,
		      p->agent->agent_checked, p->agent->spared, p->agent->placing);
	if (p->agent->ctl->futex_refused)
		debug("process %d: %llu waits for room in a ring, spun", p->pid,
		      (unsigned long long)p->agent->ctl->spun_waits);
}

void agent_learn(struct tracer *tr, struct proc *p)
{
	if (p->agent)
		learn_rules(tr, p);
}

/* The state of p's owner page (struct agent_owner).  0, or -1. */
static int set_owner(struct proc *p, const struct agent_ctl *c, uint64_t state)
{
	return tracee_write(p, c->owner_at + offsetof(struct agent_owner, state), &state,
			    sizeof(state));
}

/* A filter p installed since numamma last stopped it (a program that
 * sandboxes itself, then allocates without a thread or child started)
 * cannot be read until it stops again: its threads spin meanwhile, as
 * if it forbade the futex.  Counted in /proc at most every 100 ms. */
#define FILTERS_EVERY_NS (100ULL * 1000 * 1000)
static void watch_filters(struct proc *p, uint64_t now)
{
	struct agent_proc *ap = p->agent;
	int n;

	if (ap->ctl->futex_refused || now - ap->filters_seen_ns < FILTERS_EVERY_NS)
		return;
	ap->filters_seen_ns = now;
	n = tracee_filters(p->pid);
	if (n > ap->filters) {
		__atomic_store_n(&ap->ctl->futex_refused, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&ap->ctl->probe_refused, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&ap->ctl->place_refused, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&ap->ctl->doorbell_pid, 0, __ATOMIC_RELEASE);
		debug("process %d: %d seccomp filters now, not seen at a stop: its threads spin "
		      "while their ring is full", p->pid, n);
		/* A fork child that has not mapped its region yet stops for
		 * it instead of opening numamma's memfd. */
		if (ap->memfd >= 0)
			set_owner(p, ap->ctl, AGENT_OWNER_NONE);
	}
}

void agent_heard_doorbell(struct tracer *tr, pid_t pid)
{
	struct tcb *t = tcb_find(tr, pid);

	if (t && t->proc->agent)
		t->proc->agent->doorbells++;
}

/* numamma is about to sleep, polling every millisecond (busy) or 20: the
 * next ring past its doorbell_fill wakes it.  One that passed it since
 * its drain read it (its doorbell still rung) rings at its next call: its
 * fill only grows until numamma reads it. */
static void rearm_doorbells(struct tracer *tr, bool busy)
{
	uint32_t fill = busy ? AGENT_DOORBELL_BUSY : AGENT_DOORBELL_IDLE;

	for (struct proc *p = tr->procs; p; p = p->next) {
		struct agent_ctl *c = p->agent ? p->agent->ctl : NULL;

		if (!c)
			continue;
		/* Written when it changes only: every call reads its line. */
		if (__atomic_load_n(&c->doorbell_fill, __ATOMIC_RELAXED) != fill)
			__atomic_store_n(&c->doorbell_fill, fill, __ATOMIC_RELAXED);
		if (__atomic_load_n(&c->doorbell, __ATOMIC_ACQUIRE))
			__atomic_store_n(&c->doorbell, 0, __ATOMIC_RELEASE);
	}
}

/* A pass over every process's records written before it began, the
 * samplers' rings read first (tracer_config.before_drain). */
int agent_drain_all(struct tracer *tr)
{
	bool any = false, busy;
	size_t most = 0;
	uint64_t until_ns, limit;

	clock_refine();
	until_ns = now_ns();
	limit = __rdtsc();
	if (tr->cfg.before_drain)
		tr->cfg.before_drain(tr->cfg.ctx);
	for (struct proc *p = tr->procs; p; p = p->next) {
		uint64_t reached;
		size_t n;

		if (!p->agent)
			continue;
		any = true;
		watch_filters(p, now_ns());
		n = drain(tr, p, false, limit, &reached);
		if (n > most)
			most = n;
		/* Samples after what a process left unread wait for it. */
		if (reached < limit && tsc_ns(reached) < until_ns)
			until_ns = tsc_ns(reached);
	}
	if (tr->cfg.after_drain)
		tr->cfg.after_drain(tr->cfg.ctx, until_ns);
	/* Busy rings are drained at once, rings busy a moment ago every
	 * millisecond (a thread waiting for room must not wait for a long
	 * sleep to end), idle ones still get the heartbeat. */
	/* A few calls now and then (a compute loop) are not a burst. */
	if (most >= BURST)
		tr->agent_busy_ns = now_ns();
	busy = any && now_ns() - tr->agent_busy_ns < RECENTLY_BUSY_NS;
	own_priority_boost(busy);
	if (!any)
		return -1;
	if (most >= 256)
		return 0;
	rearm_doorbells(tr, busy);
	return busy ? 1 : 20;
}

/* ---- threads, forks, exec, detach ---- */

static void free_inside(struct agent_inside *e)
{
	/* Its ring stays with its TCB (include/agent_abi.h). */
	__atomic_store_n(&e->ring, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->lender, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->depth, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->free_sp, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->tid, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->key, AGENT_INSIDE_FREED, __ATOMIC_RELEASE);
}

/* numamma knows every thread's tid from its stops: the agent need not ask
 * (gettid), a system call that a program's seccomp filter may forbid,
 * the program making none itself (a thread started after the filter was
 * killed at its first call).  An entry a thread gone left for the TCB
 * (one killed inside a call) starts clear.  The entry named, or NULL. */
static struct agent_inside *name_entry(struct proc *p, pid_t tid, uint64_t tcb,
				       const uint64_t stack[2])
{
	struct agent_inside *e;

	if (!p->agent || !tcb || tcb == AGENT_INSIDE_FREED)
		return NULL;
	e = agent_inside_take((struct agent_inside *)((uint8_t *)p->agent->ctl + AGENT_OFF_INSIDE),
			      tcb);
	if (!e)
		return NULL;
	/* Another thread's name: the entry is no vfork child's any more
	 * (its first stop names it again, as it is). */
	if (e->tid != tid)
		__atomic_store_n(&e->lender, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->depth, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->free_sp, 0, __ATOMIC_RELAXED);
	/* Not found (0, 0): a walk reads its first page, then the pages
	 * the kernel says are readable. */
	if (stack) {
		__atomic_store_n(&e->stack_lo, stack[0], __ATOMIC_RELAXED);
		__atomic_store_n(&e->stack_hi, stack[1], __ATOMIC_RELAXED);
	}
	__atomic_store_n(&e->tid, (int32_t)tid, __ATOMIC_RELEASE);
	return e;
}

void agent_name_thread(struct proc *p, pid_t tid, uint64_t tcb, const uint64_t stack[2])
{
	name_entry(p, tid, tcb, stack);
}

void agent_lend_thread(struct proc *p, pid_t child, uint64_t tcb, pid_t lender)
{
	struct agent_inside *e = name_entry(p, child, tcb, NULL);

	if (e)
		__atomic_store_n(&e->lender, (int32_t)lender, __ATOMIC_RELEASE);
}

/* The agent waits for room in its ring with a shared FUTEX_WAIT, which
 * numamma wakes: where thread t's seccomp filter would kill or trap for
 * it (a sandbox allowing private futexes only), the agent of p, t's own
 * or its vfork parent's, spins instead.  Its walks off a thread's stack
 * ask the kernel whether a page is readable (process_vm_readv): where
 * the filter forbids that, they stop at their first page.  Looked at
 * where numamma stops a thread anyway (its first stop, the agent's
 * set-up); a filter only grows, so a refusal stays. */
/* Set where t has a thread pointer (a thread stopped now); false when it
 * has none (a static program's, at its exec). */
static bool note_thread_pointer(struct agent_ctl *c, struct tcb *t)
{
	if (!tcb_address(t))
		return false;
	__atomic_store_n(&c->tp, AGENT_TP_SET, __ATOMIC_RELEASE);
	return true;
}

/* Where the filter would kill the agent's arch_prctl(ARCH_GET_FS), it
 * waits for numamma to find the thread pointer set (a program exec'd
 * under a filter its parent installed): at t's stop, if t has one. */
static void check_thread_pointer_probe(struct proc *p, struct tcb *t)
{
	struct agent_ctl *c = p->agent->ctl;
	long get_fs[6] = { ARCH_GET_FS, (long)(p->agent->remote + CODE_SIZE) };
	uint32_t tp = __atomic_load_n(&c->tp, __ATOMIC_ACQUIRE), ask = AGENT_TP_ASK;
	char why[160];

	if (tp == AGENT_TP_SET ||
	    (tp == AGENT_TP_ASK &&
	     tracee_may_call(t, SYS_arch_prctl, get_fs, p->agent->remote, why, sizeof(why), NULL)) ||
	    note_thread_pointer(c, t))
		return;
	if (tp == AGENT_TP_ASK && __atomic_compare_exchange_n(&c->tp, &ask, AGENT_TP_WAIT, false,
							      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		debug("process %d: %s: its thread pointer waits for numamma's look", p->pid, why);
}

void agent_look_at_thread_pointer(struct proc *p, struct tcb *t)
{
	if (p->agent && __atomic_load_n(&p->agent->ctl->tp, __ATOMIC_ACQUIRE) == AGENT_TP_WAIT)
		note_thread_pointer(p->agent->ctl, t);
}

/* May the agent ask the kernel about the program an exec runs
 * (agent.c's exec_may_lose_privilege())? */
static bool agent_may_check_execs(struct tcb *t, uint64_t ip, char *why, size_t size)
{
	long stat_args[6] = { AT_FDCWD, (long)ip, (long)ip, 0 };
	long xattr_args[6] = { (long)ip, (long)ip, 0, 0 };
	long fxattr_args[6] = { 0, (long)ip, 0, 0 };

	return tracee_may_call(t, SYS_newfstatat, stat_args, ip, why, size, NULL) &&
	       tracee_may_call(t, SYS_getxattr, xattr_args, ip, why, size, NULL) &&
	       tracee_may_call(t, SYS_fgetxattr, fxattr_args, ip, why, size, NULL);
}

void agent_check_calls(struct proc *p, struct tcb *t)
{
	struct agent_ctl *c = p->agent ? p->agent->ctl : NULL;
	long args[6] = { 0, FUTEX_WAIT }, probe[6] = { t->tid, 0, 1, 0, 1, 0 };
	long doorbell[6] = { 0, AGENT_DOORBELL_SIGNAL };
	long wipe[6] = { (long)(c ? c->owner_at & ~(uint64_t)(AGENT_PAGE - 1) : 0), AGENT_PAGE,
			 MADV_WIPEONFORK };
	char why[160];
	int filters;

	if (!c)
		return;
	/* The set-up's look at the filters: watch_filters() need not count
	 * them in /proc before its first turn (a process of 20 ms never).
	 * Only the first: a thread's first stop, each 100 ms in a program
	 * that makes threads that often, must not put its turns off. */
	if (!p->agent->filters_seen_ns)
		p->agent->filters_seen_ns = now_ns();
	if (tracee_unfiltered(t)) {
		p->agent->filters = 0;
		return;
	}
	/* Its mbind and madvise calls are numamma's to make, at stops,
	 * where they are checked against the filter (apply.c). */
	__atomic_store_n(&c->place_refused, 1, __ATOMIC_RELEASE);
	check_thread_pointer_probe(p, t);
	if (c->owner_arm && !tracee_may_call(t, SYS_madvise, wipe, p->agent->remote, why, sizeof(why),
					     NULL)) {
		__atomic_store_n(&c->owner_arm, 0, __ATOMIC_RELEASE);
		debug("process %d: %s: its fork children get their region at the fork", p->pid, why);
	}
	doorbell[0] = c->doorbell_pid;
	if (c->doorbell_pid && !tracee_may_call(t, SYS_kill, doorbell, p->agent->remote, why,
						sizeof(why), NULL)) {
		__atomic_store_n(&c->doorbell_pid, 0, __ATOMIC_RELEASE);
		debug("process %d: %s: its rings wait for numamma's polls", p->pid, why);
	}
	if (!c->probe_refused && !tracee_may_call(t, SYS_process_vm_readv, probe, p->agent->remote,
						  why, sizeof(why), NULL)) {
		__atomic_store_n(&c->probe_refused, 1, __ATOMIC_RELEASE);
		debug("process %d: %s: walks off a thread's stack stop at their first page", p->pid,
		      why);
	}
	if (!c->exec_check_refused && traced_execs_lose_privilege() &&
	    !agent_may_check_execs(t, p->agent->remote, why, sizeof(why))) {
		__atomic_store_n(&c->exec_check_refused, 1, __ATOMIC_RELEASE);
		debug("process %d: %s: each of its exec calls stops", p->pid, why);
	}
	if (c->futex_refused)
		return;
	args[0] = (long)(p->agent->remote + CODE_SIZE + offsetof(struct agent_ctl, rings));
	if (tracee_may_call(t, SYS_futex, args, p->agent->remote, why, sizeof(why), &filters)) {
		/* watch_filters()' count to compare: the filters seen (a
		 * thread's, where numamma may read them), else the process's. */
		p->agent->filters = filters >= 0 ? filters : tracee_filters(p->pid);
		return;
	}
	__atomic_store_n(&c->futex_refused, 1, __ATOMIC_RELEASE);
	debug("process %d: %s: its threads spin while their ring is full", p->pid, why);
}

/* A thread is gone, or a vfork child stops sharing its parent's memory
 * (or starts to): the entries that name its tid are freed, and the next
 * thread with that TCB makes one of its own.  tid and depth are cleared
 * before the key, so that who takes the slot finds them clear. */
void agent_forget_tid(struct proc *p, pid_t tid, uint64_t tcb)
{
	struct agent_inside *in;

	if (!p->agent)
		return;
	in = (struct agent_inside *)((uint8_t *)p->agent->ctl + AGENT_OFF_INSIDE);
	/* The thread's key is its TCB's address, fs_base: its probe, as the
	 * agent's, finds it.  A scan of all 8,192 entries faulted 256 KiB of
	 * the region in, at each vfork of a shell (and at its child's exec,
	 * fs_base cleared, until the child kept its parent's). */
	if (tcb) {
		for (uint32_t n = 0, i = agent_inside_home(tcb); n < AGENT_INSIDE;
		     n++, i = (i + 1) & (AGENT_INSIDE - 1)) {
			uint64_t key = __atomic_load_n(&in[i].key, __ATOMIC_ACQUIRE);

			if (!key)
				break;
			if (key == tcb && in[i].tid == tid)
				free_inside(&in[i]);
		}
		return;
	}
	for (uint32_t i = 0; i < AGENT_INSIDE; i++) {
		uint64_t key = __atomic_load_n(&in[i].key, __ATOMIC_ACQUIRE);

		if (key && key != AGENT_INSIDE_FREED && in[i].tid == tid)
			free_inside(&in[i]);
	}
}

/* The control page, the published module list (mods: its entries) and
 * the FDE tables; the rings, the set of stacks sent, the inside table and
 * the caches start empty (the child's threads ask their tids, its stacks
 * are sent again): a fork followed by an exec costs little. */
static void copy_data(struct agent_ctl *to, const struct agent_ctl *from,
		      const struct agent_module *mods)
{
	uint32_t n = (uint32_t)from->modules;
	uint64_t first = from->modules >> 32;

	populate(to, sizeof(*to));
	populate(module_space(to) + first, (size_t)n * sizeof(struct agent_module));
	memcpy(to, from, sizeof(*to));
	memset(to->rings, 0, sizeof(to->rings));
	memset(&to->growth, 0, sizeof(to->growth));   /* its tables start small */
	/* The parent's, counted with the parent.  The rule log's entries are
	 * not copied: a count kept would have learn_rules() read that many
	 * empty ones at the child's exec (cmake's children: 5,000 entries,
	 * 80 KiB of fresh pages faulted in, for nothing). */
	to->lost = to->tids_asked = to->spun_waits = to->probes = 0;
	to->rulelog_n = 0;
	to->unnamed_tid = 0;
	to->doorbell = 0;
	memcpy(module_space(to) + first, mods, (size_t)n * sizeof(struct agent_module));
	if (from->fdes_used) {          /* a static program's: no system call at other forks */
		populate(fde_space(to), from->fdes_used * sizeof(struct agent_fde));
		memcpy(fde_space(to), fde_space((struct agent_ctl *)from),
		       from->fdes_used * sizeof(struct agent_fde));
	}
}

static const struct agent_module *published_modules(const struct agent_ctl *c)
{
	return module_space((struct agent_ctl *)c) + (c->modules >> 32);
}

/* The child's data region, mapped over its parent's, holding from's
 * control page and modules, its owner word set.  As map_memfd(). */
static long map_child_data(struct tracer *tr, struct tcb *t, struct agent_proc *ap,
			   const struct agent_ctl *from, const struct agent_module *mods)
{
	const struct memfd_mapping data = { (long)(ap->remote + CODE_SIZE), AGENT_DATA_SIZE,
					    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
					    CODE_SIZE };
	long at = map_memfd(tr, t, ap, &data, 1);

	if (ap->base) {
		ap->ctl = (struct agent_ctl *)(ap->base + CODE_SIZE);
		copy_data(ap->ctl, from, mods);
	}
	if (!failed(at) && from->owner_at && set_owner(t->proc, from, AGENT_OWNER_MINE))
		at = -EIO;
	return at;
}

/* A new agent_proc for a fork child of from's: at the same address,
 * with the same hooks. */
static struct agent_proc *child_agent(const struct agent_proc *from)
{
	struct agent_proc *ap = agent_new();

	ap->remote = from->remote;
	ap->exe_key = from->exe_key;
	ap->nr_hooks = from->nr_hooks;
	memcpy(ap->hooks, from->hooks, sizeof(ap->hooks));
	ap->nr_fde_tables = from->nr_fde_tables;
	memcpy(ap->fde_tables, from->fde_tables, sizeof(ap->fde_tables));
	return ap;
}

/* The original bytes back at every hook of ap's in p. */
static bool unhook(struct proc *p, const struct agent_proc *ap)
{
	bool all = true;

	for (int i = 0; ap && i < ap->nr_hooks; i++)
		if (tracee_write(p, ap->hooks[i].addr, ap->hooks[i].orig, ap->hooks[i].len)) {
			debug("cannot restore %#lx in %d", (unsigned long)ap->hooks[i].addr, p->pid);
			all = false;
		}
	return all;
}

/* t's process could not have a region of its own (from: the agent it
 * runs, of holder): its hooks are taken out and its calls trapped, or
 * where its memory may not be written, it shares holder's region. */
static void region_refused(struct tracer *tr, struct tcb *t, struct proc *holder,
			   const struct agent_proc *from, long why)
{
	struct proc *p = t->proc;

	debug("process %d: no agent region of its own (%s): its calls trapped instead", p->pid,
	      p->refused[0] ? p->refused : why == INJECT_FAILED ? "injection failed" :
	      strerror((int)-why));
	if (!unhook(p, from) && holder && holder->agent) {
		p->agent_shares = holder->pid;
		agent_share(holder, p->pid, false);
		return;
	}
	hooks_trap_instead(tr, t);
}

/* A fork child, at its first stop: it shares its parent's data region
 * (MAP_SHARED survives fork).  It gets a copy of its own at the same
 * address before it runs. */
void agent_fork_child(struct tracer *tr, struct tcb *t, struct proc *parent)
{
	struct proc *p = t->proc;
	struct agent_proc *from = parent->agent, *ap;
	long at;

	if (!from || p->agent)
		return;
	ap = child_agent(from);
	at = map_child_data(tr, t, ap, from->ctl, published_modules(from->ctl));
	if (failed(at)) {
		agent_free(ap);
		region_refused(tr, t, parent, from, at);
		return;
	}
	if (ap->ctl)
		prefill_decided(tr, p->pid, ap);
	p->agent = ap;
}

/* Where the kernel zeroed a fork child's owner page (its parent's agent
 * asked it to: struct agent_ctl's owner_at), the child's region is made
 * ready now, in numamma's memfd, and the page says where it is: the
 * child's agent maps it at its first call, without a stop, and most
 * fork children exec or exit before they allocate.  Made at the child's
 * first stop, by calls injected into it, the region took 1.2 ms of each
 * fork here (the child waited for, a stop to map it, and its fresh pages
 * faulted in).  Not where the parent has a seccomp filter: the agent's
 * own calls might break it.  Is p such a child? */
bool agent_fork_ahead(struct tracer *tr, struct tcb *parent, struct proc *p)
{
	const struct agent_proc *from = parent->proc->agent;
	const struct agent_ctl *c = from->ctl;
	struct agent_owner own = { .state = AGENT_OWNER_MAP };
	uint64_t word = AGENT_OWNER_MINE;
	struct agent_proc *ap;

	if (!c->owner_at || tracee_read(p, c->owner_at, &word, sizeof(word)) ||
	    word != AGENT_OWNER_NONE || !tracee_unfiltered(parent))
		return false;
	ap = child_agent(from);
	ap->base = numamma_memfd(&ap->memfd);
	if (!ap->base) {
		agent_free(ap);
		return false;
	}
	ap->ctl = (struct agent_ctl *)(ap->base + CODE_SIZE);
	copy_data(ap->ctl, c, published_modules(c));
	prefill_decided(tr, p->pid, ap);
	ap->ctl->token = own.token = next_token(tr);
	memfd_path(own.path, sizeof(own.path), ap->memfd);
	if (tracee_write(p, c->owner_at, &own, sizeof(own))) {
		agent_free(ap);
		return false;
	}
	p->agent = ap;
	/* If numamma dies, its watchdog turns the region off where the
	 * child has it: its parent's or its own, at the same address. */
	watchdog_note_agent(p->pid, ap->remote + CODE_SIZE + offsetof(struct agent_ctl, state));
	return true;
}

bool agent_region_trap_at(const struct proc *p, uint64_t at)
{
	return p->agent && at == p->agent->remote + AGENT_SYM_REGION_TRAP;
}

/* owner's agent could not map the region made ready for it (the memfd
 * may not be opened there): mapped by calls injected into t (its thread,
 * or one of a process sharing its memory), numamma's memfd or the
 * program's own, filled in from the one made ready. */
void agent_own_region(struct tracer *tr, struct tcb *t, struct proc *owner)
{
	struct agent_proc *ap = owner->agent;
	uint8_t *ready = ap->base;
	const struct agent_ctl *c = (const struct agent_ctl *)(ready + CODE_SIZE);
	uint64_t token = 0;
	long at;

	/* The region it maps is the one made ready (mapped by its agent, or
	 * by numamma at another thread's stop): its own from now. */
	if (!tracee_read(t->proc, ap->remote + CODE_SIZE + offsetof(struct agent_ctl, token), &token,
			 sizeof(token)) && token == c->token) {
		set_owner(t->proc, c, AGENT_OWNER_MINE);
		return;
	}
	at = map_child_data(tr, t, ap, c, published_modules(c));
	if (failed(at)) {
		if (ap->base)
			munmap(ap->base, MAP_SIZE);
		ap->base = ready;
		ap->ctl = (struct agent_ctl *)(ready + CODE_SIZE);
		region_refused(tr, t, NULL, ap, at);
		return;
	}
	release_region(ready);
	if (ap->memfd >= 0)
		close(ap->memfd);
	ap->memfd = -1;
	debug("process %d: its region mapped by numamma at its first call", owner->pid);
}

bool agent_unhook(struct proc *p, const struct proc *from)
{
	return unhook(p, from->agent);
}

/* Two processes writing one ring would garble it, and a child's calls
 * taken for its parent's are worse than none: neither records, both
 * count.  Said once per holder. */
void agent_share(struct proc *holder, pid_t pid, bool same_memory)
{
	struct agent_proc *ap = holder->agent;
	uint32_t state = __atomic_load_n(&ap->ctl->state, __ATOMIC_ACQUIRE);

	ap->sharers++;
	while (state != AGENT_OFF && state != AGENT_SHARED &&
	       !__atomic_compare_exchange_n(&ap->ctl->state, &state, AGENT_SHARED, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
	if (!ap->shared && same_memory)
		warning("process %d: its child %d shares its memory (clone with CLONE_VM, not a "
			"thread): neither records allocator calls until the child execs or exits; "
			"they are counted", holder->pid, pid);
	else if (!ap->shared)
		warning("process %d: numamma may not write to its fork child %d (a non-dumpable "
			"process, numamma without CAP_SYS_PTRACE): neither records allocator "
			"calls until the child execs or exits; they are counted", holder->pid, pid);
	ap->shared = true;
}

void agent_unshared(struct proc *holder)
{
	uint32_t shared = AGENT_SHARED;

	if (!holder->agent || --holder->agent->sharers)
		return;
	__atomic_compare_exchange_n(&holder->agent->ctl->state, &shared, AGENT_ON, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

void agent_detach(struct tracer *tr, struct proc *p)
{
	if (!p->agent)
		return;
	agent_drain(tr, p);
	__atomic_store_n(&p->agent->ctl->state, AGENT_OFF, __ATOMIC_RELEASE);
	count_lost(tr, p);
	for (uint32_t g = 0; g < AGENT_RINGS; g++)
		wake_waiters(&p->agent->ctl->rings[g], INT_MAX);
	agent_unhook(p, p);
}

/* exec or exit: the program's mapping is gone with its address space. */
void agent_forget(struct proc *p)
{
	if (!p->agent)
		return;
	agent_free(p->agent);
	p->agent = NULL;
}
