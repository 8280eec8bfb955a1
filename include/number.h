/* Numbers given on the command line: one parser for every option; and
 * the lists of ids a profile keeps. */
#ifndef NUMAMMA_NUMBER_H
#define NUMAMMA_NUMBER_H

#include <stdint.h>

/* An unsigned integer in base (10, or 0 for C's 0x/0 prefixes) between
 * min and max, the whole of s; a minus sign is malformed.  0, or -1. */
int parse_number(const char *s, int base, uint64_t min, uint64_t max, uint64_t *v);
/* Bytes: "65536", "64K", "1M", "2G" (either case).  0, or -1. */
int parse_size(const char *s, uint64_t *size);
/* A JSON list of ids (positive integers), "[12,7,3]", JSON's white space
 * allowed around its tokens, of at most max ids, put in ids: their
 * count, or -1 when s is anything else. */
int parse_id_list(const char *s, int64_t *ids, int max);

#endif
