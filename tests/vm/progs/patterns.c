/* The access patterns of HPC and server codes, for the placement tests
 * and bench: the main thread initialises the data serially (natively its
 * pages all land on its node), then NWORKERS threads work on it, and at
 * the end the program reports with move_pages where each object's pages
 * landed: per worker, the pages it owns on its own node, or for the
 * patterns without owners, the pages per node.
 *
 *   patterns cyclic|cyclic-header|stencil|table|dynamic|spmv|stream|pools|queue|mpmc|tiles
 *            [ROUNDS]
 *
 * cyclic:  chunks of CHUNK_PAGES dealt in turn, chunk k to worker k mod
 *          NWORKERS (OpenMP's schedule(static, chunk));
 * cyclic-header: the same behind a header of HEADER_PAGES pages (the
 *          chunks start past it), chunk k to worker (k + 1) mod NWORKERS;
 * stencil: a 2-D grid of one-page rows, each worker owning a block of
 *          rows and reading its neighbours' edge rows (halo), Jacobi
 *          style from one grid into the other;
 * table:   a read-mostly table every worker reads at random;
 * dynamic: chunks taken from a shared counter each round (OpenMP's
 *          schedule(dynamic)): no stable owner;
 * spmv:    y = A x, A in CSR with NNZ_ROW nonzeros a row at random
 *          columns, each a (value, column) pair: each worker owns a
 *          block of rows (of A and y), and reads x at random.  Pairs,
 *          not two arrays: in the TCG guest the clock sampler sees only
 *          the first access of a loop's body (the emulator takes
 *          interrupts between translated blocks), and would never see
 *          the second array;
 * stream:  a = b + s * c on three arrays, each worker on its block of
 *          them (the guest's sampler sees one of the three: see spmv);
 * pools:   PHASES phases, each with a pool per worker that the main
 *          thread allocates (one call site) and fills, its worker then
 *          computes on and the main thread frees;
 * queue:   a ring of one-page slots that worker 0 fills (writes only)
 *          and worker 1 processes (reads each slot QUEUE_PASSES times:
 *          the consumer does the work), the others idle; the main
 *          thread never touches it, so first touch is the producer's;
 * mpmc:    the same ring, workers 0 and 1 producing, 2 and 3 consuming
 *          (no side on one node);
 * tiles:   a 2-D array of TILE_ROW_PAGES-page rows cut into 2 x 2 tiles:
 *          workers 0 and 1 own the first half of the rows, each half of
 *          every such row (its first or last pages), 2 and 3 the rest. */
#define _GNU_SOURCE
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NWORKERS    4
#define PAGES       2048
#define CHUNK_PAGES 16
#define NNZ_ROW     8
#define PHASES      4
#define QUEUE_PASSES 4
#define HEADER_PAGES 6
#define TILE_ROW_PAGES 4

static long page_size, page_elems, rounds = 20;
static double *grid[3];         /* stencil: two grids; stream: a, b, c */
static int worker_node[NWORKERS];
static volatile long next_chunk[1024];  /* dynamic: one counter per round */
static struct nz {
	double val;
	long col;
} *A;                           /* spmv: the matrix, its rows in turn */
static double *xv, *yv;         /* spmv: the vectors */
static long rows;               /* spmv: A's rows */

/* Who owns page p of an object of npages: the worker using it. */
typedef int (*owner_fn)(long p, long npages);

static long header_pages, first_owner;  /* cyclic-header: 6 and 1 */

static int cyclic_owner(long p, long npages __attribute__((unused)))
{
	if (p < header_pages)
		return -1;
	return (int)(((p - header_pages) / CHUNK_PAGES + first_owner) % NWORKERS);
}

static int consumer_owner(long p __attribute__((unused)), long npages __attribute__((unused)))
{
	return 1;
}

/* The worker of the tile holding page p: its band of rows, then its half
 * of the row. */
static int tile_owner(long p, long npages)
{
	long row = p / TILE_ROW_PAGES, rows = npages / TILE_ROW_PAGES;

	return (int)(row * 2 / rows * 2 + p % TILE_ROW_PAGES * 2 / TILE_ROW_PAGES);
}

static int block_owner(long p, long npages)
{
	return (int)(p * NWORKERS / npages);
}

