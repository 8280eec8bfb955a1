/* /proc/PID/maps parsing (pure parser + a reader). */
#ifndef NUMAMMA_PROCMAPS_H
#define NUMAMMA_PROCMAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

struct map_entry {
	uint64_t start, end, offset;
	char perms[5];       /* "r-xp" */
	unsigned dev_major, dev_minor;
	uint64_t inode;
	char *path;          /* "" for anonymous; "[heap]", "[stack]", ...;
	                      * without the kernel's " (deleted)" suffix */
	bool deleted;        /* the file was unlinked since it was mapped */
};

struct map_list {
	struct map_entry *v;
	size_t n;
};

/* Parses the text of a maps file into entries sorted by address.
 * Returns 0, or -1 when some line was malformed (the well-formed lines
 * are kept all the same). */
int procmaps_parse(const char *text, struct map_list *out);
/* Reads /proc/PID/maps.  -1 with errno set when the process is gone. */
int procmaps_read(pid_t pid, struct map_list *out);
void procmaps_free(struct map_list *l);
void procmaps_copy(struct map_list *dst, const struct map_list *src);
/* The entry of /proc/PID/maps containing addr, read up to its line only:
 * a new thread's stack, the newest mapping but one, comes early (mmap
 * goes down), where a whole read at each thread of a program with
 * thousands cost a time quadratic in them.  0, or -1: none holds addr,
 * or the process is gone (errno ESRCH).  out->path is to be freed.
 * below (may be NULL): the end of the mapping before it, 0 if none. */
int procmaps_lookup(pid_t pid, uint64_t addr, struct map_entry *out, uint64_t *below);
/* The entry containing addr, or NULL.  Entries are sorted by address. */
const struct map_entry *procmaps_find(const struct map_list *l, uint64_t addr);

#endif
