/* setns_pidfd — join several namespaces of a process in one setns(2) call.
 *
 * Since Linux 5.8 setns() also takes a pidfd (pidfd_open(2)) and a mask of
 * CLONE_NEW* flags: the caller enters every namespace named, of that
 * process, at once — and if one of them cannot be joined, none is (the
 * kernel checks them all before it commits any). With /proc/PID/ns files
 * that takes one open and one setns per namespace, and a process that dies
 * in between leaves you half inside. A pidfd also cannot be fooled by a
 * reused PID. PID namespace: only the children of the caller (as with a
 * /proc/PID/ns/pid file), so it is left out here. Read setns(2).
 *   usage: setns_pidfd PID TYPE[,TYPE]... COMMAND [ARG]...
 *          TYPE: mnt uts ipc net cgroup time user */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* asm-generic/unistd.h, Linux 5.3 */
#endif

static const struct {
	const char *name;
	int flag;
} t[] = {
    {"mnt", CLONE_NEWNS},	 {"uts", CLONE_NEWUTS},
    {"ipc", CLONE_NEWIPC},	 {"net", CLONE_NEWNET},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
    {"user", CLONE_NEWUSER},
};
#define NTYPES (sizeof(t) / sizeof(t[0]))

/* The inode of our own /proc/self/ns/NAME: which namespace we are in. */
static ino_t own(const char *name)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	return stat(path, &st) == -1 ? 0 : st.st_ino;
}

static int parse_types(char *list)
{
	int flags = 0;

	for (char *s = strtok(list, ","); s; s = strtok(NULL, ",")) {
		size_t i;
		for (i = 0; i < NTYPES; i++)
			if (strcmp(s, t[i].name) == 0)
				break;
		if (i == NTYPES)
			return -1;
		flags |= t[i].flag;
	}
	return flags;
}

int main(int argc, char *argv[])
{
	if (argc < 4) {
		fprintf(stderr,
			"usage: %s PID TYPE[,TYPE]... COMMAND [ARG]...\n",
			argv[0]);
		return 125;
	}
	int flags = parse_types(argv[2]);
	if (flags <= 0) {
		fprintf(stderr,
			"setns_pidfd: %s: types are mnt uts ipc net cgroup "
			"time user\n",
			argv[2]);
		return 125;
	}
	/* a pidfd is close-on-exec from birth (pidfd_open(2)) */
	int pidfd = syscall(SYS_pidfd_open, (pid_t)atoi(argv[1]), 0);
	if (pidfd == -1) {
		perror("pidfd_open");
		return 125;
	}
	ino_t before[NTYPES];
	for (size_t i = 0; i < NTYPES; i++)
		before[i] = own(t[i].name);
	if (setns(pidfd, flags) == -1) {
		int errnum = errno, moved = 0;
		for (size_t i = 0; i < NTYPES; i++)
			moved += own(t[i].name) != before[i];
		/* all or nothing: moved is 0 */
		fprintf(stderr,
			"setns_pidfd: setns: %s; namespaces changed: %d\n",
			strerror(errnum), moved);
		return 125;
	}
	execvp(argv[3], &argv[3]);
	perror(argv[3]);
	return errno == ENOENT ? 127 : 126;
}
