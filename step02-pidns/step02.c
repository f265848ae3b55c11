/*
 * step02 — CLONE_NEWPID: the command is PID 1 inside, another PID on the host.
 *
 * What this step teaches
 *   A container's shell answers `echo $$` with 1 while the host sees it as,
 *   say, PID 12037. That is a PID namespace: one more flag to clone(2).
 *
 *     sudo ./step02 -- /bin/sh -c 'echo $$'        # prints 1
 *
 *   It adds to step01:
 *   - CLONE_NEWPID: the child is the first process of a new PID namespace,
 *     so it is PID 1 there and PID N on the host (/proc/N/status: NSpid N 1);
 *   - a clear error when clone fails with EPERM (namespaces need
 *     CAP_SYS_ADMIN: run with sudo, or see step06 for user namespaces);
 *   - -v prints the host's and the child's namespaces side by side, as
 *     `ls -l /proc/PID/ns` would show them, marking the new ones.
 *
 *   `ps` inside still lists the host's processes: it reads /proc, and /proc
 *   is still the host's. step03 mounts a /proc of the container's own.
 *
 * Read: pid_namespaces(7), namespaces(7), clone(2), proc(5) (NSpid).
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG	   "step02"
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
	fprintf(
	    out,
	    "usage: " PROG " [OPTION]... [--] [COMMAND [ARG]...]\n"
	    "Run COMMAND (default /bin/sh) as PID 1 of a new PID namespace.\n"
	    "\n"
	    "  -q, --quiet     do not print the child's host PID\n"
	    "  -v, --verbose   trace each system call and print the namespace "
	    "table\n"
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
	 * options (`step02 ls -l`) are not ours to parse. The ':' makes a
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
}

/* Map an execve errno to Docker's exit status. */
static int exec_status(int err)
{
	return err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND
					       : EXIT_CANNOT_EXEC;
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

	trace("execvp(%s)", cfg->argv[0]);
	execvp(cfg->argv[0], cfg->argv);
	int err = errno;

	msg("execvp(%s): %s", cfg->argv[0], strerror(err));
	return exec_status(err);
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
	 * it, waitpid(2) treats the child like one made by fork(2).
	 * CLONE_NEWPID: the child is PID 1 of a new PID namespace. */
	/* step02 { add CLONE_NEWPID to clone's flags: the child becomes
	 * PID 1 of a new PID namespace (and trace the flags you pass) */
	pid =
	    stack ? clone(child_main, stack, CLONE_NEWPID | SIGCHLD, cfg) : -1;
	trace("clone(CLONE_NEWPID | SIGCHLD) = %d", (int)pid);
	/* } step02, skeleton:
	 * pid = stack ? clone(child_main, stack, SIGCHLD, cfg) : -1;
	 * trace("clone(SIGCHLD) = %d", (int)pid);
	 */
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

	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			msg("waitpid(%d): %s", (int)pid, strerror(errno));
			return EXIT_RUNTIME;
		}
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * Each namespace a process belongs to is a file in /proc/PID/ns; two
 * processes share a namespace when those files have the same inode number.
 * This prints the table `ls -l /proc/self/ns /proc/PID/ns` would show.
 */
static const char *const ns_names[] = {"cgroup", "ipc",	 "mnt",	 "net",
				       "pid",	 "time", "user", "uts"};

static unsigned long ns_inode(const char *pid, const char *ns)
{
	char path[64];
	struct stat st;

	/* step02 { stat(2) "/proc/PID/ns/NS" (PID may be "self") and return
	 * its inode number, st_ino; 0 when the path is too long (check
	 * snprintf) or stat fails */
	if (snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, ns) >=
	    (int)sizeof(path))
		return 0;
	return stat(path, &st) == 0 ? (unsigned long)st.st_ino : 0;
	/* } step02, skeleton: return 0; */
}

static void print_ns_table(pid_t child)
{
	char pid[16];

	/* step02 { -v: a header line "namespace host container", then one
	 * line per ns_names[] entry with our inode ("self"), the child's
	 * inode and "same" or "NEW": msg("%-9s %-12lu %-12lu %s", ...) */
	snprintf(pid, sizeof(pid), "%d", (int)child);
	msg("%-9s %-12s %-12s", "namespace", "host", "container");
	for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++) {
		unsigned long host = ns_inode("self", ns_names[i]);
		unsigned long cont = ns_inode(pid, ns_names[i]);

		msg("%-9s %-12lu %-12lu %s", ns_names[i], host, cont,
		    host == cont ? "same" : "NEW");
	}
	/* } step02 */
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
		int err = errno;

		/* step02 { name the call and the flags, say why (strerror); on
		 * EPERM add a hint: creating a namespace needs root (sudo), or
		 * see step06 for user namespaces */
		msg("clone(CLONE_NEWPID): %s%s", strerror(err),
		    err == EPERM
			? " (creating a namespace needs root: run with "
			  "sudo, or see step06 for user namespaces)"
			: "");
		/* } step02, skeleton: msg("clone: %s", strerror(err)); */
		return EXIT_RUNTIME;
	}
	if (!cfg.quiet)
		msg("child PID on host: %d", (int)pid);
	/* A child that died before "go" closes the pipe: EPIPE, not SIGPIPE,
	 * which would kill us before we report its status. */
	signal(SIGPIPE, SIG_IGN);
	if (cfg.verbose)
		print_ns_table(pid);

	/* Let the child go; if this write fails it sees EOF and exits. We
	 * hold our end open while it runs: see runtime_gone(). */
	if (write(go_fd, "g", 1) != 1 && errno != EPIPE)
		msg("write(sync pipe): %s", strerror(errno));
	rc = wait_child(pid);
	close(go_fd);
	return rc;
}
