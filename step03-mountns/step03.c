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
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "ns.h"
#include "proc.h"
#include "rootfs.h"
#include "syscalls.h"

#define PROG	   "step03"
#define STACK_SIZE (1024 * 1024)
#define DEFAULT_PATH                                                           \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const char prog[] = PROG;

/* The namespaces this step creates. */
/* step03 { add CLONE_NEWNS, and do it first: the child gets a copy of our
 * mount table, its own from then on. Until it is here, enter_rootfs() and
 * pivot_into() refuse to run: in our namespace they would mount on the
 * host and make the rootfs the host's own `/` */
#define CLONE_FLAGS (CLONE_NEWNS | CLONE_NEWPID)
/* } step03, skeleton: #define CLONE_FLAGS CLONE_NEWPID */

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
	case 'r':
		cfg->rootfs_arg = optarg;
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
		rc = c == ':' || c == '?' ? bad_option(c, argv, e)
					  : set_option(cfg, c);
	if (rc != 0)
		return rc;
	cfg->argv = optind < argc ? argv + optind : default_argv;
	return resolve_rootfs(cfg->rootfs_arg, cfg->rootfs, e);
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
	/* step03 { enter_rootfs() cfg->rootfs, mount_filesystems(),
	 * make_devices(), then pivot_into() (rootfs.c); -1 at the first that
	 * fails */
	if (enter_rootfs(cfg->rootfs, e) == -1 || mount_filesystems(e) == -1 ||
	    make_devices(e) == -1)
		return -1;
	return pivot_into(e);
	/* } step03, skeleton: return 0; */
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

	/* The child refuses to mount in the namespace noted here (rootfs.c). */
	if (note_mount_ns(e) == -1)
		return -1;
	/* O_CLOEXEC: no descriptor of the runtime survives COMMAND's exec. */
	if (pipe2(fds, O_CLOEXEC) == -1)
		return fail(e, "pipe2", "sync pipe");
	stack = stack_alloc(STACK_SIZE);
	/* SIGCHLD: the signal the kernel sends us when the child ends; with
	 * it, waitpid(2) treats the child like one made by fork(2).
	 * CLONE_NEWPID: the child is PID 1 of a new PID namespace.
	 * CLONE_NEWNS: it starts with a copy of our mount table. */
	ns_flag_names(CLONE_FLAGS, names, sizeof(names));
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
