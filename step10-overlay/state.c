/*
 * state.c — the runtime's files on the host (state.h), kept so that
 * another local user or a careless operator cannot turn them against it.
 *
 * A PID alone does not name a process for long: once it exits, the number
 * is given to the next one. So a record keeps the PID *and* the start time
 * (field 22 of /proc/PID/stat, proc(5)) of the container and of the
 * runtime that owns the record. A record is stale only when that runtime
 * is gone; then anyone may remove it: that is how a record left by a
 * runtime killed with SIGKILL gets cleaned up.
 *
 * The directory is trusted only if it is ours, as tmux checks
 * /tmp/tmux-UID: a real directory owned by the effective uid that nobody
 * else may write to. Anyone can make /tmp/nsworkshop-UID first and plant
 * links and FIFOs in it. Inside, every file is opened relative to the
 * directory's descriptor with O_NOFOLLOW (never through a link, CWE-59)
 * and O_NONBLOCK (a FIFO does not block open(2)), and checked to be a
 * regular file.
 *
 * A record is published whole: written to a temporary file, then link(2)ed
 * to its name (which never replaces: the reservation) or rename(2)d over it
 * (the commit). A reader sees no record or a whole one, never half. Values
 * are escaped, so no argument can add a line (CWE-93); a key twice is
 * invalid.
 *
 * Read: openat(2) (O_NOFOLLOW, O_NONBLOCK), link(2), rename(2), flock(2),
 * proc(5).
 */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Records are small; COMMAND and its environment are at most what
 * execve(2) takes (6 MiB since Linux 4.13), each byte escaped in 4 at
 * most. Nothing we write is larger. */
#define RECORD_MAX  (32u << 20)
#define RECORD_KEYS 64

/* The hint of the last refusal: it names what was found. */
static char hint[PATH_MAX + 128];

/* A check of ours failed: E is "CALL OBJ: <hint>". */
static int refuse(struct err *e, const char *call, const char *obj,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int refuse(struct err *e, const char *call, const char *obj,
		  const char *fmt, ...)
{
	va_list ap;

	fail_errno(e, 0, call, obj);
	va_start(ap, fmt);
	/* allow-snprintf: a cut hint still says what is wrong */
	vsnprintf(hint, sizeof(hint), fmt, ap);
	va_end(ap);
	e->hint = hint;
	return -1;
}

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

/* Our PID namespace: the st_dev and st_ino of /proc/self/ns/pid, which
 * identify it (namespaces(7)); 0 in both if /proc cannot say. */
static void our_pidns(unsigned long long *dev, unsigned long long *ino)
{
	struct stat st;

	*dev = *ino = 0;
	if (stat("/proc/self/ns/pid", &st) == 0) {
		*dev = st.st_dev;
		*ino = st.st_ino;
	}
}

/* ----------------------------------------------------- the directory --- */

/* HACKING.md: /run/nsworkshop as root; rootless $XDG_RUNTIME_DIR/nsworkshop,
 * or /tmp/nsworkshop-UID when XDG_RUNTIME_DIR is unset. */
static int state_path(char dir[PATH_MAX], struct err *e)
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
				  "$XDG_RUNTIME_DIR/nsworkshop");
	return 0;
}

/*
 * Is the directory at FD ours: owned by us, writable by no one else? Read
 * and search bits for others (a directory an earlier version made 0755)
 * are taken away; a write bit is not forgiven: anyone may have planted
 * files in it already.
 */
static int check_dir(int fd, const char *dir, struct err *e)
{
	struct stat st = {0};

	if (fstat(fd, &st) == -1)
		return fail(e, "fstat", dir);
	if (st.st_uid != geteuid())
		return refuse(e, "state directory", dir,
			      "owned by uid %u, not %u: someone else made it; "
			      "have it removed, or set XDG_RUNTIME_DIR",
			      (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return refuse(e, "state directory", dir,
			      "mode %04o, not 0700: others may have planted "
			      "files in it; remove it",
			      (unsigned)(st.st_mode & 07777));
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) == -1)
		return fail(e, "fchmod 0700", dir);
	return 0;
}

