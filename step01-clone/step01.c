/*
 * step01 — clone(2): the system call every container starts with.
 *
 * What this step teaches
 *   A container is, first of all, an ordinary process. This program starts
 *   one with clone(2) — the general form of fork(2) that later steps will
 *   hand namespace flags to — runs COMMAND in it, waits for it and passes
 *   its exit status on, exactly as `docker run` does:
 *
 *     sudo ./step01 -- /bin/sh -c 'echo hello; exit 7'; echo $?   # 7
 *
 *   It adds, on top of an empty main():
 *   - a stack for the child, mmap'd with a guard page, whose *top* is passed
 *     to clone because the stack grows down on every architecture we run on;
 *   - SIGCHLD as the termination signal, so waitpid(2) works as for fork;
 *   - a pipe on which the child waits until the parent says "go", and
 *     PR_SET_PDEATHSIG, so the child never outlives its runtime;
 *   - execvp(3) of COMMAND and Docker's exit statuses: COMMAND's own, 128+N
 *     for signal N, 125 when the runtime fails, 126/127 for exec failures.
 *
 * Read: clone(2), execve(2), waitpid(2), prctl(2) PR_SET_PDEATHSIG, mmap(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "proc.h"

#define PROG	   "step01"
#define STACK_SIZE (1024 * 1024)

const char prog[] = PROG;

struct config {
	char **argv; /* COMMAND and its arguments */
	int quiet;
	int sync_fd[2]; /* the child reads "go" from [0]; we write to [1] */
};

static char *default_argv[] = {"/bin/sh", NULL};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " [OPTION]... [--] [COMMAND [ARG]...]\n"
		"Run COMMAND (default /bin/sh) in a child made with clone(2).\n"
		"\n"
		"  -q, --quiet     do not print the child's host PID\n"
		"  -v, --verbose   trace each system call on stderr\n"
		"  -h, --help      show this help and exit\n"
		"\n"
		"Exit status: COMMAND's own, 128+N if it died of signal N, 125 "
		"if " PROG
		" failed,\n126 if COMMAND cannot be executed, 127 if it was "
		"not found.\n");
}

/* An option getopt refused (C is ':' or '?'): a usage error, with a
 * pointer to --help. */
static int bad_option(int c, char **argv, struct err *e)
{
	/* optopt names a short option, even inside "-qZ" */
	char shortopt[3] = {'-', (char)optopt, '\0'}, opt[64];
	const char *name = c == '?' && optopt ? shortopt : argv[optind - 1];

	/* allow-snprintf: quoted, a cut option name still says which it was */
	snprintf(opt, sizeof(opt), "'%s'", name);
	fail_errno(e, 0, c == ':' ? "option" : "unknown option", opt);
	e->hint = c == ':' ? "needs an argument (try '" PROG " --help')"
			   : "try '" PROG " --help'";
	return -1;
}

/* One option: 0 to go on, 1 after --help, -1 on a usage error. */
static int set_option(struct config *cfg, int c)
{
	switch (c) {
	case 'h':
		usage(stdout);
		return 1;
	case 'q':
		cfg->quiet = 1;
		return 0;
	case 'v':
		verbose = 1;
		return 0;
	}
	return 0;
}

/* Returns 0 to run, 1 after --help, -1 on a usage error (E says which). */
static int parse_args(int argc, char **argv, struct config *cfg, struct err *e)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"verbose", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	int c, rc = 0;

	/* The leading '+' stops at the first non-option: COMMAND's own
	 * options (`step01 ls -l`) are not ours to parse. The ':' makes a
	 * missing argument return ':' and opterr = 0 lets us word the error. */
	opterr = 0;
	while (rc == 0 &&
	       (c = getopt_long(argc, argv, "+:hqv", longopts, NULL)) != -1)
		rc = c == ':' || c == '?' ? bad_option(c, argv, e)
					  : set_option(cfg, c);
	cfg->argv = optind < argc ? argv + optind : default_argv;
	return rc;
}

/*
 * Wait for the runtime's "go", SIZE bytes into GO, on the sync pipe. The
 * child dies with the runtime: PR_SET_PDEATHSIG has the kernel send it
 * SIGKILL as soon as the parent exits (prctl(2)).
 */
