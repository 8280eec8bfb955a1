/* The watch sampler: hardware watchpoints (debug registers) on words of
 * live objects, rotated, per thread.  It needs no PMU, so it works in VMs,
 * and gives true per-thread accesses with their data address.
 *
 * Targets.  Every WATCH_INTERVAL_MS each thread gets two new words: half
 * the time one near its last hit (pick_word), else an object picked with
 * probability proportional to its size (objtrack_pick_weighted; one time
 * in eight, any object alike), then a uniformly random 8-byte word inside
 * it.  Such a random word is picked again (a few times at most) when it
 * lies near another thread's recent hit: a thread not hit yet then looks
 * where no other thread was seen working, where its own part of the data
 * must be.  Rotations are slow under emulation (tens of ms for a few
 * threads in the TCG guest: each perf_event_open, close and ioctl on a
 * running thread is an IPI), and without this a worker could go a whole
 * compute phase unsampled, its picks spent on its neighbours' data.
 * Threads choose independently: a thread only triggers its own
 * watchpoints, so its samples show where it, itself, goes; for the same
 * reason other threads' stacks are skipped.
 *
 * Events.  Event 0 is a dummy software event that owns the thread's ring;
 * events 1-4 are the watchpoint slots, writing into it.
 *
 * Reads and writes.  A read-only watchpoint does not exist on x86, and an
 * RW hit does not say which it was.  Each word is therefore watched twice:
 * slot 2k as W, slot 2k+1 as RW.  A write triggers both in the same debug
 * exception (same ip, nearby records); a read only the RW one.  The
 * filter keeps the W sample of a pair and turns lone RW hits into reads.
 * That is sound only if the W slot never runs without the RW one: the W
 * event is a member of the RW event's group, so it counts only while the
 * RW event is enabled, and the cap is the RW event's.  (Armed one after
 * the other with a cap each, one slot ran out before the other and the
 * pairs broke: writes were taken for reads.)
 *
 * Overhead bound.  A hit costs a debug exception and a sample, ~13 us here
 * (30-50 us under TCG).  The kernel caps each RW slot at WATCH_CAP hits
 * per interval (PERF_EVENT_IOC_REFRESH: the event disables itself after
 * that many overflows, and its group with it); every access to the word
 * hits the RW slot, so its W member hits no more.  A thread spends at most
 *   2 words * 2 slots * WATCH_CAP * 13 us / WATCH_INTERVAL_MS = 10.4%
 * of a cpu (under TCG, 50 us a hit: 40%) in watchpoint hits, however hot
 * the word.
 * A short interval with a small cap visits more words for the same bound:
 * what placement needs is where each thread goes, not how often it hits
 * one word.  (A sweep over a large array touches each word once per
 * pass: the samples a thread gets there grow with how many of its own
 * words are watched at once, not with how long each is.)
 *
 * Keeping the cap exact: at each rotation the slots are closed, the
 * ring drained (their records must be decoded while their ids are known),
 * and each slot reopened on its new word and armed with
 * PERF_EVENT_IOC_REFRESH(WATCH_CAP).  A fresh event makes the limit exact
 * whatever happened before; retargeting in place
 * (PERF_EVENT_IOC_MODIFY_ATTRIBUTES) would not: the kernel (6.x) stops a
 * breakpoint whose limit ran out for good, REFRESH and ENABLE do not
 * restart it, and topping up a live limit needs exact hit counts.  A
 * rotation costs 4 close, 4 perf_event_open and 2 ioctl per thread, ~1%
 * of the tracer's cpu per thread here; under emulation each is an IPI to
 * the thread's cpu, which is what bounds the rotation rate.
 *
 * The sample's ip is the instruction after the access (a data breakpoint
 * traps after it); its address is the watched word (bp_addr). */
#include <linux/hw_breakpoint.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <time.h>

#include "error.h"
#include "objtrack.h"
#include "sampler_backend.h"

