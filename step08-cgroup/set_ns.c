/*
 * set_ns — setns(2): the `docker exec` of this workshop.
 *
 * What this program teaches
 *   `docker exec` starts no container: it moves a process into namespaces
 *   that exist. Each namespace of a process is a file, /proc/PID/ns/TYPE; an
 *   open descriptor keeps the namespace alive, and setns(2) on it moves the
 *   caller in. The story's tool, kept, and the full form:
 *
 *     sudo ./set_ns /proc/19420/ns/net ip addr   # the container's interfaces
 *     sudo ./set_ns -t 19420 ps                  # every namespace; or --name
 *
 *   What makes it correct where the story's twenty lines are not:
 *   - a PID namespace is joined by our next child, never by us
 *     (pid_namespaces(7)): fork, and pass the child's exit status on;
 *   - joining a mount namespace moves our root and cwd: chroot into the
 *     target's root and chdir("/");
 *   - a user namespace grants capabilities inside it only, so when it is
 *     joined decides which other joins succeed (join_all()); then we become
 *     uid/gid 0 of the container;
 *   - every namespace file is opened first, through a /proc/PID descriptor
 *     that stays bound to the process even if its PID is reused;
 *   - not dumpable while joining (CVE-2016-9962); only fds 0-2 reach COMMAND
 *     (CVE-2024-21626).
 *   It adds to step07's runtime the way in: --name reads the state record
 *   that `step07 --name NAME` wrote (HACKING.md).
 *
 * Read: setns(2), nsenter(1), namespaces(7), pid_namespaces(7),
 * user_namespaces(7).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/nsfs.h>

#define PROG "set_ns"

#ifndef CLONE_NEWCGROUP /* linux/sched.h, Linux 4.6 */
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME /* linux/sched.h, Linux 5.6 */
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef __NR_close_range /* one number on every architecture, Linux 5.9 */
#define __NR_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC /* linux/close_range.h, Linux 5.11 */
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Exit statuses of `docker run`, which every step follows. */
enum {
	EXIT_RUNTIME = 125,	/* set_ns failed before COMMAND ran */
	EXIT_CANNOT_EXEC = 126, /* COMMAND exists but cannot be executed */
	EXIT_NOT_FOUND = 127,	/* COMMAND was not found */
};

enum { OPT_NAME = CHAR_MAX + 1 }; /* long-only options */

/* One row per namespace type drives everything, as in nsenter.c. The order
 * is nsenter's, which join_all() explains. */
static struct ns {
	const char *name; /* its file in /proc/PID/ns */
	int type;	  /* CLONE_NEW*, checked again by setns */
	int opt;	  /* its option letter */
	bool want;	  /* asked for on the command line */
	bool joined;	  /* setns succeeded */
	int fd;		  /* the namespace file, opened before any join */
} nstab[] = {
    {"user", CLONE_NEWUSER, 'U', false, false, -1},
    {"cgroup", CLONE_NEWCGROUP, 'C', false, false, -1},
    {"ipc", CLONE_NEWIPC, 'i', false, false, -1},
    {"uts", CLONE_NEWUTS, 'u', false, false, -1},
    {"net", CLONE_NEWNET, 'n', false, false, -1},
    {"pid", CLONE_NEWPID, 'p', false, false, -1},
    {"mnt", CLONE_NEWNS, 'm', false, false, -1},
    {"time", CLONE_NEWTIME, 'T', false, false, -1},
};
#define NS_COUNT (sizeof(nstab) / sizeof(nstab[0]))

static struct ns *ns_of(int type) /* type is one of the table's */
{
	size_t i = 0;

	while (i < NS_COUNT - 1 && nstab[i].type != type)
		i++;
	return &nstab[i];
}

struct ctx {
	const char *nsfile; /* the story's form: one namespace file */
	const char *name;   /* --name NAME */
	pid_t pid;	    /* -t PID, or the record's pid */
	bool all, quiet;
	int procfd;	     /* /proc/PID, O_PATH: pins the process */
	int rootfd;	     /* /proc/PID/root, entered after the mnt join */
	char procpath[32];   /* "/proc/PID" */
	char path[PATH_MAX]; /* the file being worked on, for messages */
	const char *call;    /* what failed, for main's one line */
	const char *obj;     /* ... and on what */
	int nstype;	     /* the namespace that failed, for the hint */
};

