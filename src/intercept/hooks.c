/* Allocation interception through breakpoints (the trap path).
 *
 * Entry breakpoints read the arguments and the caller's stack; the return
 * is caught by pointing the return address at a trampoline (an int3 in our
 * scratch page), so there is no per-return breakpoint to race on.  Only
 * the outermost allocator call of a thread is recorded: calls the
 * allocator makes to itself (realloc -> malloc, malloc -> mmap) are its
 * business.
 *
 * Each call becomes one alloc_event handed to the tracer's on_event
 * consumer (the recorder), as the in-process agent's records do. */
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "agent_abi.h"
#include "breakpoint.h"
#include "db.h"
#include "elfsyms.h"
#include "error.h"
#include "launch.h"
#include "ownlimits.h"
#include "sorted.h"
#include "tracer_int.h"
#include "unwind.h"

/* C++'s operators by their mangled names.  libstdc++'s new calls malloc:
 * its frames are a wrapper's, not the user's call site.  A module
 * that defines malloc as well (jemalloc, tcmalloc, mimalloc) implements
 * them without calling malloc: there they are allocators, hooked.  A
 * throwing new names its nothrow form (earlier in the table, hooked
 * first), which the agent calls in its place (agent_hook_new()). */
static const struct cxx_operator {
	const char *name;
	int fn;
	int nothrow;            /* a throwing new: its nothrow form's index; else -1 */
} cxx_operators[] = {
	{ "_ZnwmRKSt9nothrow_t", FN_NEW, -1 },
	{ "_ZnamRKSt9nothrow_t", FN_NEW, -1 },
	{ "_ZnwmSt11align_val_tRKSt9nothrow_t", FN_NEW_ALIGNED, -1 },
	{ "_ZnamSt11align_val_tRKSt9nothrow_t", FN_NEW_ALIGNED, -1 },
	{ "_Znwm", FN_NEW, 0 },
	{ "_Znam", FN_NEW, 1 },
	{ "_ZnwmSt11align_val_t", FN_NEW_ALIGNED, 2 },
	{ "_ZnamSt11align_val_t", FN_NEW_ALIGNED, 3 },
	{ "_ZdlPv", FN_DELETE, -1 },
	{ "_ZdaPv", FN_DELETE, -1 },
	{ "_ZdlPvm", FN_DELETE, -1 },
	{ "_ZdaPvm", FN_DELETE, -1 },
	{ "_ZdlPvRKSt9nothrow_t", FN_DELETE, -1 },
	{ "_ZdaPvRKSt9nothrow_t", FN_DELETE, -1 },
	{ "_ZdlPvSt11align_val_t", FN_DELETE, -1 },
	{ "_ZdaPvSt11align_val_t", FN_DELETE, -1 },
	{ "_ZdlPvmSt11align_val_t", FN_DELETE, -1 },
	{ "_ZdaPvmSt11align_val_t", FN_DELETE, -1 },
	{ "_ZdlPvSt11align_val_tRKSt9nothrow_t", FN_DELETE, -1 },
	{ "_ZdaPvSt11align_val_tRKSt9nothrow_t", FN_DELETE, -1 },
};

#define NR_CXX (sizeof(cxx_operators) / sizeof(cxx_operators[0]))
/* The C functions come first in enum alloc_fn: looked up by their names. */
#define C_FUNCTIONS FN_NEW

/* jemalloc built with a prefix defines its functions under those names
 * alone: Redis's bundled copy (je_), Rust's jemalloc-sys, which
 * tikv-jemallocator links into the program (_rjem_). */
static const char *const jemalloc_prefixes[] = { "je_", "_rjem_" };
static const int jemalloc_fns[] = {
	FN_MALLOC, FN_CALLOC, FN_REALLOC, FN_FREE, FN_POSIX_MEMALIGN, FN_ALIGNED_ALLOC,
	FN_MEMALIGN, FN_VALLOC, FN_MALLOCX, FN_RALLOCX, FN_SDALLOCX, FN_DALLOCX, FN_XALLOCX,
};

#define NR_JEMALLOC_FNS (sizeof(jemalloc_fns) / sizeof(jemalloc_fns[0]))
#define NR_PREFIXED (sizeof(jemalloc_prefixes) / sizeof(jemalloc_prefixes[0]) * NR_JEMALLOC_FNS)
/* prctl, syscall, ptrace and execve: the last enum alloc_fn values, none
 * an allocator (alloc_fn_controls()). */
#define FIRST_CONTROL FN_PRCTL
#define NR_CONTROL (FN__COUNT - FIRST_CONTROL)
#define NR_NAMES (C_FUNCTIONS + NR_CXX + NR_PREFIXED + NR_CONTROL)

