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
 *   And what makes it `runc exec` rather than nsenter(1): a process that
 *   enters the container proper (it joins the mount namespace, as -a and
 *   --name do) gets what PID 1 has — its bounding set and capabilities, no
 *   ambient ones, its groups, no_new_privs (harden.c), a session of its
 *   own, the container's environment — and the runtime's signal relay.
 *   Without that, one `set_ns` would undo the container's hardening for
 *   everyone in it (a full bounding set can unmount the masks). The story's
 *   form, and joins that leave the mount namespace alone (-n), stay the
 *   minimal tool: the host's binary, in one of the container's namespaces.
 *   It adds to step07's runtime the way in: --name reads the state record
 *   that `step07 --name NAME` wrote (HACKING.md). step08's copy also puts
 *   the process in the container's cgroups, so it counts against --pids
 *   and --memory, as docker exec's does; step09's, under the container's
 *   seccomp filter, which the record names.
 *
 * Read: setns(2), nsenter(1), namespaces(7), pid_namespaces(7),
 * user_namespaces(7), capabilities(7); runc's libcontainer setns_init.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/nsfs.h>

#include "cgroup.h"
#include "err.h"
#include "harden.h"
#include "init.h"
#include "seccomp.h"
#include "state.h"
#include "syscalls.h"
#include "tty.h"

#define PROG "set_ns"

const char prog[] = PROG;

/* Exit statuses of `docker run`, which every step follows. */
enum {
	EXIT_RUNTIME = 125,	/* set_ns failed before COMMAND ran */
	EXIT_CANNOT_EXEC = 126, /* COMMAND exists but cannot be executed */
	EXIT_NOT_FOUND = 127,	/* COMMAND was not found */
};

enum { OPT_NAME = CHAR_MAX + 1, OPT_TTY }; /* long-only options */

#define MAX_ENV 64 /* -e options */

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

static struct ns *ns_of(int type) /* type is one of the table's */
{
	size_t i = 0;

	while (i < ARRAY_SIZE(nstab) - 1 && nstab[i].type != type)
		i++;
	return &nstab[i];
}

struct ctx {
	const char *nsfile; /* the story's form: one namespace file */
	const char *name;   /* --name NAME */
	pid_t pid;	    /* -t PID, or the record's pid */
	bool all, quiet;
	bool flags;	   /* a namespace option was given */
	bool tty;	   /* --tty: a pty of the container (docker exec -t) */
	bool hardened;	   /* the mount namespace is joined: runc exec */
	int procfd;	   /* /proc/PID, O_PATH: pins the process */
	int rootfd;	   /* /proc/PID/root, entered after the mnt join */
	char procpath[32]; /* "/proc/PID" */
	char path[PATH_MAX]; /* the file being worked on, for messages */
	char **env;	     /* COMMAND's environment when hardened */
	char **record_env;   /* the record's env= (--name), or NULL */
	char seccomp[16];    /* the record's seccomp=, "" without one */
	const char *extra_env[MAX_ENV]; /* -e KEY=VAL or -e KEY */
	int nextra;
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
	    "  -U, --user       user      -m, --mnt     mount (and so all)\n"
	    "  -u, --uts        UTS       -i, --ipc     IPC\n"
	    "  -n, --net        network   -p, --pid     PID\n"
	    "  -C, --cgroup     cgroup    -T, --time    time\n"
	    "      --tty        a pseudo-terminal of the container for "
	    "COMMAND\n"
	    "  -e, --env KEY=VAL  add to COMMAND's environment (-e KEY: "
	    "ours)\n"
	    "  -v, --verbose    trace each setns on stderr\n"
	    "  -q, --quiet      do not print the child's host PID\n"
	    "  -h, --help       show this help and exit\n"
	    "\n"
	    "\n"
	    "Joining the mount namespace (-a, --name, -m) is docker exec: "
	    "every namespace\nis joined, and COMMAND gets the target's "
	    "capabilities, bounding set, groups\nand no_new_privs, a session "
	    "of its own and the container's environment.\nNSFILE, or "
	    "namespaces without -m, only move the host's COMMAND into "
	    "them,\nas nsenter(1) does.\n"
	    "\n"
	    "Exit status: COMMAND's own, 128+N if it died of signal N, 125 "
	    "if " PROG
	    " failed,\n126 if COMMAND cannot be executed, 127 if it was "
	    "not found.\n");
}

