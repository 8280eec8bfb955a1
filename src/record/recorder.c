/* The consumer of allocation events: see include/recorder.h.
 *
 * Counting: every call is counted against its (call site, process), and
 * each live block remembers which counters it was charged to, so that its
 * free is charged there too (live bytes and their peak).  A heap block
 * carries its counter's index in the object tracker (one lookup per free,
 * not two); mappings, which munmap may end piecemeal, keep theirs here.
 * Each thread's calls are counted too, for its row, while it lives.
 * Memory is bounded by what is live. */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "error.h"
#include "objtrack.h"
#include "recorder.h"
#include "u64map.h"

struct totals {
	int64_t callsite_id;
	int32_t pid;
	uint64_t allocs, frees, bytes, live, peak, max;
};

/* A live thread's calls (its row's allocations, frees and bytes). */
struct thread_calls {
	uint64_t key;              /* thread_key(); 0: a free entry */
	struct db_thread_calls n;
	uint64_t last_ns;          /* the time of its newest call read */
};

struct live_proc {
	struct u64map maps;        /* mapping's addr -> (totals index, size) */
	/* Heap blocks ended when a new block took their start, before the
	 * call that released them was read: addr -> (the newest such time,
	 * how many wait).  See wait_displaced(). */
	struct u64map displaced;
};

/* Displaced blocks kept, a process, before those of more than a second
 * ago are dropped (a free numamma missed leaves one no realloc takes). */
#define DISPLACED_MANY 1024
#define DISPLACED_OLD_NS 1000000000ULL

struct recorder {
	struct objtrack *ot;
	struct nm_db *db;
	struct recorder_hooks hooks;
	uint64_t min_size;
	bool every_static;         /* recorder_every_static() */
	/* A call site's counters in the first process that called it, by
	 * its id (the store numbers sites from 1 without gaps): index + 1,
	 * 0 none.  A new stack's site was a miss in the map below at its
	 * first call, 15% of numamma's work in bc's 175,000 stacks. */
	uint32_t *first_site;
	size_t nfirst_site;
	struct u64map sites;       /* the others: pid << 32 | callsite -> totals index */
	struct totals *totals;
	size_t ntotals, captotals;
	/* pid (u64map_pid_key()) -> its live_proc: every process the run
	 * has had (a walk of them at each of a build's unmaps and fork
	 * copies' frees). */
	struct u64map procs;
	struct u64map threads;     /* thread_key() -> its calls' index */
	struct thread_calls *calls;
	size_t ncalls, capcalls;
	size_t last_calls;         /* the last thread's: calls come in runs */
	uint32_t *free_calls;      /* entries of threads that ended */
	size_t nfree_calls;
	size_t ndisplaced;         /* in every live_proc's displaced */
};

struct recorder *recorder_new(struct objtrack *ot, const struct recorder_hooks *hooks,
			      uint64_t min_size)
{
	struct recorder *r = xcalloc(1, sizeof(*r));

	r->ot = ot;
	r->min_size = min_size;
	if (hooks)
		r->hooks = *hooks;
	/* Run mode's placer places statics as their module is hooked. */
	r->every_static = r->hooks.event != NULL;
	return r;
}

void recorder_every_static(struct recorder *r)
{
	r->every_static = true;
}

void recorder_free(struct recorder *r)
{
	for (size_t i = 0; i < r->procs.cap; i++) {
		struct live_proc *lp;

		if (!u64map_live(&r->procs.v[i]))
			continue;
		lp = (struct live_proc *)(uintptr_t)r->procs.v[i].a;
		u64map_free(&lp->maps);
		u64map_free(&lp->displaced);
		free(lp);
	}
	u64map_free(&r->procs);
	u64map_free(&r->sites);
	free(r->first_site);
	u64map_free(&r->threads);
	free(r->calls);
	free(r->free_calls);
	free(r->totals);
	free(r);
}

static struct live_proc *live_proc(struct recorder *r, int32_t pid)
{
	struct u64map_slot *s = u64map_find(&r->procs, u64map_pid_key(pid));
	struct live_proc *lp;

	if (s)
		return (struct live_proc *)(uintptr_t)s->a;
	lp = xcalloc(1, sizeof(*lp));
	u64map_put(&r->procs, u64map_pid_key(pid), (uintptr_t)lp, 0);
	return lp;
}