#define WATCH_SLOTS 4
#define RING_OWNER 1               /* events before the first slot */
#define WATCH_INTERVAL_MS 1
#define WATCH_CAP 2
#define NEAR_SPAN (64 << 10)       /* words picked around the last hit */
#define NEAR_FRESH_NS (1000 * 1000000ULL)
#define WATCH_PARK_ADDR 0x1000     /* never mapped (mmap_min_addr) */
#define PAIR_WINDOW_NS 200000      /* both halves of a write's pair */
#define PAIR_SEARCH 8              /* samples either side to look for it */
#define PAIRED_WRITE 'w'           /* filter-internal access mark */
#define CLAIMS 64                  /* recent hits remembered, all threads */
#define CLAIM_TRIES 4              /* random picks before taking a claimed one */

#define WATCH_SAMPLE_TYPE (PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | \
			   PERF_SAMPLE_ADDR | PERF_SAMPLE_CPU)

struct watch_thread {
	uint64_t rng;
	uint64_t hot_addr, hot_ns;     /* the thread's last hit */
};

/* The latest hits of every thread traced (one sampler per numamma run). */
static struct claim {
	pid_t pid, tid;
	uint64_t addr, ns;
} claims[CLAIMS];
static unsigned next_claim;

static int slot_is_write(int slot)
{
	return slot % 2 == 0;
}

static int slot_of(int event_index)
{
	return event_index - RING_OWNER;
}

static void watch_attr(struct perf_event_attr *attr, unsigned type, uint64_t addr)
{
	memset(attr, 0, sizeof(*attr));
	attr->type = PERF_TYPE_BREAKPOINT;
	attr->bp_type = type;
	attr->bp_addr = addr;
	attr->bp_len = HW_BREAKPOINT_LEN_8;
	attr->sample_period = 1;
	attr->sample_type = WATCH_SAMPLE_TYPE;
	attr->exclude_kernel = 1;
	attr->disabled = 1;            /* armed by the first rotation */
}

static volatile uint64_t probe_word;

static void write_probe_word(void)
{
	for (int i = 0; i < 1000; i++)
		probe_word = (uint64_t)i;
}

static int watch_probe(char *why, size_t len)
{
	static const char *const names[] = { "breakpoint" };
	struct perf_event_attr attr;

	watch_attr(&attr, HW_BREAKPOINT_RW, (uint64_t)&probe_word);
	return sampler_self_test(&attr, 1, 0, names, write_probe_word,
				 "hardware breakpoints open but never fire on this machine "
				 "(the hypervisor does not deliver debug exceptions)", why, len);
}

static int watch_attrs(const struct sampler_opts *opts, struct perf_event_attr *attrs,
		       int *group_leader, char *why, size_t len)
{
	int i;

	memset(&attrs[0], 0, sizeof(attrs[0]));
	attrs[0].type = PERF_TYPE_SOFTWARE;
	attrs[0].config = PERF_COUNT_SW_DUMMY;
	attrs[0].sample_type = WATCH_SAMPLE_TYPE;
	attrs[0].exclude_kernel = 1;
	for (i = 0; i < WATCH_SLOTS; i++)
		watch_attr(&attrs[RING_OWNER + i],
			   slot_is_write(i) ? HW_BREAKPOINT_W : HW_BREAKPOINT_RW, WATCH_PARK_ADDR);
	*group_leader = 0;
	return RING_OWNER + WATCH_SLOTS;
}

static void watch_decode(const struct perf_sample_rec *rec, int event_index, struct nm_sample *out)
{
	/* Provisional: the filter decides what an RW hit was. */
	out->access = slot_is_write(slot_of(event_index)) ? ACCESS_WRITE : ACCESS_READ;
}

static uint64_t time_apart(const struct nm_sample *a, const struct nm_sample *b)
{
	return a->time_ns > b->time_ns ? a->time_ns - b->time_ns : b->time_ns - a->time_ns;
}

