/* The common sampler: picks a backend, opens its events, drains the
 * rings from the tracer's epoll loop, decodes, attributes each sample to
 * the object that held its address at that time, finds the node of its
 * page, and stores it.
 *
 * Events are opened on every cpu (cpu-wide: pid -1) where the backend
 * allows it (cpu-clock: a cpu's samples of a thread are that thread's
 * cpu time, as a per-thread event's) and perf lets this process see every
 * cpu (CAP_PERFMON, perf_event_paranoid <= 0); samples are matched to the
 * traced threads by tid, others dropped.  Elsewhere one set per thread
 * (inherit = 0: an inherited event cannot be mmap'd with cpu = -1).  A
 * per-thread event costs an open, a map and a close per thread, and the
 * kernel's first one after a second without any waits for an RCU grace
 * period (it turns on the scheduler's perf hooks): 15-20 ms on a 2-vcpu
 * VM, paid by every profile not started within a second of another.
 *
 * Page nodes come from move_pages(2) in batches, and at most once per page
 * per PAGE_NODE_TTL_NS thanks to a small direct-mapped cache. */
#include <errno.h>
#include <pthread.h>
#include <sys/sysinfo.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "numa_syscall.h"
#include "objtrack.h"
#include "perf_ring.h"
#include "pmu.h"
#include "sample_hold.h"
#include "sampler_backend.h"
#include "topology.h"
#include "u64map.h"

#define DEFAULT_RING_PAGES 64
#define SCRATCH_SIZE 65536          /* a record is at most 64 KiB */
#define BATCH 512
#define DRAIN_MS 100                /* without a backend tick */
#define PAGE_CACHE_SIZE 16384       /* entries, a power of two */
#define PAGE_NODE_TTL_NS 100000000ULL

/* A traced thread, or in cpu-wide mode a cpu's ring (tid -1), which the
 * threads' samples come through and that holds no thread's state. */
struct thread {
	struct sampler_thread pub;
	struct sampler *s;
	int cpu;                    /* a cpu's ring; -1: a thread */
	uint64_t ids[SAMPLER_MAX_EVENTS];
	struct perf_event_mmap_page *meta;
	uint8_t *data;
	size_t data_size, map_len;
	uint64_t samples;
	int dead;                   /* stopped: freed at the next tick */
	int polled;                 /* in the tracer's epoll set */
	struct thread *next;
};

/* A page's node.  space names the address space the page was of (a
 * process from its start or exec to its next exec or end): a new one
 * under the same pid starts with none of the entries, without a pass over
 * the 384 KiB table, which at a profile's first exec faulted every page
 * of it in (2 to 6 ms where the hypervisor backs each page read). */
struct page_cache_ent {
	uint32_t space;             /* 0: empty */
	int node;
	uint64_t page, stamp;
};

struct sampler {
	struct sampler_opts opts;
	const struct sampler_backend *be;   /* NULL: "none" */
	struct perf_event_attr attrs[SAMPLER_MAX_EVENTS];
	int nr_attrs, group_leader;
	struct thread *threads, *zombies;
	uint8_t *scratch;
	struct nm_sample batch[BATCH];
	size_t nr_batch;
	struct page_cache_ent *pages;
	uint64_t page_mask;
	struct u64map spaces;       /* pid -> its address space's number */
	uint32_t last_space;
	uint64_t next_tick_ns;
	int warned_open;
	uint64_t open_failed, decode_failed;
	char reason[1024];
	/* Cpu-wide mode: the rings (opened with the first thread), and the
	 * threads by tid. */
	bool cpu_wide, rings_open;
	struct thread *cpus;
	struct u64map by_tid;
	uint64_t foreign;           /* samples of threads not traced */
	struct sample_hold hold;    /* unattributed, their modules not yet known */
	struct u64map agent;        /* pid -> a, b: its agent region [a, b) */
	uint64_t agent_samples;     /* samples of the agent's code or memory */
	/* In time order (a backend without a tick): a sample read waits here
	 * until its process's records up to its time are applied, then is
	 * matched to an object (sampler_read(), sampler_attribute_until()). */
	bool ordered;
	struct nm_sample *pending;  /* by time once sorted */
	size_t nr_pending, cap_pending;
	bool pending_sorted;
	uint64_t read_ns;           /* every sample taken before it is read */
	uint64_t due_ns;            /* the oldest pending sample's time */
};

/* In the order "auto" tries them: hardware first, then the software
 * samplers: clock (where each thread spends its time, any machine with
 * perf software events), watch (per-word reads and writes, where debug
 * registers fire), pagefault (first touches only). */
static const struct sampler_backend *const backends[] = {
	&sampler_pebs, &sampler_ibs, &sampler_clock, &sampler_watch, &sampler_pagefault,
};
#define NR_BACKENDS (sizeof(backends) / sizeof(backends[0]))

static int perf_event_open(struct perf_event_attr *attr, pid_t tid, int cpu, int group_fd)
{
	return (int)syscall(SYS_perf_event_open, attr, tid, cpu, group_fd, PERF_FLAG_FD_CLOEXEC);
}

/* Counts what the open events saw; 0 when a read fails. */
static uint64_t read_counts(const int *fds, int n)
{
	uint64_t total = 0, count;

	for (int i = 0; i < n; i++)
		if (read(fds[i], &count, sizeof(count)) == sizeof(count))
			total += count;
	return total;
}