static uint64_t thread_key(int32_t pid, int32_t tid)
{
	return (uint64_t)(uint32_t)pid << 32 | (uint32_t)tid;
}

/* A thread's first call: an entry of one that ended, or a new one. */
static size_t new_thread_calls(struct recorder *r, uint64_t key)
{
	size_t i;

	if (r->nfree_calls) {
		i = r->free_calls[--r->nfree_calls];
	} else {
		if (r->ncalls == r->capcalls) {
			r->capcalls = r->capcalls ? 2 * r->capcalls : 16;
			r->calls = xrealloc(r->calls, r->capcalls * sizeof(*r->calls));
			r->free_calls = xrealloc(r->free_calls, r->capcalls * sizeof(*r->free_calls));
		}
		i = r->ncalls++;
	}
	r->calls[i] = (struct thread_calls){ .key = key };
	u64map_put(&r->threads, key, i, 0);
	return i;
}

/* The thread's calls, counted from its first. */
static struct thread_calls *thread_calls(struct recorder *r, int32_t pid, int32_t tid)
{
	uint64_t key = thread_key(pid, tid);
	struct u64map_slot *s;

	if (r->last_calls >= r->ncalls || r->calls[r->last_calls].key != key) {
		s = u64map_find(&r->threads, key);
		r->last_calls = s ? s->a : new_thread_calls(r, key);
	}
	return &r->calls[r->last_calls];
}

/* The thread's row gets its calls: it ended at ns, or runs on (0). */
static void write_thread_calls(struct recorder *r, struct nm_db *db, int32_t pid, int32_t tid,
			       uint64_t ns)
{
	struct u64map_slot *s = u64map_find(&r->threads, thread_key(pid, tid));
	struct db_thread_calls none = { 0 };
	size_t i = s ? s->a : 0;

	db_end_thread(db, pid, tid, ns, s ? &r->calls[i].n : &none);
	if (!s)
		return;
	u64map_remove(&r->threads, s);
	r->calls[i].key = 0;
	r->free_calls[r->nfree_calls++] = (uint32_t)i;
}

/* callsite_id's slot in first_site, grown to hold it; NULL for an id
 * that is none (0) or far past the sites seen (not the store's). */
static uint32_t *first_site_slot(struct recorder *r, int64_t callsite_id)
{
	size_t n = r->nfirst_site;

	if (callsite_id <= 0 || (uint64_t)callsite_id > 2 * r->ntotals + 1024)
		return NULL;
	if ((size_t)callsite_id >= n) {
		while ((size_t)callsite_id >= n)
			n = n ? 2 * n : 1024;
		r->first_site = xrealloc(r->first_site, n * sizeof(*r->first_site));
		memset(r->first_site + r->nfirst_site, 0, (n - r->nfirst_site) * sizeof(*r->first_site));
		r->nfirst_site = n;
	}
	return &r->first_site[callsite_id];
}

static struct totals *new_totals(struct recorder *r, int32_t pid, int64_t callsite_id)
{
	if (r->ntotals == r->captotals) {
		r->captotals = r->captotals ? 2 * r->captotals : 256;
		r->totals = xrealloc(r->totals, r->captotals * sizeof(*r->totals));
	}
	r->totals[r->ntotals] = (struct totals){ .callsite_id = callsite_id, .pid = pid };
	return &r->totals[r->ntotals++];
}

static struct totals *site(struct recorder *r, int32_t pid, int64_t callsite_id)
{
	uint64_t key = (uint64_t)(uint32_t)pid << 32 | (uint32_t)callsite_id;
	uint32_t *first = first_site_slot(r, callsite_id);
	struct u64map_slot *s;

	if (first && *first && r->totals[*first - 1].pid == pid)
		return &r->totals[*first - 1];
	/* Before the slot is taken: an id far past the others when its site
	 * was first called has its counters here. */
	if ((s = u64map_find(&r->sites, key)))
		return &r->totals[s->a];
	if (first && !*first && r->ntotals < UINT32_MAX) {
		*first = (uint32_t)r->ntotals + 1;
		return new_totals(r, pid, callsite_id);
	}
	u64map_put(&r->sites, key, r->ntotals, 0);
	return new_totals(r, pid, callsite_id);
}

/* The counters of the event's (pid, call site), through the producer's
 * memo of its stack when that names them: the process and the index in
 * one word.  The lookup was a cache miss at each call, a stack's memo
 * is read beside its call site (rustc -O: 60,000 sites). */
