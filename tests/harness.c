/* The test harness; see harness.h. */
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXEC_FAILED 254

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Process groups started by this test, killed when the worker exits even
 * after a failed assertion (which leaves the test body early). */
static pid_t started[64];
static int nstarted;

/* Temporary directories of this test, removed at exit likewise. */
static char *made_dirs[8];
static int nmade;

__attribute__((destructor)) static void kill_started(void)
{
	for (int i = 0; i < nstarted; i++)
		if (started[i] > 0)
			kill(-started[i], SIGKILL);
	for (int i = 0; i < nmade; i++) {
		char *cmd = NULL;

		if (made_dirs[i] &&
		    asprintf(&cmd, "rm -rf '%s'", made_dirs[i]) > 0 &&
		    system(cmd) != 0)
			fprintf(stderr, "harness: %s failed\n", cmd);
		free(cmd);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	cr_assert_not_null(s, "out of memory");
	return s;
}

static const char *steps_dir(void)
{
	const char *d = getenv("STEPS_DIR");

	return d && *d ? d : ".";
}

char *step_path(const char *name)
{
	char *p = xasprintf("%s/%s", steps_dir(), name);
	char *real = realpath(p, NULL);

	if (real) {
		free(p);
		return real;
	}
	return p;
}

bool have_step(const char *name)
{
	char *p = step_path(name);
	bool ok = access(p, X_OK) == 0;

	free(p);
	return ok;
}

static void child_exec(const struct run_opts *o, const char *path,
		       char *const argv[], int in, int out, int err)
{
	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		_exit(EXEC_FAILED);
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(err, 2) == -1)
		_exit(EXEC_FAILED);
	/* Criterion's worker leaves descriptors open: only ours pass on. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1 && errno != EINVAL &&
	    errno != ENOSYS)
		_exit(EXEC_FAILED);
	for (const int *fd = o->keep_fds; fd && *fd >= 0; fd++)
		fcntl(*fd, F_SETFD, 0);
	if (o->dir && chdir(o->dir) == -1)
		_exit(EXEC_FAILED);
	if (o->uid) {
		gid_t gid = o->gid ? o->gid : o->uid;

		if (setgroups(0, NULL) == -1 || setresgid(gid, gid, gid) ||
		    setresuid(o->uid, o->uid, o->uid))
			_exit(EXEC_FAILED);
	}
	execv(path, argv);
	dprintf(2, "harness: exec %s: %s\n", path, strerror(errno));
	_exit(EXEC_FAILED);
}

struct proc *proc_start(const struct run_opts *o, const char *name,
			char *const argv[])
{
	static const struct run_opts none;
	struct proc *p = calloc(1, sizeof(*p));
	int in[2], out[2], err[2];
	char *path = name[0] == '/' ? strdup(name) : step_path(name);
	size_t n = 0;

	if (!o)
		o = &none;
	cr_assert(p && path);
	while (argv[n])
		n++;
	char **args = calloc(n + 2, sizeof(char *));
	args[0] = path;
	for (size_t i = 1; i < n; i++)
		args[i] = argv[i];
	cr_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 &&
		  pipe2(err, O_CLOEXEC) == 0);
	if (!o->keep_stdin) {
		close(in[0]);
		in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	p->deadline = now() + (o->timeout > 0 ? o->timeout : 20);
	p->pid = fork();
	cr_assert(p->pid != -1, "fork: %s", strerror(errno));
	if (p->pid == 0)
		child_exec(o, path, args, in[0], out[1], err[1]);
	setpgid(p->pid, p->pid);
	if (nstarted < 64)
		started[nstarted++] = p->pid;
	close(in[0]);
	close(out[1]);
	close(err[1]);
	p->in_fd = o->keep_stdin ? in[1] : (close(in[1]), -1);
	p->out_fd = out[0];
	p->err_fd = err[0];
	p->out = calloc(1, 1);
	p->err = calloc(1, 1);
	p->status = -1;
	free(args);
	free(path);
	return p;
}

static void append(char **buf, size_t *len, const char *data, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	cr_assert_not_null(*buf);
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* Read what is available on stdout/stderr, waiting at most until the
 * deadline. Returns false when both are at EOF or the deadline passed. */
static bool pump(struct proc *p)
{
	struct pollfd fds[2] = {{p->out_fd, POLLIN, 0}, {p->err_fd, POLLIN, 0}};
	double left = p->deadline - now();
	char buf[4096];

	if (p->out_fd < 0 && p->err_fd < 0)
		return false;
	if (left <= 0)
		return false;
	if (poll(fds, 2, (int)(left * 1000) + 1) <= 0)
		return true;
	for (int i = 0; i < 2; i++) {
		int *fd = i == 0 ? &p->out_fd : &p->err_fd;

		if (*fd < 0 || !fds[i].revents)
			continue;
		ssize_t r = read(*fd, buf, sizeof(buf));
		if (r > 0)
			append(i == 0 ? &p->out : &p->err,
			       i == 0 ? &p->out_len : &p->err_len, buf,
			       (size_t)r);
		else if (r == 0 || errno != EINTR) {
			close(*fd);
			*fd = -1;
		}
	}
	return true;
}

pid_t proc_child(struct proc *p)
{
	for (;;) {
		const char *m = strstr(p->err, ": child PID on host: ");

		if (m && strchr(m, '\n')) {
			p->child =
			    (pid_t)atoi(m + strlen(": child PID on host: "));
			return p->child;
		}
		if (!pump(p))
			return -1;
	}
}

bool proc_wait_out(struct proc *p, const char *needle)
{
	while (!strstr(p->out, needle))
		if (!pump(p))
			return false;
	return true;
}

void proc_write(struct proc *p, const char *s)
{
	if (p->in_fd >= 0 && write(p->in_fd, s, strlen(s)) < 0)
		cr_log_warn("write to stdin: %s", strerror(errno));
}

int proc_finish(struct proc *p)
{
	int st;

	if (p->in_fd >= 0) {
		close(p->in_fd);
		p->in_fd = -1;
	}
	while (pump(p))
		;
	for (;;) {
		pid_t r = waitpid(p->pid, &st, WNOHANG);

		if (r == p->pid)
			break;
		if (r == -1 && errno != EINTR) {
			return p->status; /* already reaped */
		}
		if (now() > p->deadline) {
			cr_log_error("timeout: killing process group %d",
				     (int)p->pid);
			kill(-p->pid, SIGKILL);
			waitpid(p->pid, &st, 0);
			p->status = -1;
			return -1;
		}
		usleep(5000);
	}
	p->status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
	/* A short read may have stopped at the deadline: take the rest. */
	while (pump(p) && now() < p->deadline)
		;
	return p->status;
}

void proc_kill(struct proc *p, int sig)
{
	kill(p->pid, sig);
}

void proc_free(struct proc *p)
{
	if (!p)
		return;
	kill(-p->pid, SIGKILL);
	if (p->status == -1)
		waitpid(p->pid, NULL, WNOHANG);
	for (int i = 0; i < nstarted; i++)
		if (started[i] == p->pid)
			started[i] = 0;
	if (p->in_fd >= 0)
		close(p->in_fd);
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	free(p->out);
	free(p->err);
	free(p);
}

struct proc *runv(const struct run_opts *o, const char *name,
		  char *const argv[])
{
	struct proc *p = proc_start(o, name, argv);

	proc_finish(p);
	cr_log_info("%s: status %d\n--- stdout ---\n%s--- stderr ---\n%s", name,
		    p->status, p->out, p->err);
	/* the container's host PID, when the runtime printed it */
	const char *m = strstr(p->err, ": child PID on host: ");
	if (m)
		p->child = (pid_t)atoi(m + strlen(": child PID on host: "));
	return p;
}

struct proc *run(const struct run_opts *o, const char *name, ...)
{
	char *argv[64] = {(char *)name};
	va_list ap;
	int n = 1;

	va_start(ap, name);
	while (n < 63 && (argv[n] = va_arg(ap, char *)))
		n++;
	argv[n] = NULL;
	va_end(ap);
	return runv(o, name, argv);
}

/* ------------------------------------------------------- host facts --- */

unsigned long ns_inode(pid_t pid, const char *ns)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	return stat(path, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

char *ns_link(const char *ns)
{
	return xasprintf("%s:[%lu]", ns, ns_inode(0, ns));
}

char *guard(const char *ns)
{
	char *link = ns_link(ns);
	char *g = xasprintf("[ \"$(readlink /proc/self/ns/%s)\" != '%s' ] || "
			    "exit 99; ",
			    ns, link);

	free(link);
	return g;
}

char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	char chunk[4096];
	size_t r;
	buf = calloc(1, 1);
	while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0)
		append(&buf, &len, chunk, r);
	fclose(f);
	return buf;
}