bool sampler_test_idle(const char *event)
{
	const char *list = getenv("NUMAMMA_TEST_IDLE_PROBE");
	size_t n = strlen(event);

	for (const char *p = list; p && *p; p += strcspn(p, ","), p += *p == ',')
		if (!strncmp(p, event, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

int sampler_self_test(const struct perf_event_attr *attrs, int n, int group_leader,
		      const char *const *names, void (*workload)(void),
		      const char *silent, char *why, size_t len)
{
	struct perf_event_attr attr;
	int fds[SAMPLER_MAX_EVENTS], opened = 0, ret = 0;

	for (; opened < n; opened++) {
		attr = attrs[opened];
		attr.size = sizeof(attr);
		attr.disabled = 0;     /* counting from the open: nothing runs until workload */
		fds[opened] = perf_event_open(&attr, 0, -1, group_leader && opened ? fds[0] : -1);
		if (fds[opened] < 0) {
			perf_open_why(names[opened], errno, why, len);
			ret = -1;
			break;
		}
	}
	if (ret == 0) {
		/* Three tries: a capability must not be lost to one quiet
		 * moment (t0401 once skipped with the pagefault sampler
		 * available, not seen again in 200 tries). */
		for (int tries = 0; tries < 3 && !sampler_test_idle(names[0]); tries++) {
			workload();
			if (read_counts(fds, n))
				break;
		}
		if (read_counts(fds, n) == 0) {
			snprintf(why, len, "%s", silent);
			ret = -1;
		}
	}
	while (opened-- > 0)
		close(fds[opened]);
	return ret;
}

/* Misses the caches on purpose: loads that a load-latency threshold or an
 * op sampler cannot fail to see. */
void sampler_load_workload(void)
{
	enum { BYTES = 8 << 20, PASSES = 4 };
	volatile uint8_t *buf = mmap(NULL, BYTES, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t sum = 0;

	if (buf == MAP_FAILED)
		return;
	for (int pass = 0; pass < PASSES; pass++)
		for (size_t i = 0; i < BYTES; i += 64)
			sum += buf[(i * 7919) % BYTES];
	buf[0] = (uint8_t)sum;
	munmap((void *)buf, BYTES);
}

/* ---- choosing a backend ---- */

static const struct sampler_backend *find_backend(const char *name)
{
	size_t i;

	for (i = 0; i < NR_BACKENDS; i++)
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}

/* A probe runs a self-test (a few ms): once per backend and process. */
static int probe(const struct sampler_backend *be, char *why, size_t len)
{
	static struct { bool done; int ret; char why[512]; } cache[NR_BACKENDS];
	size_t i = 0;

	while (backends[i] != be)
		i++;
	if (!cache[i].done) {
		cache[i].ret = be->probe(cache[i].why, sizeof(cache[i].why));
		cache[i].done = true;
	}
	snprintf(why, len, "%s", cache[i].ret ? cache[i].why : "");
	return cache[i].ret;
}

void sampler_list(FILE *out)
{
	char why[512];
	size_t i;

	for (i = 0; i < NR_BACKENDS; i++) {
		const struct sampler_backend *be = backends[i];

		if (probe(be, why, sizeof(why)) == 0)
			fprintf(out, "%-10s yes  %s\n", be->name, be->description);
		else
			fprintf(out, "%-10s no   %s: %s\n", be->name, be->description, why);
	}
	fprintf(out, "%-10s yes  no sampling: objects and their lifetimes only\n", "none");
}

/* "auto": the first backend that works; reason says why the better ones
 * did not. */
static const struct sampler_backend *pick_auto(char *reason, size_t len)
{
	char why[512];
	size_t i, used = 0;

	reason[0] = '\0';
	for (i = 0; i < NR_BACKENDS; i++) {
		if (probe(backends[i], why, sizeof(why)) == 0) {
			if (!used)
				snprintf(reason, len, "auto: best available");
			return backends[i];
		}
		used += snprintf(reason + used, used < len ? len - used : 0, "%s%s: %s",
				 used ? "; " : "", backends[i]->name, why);
		if (used >= len)
			used = len - 1;
	}
	return NULL;
}

/* What every event of every backend needs, whatever the backend said. */
static void complete_attr(struct perf_event_attr *attr, size_t ring_bytes)
{
	attr->size = sizeof(*attr);
	attr->inherit = 0;
	attr->use_clockid = 1;
	attr->clockid = CLOCK_MONOTONIC;
	attr->watermark = 1;
	attr->wakeup_watermark = (uint32_t)(ring_bytes / 4);
	attr->exclude_hv = 1;
	attr->sample_type |= PERF_SAMPLE_IDENTIFIER;
}

static size_t ring_pages(const struct sampler_backend *be)
{
	return be->ring_pages ? be->ring_pages : DEFAULT_RING_PAGES;
}

static int setup_backend(struct sampler *s, const struct sampler_backend *be)
{
	char why[512];
	int i;

	if (probe(be, why, sizeof(why)))
		return error("sampler %s: %s", be->name, why);
	s->nr_attrs = be->attrs(&s->opts, s->attrs, &s->group_leader, why, sizeof(why));
	if (s->nr_attrs <= 0)
		return error("sampler %s: %s", be->name, why);
	for (i = 0; i < s->nr_attrs; i++)
		complete_attr(&s->attrs[i], ring_pages(be) * sysconf(_SC_PAGESIZE));
	s->be = be;
	return 0;
}

/* Can this process open events on every cpu (pid -1)?  A disabled one
 * on cpu 0 tells: no RCU wait, no thread of ours involved. */
static bool cpu_events_allowed(const struct perf_event_attr *attr)
{
	const char *forced = getenv("NUMAMMA_TEST_EVENTS");
	struct perf_event_attr a = *attr;
	int fd;

	/* Tests take the path of machines where perf refuses them. */
	if (forced && !strcmp(forced, "thread"))
		return false;
	a.disabled = 1;
	fd = perf_event_open(&a, -1, 0, -1);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* A per-thread event's first open waits for the kernel's RCU grace period
 * (see the top of this file): a thread opens and closes one meanwhile, so
 * that the wait overlaps the program's launch (forks, exec, the profile's
 * creation), and the hooks stay on for a second after, when the
 * program's threads open theirs. */
static void *warm_up(void *attr)
{
	int fd = perf_event_open(attr, 0, -1, -1);

	if (fd >= 0)
		close(fd);
	return NULL;
}

static void start_warm_up(void)
{
	static struct perf_event_attr attr = {
		.size = sizeof(attr), .type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK, .disabled = 1, .exclude_kernel = 1,
	};
	pthread_attr_t tattr;
	pthread_t thread;

	if (pthread_attr_init(&tattr))
		return;
	pthread_attr_setdetachstate(&tattr, PTHREAD_CREATE_DETACHED);
	pthread_create(&thread, &tattr, warm_up, &attr);   /* failed: the wait comes later */
	pthread_attr_destroy(&tattr);
}

void sampler_set_sink(struct sampler *s, const struct sample_sink *sink)
{
	s->opts.sink = sink;
}

static void count(const struct sampler *s, pid_t tid, const char *name, uint64_t value)
{
	if (s->opts.sink)
		s->opts.sink->count(s->opts.sink->ctx, tid, name, value);
}

struct sampler *sampler_create(const struct sampler_opts *opts, const char **chosen, const char **reason)
{
	struct sampler *s = xcalloc(1, sizeof(*s));
	const char *name = opts->name ? opts->name : "auto";
	const struct sampler_backend *be = NULL;

	s->opts = *opts;
	s->due_ns = UINT64_MAX;
	sample_hold_init(&s->hold, 0);
	if (!strcmp(name, "none")) {
		*chosen = "none";
		*reason = "--sampler=none";
		return s;
	}
	if (!strcmp(name, "auto")) {
		be = pick_auto(s->reason, sizeof(s->reason));
		if (!be) {
			/* Objects and call stacks are worth having without samples. */
			warning("sampler: none works here, recording objects only: %s", s->reason);
			*chosen = "none";
			*reason = s->reason;
			return s;
		}
		if (!opts->quiet)
			fprintf(stderr, "numamma: sampler: %s (%s)\n", be->name, s->reason);
	} else {
		be = find_backend(name);
		if (!be) {
			error("unknown sampler '%s'", name);
			hint("samplers: auto, pebs, ibs, clock, watch, pagefault, none (see --list-samplers)");
			free(s);
			return NULL;
		}
		snprintf(s->reason, sizeof(s->reason), "--sampler=%s", name);
	}
	if (setup_backend(s, be)) {
		if (strcmp(name, "auto"))
			hint("`numamma profile --list-samplers` shows what works here");
		free(s);
		return NULL;
	}
	s->cpu_wide = be->cpu_wide && !opts->shared_cpus && cpu_events_allowed(&s->attrs[0]);
	s->ordered = !be->tick && opts->objs;
	if (!s->cpu_wide) {
		debug("sampler %s: one set of events per thread", be->name);
		start_warm_up();
	}
	s->scratch = xmalloc(SCRATCH_SIZE);
	s->page_mask = PAGE_CACHE_SIZE - 1;
	s->pages = xcalloc_sparse(PAGE_CACHE_SIZE, sizeof(*s->pages));
	*chosen = be->name;
	*reason = s->reason;
	return s;
}

/* ---- page nodes ---- */

static struct page_cache_ent *page_slot(struct sampler *s, uint32_t space, uint64_t page)
{
	uint64_t h = (page >> 12) * 0x9e3779b97f4a7c15ULL ^ space;

	return &s->pages[(h >> 20) & s->page_mask];
}

/* A new address space under pid: a process's first thread, or an exec. */
static void new_space(struct sampler *s, pid_t pid)
{
	if (++s->last_space == 0)       /* 0 is no space */
		s->last_space = 1;
	u64map_put(&s->spaces, (uint64_t)pid, s->last_space, 0);
}

/* 0 (nothing cached) for a pid whose start was not seen, or whose main
 * thread ended (the map holds the processes that run). */
static uint32_t space_of(const struct sampler *s, pid_t pid)
{
	struct u64map_slot *slot = u64map_find(&s->spaces, (uint64_t)pid);

	return slot ? (uint32_t)slot->a : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A page fault's sample can be read before that fault has mapped its
 * page (the event fires as the fault begins, and numamma reads it at
 * once): move_pages then says -ENOENT.  Such pages are asked about again,
 * a few times, ABSENT_WAIT_US apart; an answer of -ENOENT is not cached. */
#define ABSENT_TRIES 4
#define ABSENT_WAIT_US 25

static void page_nodes(pid_t pid, const uint64_t *pages, int *status, size_t n)
{
	uint64_t again[BATCH];
	size_t where[BATCH], na;

	if (nm_move_pages(pid, n, (void **)pages, NULL, status, 0))
		for (size_t i = 0; i < n; i++)
			status[i] = -errno;
	for (int t = 1; t < ABSENT_TRIES; t++) {
		int got[BATCH];

		na = 0;
		for (size_t i = 0; i < n; i++)
			if (status[i] == -ENOENT) {
				where[na] = i;
				again[na++] = pages[i];
			}
		if (!na)
			return;
		usleep(ABSENT_WAIT_US);
		if (nm_move_pages(pid, na, (void **)again, NULL, got, 0))
			return;
		for (size_t k = 0; k < na; k++)
			status[where[k]] = got[k];
	}
}

/* The node every page is on, on a machine of one node (-1 on others):
 * no need to ask the kernel there (move_pages was 3 us of numamma's 11
 * per clock sample of a compute run, its pages new to the cache). */
static int only_node(const struct sampler *s)
{
	const struct nm_topology *t = s->opts.topo;

	return t && t->nr_nodes == 1 && t->node_ids ? t->node_ids[0] : -1;
}

/* Fills page_node for the batch's samples of pid: cached answers first,
 * then one move_pages(2) for the distinct pages left. */
static void resolve_pid_pages(struct sampler *s, pid_t pid, uint64_t now, size_t first)
{
	uint64_t page_size = sysconf(_SC_PAGESIZE), pages[BATCH];
	uint32_t space = space_of(s, pid);
	int status[BATCH], only = only_node(s);
	size_t i, n = 0, nq = 1;

	if (only >= 0) {
		for (i = first; i < s->nr_batch; i++)
			if (s->batch[i].pid == pid && s->batch[i].addr)
				s->batch[i].page_node = only;
		return;
	}
	for (i = first; i < s->nr_batch; i++) {
		struct nm_sample *x = &s->batch[i];
		struct page_cache_ent *e;
		uint64_t page = x->addr & ~(page_size - 1);

		if (x->pid != pid || !x->addr)
			continue;
		e = page_slot(s, space, page);
		if (space && e->space == space && e->page == page && now - e->stamp < PAGE_NODE_TTL_NS)
			x->page_node = e->node;
		else
			pages[n++] = page;
	}
	if (!n)
		return;
	qsort(pages, n, sizeof(*pages), cmp_u64);
	for (i = 1; i < n; i++)
		if (pages[i] != pages[nq - 1])
			pages[nq++] = pages[i];
	page_nodes(pid, pages, status, nq);
	for (i = 0; space && i < nq; i++)
		if (status[i] != -ENOENT)
			*page_slot(s, space, pages[i]) = (struct page_cache_ent){
				space, status[i] >= 0 ? status[i] : -1, pages[i], now };
	for (i = first; i < s->nr_batch; i++) {
		struct nm_sample *x = &s->batch[i];
		uint64_t page = x->addr & ~(page_size - 1), *hit;

		if (x->pid != pid || !x->addr || x->page_node >= 0)
			continue;
		hit = bsearch(&page, pages, nq, sizeof(*pages), cmp_u64);
		if (hit && status[hit - pages] >= 0)
			x->page_node = status[hit - pages];
	}
}

static void emit(struct sampler *s, const struct nm_sample *x)
{
	if (s->opts.sink)
		s->opts.sink->sample(s->opts.sink->ctx, x);
}

/* x with the object at its address when it was taken, if any.  A
 * mapping is the vaguest of objects: one in a module's range (libc's
 * .bss, whose __environ the loader writes before numamma reads the
 * module) may hold a static not recorded yet, so while x may wait for
 * its modules (hold()) it takes none. */
static void attribute(struct sampler *s, struct nm_sample *x, bool may_wait)
{
	const struct nm_object *obj = objtrack_find(s->opts.objs, x->pid, x->addr, x->time_ns);

	x->object_id = x->object_addr = 0;
	/* A held sample claims no row yet: matched again at its release, it
	 * may find a static there, or the mapping that replaced this one (a
	 * split by mprotect numamma had not read yet), and a small mapping's
	 * row would stay without samples (t0151 failed 1 run in 16). */
	if (!obj || (may_wait && obj->kind == OBJ_MAPPING && sample_hold_wanted(&s->hold, x)))
		return;
	objtrack_claim(s->opts.objs, obj);
	x->object_id = obj->id;
	x->object_addr = obj->addr;
}

static void emit_attributed(void *arg, struct nm_sample *x)
{
	struct sampler *s = arg;

	attribute(s, x, false);
	emit(s, x);
}

static void release_held(struct sampler *s, pid_t pid, uint64_t until_ns)
{
	sample_hold_release(&s->hold, pid, until_ns, emit_attributed, s);
}

/* True when x waits in the hold for its modules; a full hold lets its
 * samples go first, matched as they can be now. */
static bool hold(struct sampler *s, const struct nm_sample *x)
{
	if (!s->opts.objs || !sample_hold_wanted(&s->hold, x))
		return false;
	if (!sample_hold_add(&s->hold, x)) {
		release_held(s, 0, UINT64_MAX);
		sample_hold_add(&s->hold, x);
	}
	return true;
}

static void queue(struct sampler *s, const struct nm_sample *x)
{
	if (s->nr_pending == s->cap_pending) {
		s->cap_pending = s->cap_pending ? 2 * s->cap_pending : BATCH;
		s->pending = xrealloc(s->pending, s->cap_pending * sizeof(*s->pending));
	}
	s->pending[s->nr_pending++] = *x;
	s->pending_sorted = false;
	if (x->time_ns < s->due_ns)
		s->due_ns = x->time_ns;
}

static void flush_batch(struct sampler *s)
{
	uint64_t now = now_ns();
	size_t i, j;

	if (s->be->filter)
		s->nr_batch = s->be->filter(s->batch, s->nr_batch);
	/* One pass per process in the batch, usually one. */
	for (i = 0; i < s->nr_batch; i++) {
		for (j = 0; j < i && s->batch[j].pid != s->batch[i].pid; j++)
			;
		if (j == i)
			resolve_pid_pages(s, s->batch[i].pid, now, i);
	}
	for (i = 0; i < s->nr_batch; i++) {
		if (s->ordered)
			queue(s, &s->batch[i]);
		else if (!hold(s, &s->batch[i]))
			emit(s, &s->batch[i]);
	}
	s->nr_batch = 0;
}

/* ---- draining ---- */

/* Cpu-wide mode: the traced thread tid, or NULL (another process's, or
 * numamma's own). */
static struct thread *thread_of(struct sampler *s, pid_t tid)
{
	struct u64map_slot *slot = tid > 0 ? u64map_find(&s->by_tid, (uint64_t)tid) : NULL;

	return slot ? (struct thread *)(uintptr_t)slot->a : NULL;
}

static int event_index(const struct thread *th, uint64_t id)
{
	int i;

	for (i = 0; i < th->pub.nr_events; i++)
		if (th->ids[i] == id)
			return i;
	return -1;
}

/* The agent's work in the program (its code, its rings), not the
 * program's: the pagefault sampler saw a third of cc1 --version's there. */
static bool in_agent(const struct sampler *s, const struct nm_sample *x)
{
	const struct u64map_slot *r = u64map_find(&s->agent, u64map_pid_key(x->pid));

	return r && ((x->ip >= r->a && x->ip < r->b) || (x->addr >= r->a && x->addr < r->b));
}

static void add_sample(struct thread *th, const void *body, size_t len)
{
	struct sampler *s = th->s;
	struct perf_sample_rec rec;
	struct nm_sample *x;
	uint64_t id;
	int idx;

	/* PERF_SAMPLE_IDENTIFIER comes first: it says which event, hence
	 * which sample_type, wrote the rest. */
	idx = -1;
	if (len >= sizeof(id)) {
		memcpy(&id, body, sizeof(id));
		idx = event_index(th, id);
	}
	if (idx < 0 || perf_decode_sample_regs(body, len, th->pub.attrs[idx].sample_type,
					       th->pub.attrs[idx].sample_regs_user, &rec)) {
		s->decode_failed++;
		return;
	}
	if (th->cpu >= 0 && !(th = thread_of(s, (pid_t)rec.tid))) {
		s->foreign++;
		return;
	}
	th->pub.hits[idx]++;
	th->samples++;
	x = &s->batch[s->nr_batch++];
	*x = (struct nm_sample){
		.time_ns = rec.time, .pid = rec.pid ? (pid_t)rec.pid : th->pub.pid,
		.tid = rec.tid ? (pid_t)rec.tid : th->pub.tid, .cpu = (int)rec.cpu,
		.node = topology_node_of_cpu(s->opts.topo, (int)rec.cpu),
		.addr = rec.addr, .ip = rec.ip, .access = ACCESS_UNKNOWN, .weight = 1,
		.level = LVL_UNKNOWN, .hops = -1, .snoop_hitm = -1, .tlb_miss = -1, .page_node = -1,
		.phys_addr = rec.phys_addr,
	};
	if (s->be->decode)
		s->be->decode(&rec, idx, x);
	if (in_agent(s, x)) {
		s->agent_samples++;
		s->nr_batch--;
		return;
	}
	if (s->be->locate && s->be->locate(&th->pub, &rec, x)) {
		s->nr_batch--;
		return;
	}
	if (s->be->seen)
		s->be->seen(&th->pub, x);
	if (s->opts.objs && !s->ordered)
		attribute(s, x, true);
	if (s->nr_batch == BATCH)
		flush_batch(s);
}

static void on_record(void *arg, const struct perf_event_header *hdr, const void *body)
{
	struct thread *th = arg;
	size_t len = hdr->size - sizeof(*hdr);

	if (hdr->type == PERF_RECORD_SAMPLE) {
		add_sample(th, body, len);
	} else if (hdr->type == PERF_RECORD_LOST && len >= 16) {
		uint64_t lost;

		memcpy(&lost, (const uint8_t *)body + 8, sizeof(lost));   /* after id */
		th->pub.lost += lost;
	}
}

static void drain_ring(struct thread *th)
{
	uint64_t head, tail;

	head = __atomic_load_n(&th->meta->data_head, __ATOMIC_ACQUIRE);
	tail = th->meta->data_tail;
	tail = perf_ring_walk(th->data, th->data_size, tail, head, th->s->scratch, on_record, th);
	/* Our reads are done before the kernel may overwrite the space. */
	__atomic_store_n(&th->meta->data_tail, tail, __ATOMIC_RELEASE);
}

static void drain_cpus(struct sampler *s)
{
	for (struct thread *ring = s->cpus; ring; ring = ring->next)
		drain_ring(ring);
}

/* Every ring: the cpus', or each thread's. */
static void drain_all(struct sampler *s)
{
	if (s->cpu_wide)
		drain_cpus(s);
	for (struct thread *th = s->threads; !s->cpu_wide && th; th = th->next)
		drain_ring(th);
}

/* A thread's samples so far: its ring's, or in cpu-wide mode every cpu's. */
void sampler_thread_drain(struct sampler_thread *pub)
{
	struct thread *th = (struct thread *)pub;

	if (th->meta)
		drain_ring(th);
	else if (th->s->cpu_wide)
		drain_cpus(th->s);
}

/* ---- samples in time order ---- */

static int by_time(const void *a, const void *b)
{
	const struct nm_sample *x = a, *y = b;

	return (x->time_ns > y->time_ns) - (x->time_ns < y->time_ns);
}

/* No lookup will ask for a heap block at a time before the last read,
 * nor before the oldest sample waiting: blocks ended by then need not
 * stay findable.  A held sample found none live at its time, and looks
 * again for statics and mappings only. */
static void tell_lookups_from(struct sampler *s)
{
	objtrack_lookups_from(s->opts.objs, s->read_ns < s->due_ns ? s->read_ns : s->due_ns);
}

void sampler_read(struct sampler *s)
{
	uint64_t t;

	if (!s || !s->ordered)
		return;
	t = now_ns();
	drain_all(s);
	flush_batch(s);
	s->read_ns = t;
	tell_lookups_from(s);
}

const uint64_t *sampler_due_ns(const struct sampler *s)
{
	static const uint64_t never = UINT64_MAX;

	return s && s->ordered ? &s->due_ns : &never;
}

void sampler_attribute_until(struct sampler *s, pid_t pid, uint64_t ns)
{
	size_t i, kept = 0, end;

	if (!s || !s->ordered || ns <= s->due_ns)
		return;
	if (!s->pending_sorted) {
		qsort(s->pending, s->nr_pending, sizeof(*s->pending), by_time);
		s->pending_sorted = true;
	}
	for (end = 0; end < s->nr_pending && s->pending[end].time_ns < ns; end++)
		;
	for (i = 0; i < end; i++) {
		struct nm_sample *x = &s->pending[i];

		if (pid && x->pid != pid) {
			s->pending[kept++] = *x;
			continue;
		}
		attribute(s, x, true);
		if (!hold(s, x))
			emit(s, x);
	}
	memmove(&s->pending[kept], &s->pending[end], (s->nr_pending - end) * sizeof(*s->pending));
	s->nr_pending -= end - kept;
	s->due_ns = s->nr_pending ? s->pending[0].time_ns : UINT64_MAX;
	tell_lookups_from(s);
}

/* ---- threads ---- */

/* Makes event index of th write into the ring of event 0. */
static int join_ring(struct thread *th, int index)
{
	return ioctl(th->pub.fds[index], PERF_EVENT_IOC_ID, &th->ids[index]) ||
	       ioctl(th->pub.fds[index], PERF_EVENT_IOC_SET_OUTPUT, th->pub.fds[0]);
}

void sampler_thread_close(struct sampler_thread *pub, int index)
{
	if (pub->fds[index] >= 0)
		close(pub->fds[index]);
	pub->fds[index] = -1;
}

int sampler_thread_reopen(struct sampler_thread *pub, int index, const struct perf_event_attr *attr,
			  int leader)
{
	struct thread *th = (struct thread *)pub;
	struct perf_event_attr a = *attr;

	complete_attr(&a, th->data_size);
	if (pub->fds[index] >= 0)
		close(pub->fds[index]);
	th->ids[index] = 0;
	pub->fds[index] = perf_event_open(&a, pub->tid, -1, leader >= 0 ? pub->fds[leader] : -1);
	if (pub->fds[index] < 0)
		return -1;
	if (join_ring(th, index)) {
		close(pub->fds[index]);
		pub->fds[index] = -1;
		th->ids[index] = 0;
		return -1;
	}
	return 0;
}

static void close_events(struct thread *th)
{
	int i;

	if (th->meta)
		munmap(th->meta, th->map_len);
	th->meta = NULL;
	for (i = 0; i < th->pub.nr_events; i++)
		if (th->pub.fds[i] >= 0)
			close(th->pub.fds[i]);
	th->pub.nr_events = 0;
}

/* Maps the ring of event 0, which the others will write into. */
static int map_ring(struct sampler *s, struct thread *th)
{
	long page = sysconf(_SC_PAGESIZE);

	if (ioctl(th->pub.fds[0], PERF_EVENT_IOC_ID, &th->ids[0]))
		return -1;
	th->data_size = ring_pages(s->be) * page;
	th->map_len = th->data_size + page;
	th->meta = mmap(NULL, th->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, th->pub.fds[0], 0);
	if (th->meta == MAP_FAILED) {
		th->meta = NULL;
		return -1;
	}
	th->data = (uint8_t *)th->meta + page;
	return 0;
}

/* Opens the thread's events.  0, or -1 with errno and what failed. */
static int open_events(struct sampler *s, struct thread *th, const char **what)
{
	int i;

	for (i = 0; i < s->nr_attrs; i++) {
		int group = s->group_leader && i ? th->pub.fds[0] : -1;

		*what = "perf_event_open";
		th->pub.fds[i] = perf_event_open(&s->attrs[i], th->pub.tid, th->cpu, group);
		if (th->pub.fds[i] < 0)
			return -1;
		th->pub.nr_events = i + 1;
		*what = i ? "joining the thread's perf ring" : "mapping the perf ring";
		if (i ? join_ring(th, i) : map_ring(s, th))
			return -1;
	}
	return 0;
}

static void warn_open_failed(struct sampler *s, pid_t tid, const char *what, int err)
{
	char why[512];

	s->open_failed++;
	if (s->warned_open++)
		return;
	if (!strcmp(what, "perf_event_open"))
		perf_open_why(s->be->name, err, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "%s: %s", what, strerror(err));
	warning("sampler %s: thread %d (and maybe others) not sampled: %s", s->be->name, tid, why);
}

static void unpoll(struct thread *th);

static void close_cpu_rings(struct sampler *s)
{
	while (s->cpus) {
		struct thread *ring = s->cpus;

		s->cpus = ring->next;
		unpoll(ring);
		close_events(ring);
		free(ring);
	}
}

/* Cpu-wide mode: a ring per online cpu, in the tracer's epoll set.  -1
 * when one cannot be had (perf_event_mlock_kb, say): the caller falls back
 * to per-thread events. */
static int open_cpu_rings(struct sampler *s)
{
	int ncpus = get_nprocs_conf();

	for (int cpu = 0; cpu < ncpus; cpu++) {
		struct thread *ring = xcalloc(1, sizeof(*ring));
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ring };
		const char *what;
		int err;

		*ring = (struct thread){ .s = s, .cpu = cpu, .pub = { .pid = -1, .tid = -1, .attrs = s->attrs } };
		if (!open_events(s, ring, &what) &&
		    !epoll_ctl(s->opts.epoll_fd, EPOLL_CTL_ADD, ring->pub.fds[0], &ev)) {
			ring->polled = 1;
			ring->next = s->cpus;
			s->cpus = ring;
			continue;
		}
		err = errno;
		close_events(ring);
		free(ring);
		if (err == ENODEV)      /* an offline cpu */
			continue;
		debug("sampler %s: cpu %d: %s: %s: one set of events per thread instead",
		      s->be->name, cpu, what, strerror(err));
		close_cpu_rings(s);
		return -1;
	}
	return 0;
}

/* Opens th's own events and polls its ring. */
static int open_thread_events(struct sampler *s, struct thread *th)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = th };
	const char *what = NULL;
	int err;

	if (!open_events(s, th, &what) &&
	    !(what = "epoll_ctl", epoll_ctl(s->opts.epoll_fd, EPOLL_CTL_ADD, th->pub.fds[0], &ev))) {
		th->polled = 1;
		return 0;
	}
	err = errno;
	close_events(th);
	warn_open_failed(s, th->pub.tid, what, err);
	return -1;
}

int sampler_thread_start(struct sampler *s, pid_t pid, pid_t tid)
{
	struct thread *th;

	if (!s || !s->be)
		return 0;
	if (tid == pid)
		new_space(s, pid);
	if (s->cpu_wide && !s->rings_open) {
		s->rings_open = true;
		s->cpu_wide = open_cpu_rings(s) == 0;
		debug("sampler %s: %s", s->be->name, s->cpu_wide ? "events on every cpu" :
		      "one set of events per thread");
	}
	th = xcalloc(1, sizeof(*th));
	th->s = s;
	th->cpu = -1;
	th->pub.pid = pid;
	th->pub.tid = tid;
	th->pub.attrs = s->attrs;
	if (s->cpu_wide) {
		u64map_put(&s->by_tid, (uint64_t)tid, (uintptr_t)th, 0);
	} else if (open_thread_events(s, th)) {
		free(th);
		return -1;
	}
	if (s->be->thread_start)
		s->be->thread_start(&th->pub);
	th->next = s->threads;
	s->threads = th;
	return 0;
}

static void unpoll(struct thread *th)
{
	if (th->polled)
		epoll_ctl(th->s->opts.epoll_fd, EPOLL_CTL_DEL, th->pub.fds[0], NULL);
	th->polled = 0;
}

/* Drains, stores the thread's counts, closes; the struct itself waits for
 * the next tick, as the tracer may still hold an epoll event for it. */
static void stop_thread(struct sampler *s, struct thread *th)
{
	sampler_thread_drain(&th->pub);
	flush_batch(s);
	count(s, th->pub.tid, "samples", th->samples);
	count(s, th->pub.tid, "lost", th->pub.lost);
	if (s->be->thread_stop)
		s->be->thread_stop(&th->pub, s->opts.sink);
	if (s->cpu_wide) {
		struct u64map_slot *slot = u64map_find(&s->by_tid, (uint64_t)th->pub.tid);

		if (slot && slot->a == (uintptr_t)th)
			u64map_remove(&s->by_tid, slot);
	}
	if (th->pub.tid == th->pub.pid) {
		struct u64map_slot *space = u64map_find(&s->spaces, (uint64_t)th->pub.pid);

		if (space)
			u64map_remove(&s->spaces, space);
	}
	unpoll(th);
	close_events(th);
	th->dead = 1;
	th->next = s->zombies;
	s->zombies = th;
}

void sampler_thread_stop(struct sampler *s, pid_t tid)
{
	struct thread **p;

	if (!s)
		return;
	for (p = &s->threads; *p; p = &(*p)->next) {
		struct thread *th = *p;

		if (th->pub.tid == tid) {
			*p = th->next;
			stop_thread(s, th);
			return;
		}
	}
}

void sampler_handle_ready(struct sampler *s, void *ptr)
{
	struct thread *th = ptr;
	struct pollfd pfd;

	if (!s || !th || th->dead)
		return;
	/* In time order, the tracer's pass read them already. */
	if (!s->be->tick && !s->ordered) {
		sampler_thread_drain(&th->pub);
		flush_batch(s);
	}
	/* The thread exited: its event reports EPOLLHUP until closed, which
	 * a level-triggered epoll would repeat forever. */
	pfd = (struct pollfd){ .fd = th->pub.fds[0], .events = POLLIN };
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP))
		unpoll(th);
}

