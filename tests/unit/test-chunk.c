/* mmapped_chunk: glibc's header of a block it mmapped, seen from outside. */
#include "tracer_int.h"
#include "unit.h"

#define START 0x7f0000000000ULL

int main(void)
{
	uint64_t addr = 0, size = 0;
	/* malloc(1 MiB): one page more than the request, no correction. */
	uint64_t one_mib[2] = { 0, (0x101000) | 2 };
	/* A correction of 16 bytes before the chunk. */
	uint64_t corrected[2] = { 16, (0x3000 - 16) | 2 };

	CHECK_INT(mmapped_chunk(START, 0x200000, one_mib, &addr, &size), 0x101000);
	CHECK_INT(addr, START + 16);
	CHECK_INT(size, 0x101000 - 16);
	CHECK_INT(mmapped_chunk(START, 0x3000, corrected, &addr, &size), 0x3000);
	CHECK_INT(addr, START + 32);
	CHECK_INT(size, 0x3000 - 32);
	/* Not a block: wrong flags, longer than the mapping, not whole pages,
	 * zeroes (a stack's untouched bottom). */
	CHECK_INT(mmapped_chunk(START, 0x200000, (uint64_t[2]){ 0, 0x101000 | 3 }, &addr, &size), 0);
	CHECK_INT(mmapped_chunk(START, 0x100000, one_mib, &addr, &size), 0);
	CHECK_INT(mmapped_chunk(START, 0x200000, (uint64_t[2]){ 0, 0x100ff0 | 2 }, &addr, &size), 0);
	CHECK_INT(mmapped_chunk(START, 0x200000, (uint64_t[2]){ 0, 0 }, &addr, &size), 0);
	CHECK_INT(mmapped_chunk(START, 0x200000, (uint64_t[2]){ 4096, 0x101000 | 2 }, &addr, &size), 0);
	return unit_done();
}
