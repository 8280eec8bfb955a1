/* The pagefault sampler: a software event on every page fault of the
 * thread, period 1.  It records who touches each page first (thread, cpu,
 * instruction), which decides where the page lives under the default
 * first-touch policy.  A fault does not say whether it was a read or a
 * write, so the access is '?'.  About 1.5 us per fault. */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sampler_backend.h"

#define PAGEFAULT_SAMPLE_TYPE (PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | \
			       PERF_SAMPLE_ADDR | PERF_SAMPLE_CPU)

static void pagefault_attr(struct perf_event_attr *attr, uint64_t period)
{
	memset(attr, 0, sizeof(*attr));
	attr->type = PERF_TYPE_SOFTWARE;
	attr->config = PERF_COUNT_SW_PAGE_FAULTS;
	attr->sample_period = period ? period : 1;
	attr->sample_type = PAGEFAULT_SAMPLE_TYPE;
	/* User-mode faults only: the kernel's own faults on user memory
	 * (copy_to_user) are not the program's placement decisions. */
	attr->exclude_kernel = 1;
}

static void touch_fresh_pages(void)
{
	enum { PAGES = 8 };
	long page = sysconf(_SC_PAGESIZE);
	volatile char *p = mmap(NULL, PAGES * page, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	for (int i = 0; i < PAGES; i++)
		p[i * page] = 1;
	munmap((void *)p, PAGES * page);
}

static int pagefault_probe(char *why, size_t len)
{
	static const char *const names[] = { "page-faults" };
	struct perf_event_attr attr;

	pagefault_attr(&attr, 1);
	return sampler_self_test(&attr, 1, 0, names, touch_fresh_pages,
				 "the page-faults software event opens but counts no fault "
				 "of this process", why, len);
}

static int pagefault_attrs(const struct sampler_opts *opts, struct perf_event_attr *attrs,
			   int *group_leader, char *why, size_t len)
{
	pagefault_attr(&attrs[0], opts->period);
	*group_leader = 0;
	return 1;
}

const struct sampler_backend sampler_pagefault = {
	.name = "pagefault",
	.description = "software: first touch of every page (thread, cpu, ip)",
	.probe = pagefault_probe,
	.attrs = pagefault_attrs,
};