static char *default_argv[] = {"/bin/sh", NULL};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: " PROG " NSFILE [COMMAND [ARG]...]\n"
	    "       " PROG " -t PID | --name NAME [OPTION]... [--] [COMMAND "
	    "[ARG]...]\n"
	    "Run COMMAND (default /bin/sh) in the namespaces of a running "
	    "process.\n"
	    "\n"
	    "  NSFILE           join the one namespace of /proc/PID/ns/TYPE\n"
	    "  -t, --target PID take the namespaces of process PID\n"
	    "      --name NAME  ... of the container started with --name NAME\n"
	    "  -a, --all        every namespace that differs from ours (the "
	    "default)\n"
	    "  -U, --user       user      -m, --mnt     mount\n"
	    "  -u, --uts        UTS       -i, --ipc     IPC\n"
	    "  -n, --net        network   -p, --pid     PID\n"
	    "  -C, --cgroup     cgroup    -T, --time    time\n"
	    "  -v, --verbose    trace each setns on stderr\n"
	    "  -q, --quiet      do not print the child's host PID\n"
	    "  -h, --help       show this help and exit\n"
	    "\n"
	    "Exit status: COMMAND's own, 128+N if it died of signal N, 125 "
	    "if " PROG
	    " failed,\n126 if COMMAND cannot be executed, 127 if it was "
	    "not found.\n");
}

/* Every line we write goes to stderr: stdout is COMMAND's. */
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

/* Helpers note what failed and return -1; errno is left as the call set it. */
static int fail(struct ctx *c, const char *call, const char *obj)
{
	c->call = call;
	c->obj = obj;
	return -1;
}

static unsigned long ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

static int parse_ull(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		return -1;
	return 0;
}

static int parse_pid(const char *s, pid_t *pid)
{
	unsigned long long v;

	if (parse_ull(s, &v) < 0 || v == 0 || v > INT_MAX)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

/* NAME becomes a file name: no '/', no "..", no hidden file, 64 bytes. */
static bool valid_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 64 || name[0] == '.')
		return false;
	return strspn(name,
		      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789_.-") == len;
}

/* A usage error: one line that points to --help, and exit status 125. */
static int usage_error(const char *fmt, ...)
{
	char line[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	msg("%s (try '" PROG " --help')", line);
	return EXIT_RUNTIME;
}

/* Which form: -t/--name, or the story's `set_ns /proc/PID/ns/net COMMAND`? */
static int parse_form(struct ctx *c, int argc, char **argv, bool flags)
{
	struct stat st;

	if (c->pid && c->name)
		return usage_error("-t and --name exclude each other");
	if (c->name && !valid_name(c->name))
		return usage_error("bad name '%s': 1-64 of [A-Za-z0-9_.-], "
				   "not starting with '.'",
				   c->name);
	if (c->pid || c->name) {
		c->all = c->all || !flags; /* no namespace named: all of them */
		return -1;
	}
	if (optind >= argc ||
	    (argv[optind][0] != '/' && stat(argv[optind], &st) < 0))
		return usage_error("need NSFILE, -t PID or --name NAME");
	if (flags || c->all)
		return usage_error("namespace options need -t or --name");
	c->nsfile = argv[optind++];
	return -1;
}

/* Returns -1 to go on, or the exit status: 0 after --help, 125 on errors. */
static int parse_args(struct ctx *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"target", required_argument, NULL, 't'},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"all", no_argument, NULL, 'a'},
	    {"user", no_argument, NULL, 'U'},
	    {"mnt", no_argument, NULL, 'm'},
	    {"uts", no_argument, NULL, 'u'},
	    {"ipc", no_argument, NULL, 'i'},
	    {"net", no_argument, NULL, 'n'},
	    {"pid", no_argument, NULL, 'p'},
	    {"cgroup", no_argument, NULL, 'C'},
	    {"time", no_argument, NULL, 'T'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char bad[3] = "-?";
	bool flags = false;
	int opt;

	/* '+': stop at COMMAND, whose options are its own. ':' and opterr = 0:
	 * we word the errors ourselves, prefixed with "set_ns: ". */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:t:aUmuinpCTvqh", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 't':
			if (parse_pid(optarg, &c->pid) < 0)
				return usage_error("bad PID '%s'", optarg);
			break;
		case OPT_NAME:
			c->name = optarg;
			break;
		case 'a':
			c->all = true;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return usage_error("option '%s' needs an argument",
					   argv[optind - 1]);
		case '?':
			bad[1] = (char)optopt;
			return usage_error("unknown option '%s'",
					   optopt ? bad : argv[optind - 1]);
		default:
			for (size_t i = 0; i < NS_COUNT; i++)
				nstab[i].want |= nstab[i].opt == opt;
			flags = true;
		}
	}
	return parse_form(c, argc, argv, flags);
}

