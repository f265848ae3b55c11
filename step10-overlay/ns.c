/*
 * ns.c — the namespace types (see ns.h).
 */
#include "ns.h"

#include <stdio.h>
#include <sys/stat.h>

#include "err.h"
#include "syscalls.h"

/*
 * Every namespace type: its clone(2) flag and its file in /proc/PID/ns
 * (namespaces(7)), in the order `ls /proc/PID/ns` lists them. The flags
 * of clone, its trace and its error message are spelled from this table.
 */
static const struct ns_type {
	int flag;
	const char *flag_name;
	const char *file;
} ns_types[] = {
    {CLONE_NEWCGROUP, "CLONE_NEWCGROUP", "cgroup"},
    {CLONE_NEWIPC, "CLONE_NEWIPC", "ipc"},
    {CLONE_NEWNS, "CLONE_NEWNS", "mnt"},
    {CLONE_NEWNET, "CLONE_NEWNET", "net"},
    {CLONE_NEWPID, "CLONE_NEWPID", "pid"},
    {CLONE_NEWTIME, "CLONE_NEWTIME", "time"},
    {CLONE_NEWUSER, "CLONE_NEWUSER", "user"},
    {CLONE_NEWUTS, "CLONE_NEWUTS", "uts"},
};

/* FLAGS as "CLONE_NEWPID | CLONE_NEWNS", in the order of ns_types. */
void ns_flag_names(int flags, char *buf, size_t size)
{
	size_t n = 0;
	int k;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(ns_types); i++) {
		if (!(flags & ns_types[i].flag))
			continue;
		k = snprintf(buf + n, size - n, "%s%s", n ? " | " : "",
			     ns_types[i].flag_name);
		if (k < 0 || (size_t)k >= size - n)
			return; /* cut: it only names the flags */
		n += (size_t)k;
	}
}

/*
 * Each namespace a process belongs to is a file in /proc/PID/ns; two
 * processes share a namespace when those files have the same inode number.
 * This prints the table `ls -l /proc/self/ns /proc/PID/ns` would show.
 */
static unsigned long ns_inode(const char *pid, const char *ns)
{
	char path[64];
	struct stat st;

	if (snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, ns) >=
	    (int)sizeof(path))
		return 0;
	return stat(path, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

void print_ns_table(pid_t child, int joined, unsigned long joined_ino)
{
	char pid[16];

	/* allow-snprintf: an int fits */
	snprintf(pid, sizeof(pid), "%d", (int)child);
	trace("%-9s %-12s %-12s", "namespace", "host", "container");
	for (size_t i = 0; i < ARRAY_SIZE(ns_types); i++) {
		unsigned long host = ns_inode("self", ns_types[i].file);
		unsigned long cont = ns_inode(pid, ns_types[i].file);
		const char *state = host == cont ? "same" : "NEW";

		if (ns_types[i].flag == joined) {
			cont = joined_ino;
			state = "joined";
		}
		trace("%-9s %-12lu %-12lu %s", ns_types[i].file, host, cont,
		      state);
	}
}