static struct totals *event_site(struct recorder *r, const struct alloc_event *ev)
{
	uint64_t tag = (uint64_t)(uint32_t)ev->pid << 32, memo = ev->site_memo ? *ev->site_memo : 0;
	uint32_t index = (uint32_t)memo - 1;    /* 0: none noted, UINT32_MAX here */
	struct totals *t;

	if ((memo & ~0xffffffffULL) == tag && index < r->ntotals &&
	    r->totals[index].callsite_id == ev->callsite_id)
		return &r->totals[index];
	t = site(r, ev->pid, ev->callsite_id);
	if (ev->site_memo && t - r->totals < UINT32_MAX)
		*ev->site_memo = tag | (uint64_t)(t - r->totals + 1);
	return t;
}

static void uncount(struct totals *t, uint64_t size)
{
	t->frees++;
	t->live -= size;
}

/* The call, charged to the counters at counter (event_site()'s). */
static void count_alloc(struct recorder *r, uint32_t counter, const struct alloc_event *ev)
{
	struct totals *t = &r->totals[counter];

	t->allocs++;
	t->bytes += ev->size;
	if (ev->size > t->max)
		t->max = ev->size;
	t->live += ev->size;
	if (t->live > t->peak)
		t->peak = t->live;
	if (ev->mapped)
		u64map_put(&live_proc(r, ev->pid)->maps, ev->addr, counter, ev->size);
}

/* A free or unmap of a block counted at tag: the call, in pid.  A fork
 * child's of a block it inherited counts on its own row of the block's
 * call site, and takes nothing from the live bytes of its parent's,
 * whose block lives on there. */
static void count_free(struct recorder *r, int32_t pid, uint32_t tag, uint64_t size)
{
	int64_t callsite_id = r->totals[tag].callsite_id;

	if (r->totals[tag].pid == pid)
		uncount(&r->totals[tag], size);
	else
		site(r, pid, callsite_id)->frees++;
}

/* The mapping at addr is gone: charged to the site that made it.  false:
 * not one counted. */
static bool count_unmap(struct recorder *r, int32_t pid, uint64_t addr)
{
	struct live_proc *lp = live_proc(r, pid);
	struct u64map_slot *s = addr ? u64map_find(&lp->maps, addr) : NULL;
	uint32_t tag;
	uint64_t size;

	if (!s)
		return false;
	tag = (uint32_t)s->a;
	size = s->b;
	u64map_remove(&lp->maps, s);
	count_free(r, pid, tag, size);
	return true;
}

/* A fork child's copies of its parent's mappings, for its unmaps (their
 * counters the parent's: count_free()). */
static void inherit_maps(struct recorder *r, int32_t parent, int32_t child)
{
	const struct u64map *from = &live_proc(r, parent)->maps;
	struct u64map *to = &live_proc(r, child)->maps;

	for (size_t i = 0; i < from->cap; i++)
		if (u64map_live(&from->v[i]))
			u64map_put(to, from->v[i].key, from->v[i].a, from->v[i].b);
}

/* false: addr was no block counted. */
static bool release(struct recorder *r, struct tcb *t, int32_t pid, uint64_t addr, uint64_t ns)
{
	struct objtrack_ended ended;
	int64_t id = objtrack_release(r->ot, pid, addr, ns, &ended);
	bool counted = true;

	if (!id)
		return false;
	if (ended.tag != OBJTRACK_NO_TAG)
		count_free(r, pid, ended.tag, ended.size);
	else
		counted = count_unmap(r, pid, addr);
	if (r->hooks.event)
		r->hooks.event(r->hooks.ctx, &(struct nm_event){ .kind = EV_RELEASE, .t = t,
								 .pid = pid, .ns = ns, .object_id = id });
	return counted;
}

struct unmapping {
	struct recorder *r;
	struct tcb *t;
	int32_t pid;
	uint64_t ns;
};

static void unmapped(void *arg, int64_t id)
{
	const struct unmapping *u = arg;

	u->r->hooks.event(u->r->hooks.ctx, &(struct nm_event){ .kind = EV_RELEASE, .t = u->t,
							       .pid = u->pid, .ns = u->ns,
							       .object_id = id });
}