static void sweep_page(double *page, double r)
{
	for (long i = 0; i < page_elems; i++)
		page[i] = page[i] * 0.5 + r;
}

static void cyclic(long w)
{
	double *array = grid[0] + header_pages * page_elems;

	for (long r = 0; r < rounds; r++)
		for (long c = (w + NWORKERS - first_owner) % NWORKERS; c < PAGES / CHUNK_PAGES; c += NWORKERS)
			for (long p = c * CHUNK_PAGES; p < (c + 1) * CHUNK_PAGES; p++)
				sweep_page(array + p * page_elems, (double)r);
}

static void tiles(long w)
{
	long rows = PAGES / TILE_ROW_PAGES, half = TILE_ROW_PAGES / 2;

	for (long r = 0; r < rounds; r++)
		for (long row = w / 2 * rows / 2; row < (w / 2 + 1) * rows / 2; row++)
			for (long p = 0; p < half; p++)
				sweep_page(grid[0] + (row * TILE_ROW_PAGES + w % 2 * half + p) * page_elems,
					   (double)r);
}

static void cyclic_header(long w)
{
	cyclic(w);
}

/* Row i of the new grid from rows i-1, i, i+1 of the old one: the first
 * and last rows of a block read the neighbours' rows. */
static void stencil(long w)
{
	long rows = PAGES / NWORKERS;

	for (long r = 0; r < rounds; r++) {
		double *in = grid[r & 1], *out = grid[!(r & 1)];

		for (long i = w * rows; i < (w + 1) * rows; i++) {
			const double *up = in + (i ? i - 1 : i) * page_elems;
			const double *down = in + (i + 1 < PAGES ? i + 1 : i) * page_elems;

			for (long j = 0; j < page_elems; j++)
				out[i * page_elems + j] = (up[j] + in[i * page_elems + j] + down[j]) / 3;
		}
	}
}

static volatile double sink[NWORKERS];   /* keeps the reads */

/* Random entries of 8 doubles (a cache line): the sampler keeps samples
 * of instructions that access memory, so the loop is mostly loads. */
static void table(long w)
{
	unsigned s = (unsigned)w * 2654435761u + 1;
	long entries = PAGES * page_elems / 8;
	double sum = 0;

	for (long i = 0; i < rounds * PAGES * 32; i++) {
		const double *e;

		s = s * 1103515245u + 12345u;
		e = grid[0] + ((s >> 4) & (entries - 1)) * 8;   /* a power of two */
		sum += e[0] + e[1] + e[2] + e[3] + e[4] + e[5] + e[6] + e[7];
	}
	sink[w] = sum;
}

static void spmv(long w)
{
	for (long r = 0; r < rounds; r++)
		for (long i = w * rows / NWORKERS; i < (w + 1) * rows / NWORKERS; i++) {
			double sum = 0;

			for (long j = i * NNZ_ROW; j < (i + 1) * NNZ_ROW; j++)
				sum += A[j].val * xv[A[j].col];
			yv[i] = sum;
		}
}

static void spmv_init(void)
{
	unsigned s = 1;

	rows = PAGES * page_size / sizeof(*A) / NNZ_ROW;
	A = malloc(rows * NNZ_ROW * sizeof(*A));
	xv = malloc(rows * sizeof(double));
	yv = malloc(rows * sizeof(double));
	for (long j = 0; j < rows * NNZ_ROW; j++)
		A[j] = (struct nz){ (double)j, (long)((s = s * 1103515245u + 12345u) >> 4) % rows };
	for (long i = 0; i < rows; i++)
		xv[i] = yv[i] = (double)i;
}

static void stream(long w)
{
	long n = PAGES * page_elems / NWORKERS;

	for (long r = 0; r < rounds; r++)
		for (long i = w * n; i < (w + 1) * n; i++)
			grid[0][i] = grid[1][i] + 0.5 * grid[2][i];
}

static pthread_barrier_t phase_start, phase_end;
static double *pool[NWORKERS];

static void pools(long w)
{
	for (int ph = 0; ph < PHASES; ph++) {
		pthread_barrier_wait(&phase_start);
		for (long r = 0; r < rounds / PHASES; r++)
			for (long p = 0; p < PAGES / NWORKERS; p++)
				sweep_page(pool[w] + p * page_elems, (double)r);
		worker_node[w] = numa_node_of_cpu(sched_getcpu());
		pthread_barrier_wait(&phase_end);
	}
}

