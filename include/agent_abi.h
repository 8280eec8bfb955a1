/* What numamma and the agent it injects into a program share: the layout
 * of the agent's data region (a memfd both map) and the records the agent
 * writes.  Freestanding: agent/ includes it.
 *
 * The region, at AGENT_DATA in the memfd, right after the code pages:
 *
 *   control pages  struct agent_ctl (with each ring's words)
 *   rings          AGENT_RINGS rings of records of 64 (agent_ring_slots())
 *                  bytes: ring 0 shared by any thread (atomic
 *                  reservation), the others each owned by one TCB
 *   stack set      hashes of the stacks already sent (so each is sent once)
 *   inside table   per thread (keyed by %fs:0): its tid, inside a call?
 *   ip cache       the unwind rule of each return address seen, with a
 *                  check word (a torn entry is a miss, never a wrong rule)
 *   stack caches   per owned ring: stacks walked before, by the words
 *                  their walk read, and known walks: by a hash of them
 *   module lists   struct agent_module, appended: each list numamma
 *                  publishes (at each dlopen) is written after the one in
 *                  use, wrapping only when the space is full, so that a
 *                  thread still searching an older one is not overwritten
 *   FDE tables     struct agent_fde, for the modules without an
 *                  .eh_frame_hdr (a static link writes none): numamma
 *                  builds each once per process, appended
 *
 * The unwind rules themselves come from each module's .eh_frame_hdr (or
 * numamma's table) and .eh_frame where the loader mapped them
 * (agent/cfi.c).
 *
 * A thread writes into a ring of its own with plain stores: no locked
 * instruction, no cache line shared with another thread.  Every record
 * carries the TSC read after its slot was reserved; numamma merges the
 * rings in TSC order, up to the time it started reading them, so that a
 * free (recorded before the block is handed back) is never seen after
 * the malloc of another thread that gets the block again. */
#ifndef NUMAMMA_AGENT_ABI_H
#define NUMAMMA_AGENT_ABI_H

#include <stdint.h>

#include "alloc_event.h"

#define AGENT_ABI_VERSION 38
/* The memfd's name; /proc/PID/maps shows "/memfd:" AGENT_MEMFD_NAME. */
#define AGENT_MEMFD_NAME "numamma-agent"
#define AGENT_MAPS_PATH "/memfd:" AGENT_MEMFD_NAME
#define AGENT_PAGE 4096
/* The doorbell's signal (struct agent_ctl): SIGURG, which a process that
 * does not ask for it ignores, should it ever reach another. */
#define AGENT_DOORBELL_SIGNAL 23

#define AGENT_CTL_SIZE     (5 * AGENT_PAGE)
#define AGENT_RINGS        128
/* Rings 0..AGENT_BIG_RINGS - 1 (ring 0 and the first 31 threads') hold
 * AGENT_RING_SLOTS records: a few threads' storms fill them without
 * waiting.  The others, a many-threaded program's, AGENT_SMALL_RING_SLOTS:
 * each page of a ring is a page fault at its first lap, in the program
 * and in numamma (200 threads of 4,000 calls each, 1 MiB rings: 25%
 * slower than sharing ring 0 past the 31st; 256 KiB rings for all: the
 * 2-thread storm 7% slower, waiting for room). */
#define AGENT_BIG_RINGS    32
#define AGENT_RING_SLOTS   (1u << 14)   /* rings 0..AGENT_BIG_RINGS - 1 */
#define AGENT_SMALL_RING_SLOTS (1u << 12)
#define AGENT_ALL_RING_SLOTS ((uint64_t)AGENT_BIG_RINGS * AGENT_RING_SLOTS + \
			      (uint64_t)(AGENT_RINGS - AGENT_BIG_RINGS) * AGENT_SMALL_RING_SLOTS)

/* Ring r's records (a power of two) and its first slot's index among all
 * the rings'. */
static inline uint32_t agent_ring_slots(uint32_t r)
{
	return r < AGENT_BIG_RINGS ? AGENT_RING_SLOTS : AGENT_SMALL_RING_SLOTS;
}

/* Does ring r's thread keep a stack cache?  Not ring 0, shared by
 * threads, nor the small rings: 150 KiB a thread, 64 threads' caches took
 * 9.7 MiB of the program's memory besides their rings. */
static inline int agent_ring_cached(uint32_t r)
{
	return r && r < AGENT_BIG_RINGS;
}

static inline uint64_t agent_ring_first(uint32_t r)
{
	return r < AGENT_BIG_RINGS ? (uint64_t)r * AGENT_RING_SLOTS :
	       (uint64_t)AGENT_BIG_RINGS * AGENT_RING_SLOTS +
	       (uint64_t)(r - AGENT_BIG_RINGS) * AGENT_SMALL_RING_SLOTS;
}
/* Records waiting in a ring past which the agent rings numamma's doorbell
 * (struct agent_ctl.doorbell_fill): few while numamma sleeps, polling
 * every 20 ms (at half the ring, a short program's records waited for its
 * exit, and numamma read them after its end instead of beside it, on the
 * other cpu: `git log` 41 -> 35 ms); half the ring while it polls every
 * millisecond, busy (a doorbell per thousand records, and drains as
 * small, made cc1's 0.6 s 4% slower). */
