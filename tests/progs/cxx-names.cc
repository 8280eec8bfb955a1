// C++ functions whose symbols are mangled (a namespace, a class's
// method, a template), each allocating a block of 2 MiB: a report must
// name them as the source does.
#include <cstdio>
#include <cstdlib>

namespace app {
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
}  // namespace app

int main()
{
	app::Store s;
	s.fill(1 << 18);
	float *f = app::make_table<float>(1 << 19);

	std::printf("%g %g\n", s.table[7], static_cast<double>(f[9]));
	std::free(s.table);
	delete[] f;
	return 0;
}