/* The names hook_module() looks for: the C functions, C++'s operators,
 * each prefix's jemalloc functions, then the controls. */
static const char *const *lookup_names(void)
{
	static const char *names[NR_NAMES];
	static char prefixed[NR_PREFIXED][32];

	if (names[0])
		return names;
	for (int fn = 0; fn < C_FUNCTIONS; fn++)
		names[fn] = alloc_fn_name(fn);
	for (size_t i = 0; i < NR_CXX; i++)
		names[C_FUNCTIONS + i] = cxx_operators[i].name;
	for (size_t k = 0; k < NR_PREFIXED; k++) {
		snprintf(prefixed[k], sizeof(prefixed[k]), "%s%s",
			 jemalloc_prefixes[k / NR_JEMALLOC_FNS],
			 alloc_fn_name(jemalloc_fns[k % NR_JEMALLOC_FNS]));
		names[C_FUNCTIONS + NR_CXX + k] = prefixed[k];
	}
	for (int fn = FIRST_CONTROL; fn < FN__COUNT; fn++)
		names[C_FUNCTIONS + NR_CXX + NR_PREFIXED + fn - FIRST_CONTROL] = alloc_fn_name(fn);
	return names;
}

/* ---- installing ---- */

static void add_wrappers(struct proc *p, const struct loaded_module *m,
			 const struct elf_function *found)
{
	for (size_t i = 0; i < NR_CXX; i++) {
		if (p->nr_wrappers == (int)(sizeof(p->wrappers) / sizeof(p->wrappers[0])))
			return;
		if (!found[i].found || cxx_operators[i].fn == FN_DELETE)
			continue;
		p->wrappers[p->nr_wrappers].start = found[i].vaddr + m->bias;
		p->wrappers[p->nr_wrappers].end = found[i].vaddr + m->bias +
						  (found[i].size ? found[i].size : 1);
		p->nr_wrappers++;
	}
}

/* Only the agent hooks them.  A breakpoint's return trampoline, like an
 * agent frame, would be on the stack when a throwing new throws, where the
 * program's unwinder finds no data for it: the agent runs its nothrow form
 * instead.  And where new and delete call malloc and free after all (a
 * static program's libstdc++), a breakpoint on each would double the
 * stops.  Unhooked, their calls are not counted (the trap path). */
static void hook_cxx_operators(struct tracer *tr, struct tcb *t, const struct loaded_module *m,
			       const struct elf_function *found)
{
	for (size_t i = 0; i < NR_CXX; i++) {
		const struct cxx_operator *op = &cxx_operators[i];
		uint64_t addr = found[i].vaddr + m->bias;

		if (!found[i].found)
			continue;
		if (op->nothrow < 0)
			agent_hook(tr, t, m, addr, found[i].size, op->fn);
		else if (found[op->nothrow].found)
			agent_hook_new(tr, t, m, addr, found[i].size, op->fn,
				       found[op->nothrow].vaddr + m->bias);
	}
}

/* A function the module defines, hooked by the agent or, where it
 * cannot be, with a breakpoint. */
static void hook_function(struct tracer *tr, struct tcb *t, const struct loaded_module *m,
			  const struct elf_function *f, int fn)
{
	if (fn == FN_EXIT || fn == FN_LEAK_CHECK ||
	    agent_hook(tr, t, m, f->vaddr + m->bias, f->size, fn) < 0)
		bp_insert(tr, t, f->vaddr + m->bias, fn);
}

/* A prefixed jemalloc function, unless it is an alias of one hooked
 * under its plain name (one hook per address). */
static void hook_prefixed(struct tracer *tr, struct tcb *t, const struct loaded_module *m,
			  const struct elf_function *found)
{
	for (size_t k = 0; k < NR_PREFIXED; k++) {
		const struct elf_function *f = &found[C_FUNCTIONS + NR_CXX + k];
		int fn = jemalloc_fns[k % NR_JEMALLOC_FNS];

		if (f->found && !(found[fn].found && found[fn].vaddr == f->vaddr))
			hook_function(tr, t, m, f, fn);
	}
}

/* Where the program installs a seccomp filter, the agent learns of it
 * before the filter applies (agent.c): on the trap path there is no agent
 * and nothing to learn, and a stop at every syscall(3) would cost.  Where
 * it calls ptrace, numamma must stop it when it asks to be traced or to
 * trace, and where it execs when numamma is not root (tracer.c): the
 * agent's hook stops only the ptrace calls that matter (a debugger makes
 * thousands of others), else a breakpoint stops every one. */