static void free_zombies(struct sampler *s)
{
	while (s->zombies) {
		struct thread *th = s->zombies;

		s->zombies = th->next;
		free(th->pub.priv);
		free(th);
	}
}

int sampler_tick(struct sampler *s, uint64_t now)
{
	struct thread *th;
	int rotate;
	uint64_t cpu_start = thread_cpu_ns();

	if (!s || !s->be)
		return -1;
	free_zombies(s);
	rotate = s->be->tick && now >= s->next_tick_ns;
	for (th = s->threads; rotate && th; th = th->next)
		s->be->tick(&th->pub, &s->opts);
	if (!s->be->tick && !s->ordered)
		drain_all(s);
	flush_batch(s);
	if (!s->be->tick)
		return DRAIN_MS;
	if (rotate) {
		/* With many threads a rotation gets long: the tracer spends
		 * at most a third of its cpu rotating, the rest on ptrace.
		 * Cpu, not wall time: under emulation a rotation is mostly
		 * waiting for the IPIs that reach the threads' cpus, and
		 * pausing for that long again only made samples scarcer. */
		uint64_t spent = thread_cpu_ns() - cpu_start, interval = s->be->tick_ms * 1000000ULL;

		s->next_tick_ns = now + (2 * spent > interval ? 2 * spent : interval);
	}
	return (int)((s->next_tick_ns - now + 999999) / 1000000);
}

