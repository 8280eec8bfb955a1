/* perf_event ring buffers: reading records out of the mmap'd data area
 * (copying out a record that wraps past the end) and decoding
 * PERF_RECORD_SAMPLE according to sample_type.  Pure functions over
 * memory, so synthetic buffers test them. */
#ifndef NUMAMMA_PERF_RING_H
#define NUMAMMA_PERF_RING_H

#include <stddef.h>
#include <stdint.h>
#include <linux/perf_event.h>

/* User registers a sample can carry: perf numbers them from 0, and the
 * x86-64 general ones end at 23 (R15). */
#define PERF_RING_MAX_REGS 32

/* A PERF_RECORD_SAMPLE decoded; fields absent from sample_type are 0. */
struct perf_sample_rec {
	uint64_t sample_type;
	uint64_t ip;
	uint32_t pid, tid;
	uint64_t time;
	uint64_t addr;
	uint64_t id, stream_id;
	uint32_t cpu;
	uint64_t period;
	uint64_t weight;            /* PERF_SAMPLE_WEIGHT, or WEIGHT_STRUCT var1 */
	uint16_t weight_var2, weight_var3; /* WEIGHT_STRUCT only */
	uint64_t data_src;
	uint64_t phys_addr;
	uint32_t raw_size;
	const uint8_t *raw;         /* PERF_SAMPLE_RAW payload, points into the record */
	uint64_t regs_abi;          /* PERF_SAMPLE_REGS_USER; ABI_NONE: no registers */
	uint64_t regs[PERF_RING_MAX_REGS];  /* by perf register number */
};

/* Decodes the body of a PERF_RECORD_SAMPLE (after the header) of size
 * len.  Returns 0, or -1 when the record is shorter than sample_type says. */
int perf_decode_sample(const void *body, size_t len, uint64_t sample_type,
		       struct perf_sample_rec *out);
/* The same for a sample_type with PERF_SAMPLE_REGS_USER: regs_mask is the
 * event's sample_regs_user (registers below PERF_RING_MAX_REGS only);
 * perf_decode_sample refuses such records, the layout depending on it. */
int perf_decode_sample_regs(const void *body, size_t len, uint64_t sample_type, uint64_t regs_mask,
			    struct perf_sample_rec *out);

/* Walks the records between data_tail and data_head of a ring whose data
 * area is data[0..size) (size a power of two); calls cb for each with a
 * contiguous copy when the record wraps (scratch must hold 64 KiB).
 * Returns the new tail. */
typedef void (*perf_record_cb)(void *arg, const struct perf_event_header *hdr, const void *body);
uint64_t perf_ring_walk(const uint8_t *data, uint64_t size, uint64_t tail, uint64_t head,
			uint8_t *scratch, perf_record_cb cb, void *arg);

#endif
