// Every form of C++'s operator new and delete, counted by the program:
// run with an allocator library preloaded (jemalloc, tcmalloc, mimalloc
// define these operators themselves, without calling malloc), numamma must
// count each call, and a bad_alloc thrown by new must reach the program's
// handler, as it does alone.
//
//   cxx-operators ROUNDS   prints "allocations A frees F", then "caught 2"
//                          (mimalloc aborts instead: out of memory in new)
#include <cstdio>
#include <cstdlib>
#include <new>

static unsigned long allocations, frees;

struct alignas(64) Line {
	char bytes[64];
};

// Every counted call is made here: its depth-0 frame names it.
extern "C" __attribute__((noinline)) void cxx_alloc(unsigned round)
{
	char *plain = new char;
	char *array = new char[16 + round % 64];
	char *quiet = new (std::nothrow) char;
	char *quiet_array = new (std::nothrow) char[32];
	Line *line = new Line;
	Line *lines = new Line[3];
	Line *quiet_line = new (std::nothrow) Line;

	allocations += 7;
	delete plain;
	delete[] array;
	delete quiet;
	delete[] quiet_array;
	delete line;
	delete[] lines;
	delete quiet_line;
	frees += 7;
}

// A block large enough for a row in objects, with its stack.
extern "C" __attribute__((noinline)) char *make_big()
{
	allocations++;
	return new char[1 << 20];
}

// new of more than any machine has: bad_alloc, through the program's own
// frames only.
extern "C" __attribute__((noinline)) int too_big(size_t n)
{
	try {
		char *p = new char[n];
		p[0] = 1;
		delete[] p;
		return 0;
	} catch (const std::bad_alloc &) {
		return 1;
	}
}

int main(int argc, char **argv)
{
	unsigned rounds = argc > 1 ? (unsigned)std::atoi(argv[1]) : 1000;
	volatile size_t huge = (size_t)1 << 62;
	char *big = make_big();
	int caught = 0;

	big[0] = 1;
	for (unsigned r = 0; r < rounds; r++)
		cxx_alloc(r);
	delete[] big;
	frees++;
	std::printf("allocations %lu frees %lu\n", allocations, frees);
	std::fflush(stdout);
	caught += too_big(huge);
	caught += too_big(huge + 4096);
	std::printf("caught %d\n", caught);
	return caught == 2 ? 0 : 1;
}