int state_open(struct state *s, bool make, struct err *e)
{
	s->dirfd = -1;
	s->ino = 0;
	if (state_path(s->dir, e) == -1)
		return -1;
	/* umask may take bits away, never add: check_dir() sets 0700 */
	if (make && mkdir(s->dir, 0700) == -1 && errno != EEXIST)
		return fail(e, "mkdir", s->dir);
	/* O_NOFOLLOW: a symlink in its place is refused, not followed */
	s->dirfd =
	    open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->dirfd == -1) {
		struct stat st;

		if (lstat(s->dir, &st) == -1)
			return fail(e, "open", s->dir);
		/* a 0700 directory of another uid cannot be opened: say whose
		 * it is, as check_dir() would */
		if (S_ISDIR(st.st_mode) && st.st_uid != geteuid())
			return refuse(e, "state directory", s->dir,
				      "owned by uid %u, not you: someone else "
				      "made it; have it removed, or set "
				      "XDG_RUNTIME_DIR",
				      (unsigned)st.st_uid);
		if (S_ISDIR(st.st_mode))
			return fail(e, "open", s->dir);
		return refuse(e, "state directory", s->dir,
			      "%s, not a directory: remove it",
			      S_ISLNK(st.st_mode) ? "a symbolic link"
						  : "a file");
	}
	if (check_dir(s->dirfd, s->dir, e) == -1) {
		close(s->dirfd);
		s->dirfd = -1;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------- the record format --- */

/* A byte that never appears raw in a value: it would end the line (\n),
 * hide in a terminal, split a list (space) or start an escape. */
static bool escaped(unsigned char c)
{
	return c <= ' ' || c == 0x7f || c == '\\';
}

/* KEY=ITEM ITEM ...\n: each item with its special bytes as \xHH. */
static void put_list(FILE *f, const char *key, char *const list[])
{
	fprintf(f, "%s=", key);
	for (int i = 0; list && list[i]; i++) {
		if (i)
			fputc(' ', f);
		for (const char *c = list[i]; *c; c++) {
			if (escaped((unsigned char)*c))
				fprintf(f, "\\x%02x", (unsigned char)*c);
			else
				fputc(*c, f);
		}
	}
	fputc('\n', f);
}

/* The text of a record: the reservation (PID 0) or the whole record. */
static char *record_text(pid_t pid, char *const argv[], char *const envp[],
			 const char *seccomp, size_t *len)
{
	char created[32] = "";
	unsigned long long dev, ino;
	time_t now = time(NULL);
	struct tm tm;
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	if (gmtime_r(&now, &tm))
		strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	our_pidns(&dev, &ino);
	/* PIDs are numbers of a PID namespace: a runtime in another one that
	 * shares this directory must not read ours as its own */
	fprintf(f, "runtime=%d\nruntime_starttime=%llu\ncreated=%s\n",
		(int)getpid(), starttime(getpid()), created);
	if (ino)
		fprintf(f, "pidns=%llu:%llu\n", dev, ino);
	if (pid > 0) {
		fprintf(f, "pid=%d\nstarttime=%llu\n", (int)pid,
			starttime(pid));
		put_list(f, "command", argv);
		put_list(f, "env", envp);
		if (seccomp)
			fprintf(f, "seccomp=%s\n", seccomp);
	}
	if (fclose(f) == EOF) {
		free(text);
		return NULL;
	}
	return text;
}

/* One hex digit's value, or -1. */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte of "\xHH" at V (two hex digits), or -1. */
static int hex2(const char *v)
{
	int hi = hexval(v[0]), lo = hi >= 0 ? hexval(v[1]) : -1;

	return lo < 0 ? -1 : hi << 4 | lo;
}

/*
 * A list value into a NULL-ended array of strings, which live in one
 * buffer that starts at LIST[0] (record_free() frees both). NULL on a raw
 * special byte, a bad escape or an escaped NUL.
 */
static char **parse_list(const char *v, size_t len)
{
	size_t n = len ? 1 : 0, k = 0;
	char **list = NULL, *buf = NULL, *w, *item;

	for (size_t i = 0; i < len; i++)
		n += v[i] == ' ';
	list = calloc(n + 1, sizeof(*list));
	buf = malloc(len + 1);
	if (!list || !buf)
		goto out;
	item = w = buf;
	for (size_t i = 0; n && i <= len; i++) {
		if (i == len || v[i] == ' ') {
			*w++ = '\0';
			list[k++] = item;
			item = w;
		} else if (v[i] != '\\') {
			if (escaped((unsigned char)v[i]))
				goto out;
			*w++ = v[i];
		} else {
			int c = i + 3 < len && v[i + 1] == 'x' ? hex2(v + i + 2)
							       : -1;
			if (c <= 0) /* a bad escape, or NUL inside a string */
				goto out;
			*w++ = (char)c;
			i += 3;
		}
	}
	if (!n)
		free(buf);
	return list;
out:
	free(buf);
	free(list);
	return NULL;
}

/* Digits only, no sign, no overflow, at most MAX. */
static int parse_num(const char *v, size_t len, unsigned long long max,
		     unsigned long long *out)
{
	unsigned long long n = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9' || n > (max - (v[i] - '0')) / 10)
			return -1;
		n = n * 10 + (unsigned long long)(v[i] - '0');
	}
	*out = n;
	return 0;
}

