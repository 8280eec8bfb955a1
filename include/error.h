/* Diagnostics, in one style: "numamma: what failed: why".
 *
 * die()     prints and exits with NM_EXIT_FAILURE (or the given status):
 *           for the tracer process only, after tracees were released.
 * error()   prints and returns -1 so callers can propagate the failure.
 * warning() prints and continues.
 * hint()    prints an actionable follow-up line ("numamma: hint: ...").
 */
#ifndef NUMAMMA_ERROR_H
#define NUMAMMA_ERROR_H

#include <stdarg.h>

/* numamma's own failures, as env(1) and timeout(1) use them. */
enum {
	NM_EXIT_FAILURE   = 125, /* numamma itself failed */
	NM_EXIT_CANNOT_RUN = 126, /* program found but could not be run */
	NM_EXIT_NOT_FOUND = 127, /* program not found */
};

#define NM_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Called by die() before exiting: the tracer installs one that detaches
 * or kills its tracees, so that numamma never leaves a program stopped. */
void set_die_routine(void (*routine)(void));

_Noreturn void die(const char *fmt, ...) NM_PRINTF(1, 2);
_Noreturn void die_status(int status, const char *fmt, ...) NM_PRINTF(2, 3);
/* die() with ": strerror(errno)" appended. */
_Noreturn void die_errno(const char *fmt, ...) NM_PRINTF(1, 2);
int error(const char *fmt, ...) NM_PRINTF(1, 2);
int error_errno(const char *fmt, ...) NM_PRINTF(1, 2);
void warning(const char *fmt, ...) NM_PRINTF(1, 2);
void hint(const char *fmt, ...) NM_PRINTF(1, 2);

/* Verbosity (-v): debug() prints only when verbose > 0. */
extern int verbose;
void debug(const char *fmt, ...) NM_PRINTF(1, 2);

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
/* size bytes on an align boundary (a power of two), for free(). */
void *xaligned_alloc(size_t align, size_t size);
/* A transparent huge page on x86-64. */
#define HUGE_PAGE_BYTES (2u << 20)
/* xcalloc for a hash table, which is read before it is written: see
 * error.c. */
void *xcalloc_table(size_t n, size_t size);
/* Zeroed n * size bytes whose pages are touched as they are used (a
 * large cache most of which a short run never fills): see error.c.
 * Freed by xfree_sparse() with the same n and size. */
void *xcalloc_sparse(size_t n, size_t size);
/* The same, NULL when it cannot be had (a size read from a file). */
void *calloc_sparse(size_t n, size_t size);
void xfree_sparse(void *p, size_t n, size_t size);
/* xmalloc(n * size), in huge pages where the system allows them when
 * large (see error.c): for a big array filled from its start. */
void *xmalloc_array(size_t n, size_t size);
/* The same, NULL when memory is short: for a buffer whose caller can do
 * without it (a compressed section it then does not read). */
void *malloc_array(size_t bytes);
/* At start: numamma's heap grows in huge pages where allowed and where
 * they pay (hostmem.h). */
void heap_in_huge_pages(void);
/* madvise(MADV_HUGEPAGE) where they pay. */
void advise_huge(void *p, size_t len);
/* The choice, for -v. */
const char *own_pages_said(void);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) NM_PRINTF(1, 2);

#endif