static void hook_controls(struct tracer *tr, struct tcb *t, const struct loaded_module *m,
			  const struct elf_function *found)
{
	for (int i = 0; i < NR_CONTROL; i++) {
		int fn = FIRST_CONTROL + i;

		if (!found[i].found || (alloc_fn_execs(fn) && !traced_execs_lose_privilege()))
			continue;
		if (fn == FN_PTRACE || alloc_fn_execs(fn))
			hook_function(tr, t, m, &found[i], fn);
		else
			agent_hook(tr, t, m, found[i].vaddr + m->bias, found[i].size, fn);
	}
}

/* The first bytes of every function found, which each hook reads. */
static void read_ahead(struct proc *p, const struct loaded_module *m,
		       const struct elf_function *found)
{
	uint64_t addrs[NR_NAMES];
	int n = 0;

	for (size_t i = 0; i < NR_NAMES; i++)
		if (found[i].found)
			addrs[n++] = found[i].vaddr + m->bias;
	tracee_read_ahead(p, addrs, n);
}

/* The dynamic loader's hook, exit() and LeakSanitizer's check stay
 * breakpoints: numamma must stop the program there.  The allocators,
 * C++'s operators and prefixed jemalloc are looked up together: one pass
 * over the module's symbols, not one per name.  Whether the module
 * defines malloc. */
static bool hook_module(struct tracer *tr, struct tcb *t, const struct loaded_module *m)
{
	struct elf_function found[NR_NAMES];
	uint64_t r_debug;

	elfmod_find_functions(m->elf, lookup_names(), NR_NAMES, found);
	read_ahead(t->proc, m, found);
	/* The loader's: where it says what a stop at _dl_debug_state is. */
	if (found[FN_DL_DEBUG_STATE].found && !elfmod_find_object(m->elf, "_r_debug", &r_debug))
		t->proc->r_debug = r_debug + m->bias;
	for (int fn = 0; fn < C_FUNCTIONS; fn++)
		if (found[fn].found && (fn != FN_EXIT || tr->cfg.exit_calls))
			hook_function(tr, t, m, &found[fn], fn);
	hook_prefixed(tr, t, m, found);
	hook_controls(tr, t, m, found + C_FUNCTIONS + NR_CXX + NR_PREFIXED);
	/* A new not hooked may call malloc (in libstdc++, or in a static
	 * program's on the trap path): its frames are a wrapper's. */
	add_wrappers(t->proc, m, found + C_FUNCTIONS);
	if (found[FN_MALLOC].found)
		hook_cxx_operators(tr, t, m, found + C_FUNCTIONS);
	agent_hooks_commit(t->proc);
	tracee_read_ahead_end();
	return found[FN_MALLOC].found;
}

void hooks_trap_instead(struct tracer *tr, struct tcb *t)
{
	struct proc *p = t->proc;

	p->agent_refused = true;
	for (size_t i = 0; i < p->mods.n; i++)
		hook_module(tr, t, &p->mods.v[i]);
}

/* A static program in which numamma finds no malloc (stripped of its
 * symbol table, or with an allocator of its own, a Go program's): its
 * heap blocks go unrecorded, which the user is told, once. */
static void tell_no_allocator(struct tracer *tr, const struct proc *p)
{
	const struct loaded_module *exe = &p->mods.v[0];      /* loaded first, the only one */
	bool stripped = !elfmod_has_section(exe->elf, ".symtab");

	if (tr->told_no_allocator)
		return;
	tr->told_no_allocator = true;
	warning("%s: statically linked, no malloc found in it%s: its heap blocks are not recorded",
		exe->path, stripped ? " (its symbol table stripped)" : "");
	if (stripped)
		hint("profile a build of it that keeps its symbols");
}

/* The statics of p's modules hooked since the last call: one event per
 * module, whatever its number of statics (cc1's 1,290 cost it 0.9 ms
 * while stopped at its exec, one event each); then that every module
 * mapped at the last read is known, for the samples that waited. */
static void record_statics(struct tracer *tr, struct proc *p)
{
	for (size_t i = 0; i < p->mods.n; i++) {
		const struct loaded_module *m = &p->mods.v[i];
		struct nm_static_table statics;

		if (m->generation <= p->mods_statics || m->generation > p->mods_hooked)
			continue;
		statics = elfmod_statics(m->elf);
		tracer_emit(tr, &(struct nm_event){ .kind = EV_STATICS, .pid = p->pid,
			    .statics = &statics, .bias = m->bias, .since_ns = p->statics_since_ns });
	}
	p->mods_statics = p->mods_hooked;
	p->known_due = false;
	tracer_emit(tr, &(struct nm_event){ .kind = EV_MODULES_KNOWN, .pid = p->pid,
					    .known_ns = p->mods_read_ns });
}