/* Store KEY's value (V, LEN bytes) in R. Unknown keys are left alone: a
 * later version may add some. -1 when the value is not valid. */
static int set_field(struct record *r, const char *key, size_t klen,
		     const char *v, size_t len)
{
	unsigned long long n;

#define IS(k) (klen == sizeof(k) - 1 && memcmp(key, k, klen) == 0)
	if (IS("pid") || IS("runtime")) {
		if (parse_num(v, len, INT_MAX, &n) == -1 || n == 0)
			return -1;
		*(IS("pid") ? &r->pid : &r->runtime) = (pid_t)n;
	} else if (IS("starttime") || IS("runtime_starttime")) {
		if (parse_num(v, len, ~0ULL, &n) == -1 || n == 0)
			return -1;
		*(IS("starttime") ? &r->starttime : &r->runtime_starttime) = n;
	} else if (IS("pidns")) {
		const char *colon = memchr(v, ':', len);

		if (!colon ||
		    parse_num(v, (size_t)(colon - v), ~0ULL, &r->pidns_dev) ==
			-1 ||
		    parse_num(colon + 1, len - (size_t)(colon - v) - 1, ~0ULL,
			      &r->pidns_ino) == -1 ||
		    r->pidns_ino == 0)
			return -1;
	} else if (IS("created")) {
		if (len >= sizeof(r->created) || memchr(v, '\\', len))
			return -1;
		memcpy(r->created, v, len);
		r->created[len] = '\0';
	} else if (IS("command") || IS("env")) {
		char ***list = IS("command") ? &r->command : &r->env;

		if (*list || !(*list = parse_list(v, len)))
			return -1;
	} else if (IS("seccomp")) {
		if ((len != 7 || memcmp(v, "default", 7) != 0) &&
		    (len != 10 || memcmp(v, "unconfined", 10) != 0))
			return -1;
		memcpy(r->seccomp, v, len);
		r->seccomp[len] = '\0';
	}
#undef IS
	return 0;
}

void record_free(struct record *r)
{
	if (r->command)
		free(r->command[0]);
	if (r->env)
		free(r->env[0]);
	free(r->command);
	free(r->env);
	memset(r, 0, sizeof(*r));
}

