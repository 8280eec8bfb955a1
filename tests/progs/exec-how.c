/* "exec-how HOW PROGRAM ARGS...": runs PROGRAM otherwise than through
 * libc's execve, as some programs do: HOW is syscall (syscall(2) making
 * execve), fexecve (the program opened, then fexecve(3)), execveat-fd
 * (the same through execveat(2) and AT_EMPTY_PATH), execveat-dir (its
 * directory opened, its name from there) or syscall-execveat
 * (syscall(2) making execveat, from the directory). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	char dir[4096], name[4096];
	int fd;

	if (argc < 3)
		return 2;
	snprintf(dir, sizeof(dir), "%s", argv[2]);
	snprintf(name, sizeof(name), "%s", argv[2]);
	if (!strcmp(argv[1], "syscall")) {
		syscall(SYS_execve, argv[2], argv + 2, environ);
	} else if (!strcmp(argv[1], "fexecve") || !strcmp(argv[1], "execveat-fd")) {
		if ((fd = open(argv[2], O_RDONLY | O_CLOEXEC)) < 0)
			return perror(argv[2]), 127;
		if (argv[1][1] == 'e')
			fexecve(fd, argv + 2, environ);
		else
			execveat(fd, "", argv + 2, environ, AT_EMPTY_PATH);
	} else if (!strcmp(argv[1], "execveat-dir") || !strcmp(argv[1], "syscall-execveat")) {
		if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return perror(dir), 127;
		if (argv[1][0] == 'e')
			execveat(fd, basename(name), argv + 2, environ, 0);
		else
			syscall(SYS_execveat, fd, basename(name), argv + 2, environ, 0);
	} else {
		return 2;
	}
	perror(argv[2]);
	return 127;
}
