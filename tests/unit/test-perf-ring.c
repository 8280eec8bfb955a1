/* perf ring walking (including a record wrapping past the end and
 * PERF_RECORD_LOST) and PERF_RECORD_SAMPLE decoding. */
#include <stdlib.h>

#include "perf_ring.h"
#include "synth-record.h"
#include "unit.h"

/* A sample whose fields are derived from seq, so each is distinct. */
static void make_sample(struct body *b, uint64_t seq)
{
	b->n = 0;
	put64(b, 0x400000 + seq);          /* ip */
	put32x2(b, 100, 200 + seq);        /* pid, tid */
	put64(b, 1000000 + seq);           /* time */
	put64(b, 0x7f0000000000 + seq * 8);/* addr */
	put32x2(b, seq % 2, 0);            /* cpu */
}

#define SIMPLE_TYPE (PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | \
		     PERF_SAMPLE_ADDR | PERF_SAMPLE_CPU)

static void test_decode_all_fields(void)
{
	uint64_t type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
			PERF_SAMPLE_TIME | PERF_SAMPLE_ADDR | PERF_SAMPLE_STREAM_ID |
			PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN |
			PERF_SAMPLE_RAW | PERF_SAMPLE_WEIGHT_STRUCT | PERF_SAMPLE_DATA_SRC |
			PERF_SAMPLE_TRANSACTION | PERF_SAMPLE_PHYS_ADDR |
			PERF_SAMPLE_DATA_PAGE_SIZE;
	struct { uint32_t v1; uint16_t v2, v3; } w = { 321, 7, 9 };
	uint8_t raw[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	uint32_t raw_size = sizeof(raw);
	struct perf_sample_rec r;
	struct body b = { .n = 0 };

	put64(&b, 77);                 /* identifier */
	put64(&b, 0x401234);           /* ip */
	put32x2(&b, 10, 11);           /* pid, tid */
	put64(&b, 555);                /* time */
	put64(&b, 0xdead000);          /* addr */
	put64(&b, 88);                 /* stream_id */
	put32x2(&b, 3, 0);             /* cpu */
	put64(&b, 1000);               /* period */
	put64(&b, 2);                  /* callchain: nr, ips */
	put64(&b, 0xaaa);
	put64(&b, 0xbbb);
	put(&b, &raw_size, 4);         /* raw: size + data = 16 bytes */
	put(&b, raw, sizeof(raw));
	put(&b, &w, 8);                /* weight struct */
	put64(&b, 0x1234567);          /* data_src */
	put64(&b, 0);                  /* transaction */
	put64(&b, 0x7654000);          /* phys_addr */
	put64(&b, 4096);               /* data page size */

	CHECK_INT(perf_decode_sample(b.b, b.n, type, &r), 0);
	CHECK_INT(r.id, 77);
	CHECK_INT(r.ip, 0x401234);
	CHECK_INT(r.pid, 10);
	CHECK_INT(r.tid, 11);
	CHECK_INT(r.time, 555);
	CHECK_INT(r.addr, 0xdead000);
	CHECK_INT(r.stream_id, 88);
	CHECK_INT(r.cpu, 3);
	CHECK_INT(r.period, 1000);
	CHECK_INT(r.raw_size, 12);
	CHECK(r.raw && r.raw[0] == 1 && r.raw[11] == 12);
	CHECK_INT(r.weight, 321);
	CHECK_INT(r.weight_var2, 7);
	CHECK_INT(r.weight_var3, 9);
	CHECK_INT(r.data_src, 0x1234567);
	CHECK_INT(r.phys_addr, 0x7654000);

	/* One byte short of what sample_type promises. */
	CHECK_INT(perf_decode_sample(b.b, b.n - 1, type, &r), -1);
	/* A callchain claiming more entries than the record holds. */
	CHECK_INT(perf_decode_sample(b.b, 72, type, &r), -1);
	/* Layouts the decoder cannot know. */
	CHECK_INT(perf_decode_sample(b.b, b.n, type | PERF_SAMPLE_READ, &r), -1);
	CHECK_INT(perf_decode_sample(b.b, b.n, type | PERF_SAMPLE_BRANCH_STACK, &r), -1);
	CHECK_INT(perf_decode_sample(b.b, b.n, type | PERF_SAMPLE_REGS_USER, &r), -1);
}

static void test_decode_plain_weight(void)
{
	struct perf_sample_rec r;
	struct body b = { .n = 0 };

	put64(&b, 0xabc);       /* addr */
	put64(&b, 250);         /* weight */
	put64(&b, 0x42);        /* data_src */
	CHECK_INT(perf_decode_sample(b.b, b.n, PERF_SAMPLE_ADDR | PERF_SAMPLE_WEIGHT |
				     PERF_SAMPLE_DATA_SRC, &r), 0);
	CHECK_INT(r.addr, 0xabc);
	CHECK_INT(r.weight, 250);
	CHECK_INT(r.weight_var2, 0);
	CHECK_INT(r.data_src, 0x42);
	CHECK_INT(r.ip, 0);
}

/* REGS_USER as the clock sampler asks for it: AX..SS and R8..R15 (mask
 * 0xff0fff, 20 registers written in register-number order), and a sample
 * with no user registers (ABI_NONE: the abi alone). */
static void test_decode_regs_user(void)
{
	uint64_t type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
			PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_REGS_USER;
	uint64_t mask = 0xff0fff;
	struct perf_sample_rec r;
	struct body b = { .n = 0 }, none = { .n = 0 };
	unsigned reg;

	put64(&b, 9);                  /* identifier */
	put64(&b, 0x401000);           /* ip */
	put32x2(&b, 10, 11);           /* pid, tid */
	put64(&b, 555);                /* time */
	put32x2(&b, 1, 0);             /* cpu */
	none = b;
	put64(&b, PERF_SAMPLE_REGS_ABI_64);
	for (reg = 0; reg < 24; reg++)
		if (mask >> reg & 1)
			put64(&b, 0x1000 + reg);
	CHECK_INT(perf_decode_sample_regs(b.b, b.n, type, mask, &r), 0);
	CHECK_INT(r.ip, 0x401000);
	CHECK_INT(r.tid, 11);
	CHECK_INT(r.cpu, 1);
	CHECK_INT(r.regs_abi, PERF_SAMPLE_REGS_ABI_64);
	CHECK_INT(r.regs[0], 0x1000);              /* AX */
	CHECK_INT(r.regs[11], 0x1000 + 11);        /* SS */
	CHECK_INT(r.regs[12], 0);                  /* DS: not asked for */
	CHECK_INT(r.regs[16], 0x1000 + 16);        /* R8 */
	CHECK_INT(r.regs[23], 0x1000 + 23);        /* R15 */
	CHECK_INT(perf_decode_sample_regs(b.b, b.n - 1, type, mask, &r), -1);
	/* Without the mask the layout is unknown. */
	CHECK_INT(perf_decode_sample_regs(b.b, b.n, type, 0, &r), -1);
	CHECK_INT(perf_decode_sample_regs(b.b, b.n, type, 1ULL << 40, &r), -1);
	put64(&none, PERF_SAMPLE_REGS_ABI_NONE);
	CHECK_INT(perf_decode_sample_regs(none.b, none.n, type, mask, &r), 0);
	CHECK_INT(r.regs_abi, PERF_SAMPLE_REGS_ABI_NONE);
	CHECK_INT(r.regs[0], 0);
}

/* A ring of 256 bytes written like the kernel does. */
#define RING 256

struct seen {
	int samples, lost_records;
	uint64_t lost, next_seq;
	int bad;
};

static void on_record(void *arg, const struct perf_event_header *hdr, const void *body)
{
	struct seen *s = arg;
	struct perf_sample_rec r;

	if (hdr->type == PERF_RECORD_LOST) {
		const uint64_t *v = body;    /* id, lost */
		s->lost_records++;
		s->lost += v[1];
		return;
	}
	if (hdr->type != PERF_RECORD_SAMPLE ||
	    perf_decode_sample(body, hdr->size - sizeof(*hdr), SIMPLE_TYPE, &r)) {
		s->bad++;
		return;
	}
	/* Every field must come from the same record, in order. */
	if (r.tid != 200 + s->next_seq || r.time != 1000000 + s->next_seq ||
	    r.addr != 0x7f0000000000 + s->next_seq * 8 || r.ip != 0x400000 + s->next_seq)
		s->bad++;
	s->next_seq++;
	s->samples++;
}

static void test_ring_wrap_and_lost(void)
{
	uint8_t data[RING] = { 0 };
	struct ring r = { data, RING, 0 };
	struct seen s = { 0 };
	uint8_t *scratch = malloc(65536);
	struct body b, lost = { .n = 0 };
	uint64_t tail = 0, seq, wrapped = 0;

	put64(&lost, 5);   /* id */
	put64(&lost, 13);  /* lost */
	/* 48-byte samples in a 256-byte ring: the 6th straddles the end
	 * (offsets 240..288), and later ones wrap at other offsets.  The
	 * reader keeps up with the writer as the kernel requires. */
	for (seq = 0; seq < 40; seq++) {
		uint64_t before = r.head;

		make_sample(&b, seq);
		ring_write(&r, PERF_RECORD_SAMPLE, &b);
		wrapped += before / RING != (r.head - 1) / RING;
		if (seq == 20)
			ring_write(&r, PERF_RECORD_LOST, &lost);
		if (seq % 3 == 2 || seq == 39)
			tail = perf_ring_walk(r.data, RING, tail, r.head, scratch, on_record, &s);
	}
	CHECK(wrapped > 0);
	CHECK_INT(tail, r.head);
	CHECK_INT(s.samples, 40);
	CHECK_INT(s.bad, 0);
	CHECK_INT(s.lost_records, 1);
	CHECK_INT(s.lost, 13);

	/* Nothing new: the tail stays. */
	CHECK_INT(perf_ring_walk(r.data, RING, tail, r.head, scratch, on_record, &s), tail);
	CHECK_INT(s.samples, 40);

	/* A zero-sized header (corruption) does not loop forever. */
	memset(r.data, 0, RING);
	CHECK_INT(perf_ring_walk(r.data, RING, 0, 64, scratch, on_record, &s), 64);
	free(scratch);
}

int main(void)
{
	test_decode_all_fields();
	test_decode_plain_weight();
	test_decode_regs_user();
	test_ring_wrap_and_lost();
	return unit_done();
}