void hooks_record_statics(struct tracer *tr)
{
	tr->statics_due = false;
	for (struct proc *p = tr->procs; p; p = p->next)
		if (p->known_due)
			record_statics(tr, p);
}

/* The loader's modules in load order (link.h's public struct link_map
 * chain), the order their TLS module ids were given in; NULL for code
 * no module of p's holds (the vdso).  Returns how many, -1 unread. */
static int load_order(struct proc *p, const struct loaded_module **v, int max)
{
	struct r_debug rd;
	struct link_map lm;
	int n = 0;

	if (!p->r_debug || tracee_read(p, p->r_debug, &rd, sizeof(rd)))
		return -1;
	for (uint64_t at = (uint64_t)rd.r_map; at && n < max; at = (uint64_t)lm.l_next) {
		if (tracee_read(p, at, &lm, sizeof(lm)))
			return -1;
		v[n++] = modmap_find(&p->mods, (uint64_t)lm.l_ld);
	}
	return n;
}

static void add_tls_module(struct proc *p, const struct elf_tls *tls, uint64_t offset)
{
	if (p->ntls_mods < TLS_MODULES_MAX)
		p->tls_mods[p->ntls_mods++] = (struct tls_module){ *tls, offset };
}

/* The libraries' static TLS, from the DTV of the thread whose pointer
 * is tp (glibc's: its address at tp + 8, its length at [-1], a module's
 * block at [id], 16 bytes each): added after the executable's, taken
 * only whole: the executable's block where x86-64's rule says (another C
 * library's DTV is read wrong there: musl's entries are 8 bytes), no two
 * blocks overlapping. */
static void add_library_tls(struct proc *p, uint64_t tp, const struct loaded_module *exe)
{
	const struct loaded_module *order[256];
	int n = load_order(p, order, 256), id = 0, kept = p->ntls_mods;
	uint64_t dtv, length, block;
	struct elf_tls tls;

	if (n <= 0 || tracee_read(p, tp + 8, &dtv, sizeof(dtv)) ||
	    tracee_read(p, dtv - 16, &length, sizeof(length)))
		return;
	for (int i = 0; i < n; i++) {
		if (!order[i] || !elfmod_tls(order[i]->elf, &tls) || (uint64_t)++id > length)
			continue;
		if (tracee_read(p, dtv + 16 * (uint64_t)id, &block, sizeof(block)))
			continue;
		if (order[i] == exe && block != elf_tls_exe_block(&tls, tp)) {
			p->ntls_mods = kept;
			return;
		}
		if (order[i] != exe && elf_tls_static_block(&tls, tp, block))
			add_tls_module(p, &tls, tp - block);
	}
	for (int i = 0; i < p->ntls_mods; i++)
		for (int j = i + 1; j < p->ntls_mods; j++) {
			const struct tls_module *a = &p->tls_mods[i], *b = &p->tls_mods[j];

			if (a->offset > b->offset - b->tls.memsz && b->offset > a->offset - a->tls.memsz)
				p->ntls_mods = kept;
		}
}

/* The modules' static TLS, laid out once per image from a thread's
 * pointer tp: the executable's by x86-64's rule, its libraries' as the
 * loader placed them. */
static void lay_out_tls(struct proc *p, uint64_t tp)
{
	const struct loaded_module *exe = NULL;
	char path[PATH_MAX];
	struct elf_tls tls;

	p->tls_state = 1;
	p->ntls_mods = 0;
	process_exe(p->pid, path, sizeof(path));
	for (size_t i = 0; path[0] && i < p->mods.n && !exe; i++)
		if (!strcmp(p->mods.v[i].path, path))
			exe = &p->mods.v[i];
	if (exe && elfmod_tls(exe->elf, &tls))
		add_tls_module(p, &tls, tp - elf_tls_exe_block(&tls, tp));
	add_library_tls(p, tp, exe);
}

