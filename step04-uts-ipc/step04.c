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
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "syscalls.h"

#define PROG	   "step04"
#define STACK_SIZE (1024 * 1024)
#define DEFAULT_PATH                                                           \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* The namespaces this step creates. */
/* step04 { add CLONE_NEWUTS (a hostname of its own) and CLONE_NEWIPC
 * (IPC objects of its own) to the namespaces the child gets */
#define CLONE_FLAGS (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC)
/* } step04, skeleton: #define CLONE_FLAGS (CLONE_NEWPID | CLONE_NEWNS) */

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
	char rootfs[PATH_MAX];
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

/*
 * The rootfs, as an absolute path without symlinks: pivot_root(2) needs a
 * mount point, and we are about to bind-mount this path onto itself. The
 * default is the rootfs/ directory beside the binary (`make rootfs`).
 */
static int resolve_rootfs(const char *arg, char out[PATH_MAX])
{
	char exe[PATH_MAX], path[PATH_MAX];
	struct stat st;

	if (!arg) {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (n == -1) {
			msg("readlink(/proc/self/exe): %s", strerror(errno));
			return -1;
		}
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		if (snprintf(path, sizeof(path), "%s/rootfs", exe) >=
		    (int)sizeof(path)) {
			msg("rootfs path too long");
			return -1;
		}
		arg = path;
	}
	if (!realpath(arg, out) || stat(out, &st) == -1) {
		msg("rootfs %s: %s (make one with: make rootfs)", arg,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		msg("rootfs %s: not a directory", arg);
		return -1;
	}
	return 0;
}

/* Long-only options are numbered above every character. */
enum { OPT_HOSTNAME = CHAR_MAX + 1 };

/*
 * A hostname is checked before anything is created, so a bad one costs
 * nothing: 1 to 64 bytes (HOST_NAME_MAX; sethostname(2) fails with EINVAL
 * beyond it) of letters, digits, '-' and '.', not starting with '-' or '.'
 * (RFC 1123).
 */
static int valid_hostname(const char *name)
{
	size_t len = strlen(name);

	/* step04 { 1 to HOST_NAME_MAX bytes, letters, digits, '-' and '.'
	 * (strspn), not starting with '-' or '.'; otherwise print one line
	 * starting "--hostname: " that says what is wrong, and return 0 */
	if (len == 0 || len > HOST_NAME_MAX) {
		msg("--hostname: must be 1 to %d bytes, not %zu", HOST_NAME_MAX,
		    len);
		return 0;
	}
	if (name[0] == '-' || name[0] == '.' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789-.") != len) {
		msg("--hostname: '%s': use letters, digits, '-' and '.' only",
		    name);
		return 0;
	}
	return 1;
	/* } step04, skeleton: return 1; */
}

/* Returns 0 to run, 1 after --help, -1 on a usage error. */
static int parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"rootfs", required_argument, NULL, 'r'},
	    {"hostname", required_argument, NULL, OPT_HOSTNAME},
	    {"verbose", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	const char *rootfs = NULL;
	int c;

	/* The leading '+' stops at the first non-option: COMMAND's own
	 * options (`step04 ls -l`) are not ours to parse. The ':' makes a
	 * missing argument return ':' and opterr = 0 lets us word the error. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hqr:v", longopts, NULL)) != -1) {
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
		case 'r':
			rootfs = optarg;
			break;
		case OPT_HOSTNAME:
			if (!valid_hostname(optarg))
				return -1;
			cfg->hostname = optarg;
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
	if (!cfg->hostname)
		cfg->hostname = "container";
	return resolve_rootfs(rootfs, cfg->rootfs) == 0 ? 0 : -1;
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
 * pivot_root(".", "."): the rootfs becomes `/` and the old root is stacked
 * on top of it, where umount2(MNT_DETACH) removes it (pivot_root(2),
 * NOTES). Unlike chroot(2), which only changes how paths are resolved for
 * this process, the host's filesystem is then gone from this namespace:
 * there is no `..` left to climb out through.
 */
static int pivot_into(const char **what)
{
	*what = "pivot_root(rootfs) (is the rootfs on a filesystem that "
		"cannot be pivoted, e.g. initramfs? see docs/03-mountns.md)";
	trace("pivot_root(., .)");
	if (sys_pivot_root(".", ".") == -1)
		return -1;
	*what = "detach the old root (umount2 MNT_DETACH)";
	trace("umount2(., MNT_DETACH)");
	if (umount2(".", MNT_DETACH) == -1)
		return -1;
	*what = "chdir(/)";
	return chdir("/");
}

/*
 * The filesystems every container gets, mounted in this order below the
 * rootfs. MS_NOSUID/MS_NODEV/MS_NOEXEC wherever a filesystem has no need
 * for set-uid programs, device nodes or executables.
 */
struct mount_entry {
	const char *source, *target, *fstype;
	unsigned long flags;
	const char *data;
};

static const struct mount_entry mounts[] = {
    /* A proc of the new PID namespace: `ps` sees only the container. */
    {"proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
    {"sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
     NULL},
    {"tmpfs", "tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"},
    /* /dev is a small tmpfs of our own, not the host's /dev. */
    {"tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
     "mode=755,size=65536k"},
    /* newinstance: ptys of our own, not the host's (devpts.rst). */
    {"devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
     "newinstance,ptmxmode=0666,mode=0620"},
    {"tmpfs", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
     "mode=1777"},
    /* step04 { an entry that mounts an "mqueue" filesystem on dev/mqueue
	 * (MS_NOSUID | MS_NODEV | MS_NOEXEC), for POSIX message queues */
    /* The POSIX message queues of the new IPC namespace: an mqueue mount
	 * shows the queues of the IPC namespace of the process mounting it. */
    {"mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
    /* } step04 */
};

/*
 * We have not pivoted yet, so a target that is a symlink in the rootfs —
 * rootfs/proc -> /etc, say — would be followed into the *host*. Refuse
 * anything but a real directory (CVE-2019-19921, CVE-2021-30465). Targets
 * under dev/ are on the tmpfs we just mounted, so we make them ourselves.
 */
static int mount_one(const struct mount_entry *m)
{
	struct stat st;

	if (strncmp(m->target, "dev/", 4) == 0 && mkdir(m->target, 0755) == -1)
		return -1;
	if (lstat(m->target, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
		return -1;
	}
	trace("mount(%s, /%s, %s)", m->source, m->target, m->fstype);
	return mount(m->source, m->target, m->fstype, m->flags, m->data);
}

/* The device nodes of Docker's default /dev (OCI runtime-spec). */
static const struct device {
	const char *path;
	unsigned int major, minor;
} devices[] = {
    {"dev/null", 1, 3},	  {"dev/zero", 1, 5},	 {"dev/full", 1, 7},
    {"dev/random", 1, 8}, {"dev/urandom", 1, 9}, {"dev/tty", 5, 0},
};

static const char *const dev_links[][2] = {
    {"/proc/self/fd", "dev/fd"},       {"/proc/self/fd/0", "dev/stdin"},
    {"/proc/self/fd/1", "dev/stdout"}, {"/proc/self/fd/2", "dev/stderr"},
    {"pts/ptmx", "dev/ptmx"},
};

static int make_devices(const char **what)
{
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		const struct device *d = &devices[i];

		*what = d->path;
		trace("mknod(/%s, c %u:%u)", d->path, d->major, d->minor);
		/* mknod's mode is filtered by the umask: chmod after it. */
		if (mknod(d->path, S_IFCHR | 0666,
			  makedev(d->major, d->minor)) == -1 ||
		    chmod(d->path, 0666) == -1)
			return -1;
	}
	for (size_t i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++) {
		*what = dev_links[i][1];
		if (symlink(dev_links[i][0], dev_links[i][1]) == -1)
			return -1;
	}
	return 0;
}

/*
 * Build the container's filesystem and move into it. On error, *what says
 * which step failed; nothing can leak to the host, because every mount is
 * made in our own mount namespace after `/` was made private.
 */
static int setup_rootfs(const struct config *cfg, const char **what)
{
	/* First of all: stop propagation. On systemd hosts `/` is shared, and
	 * a mount event under a shared mount is replayed in every peer — the
	 * host's namespace included. MS_REC|MS_PRIVATE cuts every link. */
	*what = "make / private (mount MS_REC|MS_PRIVATE)";
	trace("mount(/, MS_REC | MS_PRIVATE)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return -1;
	/* pivot_root needs the new root to be a mount point: bind-mount the
	 * rootfs directory onto itself. */
	*what = "bind-mount the rootfs onto itself";
	trace("mount(%s, %s, MS_BIND | MS_REC)", cfg->rootfs, cfg->rootfs);
	if (mount(cfg->rootfs, cfg->rootfs, NULL, MS_BIND | MS_REC, NULL) ==
		-1 ||
	    chdir(cfg->rootfs) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		*what = mounts[i].target;
		if (mount_one(&mounts[i]) == -1)
			return -1;
	}
	if (make_devices(what) == -1)
		return -1;
	return pivot_into(what);
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

	const char *what = "";

	/* step04 { sethostname(2) cfg->hostname; on failure print
	 * "sethostname(NAME): <strerror>" and return EXIT_RUNTIME */
	/* Only the new UTS namespace sees this name; the host keeps its own. */
	trace("sethostname(%s)", cfg->hostname);
	if (sethostname(cfg->hostname, strlen(cfg->hostname)) == -1) {
		msg("sethostname(%s): %s", cfg->hostname, strerror(errno));
		return EXIT_RUNTIME;
	}
	/* } step04 */
	if (setup_rootfs(cfg, &what) == -1) {
		msg("%s: %s", what, strerror(errno));
		return EXIT_RUNTIME;
	}
	/* The host's PATH means nothing in the rootfs (and may name
	 * directories we cannot search): use Docker's default. */
	setenv("PATH", DEFAULT_PATH, 1);
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
	 * CLONE_NEWPID: the child is PID 1 of a new PID namespace.
	 * CLONE_NEWNS: it starts with a copy of our mount table.
	 * CLONE_NEWUTS, CLONE_NEWIPC: its own hostname and IPC objects. */
	pid = stack ? clone(child_main, stack, CLONE_FLAGS | SIGCHLD, cfg) : -1;
	trace("clone(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC "
	      "| SIGCHLD) = %d",
	      (int)pid);
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

	if (snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, ns) >=
	    (int)sizeof(path))
		return 0;
	return stat(path, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

static void print_ns_table(pid_t child)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)child);
	msg("%-9s %-12s %-12s", "namespace", "host", "container");
	for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++) {
		unsigned long host = ns_inode("self", ns_names[i]);
		unsigned long cont = ns_inode(pid, ns_names[i]);

		msg("%-9s %-12lu %-12lu %s", ns_names[i], host, cont,
		    host == cont ? "same" : "NEW");
	}
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

		msg("clone(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | "
		    "CLONE_NEWIPC): %s%s",
		    strerror(err),
		    err == EPERM
			? " (creating a namespace needs root: run with "
			  "sudo, or see step06 for user namespaces)"
			: "");
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
