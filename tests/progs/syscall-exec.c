/* "syscall-exec PROGRAM ARGS...": runs PROGRAM through syscall(2), not
 * libc's execve, as a program wrapping its system calls itself may. */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	syscall(SYS_execve, argv[1], argv + 1, environ);
	perror(argv[1]);
	return 127;
}
