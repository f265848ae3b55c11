/* set_ns_min — the twenty-line tool of the story: join the namespace behind
 * NSFILE (a /proc/PID/ns/TYPE file) and run COMMAND in it. docs/07-setns.md
 * starts with it; ./set_ns is what it grows into. Read setns(2).
 *   usage: set_ns_min NSFILE COMMAND [ARG]...      (as root) */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s NSFILE COMMAND [ARG]...\n", argv[0]);
		return 125;
	}
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd == -1 || setns(fd, 0) == -1) { /* 0: whatever type NSFILE is */
		perror(argv[1]);
		return 125;
	}
	execvp(argv[2], &argv[2]); /* a host binary, now seeing the namespace */
	perror(argv[2]);
	return errno == ENOENT ? 127 : 126;
}