/* Whether rw is the RW half of the write w. */
static int same_access(const struct nm_sample *w, const struct nm_sample *rw)
{
	return w->access == ACCESS_WRITE && w->tid == rw->tid && w->addr == rw->addr &&
	       w->ip == rw->ip && time_apart(w, rw) < PAIR_WINDOW_NS;
}

/* The unpaired W sample near v[i] that v[i] (an RW hit) is the other half
 * of, closest in time; -1 if none.  The two halves are written by the same
 * debug exception, but not always next to each other: the kernel walks the
 * debug registers in its own order, so two writes in a row may give
 * W W RW RW. */
static ssize_t find_pair(const struct nm_sample *v, size_t n, size_t i)
{
	size_t j = i > PAIR_SEARCH ? i - PAIR_SEARCH : 0, end = i + PAIR_SEARCH < n ? i + PAIR_SEARCH : n - 1;
	ssize_t best = -1;

	for (; j <= end; j++)
		if (same_access(&v[j], &v[i]) &&
		    (best < 0 || time_apart(&v[j], &v[i]) < time_apart(&v[best], &v[i])))
			best = (ssize_t)j;
	return best;
}

/* Drops the RW half of each write's pair.  While pairing, a paired W is
 * marked PAIRED_WRITE so that it pairs once, a dropped RW is marked 0. */
static size_t watch_filter(struct nm_sample *v, size_t n)
{
	size_t i, kept = 0;

	for (i = 0; i < n; i++) {
		ssize_t w = v[i].access == ACCESS_READ ? find_pair(v, n, i) : -1;

		if (w >= 0) {
			v[w].access = PAIRED_WRITE;
			v[i].access = 0;
		}
	}
	for (i = 0; i < n; i++) {
		if (v[i].access == PAIRED_WRITE)
			v[i].access = ACCESS_WRITE;
		if (v[i].access)
			v[kept++] = v[i];
	}
	return kept;
}