/* Ends the mappings in [addr, addr + len), with an EV_RELEASE each (run
 * mode checks a placed one's pages then: the agent's record of a munmap
 * is read before the call, its pages still there). */
static bool unmap(struct recorder *r, struct tcb *t, int32_t pid, uint64_t addr, uint64_t len,
		  uint64_t ns)
{
	struct unmapping u = { r, t, pid, ns };

	objtrack_unmap(r->ot, pid, addr, len, ns, r->hooks.event ? unmapped : NULL, &u);
	return count_unmap(r, pid, addr);
}

static void drop_displaced(struct recorder *r, struct live_proc *lp, struct u64map_slot *s)
{
	u64map_remove(&lp->displaced, s);
	r->ndisplaced--;
}

/* Once there are many: those no realloc took for a second. */
static void forget_old_displaced(struct recorder *r, struct live_proc *lp, uint64_t ns)
{
	if (lp->displaced.live < DISPLACED_MANY)
		return;
	for (size_t i = 0; i < lp->displaced.cap; i++)
		if (u64map_live(&lp->displaced.v[i]) &&
		    (int64_t)(ns - lp->displaced.v[i].a) > (int64_t)DISPLACED_OLD_NS)
			drop_displaced(r, lp, &lp->displaced.v[i]);
}

/* A realloc's record is written at its return, after the call released
 * the block inside: another thread's allocation of the same block may be
 * read first (the realloc's thread preempted in between, for seconds
 * where 200 threads share a cpu), while the old block is still live
 * here.  It ended then (objtrack_add_block()), is counted freed now,
 * and waits for that realloc's record: the realloc's release is of it,
 * not of the new block. */
static void wait_displaced(struct recorder *r, struct tcb *t, const struct alloc_event *ev,
			   const struct objtrack_ended *ended)
{
	struct live_proc *lp;
	struct u64map_slot *s;
	uint64_t waiting;

	if (ended->tag != OBJTRACK_NO_TAG)
		count_free(r, ev->pid, ended->tag, ended->size);
	lp = live_proc(r, ev->pid);
	forget_old_displaced(r, lp, ev->ns);
	s = u64map_find(&lp->displaced, ev->addr);
	waiting = s ? s->b : 0;
	r->ndisplaced += !s;
	u64map_put(&lp->displaced, ev->addr, ev->ns, waiting + 1);
	if (r->hooks.event)
		r->hooks.event(r->hooks.ctx, &(struct nm_event){ .kind = EV_RELEASE, .t = t,
								 .pid = ev->pid, .ns = ev->ns,
								 .object_id = ended->id });
}

/* The block a realloc released: a displaced one, ended already, when a
 * block took its start since the realloc's thread's previous call, at
 * prev_ns (the realloc began after that call and released its block
 * before the new one was made there); else it released the block there
 * now (its own, or one handed to it).  Two reallocs of blocks there may
 * wait.  false: the live one. */
static bool took_displaced(struct recorder *r, const struct alloc_event *ev, uint64_t prev_ns)
{
	struct live_proc *lp = live_proc(r, ev->pid);
	struct u64map_slot *s = u64map_find(&lp->displaced, ev->old_addr);

	if (!s || s->a <= prev_ns)
		return false;
	if (s->b > 1)
		s->b--;
	else
		drop_displaced(r, lp, s);
	return true;
}

static void add_object(struct recorder *r, struct tcb *t, const struct alloc_event *ev)
{
	struct nm_object obj = {
		.pid = ev->pid, .tid = ev->tid, .kind = ev->mapped ? OBJ_MMAP : OBJ_HEAP,
		.addr = ev->addr, .size = ev->size, .alloc_ns = ev->ns, .free_ns = ev->freed_ns,
		.callsite_id = ev->callsite_id, .name = alloc_fn_name(ev->fn),
	};
	/* An index: counting a displaced block's free may move the array. */
	uint32_t counter = (uint32_t)(event_site(r, ev) - r->totals);
	/* A block freed by its thread's next call displaces none: it is no
	 * release's (the block there is left to the realloc that released
	 * it).  Checking it too cost a threaded storm 5% (its blocks are
	 * these, mostly), for the rows of two threads: a free of that
	 * address by its thread again (glibc's tcache handed back at the
	 * thread's exit) releases the block there, another thread's, whose
	 * realloc then finds none (README, Limits). */
	bool displaces = ev->threaded && !ev->mapped && !ev->freed_ns;
	struct objtrack_ended displaced;

	obj.row_if_sampled = ev->size < r->min_size;
	obj.id = objtrack_add_block(r->ot, &obj, ev->mapped ? OBJTRACK_NO_TAG : counter,
				    displaces ? &displaced : NULL);
	if (displaces && displaced.id)
		wait_displaced(r, t, ev, &displaced);
	count_alloc(r, counter, ev);
	/* Freed by its thread's next call: counted as both at once. */
	if (ev->freed_ns)
		uncount(&r->totals[counter], ev->size);
	if (r->hooks.event && !obj.row_if_sampled)
		r->hooks.event(r->hooks.ctx, &(struct nm_event){
			.kind = EV_OBJECT, .t = t, .pid = ev->pid, .tid = ev->tid, .ns = ev->ns,
			.object = &obj, .frames = ev->frames,
			.nframes = ev->frames ? ev->nframes : 0, .placed = ev->placed });
}

