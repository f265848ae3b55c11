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
#include <sched.h>
#include <sys/mount.h>
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

/* A step binary: STEPS_DIR/stepNN or a copy of one (rootless tests). */
static bool is_step_binary(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	return strlen(b) == 6 && strncmp(b, "step", 4) == 0 && b[4] >= '0' &&
	       b[4] <= '9' && b[5] >= '0' && b[5] <= '9';
}

static bool grading(void)
{
	const char *g = getenv("GRADE_SANDBOX");

	return g && strcmp(g, "1") == 0;
}

/*
 * Under GRADE_SANDBOX a step binary gets a mount namespace of its own:
 * pivot_root(2) re-roots every process of the caller's namespace whose
 * root is the old one, so a runtime that forgot CLONE_NEWNS would take the
 * suite with it. The forked child is single-threaded (Criterion's worker
 * is not: unshare(2) refuses CLONE_NEWNS in a thread sharing its fs, hence
 * in the child). MS_PRIVATE: its mounts reach neither the suite nor the
 * other tests running beside it. There the directory of GRADE_EVENTS (the
 * grader's reports, the runtime's working directory) is bound read-only:
 * a runtime can neither erase an event nor write a report of its own.
 */
static int grading_namespace(void)
{
	const char *events = getenv("GRADE_EVENTS");
	char dir[PATH_MAX];
	char *slash;

	if (unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return -1;
	if (!events || !*events)
		return 0;
	if (snprintf(dir, sizeof(dir), "%s", events) >= (int)sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	/* mount(2): MS_BIND, then MS_REMOUNT | MS_BIND | MS_RDONLY changes
	 * this mount's flags alone (Linux 2.6.26 and later). */
	if (mount(dir, dir, NULL, MS_BIND, NULL) == -1)
		return -1;
	return mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
}

/*
 * In the forked child, before exec: under GRADE_SANDBOX a step binary's
 * mount namespace (grading_namespace), whose inode goes to the parent on
 * REPORT.
 */
static void child_exec(const struct run_opts *o, const char *path,
		       char *const argv[], int in, int out, int err, int report)
{
	struct stat st;
	unsigned long ino = 0;

	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		_exit(EXEC_FAILED);
	if (grading() && is_step_binary(path) && grading_namespace() == -1) {
		dprintf(2, "harness: a mount namespace for %s: %s\n", path,
			strerror(errno));
		_exit(EXEC_FAILED);
	}
	if (stat("/proc/self/ns/mnt", &st) == 0)
		ino = (unsigned long)st.st_ino;
	if (write(report, &ino, sizeof(ino)) != (ssize_t)sizeof(ino))
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

/* "step03 -q /bin/sh -c 'exit 3'", shortened to fit a message line. */
static char *command_line(const char *path, char *const argv[])
{
	const char *b = strrchr(path, '/');
	char buf[200];
	size_t len;

	snprintf(buf, sizeof(buf), "%s", b ? b + 1 : path);
	for (size_t i = 1; argv[i]; i++) {
		const char *a = argv[i];
		bool quote = !*a || strpbrk(a, " \t$;|&<>()'\"*?") != NULL;

		len = strlen(buf);
		snprintf(buf + len, sizeof(buf) - len, quote ? " '%s'" : " %s",
			 a);
	}
	len = strlen(buf);
	if (len == sizeof(buf) - 1)
		memcpy(buf + len - 3, "...", 4); /* with its NUL */
	return strdup(buf);
}

/* One line "KIND\tSUITE::TEST\tDETAIL" on $GRADE_EVENTS, in one write. */
static void grade_event(const char *kind, const char *detail)
{
	const char *file = getenv("GRADE_EVENTS");
	char line[512];
	int fd, n;

	if (!file || !*file)
		return;
	n = snprintf(
	    line, sizeof(line), "%s\t%s::%s\t%s\n", kind,
	    criterion_current_test ? criterion_current_test->category : "?",
	    criterion_current_test ? criterion_current_test->name : "?",
	    detail);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	for (int i = 0; i < n - 1; i++)
		if ((unsigned char)line[i] < ' ' && line[i] != '\t')
			line[i] = '?';
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1)
		return;
	if (write(fd, line, (size_t)n) != n)
		cr_log_info("%s: a short write", file);
	close(fd);
}

/*
 * Did the step binary become another program? A submission that execs a
 * build of the step it did not write (a reference, a copy it carries)
 * would pass for it. /proc/PID/exe names the file the process runs, in
 * whatever mount namespace: compare device and inode with what we
 * started. Only while PID is ours (not yet reaped), so never a reused PID.
 */
static void check_exe(struct proc *p)
{
	char link[64], real[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (!p->checked_exe || p->foreign_exe || p->pid <= 0)
		return;
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)p->pid);
	if (stat(link, &st) == -1) /* a zombie has no exe */
		return;
	if ((unsigned long)st.st_dev == p->exe_dev &&
	    (unsigned long)st.st_ino == p->exe_ino)
		return;
	n = readlink(link, real, sizeof(real) - 1);
	real[n > 0 ? n : 0] = '\0';
	p->foreign_exe = strdup(n > 0 ? real : "(unknown)");
	grade_event("exe", p->foreign_exe);
	cr_expect_fail("%s became another program, %s: only the binary built "
		       "from the submission may run",
		       p->cmdline, p->foreign_exe);
}

struct proc *proc_start(const struct run_opts *o, const char *name,
			char *const argv[])
{
	static const struct run_opts none;
	struct proc *p = calloc(1, sizeof(*p));
	int in[2], out[2], err[2], report[2];
	char *path = name[0] == '/' ? strdup(name) : step_path(name);
	const char *cap = getenv("GRADE_RUN_TIMEOUT");
	struct stat st;
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
		  pipe2(err, O_CLOEXEC) == 0 && pipe2(report, O_CLOEXEC) == 0);
	p->cmdline = command_line(path, args);
	if (is_step_binary(path) && stat(path, &st) == 0) {
		p->checked_exe = true;
		p->exe_dev = (unsigned long)st.st_dev;
		p->exe_ino = (unsigned long)st.st_ino;
	}
	if (!o->keep_stdin) {
		close(in[0]);
		in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	p->timeout = o->timeout > 0 ? o->timeout : 20;
	if (cap && atof(cap) > 0 && atof(cap) < p->timeout)
		p->timeout = atof(cap);
	p->deadline = now() + p->timeout;
	p->pid = fork();
	cr_assert(p->pid != -1, "fork: %s", strerror(errno));
	if (p->pid == 0)
		child_exec(o, path, args, in[0], out[1], err[1], report[1]);
	setpgid(p->pid, p->pid);
	/* The child's mount namespace, then EOF: it has exec'd (the report
	 * pipe is O_CLOEXEC) or died; from here on its exe is what it runs. */
	close(report[1]);
	if (read(report[0], &p->mnt_ns, sizeof(p->mnt_ns)) !=
	    (ssize_t)sizeof(p->mnt_ns))
		p->mnt_ns = ns_inode(0, "mnt");
	char c;
	while (read(report[0], &c, 1) > 0 || errno == EINTR)
		;
	close(report[0]);
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
	check_exe(p);
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

/*
 * A program that exited before reading its stdin makes write(2) raise
 * SIGPIPE (pipe(7)), which would end the test as a crash and hide the
 * program's status: SIGPIPE is blocked around the write, and the one it
 * raised taken, so that the write fails with EPIPE instead.
 */
void proc_write(struct proc *p, const char *s)
{
	static const struct timespec now = {0, 0};
	sigset_t pipe_set, old;
	ssize_t n;
	int err;

	if (p->in_fd < 0)
		return;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	n = write(p->in_fd, s, strlen(s));
	err = errno;
	if (n < 0 && err == EPIPE)
		sigtimedwait(&pipe_set, NULL, &now);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (n < 0 && err != EPIPE)
		cr_log_info("write to stdin: %s", strerror(err));
}

/* A signal that means the program itself is broken, not that it was told
 * to stop. */
static bool crash_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	       sig == SIGFPE || sig == SIGABRT || sig == SIGSYS ||
	       sig == SIGTRAP;
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
		check_exe(p);
		pid_t r = waitpid(p->pid, &st, WNOHANG);

		if (r == p->pid)
			break;
		if (r == -1 && errno != EINTR) {
			p->checked_exe = false;
			return p->status; /* already reaped */
		}
		if (now() > p->deadline) {
			cr_log_error("timeout: killing process group %d",
				     (int)p->pid);
			kill(-p->pid, SIGKILL);
			waitpid(p->pid, &st, 0);
			p->checked_exe = false; /* reaped: the PID is free */
			p->status = -1;
			grade_event("timeout", p->cmdline);
			return -1;
		}
		usleep(5000);
	}
	p->checked_exe = false; /* reaped: the PID is free */
	p->status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
	p->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	if (crash_signal(p->signal) && p->signal != p->sent) {
		char *what = xasprintf("%s: %s", p->cmdline, status_text(p));

		grade_event("crash", what);
		free(what);
	}
	/* A short read may have stopped at the deadline: take the rest. */
	while (pump(p) && now() < p->deadline)
		;
	return p->status;
}