void hooks_record_tls(struct tracer *tr, struct tcb *t)
{
	struct proc *p = t->proc;
	uint64_t tp;

	/* A vfork child runs on its parent's thread's copy. */
	if ((t->flags & TCB_TLS_KNOWN) || p->ignored || p->vfork_child || !p->hooks_ready ||
	    !(tp = tcb_address(t)))
		return;
	if (!p->tls_state)
		lay_out_tls(p, tp);
	t->flags |= TCB_TLS_KNOWN;
	for (int i = 0; i < p->ntls_mods; i++) {
		const struct tls_module *m = &p->tls_mods[i];

		tracer_emit(tr, &(struct nm_event){
			.kind = EV_TLS, .t = t, .pid = p->pid, .tid = t->tid, .statics = &m->tls.vars,
			.object = &(struct nm_object){ .pid = p->pid, .tid = t->tid, .kind = OBJ_TLS,
						       .addr = tp - m->offset, .size = m->tls.memsz } });
	}
}

/* Attach: blocks glibc served with their own mmap (large ones) are
 * recognised from outside by their chunk header at the start of their
 * pages: prev_size = the alignment correction, size = the rest of their
 * mmap (whole pages) with only IS_MMAPPED set.  Smaller blocks inside the
 * arenas are not walked.  Returns the pages the block spans, 0 when the
 * header does not fit in the len bytes at start. */
uint64_t mmapped_chunk(uint64_t start, uint64_t len, const uint64_t header[2],
		       uint64_t *addr, uint64_t *size)
{
	uint64_t correction = header[0], chunk = header[1] & ~7ULL;

	if ((header[1] & 7) != 2 || correction >= 64 || chunk <= 16 ||
	    chunk + correction > len || (chunk + correction) % 4096)
		return 0;
	*addr = start + correction + 16;
	*size = chunk - 16;
	return chunk + correction;
}

static void recover_mmapped_chunks(struct tracer *tr, struct proc *p)
{
	uint64_t ns = now_ns();

	for (size_t i = 0; i < p->mods.maps.n; i++) {
		const struct map_entry *m = &p->mods.maps.v[i];
		uint64_t header[2], at = m->start, span;

		if (m->path[0] || strcmp(m->perms, "rw-p"))
			continue;
		/* The kernel merges neighbouring mmaps into one mapping. */
		while (at < m->end && tracee_read(p, at, header, sizeof(header)) == 0) {
			struct nm_object obj = {
				.pid = p->pid, .tid = p->pid, .kind = OBJ_HEAP, .alloc_ns = ns,
				.name = "malloc",
			};

			span = mmapped_chunk(at, m->end - at, header, &obj.addr, &obj.size);
			if (!span)
				break;
			tracer_emit(tr, &(struct nm_event){ .kind = EV_REGION, .pid = p->pid,
							    .object = &obj });
			at += span;
		}
	}
}

void hooks_install(struct tracer *tr, struct tcb *t)
{
	struct proc *p = t->proc;
	bool exe_hooked = false, malloc_found = false;

	/* Records of modules about to go (dlclose) name them while mapped. */
	agent_drain(tr, p);
	if (modmap_refresh(&p->mods, p->mm_tid) < 0) {
		char maps[64];

		snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)p->mm_tid);
		own_limits_tell_unopened(maps, errno);
		return;
	}
	/* Those found now were mapped since the last read: their statics
	 * hold what a sampler saw there since (a page fault in ld.so's
	 * relocation, taken before the statics are recorded, after the
	 * program resumed). */
	if (p->mods_statics == p->mods_hooked)
		p->statics_since_ns = p->mods_read_ns;
	p->mods_read_ns = p->mods.read_ns;
	debug("process %d: modules read", p->pid);
	agent_setup(tr, t);
	debug("process %d: agent set up", p->pid);
	for (size_t i = 0; i < p->mods.n; i++) {
		const struct loaded_module *m = &p->mods.v[i];

		if (m->generation <= p->mods_hooked)
			continue;
		exe_hooked |= i == 0;
		malloc_found |= hook_module(tr, t, m);
		tracer_emit(tr, &(struct nm_event){
			.kind = EV_MODULE, .t = t, .pid = p->pid, .tid = t->tid,
			.module = &(struct nm_module_event){ elfmod_identity(m->elf), m->path,
							     m->start, m->end, m->bias } });
	}
	agent_look_at_thread_pointer(p, t);
	if (exe_hooked && !malloc_found && !modmap_has_loader(&p->mods))
		tell_no_allocator(tr, p);
	p->mods_hooked = p->mods.generation;
	p->known_due = true;
	if (tr->cfg.statics_at_once)
		record_statics(tr, p);
	else
		tr->statics_due = true;
	agent_modules(tr, p);
	unwind_flush_caches();
	hooks_record_mappings(tr, p);
	if (p->attached && !p->hooks_ready)
		recover_mmapped_chunks(tr, p);
	p->hooks_ready = true;
	/* Threads not started yet (an attach's) are told at their start. */
	for (int i = 0; i < TCB_HASH; i++)
		for (struct tcb *o = tr->tcb_hash[i]; o; o = o->next)
			if (o->proc == p && (o->flags & TCB_STARTED))
				hooks_record_tls(tr, o);
	tracer_emit(tr, &(struct nm_event){ .kind = EV_MODULES_HOOKED, .t = t, .pid = p->pid,
					    .tid = t->tid });
	debug("process %d: %zu modules hooked", p->pid, p->mods.n);
}

