/* section_stream: a zlib stream inflated as far as asked (zlib) up to a
 * quarter of it, then all at once (libdeflate), the bytes returned
 * before staying readable; damaged and truncated streams refused. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "section_stream.h"
#include "unit.h"

#define SIZE (1 << 20)

/* Bytes that compress as a line program does, about two to one. */
static uint8_t *sample(void)
{
	uint8_t *b = malloc(SIZE);

	srandom(20261201);
	for (size_t i = 0; i < SIZE; i++)
		b[i] = random() % 4 ? "abcdefgh"[i % 8] : (uint8_t)random();
	return b;
}

static uint8_t *compressed(const uint8_t *data, uLongf *len)
{
	uint8_t *out = malloc(compressBound(SIZE));

	*len = compressBound(SIZE);
	CHECK(compress2(out, len, data, SIZE, 6) == Z_OK);
	return out;
}

static void test_prefix_then_whole(const uint8_t *data, const uint8_t *z, size_t zlen)
{
	struct section_stream *s = section_stream_zlib(z, zlen, SIZE);
	const uint8_t *first, *more, *all;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(section_stream_size(s), SIZE);
	first = section_stream_reveal(s, 100);
	CHECK(first && !memcmp(first, data, 100));
	more = section_stream_reveal(s, SIZE / 4);
	CHECK(more == first && !memcmp(more, data, SIZE / 4));
	all = section_stream_reveal(s, SIZE / 2);
	CHECK(all && !memcmp(all, data, SIZE));
	/* Still readable where they were returned (ASan would see). */
	CHECK(!memcmp(first, data, SIZE / 4));
	CHECK(section_stream_reveal(s, SIZE + 100) == all);
	section_stream_free(s);
}

static void test_refused(const uint8_t *data, uint8_t *z, size_t zlen)
{
	struct section_stream *s;

	CHECK(section_stream_zlib(z, 10, SIZE) == NULL);          /* implausible */
	s = section_stream_zlib(z, zlen, SIZE + 1);               /* ends short */
	CHECK(s && section_stream_reveal(s, 100) && !section_stream_reveal(s, SIZE + 1));
	section_stream_free(s);
	s = section_stream_zlib(z, zlen / 16, SIZE);              /* truncated */
	CHECK(s && !section_stream_reveal(s, SIZE / 4));
	section_stream_free(s);
	z[zlen / 2] ^= 0xff;                                      /* damaged */
	s = section_stream_zlib(z, zlen, SIZE);
	CHECK(s && !section_stream_reveal(s, SIZE));
	CHECK(s && !section_stream_reveal(s, 1));                 /* for good */
	section_stream_free(s);
	s = section_stream_plain(data, SIZE);
	CHECK(section_stream_reveal(s, SIZE) == data);
	section_stream_free(s);
}

int main(void)
{
	uint8_t *data = sample(), *z;
	uLongf zlen;

	z = compressed(data, &zlen);
	printf("%d bytes, %lu compressed\n", SIZE, (unsigned long)zlen);
	test_prefix_then_whole(data, z, zlen);
	test_refused(data, z, zlen);
	free(z);
	free(data);
	return unit_done();
}