static unsigned long ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

static int parse_pid(const char *s, pid_t *pid)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v == 0 || v > INT_MAX)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

/* A usage error: CALL and OBJ, and HINT, which points to --help. */
static int usage_error(struct err *e, const char *call, const char *obj,
		       const char *hint)
{
	fail_errno(e, 0, call, obj);
	e->hint = hint;
	return -1;
}

#define HELP "try '" PROG " --help'"

/* Which form: -t/--name, or the story's `set_ns /proc/PID/ns/net COMMAND`? */
static int parse_form(struct ctx *c, int argc, char **argv, struct err *e)
{
	struct stat st;

	if (c->pid && c->name)
		return usage_error(e, "-t and --name exclude each other", NULL,
				   HELP);
	if (c->name && state_name_valid(c->name) == -1)
		return usage_error(e, "--name", c->name,
				   "bad name: 1-64 of [A-Za-z0-9_.-], not "
				   "starting with '.' (" HELP ")");
	if (c->pid || c->name) {
		/* None named: all of them. -m enters the container proper,
		 * which is all of them too, as runc exec joins them: the mount
		 * namespace alone would run the container's programs (its
		 * PATH, its files) as root of the host's user, PID and network
		 * namespaces. */
		c->all = c->all || !c->flags || ns_of(CLONE_NEWNS)->want;
		return 0;
	}
	if (optind >= argc ||
	    (argv[optind][0] != '/' && stat(argv[optind], &st) == -1))
		return usage_error(e, "need NSFILE, -t PID or --name NAME",
				   NULL, HELP);
	if (c->flags || c->all)
		return usage_error(e, "namespace options need -t or --name",
				   NULL, HELP);
	c->nsfile = argv[optind++];
	/* the story's form with a `--` before COMMAND, as the other has */
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	return 0;
}

/* One option: 0 to go on, 1 after --help, -1 on a usage error. */
static int set_option(struct ctx *c, int opt, char **argv, struct err *e)
{
	char bad[64], shortopt[3] = "-?";

	switch (opt) {
	case 't':
		if (parse_pid(optarg, &c->pid) == -1)
			return usage_error(e, "-t", optarg,
					   "bad PID (" HELP ")");
		return 0;
	case OPT_NAME:
		c->name = optarg;
		return 0;
	case 'e':
		if (c->nextra == MAX_ENV || optarg[0] == '=' || !optarg[0])
			return usage_error(e, "-e", optarg,
					   "KEY=VAL or KEY, at most 64 (" HELP
					   ")");
		c->extra_env[c->nextra++] = optarg;
		return 0;
	case 'a':
		c->all = true;
		return 0;
	case OPT_TTY:
		c->tty = true;
		return 0;
	case 'v':
		verbose = 1;
		return 0;
	case 'q':
		c->quiet = true;
		return 0;
	case 'h':
		usage(stdout);
		return 1;
	case ':':
		/* allow-snprintf: quoted: a cut name still says which option it was */
		snprintf(bad, sizeof(bad), "'%s'", argv[optind - 1]);
		return usage_error(e, "option", bad,
				   "needs an argument (" HELP ")");
	case '?':
		/* optopt names a short option, even inside "-qZ" */
		shortopt[1] = (char)optopt;
		/* allow-snprintf: a cut name still says which option it was */
		snprintf(bad, sizeof(bad), "'%s'",
			 optopt ? shortopt : argv[optind - 1]);
		return usage_error(e, "unknown option", bad, HELP);
	default:
		for (size_t i = 0; i < ARRAY_SIZE(nstab); i++)
			nstab[i].want |= nstab[i].opt == opt;
		c->flags = true;
		return 0;
	}
}

/* Returns 0 to go on, 1 after --help, -1 on a usage error (E says which). */
static int parse_args(struct ctx *c, int argc, char **argv, struct err *e)
{
	static const struct option longopts[] = {
	    {"target", required_argument, NULL, 't'},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"tty", no_argument, NULL, OPT_TTY},
	    {"env", required_argument, NULL, 'e'},
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
	int opt, rc = 0;

	/* '+': stop at COMMAND, whose options are its own. ':' and opterr = 0:
	 * we word the errors ourselves, prefixed with "set_ns: ". */
	opterr = 0;
	while (rc == 0 && (opt = getopt_long(argc, argv, "+:t:e:aUmuinpCTvqh",
					     longopts, NULL)) != -1)
		rc = set_option(c, opt, argv, e);
	return rc != 0 ? rc : parse_form(c, argc, argv, e);
}