static int wait_for_go(const struct config *cfg, void *go, size_t size,
		       struct err *e)
{
	/* step01 { prctl(PR_SET_PDEATHSIG, SIGKILL); close our copy of the
	 * pipe's write end (sync_fd[1]), read SIZE bytes of "go" from
	 * sync_fd[0] (EOF, or a hang-up after it: the runtime died first:
	 * fail_errno(E, 0, ...) that says so), close sync_fd[0] */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return fail(e, "prctl", "PR_SET_PDEATHSIG");
	/* The parent may have died before prctl ran. Once we close our copy
	 * of the write end, EOF instead of "go" tells us; if it died after
	 * writing "go" but before our prctl ran, it hung up. From here on,
	 * PR_SET_PDEATHSIG covers us. */
	close(cfg->sync_fd[1]);
	if (read(cfg->sync_fd[0], go, size) != (ssize_t)size ||
	    runtime_gone(cfg->sync_fd[0]))
		return fail_errno(e, 0,
				  "runtime exited before the container "
				  "started",
				  NULL);
	close(cfg->sync_fd[0]);
	return 0;
	/* } step01, skeleton: return 0; */
}

/*
 * Runs in the child. Without CLONE_VM the child has a copy of the parent's
 * memory, like after fork(2), so it may use cfg and stdio freely.
 */
static int child_main(void *arg)
{
	struct config *cfg = arg;
	struct err e;
	char go;

	if (wait_for_go(cfg, &go, sizeof(go), &e) == -1) {
		report(&e);
		return EXIT_RUNTIME;
	}
	/* step01 { execvp(3) COMMAND (cfg->argv); it returns only on failure:
	 * report() "execvp(COMMAND): <strerror>" and return exec_status() of
	 * its errno
	 * (trace() each call, as -v shows) */
	trace("execvp(%s)", cfg->argv[0]);
	execvp(cfg->argv[0], cfg->argv);
	fail(&e, "execvp", cfg->argv[0]);
	report(&e);
	return exec_status(e.errnum);
	/* } step01, skeleton: return EXIT_RUNTIME; */
}

/* Start the child; returns its PID, or -1 with E filled. */
static pid_t start_child(struct config *cfg, int *go_fd, struct err *e)
{
	int *fds = cfg->sync_fd;
	void *stack;
	pid_t pid;

	/* O_CLOEXEC: no descriptor of the runtime survives COMMAND's exec. */
	if (pipe2(fds, O_CLOEXEC) == -1)
		return fail(e, "pipe2", "sync pipe");
	stack = stack_alloc(STACK_SIZE);
	/* SIGCHLD: the signal the kernel sends us when the child ends; with
	 * it, waitpid(2) treats the child like one made by fork(2). */
	/* step01 { clone(2) child_main on STACK (its top) with SIGCHLD as the
	 * termination signal and cfg as its argument; pid = -1 when there is
	 * no stack */
	pid = stack ? clone(child_main, stack, SIGCHLD, cfg) : -1;
	/* } step01, skeleton: pid = -1, errno = ENOSYS; */
	if (pid == -1)
		fail(e, stack ? "clone" : "mmap", stack ? "SIGCHLD" : "stack");
	trace("clone(SIGCHLD) = %d", (int)pid);
	if (pid == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[0]);
	*go_fd = fds[1];
	return pid;
}

int main(int argc, char **argv)
{
	struct config cfg = {0};
	struct err e;
	pid_t pid;
	int go_fd = -1, rc;

	rc = parse_args(argc, argv, &cfg, &e);
	if (rc == -1)
		report(&e);
	if (rc != 0)
		return rc > 0 ? 0 : EXIT_RUNTIME;
	pid = start_child(&cfg, &go_fd, &e);
	if (pid == -1) {
		report(&e);
		return EXIT_RUNTIME;
	}
	if (!cfg.quiet)
		msg("child PID on host: %d", (int)pid);
	/* A child that died before "go" closes the pipe: EPIPE, not SIGPIPE,
	 * which would kill us before we report its status. */
	signal(SIGPIPE, SIG_IGN);

	/* Let the child go; if this write fails it sees EOF and exits. We
	 * hold our end open while it runs: see runtime_gone(). */
	if (write_all(go_fd, "g", 1) == -1 && errno != EPIPE) {
		fail(&e, "write", "sync pipe");
		report(&e);
	}
	rc = wait_child(pid, &e);
	if (rc == -1) {
		report(&e);
		rc = EXIT_RUNTIME;
	}
	close(go_fd);
	return rc;
}
