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
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG	   "step01"
#define STACK_SIZE (1024 * 1024)

/* Exit statuses of `docker run`, which every step follows. */
enum {
	EXIT_RUNTIME = 125,	/* the runtime failed before COMMAND ran */
	EXIT_CANNOT_EXEC = 126, /* COMMAND exists but cannot be executed */
	EXIT_NOT_FOUND = 127,	/* COMMAND was not found */
};

struct config {
	char **argv; /* COMMAND and its arguments */
	int quiet;
	int verbose;
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

/* Every line the runtime writes goes to stderr: stdout is COMMAND's. */
static void msg(const char *fmt, ...)
{
	char line[PATH_MAX + 1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Arguments are echoed: a newline or an escape sequence in one must
	 * not split the line or reach the terminal. */
	for (char *c = line; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	/* One write(2) per line: the child's and ours never interleave. */
	dprintf(STDERR_FILENO, PROG ": %s\n", line);
}

static int verbose;
#define trace(...)                                                             \
	do {                                                                   \
		if (verbose)                                                   \
			msg(__VA_ARGS__);                                      \
	} while (0)

/* Returns 0 to run, 1 after --help, -1 on a usage error. */
static int parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"verbose", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	/* The leading '+' stops at the first non-option: COMMAND's own
	 * options (`step01 ls -l`) are not ours to parse. The ':' makes a
	 * missing argument return ':' and opterr = 0 lets us word the error. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hqv", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 1;
		case 'q':
			cfg->quiet = 1;
			break;
		case 'v':
			cfg->verbose = 1;
			break;
		case ':':
			msg("option '%s' needs an argument (try '" PROG
			    " --help')",
			    argv[optind - 1]);
			return -1;
		default:
			/* optopt names a short option, even inside "-qZ" */
			if (optopt)
				msg("unknown option '-%c' (try '" PROG
				    " --help')",
				    optopt);
			else
				msg("unknown option '%s' (try '" PROG
				    " --help')",
				    argv[optind - 1]);
			return -1;
		}
	}
	cfg->argv = optind < argc ? argv + optind : default_argv;
	return 0;
}

/*
 * The child's stack. clone(2) does not allocate one: the caller passes a
 * pointer to the *top* of a memory area, because stacks grow down. The lowest
 * page is made inaccessible so that an overflow faults instead of silently
 * writing over whatever lies below.
 */
static void *stack_alloc(size_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	char *base;

	/* step01 { mmap SIZE bytes PROT_READ|PROT_WRITE, MAP_PRIVATE|
	 * MAP_ANONYMOUS|MAP_STACK; mprotect the lowest page PROT_NONE (a guard
	 * page: an overflow faults); return the TOP, base + size. On failure
	 * return NULL with errno set (munmap first if mprotect failed). */
	base = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	if (mprotect(base, page, PROT_NONE) == -1) {
		int saved = errno;

		munmap(base, size);
		errno = saved;
		return NULL;
	}
	/* mmap returns page-aligned memory, so the top is 16-byte aligned as
	 * the x86-64 and arm64 ABIs require. */
	return base + size;
	/* } step01, skeleton: return NULL; */
}

/* Map an execve errno to Docker's exit status. */
static int exec_status(int err)
{
	/* step01 { ENOENT or ENOTDIR: not found (127); anything else: cannot
	 * execute (126) */
	return err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND
					       : EXIT_CANNOT_EXEC;
	/* } step01, skeleton: return EXIT_RUNTIME; */
}

/*
 * Is the runtime gone? It holds its end of the sync pipe open for as long
 * as the container runs, so once it has exited poll(2) reports a hang-up.
 */
static int runtime_gone(int fd)
{
	struct pollfd pfd = {fd, POLLIN, 0};

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP);
}

/*
 * Runs in the child. Without CLONE_VM the child has a copy of the parent's
 * memory, like after fork(2), so it may use cfg and stdio freely.
 */