static void alloc_event(struct recorder *r, struct tcb *t, const struct alloc_event *ev)
{
	struct thread_calls *thread = thread_calls(r, ev->pid, ev->tid);
	struct db_thread_calls *calls = &thread->n;
	uint64_t prev_ns = thread->last_ns;

	/* Freed by its next call: that call is its newest. */
	thread->last_ns = ev->freed_ns ? ev->freed_ns : ev->ns;

	switch (ev->op) {
	case AE_FREE:
		calls->frees += release(r, t, ev->pid, ev->addr, ev->ns);
		break;
	case AE_UNMAP:
		calls->frees += unmap(r, t, ev->pid, ev->addr, ev->size, ev->ns);
		break;
	case AE_ALLOC:
		if (ev->old_addr && !ev->mapped)
			calls->frees += (r->ndisplaced && took_displaced(r, ev, prev_ns)) ||
					release(r, t, ev->pid, ev->old_addr, ev->ns);
		if (ev->old_addr && ev->mapped)
			calls->frees += unmap(r, t, ev->pid, ev->old_addr, ev->old_size, ev->ns);
		/* Freed by its thread's next call: counted as both at once. */
		calls->allocations++;
		calls->frees += ev->freed_ns != 0;
		calls->bytes += ev->size;
		add_object(r, t, ev);
		break;
	}
}

/* exec or exit: pid's live blocks are gone (not counted as frees). */
static void end_process(struct recorder *r, int32_t pid, uint64_t ns, bool exec)
{
	struct live_proc *lp = live_proc(r, pid);

	objtrack_end_process(r->ot, pid, ns, exec);
	u64map_free(&lp->maps);
	r->ndisplaced -= lp->displaced.live;
	u64map_free(&lp->displaced);
}

void recorder_set_db(struct recorder *r, struct nm_db *db)
{
	r->db = db;
}

/* The rows of processes, threads, modules and samples. */
static void write_row(struct recorder *r, const struct nm_event *ev)
{
	const struct nm_module_event *m = ev->module;

	switch (ev->kind) {
	case EV_PROCESS_START:
		db_add_process(r->db, ev->pid, ev->ppid, ev->exe, ev->ns);
		break;
	case EV_EXEC:
		if (ev->exe)
			db_set_process_exe(r->db, ev->pid, ev->exe);
		break;
	case EV_PROCESS_END:
		db_end_process(r->db, ev->pid, ev->ns, ev->exit_status, ev->term_signal);
		break;
	case EV_THREAD_START:
		db_add_thread(r->db, ev->pid, ev->tid, ev->rank, ev->ns);
		break;
	case EV_THREAD_END:
		write_thread_calls(r, r->db, ev->pid, ev->tid, ev->ns);
		break;
	case EV_MODULE:
		db_add_module(r->db, ev->pid, m->identity, m->path, m->start, m->end, m->bias);
		break;
	case EV_SAMPLE:
		db_add_sample(r->db, ev->sample);
		break;
	case EV_SAMPLER_COUNT:
		db_add_sampler_stat(r->db, ev->tid, ev->count_name, ev->count);
		break;
	default:
		break;
	}
}

/* Memory nobody allocated.  A static or a mapping under min_size gets a
 * row as a small heap block does, once a sample hits it: each process
 * has hundreds of statics (libc's alone) and some 25 small mappings (its
 * modules' segments, the vdso, ld.so.cache), identical from one process
 * to the next; their rows were a sixth, then 30 us a process, of the cost
 * of a git command's short processes under numamma.  seen_ns: when a
 * maps read saw a mapping. */