static void dynamic(long w __attribute__((unused)))
{
	for (long r = 0; r < rounds && r < 1024; r++) {
		long c;

		while ((c = __sync_fetch_and_add(&next_chunk[r], 1)) < PAGES / CHUNK_PAGES)
			for (long p = c * CHUNK_PAGES; p < (c + 1) * CHUNK_PAGES; p++)
				sweep_page(grid[0] + p * page_elems, (double)r);
	}
}

/* The ring: slot i holds item t when seq[i] is 2 * (t / PAGES) + 1, and
 * is free for it when 2 * (t / PAGES); items are claimed by tickets. */
static volatile long seq[PAGES], produced, consumed;
static long nproducers = 1, nconsumers = 1;

static long queue_items(void)
{
	return rounds * PAGES / (NWORKERS * QUEUE_PASSES);   /* a cyclic worker's work */
}

static void wait_slot(long slot, long want)
{
	while (__atomic_load_n(&seq[slot], __ATOMIC_ACQUIRE) != want)
		sched_yield();
}

static void produce(void)
{
	long t;

	while ((t = __sync_fetch_and_add(&produced, 1)) < queue_items()) {
		double *page = grid[0] + t % PAGES * page_elems;

		wait_slot(t % PAGES, 2 * (t / PAGES));
		for (long i = 0; i < page_elems; i++)
			page[i] = (double)(t + i);
		__atomic_store_n(&seq[t % PAGES], 2 * (t / PAGES) + 1, __ATOMIC_RELEASE);
	}
}

static void consume(long w)
{
	double sum = 0;
	long t;

	while ((t = __sync_fetch_and_add(&consumed, 1)) < queue_items()) {
		const double *page = grid[0] + t % PAGES * page_elems;

		wait_slot(t % PAGES, 2 * (t / PAGES) + 1);
		for (int pass = 0; pass < QUEUE_PASSES; pass++)
			for (long i = 0; i < page_elems; i++)
				sum += page[i] * pass;
		__atomic_store_n(&seq[t % PAGES], 2 * (t / PAGES) + 2, __ATOMIC_RELEASE);
	}
	sink[w] = sum;
}

/* Workers 0 .. nproducers-1 produce, the next nconsumers consume. */
static void queue(long w)
{
	if (w < nproducers)
		produce();
	else if (w < nproducers + nconsumers)
		consume(w);
}

static void mpmc(long w)
{
	queue(w);
}

static const struct pattern {
	const char *name;
	void (*work)(long w);
} patterns[] = {
	{ "cyclic", cyclic }, { "cyclic-header", cyclic_header }, { "stencil", stencil }, { "table", table }, { "dynamic", dynamic },
	{ "spmv", spmv }, { "stream", stream }, { "pools", pools }, { "queue", queue },
	{ "mpmc", mpmc }, { "tiles", tiles },
};
static const struct pattern *pattern;

static void *worker(void *arg)
{
	long w = (long)arg;

	pattern->work(w);
	worker_node[w] = numa_node_of_cpu(sched_getcpu());
	return NULL;
}

/* Owned pages on their owner's node, over every object. */
static long all_on, all_owned;
static double worst = 100;

/* Pages per node, and per owner on the owner's node ("block" lines, as
 * blocks.h prints them, so that the tests read every pattern alike). */
static void report(const char *name, const void *data, long npages, owner_fn owner)
{
	static void *pages[PAGES + HEADER_PAGES];
	static int status[PAGES + HEADER_PAGES];
	long on[NWORKERS] = { 0 }, owned[NWORKERS] = { 0 }, per_node[8] = { 0 };

	for (long p = 0; p < npages; p++)
		pages[p] = (char *)data + p * page_size;
	if (move_pages(0, npages, pages, NULL, status, 0) < 0)
		memset(status, -1, sizeof(status));
	for (long p = 0; p < npages; p++) {
		int w = owner ? owner(p, npages) : -1;

		if (status[p] >= 0 && status[p] < 8)
			per_node[status[p]]++;
		if (w >= 0) {
			owned[w]++;
			on[w] += status[p] == worker_node[w];
		}
	}
	printf("%s: pages per node: 0:%ld 1:%ld 2:%ld 3:%ld\n", name, per_node[0], per_node[1],
	       per_node[2], per_node[3]);
	for (int w = 0; w < NWORKERS; w++) {
		double pct = owned[w] ? 100.0 * on[w] / owned[w] : 0;

		if (!owned[w])
			continue;

		printf("block %d (%s): worker on node %d, %ld/%ld pages local (%.1f%%)\n", w, name,
		       worker_node[w], on[w], owned[w], pct);
		worst = pct < worst ? pct : worst;
		all_on += on[w];
		all_owned += owned[w];
	}
}

