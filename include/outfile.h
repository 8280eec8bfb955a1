/* Files numamma writes: only where the user named, never through a
 * symbolic link, never over a file another numamma is writing, created
 * exclusively and private (0600: a profile holds the command line and
 * addresses), and an existing regular file kept as FILE.old, said aloud. */
#ifndef NUMAMMA_OUTFILE_H
#define NUMAMMA_OUTFILE_H

#include <stdbool.h>
#include <sys/stat.h>

/* 0 when path can be created: a non-empty name, not a link, not a
 * directory, in a writable directory, not being written by another
 * numamma, and not one of inputs (NULL-terminated, may be NULL).  Else
 * -1 with one error line. */
int outfile_check(const char *path, const char *const *inputs);

/* Moves an existing regular file (and the SQLite journal or WAL that
 * belongs to it) to path.old, saying so on stderr unless quiet (-q): a
 * profile is never replaced silently.  0 or -1 with one error line. */
int outfile_keep_previous(const char *path, bool quiet);

/* The keeping of a previous profile as path.old, undone should the
 * program's exec fail (the new profile is made while it execs): the .old
 * it replaces is unlinked but held open until then. */
struct outfile_keep {
	bool moved;                 /* path is at path.old */
	bool replaced;              /* an older path.old was there */
	int older_fd;               /* that older file, held; -1: none */
	struct stat older;
};

/* outfile_keep_previous() made undoable, and silent until committed:
 * where path and an older path.old are plain regular files without a
 * journal beside either, the older one readable.  1: moved; 0: nothing
 * done (keep the previous the usual way, later); -1 with one error line. */
int outfile_keep_undoably(const char *path, struct outfile_keep *k);
/* The exec succeeded: the older .old goes for good; said unless quiet. */
void outfile_keep_commit(const char *path, struct outfile_keep *k, bool quiet);
/* The exec failed, the new profile removed: path and path.old put back
 * as they were (the older .old's bytes, mode, owner and times). */
void outfile_keep_undo(const char *path, struct outfile_keep *k);

/* Creates path exclusively (O_EXCL | O_NOFOLLOW), mode 0600, and holds a
 * lock on it that tells other numammas it is being written, until the
 * returned descriptor is closed.  -1 with one error line. */
int outfile_create(const char *path);

#endif