/*
 * Parse LEN bytes of TEXT: lines KEY=VALUE, each ended by '\n' (a record
 * cut short is invalid), no NUL, each key at most once. It names a runtime
 * (runtime=, runtime_starttime=) or, written by hand, a container (pid=,
 * starttime=). EINVAL when it does not hold.
 */
int record_parse(const char *text, size_t len, struct record *r)
{
	const char *line = text, *end = text + len, *keys[RECORD_KEYS];
	size_t klen[RECORD_KEYS];
	int nkeys = 0;

	memset(r, 0, sizeof(*r));
	if (memchr(text, '\0', len))
		goto out;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eq =
		    nl ? memchr(line, '=', (size_t)(nl - line)) : NULL;

		if (!eq || eq == line || nkeys == RECORD_KEYS)
			goto out;
		keys[nkeys] = line;
		klen[nkeys] = (size_t)(eq - line);
		for (int i = 0; i < nkeys; i++)
			if (klen[i] == klen[nkeys] &&
			    memcmp(keys[i], line, klen[i]) == 0)
				goto out; /* a key twice */
		if (set_field(r, line, klen[nkeys++], eq + 1,
			      (size_t)(nl - eq - 1)) == -1)
			goto out;
		line = nl + 1;
	}
	if (!r->pid != !r->starttime || (r->runtime_starttime && !r->runtime) ||
	    (!r->pid && !r->runtime_starttime))
		goto out;
	return 0;
out:
	record_free(r);
	errno = EINVAL;
	return -1;
}

bool record_running(const struct record *r)
{
	return r->pid > 0 && starttime(r->pid) == r->starttime;
}

bool record_foreign(const struct record *r)
{
	unsigned long long dev, ino;

	our_pidns(&dev, &ino);
	return r->pidns_ino && (r->pidns_dev != dev || r->pidns_ino != ino);
}

bool record_stale(const struct record *r)
{
	if (record_foreign(r))
		return false;
	/* Written by hand, without the runtime's start time: judge by the
	 * container alone. */
	if (!r->runtime_starttime)
		return !record_running(r);
	return starttime(r->runtime) != r->runtime_starttime;
}

/* ------------------------------------------------------ the records --- */

/* The whole of FD into *TEXT (malloc'd), *LEN bytes. EFBIG past
 * RECORD_MAX. */
static int read_whole(int fd, char **text, size_t *len)
{
	size_t size = 0;
	char *buf = NULL;
	ssize_t n = 1;

	*len = 0;
	while (n != 0) {
		if (*len == size) {
			size_t grown = size ? size * 2 : 4096;
			char *bigger =
			    grown <= RECORD_MAX ? realloc(buf, grown) : NULL;

			if (!bigger) {
				free(buf);
				errno = grown <= RECORD_MAX ? ENOMEM : EFBIG;
				return -1;
			}
			buf = bigger;
			size = grown;
		}
		n = read(fd, buf + *len, size - *len);
		if (n == -1 && errno != EINTR) {
			int saved = errno;

			free(buf);
			errno = saved;
			return -1;
		}
		*len += n > 0 ? (size_t)n : 0;
	}
	*text = buf;
	return 0;
}

/* "NAME.state" into FILE. */
static int record_file(const char *name, char file[72], struct err *e)
{
	if (state_name_valid(name) == -1 ||
	    snprintf(file, 72, "%s.state", name) >= 72)
		return fail_errno(e, EINVAL, "--name", name);
	return 0;
}

/* What a non-regular file is, for a message. */
static const char *kind(mode_t mode)
{
	return S_ISLNK(mode)	? "a symbolic link"
	       : S_ISDIR(mode)	? "a directory"
	       : S_ISFIFO(mode) ? "a FIFO"
	       : S_ISSOCK(mode) ? "a socket"
	       : S_ISREG(mode)	? "a regular file"
				: "a device";
}

int state_read(const struct state *s, const char *name, struct record *r,
	       struct err *e)
{
	char file[72], *text = NULL;
	struct stat st = {0};
	size_t len;
	int fd, rc = -1;