/* Fill E for a failed open(2) of PATH, with what the errno means here. */
static int open_failed(struct err *e, const char *path)
{
	fail(e, "open", path);
	if (e->errnum == ENOENT && strncmp(path, "/proc/", 6) == 0)
		e->hint = "no such process: has it exited?";
	else if (e->errnum == EACCES)
		e->hint = "not your process: try sudo";
	return -1;
}

/* Open /proc/PID as a directory. Files opened relative to it belong to that
 * very process: once it exits, openat fails, even if its PID is reused. */
static int open_proc(struct ctx *c, struct err *e)
{
	/* allow-snprintf: "/proc/" and an int fit */
	snprintf(c->procpath, sizeof(c->procpath), "/proc/%d", (int)c->pid);
	c->procfd = open(c->procpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->procfd == -1)
		return open_failed(e, c->procpath);
	return 0;
}

/* A name nobody answers to: E says so, with what was found instead. */
static int no_container(struct ctx *c, const char *why, struct err *e)
{
	fail_errno(e, 0, "no container named", c->name);
	e->hint = why;
	return -1;
}

/* NAME's record R says PID 1 is R->pid: open /proc/PID, and check that it
 * is still that process (its start time), not a reuse of its PID. */
static int open_recorded(struct ctx *c, const struct record *r, struct err *e)
{
	unsigned long long have = 0;

	if (r->pid == 0) { /* a reservation: runtime= lines only */
		fail_errno(e, 0, "container", c->name);
		e->hint = "has no PID yet: it is starting (try again)";
		return -1;
	}
	c->pid = r->pid;
	if (open_proc(c, e) == -1) {
		if (e->errnum != ENOENT)
			return -1;
	} else if (proc_starttime(c->procfd, &have) == -1 && errno != ENOENT &&
		   errno != ESRCH) {
		return fail(e, "read", "/proc/PID/stat");
	}
	if (c->procfd >= 0 && have == r->starttime)
		return 0;
	return no_container(c, "its PID 1 has exited; its runtime is ending",
			    e);
}

/* --name: find the container's PID 1 in its record (state.c): read from
 * a directory that is ours, never through a link, without blocking. A
 * record whose runtime is gone is stale: whoever finds it removes it. */
static int resolve_name(struct ctx *c, struct err *e)
{
	struct state s;
	struct record r = {0};
	int rc = -1;

	if (state_open(&s, false, e) == -1)
		return e->errnum == ENOENT ? no_container(c, "no record", e)
					   : -1;
	if (state_read(&s, c->name, &r, e) == -1) {
		if (e->errnum == ENOENT)
			no_container(c, "no record", e);
	} else if (record_foreign(&r)) {
		no_container(c,
			     "its runtime is in another PID namespace, whose "
			     "PIDs mean nothing here: use -t with the PID "
			     "this namespace sees",
			     e);
	} else if (record_stale(&r)) {
		if (state_remove_stale(&s, c->name, e) == 0)
			no_container(c, "stale record removed", e);
	} else {
		rc = open_recorded(c, &r, e);
		c->record_env = r.env; /* COMMAND's, for load_env() */
		memcpy(c->seccomp, r.seccomp, sizeof(c->seccomp));
		r.env = NULL;
	}
	record_free(&r);
	close(s.dirfd);
	return rc;
}

/* The whole of FD (at most 1 MiB), NUL-terminated, in a buffer of ours:
 * *LEN bytes. */
static char *read_all(int fd, size_t *len)
{
	size_t size = 0;
	char *buf = NULL, *bigger;
	ssize_t n = 1;

	for (*len = 0; n != 0; *len += n > 0 ? (size_t)n : 0) {
		if (*len == size) {
			size = size ? 2 * size : 4096;
			bigger =
			    size <= (1 << 20) ? realloc(buf, size + 1) : NULL;
			if (!bigger) {
				free(buf);
				errno = size <= (1 << 20) ? ENOMEM : E2BIG;
				return NULL;
			}
			buf = bigger;
		}
		n = read(fd, buf + *len, size - *len);
		if (n == -1 && errno != EINTR) {
			free(buf);
			return NULL;
		}
	}
	buf[*len] = '\0';
	return buf;
}

