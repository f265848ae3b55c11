/*
 * step04 — CLONE_NEWUTS and CLONE_NEWIPC: a hostname and IPC objects of
 * the container's own.
 *
 * What this step teaches
 *   Two small namespaces. UTS (the name comes from the kernel's struct
 *   utsname) holds the hostname and NIS domain name; IPC holds System V
 *   message queues, semaphores and shared memory, and POSIX message queues.
 *
 *     sudo ./step04 --hostname web -- hostname   # web; the host's unchanged
 *
 *   It adds to step03:
 *   - CLONE_NEWUTS and --hostname NAME (default "container"), set inside
 *     with sethostname(2) and checked before anything else happens: at most
 *     64 bytes (HOST_NAME_MAX), letters, digits, '-' and '.';
 *   - CLONE_NEWIPC: `ipcs` inside does not see the host's objects and the
 *     other way round; an mqueue filesystem of the new IPC namespace on
 *     /dev/mqueue shows its POSIX message queues.
 *
 * Read: uts_namespaces(7), ipc_namespaces(7), sethostname(2), mq_overview(7).
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

#define PROG	   "step04"
#define STACK_SIZE (1024 * 1024)
#define DEFAULT_PATH                                                           \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const char prog[] = PROG;

/* The namespaces this step creates. */
/* step04 { add CLONE_NEWUTS (a hostname of its own) and CLONE_NEWIPC (IPC
 * objects of its own) */
#define CLONE_FLAGS (CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS)
/* } step04, skeleton: #define CLONE_FLAGS (CLONE_NEWNS | CLONE_NEWPID) */

struct config {
	char **argv; /* COMMAND and its arguments */
	int quiet;
	int sync_fd[2]; /* the child reads "go" from [0]; we write to [1] */
	const char *rootfs_arg; /* --rootfs, NULL for the default */
	char rootfs[PATH_MAX];	/* ... resolved by resolve_rootfs() */
	const char *hostname;
};

static char *default_argv[] = {"/bin/sh", NULL};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " [OPTION]... [--] [COMMAND [ARG]...]\n"
		"Run COMMAND (default /bin/sh) as PID 1 of new PID, mount, UTS "
		"and IPC\n"
		"namespaces, in its own root filesystem.\n"
		"\n"
		"  -r, --rootfs DIR  the container's root filesystem (default: "
		"rootfs\n"
		"                    beside the " PROG " binary)\n"
		"      --hostname NAME  the container's hostname (default: "
		"container)\n"
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

/* Long-only options are numbered above every character. */
enum { OPT_HOSTNAME = CHAR_MAX + 1 };

/*
 * A hostname is checked before anything is created, so a bad one costs
 * nothing: 1 to 64 bytes (HOST_NAME_MAX; sethostname(2) fails with EINVAL
 * beyond it) of letters, digits, '-' and '.', not starting with '-' or '.'
 * (RFC 1123).
 */
static int check_hostname(const char *name, struct err *e)
{
	size_t len = strlen(name);

	/* step04 { 1 to HOST_NAME_MAX bytes, letters, digits, '-' and '.'
	 * (strspn), not starting with '-' or '.'; otherwise fail_errno(E, 0,
	 * "--hostname", NAME) with a hint that says what is wrong */
	fail_errno(e, 0, "--hostname", name);
	if (len == 0 || len > HOST_NAME_MAX)
		e->hint = "must be 1 to 64 bytes (HOST_NAME_MAX)";
	else if (name[0] == '-' || name[0] == '.' ||
		 strspn(name,
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"0123456789-.") != len)
		e->hint = "use letters, digits, '-' and '.' only, not starting "
			  "with '-' or '.'";
	return e->hint ? -1 : 0;
	/* } step04, skeleton: return 0; */
}

/* One option: 0 to go on, 1 after --help, -1 on a usage error. */
static int set_option(struct config *cfg, int c, struct err *e)
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
	case OPT_HOSTNAME:
		cfg->hostname = optarg;
		return check_hostname(optarg, e);
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
	    {"hostname", required_argument, NULL, OPT_HOSTNAME},
	    {"verbose", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	int c, rc = 0;

	/* The leading '+' stops at the first non-option: COMMAND's own
	 * options (`step04 ls -l`) are not ours to parse. The ':' makes a
	 * missing argument return ':' and opterr = 0 lets us word the error. */
	opterr = 0;
	while (rc == 0 &&
	       (c = getopt_long(argc, argv, "+:hqr:v", longopts, NULL)) != -1)
		rc = c == ':' || c == '?' ? bad_option(c, argv, e)
					  : set_option(cfg, c, e);
	if (rc != 0)
		return rc;
	cfg->argv = optind < argc ? argv + optind : default_argv;
	if (!cfg->hostname)
		cfg->hostname = "container";
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

/* Only the new UTS namespace sees this name; the host keeps its own. */
static int set_hostname(const char *name, struct err *e)
{
	/* step04 { sethostname(2) NAME; fill E on failure
	 * (trace() each call, as -v shows) */
	trace("sethostname(%s)", name);
	if (sethostname(name, strlen(name)) == -1)
		return fail(e, "sethostname", name);
	return 0;
	/* } step04, skeleton: return 0; */
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
	    set_hostname(cfg->hostname, &e) == -1 ||
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
	 * CLONE_NEWNS: it starts with a copy of our mount table.
	 * CLONE_NEWUTS, CLONE_NEWIPC: its own hostname and IPC objects. */
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
