/* The watch sampler: hardware watchpoints (debug registers) on words of
 * live objects, rotated, per thread.  It needs no PMU, so it works in VMs,
 * and gives true per-thread accesses with their data address.
 *
 * Targets.  Every WATCH_INTERVAL_MS each thread gets two new words: an
 * object picked with probability proportional to its size
 * (objtrack_pick_weighted), then a uniformly random 8-byte word inside it.
 * Threads choose independently: a thread only triggers its own
 * watchpoints, so its samples show where it, itself, goes.
 *
 * Reads and writes.  A read-only watchpoint does not exist on x86, and an
 * RW hit does not say which it was.  Each word is therefore watched twice:
 * slot 2k as W, slot 2k+1 as RW.  A write triggers both in the same debug
 * exception (same ip, adjacent records); a read only the RW one.  The
 * filter keeps the W sample of a pair and turns lone RW hits into reads.
 *
 * Overhead bound.  A hit costs a debug exception and a sample, ~13 us here
 * (30-50 us under TCG).  The kernel caps each slot at WATCH_CAP hits per
 * interval (PERF_EVENT_IOC_REFRESH: the event disables itself after that
 * many overflows), so a thread spends at most
 *   4 slots * WATCH_CAP * 13 us / WATCH_INTERVAL_MS = 4.2% of a cpu
 * (17% under TCG) in watchpoint hits, however hot the word.
 *
 * Keeping the cap exact: the kernel's limit only grows by REFRESH and
 * shrinks by one per hit; 0 means "no limit" for an enabled event.  At a
 * rotation each slot is first retargeted disabled, then the ring drained,
 * so that every hit of the last interval is counted; the slot is then
 * topped up to WATCH_CAP.  Lost records make counts uncertain: the slots
 * are then assumed spent, which at worst doubles the cap once.
 *
 * The sample's ip is the instruction after the access (a data breakpoint
 * traps after it); its address is the watched word (bp_addr). */
#include <linux/hw_breakpoint.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "error.h"
#include "objtrack.h"
#include "sampler_backend.h"

#define WATCH_SLOTS 4
#define WATCH_INTERVAL_MS 10
#define WATCH_CAP 8
#define WATCH_PARK_ADDR 0x1000     /* never mapped (mmap_min_addr) */
#define PAIR_WINDOW_NS 200000      /* both halves of a write's pair */

#define WATCH_SAMPLE_TYPE (PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | \
			   PERF_SAMPLE_ADDR | PERF_SAMPLE_CPU)

struct watch_thread {
	uint64_t rng;
	uint64_t hits_seen[WATCH_SLOTS];   /* th->hits at the last rotation */
	uint64_t lost_seen;
	unsigned left[WATCH_SLOTS];        /* the kernel's remaining limit */
};

static int slot_is_write(int slot)
{
	return slot % 2 == 0;
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

static int watch_probe(char *why, size_t len)
{
	static uint64_t word;
	struct perf_event_attr attr;

	watch_attr(&attr, HW_BREAKPOINT_RW, (uint64_t)&word);
	return sampler_try_open(&attr, "breakpoint", why, len);
}

static int watch_attrs(const struct sampler_opts *opts, struct perf_event_attr *attrs,
		       int *group_leader, char *why, size_t len)
{
	int i;

	for (i = 0; i < WATCH_SLOTS; i++)
		watch_attr(&attrs[i], slot_is_write(i) ? HW_BREAKPOINT_W : HW_BREAKPOINT_RW,
			   WATCH_PARK_ADDR);
	*group_leader = 0;
	return WATCH_SLOTS;
}

static void watch_decode(const struct perf_sample_rec *rec, int event_index, struct nm_sample *out)
{
	/* Provisional: the filter decides what an RW hit was. */
	out->access = slot_is_write(event_index) ? ACCESS_WRITE : ACCESS_READ;
}

static int same_access(const struct nm_sample *w, const struct nm_sample *rw)
{
	uint64_t dt = w->time_ns > rw->time_ns ? w->time_ns - rw->time_ns : rw->time_ns - w->time_ns;

	return w->access == ACCESS_WRITE && w->tid == rw->tid && w->addr == rw->addr &&
	       w->ip == rw->ip && dt < PAIR_WINDOW_NS;
}

/* Drops the RW half of each write's pair (marked access 0, then
 * compacted).  A W sample pairs once: consumed is the last one paired. */
static size_t watch_filter(struct nm_sample *v, size_t n)
{
	size_t i, kept = 0, consumed = SIZE_MAX;

	for (i = 0; i < n; i++) {
		if (v[i].access != ACCESS_READ)
			continue;
		if (i > 0 && consumed != i - 1 && same_access(&v[i - 1], &v[i])) {
			consumed = i - 1;
			v[i].access = 0;
		} else if (i + 1 < n && same_access(&v[i + 1], &v[i])) {
			consumed = i + 1;
			v[i].access = 0;
		}
	}
	for (i = 0; i < n; i++)
		if (v[i].access)
			v[kept++] = v[i];
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

/* Up to two words of live objects of pid; returns how many. */
static int pick_words(struct objtrack *objs, pid_t pid, uint64_t *rng, uint64_t words[2])
{
	int n;

	for (n = 0; objs && n < WATCH_SLOTS / 2; n++) {
		const struct nm_object *o = objtrack_pick_weighted(objs, pid, next_rand(rng));

		if (!o || !o->size)
			break;
		words[n] = (o->addr + next_rand(rng) % o->size) & ~7ULL;
	}
	return n;
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

/* Retargets a slot, leaving it disabled. */
static int retarget(struct sampler_thread *th, int slot, uint64_t addr)
{
	struct perf_event_attr attr = th->attrs[slot];

	attr.bp_addr = addr;
	attr.disabled = 1;
	return ioctl(th->fds[slot], PERF_EVENT_IOC_MODIFY_ATTRIBUTES, &attr);
}

/* What remains of the kernel's limit after `used` hits. */
static unsigned limit_left(unsigned left, uint64_t used, int unsure)
{
	return unsure || used >= left ? 0 : left - (unsigned)used;
}

/* Enables a slot for WATCH_CAP more hits at most (see the top comment). */
static void rearm(int fd, unsigned *left)
{
	if (*left == WATCH_CAP) {
		ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
		return;
	}
	if (ioctl(fd, PERF_EVENT_IOC_REFRESH, WATCH_CAP - *left) == 0)
		*left = WATCH_CAP;
}

static void watch_tick(struct sampler_thread *th, const struct sampler_opts *opts)
{
	struct watch_thread *w = watch_state(th);
	uint64_t words[WATCH_SLOTS / 2];
	int nwords = pick_words(opts->objs, th->pid, &w->rng, words), armed[WATCH_SLOTS];
	int i, unsure;

	for (i = 0; i < th->nr_events; i++)
		armed[i] = retarget(th, i, i / 2 < nwords ? words[i / 2] : WATCH_PARK_ADDR) == 0 &&
			   i / 2 < nwords;
	sampler_thread_drain(th);
	unsure = th->lost != w->lost_seen;
	w->lost_seen = th->lost;
	for (i = 0; i < th->nr_events; i++) {
		uint64_t used = th->hits[i] - w->hits_seen[i];

		w->hits_seen[i] = th->hits[i];
		w->left[i] = limit_left(w->left[i], used, unsure);
		if (armed[i])
			rearm(th->fds[i], &w->left[i]);
	}
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
};