/* ---- mappings ---- */

/* The first region starting at or above start. */
static size_t mapreg_lower_bound(const struct proc *p, uint64_t start)
{
	return start ? sorted_count_at_most(p->mapreg, p->nmapreg, sizeof(*p->mapreg),
					    offsetof(__typeof__(*p->mapreg), start), start - 1) : 0;
}

/* True the first time a region is seen. */
static bool mapreg_insert(struct proc *p, uint64_t start, uint64_t end)
{
	size_t i = mapreg_lower_bound(p, start);

	if (i < p->nmapreg && p->mapreg[i].start == start && p->mapreg[i].end == end)
		return false;
	if (p->nmapreg == p->capmapreg) {
		p->capmapreg = p->capmapreg ? 2 * p->capmapreg : 64;
		p->mapreg = xrealloc(p->mapreg, p->capmapreg * sizeof(*p->mapreg));
	}
	memmove(&p->mapreg[i + 1], &p->mapreg[i], (p->nmapreg - i) * sizeof(*p->mapreg));
	p->mapreg[i].start = start;
	p->mapreg[i].end = end;
	p->nmapreg++;
	return true;
}

/* The mappings of the last read of p's maps.  One seen for the first
 * time holds what a sampler saw in it since the read before: libc's
 * pages, touched by the loader before its stop. */
void hooks_record_mappings(struct tracer *tr, struct proc *p)
{
	uint64_t ns = p->maps_seen_ns;

	p->maps_seen_ns = p->mods.read_ns;

	for (size_t i = 0; i < p->mods.maps.n; i++) {
		const struct map_entry *m = &p->mods.maps.v[i];
		struct nm_object obj = {
			.pid = p->pid, .tid = p->pid, .kind = OBJ_MAPPING,
			.addr = m->start, .size = m->end - m->start, .alloc_ns = ns,
			.name = m->path[0] ? m->path : "[anon]",
		};

		/* The agent's own memory is not the program's (a memfd of
		 * numamma's name, or the anonymous shared memory of a program
		 * that may make none: map_anon_shared()). */
		if (!strncmp(m->path, AGENT_MAPS_PATH, strlen(AGENT_MAPS_PATH)) ||
		    (m->start >= p->agent_start && m->end <= p->agent_end))
			continue;
		if (mapreg_insert(p, m->start, m->end))
			tracer_emit(tr, &(struct nm_event){ .kind = EV_REGION, .pid = p->pid,
							    .ns = p->mods.read_ns, .object = &obj });
	}
}

/* ---- call stacks ---- */

bool hooks_wrapper_module(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libstdc++.so", 12);
}

static bool is_wrapper_frame(const struct proc *p, const struct nm_frame *f)
{
	if (hooks_wrapper_module(f->path))
		return true;
	for (int i = 0; i < p->nr_wrappers; i++)
		if (f->ip >= p->wrappers[i].start && f->ip < p->wrappers[i].end)
			return true;
	return false;
}

int hooks_user_frames(const struct proc *p, const uint64_t *rets, int n, int depth,
		      struct nm_frame *frames)
{
	bool leading = true;
	int k = 0;

	for (int i = 0; i < n && k < depth; i++) {
		struct nm_frame f;

		/* ip - 1 names the call instruction, for matching and lines. */
		modmap_frame(&p->mods, rets[i] - 1, &f);
		if (leading && is_wrapper_frame(p, &f))
			continue;
		leading = false;
		frames[k++] = f;
	}
	return k;
}

/* The stack at an allocator's entry, starting at the user's frame. */
static int user_stack(struct tracer *tr, struct tcb *t, const struct user_regs_struct *regs,
		      uint64_t ret, struct nm_frame *frames)
{
	uint64_t ips[NM_MAX_FRAMES];
	int depth = tr->cfg.call_depth, n;

	if (!t->unwind)
		return 0;
	/* Enough for the wrapper frames skipped on top, no deeper; ips[0] is
	 * the allocator itself. */
	n = unwind_stack_from(t->unwind, regs, ips,
			      depth + 8 < NM_MAX_FRAMES - 1 ? depth + 8 : NM_MAX_FRAMES - 1);
	/* At a function's entry the caller is certain: the return address is
	 * at rsp.  An unwinder without CFI for the allocator (static glibc)
	 * falls back on the frame pointer and skips it: put it back. */
	if (n < 2 || ips[1] != ret) {
		memmove(ips + 2, ips + 1, (n > 1 ? n - 1 : 0) * sizeof(ips[0]));
		ips[1] = ret;
		n = n > 1 ? n + 1 : 2;
	}
	return hooks_user_frames(t->proc, ips + 1, n - 1, depth, frames);
}