/* Read a small file (a state record, /proc/PID/stat) whole. */
static int read_small(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;
	int saved;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	saved = errno;
	close(fd);
	errno = saved;
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Field 22 of /proc/PID/stat: the start time, in clock ticks after boot. */
static int proc_starttime(int procfd, unsigned long long *start)
{
	char buf[1024], *p, *end;

	if (read_small(procfd, "stat", buf, sizeof(buf)) < 0)
		return -1;
	/* Field 2, the command's name, may hold spaces and ')': field 3 starts
	 * after the last ')'. */
	p = strrchr(buf, ')');
	/* A zombie (state Z) has ended: its record is as stale as any. */
	if (p && (p[2] == 'Z' || p[2] == 'X')) {
		*start = 0;
		return 0;
	}
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		*start = strtoull(p + 1, &end, 10);
	if (!p || end == p + 1 || *end != ' ') {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Open /proc/PID as a directory. Files opened relative to it belong to that
 * very process: once it exits, openat fails, even if its PID is reused. */
static int open_proc(struct ctx *c)
{
	int n =
	    snprintf(c->procpath, sizeof(c->procpath), "/proc/%d", (int)c->pid);

	if (n < 0 || (size_t)n >= sizeof(c->procpath)) {
		errno = ENAMETOOLONG;
		return fail(c, "snprintf", "/proc/PID");
	}
	c->procfd = open(c->procpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->procfd < 0)
		return fail(c, "open", c->procpath);
	return 0;
}

/* HACKING.md: /run/nsworkshop as root, else $XDG_RUNTIME_DIR/nsworkshop,
 * else /tmp/nsworkshop-UID; the record is DIR/NAME.state. */
static int state_path(struct ctx *c)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	size_t size = sizeof(c->path);
	int n;

	if (geteuid() == 0)
		n = snprintf(c->path, size, "/run/nsworkshop/%s.state",
			     c->name);
	else if (xdg && xdg[0] == '/')
		n = snprintf(c->path, size, "%s/nsworkshop/%s.state", xdg,
			     c->name);
	else
		n = snprintf(c->path, size, "/tmp/nsworkshop-%u/%s.state",
			     (unsigned)geteuid(), c->name);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return fail(c, "snprintf", "$XDG_RUNTIME_DIR");
	}
	return 0;
}

/* Read `pid=` and `starttime=` from the record at c->path. */
static int read_record(struct ctx *c, unsigned long long *start)
{
	char buf[4096], *line, *save;
	bool have_start = false;

	if (read_small(AT_FDCWD, c->path, buf, sizeof(buf)) < 0)
		return fail(c, errno == ENOENT ? "none" : "read", c->path);
	/* A runtime reserves the name before the container runs: only
	 * runtime= lines then (state.c). */
	if (strncmp(buf, "pid=", 4) != 0 && !strstr(buf, "\npid=") &&
	    strstr(buf, "runtime=")) {
		errno = EAGAIN;
		return fail(c, "starting", c->path);
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "pid=", 4) == 0 &&
		    parse_pid(line + 4, &c->pid) < 0)
			break;
		if (strncmp(line, "starttime=", 10) == 0)
			have_start = parse_ull(line + 10, start) == 0;
	}
	if (c->pid == 0 || !have_start) {
		errno = EINVAL;
		return fail(c, "parse", c->path);
	}
	return 0;
}

/* --name: find the container's PID 1. A record whose process is gone, or
 * whose PID now belongs to another process (another start time), is stale:
 * whoever finds it removes it. */
static int resolve_name(struct ctx *c)
{
	unsigned long long want, have = 0;

	if (state_path(c) < 0 || read_record(c, &want) < 0)
		return -1;
	if (open_proc(c) < 0 && errno != ENOENT)
		return -1;
	if (c->procfd >= 0 && proc_starttime(c->procfd, &have) < 0 &&
	    errno != ENOENT && errno != ESRCH)
		return fail(c, "read", "/proc/PID/stat");
	if (c->procfd >= 0 && have == want)
		return 0;
	if (unlink(c->path) < 0)
		return fail(c, "unlink", c->path);
	errno = ESRCH;
	return fail(c, "stale", c->name);
}