int nspid(pid_t pid, pid_t *ids, int max)
{
	char path[64];
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	char *s = read_text(path);
	if (!s)
		return 0;
	char *line = strstr(s, "\nNSpid:");
	if (line) {
		char *p = line + strlen("\nNSpid:");
		while (n < max) {
			char *end;
			long v = strtol(p, &end, 10);
			if (end == p)
				break;
			ids[n++] = (pid_t)v;
			p = end;
		}
	}
	free(s);
	return n;
}

char *mountinfo(void)
{
	return read_text("/proc/self/mountinfo");
}

bool link_exists(const char *ifname)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/net/%s", ifname);
	return access(path, F_OK) == 0;
}

bool pid_alive(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	char *s = read_text(path);
	if (!s)
		return false;
	/* field 3, after "pid (comm) " */
	char *r = strrchr(s, ')');
	bool alive = r && r[1] == ' ' && r[2] != 'Z' && r[2] != 'X';
	free(s);
	return alive;
}

bool wait_gone(pid_t pid, double seconds)
{
	double end = now() + seconds;

	while (pid_alive(pid)) {
		if (now() > end)
			return false;
		usleep(10000);
	}
	return true;
}

void rm_rf(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);

	if (system(cmd) != 0)
		cr_log_warn("%s failed", cmd);
	free(cmd);
}

