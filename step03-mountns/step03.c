/*
 * step03 — CLONE_NEWNS: a root filesystem of the container's own.
 *
 * What this step teaches
 *   The container gets its own mount table (a mount namespace), a root
 *   filesystem made from busybox, and its own /proc, so `ps` finally lists
 *   only the container's processes:
 *
 *     sudo ./step03 -- ps                       # PID 1 and ps, nothing else
 *
 *   It adds to step02:
 *   - CLONE_NEWNS, and first of all `/` made MS_REC|MS_PRIVATE inside it:
 *     on systemd hosts `/` is shared, so without this every mount below
 *     would propagate to the host (mount_namespaces(7));
 *   - --rootfs DIR (default: rootfs beside the binary), bind-mounted onto
 *     itself so that it is a mount point, then pivot_root(2) into it and the
 *     old root detached, so no host path stays reachable — unlike chroot(2);
 *   - a fresh /proc, a read-only /sys, /tmp on tmpfs, and a small /dev:
 *     tmpfs with null, zero, full, random, urandom, tty, a new devpts
 *     instance on /dev/pts and a tmpfs on /dev/shm;
 *   - mount targets that are symlinks are refused: a rootfs must not be
 *     able to redirect a mount onto the host (CVE-2019-19921, CVE-2021-30465).
 *
 * Read: mount_namespaces(7), mount(2), pivot_root(2), umount2(2), proc(5).
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
#include "rootfs.h"
#include "syscalls.h"

#define PROG	   "step03"
#define STACK_SIZE (1024 * 1024)
#define DEFAULT_PATH                                                           \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

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
/* step03 { add CLONE_NEWNS: the child gets a copy of our mount table, its
 * own from then on */
#define CLONE_FLAGS (CLONE_NEWNS | CLONE_NEWPID)
/* } step03, skeleton: #define CLONE_FLAGS CLONE_NEWPID */

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
	const char *rootfs_arg; /* --rootfs, NULL for the default */
	char rootfs[PATH_MAX];	/* ... resolved by resolve_rootfs() */
};

static char *default_argv[] = {"/bin/sh", NULL};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " [OPTION]... [--] [COMMAND [ARG]...]\n"
		"Run COMMAND (default /bin/sh) as PID 1 of new PID and mount "
		"namespaces,\n"
		"in its own root filesystem.\n"
		"\n"
		"  -r, --rootfs DIR  the container's root filesystem (default: "
		"rootfs\n"
		"                    beside the " PROG " binary)\n"
		"  -q, --quiet     do not print the child's host PID\n"
		"  -v, --verbose   trace each system call and print the "
		"namespace table\n"
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
	case 'r':
		cfg->rootfs_arg = optarg;
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
	    {"rootfs", required_argument, NULL, 'r'},
	    {"verbose", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	int c, rc = 0;

	/* The leading '+' stops at the first non-option: COMMAND's own
	 * options (`step03 ls -l`) are not ours to parse. The ':' makes a
	 * missing argument return ':' and opterr = 0 lets us word the error. */
	opterr = 0;
	while (rc == 0 &&
	       (c = getopt_long(argc, argv, "+:hqr:v", longopts, NULL)) != -1)
		rc = set_option(cfg, c, argv, e);
	if (rc != 0)
		return rc;
	cfg->argv = optind < argc ? argv + optind : default_argv;
	return resolve_rootfs(cfg->rootfs_arg, cfg->rootfs, e);
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
 * Build the container's filesystem and move into it (rootfs.c): a private
 * mount table, the rootfs as a mount point, its filesystems and devices,
 * then pivot_root.
 */
static int setup_rootfs(const struct config *cfg, struct err *e)
{
	if (enter_rootfs(cfg->rootfs, e) == -1 || mount_filesystems(e) == -1 ||
	    make_devices(e) == -1)
		return -1;
	return pivot_into(e);
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

	if (wait_for_go(cfg, &go, sizeof(go), &e) == -1 ||
	    setup_rootfs(cfg, &e) == -1) {
		report(&e);
		return EXIT_RUNTIME;
	}
	/* The host's PATH means nothing in the rootfs (and may name
	 * directories we cannot search): use Docker's default. */
	setenv("PATH", DEFAULT_PATH, 1);
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
	if (e->errnum == EPERM)
		e->hint = "creating a namespace needs root: run with sudo, or "
			  "see step06 for user namespaces";
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
	 * CLONE_NEWPID: the child is PID 1 of a new PID namespace.
	 * CLONE_NEWNS: it starts with a copy of our mount table. */
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

	if (snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, ns) >=
	    (int)sizeof(path))
		return 0;
	return stat(path, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

static void print_ns_table(pid_t child)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)child); /* an int fits */
	msg("%-9s %-12s %-12s", "namespace", "host", "container");
	for (size_t i = 0; i < ARRAY_SIZE(ns_types); i++) {
		unsigned long host = ns_inode("self", ns_types[i].file);
		unsigned long cont = ns_inode(pid, ns_types[i].file);

		msg("%-9s %-12lu %-12lu %s", ns_types[i].file, host, cont,
		    host == cont ? "same" : "NEW");
	}
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