static int child_main(void *arg)
{
	struct config *cfg = arg;
	char go;

	/* step01 { prctl(PR_SET_PDEATHSIG, SIGKILL) so the child dies with the
	 * runtime; close our copy of the pipe's write end (sync_fd[1]), read
	 * the one-byte "go" from sync_fd[0] (EOF: the runtime died first: say
	 * so and return EXIT_RUNTIME), close sync_fd[0] */
	/* Die with the runtime: SIGKILL as soon as the parent exits. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1) {
		msg("prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	/* The parent may have died before prctl ran. Once we close our copy
	 * of the write end, EOF instead of "go" tells us. */
	close(cfg->sync_fd[1]);
	if (read(cfg->sync_fd[0], &go, 1) != 1) {
		msg("runtime exited before the container started");
		return EXIT_RUNTIME;
	}
	/* It may also have died after writing "go" but before our prctl ran:
	 * then it hung up. From here on, PR_SET_PDEATHSIG covers us. */
	if (runtime_gone(cfg->sync_fd[0])) {
		msg("runtime exited before the container started");
		return EXIT_RUNTIME;
	}
	close(cfg->sync_fd[0]);
	/* } step01 */

	/* step01 { execvp(3) COMMAND (cfg->argv); it returns only on failure:
	 * save errno, print "execvp(COMMAND): <strerror>", return
	 * exec_status() of the saved errno */
	trace("execvp(%s)", cfg->argv[0]);
	execvp(cfg->argv[0], cfg->argv);
	int err = errno;

	msg("execvp(%s): %s", cfg->argv[0], strerror(err));
	return exec_status(err);
	/* } step01, skeleton: return EXIT_RUNTIME; */
}

/* Start the child; returns its PID, or -1 with errno set. */
static pid_t start_child(struct config *cfg, int *go_fd)
{
	int *fds = cfg->sync_fd;
	void *stack;
	pid_t pid;

	/* O_CLOEXEC: no descriptor of the runtime survives COMMAND's exec. */
	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	stack = stack_alloc(STACK_SIZE);
	/* SIGCHLD: the signal the kernel sends us when the child ends; with
	 * it, waitpid(2) treats the child like one made by fork(2). */
	/* step01 { clone(2) child_main on STACK (its top) with SIGCHLD as the
	 * termination signal and cfg as its argument; pid = -1 when there is
	 * no stack */
	pid = stack ? clone(child_main, stack, SIGCHLD, cfg) : -1;
	/* } step01, skeleton: pid = -1, errno = ENOSYS; */
	trace("clone(SIGCHLD) = %d", (int)pid);
	if (pid == -1) {
		int saved = errno;

		close(fds[0]);
		close(fds[1]);
		errno = saved;
		return -1;
	}
	close(fds[0]);
	*go_fd = fds[1];
	return pid;
}

/* Wait for the child and turn its wait status into our exit status. */
static int wait_child(pid_t pid)
{
	int status;

	/* step01 { waitpid(2) for PID, again on EINTR (any other error: print
	 * it, return EXIT_RUNTIME); then Docker's status: 128 + N if it was
	 * killed by signal N (WIFSIGNALED, WTERMSIG), else WEXITSTATUS */
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			msg("waitpid(%d): %s", (int)pid, strerror(errno));
			return EXIT_RUNTIME;
		}
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
	/* } step01, skeleton: return EXIT_RUNTIME; */
}

int main(int argc, char **argv)
{
	struct config cfg = {0};
	pid_t pid;
	int go_fd, rc;

	rc = parse_args(argc, argv, &cfg);
	if (rc != 0)
		return rc > 0 ? 0 : EXIT_RUNTIME;
	verbose = cfg.verbose;

	pid = start_child(&cfg, &go_fd);
	if (pid == -1) {
		msg("clone: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	if (!cfg.quiet)
		msg("child PID on host: %d", (int)pid);
	/* A child that died before "go" closes the pipe: EPIPE, not SIGPIPE,
	 * which would kill us before we report its status. */
	signal(SIGPIPE, SIG_IGN);

	/* Let the child go; if this write fails it sees EOF and exits. We
	 * hold our end open while it runs: see runtime_gone(). */
	if (write(go_fd, "g", 1) != 1 && errno != EPIPE)
		msg("write(sync pipe): %s", strerror(errno));
	rc = wait_child(pid);
	close(go_fd);
	return rc;
}
