/* Inside the store: a set of strings, each kept once.  A profile repeats
 * the same few names (allocators, modules, files) over every object and
 * frame; interning keeps one copy and frees them all at once. */
#ifndef NUMAMMA_STRTAB_H
#define NUMAMMA_STRTAB_H

struct prof_strings;

/* The one copy of s in *t (created on first use); NULL for NULL. */
char *strtab_intern(struct prof_strings **t, const char *s);
void strtab_free(struct prof_strings *t);

#endif