void proc_kill(struct proc *p, int sig)
{
	check_exe(p);
	p->sent = sig;
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
	free(p->cmdline);
	free(p->foreign_exe);
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

/* ------------------------------------------------- status messages --- */

static const char *signame(int sig, char *buf, size_t n)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, n, "SIG%s", abbrev);
	else
		snprintf(buf, n, "signal %d", sig);
	return buf;
}

/* What an exit status means by docker run's rules (README.md), or "". */
static const char *exit_meaning(int status, char *buf, size_t n)
{
	char sig[32];

	if (status == 125)
		return "the runtime failed before COMMAND ran";
	if (status == 126)
		return "COMMAND could not be executed";
	if (status == 127)
		return "COMMAND was not found";
	if (status == 99)
		return "a test's guard: not in a new namespace";
	if (status > 128 && status < 128 + 65) {
		snprintf(buf, n, "COMMAND died of %s",
			 signame(status - 128, sig, sizeof(sig)));
		return buf;
	}
	return "";
}

static void describe_exit(int status, char *buf, size_t n)
{
	char why[64];
	const char *m = exit_meaning(status, why, sizeof(why));

	if (*m)
		snprintf(buf, n, "exit %d (%s)", status, m);
	else
		snprintf(buf, n, "exit %d", status);
}

