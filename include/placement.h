/* Placement policies: what `numamma advise` derives from a profile and
 * what `numamma run --policy` applies.
 *
 *   placement.c    building, matching, ranges: pure, no I/O; matching
 *                  (policy_place) allocates nothing
 *   policy_file.c  the text form, documented in doc/policy.md
 *   policy_load.c  loading from a file or a profile, checks against the
 *                  machine, and their messages */
#ifndef NUMAMMA_PLACEMENT_H
#define NUMAMMA_PLACEMENT_H

#include <stdint.h>
#include <stdio.h>

#include "model.h"

/* One contiguous range of an object to place with one mbind call.
 * offset/length are relative to the object's start, already rounded to
 * whole pages inside the object (never touching a neighbour's page). */
struct place_range {
	uint64_t offset, length;
	int mode;                 /* MPOL_BIND, MPOL_INTERLEAVE, MPOL_PREFERRED */
	uint64_t nodemask;        /* bit n = node n */
};

struct place_plan {
	int n;
	struct place_range *ranges;    /* owned by the plan */
	const char *rule;              /* the policy line that matched */
};
void place_plan_free(struct place_plan *p);

/* Positions inside an object are proportional, in millionths of its size,
 * so that a rule learnt on one allocation size applies to another. */
#define POLICY_PPM 1000000u
/* The page placement reasons in: mbind's unit on the machines numamma
 * runs on, and the granule of advise's maps of an object. */
#define PLACE_PAGE_SIZE 4096ULL
/* Node numbers are sysfs node ids, held in 64-bit masks. */
#define POLICY_MAX_NODES 64
/* A cyclic rule places an object with at most this many mbind ranges;
 * the chunks past them are interleaved over the rule's nodes with one
 * more, so that a huge object costs a bounded number of syscalls. */
#define CYCLIC_MAX_RANGES 4096

enum policy_action { ACT_LEAVE, ACT_BIND, ACT_INTERLEAVE, ACT_BLOCK, ACT_PAGEMAP, ACT_EACH,
		     ACT_CYCLIC, ACT_TILES };
const char *policy_action_name(enum policy_action a);

/* A slice [start, end) of an object, in POLICY_PPM units, for one node;
 * a tiles rule's slice deals its chunks to the nodes each[first] to
 * each[first + count - 1] in turn (node is each[first]). */
struct policy_segment {
	uint32_t start, end;
	int node;
	int first, count;
};

/* How a rule recognises its objects. */
enum policy_site {
	SITE_CALLSITE,   /* heap/mmap: the allocation stack's (module, offset)s */
	SITE_STATIC,     /* static: module identity + symbol name */
	SITE_DEFAULT,    /* every heap, mmap and static object */
};

struct policy_frame {
	char *module;
	uint64_t offset;
};

struct policy_rule {
	enum policy_site site;
	enum obj_kind kind;              /* SITE_CALLSITE, SITE_STATIC */
	int nframes;
	struct policy_frame *frames;     /* SITE_CALLSITE, [0] = allocator's caller */
	char *module, *symbol;           /* SITE_STATIC */
	enum policy_action action;
	uint64_t nodemask;               /* bind (one bit), interleave */
	int nseg;
	struct policy_segment *seg;      /* block, pagemap, tiles: sorted, disjoint */
	int neach;
	int *each;                       /* each: node of the k-th object, -1 leave;
					  * cyclic: node of the k-th chunk;
					  * tiles: the slices' node lists */
	uint64_t chunk;                  /* cyclic, tiles: chunk size in bytes */
	uint64_t chunk_from;             /* cyclic: where chunk 0 starts, in
					  * bytes from the object's start (a
					  * header before it is left alone) */
	char *comment;                   /* for humans: written above the rule */
	char *text;                      /* the rule as one line (plan->rule) */
	int line;                        /* in the policy file, 0 if built */
	int launcher_rank;               /* -1: every process; else only the
					  * process of that launcher rank (an
					  * MPI job's policy, format 3) */
};

