/* Files numamma writes: only where the user named, never through a
 * symbolic link, never over a file another numamma is writing, created
 * exclusively and private (0600: a profile holds the command line and
 * addresses), and an existing regular file kept as FILE.old, said aloud. */
#ifndef NUMAMMA_OUTFILE_H
#define NUMAMMA_OUTFILE_H

#include <stdbool.h>

/* 0 when path can be created: a non-empty name, not a link, not a
 * directory, in a writable directory, not being written by another
 * numamma, and not one of inputs (NULL-terminated, may be NULL).  Else
 * -1 with one error line. */
int outfile_check(const char *path, const char *const *inputs);

/* Moves an existing regular file (and the SQLite journal or WAL that
 * belongs to it) to path.old, saying so on stderr unless quiet (-q): a
 * profile is never replaced silently.  0 or -1 with one error line. */
int outfile_keep_previous(const char *path, bool quiet);

/* Creates path exclusively (O_EXCL | O_NOFOLLOW), mode 0600, and holds a
 * lock on it that tells other numammas it is being written, until the
 * returned descriptor is closed.  -1 with one error line. */
int outfile_create(const char *path);

#endif
