/* Numbers given on the command line: one parser for every option. */
#ifndef NUMAMMA_NUMBER_H
#define NUMAMMA_NUMBER_H

#include <stdint.h>

/* An unsigned integer in base (10, or 0 for C's 0x/0 prefixes) between
 * min and max, the whole of s; a minus sign is malformed.  0, or -1. */
int parse_number(const char *s, int base, uint64_t min, uint64_t max, uint64_t *v);
/* Bytes: "65536", "64K", "1M", "2G" (either case).  0, or -1. */
int parse_size(const char *s, uint64_t *size);

#endif