#define AGENT_DOORBELL_IDLE 1024
#define AGENT_DOORBELL_BUSY (AGENT_RING_SLOTS / 2)
#define AGENT_STACKSET     (1u << 16)   /* hashes, at most */
#define AGENT_INSIDE       (1u << 13)   /* threads */
#define AGENT_IPCACHE      (1u << 16)   /* at most */
#define AGENT_RULELOG      (1u << 15)   /* rules a process computed, logged */
#define AGENT_MODULES_MAX  (1u << 12)   /* modules per list */
#define AGENT_MODULE_SPACE (1u << 15)   /* entries in all */
#define AGENT_FDE_SPACE    (1u << 18)   /* FDE table entries in all (4 MiB) */
#define AGENT_PLACED       (1u << 14)   /* slots of the set of placed blocks */
#define AGENT_SPARED       (1u << 13)   /* slots of the set of spared stacks */
#define AGENT_PLACING      (1u << 12)   /* slots of the table of placing stacks */
#define AGENT_MAX_HOOKS    64
#define AGENT_MAX_FRAMES   64
#define AGENT_MAX_WRAPPERS 32

/* ctl->tp: the process's thread pointer is set (AGENT_TP_SET); or the
 * agent asks the kernel whether it is (arch_prctl(ARCH_GET_FS)), then
 * writes SET; or a seccomp filter would kill it for asking, and it waits
 * for numamma to find it set (AGENT_TP_WAIT: its calls pass uncounted
 * meanwhile, in calls_lost). */
enum { AGENT_TP_ASK, AGENT_TP_SET, AGENT_TP_WAIT };

/* ctl->state */
enum {
	AGENT_OFF,          /* pass-through: numamma is gone or detaching */
	AGENT_ON,           /* record */
	/* Pass-through, each call counted in lost: a thread found its ring
	 * full and no drain for stale_tsc.  numamma, if only behind, turns
	 * recording back on at its next drain. */
	AGENT_BEHIND,
	/* Pass-through, each call counted in lost: a fork child shares the
	 * region, numamma unable to give it one of its own or to take its
	 * hooks out (a non-dumpable process, numamma without
	 * CAP_SYS_PTRACE); neither process writes a ring until numamma sets
	 * AGENT_ON again, the child gone or exec'd. */
	AGENT_SHARED,
};

/* struct agent_owner's state */
enum {
	AGENT_OWNER_NONE,   /* zeroed in a fork child: agent_region_trap() for numamma */
	AGENT_OWNER_MINE,   /* the region mapped is the process's own */
	/* numamma made the region ready in its memfd at path: the agent
	 * maps it over the parent's (the one mapped is its own once its
	 * token is this one's), else stops at agent_region_trap(). */
	AGENT_OWNER_MAP,
};

struct agent_owner {
	uint64_t state;
	uint64_t token;
	char path[48];
};

struct agent_hook {
	uint32_t fn;            /* enum alloc_fn */
	uint32_t pad;
	uint64_t original;      /* the relocated prologue, then a jump back */
	/* A throwing operator new: its nothrow form's original, run in its
	 * place (agent.c); 0 otherwise. */
	uint64_t nothrow;
};

/* A ring's words: the producers' and numamma's on lines of their own. */
struct agent_ring {
	_Alignas(64) uint64_t head;     /* next slot to reserve */
	uint64_t owner;         /* rings 1..: the TCB (%fs:0) it is for; 0 free */
	/* The known walks of its thread (agent/core.c), written by it only:
	 * their table's doublings, and entries written at the size now.  A
	 * thread's own: grown by the process's, each of 64 threads' tables
	 * was as large as all their walks together. */
	uint32_t walks_steps, walks_fills;
	_Alignas(64) uint64_t tail;     /* next slot numamma reads */
	uint32_t drained;       /* futex: bumped by numamma after each drain */
	uint32_t waiters;       /* producers waiting for room */
};

/* The set of stacks sent and the two caches start small and double as
 * the process fills them, up to the sizes above, for which the space is
 * reserved.  Each page of them is a page fault the first time a process
 * touches it, and a hashed table is touched all over: at full size, a
 * short process took hundreds (a git command, a fifth of its time).  An
 * entry is checked against its own key.  Each size has a region of its
 * own, after those of the smaller sizes (agent_sized()): an entry stays
 * where it was written, a miss looks at each smaller size in turn, and
 * the entries of one size neither crowd another's probes (the set: in one
 * array, the old entries filled its low part past the probe limit, and
 * stacks were sent again at every call) nor overwrite another's. */
enum { AGENT_T_IPCACHE, AGENT_T_STACKSET, AGENT_T_STACKCACHE, AGENT_TABLES };
#define AGENT_IPCACHE_MIN    (1u << 10)
#define AGENT_STACKSET_MIN   (1u << 10)
#define AGENT_STACKCACHE_MIN (1u << 5)
/* Entry i of a table's region for size entries (smallest: its smallest
 * size); the regions of all sizes up to largest take 2 * largest -
 * smallest entries. */
