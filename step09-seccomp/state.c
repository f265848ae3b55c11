/*
 * state.c — a file per named container, under /run/nsworkshop (root) or
 * $XDG_RUNTIME_DIR/nsworkshop (rootless; /tmp/nsworkshop-UID without it).
 *
 * A PID alone does not name a process for long: once it exits, the number
 * is given to the next one. So a record keeps the PID *and* its start time
 * (field 22 of /proc/PID/stat, proc(5)): a record whose process is gone,
 * or whose PID now has another start time, is stale, and anyone may remove
 * it. That is how a record left by a runtime killed with SIGKILL gets
 * cleaned up.
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

#define RECORD_MAX 4096 /* pid=, starttime= and runtime= lead the record */

int state_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 64 || name[0] == '.' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_.-") != len)
		return set_errno(EINVAL);
	return 0;
}

/* Read the small file PATH of DIRFD whole, without following a symlink. */
static int read_small(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;
	int saved;

	if (fd == -1)
		return -1;
	n = read(fd, buf, size - 1);
	saved = errno;
	close(fd);
	errno = saved;
	if (n == -1)
		return -1;
	buf[n] = '\0';
	return 0;
}

int proc_starttime(int procfd, unsigned long long *start)
{
	char buf[1024], *p, *end = NULL;

	if (read_small(procfd, "stat", buf, sizeof(buf)) == -1)
		return -1;
	/* Field 2, the command's name, may hold spaces and ')': field 3
	 * starts after the last ')'. */
	p = strrchr(buf, ')');
	/* A zombie (state Z) has ended: only its exit status waits. */
	if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X')) {
		*start = 0;
		return 0;
	}
	/* the space before field N, for N = 3 .. 22 */
	for (int field = 3; p && field <= 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		*start = strtoull(p + 1, &end, 10);
	if (!p || end == p + 1 || *end != ' ')
		return set_errno(EINVAL);
	return 0;
}

/* The start time of PID, 0 if it is gone or a zombie. */
static unsigned long long starttime(pid_t pid)
{
	unsigned long long start = 0;
	char path[32];
	int fd;

	/* allow-snprintf: an int fits */
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	if (proc_starttime(fd, &start) == -1)
		start = 0;
	close(fd);
	return start;
}

int record_live(const struct record *r)
{
	if (r->pid)
		return starttime(r->pid) == r->starttime;
	return r->runtime && starttime(r->runtime) == r->runtime_starttime;
}

/* A decimal field of a record: digits only, and in range. */
static int parse_number(const char *s, unsigned long long max,
			unsigned long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end || *v > max ? -1 : 0;
}

/* One line KEY=VALUE of a record into R; unknown keys are left alone. */
static int parse_line(const char *line, struct record *r, int *seen)
{
	unsigned long long v;

	if (strncmp(line, "pid=", 4) == 0) {
		if (parse_number(line + 4, INT_MAX, &v) == -1 || v == 0)
			return -1;
		r->pid = (pid_t)v;
		*seen |= 1;
	} else if (strncmp(line, "starttime=", 10) == 0) {
		if (parse_number(line + 10, ~0ULL, &r->starttime) == -1)
			return -1;
		*seen |= 2;
	} else if (strncmp(line, "runtime=", 8) == 0) {
		if (parse_number(line + 8, INT_MAX, &v) == -1)
			return -1;
		r->runtime = (pid_t)v;
		*seen |= 4;
	} else if (strncmp(line, "runtime_starttime=", 18) == 0) {
		if (parse_number(line + 18, ~0ULL, &r->runtime_starttime) == -1)
			return -1;
	} else if (strncmp(line, "seccomp=", 8) == 0) {
		/* step09 { the filter's name, as set_ns will apply it:
		 * "default" or "unconfined" only (else -1), into r->seccomp */
		if (strcmp(line + 8, "default") != 0 &&
		    strcmp(line + 8, "unconfined") != 0)
			return -1;
		/* allow-snprintf: one of the two names, which fit */
		snprintf(r->seccomp, sizeof(r->seccomp), "%s", line + 8);
		/* } step09 */
	}
	return 0;
}

/* The record at PATH into R: pid= with starttime=, or a reservation. */
static int read_record(const char *path, struct record *r, struct err *e)
{
	char buf[RECORD_MAX], *line, *save;
	int seen = 0;

	memset(r, 0, sizeof(*r));
	if (read_small(AT_FDCWD, path, buf, sizeof(buf)) == -1)
		return fail(e, "read", path);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (parse_line(line, r, &seen) == -1)
			break;
	/* a reservation (runtime= only), or pid= with its starttime= */
	if (line || (seen & 3) == 1 || !(seen & 5)) {
		fail_errno(e, EINVAL, "parse", path);
		e->hint = "no pid= and starttime=, nor runtime= line";
		return -1;
	}
	return 0;
}