static void add_region(struct recorder *r, const struct nm_object *region, uint64_t seen_ns)
{
	struct nm_object obj = *region;

	/* Maps read while a block lives there: the block is the object. */
	if (obj.kind == OBJ_MAPPING && objtrack_explained(r->ot, obj.pid, obj.addr, obj.addr + obj.size))
		return;
	if ((obj.kind == OBJ_STATIC || obj.kind == OBJ_MAPPING) && obj.size < r->min_size)
		obj.row_if_sampled = true;
	if (obj.kind == OBJ_MAPPING)
		objtrack_add_seen(r->ot, &obj, seen_ns);
	else
		objtrack_add(r->ot, &obj);
}

struct statics_walk {
	struct recorder *r;
	const struct nm_event *ev;
};

static void add_static(void *arg, const struct nm_static *s)
{
	const struct statics_walk *w = arg;

	add_region(w->r, &(struct nm_object){
		.pid = w->ev->pid, .tid = w->ev->pid, .kind = OBJ_STATIC,
		.addr = s->vaddr + w->ev->bias, .size = s->size, .alloc_ns = w->ev->since_ns,
		.name = s->name,
	}, 0);
}

/* A module's statics: those of min_size and more are objects now, the
 * others once a sample hits one (objtrack_add_statics()).  rustc's LLVM
 * has 104,000: entering them all, and ending them all at its exit, kept
 * numamma busy 60 ms for a 17 ms `rustc --version`. */
static void add_statics(struct recorder *r, const struct nm_event *ev)
{
	const struct nm_static_table *t = ev->statics;
	struct statics_walk w = { r, ev };
	uint64_t min = r->every_static ? 0 : r->min_size, lo, hi;

	t->foreach_large(t->owner, min, add_static, &w, &lo, &hi);
	if (min && lo < hi)
		objtrack_add_statics(r->ot, ev->pid, t, ev->bias,
				     &(struct objtrack_range){ lo + ev->bias, hi + ev->bias }, ev->since_ns);
}

/* Objects: allocator calls, memory nobody allocated, a fork's copies,
 * the end of an image. */
static void track(struct recorder *r, const struct nm_event *ev)
{
	switch (ev->kind) {
	case EV_ALLOC:
		alloc_event(r, ev->t, ev->alloc);
		break;
	case EV_REGION:
		add_region(r, ev->object, ev->ns);
		/* A thread's stack is an mmap'd reservation it barely uses. */
		if (ev->object->kind == OBJ_STACK)
			objtrack_mark_reserved(r->ot, ev->pid, ev->sp);
		break;
	case EV_STATICS:
		add_statics(r, ev);
		break;
	case EV_TLS:
		objtrack_add_tls(r->ot, ev->pid, ev->tid, ev->statics,
				 &(struct objtrack_range){ ev->object->addr, ev->object->addr + ev->object->size },
				 ev->ns);
		break;
	case EV_THREAD_END:
		objtrack_end_tls(r->ot, ev->pid, ev->tid, ev->ns);
		break;
	case EV_FORK:
		objtrack_fork(r->ot, ev->ppid, ev->pid, ev->ns);
		inherit_maps(r, ev->ppid, ev->pid);
		break;
	case EV_EXEC:
	case EV_PROCESS_END:
		end_process(r, ev->pid, ev->ns, ev->kind == EV_EXEC);
		break;
	default:
		break;
	}
}

void recorder_event(struct recorder *r, const struct nm_event *ev)
{
	track(r, ev);
	if (r->db)
		write_row(r, ev);
}

void recorder_write_totals(struct recorder *r, struct nm_db *db)
{
	/* The threads running on at the end. */
	for (size_t i = 0; i < r->ncalls; i++)
		if (r->calls[i].key)
			write_thread_calls(r, db, (int32_t)(r->calls[i].key >> 32),
					   (int32_t)r->calls[i].key, 0);
	db_threads_without_calls(db);
	for (size_t i = 0; i < r->ntotals; i++) {
		const struct totals *t = &r->totals[i];

		db_add_callsite_totals(db, &(struct db_site_totals){
			t->callsite_id, t->pid, t->allocs, t->frees, t->bytes, t->peak, t->max, t->live });
	}
}
