/* The object tracker: every memory object of every traced process, with
 * its lifetime.  It assigns object ids, writes objects to the database and
 * answers "which object held this address at time t" in O(log n), so that
 * a sample is never given to an object freed before it was taken.
 *
 * Lookup prefers the most specific object: heap > static > stack > mmap >
 * mapping (a heap block lies inside the [heap] mapping). */
#ifndef NUMAMMA_OBJTRACK_H
#define NUMAMMA_OBJTRACK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model.h"

struct nm_db;
struct objtrack;

struct objtrack *objtrack_new(struct nm_db *db);   /* db may be NULL */
void objtrack_free(struct objtrack *ot);
/* The database appears once the program has started: objects registered
 * before (none, in practice) are not written. */
void objtrack_set_db(struct objtrack *ot, struct nm_db *db);

/* Registers obj (its id field is ignored and assigned); returns the id.
 * obj->name is copied.  A live object's row is written when it ends or
 * at the next objtrack_flush(), whichever comes first. */
int64_t objtrack_add(struct objtrack *ot, const struct nm_object *obj);
/* The same, for an allocator's block: tag (the recorder's call-site
 * counter) comes back when the block ends.  A fork child's copies have
 * their parent's.
 * obj->name is not copied: it must outlive ot (the allocator's name, a
 * constant).
 * displaced (not NULL): a live heap block of the process starting at
 * obj's start, released by a call not read yet, ends at obj's
 * allocation; displaced says which it was (id 0: none). */
#define OBJTRACK_NO_TAG UINT32_MAX
struct objtrack_ended;
int64_t objtrack_add_block(struct objtrack *ot, const struct nm_object *obj, uint32_t tag,
			   struct objtrack_ended *displaced);
/* Ended objects stay findable by objtrack_lookup() for ns after the most
 * recent end (by default forever; 0: forgotten at once, when no sampler
 * will ask), so that memory follows what is live.  Pointers to an
 * object are valid while it is findable. */
void objtrack_keep_freed(struct objtrack *ot, uint64_t ns);
/* No lookup will ask for a heap block at a time before ns (every sample
 * taken before it is matched; those held for their modules look for
 * statics and mappings): blocks ended by then are forgotten at once. */
void objtrack_lookups_from(struct objtrack *ot, uint64_t ns);
/* No objtrack_lookup(), objtrack_live_at() nor pick will be asked (no
 * sampler): blocks under --min-object-size are then kept by their start
 * alone, for their end, not by the range they cover (a fifth of
 * numamma's work per call in a malloc storm).  Before any block is
 * added. */
void objtrack_no_lookups(struct objtrack *ot);
/* The statics of table, loaded at bias in pid at ns, runtime addresses
 * in range: each becomes an object (with a row, as a sampled block
 * under --min-object-size) when objtrack_lookup() or objtrack_live_at()
 * first finds an address in it, until pid execs or exits.  Nothing
 * without lookups.  The recorder enters the large ones itself. */
struct objtrack_range {
	uint64_t lo, hi;
};
void objtrack_add_statics(struct objtrack *ot, pid_t pid, const struct nm_static_table *table,
			  uint64_t bias, const struct objtrack_range *range, uint64_t ns);
/* A module's thread-local variables vars (their vaddrs offsets in
 * block), tid's copies in block from ns: each becomes an object of kind
 * tls when a lookup first finds an address in it, as a static under
 * --min-object-size, until objtrack_end_tls(), an exec or the exit. */
void objtrack_add_tls(struct objtrack *ot, pid_t pid, pid_t tid, const struct nm_static_table *vars,
		      const struct objtrack_range *block, uint64_t ns);
/* tid ended at ns: its copies end, and are found no more after ns. */
void objtrack_end_tls(struct objtrack *ot, pid_t pid, pid_t tid, uint64_t ns);
/* Writes the rows of live objects not written yet (at the end). */
void objtrack_flush(struct objtrack *ot);
/* The same but for the mappings the newest maps read of each process saw
 * first, left for the next call (before each commit of the database,
 * 0.1 s apart): one may still turn out to be a block's region
 * (objtrack_add_seen()). */
