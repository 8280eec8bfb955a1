/* modmap: the modules of a child process, read again as it loads a
 * library, unloads it and exits: what is new, and what is gone (the
 * clock sampler drops the code it read only for the latter).  A child,
 * not this process: reading a module maps its file here (libelf). */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "data/build.h"
#include "modmap.h"
#include "unit.h"

static int to_child[2], from_child[2];

/* The child: 'o' loads lib, 'c' unloads it, each answered once done;
 * anything else ends it. */
static _Noreturn void child(const char *lib)
{
	void *h = NULL;
	char c;

	while (read(to_child[0], &c, 1) == 1 && (c == 'o' || c == 'c')) {
		if (c == 'o')
			h = dlopen(lib, RTLD_NOW);
		else if (h)
			dlclose(h);
		if (write(from_child[1], c == 'o' && !h ? "!" : "k", 1) != 1)
			break;
	}
	_exit(0);
}

static void ask(char c)
{
	char answer = 0;

	CHECK(write(to_child[1], &c, 1) == 1 && read(from_child[0], &answer, 1) == 1);
	CHECK_INT(answer, 'k');
}

static const struct loaded_module *by_path(const struct modmap *mm, const char *path)
{
	for (size_t i = 0; i < mm->n; i++)
		if (!strcmp(mm->v[i].path, path))
			return &mm->v[i];
	return NULL;
}

int main(void)
{
	char *dir = data_tmpdir();
	char *lib = data_compile(dir, "lib.so", "inline-prog.c", "-shared -fPIC");
	struct modmap mm;
	pid_t pid;

	if (!lib) {
		data_rmdir(dir);
		UNIT_SKIP("cc cannot build a shared object from tests/unit/data/inline-prog.c");
	}
	if (pipe(to_child) || pipe(from_child) || (pid = fork()) < 0)
		return 1;
	if (pid == 0)
		child(lib);
	modmap_init(&mm);
	CHECK(modmap_refresh(&mm, pid) > 0);          /* the first read: all new */
	CHECK_INT(mm.gone, 0);
	CHECK(by_path(&mm, lib) == NULL);

	ask('o');
	CHECK_INT(modmap_refresh(&mm, pid), 1);
	CHECK_INT(mm.gone, 0);                         /* one added, none gone */
	CHECK(by_path(&mm, lib) != NULL);
	CHECK_INT(modmap_refresh(&mm, pid), 0);       /* nothing changed */
	CHECK_INT(mm.gone, 0);

	ask('c');
	CHECK_INT(modmap_refresh(&mm, pid), 0);
	CHECK_INT(mm.gone, 1);
	CHECK(by_path(&mm, lib) == NULL);
	CHECK_INT(modmap_refresh(&mm, pid), 0);
	CHECK_INT(mm.gone, 0);                         /* said once */

	CHECK(write(to_child[1], "q", 1) == 1);
	waitpid(pid, NULL, 0);
	CHECK_INT(modmap_refresh(&mm, pid), -1);      /* the process is gone */
	modmap_free(&mm);
	data_rmdir(dir);
	free(lib);
	return unit_done();
}