/* -e KEY=VAL replaces KEY or adds it; -e KEY takes our own value, if any. */
static void add_env(char **env, size_t *n, const char *kv)
{
	size_t key = strcspn(kv, "=");
	char *mine;

	if (!kv[key]) {
		mine = getenv(kv);
		if (!mine || asprintf(&mine, "%s=%s", kv, mine) == -1)
			return;
		kv = mine;
	}
	for (size_t i = 0; i < *n; i++)
		if (strncmp(env[i], kv, key + 1) == 0) {
			env[i] = (char *)kv;
			return;
		}
	env[(*n)++] = (char *)kv;
}

/* What PID 1 was started with: /proc/PID/environ, NUL-terminated strings,
 * into *BUF (*LEN bytes). */
static int pid1_environ(const struct ctx *c, char **buf, size_t *len,
			struct err *e)
{
	int fd = openat(c->procfd, "environ", O_RDONLY | O_CLOEXEC);

	*buf = fd == -1 ? NULL : read_all(fd, len);
	if (!*buf)
		fail(e, "read", "/proc/PID/environ");
	if (fd >= 0)
		close(fd);
	return *buf ? 0 : -1;
}

/*
 * COMMAND's environment, when it enters the container proper: the
 * container's, as docker exec takes it from the container's configuration,
 * and -e on top. With --name, the record's env= (state.c); with -t PID, what
 * PID 1 was started with (with --init, PID 1 is the runtime's own code,
 * whose environment the runtime scrubs). Not ours: a caller's PATH may name
 * directories the container cannot search (execvp would then say EACCES,
 * 126, for a command that is simply missing), and the caller's variables
 * are not the container's.
 */
static int load_env(struct ctx *c, struct err *e)
{
	char **from = c->record_env, *buf = NULL;
	size_t len = 0, count = 0, n = 0;

	if (!from && pid1_environ(c, &buf, &len, e) == -1)
		return -1;
	for (size_t i = 0; from ? from[i] != NULL : i < len; i++)
		count += from ? 1 : buf[i] == '\0';
	c->env = calloc(count + (size_t)c->nextra + 1, sizeof(char *));
	if (!c->env)
		return fail(e, "calloc", "the environment");
	for (size_t i = 0; from && from[i]; i++)
		c->env[n++] = from[i];
	for (size_t i = 0; !from && i < len; i += strlen(buf + i) + 1)
		if (strchr(buf + i, '='))
			c->env[n++] = buf + i;
	for (int i = 0; i < c->nextra; i++)
		add_env(c->env, &n, c->extra_env[i]);
	trace("environment of %s: %zu variables with -e's %d",
	      from ? "the record" : "PID 1", n, c->nextra);
	return 0;
}

/* Open ns/TYPE of the target unless it is the namespace we are in already:
 * there is nothing to join, and joining our own user namespace is EINVAL. */