	memset(r, 0, sizeof(*r));
	if (record_file(name, file, e) == -1)
		return -1;
	/* O_NOFOLLOW: ELOOP on a link; O_NONBLOCK: a FIFO opens at once */
	fd = openat(s->dirfd, file,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 && errno != ELOOP)
		return fail(e, "open", file);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		refuse(e, "--name", name,
		       "%s/%s is %s, not a record: remove it", s->dir, file,
		       fd == -1 ? "a symbolic link" : kind(st.st_mode));
	} else if (read_whole(fd, &text, &len) == -1) {
		fail(e, "read", file);
	} else if (record_parse(text, len, r) == -1) {
		refuse(e, "--name", name,
		       "%s/%s is not a valid record (HACKING.md): remove it",
		       s->dir, file);
	} else {
		rc = 0;
	}
	if (fd != -1)
		close(fd);
	free(text);
	return rc;
}

/* ".NAME.state.PID": where runtime PID writes a record before publishing
 * it. Names never start with '.', so it is no record. */
static int temp_file(const char *file, char tmp[96], struct err *e)
{
	if (snprintf(tmp, 96, ".%s.%d", file, (int)getpid()) >= 96)
		return fail_errno(e, ENAMETOOLONG, "temporary file", file);
	return 0;
}

/* Write LEN bytes of TEXT to the new file TMP of DIRFD; its identity in
 * ST. A TMP left by a killed runtime that had our PID is replaced. */