/* Thread pinning by creation rank (0 = main thread), or of a process the
 * program's first process forks, by fork order (pin-child, format 4).  A
 * pin names a cpu, or only a node (cpu -1) when the plan was made for
 * another machine: the cpu is then chosen on the machine the policy is
 * loaded on. */
struct policy_pin {
	int child;                       /* 0: a thread pin; K >= 1: the K-th
					  * process forked by the first one */
	int rank;                        /* a thread pin's creation rank */
	int cpu;
	int node;                        /* -1 when cpu is given */
	int line;
	int launcher_rank;               /* as in struct policy_rule */
};

struct policy {
	char *source;                    /* file name, for messages */
	int nbinaries;
	char **binaries;                 /* module identities it was made for */
	int nrules;
	struct policy_rule *rules;
	int npins;
	struct policy_pin *pins;
	int strict;                      /* a binary mismatch is an error */
	int disabled;                    /* made for another binary: match nothing */
	int ranked;                      /* has rules or pins for one launcher
					  * rank only (an MPI job's policy) */
};

/* Building and editing (placement.c). */
struct policy *policy_new(const char *source);
struct policy_rule *policy_add_rule(struct policy *pol);
void policy_add_pin(struct policy *pol, int child, int rank, int cpu, int node, int line);
void policy_add_binary(struct policy *pol, const char *module_identity);
void policy_free(struct policy *pol);
/* to's action becomes a copy of from's (nodes, slices, lists). */
void policy_copy_action(struct policy_rule *to, const struct policy_rule *from);
/* An MPI job's policy: appends a copy of one's rules and pins for the
 * process of launcher rank `rank` only, and one's binaries. */
void policy_add_rank(struct policy *job, const struct policy *one, int rank);
/* Keeps the rules and pins for every process and those for launcher
 * rank `rank` (-1: outside a launcher), drops the other ranks'.
 * Returns how many rank-specific rules and pins were kept. */
int policy_select_rank(struct policy *pol, int rank);
/* Fills rule->text from the rule's fields (the line policy_write prints). */
void policy_rule_format(struct policy_rule *rule);
/* A node list "0-3,6" or "all" (every node of topo) as a mask; -1 if
 * malformed or naming nothing; NODELIST_TOO_BIG with *mask = that node
 * for a node at or above POLICY_MAX_NODES. */
#define NODELIST_TOO_BIG (-2)
int policy_parse_nodelist(const char *s, const struct nm_topology *topo, uint64_t *mask);
/* The mask as a node list, "0-1,4", into buf (NODELIST_TEXT bytes hold
 * any mask). */
#define NODELIST_TEXT 256
void policy_nodelist_text(uint64_t mask, char *buf, size_t len);

/* Text form (policy_file.c). */
/* Parses policy text; name is used in error messages.  NULL after one
 * "numamma: policy 'NAME' line N: what is wrong" line. */
struct policy *policy_parse(const char *text, const char *name);
struct policy *policy_read_file(const char *path);
void policy_write(FILE *f, const struct policy *pol);

/* Loading and checking (policy_load.c). */
/* Every node and cpu the policy names exists in topo: 0, or -1 after one
 * "policy 'FILE' line N: ..." error line. */
int policy_validate(const struct policy *pol, const struct nm_topology *topo);
/* Loads a policy from a profile database (advise is run in memory) or a
 * policy file, keeps what is for every process and for launcher_rank
 * (-1: not under a launcher; a warning when the policy has sections but
 * none for it), and checks it against topo (may be NULL: no check).
 * NULL + one error line naming the file and line. */
struct policy *policy_load(const char *path, const struct nm_topology *topo, int strict,
			   int launcher_rank);
/* --interleave=all|NODES, --bind=N: mode is "interleave" or "bind"; a
 * policy matching every heap, mmap and static object of a page or more. */
struct policy *policy_global(const char *mode, const char *nodes, const struct nm_topology *topo);
/* Called with the program's executable identity once known: on a
 * mismatch, warns and disables the policy (returns 0), or with strict
 * prints an error and returns -1.  Returns 0 when it matches. */