/* ---- entry and return ---- */

void pending_clear(struct tcb *t)
{
	for (int i = 0; i < t->npending; i++)
		free(t->pending[i].frames);
	t->npending = 0;
}

/* Calls that left through longjmp or an exception never came back to the
 * trampoline: their frames are above the current stack pointer, on the
 * same stack.  A signal handler on a sigaltstack is elsewhere: the calls
 * it interrupted are still to return. */
static bool same_stack(const struct proc *p, uint64_t a, uint64_t b)
{
	const struct map_entry *m = procmaps_find(&p->mods.maps, a);

	return m && b >= m->start && b < m->end;
}

static void drop_stale_pending(struct tcb *t, uint64_t rsp)
{
	while (t->npending && t->pending[t->npending - 1].sp < rsp &&
	       same_stack(t->proc, rsp, t->pending[t->npending - 1].sp)) {
		free(t->pending[t->npending - 1].frames);
		t->npending--;
	}
}

/* A free is not caught at its return (nothing to record there), so that
 * the mmap, munmap or mremap it makes itself (glibc's free setting up a
 * thread's arena, trimming it, unmapping a large block) is not seen as
 * the allocator's own by the pending calls: it is known by the unwind
 * passing the free's return address slot, still holding what it held
 * (the agent's way, agent/agent.c). */
#define FREE_DEPTH_MAX 16
static bool inside_a_free(struct tcb *t, const struct user_regs_struct *regs)
{
	uint64_t at = t->free_sp, ret;

	return at && regs->rsp < at && at - regs->rsp < ALLOC_FREE_FRAMES_MAX && t->unwind &&
	       unwind_passes_slot(t->unwind, regs, at, FREE_DEPTH_MAX) &&
	       !tracee_read(t->proc, at, &ret, sizeof(ret)) && ret == t->free_ret;
}

static void remember_free(struct tcb *t, uint64_t rsp)
{
	if (!tracee_read(t->proc, rsp, &t->free_ret, sizeof(t->free_ret)))
		t->free_sp = rsp;
}

/* A call trapped but not recorded: counted, and where the process's
 * memory is out of numamma's reach, said once. */
static void not_recorded(struct tracer *tr, struct proc *p, bool unreachable)
{
	tr->calls_lost++;
	if (!unreachable || p->said_unreachable)
		return;
	p->said_unreachable = true;
	warning("process %d: numamma may not read or write its memory (a non-dumpable process, "
		"numamma without CAP_SYS_PTRACE): the allocator calls it traps go unrecorded "
		"(runs.calls_lost)", p->pid);
}

static void hijack_return(struct tracer *tr, struct tcb *t, int fn,
			  const struct user_regs_struct *regs)
{
	struct proc *p = t->proc;
	struct pending_call *pc;
	uint64_t ret, tramp = p->scratch + SCRATCH_TRAMPOLINE;
	struct nm_frame frames[NM_MAX_FRAMES];

	if (!p->scratch || t->npending == MAX_PENDING) {
		not_recorded(tr, p, false);
		return;
	}
	if (tracee_read(p, regs->rsp, &ret, 8)) {
		not_recorded(tr, p, true);
		return;
	}
	pc = &t->pending[t->npending];
	memset(pc, 0, sizeof(*pc));
	pc->fn = fn;
	pc->ret_addr = ret;
	pc->sp = regs->rsp;
	pc->args[0] = regs->rdi;
	pc->args[1] = regs->rsi;
	pc->args[2] = regs->rdx;
	pc->args[3] = regs->rcx;
	/* regs has rip at the entry, not after the int3: a 1-byte push
	 * there would shift the CFA rule. */
	pc->nframes = user_stack(tr, t, regs, ret, frames);
	if (tr->db && pc->nframes)
		pc->callsite_id = db_intern_callsite(tr->db, frames, pc->nframes);
	if (tr->cfg.alloc_frames && pc->nframes) {
		pc->frames = xmalloc(pc->nframes * sizeof(*frames));
		memcpy(pc->frames, frames, pc->nframes * sizeof(*frames));
	}
	if (tracee_write(p, regs->rsp, &tramp, 8)) {
		free(pc->frames);
		not_recorded(tr, p, true);
		return;
	}
	t->npending++;
}