static int write_temp(int dirfd, const char *tmp, mode_t mode, const char *text,
		      size_t len, struct stat *st, struct err *e)
{
	int fd =
	    openat(dirfd, tmp,
		   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd == -1 && errno == EEXIST && unlinkat(dirfd, tmp, 0) == 0)
		fd = openat(
		    dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd == -1)
		return fail(e, "create", tmp);
	if (write_all(fd, text, len) == -1 || fstat(fd, st) == -1) {
		fail(e, "write", tmp);
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (close(fd) == -1) {
		fail(e, "close", tmp);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return 0;
}

/* A stale record NAME.state: remove it (under the directory's lock). */
static void sweep_record(const struct state *s, const char *file)
{
	size_t len = strlen(file) - strlen(".state");
	char name[72];
	struct record r;
	struct err e;

	if (len >= sizeof(name))
		return;
	memcpy(name, file, len);
	name[len] = '\0';
	if (state_read(s, name, &r, &e) == -1)
		return; /* not a record we can judge: left to the operator */
	if (record_stale(&r))
		unlinkat(s->dirfd, file, 0);
	record_free(&r);
}

/* ".NAME.state.PID" of a runtime that is gone: remove it. */
static void sweep_temp(const struct state *s, const char *file)
{
	const char *dot = strrchr(file, '.');
	char *end;
	long pid = dot ? strtol(dot + 1, &end, 10) : 0;

	if (pid > 0 && pid <= INT_MAX && *end == '\0' &&
	    strstr(file, ".state.") && kill((pid_t)pid, 0) == -1 &&
	    errno == ESRCH)
		unlinkat(s->dirfd, file, 0);
}

/* Remove what runtimes killed with SIGKILL left. Best effort. */
static void sweep(const struct state *s)
{
	int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd == -1 ? NULL : fdopendir(fd);
	struct dirent *de;

	if (!d) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			sweep_temp(s, de->d_name);
		else if (len > 6 && strcmp(de->d_name + len - 6, ".state") == 0)
			sweep_record(s, de->d_name);
	}
	closedir(d);
}

/* link(2) TMP to NAME.state, which never replaces: a stale record in the
 * way is removed first, a live one means the name is taken. Under the
 * directory's lock. */
static int publish(const struct state *s, const char *tmp, const char *name,
		   struct err *e)
{
	struct record r;
	bool stale, foreign;

	for (int tries = 0; tries < 3; tries++) {
		if (linkat(s->dirfd, tmp, s->dirfd, s->file, 0) == 0)
			return 0;
		if (errno != EEXIST)
			return fail(e, "link", s->file);
		if (state_read(s, name, &r, e) == -1) {
			if (e->errnum == ENOENT)
				continue; /* its owner removed it: try again */
			return -1;
		}
		stale = record_stale(&r);
		foreign = record_foreign(&r);
		record_free(&r);
		if (!stale && foreign)
			return refuse(e, "--name", name,
				      "a runtime of another PID namespace "
				      "has this name; if it is gone, remove "
				      "%s/%s",
				      s->dir, s->file);
		if (!stale)
			return refuse(e, "--name", name,
				      "a running container has this name");
		if (unlinkat(s->dirfd, s->file, 0) == -1 && errno != ENOENT)
			return fail(e, "remove the stale record", s->file);
	}
	return fail_errno(e, EAGAIN, "--name", name);
}

int state_reserve(struct state *s, const char *name, struct err *e)
{
	char tmp[96], *text;
	struct stat st = {0};
	size_t len;
	int rc = -1;

	if (record_file(name, s->file, e) == -1 ||
	    temp_file(s->file, tmp, e) == -1)
		return -1;
	text = record_text(0, NULL, NULL, NULL, &len);
	if (!text)
		return fail(e, "format the record", s->file);
	/* One start at a time in the directory: the sweep, or a check that a
	 * record is stale, must not remove what another start just
	 * published. flock(2) goes with the descriptor: a killed runtime
	 * holds it no more. Only we (and root) can open the directory. */
	if (flock(s->dirfd, LOCK_EX) == -1) {
		fail(e, "flock", s->dir);
		goto out;
	}
	sweep(s);
	if (write_temp(s->dirfd, tmp, 0600, text, len, &st, e) == 0) {
		rc = publish(s, tmp, name, e);
		unlinkat(s->dirfd, tmp, 0);
	}
	flock(s->dirfd, LOCK_UN);
	if (rc == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
out:
	free(text);
	return rc;
}

int state_commit(struct state *s, pid_t pid, char *const argv[],
		 char *const envp[], struct err *e)
{
	char tmp[96], *text;
	struct stat st = {0};
	size_t len;
	int rc = -1;

	if (temp_file(s->file, tmp, e) == -1)
		return -1;
	text = record_text(pid, argv, envp, s->seccomp, &len);
	if (!text)
		return fail(e, "format the record", s->file);
	if (write_temp(s->dirfd, tmp, 0600, text, len, &st, e) == 0) {
		if (renameat(s->dirfd, tmp, s->dirfd, s->file) == 0) {
			s->dev = st.st_dev;
			s->ino = st.st_ino;
			rc = 0;
		} else {
			fail(e, "rename", s->file);
			unlinkat(s->dirfd, tmp, 0);
		}
	}
	free(text);
	return rc;
}

/* Is DIRFD/FILE (not followed) the file DEV/INO? */
static bool same_file(int dirfd, const char *file, dev_t dev, ino_t ino)
{
	struct stat st = {0};

	return fstatat(dirfd, file, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       st.st_dev == dev && st.st_ino == ino;
}

int state_release(struct state *s, struct err *e)
{
	int rc = 0;

	if (s->dirfd < 0)
		return 0;
	if (s->ino && flock(s->dirfd, LOCK_EX) == 0) {
		if (same_file(s->dirfd, s->file, s->dev, s->ino) &&
		    unlinkat(s->dirfd, s->file, 0) == -1)
			rc = fail(e, "remove", s->file);
		flock(s->dirfd, LOCK_UN);
	}
	close(s->dirfd);
	s->dirfd = -1;
	s->ino = 0;
	return rc;
}

int state_remove_stale(const struct state *s, const char *name, struct err *e)
{
	char file[72];
	struct record r;
	int rc = 0;

	if (record_file(name, file, e) == -1)
		return -1;
	if (flock(s->dirfd, LOCK_EX) == -1)
		return fail(e, "flock", s->dir);
	/* read again under the lock: a start may have replaced it */
	if (state_read(s, name, &r, e) == 0) {
		if (record_stale(&r) && unlinkat(s->dirfd, file, 0) == -1 &&
		    errno != ENOENT)
			rc = fail(e, "remove", file);
		record_free(&r);
	}
	flock(s->dirfd, LOCK_UN);
	return rc;
}

/* ---------------------------------------------------------- --pidfile --- */

/* Refuse an existing FILE, whatever it is: a regular file there may be
 * someone's (rename(2) would replace it, and the exit would remove what
 * replaced it); the runtime writes and removes only a file it made. */
static int pidfile_kind(const struct pidfile *pf, struct err *e)
{
	struct stat st = {0};

	if (fstatat(pf->dirfd, pf->base, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : fail(e, "--pidfile", pf->path);
	if (S_ISREG(st.st_mode))
		return refuse(e, "--pidfile", pf->path,
			      "%s exists; remove it or choose another path",
			      pf->path);
	return refuse(e, "--pidfile", pf->path,
		      "%s is there, not a regular file", kind(st.st_mode));
}

int pidfile_check(struct pidfile *pf, const char *path, struct err *e)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t n = slash ? (size_t)(slash - path) : 0;
	char dir[PATH_MAX] = ".";

	pf->dirfd = -1;
	pf->path = path;
	pf->ino = 0;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
	    strlen(base) >= sizeof(pf->base))
		return refuse(e, "--pidfile", path, "not a file name");
	if (n >= sizeof(dir))
		return fail_errno(e, ENAMETOOLONG, "--pidfile", path);
	if (slash) { /* "/pid": the directory is "/" */
		memcpy(dir, path, n ? n : 1);
		dir[n ? n : 1] = '\0';
	}
	memcpy(pf->base, base, strlen(base) + 1);
	/* Held from now on: a relative FILE stays where the caller meant it,
	 * and what replaces its directory later changes nothing. */
	pf->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pf->dirfd == -1)
		return fail(e, "--pidfile", path);
	return pidfile_kind(pf, e);
}

int pidfile_write(struct pidfile *pf, pid_t pid, struct err *e)
{
	char tmp[48], text[16];
	struct stat st = {0};
	int n;

	if (pf->dirfd < 0)
		return 0;
	n = snprintf(text, sizeof(text), "%d\n", (int)pid);
	if (snprintf(tmp, sizeof(tmp), ".nsworkshop-pidfile.%d",
		     (int)getpid()) >= (int)sizeof(tmp) ||
	    n < 0 || n >= (int)sizeof(text))
		return fail_errno(e, ENAMETOOLONG, "--pidfile", pf->path);
	if (write_temp(pf->dirfd, tmp, 0644, text, (size_t)n, &st, e) == -1)
		return -1;
	/* link(2) never replaces and never writes through a name: whatever
	 * was put there since the start (a file, a link, a FIFO) is refused */
	if (linkat(pf->dirfd, tmp, pf->dirfd, pf->base, 0) == -1) {
		if (errno != EEXIST || pidfile_kind(pf, e) == 0)
			fail(e, "link", pf->path);
		unlinkat(pf->dirfd, tmp, 0);
		return -1;
	}
	unlinkat(pf->dirfd, tmp, 0);
	pf->dev = st.st_dev;
	pf->ino = st.st_ino;
	return 0;
}

int pidfile_release(struct pidfile *pf, struct err *e)
{
	int rc = 0;

	if (pf->dirfd < 0)
		return 0;
	/* only the file we wrote: not one that replaced it since */
	if (pf->ino && same_file(pf->dirfd, pf->base, pf->dev, pf->ino) &&
	    unlinkat(pf->dirfd, pf->base, 0) == -1 && errno != ENOENT)
		rc = fail(e, "remove", pf->path);
	close(pf->dirfd);
	pf->dirfd = -1;
	return rc;
}
