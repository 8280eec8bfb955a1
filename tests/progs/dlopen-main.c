/* dlopen-main LIB: dlopen LIB (whose constructor allocates), call its
 * lib_alloc(), free, dlclose, and say so; then allocate 7777 bytes. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	void *(*lib_alloc)(void);
	void *lib, *p;

	if (argc != 2)
		return 2;
	lib = dlopen(argv[1], RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	lib_alloc = (void *(*)(void))dlsym(lib, "lib_alloc");
	if (!lib_alloc)
		return 1;
	p = lib_alloc();
	printf("lib_alloc returned %s\n", p ? "memory" : "NULL");
	free(p);
	dlclose(lib);
	p = malloc(7777);
	free(p);
	return 0;
}
