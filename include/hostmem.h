/* Whether numamma's own large tables pay for huge pages on this host.
 *
 * A transparent huge page's first write clears 2 MiB at once.  Where the
 * hypervisor takes the guest's idle memory back (virtio-balloon free page
 * reporting), that memory must be faulted in again from the host first:
 * 3.5-6.5 ms a huge page, measured on two guests, where a 4 KiB page's
 * first write costs 1.6 us on a KVM guest and 7.5-15 us on a PVM guest
 * (each fault a trap to the hypervisor).  512 small pages then cost 0.8 ms
 * on the first and 4-8 ms on the second: huge pages lose on the one and
 * win on the other.  Without reporting, a huge page costs a clear of
 * 2 MiB (0.1-0.4 ms), less than 512 faults anywhere. */
#ifndef NUMAMMA_HOSTMEM_H
#define NUMAMMA_HOSTMEM_H

#include <stdbool.h>

struct host_memory {
	bool reclaimed;         /* the host takes idle guest memory back */
	double first_write_us;  /* a fresh 4 KiB page's first write */
};

/* Below this, 512 small pages' faults cost less than a reclaimed huge
 * page's (3.5 ms or more): 2 ms. */
#define SMALL_FAULT_CHEAP_US 4.0

/* Pure: do huge pages pay on a host like h? */
bool huge_pages_pay(const struct host_memory *h);

/* Reads the balloon's features and times a few fresh pages' first
 * writes (about 10-100 us in all). */
void host_memory_probe(struct host_memory *h);

#endif