static uint64_t next_rand(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A word near the thread's last hit, inside the object that holds it, or
 * 0.  Half the words are picked so: a thread that keeps to its part of a
 * large array (the pattern placement is for) is then watched where it
 * works, not only where a size-weighted pick happens to fall. */
static uint64_t near_word(const struct sampler_thread *th, struct objtrack *objs,
			  const struct watch_thread *w, uint64_t r)
{
	const struct nm_object *o;
	uint64_t lo, hi;

	if (!w->hot_addr || now_ns() - w->hot_ns > NEAR_FRESH_NS)
		return 0;
	o = objtrack_live_at(objs, th->pid, w->hot_addr);
	if (!o || o->kind == OBJ_STACK || o->kind == OBJ_MAPPING)
		return 0;
	lo = w->hot_addr > o->addr + NEAR_SPAN ? w->hot_addr - NEAR_SPAN : o->addr;
	hi = w->hot_addr + NEAR_SPAN < o->addr + o->size ? w->hot_addr + NEAR_SPAN : o->addr + o->size;
	return hi > lo ? (lo + r % (hi - lo)) & ~7ULL : 0;
}

/* Whether another thread of th's process was hit near addr lately. */
static int claimed_by_other(const struct sampler_thread *th, uint64_t addr, uint64_t now)
{
	for (int i = 0; i < CLAIMS; i++) {
		const struct claim *c = &claims[i];

		if (c->ns && c->pid == th->pid && c->tid != th->tid && now - c->ns < NEAR_FRESH_NS &&
		    addr + NEAR_SPAN > c->addr && addr < c->addr + NEAR_SPAN)
			return 1;
	}
	return 0;
}

/* Seven times in eight by size, where most accesses go, once by object,
 * so that small hot ones (a contended cache line) are watched too. */
static uint64_t random_word(const struct sampler_thread *th, struct objtrack *objs, uint64_t *rng)
{
	uint64_t r = next_rand(rng);
	const struct nm_object *o = r % 8 == 0 ? objtrack_pick_uniform(objs, th->pid, r >> 3)
					       : objtrack_pick_weighted(objs, th->pid, r >> 3);

	if (!o || !o->size)
		return 0;
	return (o->addr + next_rand(rng) % o->size) & ~7ULL;
}

/* A word of a live object of th's process, or 0: half near the last hit,
 * the rest random, away from other threads' recent hits if it can. */
static uint64_t pick_word(const struct sampler_thread *th, struct objtrack *objs,
			  const struct watch_thread *w, uint64_t *rng)
{
	uint64_t word = 0, now = now_ns();

	if (!objs)
		return 0;
	if (next_rand(rng) % 2 && (word = near_word(th, objs, w, next_rand(rng))))
		return word;
	for (int i = 0; i < CLAIM_TRIES; i++)
		if ((word = random_word(th, objs, rng)) && !claimed_by_other(th, word, now))
			break;
	return word;
}

static struct watch_thread *watch_state(struct sampler_thread *th)
{
	struct watch_thread *w = th->priv;
	struct timespec ts;

	if (w)
		return w;
	w = th->priv = xcalloc(1, sizeof(*w));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	w->rng = (uint64_t)th->tid << 32 ^ (uint64_t)ts.tv_nsec;
	return w;
}

/* The slot's attr aimed at addr.  An RW slot leads its group, disabled
 * until armed; the W member is enabled, to run whenever its leader does. */
static struct perf_event_attr slot_attr(const struct sampler_thread *th, int slot, uint64_t addr)
{
	struct perf_event_attr attr = th->attrs[RING_OWNER + slot];

	attr.bp_addr = addr;
	attr.disabled = !slot_is_write(slot);
	return attr;
}

/* Fresh RW and W events on the word, the RW leader limited to WATCH_CAP
 * hits; enabling it last starts both at once. */
static void arm_word(struct sampler_thread *th, int w_slot, uint64_t addr)
{
	struct perf_event_attr w = slot_attr(th, w_slot, addr), rw = slot_attr(th, w_slot + 1, addr);
	int w_index = RING_OWNER + w_slot, rw_index = w_index + 1;

	if (sampler_thread_reopen(th, rw_index, &rw, -1))
		return;
	sampler_thread_reopen(th, w_index, &w, rw_index);
	ioctl(th->fds[rw_index], PERF_EVENT_IOC_REFRESH, WATCH_CAP);
}

/* Every word moves on at each tick.  Keeping a word not hit yet was
 * tried: in a sweep shared out between threads, most words of a thread's
 * picks lie in the other threads' parts and are never its to hit, so
 * patience spent the interval on them and sampled less. */
static void watch_tick(struct sampler_thread *th, const struct sampler_opts *opts)
{
	struct watch_thread *w = watch_state(th);
	int slot;

	/* The W members first: a member outliving its leader runs alone. */
	for (slot = 0; slot < WATCH_SLOTS; slot += 2)
		sampler_thread_close(th, RING_OWNER + slot);
	for (slot = 1; slot < WATCH_SLOTS; slot += 2)
		sampler_thread_close(th, RING_OWNER + slot);
	sampler_thread_drain(th);
	for (slot = 0; slot < WATCH_SLOTS; slot += 2) {
		uint64_t word = pick_word(th, opts->objs, w, &w->rng);

		if (word)
			arm_word(th, slot, word);
	}
}

static void watch_seen(struct sampler_thread *th, const struct nm_sample *x)
{
	struct watch_thread *w = watch_state(th);

	w->hot_addr = x->addr;
	w->hot_ns = x->time_ns;
	claims[next_claim++ % CLAIMS] = (struct claim){ th->pid, th->tid, x->addr, x->time_ns };
}

const struct sampler_backend sampler_watch = {
	.name = "watch",
	.description = "software: rotating hardware watchpoints, per-thread reads and writes",
	.probe = watch_probe,
	.attrs = watch_attrs,
	.decode = watch_decode,
	.tick_ms = WATCH_INTERVAL_MS,
	.tick = watch_tick,
	.filter = watch_filter,
	.seen = watch_seen,
};