void sampler_thread_stopped(struct sampler *s, pid_t tid)
{
	if (s && s->be && s->be->thread_stopped)
		s->be->thread_stopped(tid);
}

static struct sampler_thread *find_thread(struct sampler *s, pid_t tid)
{
	struct thread *th;

	for (th = s->threads; th; th = th->next)
		if (th->pub.tid == tid)
			return &th->pub;
	return NULL;
}

void sampler_modules_known(struct sampler *s, pid_t pid, uint64_t ns)
{
	if (!s)
		return;
	sample_hold_known(&s->hold, pid, ns);
	release_held(s, pid, ns);
}

void sampler_agent_region(struct sampler *s, pid_t pid, uint64_t start, uint64_t end)
{
	if (s)
		u64map_put(&s->agent, u64map_pid_key(pid), start, end);
}

void sampler_process_fork(struct sampler *s, pid_t ppid, pid_t pid)
{
	const struct u64map_slot *r;

	if (!s)
		return;
	sample_hold_fork(&s->hold, ppid, pid);
	if ((r = u64map_find(&s->agent, u64map_pid_key(ppid))))
		sampler_agent_region(s, pid, r->a, r->b);
}

void sampler_process_end(struct sampler *s, pid_t pid)
{
	sampler_attribute_until(s, pid, UINT64_MAX);
	if (s)
		release_held(s, pid, UINT64_MAX);
}

