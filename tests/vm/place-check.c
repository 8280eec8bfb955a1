/* place-check — check that mbind() puts pages where it is asked to.
 *
 * For each case (MPOL_BIND to node 0, 1, 2, 3, then MPOL_INTERLEAVE over
 * nodes 0-3) it maps 64 fresh anonymous pages, applies the policy, touches
 * them, and asks move_pages(2) (query mode: nodes == NULL) where each page
 * landed.  Prints one line per case:
 *
 *   bind 2: ok (64 pages on node 2)
 *   interleave 0-3: ok (pages per node: 16 16 16 16)
 *
 * and exits 1 if any page is elsewhere, 2 if a system call fails.  Meant to
 * run inside the 4-node guest of tests/vm/run (t9000-vm-smoke.sh).
 *
 * Build: cc -O2 -o place-check place-check.c -lnuma
 */
#include <numaif.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NPAGES 64
#define NNODES 4

/* Map NPAGES pages, apply MODE over MASK, touch them, and store the node of
 * each page in STATUS.  Returns 0, or -1 after printing why. */
static int place(int mode, unsigned long mask, int status[NPAGES])
{
	long psz = sysconf(_SC_PAGESIZE);
	char *buf = mmap(NULL, NPAGES * psz, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *pages[NPAGES];
	int i, ret = -1;

	if (buf == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	/* Policy first, then the first touch allocates under it. */
	if (mbind(buf, NPAGES * psz, mode, &mask, NNODES + 1, 0) != 0) {
		perror("mbind");
		goto out;
	}
	for (i = 0; i < NPAGES; i++) {
		pages[i] = buf + i * psz;
		memset(pages[i], i + 1, psz);
	}
	if (move_pages(0, NPAGES, pages, NULL, status, 0) != 0) {
		perror("move_pages");
		goto out;
	}
	ret = 0;
out:
	munmap(buf, NPAGES * psz);
	return ret;
}

/* Every page on NODE. */
static int check_bind(int node)
{
	int status[NPAGES], i, good = 0;

	if (place(MPOL_BIND, 1UL << node, status) != 0)
		return 2;
	for (i = 0; i < NPAGES; i++) {
		if (status[i] == node)
			good++;
		else
			printf("bind %d: page %d is on node %d\n", node, i, status[i]);
	}
	if (good != NPAGES) {
		printf("bind %d: FAIL (%d of %d pages on node %d)\n", node, good, NPAGES, node);
		return 1;
	}
	printf("bind %d: ok (%d pages on node %d)\n", node, good, node);
	return 0;
}

/* Pages spread evenly, round-robin, over all nodes. */
static int check_interleave(void)
{
	int status[NPAGES], count[NNODES] = { 0 }, i, bad = 0;

	if (place(MPOL_INTERLEAVE, (1UL << NNODES) - 1, status) != 0)
		return 2;
	for (i = 0; i < NPAGES; i++) {
		if (status[i] < 0 || status[i] >= NNODES) {
			printf("interleave 0-%d: page %d: status %d\n", NNODES - 1, i, status[i]);
			bad = 1;
			continue;
		}
		count[status[i]]++;
		/* Round-robin: consecutive pages never share a node. */
		if (i > 0 && status[i] == status[i - 1])
			bad = 1;
	}
	for (i = 0; i < NNODES; i++)
		if (count[i] != NPAGES / NNODES)
			bad = 1;
	printf("interleave 0-%d: %s (pages per node:", NNODES - 1, bad ? "FAIL" : "ok");
	for (i = 0; i < NNODES; i++)
		printf(" %d", count[i]);
	printf(")\n");
	return bad;
}

int main(void)
{
	int node, rc, worst = 0;

	for (node = 0; node < NNODES; node++) {
		rc = check_bind(node);
		if (rc > worst)
			worst = rc;
	}
	rc = check_interleave();
	if (rc > worst)
		worst = rc;
	return worst;
}