/* Open ns/TYPE of the target unless it is the namespace we are in already:
 * there is nothing to join, and joining our own user namespace is EINVAL. */
static int open_one(struct ctx *c, struct ns *ns)
{
	char self[32];
	struct stat ours, theirs;
	size_t dir = strlen(c->procpath) + 1;
	int n, m;

	n = snprintf(c->path, sizeof(c->path), "%s/ns/%s", c->procpath,
		     ns->name);
	m = snprintf(self, sizeof(self), "/proc/self/ns/%s", ns->name);
	if (n < 0 || (size_t)n >= sizeof(c->path) || m < 0 ||
	    (size_t)m >= sizeof(self)) {
		errno = ENAMETOOLONG;
		return fail(c, "snprintf", ns->name);
	}
	if (stat(self, &ours) < 0) {
		if (errno == ENOENT && !ns->want)
			return 0; /* this kernel lacks the type */
		return fail(c, "stat", ns->name);
	}
	ns->fd = openat(c->procfd, c->path + dir, O_RDONLY | O_CLOEXEC);
	if (ns->fd < 0 || fstat(ns->fd, &theirs) < 0)
		return fail(c, "open", c->path);
	if (theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev) {
		trace("%s: %lu is ours, not joined", ns->name,
		      (unsigned long)ours.st_ino);
		close(ns->fd);
		ns->fd = -1;
	}
	return 0;
}

/* -t/--name: every descriptor is opened before the first join, while
 * /proc/PID is still the host's /proc and we are still host root. */
static int open_target(struct ctx *c)
{
	if (c->name ? resolve_name(c) < 0 : open_proc(c) < 0)
		return -1;
	trace("target %s", c->procpath);
	for (size_t i = 0; i < NS_COUNT; i++)
		if ((nstab[i].want || c->all) && open_one(c, &nstab[i]) < 0)
			return -1;
	/* After pivot_root, the mount namespace's root is the container's;
	 * after a chroot it is not. nsenter -r: take the target's own root. */
	if (ns_of(CLONE_NEWNS)->fd >= 0) {
		c->rootfd =
		    openat(c->procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (c->rootfd < 0)
			return fail(c, "open", "/proc/PID/root");
	}
	return 0;
}

/* The story's form: which namespace is behind NSFILE? Check that it lives on
 * nsfs before any ioctl, whose number could mean something else to the driver
 * of another file. NS_GET_NSTYPE (4.11) names the type. */
static int open_nsfile(struct ctx *c)
{
	struct statfs sfs;
	int fd, type;

	fd = open(c->nsfile, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fail(c, "open", c->nsfile);
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != NSFS_MAGIC) {
		close(fd);
		errno = ENOTTY;
		return fail(c, "nsfs", c->nsfile);
	}
	type = ioctl(fd, NS_GET_NSTYPE);
	for (size_t i = 0; type != -1 && i < NS_COUNT; i++) {
		if (nstab[i].type == type) {
			nstab[i].fd = fd;
			return 0;
		}
	}
	close(fd);
	return fail(c, "ioctl(NS_GET_NSTYPE)", c->nsfile);
}

/*
 * The order of the joins is nsenter's: two passes over the table.
 * Pass 0 joins all but the user namespace and lets failures go; pass 1 joins
 * the user namespace, then retries what pass 0 could not join.
 *
 * setns(2) needs CAP_SYS_ADMIN in the user namespace that owns what is
 * joined. Host root has it in every user namespace until it joins one; from
 * then on it has it only there and below. So root joins the others first
 * while it still holds its capabilities (that even reaches a namespace the
 * host owns, as the network of a nested user namespace can be), and the
 * user namespace last. A rootless caller has no capability over the
 * container until it is in its user namespace: pass 0 fails with EPERM, pass
 * 1 joins the user namespace first, which grants all capabilities inside,
 * and then the others. PID comes late: it only picks the namespace of our
 * next child. Mount after it: the fds are open, no path is needed any more.
 */
static int join_all(struct ctx *c)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = pass ? 0 : 1; i < NS_COUNT; i++) {
			struct ns *ns = &nstab[i];

			if (ns->fd < 0)
				continue;
			if (setns(ns->fd, ns->type) < 0) {
				if (pass == 1) {
					c->nstype = ns->type;
					return fail(c, "setns", ns->name);
				}
				trace("setns(%s): %s, again after user",
				      ns->name, strerror(errno));
				continue;
			}
			trace("setns(%s, %lu)", ns->name, ino_of(ns->fd));
			close(ns->fd);
			ns->fd = -1;
			ns->joined = true;
		}
	}
	return 0;
}

