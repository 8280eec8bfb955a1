/* Which functions are the language runtimes' own code compiled into a
 * program: C++'s standard library templates instantiated in it, Rust's
 * standard library (every Rust program carries it).  A report looks past
 * them for the program's own frame, as it looks past libc's module. */
#ifndef NUMAMMA_LANGRT_H
#define NUMAMMA_LANGRT_H

#include <stdbool.h>

/* function: a readable name (demangle.h), C++'s with its return type and
 * parameters, Rust's with its impl ("<alloc::vec::Vec<T>>::push"). */
bool langrt_function(const char *function);

#endif
