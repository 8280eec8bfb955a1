/* numamma's own descriptor limit. */
#ifndef NUMAMMA_FDLIMIT_H
#define NUMAMMA_FDLIMIT_H

/* Raises this process's soft RLIMIT_NOFILE to its hard limit: a
 * descriptor per thread and event (perf events, their rings) runs past
 * the usual 1,024 in a program with many threads.  Call it after forking
 * the program, never before: the program keeps the limits it would have
 * alone. */
void fd_limit_raise(void);

#endif