static inline uint64_t agent_sized(uint64_t size, uint64_t smallest, uint64_t i)
{
	return size - smallest + (i & (size - 1));
}
#define AGENT_SIZED_SPACE(largest, smallest) (2 * (uint64_t)(largest) - (smallest))

struct agent_growth {
	uint32_t steps[AGENT_TABLES];   /* doublings so far */
	uint32_t fills[AGENT_TABLES];   /* entries written at the size now */
};

/* How the agent places blocks itself (AGENT_OFF_PLACING's entries). */
struct agent_placing {
	uint64_t key;           /* agent_spare_key() of the stack */
	uint64_t nodemask;      /* mbind's, at most 64 nodes */
	uint64_t mode;          /* MPOL_BIND or MPOL_INTERLEAVE */
};

struct agent_ctl {
	uint32_t version;
	uint32_t state;
	uint32_t max_frames;    /* return addresses per stack */
	uint32_t nr_hooks;
	/* The caller's frames numamma keeps: a walk ends with them, once past
	 * the allocation wrappers on top (hooks_user_frames()); 0: no end. */
	uint32_t call_depth;
	uint32_t nr_wrappers;
	uint32_t doorbell_fill; /* AGENT_DOORBELL_IDLE or _BUSY, numamma's */
	/* No heartbeat for this many TSC ticks: numamma is gone.  The TSC,
	 * not clock_gettime(): a program's seccomp filter may kill it on a
	 * system call it never makes itself (glibc reads the vDSO). */
	uint64_t stale_tsc;
	uint64_t spin_tsc;      /* a millisecond: a spin's longest (futex_refused) */
	uint64_t modules;       /* published list: first entry << 32 | entries */
	uint64_t fdes_used;     /* FDE table entries numamma wrote */
	/* The loader's r_debug.r_state (0: unknown): the agent's hook of
	 * _dl_debug_state traps only when it is not RT_ADD. */
	uint64_t r_state;
	/* A fork child runs its parent's region (MAP_SHARED survives fork)
	 * until it maps one of its own: before that it must not write a
	 * word of its parent's.  owner_at: the process's owner page (struct
	 * agent_owner), which the kernel zeroes in a fork child once the
	 * agent asked it to (owner_arm 1: at its first call, where no
	 * seccomp filter may refuse the madvise; then 0).  0: none (numamma
	 * maps a fork child's region before it runs).  token: this region's
	 * number, as the owner page of the process it is for names it. */
	uint64_t owner_at;
	uint64_t token;
	uint32_t owner_arm;
	/* Whether %fs:0 may be read (AGENT_TP_*): not before a static
	 * program's C library set the thread pointer. */
	uint32_t tp;
	/* numamma run: the page size.  A call that returns a block holding
	 * a whole page stops its thread once recorded, for numamma to place
	 * the block before the program touches it (agent_call_trap(fn,
	 * block, 0, the stack's hash)), unless its stack is spared
	 * (AGENT_OFF_SPARED) or placing (AGENT_OFF_PLACING: the agent
	 * places the block itself).  0: none stops. */
	uint64_t place_min;
	/* The agent places no block itself (its mbind and madvise calls):
	 * the process has a seccomp filter, which may forbid them. */
	uint32_t place_refused;
	/* What numamma decided for every heap block ([0]) or mapping ([1])
	 * whatever its stack (a policy with no rule for a stack of that
	 * kind: --interleave, --bind, a profile's advice on one node), once
	 * its first block's stop told it: key 1, mode 0 to leave them (no
	 * stop), else how the agent places them; key 0: undecided, the
	 * stack's own entry decides (AGENT_OFF_SPARED, AGENT_OFF_PLACING). */
	struct agent_placing kinds[2];
	struct agent_hook hooks[AGENT_MAX_HOOKS];
	/* Wrapper functions outside wrapper modules (C++'s operator new
	 * linked into a program): [start, end). */
	struct { uint64_t start, end; } wrappers[AGENT_MAX_WRAPPERS];
	/* Words written while the program runs, on lines of their own: the
	 * lines above are read by every call and must stay in its cache. */
	_Alignas(64) uint64_t heartbeat_tsc; /* the TSC at numamma's last drain */
	/* Calls not recorded: a full inside table, or numamma behind. */
	_Alignas(64) uint64_t lost;
	/* Threads that asked their tid (gettid), numamma having named none:
	 * 0 unless a thread's TCB moved (arch_prctl) or the table filled. */
	uint64_t tids_asked;
	/* The thread numamma could not name at the setup (an exec's, before
	 * the loader gave it a TCB): the first entry without a name is its
	 * own, every other thread being named at its first stop.  0: none. */
	int32_t unnamed_tid;
	uint64_t unnamed_stack[2];      /* its stack's mapping (agent_inside) */
	/* The program's seccomp filter would kill or trap for the shared
	 * FUTEX_WAIT the agent waits for room with (a sandbox allowing
	 * private futexes only): it spins instead, spun_waits times. */
	uint32_t futex_refused;
	uint64_t spun_waits;
	/* A walk on a stack not its thread's own (a coroutine's, one its
	 * thread switched to) reads past the page of its start only where
	 * the kernel says the next page is readable (process_vm_readv of
	 * the thread itself): not where the filter forbids that call. */
	uint32_t probe_refused;
	uint64_t probes;        /* pages asked about (agent_sys_readable()) */
	/* numamma not root (the execs hooked): the agent stops at an exec
	 * only where the program would lose a privilege traced, as
	 * privilege_lost_traced() decides with numamma's effective ids: it
	 * asks the kernel (newfstatat, getxattr, fgetxattr) unless the
	 * filter forbids those calls (exec_check_refused: every exec
	 * stops). */
	uint32_t exec_check_refused;
	uint32_t tracer_euid, tracer_egid;
	/* numamma polls an idle process's rings every 20 ms: a burst of
	 * calls would fill a ring and wait for the rest of the poll.  A ring
	 * past doorbell_fill records rings the doorbell instead:
	 * AGENT_DOORBELL_SIGNAL to numamma's tracer (doorbell_pid), once
	 * until numamma is about to sleep again (doorbell 1 meanwhile: while
	 * it drains, one drain after another, a signal would wake nobody).
	 * doorbell_pid 0: none (a seccomp filter that would kill for
	 * kill(2)). */
	_Alignas(64) uint32_t doorbell;
	int32_t doorbell_pid;
	_Alignas(64) struct agent_growth growth;
	/* Entries of the rule log taken (AGENT_OFF_RULELOG), maybe past its
	 * end: each unwind rule the agent computed, for numamma to hand to
	 * the next processes that map the same file. */
	_Alignas(64) uint32_t rulelog_n;
	struct agent_ring rings[AGENT_RINGS];
};
_Static_assert(sizeof(struct agent_ctl) <= AGENT_CTL_SIZE, "agent_ctl outgrew its pages");

