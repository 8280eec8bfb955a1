/* perf_event ring buffers and PERF_RECORD_SAMPLE decoding, pure. */
#include <string.h>

#include "perf_ring.h"

/* Fields numamma never asks for and whose layout depends on attr fields
 * the decoder does not see (read_format, branch_sample_type, the
 * interrupt register mask): a record holding one cannot be decoded past
 * it. */
#define SAMPLE_UNSUPPORTED (PERF_SAMPLE_READ | PERF_SAMPLE_BRANCH_STACK | \
			    PERF_SAMPLE_STACK_USER | PERF_SAMPLE_REGS_INTR | PERF_SAMPLE_AUX)

struct cursor {
	const uint8_t *p, *end;
};

static int take(struct cursor *c, void *dst, size_t n)
{
	if ((size_t)(c->end - c->p) < n)
		return -1;
	if (dst)
		memcpy(dst, c->p, n);
	c->p += n;
	return 0;
}

static int take_u64(struct cursor *c, uint64_t sample_type, uint64_t bit, uint64_t *dst)
{
	return (sample_type & bit) ? take(c, dst, sizeof(*dst)) : 0;
}

/* Two u32 packed in one u64 slot: pid/tid, cpu/reserved. */
static int take_u32_pair(struct cursor *c, uint64_t sample_type, uint64_t bit,
			 uint32_t *first, uint32_t *second)
{
	uint32_t v[2];

	if (!(sample_type & bit))
		return 0;
	if (take(c, v, sizeof(v)))
		return -1;
	*first = v[0];
	if (second)
		*second = v[1];
	return 0;
}

static int skip_callchain(struct cursor *c, uint64_t sample_type)
{
	uint64_t nr;

	if (!(sample_type & PERF_SAMPLE_CALLCHAIN))
		return 0;
	if (take(c, &nr, sizeof(nr)) || nr > (size_t)(c->end - c->p) / 8)
		return -1;
	return take(c, NULL, nr * 8);
}

/* RAW: u32 size, then size bytes; the kernel pads so that the pair ends
 * on a u64 boundary, and the padding is counted in size. */
static int take_raw(struct cursor *c, uint64_t sample_type, struct perf_sample_rec *out)
{
	if (!(sample_type & PERF_SAMPLE_RAW))
		return 0;
	if (take(c, &out->raw_size, sizeof(out->raw_size)))
		return -1;
	out->raw = c->p;
	return take(c, NULL, out->raw_size);
}

/* REGS_USER: u64 abi, then one u64 per bit of the mask, by increasing
 * register number; none when abi is PERF_SAMPLE_REGS_ABI_NONE (the
 * sample hit a thread with no user state). */
static int take_regs(struct cursor *c, uint64_t sample_type, uint64_t mask, struct perf_sample_rec *out)
{
	unsigned r;

	if (!(sample_type & PERF_SAMPLE_REGS_USER))
		return 0;
	if (take(c, &out->regs_abi, sizeof(out->regs_abi)))
		return -1;
	if (out->regs_abi == PERF_SAMPLE_REGS_ABI_NONE)
		return 0;
	for (r = 0; r < PERF_RING_MAX_REGS; r++)
		if ((mask >> r & 1) && take(c, &out->regs[r], sizeof(out->regs[r])))
			return -1;
	return 0;
}

static int take_weight(struct cursor *c, uint64_t sample_type, struct perf_sample_rec *out)
{
	struct { uint32_t var1; uint16_t var2, var3; } w;

	if (sample_type & PERF_SAMPLE_WEIGHT)
		return take(c, &out->weight, sizeof(out->weight));
	if (!(sample_type & PERF_SAMPLE_WEIGHT_STRUCT))
		return 0;
	if (take(c, &w, sizeof(w)))
		return -1;
	out->weight = w.var1;
	out->weight_var2 = w.var2;
	out->weight_var3 = w.var3;
	return 0;
}

int perf_decode_sample(const void *body, size_t len, uint64_t sample_type,
		       struct perf_sample_rec *out)
{
	return perf_decode_sample_regs(body, len, sample_type, 0, out);
}

int perf_decode_sample_regs(const void *body, size_t len, uint64_t sample_type, uint64_t regs_mask,
			    struct perf_sample_rec *out)
{
	struct cursor c = { body, (const uint8_t *)body + len };
	uint64_t ignored;

	memset(out, 0, sizeof(*out));
	out->sample_type = sample_type;
	if ((sample_type & SAMPLE_UNSUPPORTED) ||
	    ((sample_type & PERF_SAMPLE_REGS_USER) && (!regs_mask || regs_mask >> PERF_RING_MAX_REGS)))
		return -1;
	/* The order of perf_event_open(2), "PERF_RECORD_SAMPLE". */
	if (take_u64(&c, sample_type, PERF_SAMPLE_IDENTIFIER, &out->id) ||
	    take_u64(&c, sample_type, PERF_SAMPLE_IP, &out->ip) ||
	    take_u32_pair(&c, sample_type, PERF_SAMPLE_TID, &out->pid, &out->tid) ||
	    take_u64(&c, sample_type, PERF_SAMPLE_TIME, &out->time) ||
	    take_u64(&c, sample_type, PERF_SAMPLE_ADDR, &out->addr) ||
	    take_u64(&c, sample_type, PERF_SAMPLE_ID, &out->id) ||
	    take_u64(&c, sample_type, PERF_SAMPLE_STREAM_ID, &out->stream_id) ||
	    take_u32_pair(&c, sample_type, PERF_SAMPLE_CPU, &out->cpu, NULL) ||
	    take_u64(&c, sample_type, PERF_SAMPLE_PERIOD, &out->period) ||
	    skip_callchain(&c, sample_type) ||
	    take_raw(&c, sample_type, out) ||
	    take_regs(&c, sample_type, regs_mask, out) ||
	    take_weight(&c, sample_type, out) ||
	    take_u64(&c, sample_type, PERF_SAMPLE_DATA_SRC, &out->data_src) ||
	    take_u64(&c, sample_type, PERF_SAMPLE_TRANSACTION, &ignored) ||
	    take_u64(&c, sample_type, PERF_SAMPLE_PHYS_ADDR, &out->phys_addr) ||
	    take_u64(&c, sample_type, PERF_SAMPLE_CGROUP, &ignored) ||
	    take_u64(&c, sample_type, PERF_SAMPLE_DATA_PAGE_SIZE, &ignored) ||
	    take_u64(&c, sample_type, PERF_SAMPLE_CODE_PAGE_SIZE, &ignored))
		return -1;
	return 0;
}

uint64_t perf_ring_walk(const uint8_t *data, uint64_t size, uint64_t tail, uint64_t head,
			uint8_t *scratch, perf_record_cb cb, void *arg)
{
	while (head - tail >= sizeof(struct perf_event_header)) {
		uint64_t off = tail & (size - 1);
		struct perf_event_header hdr;
		const uint8_t *rec = data + off;

		/* Records are u64-aligned, so a header never straddles the end. */
		memcpy(&hdr, rec, sizeof(hdr));
		if (hdr.size < sizeof(hdr) || hdr.size > head - tail)
			return head;   /* corrupt: drop the rest rather than spin */
		if (off + hdr.size > size) {
			size_t first = size - off;

			memcpy(scratch, rec, first);
			memcpy(scratch + first, data, hdr.size - first);
			rec = scratch;
		}
		cb(arg, &hdr, rec + sizeof(hdr));
		tail += hdr.size;
	}
	return tail;
}
