/* A section's bytes, inflated as far as their reader needs them.
 *
 * A profile usually looks up one or two addresses in libc's line
 * programs (__libc_start_main's, 563 bytes into 1.3 MB): inflating the
 * whole of its .debug_line took 2 ms of every profile.  zlib's inflate
 * stops where it is asked to; libdeflate's is 2.5 times as fast but
 * inflates everything at once.  A stream therefore inflates with zlib
 * while its reader asks for the first quarter of the section at most,
 * and the rest at once with libdeflate when it asks for more. */
#ifndef NUMAMMA_SECTION_STREAM_H
#define NUMAMMA_SECTION_STREAM_H

#include <stddef.h>
#include <stdint.h>

struct section_stream;

/* Over bytes already there (not owned: they must outlive the stream). */
struct section_stream *section_stream_plain(const void *data, size_t size);
/* Over a zlib stream (an ELFCOMPRESS_ZLIB section's payload) of size
 * bytes inflated; NULL when size is implausible for in_size. */
struct section_stream *section_stream_zlib(const void *in, size_t in_size, size_t size);
void section_stream_free(struct section_stream *s);

size_t section_stream_size(const struct section_stream *s);
/* Makes at least the first want bytes readable (all of them when want
 * is past the end) and returns where the section's bytes are now: a
 * later call may move them, but bytes returned before stay readable
 * until the stream is freed.  NULL when the stream is damaged. */
const uint8_t *section_stream_reveal(struct section_stream *s, size_t want);

/* The size bytes a whole zlib stream inflates to (malloc'd), or NULL
 * when it is damaged or inflates to another size. */
void *inflate_zlib(const void *in, size_t in_size, size_t size);

#endif