/* Record types. */
enum { AGENT_REC_CALL = 1, AGENT_REC_STACK = 2, AGENT_REC_IPS = 3, AGENT_REC_CHECK = 4 };
/* A CALL record's nframes: the agent placed the block it made (its
 * stack's entry in AGENT_OFF_PLACING), and whether its mbind failed. */
#define AGENT_PLACED_BLOCK  1
#define AGENT_PLACED_FAILED 2
/* ...and none of its pages was there yet (mincore): nothing to move. */
#define AGENT_PLACED_FRESH  4

/* One 64-byte slot.  seq is the slot's reservation number + 1 (low 32
 * bits), stored last: numamma reads a slot once its seq is right. */
struct agent_rec {
	uint32_t seq;
	uint8_t type;
	uint8_t fn;             /* CALL: enum alloc_fn */
	/* STACK: return addresses that follow; CALL: AGENT_PLACED_* */
	uint16_t nframes;
	uint64_t tid;           /* the calling thread */
	uint64_t tsc;           /* read once the slot was reserved */
	uint64_t hash;          /* the call's stack (0: none) */
	/* CALL: rdi, rsi, rdx at entry (posix_memalign: args[0] is the block
	 * it stored, read by the agent); ret: rax. */
	uint64_t args[3];
	uint64_t ret;
};

/* The slots after a STACK record: 7 return addresses each.  Typed, so
 * that those of a stack whose thread died half-way are skipped. */
struct agent_rec_ips {
	uint32_t seq;
	uint8_t type;           /* AGENT_REC_IPS */
	uint8_t pad[3];
	uint64_t ip[7];
};

#define AGENT_IPS_PER_SLOT 7

/* A module loaded in the program, at runtime addresses: the agent reads
 * its unwind data in place, never outside these bounds.  Sorted by
 * start in a published list. */
struct agent_module {
	uint64_t start, end;                /* its mappings */
	uint64_t eh_hdr, eh_hdr_end;        /* .eh_frame_hdr (or fde_table's); 0: none */
	uint64_t eh_frame, eh_frame_end;    /* .eh_frame */
	uint32_t wrapper;                   /* libc, libstdc++: frames on top are not the caller */
	/* eh_hdr..eh_hdr_end is numamma's table of the module's FDEs (struct
	 * agent_fde, by start), where the module has no .eh_frame_hdr. */
	uint32_t fde_table;
	/* ip + id_delta is a return address's id (the file's key + its ELF
	 * address): the same in every process that maps the file, wherever
	 * it is loaded, so that a stack hashes alike in all of them and is
	 * sent to numamma once per profile, not once per process. */
	uint64_t id_delta;
};

/* An FDE of .eh_frame where the loader mapped it, and where the code it
 * describes starts. */
struct agent_fde {
	uint64_t start, fde;
};
/* The FDEs of a copy of .eh_frame, [eh, eh + size), which the program
 * loaded at at: up to max in out, in the section's order (agent/cfi.c,
 * linked into numamma too). */
uint64_t agent_cfi_fdes(const uint8_t *eh, uint64_t size, uint64_t at, struct agent_fde *out,
			uint64_t max);

/* How to find the caller's frame from an ip (agent/cfi.c). */
enum { AGENT_CFA_RSP, AGENT_CFA_RBP, AGENT_CFA_END /* outermost frame */ };

/* A thread is known by its TCB's address (%fs:0) without a syscall; its
 * tid is asked once and kept here.  numamma frees the entry when the
 * thread exits (a new thread may reuse the TCB) or vforks. */
