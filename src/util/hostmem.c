/* How this host's memory behaves, for the choice of huge pages: see
 * hostmem.h. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "hostmem.h"

bool huge_pages_pay(const struct host_memory *h)
{
	return !h->reclaimed || h->first_write_us >= SMALL_FAULT_CHEAP_US;
}

/* VIRTIO_BALLOON_F_REPORTING: the guest reports free pages, which the
 * host then discards.  The features file is a string of '0' and '1',
 * bit 0 first. */
#define BALLOON_DRIVER "/sys/bus/virtio/drivers/virtio_balloon"
#define BALLOON_F_REPORTING 5

static bool balloon_reports(const char *device)
{
	char path[512], bits[80];
	bool on = false;
	FILE *f;

	snprintf(path, sizeof(path), BALLOON_DRIVER "/%s/features", device);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(bits, sizeof(bits), f) && strlen(bits) > BALLOON_F_REPORTING)
		on = bits[BALLOON_F_REPORTING] == '1';
	fclose(f);
	return on;
}

static bool host_reclaims(void)
{
	DIR *d = opendir(BALLOON_DRIVER);
	struct dirent *e;
	bool on = false;

	if (!d)
		return false;
	while (!on && (e = readdir(d)))
		on = !strncmp(e->d_name, "virtio", 6) && balloon_reports(e->d_name);
	closedir(d);
	return on;
}

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

#define PROBE_PAGES 8

/* The median of PROBE_PAGES first writes (the first may also fault in
 * a page table); 0 where no page could be mapped. */
static double first_write_us(void)
{
	double t[PROBE_PAGES];
	volatile char *p = mmap(NULL, PROBE_PAGES * 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 0;
	for (int i = 0; i < PROBE_PAGES; i++) {
		double start = now_us();

		p[i * 4096] = 1;
		t[i] = now_us() - start;
	}
	munmap((void *)p, PROBE_PAGES * 4096);
	for (int i = 1; i < PROBE_PAGES; i++) {     /* insertion sort */
		double v = t[i];
		int j;

		for (j = i; j > 0 && t[j - 1] > v; j--)
			t[j] = t[j - 1];
		t[j] = v;
	}
	return t[PROBE_PAGES / 2];
}

void host_memory_probe(struct host_memory *h)
{
	h->reclaimed = host_reclaims();
	/* Only a reclaiming host's choice depends on it. */
	h->first_write_us = h->reclaimed ? first_write_us() : 0;
}