static int open_one(struct ctx *c, struct ns *ns, struct err *e)
{
	char self[32];
	struct stat ours, theirs;
	size_t dir = strlen(c->procpath) + 1;

	/* allow-snprintf: procpath and a name of nstab fit both */
	snprintf(c->path, sizeof(c->path), "%s/ns/%s", c->procpath, ns->name);
	/* allow-snprintf: fits */
	snprintf(self, sizeof(self), "/proc/self/ns/%s", ns->name);
	if (stat(self, &ours) == -1) {
		if (errno == ENOENT && !ns->want)
			return 0; /* this kernel lacks the type */
		return fail(e, "stat", ns->name);
	}
	ns->fd = openat(c->procfd, c->path + dir, O_RDONLY | O_CLOEXEC);
	if (ns->fd == -1 || fstat(ns->fd, &theirs) == -1)
		return open_failed(e, c->path);
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
static int open_target(struct ctx *c, struct err *e)
{
	if (c->name ? resolve_name(c, e) == -1 : open_proc(c, e) == -1)
		return -1;
	trace("target %s", c->procpath);
	for (size_t i = 0; i < ARRAY_SIZE(nstab); i++)
		if ((nstab[i].want || c->all) &&
		    open_one(c, &nstab[i], e) == -1)
			return -1;
	/* After pivot_root, the mount namespace's root is the container's;
	 * after a chroot it is not. nsenter -r: take the target's own root. */
	if (ns_of(CLONE_NEWNS)->fd >= 0) {
		c->rootfd =
		    openat(c->procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (c->rootfd == -1)
			return open_failed(e, "/proc/PID/root");
		c->hardened = true;
	}
	return c->hardened ? load_env(c, e) : 0;
}

/* Open *FD, an O_PATH descriptor, for reading, through /proc/self/fd. */
static int reopen(int *fd, struct err *e)
{
	char self[32];
	int rfd;

	/* allow-snprintf: "/proc/self/fd/" and an int fit */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", *fd);
	rfd = open(self, O_RDONLY | O_CLOEXEC);
	close(*fd);
	*fd = rfd;
	return rfd == -1 ? fail(e, "open", self) : 0;
}

/* The story's form: which namespace is behind NSFILE? Check that it lives on
 * nsfs before any ioctl, whose number could mean something else to the driver
 * of another file. NS_GET_NSTYPE (4.11) names the type. O_PATH opens the
 * name, not the file: a FIFO does not block, no driver's open() runs. */
static int open_nsfile(struct ctx *c, struct err *e)
{
	struct statfs sfs;
	int fd, type;

	fd = open(c->nsfile, O_PATH | O_CLOEXEC);
	if (fd == -1)
		return open_failed(e, c->nsfile);
	if (fstatfs(fd, &sfs) == -1 || sfs.f_type != NSFS_MAGIC) {
		close(fd);
		fail_errno(e, 0, c->nsfile, NULL);
		e->hint = "not a namespace file (use /proc/PID/ns/TYPE)";
		return -1;
	}
	/* ioctl(2) and setns(2) want the file open: it is an nsfs file */
	if (reopen(&fd, e) == -1)
		return -1;
	type = ioctl(fd, NS_GET_NSTYPE);
	for (size_t i = 0; type != -1 && i < ARRAY_SIZE(nstab); i++) {
		if (nstab[i].type == type) {
			nstab[i].fd = fd;
			return 0;
		}
	}
	fail(e, "ioctl(NS_GET_NSTYPE)", c->nsfile);
	close(fd);
	return -1;
}

/* Fill E for a failed setns(2) of NS, with what the errno means here. */
static int setns_failed(const struct ns *ns, struct err *e)
{
	fail(e, "setns", ns->name);
	if (e->errnum == EPERM)
		e->hint = "needs CAP_SYS_ADMIN over the namespace: try sudo";
	else if (e->errnum == EINVAL && ns->type == CLONE_NEWUSER)
		e->hint = "our own user namespace, or we have threads";
	else if (e->errnum == EINVAL && ns->type == CLONE_NEWPID)
		e->hint = "only a descendant PID namespace can be joined";
	return -1;
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
static int join_all(struct err *e)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = pass ? 0 : 1; i < ARRAY_SIZE(nstab); i++) {
			struct ns *ns = &nstab[i];

			if (ns->fd == -1)
				continue;
			if (setns(ns->fd, ns->type) == -1) {
				if (pass == 1)
					return setns_failed(ns, e);
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

/* Fill E for a failed setgid/setuid(0) in the container's namespace. */
static int id_failed(const char *call, struct err *e)
{
	fail(e, call, "0");
	if (e->errnum == EINVAL)
		e->hint = "0 is not mapped in the container's user namespace";
	return -1;
}

/* After the joins: our root and working directory, then our credentials. */
static int settle(const struct ctx *c, struct err *e)
{
	/* setns(CLONE_NEWNS) moved root and cwd to the namespace's root; the
	 * target's root (opened before) is the container's. */
	if (ns_of(CLONE_NEWNS)->joined) {
		if (c->rootfd >= 0 &&
		    (fchdir(c->rootfd) == -1 || chroot(".") == -1))
			return fail(e, "chroot", "/proc/PID/root");
		if (chdir("/") == -1)
			return fail(e, "chdir", "/");
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
	if (setgroups(0, NULL) == -1 && errno != EPERM)
		return fail(e, "setgroups", "0");
	if (setgid(0) == -1)
		return id_failed("setgid", e);
	if (setuid(0) == -1)
		return id_failed("setuid", e);
	trace("setgid(0), setuid(0) in the user namespace");
	return 0;
}

/* The entry point of COMMAND, in this process or in the forked child. */
static int exec_command(const struct ctx *c, char **argv)
{
	extern char **environ;
	struct err e;

	if (c->env)
		environ = c->env; /* execvp(3) searches ITS PATH */
	else /* ours, with -e KEY=VAL on top (-e KEY: ours already) */
		for (int i = 0; i < c->nextra; i++)
			if (strchr(c->extra_env[i], '='))
				putenv((char *)c->extra_env[i]);
	trace("execvp(%s)", argv[0]);
	execvp(argv[0], argv);
	fail(&e, "execvp", argv[0]);
	report(&e);
	return e.errnum == ENOENT || e.errnum == ENOTDIR ? EXIT_NOT_FOUND
							 : EXIT_CANNOT_EXEC;
}

/* Wait for the child, following ^Z, and turn its status into ours. */
static int wait_child(pid_t pid, struct err *e)
{
	int status;

	for (;;) {
		if (waitpid(pid, &status, WUNTRACED) == -1) {
			if (errno == EINTR)
				continue;
			return fail(e, "waitpid", "COMMAND");
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
 * parent stays outside, waits and relays signals, as the runtime does
 * (init.c): INT, TERM, HUP, QUIT, USR1, USR2 and WINCH reach COMMAND, so
 * `kill -USR1` of set_ns no longer kills it and orphans COMMAND. Hardened,
 * the child takes a session of its own, as PID 1 did (CVE-2017-5226): it
 * has no controlling terminal, so TIOCSTI cannot type into the caller's.
 * It still writes to the caller's terminal and reads its keys, if that is
 * its stdio; only a terminal of its own (docker exec -t) separates more.
 * Signals stay blocked across the fork until the relay knows the child.
 */
static int fork_command(const struct ctx *c, char **argv, struct err *e)
{
	static volatile pid_t child;
	sigset_t block, old;

	signal(SIGCHLD, SIG_DFL); /* inherited SIG_IGN: waitpid gets ECHILD */
	sigemptyset(&block);
	for (int i = 0; forwarded_signals[i]; i++)
		sigaddset(&block, forwarded_signals[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	child = fork();
	if (child == -1) {
		fail(e, "fork", "COMMAND");
		if (e->errnum == ENOMEM)
			e->hint = "the PID namespace's init has exited";
		return -1;
	}
	if (child == 0) {
		reset_signals();
		if (c->hardened)
			setsid(); /* a child is no group leader: cannot fail */
		_exit(exec_command(c, argv));
	}
	if (forward_signals(&child, 0, e) == -1)
		return -1;
	if (!c->hardened) {
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (!c->quiet)
		/* allow-print: the line every runtime prints */
		msg("child PID on host: %d", (int)child);
	return wait_child(child, e);
}

/*
 * The target's seccomp filter, after no_new_privs (adopt_privileges) and
 * before the fork, so that we and COMMAND run under it. /proc/PID/status
 * says only whether there is one (Seccomp: 2); the record says which. A
 * target with a filter and no record (-t PID) gets step09's default, the
 * only one a runtime of this workshop installs; the record's "default"
 * without a filter (Seccomp: 0) is applied too: the stricter wins.
 */
static int join_filter(const struct ctx *c, const struct privileges *p,
		       struct err *e)
{
	enum seccomp_profile profile = PROFILE_UNCONFINED;
	struct sock_fprog prog;

	if (p->seccomp != 0 || strcmp(c->seccomp, "default") == 0)
		profile = PROFILE_DEFAULT;
	trace("seccomp: Seccomp %d, record \"%s\": %s", p->seccomp, c->seccomp,
	      seccomp_name(profile));
	if (seccomp_program(profile, &prog, e) == -1)
		return -1;
	seccomp_print(&prog);
	return seccomp_install(&prog, e);
}

/* runc exec: what PID 1 may do, read through the descriptor that pins it
 * once we are in the user namespace (the groups are then numbered as
 * inside), becomes what we may do. */
static int take_hardening(const struct ctx *c, struct err *e)
{
	struct privileges p;

	if (!c->hardened)
		return 0;
	if (privileges_of(c->procfd, &p, e) == -1 ||
	    adopt_privileges(&p, e) == -1)
		return -1;
	return join_filter(c, &p, e);
}

/* The child of tty_command(): a session of its own, whose controlling
 * terminal is the container's pty, then COMMAND. */
static int tty_exec(const struct ctx *c, int peer, char **argv)
{
	struct err e;
	int rc = setsid() == -1 ? fail(&e, "setsid", "COMMAND")
				: tty_attach(peer, &e);

	if (rc == -1) {
		report(&e);
		return EXIT_RUNTIME;
	}
	return exec_command(c, argv);
}

/*
 * --tty, docker exec -t: a pty opened in the mount namespace we joined, so
 * one of the container's (/dev/pts/N of its devpts). Our child runs COMMAND
 * on it; we relay it to our terminal (tty.c), so nothing of the container
 * holds ours (TIOCSTI, CVE-2017-5226).
 */
static int tty_command(const struct ctx *c, char **argv, struct err *e)
{
	static volatile pid_t pid;
	sigset_t block, old;
	int master = -1, peer = -1, status, rc;

	if (tty_open(&master, &peer, e) == -1)
		return -1;
	signal(SIGCHLD, SIG_DFL); /* inherited SIG_IGN: waitpid gets ECHILD */
	sigemptyset(&block);
	for (int i = 0; forwarded_signals[i]; i++)
		sigaddset(&block, forwarded_signals[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid = fork();
	if (pid == 0) {
		reset_signals();
		close(master);
		_exit(tty_exec(c, peer, argv));
	}
	close(peer);
	if (pid == -1 || forward_signals(&pid, 0, e) == -1) {
		close(master);
		return pid == -1 ? fail(e, "fork", "COMMAND") : -1;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (!c->quiet)
		/* allow-print: the line every runtime prints */
		msg("child PID on host: %d", (int)pid);
	rc = tty_relay(master, pid, &status, e);
	close(master);
	if (rc == 0)
		return status;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* Close what we opened of the target: once joined, or after a failure. */
static void release(struct ctx *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(nstab); i++) {
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

/* Not dumpable, and no inherited descriptor for COMMAND. */
static int protect(struct err *e)
{
	/* CVE-2016-9962: once we are in its namespaces, the container's root
	 * could ptrace us or open /proc/OURPID/fd and reach the host through
	 * the descriptors we hold. Not dumpable, only host root can; execve
	 * makes COMMAND dumpable again. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return fail(e, "prctl", "PR_SET_DUMPABLE");
	/* CVE-2024-21626: only 0-2 reach COMMAND. Ours are O_CLOEXEC; these
	 * are the ones we inherited. */
	if (sys_close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1)
		return fail(e, "close_range", "3, CLOSE_RANGE_CLOEXEC");
	return 0;
}

/* Everything before COMMAND runs: -1 with E filled on failure. */
static int prepare(struct ctx *c, struct err *e)
{
	int rc = -1;

	if (protect(e) == -1)
		return -1;
	if ((c->nsfile ? open_nsfile(c, e) : open_target(c, e)) == -1)
		goto out;
	if (c->hardened && cg_join(c->procfd, e) == -1)
		goto out;
	/* Drop host root's groups while we may: inside a rootless user
	 * namespace setgroups(2) is refused. A rootless caller keeps its own. */
	if (ns_of(CLONE_NEWUSER)->fd >= 0 && setgroups(0, NULL) == -1 &&
	    errno != EPERM) {
		fail(e, "setgroups", "0");
		goto out;
	}
	if (join_all(e) == 0 && settle(c, e) == 0 && take_hardening(c, e) == 0)
		rc = 0;
out:
	/* Done with the target, whatever happened: the child must not hold a
	 * way back to the host's /proc until its exec. */
	release(c);
	return rc;
}

int main(int argc, char **argv)
{
	struct ctx c = {.procfd = -1, .rootfd = -1};
	struct err e;
	char **cmd;
	int rc;

	rc = parse_args(&c, argc, argv, &e);
	if (rc == -1)
		report(&e);
	if (rc != 0)
		return rc == 1 ? 0 : EXIT_RUNTIME;
	cmd = optind < argc ? argv + optind : default_argv;
	if (prepare(&c, &e) == -1) {
		report(&e);
		return EXIT_RUNTIME;
	}
	if (c.tty)
		rc = tty_command(&c, cmd, &e);
	else if (ns_of(CLONE_NEWPID)->joined || c.hardened)
		rc = fork_command(&c, cmd, &e);
	else
		rc = exec_command(&c, cmd);
	if (rc == -1) {
		report(&e);
		return EXIT_RUNTIME;
	}
	return rc;
}