#define AGENT_INSIDE_FREED UINT64_MAX     /* key of a slot numamma freed */
/* Where a key's probe starts in the inside table (then slot + 1, ...):
 * numamma finds a thread's entry from its fs_base the way the agent
 * does. */
static inline uint64_t agent_mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

/* numamma run's sets in the region (open addressing, slots a power of
 * two): numamma adds to them, its thread stopped, the agent reads them
 * (and adds the blocks it placed itself to the placed ones:
 * agent_set_add_shared(), on both sides).
 * A slot holds a key, AGENT_SET_EMPTY or AGENT_SET_GONE (a key taken
 * out: probes go on past it).
 *   AGENT_OFF_PLACED (AGENT_PLACED slots): the blocks placed at the
 *     agent's stops or by the agent; the free of one stops its thread before the block
 *     goes, for numamma to check where its pages are while they are there.
 *   AGENT_OFF_SPARED (AGENT_SPARED slots): the stacks (agent_spare_key())
 *     whose blocks no rule of the policy places: a block made there stops
 *     its thread no more (a compiler under run with a profile's policy
 *     stopped for each of its 5,583 page-sized blocks, 200 us each, to
 *     place none of most). */
#define AGENT_SET_EMPTY 0
#define AGENT_SET_GONE  1
/* The slot of key in set, or 0: not in it. */
static inline uint64_t *agent_set_find(uint64_t *set, uint32_t slots, uint64_t key)
{
	for (uint32_t i = 0, h = (uint32_t)agent_mix(key); i < slots; i++, h++) {
		uint64_t *e = &set[h & (slots - 1)];
		uint64_t v = __atomic_load_n(e, __ATOMIC_ACQUIRE);

		if (v == key)
			return e;
		if (v == AGENT_SET_EMPTY)
			return 0;
	}
	return 0;
}

/* numamma's side: false when the set is full (key <= AGENT_SET_GONE is
 * no key: never added). */
static inline bool agent_set_add(uint64_t *set, uint32_t slots, uint64_t key)
{
	uint32_t h = (uint32_t)agent_mix(key);

	if (key <= AGENT_SET_GONE || agent_set_find(set, slots, key))
		return key > AGENT_SET_GONE;
	for (uint32_t i = 0; i < slots; i++, h++) {
		uint64_t *e = &set[h & (slots - 1)];

		if (*e == AGENT_SET_EMPTY || *e == AGENT_SET_GONE) {
			__atomic_store_n(e, key, __ATOMIC_RELEASE);
			return true;
		}
	}
	return false;
}

/* numamma run's table of placing stacks (AGENT_OFF_PLACING, open
 * addressing by key, as the sets): a block made from a stack whose rule
 * places every block made there alike (bind or interleave, whole) is
 * placed by the agent before the call returns, mbind(MPOL_MF_MOVE) of
 * its whole pages, without a stop (gcc under --interleave=all stopped
 * for each of its 5,583 page-sized blocks, 200 us each).  numamma writes
 * an entry once, mode and nodes first, then its key (never removed): the
 * agent reads the key, then the rest (struct agent_ctl's kinds alike). */
static inline const struct agent_placing *agent_placing_find(const struct agent_placing *table,
							     uint32_t slots, uint64_t key)
{
	for (uint32_t i = 0, h = (uint32_t)agent_mix(key); key > AGENT_SET_GONE && i < slots; i++, h++) {
		const struct agent_placing *e = &table[h & (slots - 1)];
		uint64_t k = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);

		if (k == key)
			return e;
		if (k == AGENT_SET_EMPTY)
			return 0;
	}
	return 0;
}

/* numamma's side: false when the table is full. */
static inline bool agent_placing_add(struct agent_placing *table, uint32_t slots, uint64_t key,
				     uint64_t mode, uint64_t nodemask)
{
	for (uint32_t i = 0, h = (uint32_t)agent_mix(key); key > AGENT_SET_GONE && i < slots; i++, h++) {
		struct agent_placing *e = &table[h & (slots - 1)];

		if (e->key == key)
			return true;
		if (e->key == AGENT_SET_EMPTY) {
			e->nodemask = nodemask;
			e->mode = mode;
			__atomic_store_n(&e->key, key, __ATOMIC_RELEASE);
			return true;
		}
	}
	return false;
}

/* A block into the set of placed blocks, which the agent (a block it
 * placed) and numamma (one placed at a stop: its thread stopped, others
 * running) both write: its slot, NULL when the set is full. */