void sampler_process_exec(struct sampler *s, pid_t pid, uint64_t ns)
{
	if (!s)
		return;
	/* The old image's samples: no read of its modules is to come. */
	sampler_attribute_until(s, pid, ns);
	release_held(s, pid, ns);
	sample_hold_known(&s->hold, pid, ns);
	sampler_agent_region(s, pid, 0, 0);
	if (!s->pages)
		return;
	if (s->be->process_exec)
		s->be->process_exec(pid, find_thread(s, pid));
	/* Cached page nodes describe the old address space. */
	new_space(s, pid);
}

void sampler_destroy(struct sampler *s)
{
	uint64_t lost = 0;

	if (!s)
		return;
	while (s->threads) {
		struct thread *th = s->threads;

		s->threads = th->next;
		stop_thread(s, th);
	}
	free_zombies(s);
	sampler_attribute_until(s, 0, UINT64_MAX);
	free(s->pending);
	release_held(s, 0, UINT64_MAX);
	sample_hold_free(&s->hold);
	u64map_free(&s->agent);
	if (s->agent_samples)
		count(s, 0, "agent", s->agent_samples);
	for (struct thread *ring = s->cpus; ring; ring = ring->next)
		lost += ring->pub.lost;
	close_cpu_rings(s);
	u64map_free(&s->by_tid);
	u64map_free(&s->spaces);
	/* Cpu-wide: the kernel's losses are a cpu's, not a thread's. */
	if (lost)
		count(s, 0, "lost", lost);
	if (s->foreign)
		debug("sampler %s: %llu samples of threads not traced, dropped", s->be->name,
		      (unsigned long long)s->foreign);
	if (s->open_failed)
		count(s, 0, "open_failed", s->open_failed);
	if (s->decode_failed)
		count(s, 0, "decode_failed", s->decode_failed);
	free(s->scratch);
	xfree_sparse(s->pages, PAGE_CACHE_SIZE, sizeof(*s->pages));
	free(s);
}
