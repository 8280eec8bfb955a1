// C++ functions whose symbols are mangled (a namespace, a class's
// method, a template), each allocating a block of 2 MiB: a report must
// name them as the source does.  Index::build fills a std::map: its 1,000
// nodes are allocated inside the standard library's templates, which the
// report looks past.
#include <cstdio>
#include <cstdlib>
#include <map>

namespace app {
double lookup[1 << 18];    // a static of 2 MiB: _ZN3app6lookupE

struct Store {
	double *table = nullptr;
	__attribute__((noinline)) void fill(int n)
	{
		table = static_cast<double *>(std::calloc(n, sizeof(double)));
	}
};

template <typename T> __attribute__((noinline)) T *make_table(unsigned long n)
{
	return new T[n]();
}

struct Index {
	std::map<int, int> m;
	__attribute__((noinline)) void build(int n)
	{
		for (int i = 0; i < n; i++)
			m[i * 7] = i;
	}
};
}  // namespace app

int main()
{
	app::Store s;
	s.fill(1 << 18);
	float *f = app::make_table<float>(1 << 19);
	app::Index index;

	index.build(1000);
	for (int i = 0; i < (1 << 18); i++)
		app::lookup[i] = i % 3;
	std::printf("%g %g %zu %g\n", s.table[7], static_cast<double>(f[9]), index.m.size(), app::lookup[4]);
	std::free(s.table);
	delete[] f;
	return 0;
}
