/* Readable names of C++, Rust and Fortran symbols, as a person reads them in a
 * report: "app::Store::fill(int)", "<std::sys::thread::unix::Thread>::new".
 * Pure string work: the profile stores the names it gives, and a reader
 * of an older profile (whose frames kept the symbols as linked) applies
 * it again. */
#ifndef NUMAMMA_DEMANGLE_H
#define NUMAMMA_DEMANGLE_H

/* The readable form of symbol (malloc'ed), or NULL when symbol is not a
 * mangled name this reads: a C name, one already demangled, one damaged
 * or of an unknown scheme (the caller keeps the symbol then).  Reads the
 * Itanium C++ ABI (_Z, through the C++ runtime's demangler), Rust's
 * legacy (_ZN...17h<hash>E) and v0 (_R) manglings, hashes left out as
 * rustc-demangle's alternate form does, and gfortran's module entities
 * (__<module>_MOD_<name>: module::name). */
char *demangle(const char *symbol);

#endif