static void emit(struct tracer *tr, struct tcb *t, struct alloc_event *ev)
{
	ev->pid = t->proc->pid;
	ev->tid = t->tid;
	ev->threaded = t->proc->next_rank > 1;
	ev->ns = now_ns();
	tracer_emit(tr, &(struct nm_event){ .kind = EV_ALLOC, .t = t, .pid = ev->pid,
					    .tid = ev->tid, .alloc = ev });
}

/* The loader's r_state at a stop at _dl_debug_state: RT_ADD or
 * RT_DELETE at the first of the two stops around a change (modules about
 * to be mapped, or unmapped: dlclose), RT_CONSISTENT at the second;
 * RT_CONSISTENT when unknown. */
static int loader_state(struct proc *p)
{
	int32_t state;

	if (!p->r_debug ||
	    tracee_read(p, p->r_debug + offsetof(struct r_debug, r_state), &state, sizeof(state)))
		return RT_CONSISTENT;
	return state;
}

void hooks_on_entry(struct tracer *tr, struct tcb *t, int fn, struct user_regs_struct *regs)
{
	struct proc *p = t->proc;

	/* Calls the agent recorded came first. */
	agent_drain(tr, p);
	if (fn == FN_DL_DEBUG_STATE) {
		int state = loader_state(p);

		if (state == RT_DELETE)
			agent_modules_withdraw(p);
		/* At RT_ADD nothing is mapped yet: reading the maps there
		 * (each exec has one such stop) found nothing new. */
		else if (state != RT_ADD)
			hooks_install(tr, t);     /* dlopen/dlclose: new modules */
		return;
	}
	if (alloc_fn_controls(fn))
		return;                   /* the tracer's stop (tracer.c): nothing to record */
	if (fn == FN_EXIT) {
		/* The last moment the whole address space is certainly there. */
		tracer_emit(tr, &(struct nm_event){ .kind = EV_EXIT_CALL, .t = t, .pid = p->pid,
						    .tid = t->tid });
		return;
	}
	drop_stale_pending(t, regs->rsp);
	if (t->npending)
		return;                   /* the allocator calling itself */
	if (alloc_fn_maps(fn) && inside_a_free(t, regs))
		return;
	t->free_sp = 0;
	if (fn == FN_MMAP && !(regs->rcx & MAP_ANONYMOUS))
		return;                   /* file mappings are recorded as mappings */
	if (!alloc_fn_returns(fn)) {
		struct alloc_call c = { .fn = fn, .args = { regs->rdi, regs->rsi, regs->rdx } };
		struct alloc_event ev;

		if (alloc_call_event(&c, p->page_size, &ev))
			emit(tr, t, &ev);
		if (alloc_fn_frees(fn))
			remember_free(t, regs->rsp);
		return;
	}
	hijack_return(tr, t, fn, regs);
}

/* The event a returning call made: posix_memalign's block is in memory. */
static bool call_result(struct tcb *t, const struct pending_call *pc, uint64_t rax,
			struct alloc_event *ev)
{
	struct alloc_call c = { .fn = pc->fn, .args = { pc->args[0], pc->args[1], pc->args[2] },
				.ret = rax };

	if (c.fn == FN_POSIX_MEMALIGN && rax == 0 && tracee_read(t->proc, c.args[0], &c.out, 8))
		return false;
	return alloc_call_event(&c, t->proc->page_size, ev);
}

void hooks_on_return(struct tracer *tr, struct tcb *t, struct user_regs_struct *regs)
{
	int i = t->npending - 1;
	struct pending_call *pc;
	struct alloc_event ev;

	agent_drain(tr, t->proc);
	/* The ret popped the slot at pc->sp: find the call it belongs to. */
	while (i > 0 && t->pending[i].sp != regs->rsp - 8)
		i--;
	if (i < 0) {
		warning("thread %d returned through numamma's trampoline with no call pending", t->tid);
		return;
	}
	pc = &t->pending[i];
	regs->rip = pc->ret_addr;
	if (call_result(t, pc, regs->rax, &ev)) {
		ev.callsite_id = pc->callsite_id;
		ev.frames = pc->frames;
		ev.nframes = pc->frames ? pc->nframes : 0;
		emit(tr, t, &ev);
	}
	while (t->npending > i) {
		free(t->pending[t->npending - 1].frames);
		t->npending--;
	}
}