/* After the joins: our root and working directory, then our credentials. */
static int settle(struct ctx *c)
{
	/* setns(CLONE_NEWNS) moved root and cwd to the namespace's root; the
	 * target's root (opened before) is the container's. */
	if (ns_of(CLONE_NEWNS)->joined) {
		if (c->rootfd >= 0 &&
		    (fchdir(c->rootfd) < 0 || chroot(".") < 0))
			return fail(c, "chroot", "/proc/PID/root");
		if (chdir("/") < 0)
			return fail(c, "chdir", "/");
		trace("%schdir(/)", c->rootfd >= 0 ? "chroot(root), " : "");
	}
	if (!ns_of(CLONE_NEWUSER)->joined)
		return 0;
	/* In a user namespace we hold every capability but keep our uids:
	 * host root is not mapped inside, so it is "nobody" there and execve
	 * would drop the capabilities. Become the container's root, as nsenter
	 * -U does. setgroups(2) is EPERM where the creator wrote "deny" to
	 * /proc/PID/setgroups (every rootless container, CVE-2014-8989): for
	 * that case prepare() dropped our groups before the join. */
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		return fail(c, "setgroups", "0");
	if (setgid(0) < 0)
		return fail(c, "setgid", "0");
	if (setuid(0) < 0)
		return fail(c, "setuid", "0");
	trace("setgid(0), setuid(0) in the user namespace");
	return 0;
}

/* The entry point of COMMAND, in this process or in the forked child. */
static int exec_command(char **argv)
{
	trace("execvp(%s)", argv[0]);
	execvp(argv[0], argv);
	int err = errno;

	msg("execvp(%s): %s", argv[0], strerror(err));
	return err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND
					       : EXIT_CANNOT_EXEC;
}

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
	kill(child_pid, sig);
}

/* `kill PID-of-set_ns` reaches the command; ^C and ^\ from a terminal reach
 * it anyway (same process group), so we ignore those, as system(3) does. */
static void handle_signals(pid_t pid)
{
	struct sigaction sa = {.sa_handler = forward, .sa_flags = SA_RESTART};

	child_pid = pid;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
}