static inline uint64_t *agent_set_claim(uint64_t *set, uint32_t slots, uint64_t key)
{
	for (uint32_t i = 0, h = (uint32_t)agent_mix(key); key > AGENT_SET_GONE && i < slots; i++, h++) {
		uint64_t *e = &set[h & (slots - 1)];
		uint64_t v = __atomic_load_n(e, __ATOMIC_ACQUIRE);

		while (v == AGENT_SET_EMPTY || v == AGENT_SET_GONE)
			if (__atomic_compare_exchange_n(e, &v, key, false, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
				return e;
		if (v == key)
			return e;
	}
	return 0;
}

/* Beside each slot of the placed set (AGENT_OFF_PLACED_HOW, same index),
 * what the agent bound there itself: a block's whole pages up to end,
 * over nodemask (end 0: placed at a stop, numamma checks its pages at
 * its free's stop).  Written by whoever took the slot, before the block
 * is handed to the program: its free, which reads it, comes after. */
struct agent_placed_how {
	uint64_t end;
	uint64_t nodemask;
};

/* The agent's check of a block it placed, at its free (no stop): a CHECK
 * record (args[0] the block, args[1] its whole pages, args[2] present,
 * ret on one of its nodes, nframes the nodes that hold some) before the
 * free's record, then the nodes' page counts in the slots after it, as a
 * stack's return addresses follow it (agent_check_word()). */
static inline uint64_t agent_check_word(uint32_t node, uint64_t pages)
{
	return (uint64_t)node << 48 | (pages & ((1ULL << 48) - 1));
}

/* A stack's key in the set of spared ones, a mapping's apart from a heap
 * block's (their rules differ); 0 for no stack. */
static inline uint64_t agent_spare_key(uint64_t hash, bool maps)
{
	uint64_t key = maps ? agent_mix(hash) : hash;

	return hash && key > AGENT_SET_GONE ? key : 0;
}

static inline uint32_t agent_inside_home(uint64_t key)
{
	return (uint32_t)(agent_mix(key) & (AGENT_INSIDE - 1));
}
/* 32 bytes, aligned: a thread's entry, written at each of its calls,
 * never shares a cache line with another thread's. */
struct agent_inside {
	_Alignas(64) uint64_t key;  /* %fs:0; 0 empty */
	uint32_t depth;         /* inside an allocator call... */
	int32_t tid;            /* numamma's name for it (agent_name_thread); 0: none */
	uint64_t sp;            /* ...entered with this stack pointer */
	uint32_t ring;          /* its ring + 1; 0: none taken yet */
	/* While a vfork child runs on the TCB of the thread that vforked,
	 * named for the child: that thread's tid (agent.c, give_back()). */
	int32_t lender;
	/* The mapping of its stack, as numamma found it at its first stop;
	 * 0, 0: not known.  A walk reads no word past its end. */
	uint64_t stack_lo, stack_hi;
	/* Its last free's return address slot and what it held (agent.c,
	 * inside_a_free()); free_sp 0: none since its last other call. */
	uint64_t free_sp, free_ret;
};
_Static_assert(sizeof(struct agent_inside) == 64, "an inside entry is one cache line");

/* The entry of key (a thread's TCB) in the inside table t, made on
 * first use; NULL when the table is full.  A key is entered by one party
 * at a time: its own thread, or numamma while the thread is stopped
 * (agent_name_thread()), so a lost race for a free slot is simply a try
 * at the next one.  numamma frees the entry of a thread that is gone
 * (AGENT_INSIDE_FREED); such slots are reused. */
static inline struct agent_inside *agent_inside_take(struct agent_inside *t, uint64_t key)
{
	struct agent_inside *freed = 0;
	uint64_t i = agent_inside_home(key);

	for (uint32_t n = 0; n < AGENT_INSIDE; n++, i++) {
		struct agent_inside *e = &t[i & (AGENT_INSIDE - 1)];
		uint64_t k = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);

		if (k == key)
			return e;
		if (k == AGENT_INSIDE_FREED && !freed)
			freed = e;
		if (k == 0)
			break;
	}
	for (;;) {
		struct agent_inside *e = freed;
		uint64_t expect = AGENT_INSIDE_FREED;

		if (!e) {
			/* The first empty slot of the probe. */
			for (uint32_t n = 0; n < AGENT_INSIDE && !e; n++) {
				struct agent_inside *s = &t[(agent_inside_home(key) + n) & (AGENT_INSIDE - 1)];

				if (__atomic_load_n(&s->key, __ATOMIC_ACQUIRE) == 0)
					e = s;
			}
			if (!e)
				return 0;
			expect = 0;
		}
		if (__atomic_compare_exchange_n(&e->key, &expect, key, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return e;
		freed = 0;              /* taken meanwhile: look again */
	}
}

/* A return address's unwind rule, cached (agent/core.c): the rule (its
 * CFA offset and register, rbp's offset and the module list's generation
 * in one word) and a check word (ip ^ rule ^ salt).  One torn by
 * two threads writing it at once fails the check and costs a lookup,
 * never gives a wrong rule. */
struct agent_ipcache {
	uint64_t rule;
	uint64_t check;
};

#define AGENT_IPCACHE_SALT 0x9e3779b97f4a7c15ULL

/* The generation of the published module list (ctl->modules) that a
 * cached rule holds in its top byte: a new list (dlclose, then dlopen:
 * other code at the same place) makes the old rules misses. */
static inline uint8_t agent_rules_gen(uint64_t modules)
{
	return (uint8_t)agent_mix(modules);
}

/* ip's set in a cache of size entries (a power of two): two ways, in one
 * cache line.  Direct-mapped, the return addresses of a program built with
 * -g that allocates from 3,000 places in turn evicted each other: 9,417
 * rules computed for 3,011. */
static inline struct agent_ipcache *agent_ipcache_at(struct agent_ipcache *t, uint64_t size,
						     uint64_t ip)
{
	return &t[agent_sized(size, AGENT_IPCACHE_MIN, agent_mix(ip) & ~1ULL)];
}

static inline void agent_ipcache_set(struct agent_ipcache *e, uint64_t ip, uint64_t rule)
{
	__atomic_store_n(&e->rule, rule, __ATOMIC_RELEASE);
	__atomic_store_n(&e->check, rule ^ ip ^ AGENT_IPCACHE_SALT, __ATOMIC_RELEASE);
}

/* Puts ip's rule first in its set, the one first until now second (where
 * it stays valid: its check word moves with it). */
static inline void agent_ipcache_put(struct agent_ipcache *set, uint64_t ip, uint64_t rule)
{
	uint64_t first = __atomic_load_n(&set[0].rule, __ATOMIC_ACQUIRE);
	uint64_t check = __atomic_load_n(&set[0].check, __ATOMIC_ACQUIRE);

	__atomic_store_n(&set[1].rule, first, __ATOMIC_RELEASE);
	__atomic_store_n(&set[1].check, check, __ATOMIC_RELEASE);
	agent_ipcache_set(&set[0], ip, rule);
}

/* An entry of the rule log: ip is stored last (0: never finished). */
struct agent_rulelog {
	uint64_t rule;          /* agent_ipcache's, its generation byte included */
	uint64_t ip;
};

/* A stack walked before, by where the walk started and every word it
 * read (agent/core.c): the same words give the same stack.  Each owned
 * ring has a cache of its own, written by its thread only. */
#define AGENT_STACKCACHE   (1u << 7)    /* per ring, at most: 64 sets of 2 ways */
#define AGENT_CACHED_READS 48           /* 24 frames: return address, rbp */
struct agent_stackcache {
	uint64_t rsp;           /* at the allocator's entry */
	uint64_t hash;          /* the stack's */
	uint64_t key;           /* of the words it read (and rbp, where used): a known walk's key */
	uint32_t nreads;
	uint32_t gen;           /* of the module list walked with */
	uint32_t rbp_used;      /* the walk used rbp's value at entry */
	uint32_t reach;         /* bytes from rsp up that it read */
	uint64_t places;        /* the offsets, rbp_used and gen, hashed */
	int32_t off[AGENT_CACHED_READS];        /* where each was read, from rsp */
} __attribute__((aligned(64)));
/* Four cache lines: the words' values are not kept, their key is (cc1's
 * agent spent a third of its time on stack-cache and known-walk loads
 * that missed, 624-byte entries of which a hit read ten lines). */
_Static_assert(sizeof(struct agent_stackcache) == 256, "a stack cache entry's size");
/* Behind each ring's cache, the stacks of its walks by a hash of the
 * words they read and of where: a call that misses the cache (its set
 * holds other stacks from the same rsp and return address: the 3,000
 * callers of one allocation wrapper at one depth, of which two ways held
 * two and every other call walked again) reads the words at the places
 * a way of its set read them, and finds its stack here when a walk read
 * the same words there before. */
#define AGENT_KNOWN_WAYS   4            /* a set: one cache line */
#define AGENT_KNOWN_WALKS  (1u << 13)   /* per ring, at most */
#define AGENT_KNOWN_WALKS_MIN (1u << 6)
struct agent_known_walk {
	uint64_t check;         /* key ^ agent_mix(hash): a torn entry fails it */
	uint64_t hash;          /* the stack's */
};
/* A thread's stacks walked before take at most 160 KiB: its cache, 32
 * KiB (entries of 808 bytes with addresses in full, 1,024 of them: 32
 * threads' caches took 26 MiB of the program's memory; with the known
 * walks behind it, 128 entries answer cc1 within 2% as often as 256 did,
 * sqlite3 and std::map as often), and 128 KiB of known walks (4,096: a
 * program with 3,000 stacks from one wrapper lost a third of them to
 * full sets). */
#define AGENT_STACKCACHE_RING (AGENT_STACKCACHE * sizeof(struct agent_stackcache) + \
			       AGENT_KNOWN_WALKS * sizeof(struct agent_known_walk))
_Static_assert(AGENT_STACKCACHE * sizeof(struct agent_stackcache) % 64 == 0,
	       "known walks' sets on cache lines");

/* Each table's sizes, in entries: it starts at the smallest and doubles
 * up to the largest, for which the space is reserved. */
static const uint32_t agent_table_smallest[AGENT_TABLES] = {
	[AGENT_T_IPCACHE] = AGENT_IPCACHE_MIN, [AGENT_T_STACKSET] = AGENT_STACKSET_MIN,
	[AGENT_T_STACKCACHE] = AGENT_STACKCACHE_MIN,
};
static const uint32_t agent_table_largest[AGENT_TABLES] = {
	[AGENT_T_IPCACHE] = AGENT_IPCACHE, [AGENT_T_STACKSET] = AGENT_STACKSET,
	[AGENT_T_STACKCACHE] = AGENT_STACKCACHE,
};

/* Offsets in the data region. */
#define AGENT_OFF_RING     AGENT_CTL_SIZE
#define AGENT_OFF_STACKSET (AGENT_OFF_RING + AGENT_ALL_RING_SLOTS * 64)
#define AGENT_STACKSET_SPACE AGENT_SIZED_SPACE(AGENT_STACKSET, AGENT_STACKSET_MIN)
#define AGENT_IPCACHE_SPACE  AGENT_SIZED_SPACE(AGENT_IPCACHE, AGENT_IPCACHE_MIN)
#define AGENT_OFF_INSIDE   (AGENT_OFF_STACKSET + AGENT_STACKSET_SPACE * 8)
#define AGENT_OFF_IPCACHE  (AGENT_OFF_INSIDE + (uint64_t)AGENT_INSIDE * sizeof(struct agent_inside))
#define AGENT_OFF_STACKCACHE (AGENT_OFF_IPCACHE + AGENT_IPCACHE_SPACE * sizeof(struct agent_ipcache))
#define AGENT_OFF_RULELOG  (AGENT_OFF_STACKCACHE + (uint64_t)AGENT_BIG_RINGS * AGENT_STACKCACHE_RING)
#define AGENT_OFF_MODULES  (AGENT_OFF_RULELOG + (uint64_t)AGENT_RULELOG * sizeof(struct agent_rulelog))
#define AGENT_OFF_FDES     (AGENT_OFF_MODULES + (uint64_t)AGENT_MODULE_SPACE * sizeof(struct agent_module))
#define AGENT_OFF_PLACED   (AGENT_OFF_FDES + (uint64_t)AGENT_FDE_SPACE * sizeof(struct agent_fde))
#define AGENT_OFF_PLACED_HOW (AGENT_OFF_PLACED + (uint64_t)AGENT_PLACED * 8)
#define AGENT_OFF_SPARED   (AGENT_OFF_PLACED_HOW + \
			    (uint64_t)AGENT_PLACED * sizeof(struct agent_placed_how))
#define AGENT_OFF_PLACING  (AGENT_OFF_SPARED + (uint64_t)AGENT_SPARED * 8)
#define AGENT_DATA_SIZE    (AGENT_OFF_PLACING + \
			    (uint64_t)AGENT_PLACING * sizeof(struct agent_placing))