void objtrack_flush_settled(struct objtrack *ot);
/* Ends the live object of pid starting exactly at addr among kinds
 * heap/mmap (free, realloc).  Returns its id, or 0 when unknown; else
 * ended (when not NULL) says its size, tag and id. */
struct objtrack_ended {
	uint64_t size;
	uint32_t tag;
	int64_t id;
};
int64_t objtrack_release(struct objtrack *ot, pid_t pid, uint64_t addr, uint64_t ns,
			 struct objtrack_ended *ended);
/* munmap: ends every live mmap/mapping object of pid overlapping
 * [addr, addr+len).  Partly unmapped ones end too (a conservative choice:
 * the remainder is re-registered by the caller if it matters).  ended
 * (may be NULL) is called with each one's id. */
void objtrack_unmap(struct objtrack *ot, pid_t pid, uint64_t addr, uint64_t len, uint64_t ns,
		    void (*ended)(void *arg, int64_t id), void *arg);
/* All live objects of pid end at ns: at exec (store: the database gets
 * free_ns) or exit (it keeps NULL: never freed by the program). */
void objtrack_end_process(struct objtrack *ot, pid_t pid, uint64_t ns, bool store);
/* fork: the child starts with copies of the parent's live objects
 * (new ids, same callsites, alloc_ns = ns). */
void objtrack_fork(struct objtrack *ot, pid_t parent, pid_t child, uint64_t ns);

/* The object of pid containing addr at time t, or NULL; one whose row
 * waits for a sample (row_if_sampled) gets it. */
const struct nm_object *objtrack_lookup(struct objtrack *ot, pid_t pid, uint64_t addr, uint64_t t);
/* The same without the row: for a sample that may not stay with what it
 * finds now (held for its modules, matched again later); obj's row then
 * comes from objtrack_claim(), before the next call into ot. */
const struct nm_object *objtrack_find(struct objtrack *ot, pid_t pid, uint64_t addr, uint64_t t);
void objtrack_claim(struct objtrack *ot, const struct nm_object *obj);
/* The live object of pid whose range contains addr (any kind), or NULL. */
const struct nm_object *objtrack_live_at(struct objtrack *ot, pid_t pid, uint64_t addr);
/* True when the pages of live objects of pid other than mappings cover
 * [start, end): a region of its maps that its calls explain (a malloc'd
 * chunk of 4 MiB: its block and the 16 bytes before, in the same pages). */
bool objtrack_explained(struct objtrack *ot, pid_t pid, uint64_t start, uint64_t end);
/* objtrack_add() for a mapping (kind mapping) a read of the maps at
 * seen_ns saw first.  A read can fall between a block's call and its
 * record: until the process's next read or the settled flush after next,
 * an object made before seen_ns but recorded after it unmakes such a
 * mapping that it (with the objects of then) covers, unless a sample was
 * matched to it. */
int64_t objtrack_add_seen(struct objtrack *ot, const struct nm_object *obj, uint64_t seen_ns);
/* A live object of pid (kinds heap, static, mmap; not stacks nor
 * reservations) chosen with probability proportional to its size, from
 * the random value rnd. */
const struct nm_object *objtrack_pick_weighted(struct objtrack *ot, pid_t pid, uint64_t rnd);
/* The same objects, each equally likely, whatever its size.  Both may
 * answer a block under --min-object-size as a copy valid until the next
 * pick. */
const struct nm_object *objtrack_pick_uniform(struct objtrack *ot, pid_t pid, uint64_t rnd);
/* The live mmap objects of pid holding addr are reservations (a thread's
 * stack, mapped by pthread_create): pick_weighted leaves them out. */
void objtrack_mark_reserved(struct objtrack *ot, pid_t pid, uint64_t addr);
/* Iterates over the live objects of pid (any order).  Stop when cb != 0. */
int objtrack_foreach_live(struct objtrack *ot, pid_t pid,
			  int (*cb)(void *arg, const struct nm_object *obj), void *arg);
uint64_t objtrack_count(struct objtrack *ot);
/* A free or malloc of addr by pid comes soon: its slot (entry: then its
 * entry) is fetched into the cache meanwhile. */
void objtrack_prefetch(struct objtrack *ot, pid_t pid, uint64_t addr, bool entry);

#endif