/* Wait for the child, following ^Z, and turn its status into ours. */
static int wait_child(struct ctx *c, pid_t pid)
{
	int status;

	for (;;) {
		if (waitpid(pid, &status, WUNTRACED) < 0) {
			if (errno == EINTR)
				continue;
			return fail(c, "waitpid", "COMMAND");
		}
		if (!WIFSTOPPED(status))
			break;
		raise(SIGSTOP); /* stop with it, so the shell sees the job */
		kill(pid, SIGCONT);
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * setns(CLONE_NEWPID) changed only the namespace our children are born in
 * (/proc/self/ns/pid_for_children): a process never changes its own PID. So
 * fork, like nsenter's continue_as_child(); the child is the command, the
 * parent stays outside and waits. Signals stay blocked across the fork
 * until the parent's handlers know the child's PID.
 */
static int fork_command(struct ctx *c, char **argv)
{
	sigset_t block, old;
	pid_t pid;

	signal(SIGCHLD, SIG_DFL); /* inherited SIG_IGN: waitpid gets ECHILD */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid = fork();
	if (pid < 0)
		return fail(c, "fork", "COMMAND");
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		_exit(exec_command(argv));
	}
	handle_signals(pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (!c->quiet)
		msg("child PID on host: %d", (int)pid);
	return wait_child(c, pid);
}

/* main's one line: what failed, on what, why, and a hint where one helps. */
static int report(const struct ctx *c, int err)
{
	const char *hint = "";
	bool setns_failed = strcmp(c->call, "setns") == 0;

	if (strcmp(c->call, "stale") == 0) {
		msg("no container named %s (stale record removed)", c->obj);
		return EXIT_RUNTIME;
	}
	if (strcmp(c->call, "starting") == 0) {
		msg("container %s has no PID yet: it is starting (try again) "
		    "or its runtime was killed",
		    c->name);
		return EXIT_RUNTIME;
	}
	if (strcmp(c->call, "nsfs") == 0) {
		msg("%s: not a namespace file (use /proc/PID/ns/TYPE)", c->obj);
		return EXIT_RUNTIME;
	}
	if (strcmp(c->call, "none") == 0) {
		msg("no container named %s (no %s)", c->name, c->obj);
		return EXIT_RUNTIME;
	}
	if (err == ENOENT && strncmp(c->obj, "/proc/", 6) == 0)
		hint = " (no such process: has it exited?)";
	else if (err == EPERM && setns_failed)
		hint = " (needs CAP_SYS_ADMIN over the namespace: try "
		       "sudo)";
	else if (err == EACCES && strcmp(c->call, "open") == 0)
		hint = " (not your process: try sudo)";
	else if (err == EINVAL && setns_failed && c->nstype == CLONE_NEWUSER)
		hint = " (our own user namespace, or we have threads)";
	else if (err == EINVAL && setns_failed && c->nstype == CLONE_NEWPID)
		hint = " (only a descendant PID namespace can be joined)";
	else if (err == EINVAL && c->obj[0] == '0')
		hint = " (0 is not mapped in the container's user "
		       "namespace)";
	else if (strcmp(c->call, "parse") == 0)
		hint = " (no pid= or starttime= line)";
	else if (err == ENOMEM && strcmp(c->call, "fork") == 0)
		hint = " (the PID namespace's init has exited)";
	msg("%s(%s): %s%s", c->call, c->obj, strerror(err), hint);
	return EXIT_RUNTIME;
}

/* Close what we opened of the target: once joined, or after a failure. */
static void release(struct ctx *c)
{
	for (size_t i = 0; i < NS_COUNT; i++) {
		if (nstab[i].fd >= 0)
			close(nstab[i].fd);
		nstab[i].fd = -1;
	}
	if (c->procfd >= 0)
		close(c->procfd);
	if (c->rootfd >= 0)
		close(c->rootfd);
	c->procfd = c->rootfd = -1;
}

/* Everything before COMMAND runs: -1 with errno and c->call on failure. */
static int prepare(struct ctx *c)
{
	int rc = -1, saved;

	/* CVE-2016-9962: once we are in its namespaces, the container's root
	 * could ptrace us or open /proc/OURPID/fd and reach the host through
	 * the descriptors we hold. Not dumpable, only host root can; execve
	 * makes COMMAND dumpable again. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return fail(c, "prctl", "PR_SET_DUMPABLE");
	/* CVE-2024-21626: only 0-2 reach COMMAND. Ours are O_CLOEXEC; these
	 * are the ones we inherited. Kernels before 5.11 lack the flag. */
	if (syscall(__NR_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0 &&
	    errno != ENOSYS && errno != EINVAL)
		return fail(c, "close_range", "3");
	if ((c->nsfile ? open_nsfile(c) : open_target(c)) < 0)
		goto out;
	/* Drop host root's groups while we may: inside a rootless user
	 * namespace setgroups(2) is refused. A rootless caller keeps its own. */
	if (ns_of(CLONE_NEWUSER)->fd >= 0 && setgroups(0, NULL) < 0 &&
	    errno != EPERM) {
		fail(c, "setgroups", "0");
		goto out;
	}
	if (join_all(c) == 0 && settle(c) == 0)
		rc = 0;
out:
	/* Done with the target, whatever happened: the child must not hold a
	 * way back to the host's /proc until its exec. */
	saved = errno;
	release(c);
	errno = saved;
	return rc;
}

int main(int argc, char **argv)
{
	struct ctx c = {.procfd = -1, .rootfd = -1};
	char **cmd;
	int rc;

	rc = parse_args(&c, argc, argv);
	if (rc >= 0)
		return rc;
	cmd = optind < argc ? argv + optind : default_argv;
	if (prepare(&c) < 0)
		return report(&c, errno);
	if (ns_of(CLONE_NEWPID)->joined)
		rc = fork_command(&c, cmd);
	else
		rc = exec_command(cmd);
	return rc < 0 ? report(&c, errno) : rc;
}
