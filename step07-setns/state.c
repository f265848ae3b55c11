/*
 * state.c — a file per named container, under /run/nsworkshop (root) or
 * $XDG_RUNTIME_DIR/nsworkshop (rootless; /tmp/nsworkshop-UID without it).
 *
 * A PID alone does not name a process for long: once it exits, the number
 * is given to the next one. So a record keeps the PID *and* its start time
 * (field 22 of /proc/PID/stat): a record whose process is gone, or whose
 * PID now has another start time, is stale, and anyone may remove it. That
 * is how a record left by a runtime killed with SIGKILL gets cleaned up.
 */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int state_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 64 || name[0] == '.' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_.-") != len) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Field 22 of /proc/PID/stat, after the command name, which may itself
 * hold spaces and parentheses: scan from the last ')'. 0 if gone or a
 * zombie. */
static unsigned long long starttime(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long t = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	/* a zombie has ended: only its exit status waits to be collected */
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	/* the space before field N, for N = 3 .. 22 */
	for (int field = 3; p && field <= 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

static int state_dir(char dir[PATH_MAX])
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (geteuid() == 0)
		n = snprintf(dir, PATH_MAX, "/run/nsworkshop");
	else if (xdg && xdg[0] == '/')
		n = snprintf(dir, PATH_MAX, "%s/nsworkshop", xdg);
	else
		n = snprintf(dir, PATH_MAX, "/tmp/nsworkshop-%u",
			     (unsigned)geteuid());
	if (n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(dir, geteuid() == 0 ? 0755 : 0700) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/* Is the process the record names (pid=, else runtime=) still the one? */
static int record_live(const char *path)
{
	unsigned long long pid = 0, start = 0, rt = 0, rt_start = 0;
	char line[256];
	FILE *f = fopen(path, "re");

	if (!f)
		return errno == ENOENT ? 0 : 1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "pid=%llu", &pid);
		sscanf(line, "starttime=%llu", &start);
		sscanf(line, "runtime=%llu", &rt);
		sscanf(line, "runtime_starttime=%llu", &rt_start);
	}
	fclose(f);
	if (pid)
		return starttime((pid_t)pid) == start;
	return rt && starttime((pid_t)rt) == rt_start;
}

/* Remove every stale record of DIR: runtimes killed with SIGKILL leave
 * theirs behind. Best effort. */
static void sweep(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);

		/* NAME.state.new: a commit cut short; NAME.state: a record */
		int tmp =
		    len > 10 && strcmp(e->d_name + len - 10, ".state.new") == 0;

		if (!tmp &&
		    (len < 7 || strcmp(e->d_name + len - 6, ".state") != 0))
			continue;
		if (snprintf(path, sizeof(path), "%s/%.*s", dir,
			     (int)(tmp ? len - 4 : len),
			     e->d_name) >= (int)sizeof(path))
			continue;
		/* stale: remove the file itself, record or cut-short commit */
		if (!record_live(path) &&
		    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) <
			(int)sizeof(path))
			unlink(path);
	}
	if (d)
		closedir(d);
}

int state_reserve(const char *name, char path[PATH_MAX])
{
	char dir[PATH_MAX], text[128];
	int fd, n;

	if (state_name_valid(name) == -1 || state_dir(dir) == -1)
		return -1;
	if (snprintf(path, PATH_MAX, "%s/%s.state", dir, name) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* step07 { claim the name: open(2) PATH O_WRONLY | O_CREAT | O_EXCL |
	 * O_CLOEXEC, 0644. EEXIST with !record_live(PATH): the record is
	 * stale, unlink(2) it and open once more. Write
	 * "runtime=PID\nruntime_starttime=T\n" (getpid(), its starttime()) in
	 * one write(2); if that fails, close, unlink PATH and keep errno.
	 * Return close(2)'s result */
	sweep(dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1 && errno == EEXIST && !record_live(path)) {
		unlink(path); /* stale: its runtime is gone */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	}
	if (fd == -1)
		return -1;
	n = snprintf(text, sizeof(text), "runtime=%d\nruntime_starttime=%llu\n",
		     (int)getpid(), starttime(getpid()));
	if (write(fd, text, (size_t)n) != n) {
		int saved = errno;

		close(fd);
		unlink(path);
		errno = saved;
		return -1;
	}
	return close(fd);
	/* } step07, skeleton: errno = ENOSYS; return -1; */
}

/* Write the whole record to a temporary file and rename(2) it over the
 * reservation: a reader sees the old record or the new one, never half. */
int state_commit(const char *path, pid_t pid, char *const argv[])
{
	char tmp[PATH_MAX + 8], created[32];
	time_t now = time(NULL);
	FILE *f;

	/* step07 { the whole record in PATH.new (ENAMETOOLONG if that name
	 * does not fit TMP), fopen(3) "we": pid=PID, starttime=, runtime= and
	 * runtime_starttime= (ours), command= ARGV joined by spaces, created=
	 * UTC time as %Y-%m-%dT%H:%M:%SZ (strftime(3) of gmtime(3)), one a
	 * line; fclose(3), then rename(2) it over PATH, so that a reader sees
	 * one record or the other, never half of one. On failure unlink the
	 * .new file and keep errno */
	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	f = fopen(tmp, "we");
	if (!f)
		return -1;
	fprintf(f,
		"pid=%d\nstarttime=%llu\nruntime=%d\nruntime_starttime=%llu\n",
		(int)pid, starttime(pid), (int)getpid(), starttime(getpid()));
	fprintf(f, "command=");
	for (int i = 0; argv[i]; i++)
		fprintf(f, "%s%s", i ? " " : "", argv[i]);
	fprintf(f, "\ncreated=%s\n", created);
	if (fclose(f) == EOF || rename(tmp, path) == -1) {
		int saved = errno;

		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
	/* } step07, skeleton: errno = ENOSYS; return -1; */
}

int write_pidfile(const char *file, pid_t pid)
{
	char text[32];
	int fd, n;

	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	n = snprintf(text, sizeof(text), "%d\n", (int)pid);
	if (write(fd, text, (size_t)n) != n) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}