/* Can every uid search DIR and each directory above it? */
static bool searchable_by_all(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return false;
	for (char *slash = path + strlen(path); slash;) {
		if (stat(path[0] ? path : "/", &st) == -1 ||
		    !(st.st_mode & S_IXOTH))
			return false;
		slash = strrchr(path, '/');
		if (slash)
			*slash = '\0';
	}
	return true;
}

/*
 * Where uid 65534 may execute a copy of a step: $TMPDIR, /tmp, /var/tmp or
 * /dev/shm, the first not mounted noexec (hardened machines mount /tmp so)
 * and open to every uid. None: skip, naming them.
 */
static const char *exec_tmpdir(void)
{
	const char *tmpdir = getenv("TMPDIR");
	const char *dirs[] = {tmpdir && tmpdir[0] == '/' ? tmpdir : "/tmp",
			      "/tmp", "/var/tmp", "/dev/shm"};
	struct statvfs sv;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (statvfs(dirs[i], &sv) == 0 && !(sv.f_flag & ST_NOEXEC) &&
		    searchable_by_all(dirs[i]))
			return dirs[i];
	skip_env("uid 65534 may execute in none of $TMPDIR, /tmp, /var/tmp, "
		 "/dev/shm (mounted noexec, or closed to it)");
	return NULL;
}

char *rootless_copy(const char *name)
{
	char *tmpl = xasprintf("%s/nsw-test-XXXXXX", exec_tmpdir());
	char *dir = mkdtemp(tmpl);

	cr_assert_not_null(dir, "mkdtemp %s: %s", tmpl, strerror(errno));
	chmod(dir, 0755);
	char *bin = step_path(name);
	char *root = step_path("rootfs");
	char *cmd = xasprintf("cp '%s' '%s/' && cp -a '%s' '%s/rootfs'", bin,
			      dir, root, dir);
	if (nmade < 8)
		made_dirs[nmade++] = strdup(dir);
	cr_assert_eq(system(cmd), 0, "%s failed", cmd);
	free(cmd);
	free(bin);
	free(root);
	return dir;
}

char *helper_path(const char *name)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	cr_assert_gt(n, 0, "readlink /proc/self/exe: %s", strerror(errno));
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	char *path = xasprintf("%s/helpers/%s", exe, name);

	cr_assert_eq(access(path, X_OK), 0, "%s: %s (make test-build)", path,
		     strerror(errno));
	return path;
}

char *copy_with_helper(const char *name, const char *helper)
{
	char *dir = rootless_copy(name);
	char *src = helper_path(helper);
	char *cmd = xasprintf("cp '%s' '%s/rootfs/'", src, dir);

	cr_assert_eq(system(cmd), 0, "%s failed", cmd);
	free(cmd);
	free(src);
	return dir;
}

void skip_because(const char *why)
{
	const char *must = getenv("MUST_WORK");

	if (must && strcmp(must, "1") == 0)
		cr_assert_fail("%s (MUST_WORK=1 makes every skip a failure)",
			       why);
	cr_skip_test("%s", why);
}

void skip_env(const char *why)
{
	cr_skip_test("%s", why);
}

void need_root(void)
{
	if (geteuid() != 0)
		skip_because("needs root: run it with sudo make test");
}