static int pool_of;             /* the worker whose pool is reported */

static int pool_owner(long p __attribute__((unused)), long npages __attribute__((unused)))
{
	return pool_of;
}

/* The main thread's side of pools: each phase's pools, reported before
 * they are freed. */
static void pools_main(void)
{
	long pages = PAGES / NWORKERS;

	for (int ph = 0; ph < PHASES; ph++) {
		for (int w = 0; w < NWORKERS; w++) {
			pool[w] = malloc(pages * page_size);
			for (long i = 0; i < pages * page_elems; i++)
				pool[w][i] = (double)i;
		}
		pthread_barrier_wait(&phase_start);
		pthread_barrier_wait(&phase_end);
		for (pool_of = 0; pool_of < NWORKERS; pool_of++) {
			report("pool", pool[pool_of], pages, pool_owner);
			free(pool[pool_of]);
		}
	}
}

static void report_all(void)
{
	if (pattern->work == spmv) {
		report("A", A, PAGES, block_owner);
		report("y", yv, PAGES / NNZ_ROW / 2, block_owner);
		report("x", xv, PAGES / NNZ_ROW / 2, NULL);
		return;
	}
	report("grid", grid[0], PAGES + header_pages,
	       pattern->work == cyclic || pattern->work == cyclic_header ? cyclic_owner :
	       pattern->work == queue ? consumer_owner : pattern->work == tiles ? tile_owner :
	       pattern->work == stencil || pattern->work == stream ? block_owner : NULL);
	if (grid[1])
		report("grid2", grid[1], PAGES, block_owner);
	if (grid[2])
		report("grid3", grid[2], PAGES, block_owner);
}

int main(int argc, char **argv)
{
	pthread_t th[NWORKERS];
	const char *mode = argc > 1 ? argv[1] : "";
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (!strcmp(mode, patterns[i].name))
			pattern = &patterns[i];
	if (!pattern) {
		fprintf(stderr, "usage: patterns cyclic|cyclic-header|stencil|table|dynamic|spmv|stream|"
			"pools|queue|mpmc|tiles [ROUNDS]\n");
		return 2;
	}
	if (argc > 2)
		rounds = atol(argv[2]);
	page_size = sysconf(_SC_PAGESIZE);
	page_elems = page_size / sizeof(double);
	if (pattern->work == cyclic_header) {
		header_pages = HEADER_PAGES;
		first_owner = 1;
	}
	if (pattern->work != pools && pattern->work != spmv)
		grid[0] = malloc((PAGES + header_pages) * page_size);
	if (pattern->work == stencil || pattern->work == stream)
		grid[1] = malloc(PAGES * page_size);
	if (pattern->work == stream)
		grid[2] = malloc(PAGES * page_size);
	if (pattern->work == mpmc)
		nproducers = nconsumers = 2;
	for (int g = 0; g < 3 && grid[g] && pattern->work != queue && pattern->work != mpmc; g++)
		for (long i = 0; i < (PAGES + (g ? 0 : header_pages)) * page_elems; i++)
			grid[g][i] = (double)i;
	if (pattern->work == spmv)
		spmv_init();
	pthread_barrier_init(&phase_start, NULL, NWORKERS + 1);
	pthread_barrier_init(&phase_end, NULL, NWORKERS + 1);
	for (long w = 0; w < NWORKERS; w++)
		pthread_create(&th[w], NULL, worker, (void *)w);
	if (pattern->work == pools)
		pools_main();
	for (int w = 0; w < NWORKERS; w++)
		pthread_join(th[w], NULL);
	if (pattern->work != pools)
		report_all();
	if (all_owned)
		printf("all blocks: %.1f%% local, worst block %.1f%%\n", 100.0 * all_on / all_owned,
		       worst);
	return 0;
}
