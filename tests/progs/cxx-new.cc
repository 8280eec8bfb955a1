// C++ new and delete from two functions of the program: numamma must record
// the user's function as the allocation's depth-0 frame, not operator new.
#include <cstdio>

struct Widget {
	char payload[48];
};

extern "C" __attribute__((noinline)) Widget *make_widget()
{
	return new Widget();
}

extern "C" __attribute__((noinline)) int *make_array(unsigned n)
{
	return new int[n];
}

int main()
{
	Widget *w = make_widget();
	int *a = make_array(1000);

	a[999] = w->payload[0] + 1;
	std::printf("%d\n", a[999]);
	delete w;
	delete[] a;
	return 0;
}
