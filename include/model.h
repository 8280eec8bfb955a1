/* The profile's data model: what the tracer and samplers produce and what
 * the database, reports and placement engine consume.  Plain data only. */
#ifndef NUMAMMA_MODEL_H
#define NUMAMMA_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum obj_kind {
	OBJ_HEAP,    /* malloc and friends */
	OBJ_STATIC,  /* STT_OBJECT symbol of a module */
	OBJ_STACK,   /* a thread's stack */
	OBJ_MMAP,    /* anonymous mmap/mremap by the program */
	OBJ_MAPPING, /* a /proc/PID/maps region nothing else explains */
	OBJ_TLS,     /* a thread's copy of a thread-local variable (STT_TLS) */
};
#define OBJ_KIND_LAST OBJ_TLS
const char *obj_kind_name(enum obj_kind kind);

/* CLOCK_MONOTONIC nanoseconds: the clock of every timestamp numamma
 * stores, the samplers' included (use_clockid). */
uint64_t now_ns(void);
/* CPU time of the calling thread, ns. */
uint64_t thread_cpu_ns(void);

/* One memory object.  Times are CLOCK_MONOTONIC nanoseconds, the clock the
 * perf samplers are told to use (use_clockid), so that samples and
 * allocations can be ordered.  free_ns == 0 means still live. */
struct nm_object {
	int64_t id;
	pid_t pid, tid;
	enum obj_kind kind;
	uint64_t addr, size;
	uint64_t alloc_ns, free_ns;
	int64_t callsite_id;   /* 0: none */
	const char *name;      /* symbol, allocator function or mapping path */
	/* A block under --min-object-size: tracked (samples find it), but
	 * its row is written only once a sample hits it. */
	bool row_if_sampled;
};

/* A module's statics: the data objects of one ELF file, read once for
 * every process that maps it.  A program's large libraries have
 * 100,000s (rustc's LLVM: 104,000), most of them never sampled: the
 * large ones are objects at once, the object tracker enters the others
 * when a sample needs one. */
struct nm_static {
	uint64_t vaddr, size;  /* in the file: add the load bias */
	const char *name;
};

typedef void (*nm_static_fn)(void *arg, const struct nm_static *s);

struct nm_static_table {
	const void *owner;     /* the table's: valid for the whole run */
	/* Calls fn with each static of min_size bytes and more (0: all), by
	 * address; *lo and *hi: the range holding every static. */
	void (*foreach_large)(const void *owner, uint64_t min_size, nm_static_fn fn, void *arg,
			      uint64_t *lo, uint64_t *hi);
	/* The static holding vaddr; false when none does. */
	bool (*find)(const void *owner, uint64_t vaddr, struct nm_static *out);
};

/* A stack frame, position-independent: the same code gives the same
 * (module, offset) in every run despite ASLR.  module is "buildid:<hex>"
 * when the ELF has a build-id, the path otherwise; path is kept for
 * symbolisation. */
struct nm_frame {
	const char *module;
	const char *path;
	uint64_t offset;       /* file-relative: ip - load bias */
	uint64_t ip;           /* absolute, this run only */
	uint64_t module_key;   /* hash_module_name(module), or 0: the store hashes it */
};

#define NM_MAX_FRAMES 64

/* Memory access kinds, as stored: 'R', 'W' or '?'. */
enum { ACCESS_READ = 'R', ACCESS_WRITE = 'W', ACCESS_UNKNOWN = '?' };

/* Where a sample's data came from (decoded PERF_SAMPLE_DATA_SRC or IBS). */
enum mem_level {
	LVL_UNKNOWN = 0, LVL_L1, LVL_LFB, LVL_L2, LVL_L3,
	LVL_LOCAL_RAM, LVL_REMOTE_RAM, LVL_REMOTE_CACHE, LVL_IO, LVL_UNCACHED,
	LVL_PMEM, LVL_CXL,
};
const char *mem_level_name(enum mem_level lvl);

struct nm_sample {
	uint64_t time_ns;
	pid_t pid, tid;
	int cpu, node;         /* node of the cpu; -1 unknown */
	uint64_t addr, ip;
	char access;           /* ACCESS_* */
	uint64_t weight;       /* latency in cycles, or 1 */
	enum mem_level level;
	int hops;              /* remote hops, -1 unknown */
	int snoop_hitm;        /* 1 when a modified line was snooped, 0 not; -1 unknown */
	int tlb_miss;          /* 1 when the access missed the TLB; -1 unknown */
	int64_t object_id;     /* 0: unattributed */
	uint64_t object_addr;  /* the address of object_id's object (its row's) */
	int page_node;         /* node of the page; -1 unknown */
	uint64_t phys_addr;    /* 0 unknown */
	/* How addr was found from the sampled registers (clock sampler):
	 * "backward", "repeat", "at_ip" or "forward" (static strings); NULL
	 * when the hardware or the kernel gave the address. */
	const char *resolution;
	int forward_steps;     /* forward, repeat: instructions emulated before it; else 0 */
};

/* Machine topology as recorded in runs. */
struct nm_topology {
	int nr_nodes;
	int nr_cpus;
	int *cpu_node;          /* [nr_cpus], -1 if offline */
	int *distance;          /* [nr_nodes * nr_nodes] */
	int *node_ids;          /* [nr_nodes]: sysfs node numbers */
};

#endif