_Static_assert(AGENT_OFF_IPCACHE % 64 == 0, "an ip cache set in one cache line");

/* What is beside slot, a slot of the placed set of the region whose
 * control page is ctl. */
static inline struct agent_placed_how *agent_placed_how_at(void *ctl, const uint64_t *slot)
{
	const uint64_t *set = (const uint64_t *)((char *)ctl + AGENT_OFF_PLACED);

	return (struct agent_placed_how *)((char *)ctl + AGENT_OFF_PLACED_HOW) + (slot - set);
}
_Static_assert(AGENT_OFF_STACKCACHE % 64 == 0, "a stack cache entry on its own cache lines");

static inline uint64_t agent_hash_step(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

/* A 64-bit stack hash that is never 0 (0 means "no stack"), over the
 * frames' ids (struct agent_module's id_delta).  Frame i goes into lane
 * i % 4, the lanes are then hashed together: four chains of dependent
 * multiplies side by side, where one chain over cc1's 16-frame stacks
 * (255,000 walks a compile) kept the walk waiting for each product
 * (gcc -O2 -c of bench/real-programs' make files: 386 -> 384 ms). */
static inline uint64_t agent_hash_ips(const uint64_t *ips, int n)
{
	/* The lanes in variables, not an array: the tail's lane[i & 3] kept
	 * an array in memory, each step a store and a load forwarded from it
	 * (key_at(), the agent's most frequent work, hashes ~21 words a call). */
	uint64_t a = 0xcbf29ce484222325ULL, b = 0x9e3779b97f4a7c15ULL,
		 c = 0xbf58476d1ce4e5b9ULL, d = 0x94d049bb133111ebULL, h;
	int i;

	for (i = 0; i + 4 <= n; i += 4) {
		a = agent_hash_step(a, ips[i]);
		b = agent_hash_step(b, ips[i + 1]);
		c = agent_hash_step(c, ips[i + 2]);
		d = agent_hash_step(d, ips[i + 3]);
	}
	if (i < n)
		a = agent_hash_step(a, ips[i]);
	if (i + 1 < n)
		b = agent_hash_step(b, ips[i + 1]);
	if (i + 2 < n)
		c = agent_hash_step(c, ips[i + 2]);
	h = agent_hash_step(agent_hash_step(agent_hash_step(a ^ (uint64_t)n, b), c), d);
	return h ? h : 1;
}

/* The slot of the set of stacks sent (AGENT_OFF_STACKSET, size entries)
 * that holds hash, else the first empty one of its neighbourhood, else
 * NULL: the agent's lookup, and numamma's when it fills the set of a new
 * process with the stacks its executable sent before. */
static inline uint64_t *agent_stackset_slot(uint64_t *set, uint64_t size, uint64_t hash)
{
	uint64_t i = agent_mix(hash);

	for (uint32_t probes = 0; probes < 64; probes++, i++) {
		uint64_t *e = &set[agent_sized(size, AGENT_STACKSET_MIN, i)];
		uint64_t k = __atomic_load_n(e, __ATOMIC_ACQUIRE);

		if (!k || k == hash)
			return e;
	}
	return 0;
}

#endif