/* The directory of the records; made when MAKE is set. */
static int state_dir(char dir[PATH_MAX], int make, struct err *e)
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
	if (n < 0 || n >= PATH_MAX)
		return fail_errno(e, ENAMETOOLONG, "state directory",
				  "$XDG_RUNTIME_DIR");
	if (make && mkdir(dir, geteuid() == 0 ? 0755 : 0700) == -1 &&
	    errno != EEXIST)
		return fail(e, "mkdir", dir);
	return 0;
}

/* NAME's record file, PATH, in DIR (made when MAKE is set). */
static int state_path(const char *name, char dir[PATH_MAX], char path[PATH_MAX],
		      int make, struct err *e)
{
	if (state_name_valid(name) == -1)
		return fail(e, "--name", name);
	if (state_dir(dir, make, e) == -1)
		return -1;
	if (snprintf(path, PATH_MAX, "%s/%s.state", dir, name) >= PATH_MAX)
		return fail_errno(e, ENAMETOOLONG, "state file", name);
	return 0;
}

int state_read(const char *name, struct record *r, struct err *e)
{
	char dir[PATH_MAX], path[PATH_MAX];

	if (state_path(name, dir, path, 0, e) == -1)
		return -1;
	return read_record(path, r, e);
}

int state_remove(const char *name, struct err *e)
{
	char dir[PATH_MAX], path[PATH_MAX];

	if (state_path(name, dir, path, 0, e) == -1)
		return -1;
	if (unlink(path) == -1)
		return fail(e, "unlink", path);
	return 0;
}

/* Stale, or not a record at all: a file whoever finds it may remove. One
 * we cannot read for another reason is left alone. */
static int stale_file(const char *path)
{
	struct record r;
	struct err e;

	if (read_record(path, &r, &e) == -1)
		return e.errnum == ENOENT || e.errnum == EINVAL;
	return !record_live(&r);
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
		if (stale_file(path) &&
		    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) <
			(int)sizeof(path))
			unlink(path);
	}
	if (d)
		closedir(d);
}

int state_reserve(const char *name, char path[PATH_MAX], struct err *e)
{
	char dir[PATH_MAX], text[128];
	int fd;

	if (state_path(name, dir, path, 1, e) == -1)
		return -1;
	sweep(dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1 && errno == EEXIST) {
		if (!stale_file(path))
			return fail_errno(e, EEXIST, "open", path);
		unlink(path); /* stale: its runtime is gone */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	}
	if (fd == -1)
		return fail(e, "open", path);
	/* allow-snprintf: two numbers fit in 128 bytes */
	snprintf(text, sizeof(text), "runtime=%d\nruntime_starttime=%llu\n",
		 (int)getpid(), starttime(getpid()));
	if (write_all(fd, text, strlen(text)) == -1) {
		fail(e, "write", path);
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) == -1)
		return fail(e, "close", path);
	return 0;
}

/* Write the whole record to a temporary file and rename(2) it over the
 * reservation: a reader sees the old record or the new one, never half. */
int state_commit(const char *path, pid_t pid, char *const argv[],
		 const char *seccomp, struct err *e)
{
	char tmp[PATH_MAX + 8], created[32];
	time_t now = time(NULL);
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
		return fail_errno(e, ENAMETOOLONG, "write", path);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	f = fopen(tmp, "we");
	if (!f)
		return fail(e, "open", tmp);
	fprintf(f,
		"pid=%d\nstarttime=%llu\nruntime=%d\nruntime_starttime=%llu\n",
		(int)pid, starttime(pid), (int)getpid(), starttime(getpid()));
	fprintf(f, "command=");
	for (int i = 0; argv[i]; i++)
		fprintf(f, "%s%s", i ? " " : "", argv[i]);
	fprintf(f, "\ncreated=%s\n", created);
	/* step09 { one more line, seccomp=SECCOMP */
	fprintf(f, "seccomp=%s\n", seccomp);
	/* } step09 */
	if (fclose(f) == EOF || rename(tmp, path) == -1) {
		fail(e, "write", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int write_pidfile(const char *file, pid_t pid, struct err *e)
{
	char text[32];
	int fd;

	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return fail(e, "open", file);
	/* allow-snprintf: an int fits */
	snprintf(text, sizeof(text), "%d\n", (int)pid);
	if (write_all(fd, text, strlen(text)) == -1) {
		fail(e, "write", file);
		close(fd);
		return -1;
	}
	if (close(fd) == -1)
		return fail(e, "close", file);
	return 0;
}
