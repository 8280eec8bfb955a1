/* See include/section_stream.h. */
#include <libdeflate.h>
#include <stdbool.h>
#include <stdlib.h>
#include <zlib.h>

#include "error.h"
#include "section_stream.h"

/* A zlib stream inflates at most 1032 times: a larger size is damage,
 * not a buffer to allocate. */
#define ZLIB_MAX_RATIO 1032
/* zlib inflates at least this much at a time: fewer calls, and the
 * stream's next units are often asked for next. */
#define ZLIB_STEP (16 << 10)

struct section_stream {
	const uint8_t *bytes;   /* the section's bytes, readable up to have */
	size_t size, have;
	/* zlib streams: */
	const void *in;
	size_t in_size;
	uint8_t *buf;           /* bytes, while zlib fills it */
	z_stream z;
	bool z_open;
	uint8_t *whole;         /* bytes, once libdeflate inflated them all */
	bool bad;
};

struct section_stream *section_stream_plain(const void *data, size_t size)
{
	struct section_stream *s = xcalloc(1, sizeof(*s));

	s->bytes = data;
	s->size = s->have = size;
	return s;
}

struct section_stream *section_stream_zlib(const void *in, size_t in_size, size_t size)
{
	struct section_stream *s;

	if (!size || size / ZLIB_MAX_RATIO > in_size)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->in = in;
	s->in_size = in_size;
	s->size = size;
	/* Untouched pages of a mapping cost nothing: only what zlib writes is
	 * faulted in, 4 KiB at a time.  Not huge pages: a stream is read for
	 * its first quarter at most (the rest is inflated whole, in huge
	 * pages, by inflate_zlib()), and a huge page is cleared whole at its
	 * first write, 2 MiB for the few units of libc's line programs a
	 * short run names (5 ms in a VM whose host took back the guest's free
	 * memory, as this one's does). */
	s->bytes = s->buf = calloc_sparse(1, size);
	if (!s->buf) {
		free(s);
		return NULL;
	}
	return s;
}

void section_stream_free(struct section_stream *s)
{
	if (!s)
		return;
	if (s->z_open)
		inflateEnd(&s->z);
	xfree_sparse(s->buf, 1, s->size);
	free(s->whole);
	free(s);
}

size_t section_stream_size(const struct section_stream *s)
{
	return s->size;
}

void *inflate_zlib(const void *in, size_t in_size, size_t size)
{
	struct libdeflate_decompressor *d;
	enum libdeflate_result rc;
	size_t out = 0;
	void *buf;

	if (!size || size / ZLIB_MAX_RATIO > in_size || !(buf = malloc_array(size)))
		return NULL;
	d = libdeflate_alloc_decompressor();
	rc = d ? libdeflate_zlib_decompress(d, in, in_size, buf, size, &out) : LIBDEFLATE_BAD_DATA;
	libdeflate_free_decompressor(d);
	if (rc != LIBDEFLATE_SUCCESS || out != size) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* zlib inflates on into buf up to want bytes at least. */
static void inflate_more(struct section_stream *s, size_t want)
{
	int rc;

	if (!s->z_open) {
		s->z.next_in = (Bytef *)s->in;
		s->z.avail_in = s->in_size;
		if (s->in_size > UINT32_MAX || inflateInit(&s->z) != Z_OK) {
			s->bad = true;
			return;
		}
		s->z_open = true;
	}
	while (s->have < want) {
		size_t step = want - s->have < ZLIB_STEP ? ZLIB_STEP : want - s->have;

		s->z.next_out = s->buf + s->have;
		s->z.avail_out = step < s->size - s->have ? step : s->size - s->have;
		rc = inflate(&s->z, Z_SYNC_FLUSH);
		s->have = s->z.next_out - s->buf;
		if (rc == Z_STREAM_END ? s->have != s->size : rc != Z_OK) {
			s->bad = true;
			return;
		}
	}
}

const uint8_t *section_stream_reveal(struct section_stream *s, size_t want)
{
	if (want > s->size)
		want = s->size;
	if (s->bad)
		return NULL;
	if (want <= s->have)
		return s->bytes;
	if (want <= s->size / 4) {
		inflate_more(s, want);
		return s->bad ? NULL : s->bytes;
	}
	/* What zlib inflated stays where it is, for the bytes it returned. */
	s->whole = inflate_zlib(s->in, s->in_size, s->size);
	if (!s->whole) {
		s->bad = true;
		return NULL;
	}
	s->bytes = s->whole;
	s->have = s->size;
	return s->bytes;
}