int policy_check_binary(struct policy *pol, const char *module_identity);

/* Matching (placement.c). */
/* Called at allocation return (and for statics before main).  frames are
 * the object's allocation stack (frames[0] = allocator's caller); for a
 * static, frames[0].module is its module's identity (nframes 0: any
 * module) and obj->name its symbol.  page_size is the tracee's.
 * The most specific rule wins: the one matching the most
 * frames, then a static's, then the default.  matched counts, per rule,
 * the objects it matched so far in this process (pol->nrules counters,
 * kept by the caller; NULL: each object is the first): an `each` rule
 * places its k-th object on its k-th node.  Fills ranges (room for
 * policy_max_ranges(pol)) and *rule (may be NULL: not wanted) and returns
 * how many ranges to place, 0 when none. */
int policy_place(const struct policy *pol, const struct nm_object *obj,
		 const struct nm_frame *frames, int nframes, uint64_t *matched, uint64_t page_size,
		 struct place_range *ranges, const char **rule);
/* What the best rule for a heap block or mapping (kind) made from the
 * stack frames does to every such block, whatever its size: */
enum stack_placement {
	STACK_LEAVES,           /* `leave`: each is left where first touched */
	STACK_WHOLE,            /* bind or interleave, all its whole pages
				 * alike: *whole's mode and nodemask */
	STACK_PLANS,            /* a plan each: an `each` rule's counts, a
				 * cyclic or block rule's sizes */
};
enum stack_placement policy_stack_placement(const struct policy *pol, enum obj_kind kind,
					    const struct nm_frame *frames, int nframes,
					    struct place_range *whole);
/* The same for every block of kind whatever its stack, where no rule
 * names a stack of that kind (only the default then applies);
 * STACK_PLANS where the stack decides. */
enum stack_placement policy_kind_placement(const struct policy *pol, enum obj_kind kind,
					   struct place_range *whole);
/* The most ranges one object of pol can need: size the buffer once. */
int policy_max_ranges(const struct policy *pol);
/* policy_place() into an allocated plan: 1 when it has ranges. */
int policy_plan_object(const struct policy *pol, const struct nm_object *obj,
		       const struct nm_frame *frames, int nframes, uint64_t *matched,
		       uint64_t page_size, struct place_plan *plan);
/* A transparent huge page: x86-64's PMD size. */
#define PLACE_THP_SIZE (2ULL << 20)
/* The pages (addresses) at which a transparent huge page may straddle an
 * edge of plan's ranges, obj_addr being the object's start: the page
 * just inside each edge that is not PLACE_THP_SIZE-aligned, an edge two
 * ranges share once.  Fills pages (room for 2 * plan->n), returns how
 * many. */
int place_plan_thp_edges(const struct place_plan *plan, uint64_t obj_addr, uint64_t *pages);
/* Where a page of range r that move_pages found on node `status` (a
 * negative errno when it has none yet) must go: -1 when it is on one of
 * r's nodes or not there at all.  page is its address / PLACE_PAGE_SIZE:
 * a page off an interleaved range's nodes goes to the (page mod n)-th of
 * its n nodes, spread as the interleave would. */
int place_page_target(const struct place_range *r, uint64_t page, int status);
/* The node a tiles rule puts byte off of an object of size bytes on,
 * -1 none (outside its slices). */
int policy_tiles_node(const struct policy_rule *r, uint64_t off, uint64_t size);
/* CPU to pin the thread of creation rank `rank` to, or -1. */
int policy_thread_cpu(const struct policy *pol, int rank);
/* Whether pol pins the main thread (rank 0) and no other thread nor any
 * worker process: the plan of a single-threaded program's profile. */
bool policy_main_thread_only(const struct policy *pol);
/* CPU to pin the child-th process forked by the first one to, or -1. */
int policy_child_cpu(const struct policy *pol, int child);
/* 1 when the policy was made for this module (or names no binary). */
int policy_matches_module(const struct policy *pol, const char *module_identity);

#endif
