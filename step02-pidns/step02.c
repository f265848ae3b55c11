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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "syscalls.h"

#define PROG	   "step02"
#define STACK_SIZE (1024 * 1024)

const char prog[] = PROG;

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
#define NS_NAMES_MAX 192 /* every flag_name, joined by " | " */

/* The namespaces this step creates. */
/* step02 { CLONE_NEWPID: the child becomes PID 1 of a new PID namespace */
#define CLONE_FLAGS CLONE_NEWPID
/* } step02, skeleton: #define CLONE_FLAGS 0 */

/* Exit statuses of `docker run`, which every step follows. */
enum {
	EXIT_RUNTIME = 125,	/* the runtime failed before COMMAND ran */
	EXIT_CANNOT_EXEC = 126, /* COMMAND exists but cannot be executed */
	EXIT_NOT_FOUND = 127,	/* COMMAND was not found */
};

struct config {
	char **argv; /* COMMAND and its arguments */
	int quiet;
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

/* A usage error: CALL and the option OPT, and a hint that ends with a
 * pointer to --help. */
static int usage_error(struct err *e, const char *call, const char *opt,
		       const char *hint)
{
	char quoted[64];

	/* A cut option name still says which one it was. */
	snprintf(quoted, sizeof(quoted), "'%s'", opt);
	fail_errno(e, 0, call, quoted);
	e->hint = hint;
	return -1;
}

/* One option: 0 to go on, 1 after --help, -1 on a usage error. */
static int set_option(struct config *cfg, int c, char **argv, struct err *e)
{
	char opt[3] = {'-', (char)optopt, '\0'};

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
	case ':':
		return usage_error(e, "option", argv[optind - 1],
				   "needs an argument (try '" PROG " --help')");
	default:
		/* optopt names a short option, even inside "-qZ" */
		return usage_error(e, "unknown option",
				   optopt ? opt : argv[optind - 1],
				   "try '" PROG " --help'");
	}
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
	 * options (`step02 ls -l`) are not ours to parse. The ':' makes a
	 * missing argument return ':' and opterr = 0 lets us word the error. */
	opterr = 0;
	while (rc == 0 &&
	       (c = getopt_long(argc, argv, "+:hqv", longopts, NULL)) != -1)
		rc = set_option(cfg, c, argv, e);
	cfg->argv = optind < argc ? argv + optind : default_argv;
	return rc;
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
 * Wait for the runtime's "go", SIZE bytes into GO, on the sync pipe. The
 * child dies with the runtime: PR_SET_PDEATHSIG has the kernel send it
 * SIGKILL as soon as the parent exits (prctl(2)).
 */
static int wait_for_go(const struct config *cfg, void *go, size_t size,
		       struct err *e)
{
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
	trace("execvp(%s)", cfg->argv[0]);
	execvp(cfg->argv[0], cfg->argv);
	fail(&e, "execvp", cfg->argv[0]);
	report(&e);
	return exec_status(e.errnum);
}

/* FLAGS as "CLONE_NEWPID | CLONE_NEWNS", in the order of ns_types. */
static void flag_names(int flags, char *buf, size_t size)
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

/* Fill E for a failed clone of the namespaces NAMES (NULL: no stack). */
static int clone_failed(struct err *e, const char *names)
{
	if (!names)
		return fail(e, "mmap", "stack");
	fail(e, "clone", names);
	/* step02 { on EPERM, a hint: creating a namespace needs root (sudo),
	 * or see step06 for user namespaces */
	if (e->errnum == EPERM)
		e->hint = "creating a namespace needs root: run with sudo, or "
			  "see step06 for user namespaces";
	/* } step02 */
	return -1;
}

/* Start the child; returns its PID, or -1 with E filled. */
static pid_t start_child(struct config *cfg, int *go_fd, struct err *e)
{
	char names[NS_NAMES_MAX];
	int *fds = cfg->sync_fd;
	void *stack;
	pid_t pid;

	/* O_CLOEXEC: no descriptor of the runtime survives COMMAND's exec. */
	if (pipe2(fds, O_CLOEXEC) == -1)
		return fail(e, "pipe2", "sync pipe");
	stack = stack_alloc(STACK_SIZE);
	/* SIGCHLD: the signal the kernel sends us when the child ends; with
	 * it, waitpid(2) treats the child like one made by fork(2).
	 * CLONE_NEWPID: the child is PID 1 of a new PID namespace. */
	flag_names(CLONE_FLAGS, names, sizeof(names));
	pid = stack ? clone(child_main, stack, CLONE_FLAGS | SIGCHLD, cfg) : -1;
	if (pid == -1)
		clone_failed(e, stack ? names : NULL);
	trace("clone(%s | SIGCHLD) = %d", names, (int)pid);
	if (pid == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[0]);
	*go_fd = fds[1];
	return pid;
}

/* Wait for the child and turn its wait status into our exit status; -1
 * with E filled if waitpid fails. */
static int wait_child(pid_t pid, struct err *e)
{
	char obj[16];
	int status;

	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			snprintf(obj, sizeof(obj), "%d", (int)pid); /* fits */
			return fail(e, "waitpid", obj);
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
	 * line per ns_types[] entry with our inode ("self"), the child's
	 * inode and "same" or "NEW": msg("%-9s %-12lu %-12lu %s", ...) */
	snprintf(pid, sizeof(pid), "%d", (int)child); /* an int fits */
	msg("%-9s %-12s %-12s", "namespace", "host", "container");
	for (size_t i = 0; i < ARRAY_SIZE(ns_types); i++) {
		unsigned long host = ns_inode("self", ns_types[i].file);
		unsigned long cont = ns_inode(pid, ns_types[i].file);

		msg("%-9s %-12lu %-12lu %s", ns_types[i].file, host, cont,
		    host == cont ? "same" : "NEW");
	}
	/* } step02 */
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
	if (verbose)
		print_ns_table(pid);

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