const char *status_text(const struct proc *p)
{
	static char buf[160];
	char sig[32];

	if (p->status == -1) {
		snprintf(buf, sizeof(buf), "timed out after %g s (killed)",
			 p->timeout);
	} else if (p->signal) {
		const char *who = p->signal == p->sent ? "sent by the test"
				  : crash_signal(p->signal)
				      ? "the runtime crashed"
				      : "the runtime itself";
		snprintf(buf, sizeof(buf), "killed by %s (%s)",
			 signame(p->signal, sig, sizeof(sig)), who);
	} else {
		describe_exit(p->status, buf, sizeof(buf));
	}
	return buf;
}

bool proc_status_is(const struct proc *p, int want)
{
	return p && p->status == want;
}

/* Append the last MAX lines of TEXT to BUF, each as "  | line". */
static void tail_lines(char *buf, size_t n, const char *text, int max)
{
	const char *start = text + strlen(text);
	int lines = 0;

	while (start > text && start[-1] == '\n')
		start--;
	const char *end = start;
	while (start > text && lines < max) {
		start--;
		if (start > text && start[-1] == '\n')
			lines++;
	}
	if (start > text)
		strncat(buf, "\n  (stderr, last lines:)", n - strlen(buf) - 1);
	else
		strncat(buf, "\n  (stderr:)", n - strlen(buf) - 1);
	for (const char *l = start; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t len = (size_t)((nl ? nl : end) - l);
		size_t used = strlen(buf);

		if (len > 160)
			len = 160;
		snprintf(buf + used, n - used, "\n  | %.*s", (int)len, l);
		l = nl ? nl + 1 : end;
	}
}

const char *status_message(const struct proc *p, int want, const char *fmt, ...)
{
	static char buf[2048];
	char what[256] = "", expected[96];
	va_list ap;

	if (!p)
		return "no process";
	va_start(ap, fmt); /* " " and the test's text (see harness.h) */
	vsnprintf(what, sizeof(what), fmt + (*fmt == ' '), ap);
	va_end(ap);
	describe_exit(want, expected, sizeof(expected));
	snprintf(buf, sizeof(buf), "%s%s`%s`: expected %s, got %s", what,
		 *what ? ": " : "", p->cmdline ? p->cmdline : "?", expected,
		 status_text(p));
	if (p->foreign_exe) {
		size_t used = strlen(buf);

		snprintf(buf + used, sizeof(buf) - used,
			 "\n  (it ran %s, not the build under test)",
			 p->foreign_exe);
	}
	if (p->err && *p->err)
		tail_lines(buf, sizeof(buf), p->err, 4);
	else
		strncat(buf, "\n  (stderr empty)",
			sizeof(buf) - strlen(buf) - 1);
	/* Control characters would garble the report: '?' as msg() does. */
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < ' ' && *c != '\n')
			*c = '?';
	return buf;
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
		cr_log_info("%s failed", cmd);
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
