/*
 * step10 — overlayfs: the image stays read-only, each container writes to
 * a layer of its own.
 *
 * What this step teaches
 *   Since step03 the rootfs is mounted read-only: no container may change
 *   the image under the next one. But a Docker container may write to its
 *   own /. overlayfs gives it both: the image (the rootfs, or an --image
 *   tarball, and any --layer DIRs above it) is a stack of read-only lower
 *   layers; each container gets an upper layer and a work directory of its
 *   own, where every change lands (copy-up, whiteouts for deletions).
 *
 *     sudo ./step10 -- sh -c 'rm /bin/ls; echo x > /new'   # the image stays
 *     sudo ./step10 --name web --keep -- sh    # the layer outlives it
 *     sudo ./step10 --rm-layer web                          # and goes
 *
 *   It adds to step09:
 *   - overlay.c: the layers on a tmpfs in the container's mount namespace,
 *     mounted by the runtime (root: through setns, idmapped through the
 *     child's user namespace, so container root owns what it sees) or by
 *     the child itself (rootless, with userxattr);
 *   - idcopy.c: a chowned copy of a layer where idmapped mounts are missing;
 *   - store.c: /var/lib/nsworkshop (rootless: $XDG_DATA_HOME/nsworkshop),
 *     for kept layers (--name NAME --keep, --rm-layer NAME) and images;
 *   - image.c, tar.c, sha256.c: --image FILE.tar[.gz], unpacked once into
 *     a content-addressed cache, refusing tar-slip (CVE-2014-9356).
 *
 * Read: the kernel's Documentation/filesystems/overlayfs.rst,
 * mount_setattr(2), open_tree(2), move_mount(2), fsopen(2), setns(2).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "err.h"
#include "harden.h"
#include "image.h"
#include "init.h"
#include "lifecycle.h"
#include "net.h"
#include "ns.h"
#include "overlay.h"
#include "proc.h"
#include "rootfs.h"
#include "seccomp.h"
#include "state.h"
#include "store.h"
#include "syscalls.h"
#include "tty.h"
#include "userns.h"

#define PROG	   "step10"
#define STACK_SIZE (1024 * 1024)

const char prog[] = PROG;

/* The namespaces this step creates; CLONE_NEWNET depends on --net. */
#define CLONE_FLAGS                                                            \
	(CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID |            \
	 CLONE_NEWUSER | CLONE_NEWUTS)

struct config {
	char **argv; /* COMMAND and its arguments */
	int quiet;
	int sync_fd[2]; /* the child reads "go" from [0]; we write to [1] */
	const char *rootfs_arg; /* --rootfs, NULL for the default */
	char rootfs[PATH_MAX];	/* ... resolved by resolve_rootfs() */
	const char *hostname;
	enum net_mode net;
	long net_pid;	       /* --net container:PID */
	int net_fd;	       /* ... its /proc/PID/ns/net */
	unsigned long net_ino; /* and that namespace's inode, for -v */
	struct in_addr ip;     /* --ip ADDR/PREFIX, when ip_prefix > 0 */
	int ip_prefix;
	char uid_map[MAP_LINE_MAX]; /* "INSIDE OUTSIDE COUNT", as the kernel */
	char gid_map[MAP_LINE_MAX]; /* reads /proc/PID/uid_map and gid_map */
	int rootless;	     /* not root: map ourselves, deny setgroups */
	const char *name;    /* --name: the state record's name */
	struct state state;  /* and the record, once reserved */
	const char *pidfile; /* --pidfile FILE */
	struct pidfile pf;   /* and its directory, once checked */
	char **env_args;     /* -e KEY=VALUE or KEY, nenv of them */
	size_t nenv;
	char **env;	       /* COMMAND's environment (env_build) */
	char **caller_env;     /* ours, from execve: --init scrubs it */
	char **caller_argv;    /* likewise */
	int init;	       /* --init: a reaping init as PID 1 */
	int detach;	       /* --detach: return once COMMAND runs */
	unsigned stop_timeout; /* seconds from SIGTERM to SIGKILL */
	int exec_fd[2];	       /* the exec report: errno, or EOF if it ran */
	struct host_paths hp;  /* taken for the child (rootfs.c) */
	int tty;	/* a pty: 1 with -t, -1 with --no-tty, 0 unsaid */
	int console[2]; /* with a pty, the child sends its master on [1] */
	struct limits limits;	      /* --memory, --pids, --cpus */
	struct cgroup cgroup;	      /* the container's, once made */
	enum seccomp_profile seccomp; /* --seccomp */
	struct sock_fprog filter;     /* ... its program, built before clone */
	int dump;		      /* --seccomp-dump */
	struct overlay ovl;	      /* the layers and where they go */
	char layers[OVL_MAX_LOWER][PATH_MAX]; /* lower[], resolved */
	const char *image;		      /* --image FILE */
	int keep;			      /* --keep */
	int keep_fd;			      /* its lock (overlay_lock) */
	const char *rm_layer;		      /* --rm-layer NAME */
};

/*
 * The "go" message the parent writes on the sync pipe once the host side of
 * the network is ready. It carries what the child cannot know by itself:
 * the address the parent chose for it (veth mode).
 */
struct go_msg {
	struct net_addrs net;
};

static char *default_argv[] = {"/bin/sh", NULL};

#define OVERLAY_USAGE                                                          \
	"      --layer DIR  a read-only layer above the rootfs (lowest "       \
	"first)\n"                                                             \
	"      --image FILE.tar[.gz]  the rootfs from a tarball, unpacked "    \
	"once\n"                                                               \
	"      --keep      with --name: keep the container's layer after "     \
	"exit\n"                                                               \
	"      --rm-layer NAME  remove the kept layer NAME and exit\n"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: " PROG " [OPTION]... [--] [COMMAND [ARG]...]\n"
	    "Run COMMAND (default /bin/sh) as root of a new user namespace and "
	    "PID 1\n"
	    "of new PID, mount, UTS, IPC and network namespaces, in its own "
	    "root\n"
	    "filesystem. Works without root (--net none).\n"
	    "\n"
	    "  -r, --rootfs DIR  the container's root filesystem (default: "
	    "rootfs\n"
	    "                    beside the " PROG " binary)\n"
	    "      --hostname NAME  the container's hostname (default: "
	    "container)\n"
	    "      --net MODE   veth (default), none, host or container:PID\n"
	    "      --ip ADDR/PREFIX  the container's address with --net veth\n"
	    "                   (default: a free /30 of 10.201.0.0/16)\n"
	    "      --name NAME  record the container so `set_ns --name NAME` "
	    "finds it\n"
	    "      --pidfile FILE  write the container's host PID to FILE\n"
	    "  -e, --env KEY=VALUE  set KEY in COMMAND's environment (-e KEY: "
	    "the\n"
	    "                  caller's value); COMMAND gets PATH, HOSTNAME, "
	    "HOME\n"
	    "                  and TERM (with a terminal), not the caller's "
	    "environment\n"
	    "  -d, --detach    print the host PID on stdout and return once "
	    "COMMAND\n"
	    "                  runs; its stdin, stdout and stderr are "
	    "/dev/null\n"
	    "  -t, --tty       COMMAND gets a pseudo-terminal (stdout+stderr)\n"
	    "                  by default with no COMMAND at a terminal\n"
	    "      --no-tty    no pseudo-terminal\n"
	    "      --init      run a small init as PID 1 that reaps zombies\n"
	    "      --stop-timeout SECONDS  SIGKILL that long after the first "
	    "forwarded\n"
	    "                  SIGTERM/SIGINT/SIGQUIT (default 10; 0: never)\n"
	    "      --memory SIZE  memory limit, e.g. 32m (k, m, g: KiB, MiB, "
	    "GiB)\n"
	    "      --pids N    at most N tasks\n"
	    "      --cpus FRACTION  CPU time, e.g. 0.5 = half a CPU\n"
	    "      --seccomp=PROFILE  default or unconfined "
	    "(--seccomp-dump)\n" OVERLAY_USAGE
	    "      --uid-map INSIDE:OUTSIDE:COUNT  map container uids to host "
	    "uids\n"
	    "      --gid-map INSIDE:OUTSIDE:COUNT  the same for gids (default "
	    "as\n"
	    "                   root: 0:100000:65536; without root: 0:UID:1)\n"
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
enum {
	OPT_HOSTNAME = CHAR_MAX + 1,
	OPT_NET,
	OPT_IP,
	OPT_UID_MAP,
	OPT_GID_MAP,
	OPT_NAME,
	OPT_PIDFILE,
	OPT_INIT,
	OPT_STOP_TIMEOUT,
	OPT_MEMORY,
	OPT_PIDS,
	OPT_CPUS,
	OPT_NO_TTY,
	OPT_SECCOMP,
	OPT_SECCOMP_DUMP,
	OPT_LAYER,
	OPT_IMAGE,
	OPT_KEEP,
	OPT_RM_LAYER
};

/*
 * A hostname is checked before anything is created, so a bad one costs
 * nothing: 1 to 64 bytes (HOST_NAME_MAX; sethostname(2) fails with EINVAL
 * beyond it) of letters, digits, '-' and '.', not starting with '-' or '.'
 * (RFC 1123).
 */
static int check_hostname(const char *name, struct err *e)
{
	size_t len = strlen(name);

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
}

/* --name: checked now, while a bad one costs nothing. */
static int check_name(const char *name, struct err *e)
{
	if (state_name_valid(name) == 0)
		return 0;
	fail_errno(e, 0, "--name", name);
	e->hint = "use 1 to 64 letters, digits, '_', '.' and '-', not "
		  "starting with '.'";
	return -1;
}

/* --seccomp=PROFILE, as Docker's --security-opt seccomp=PROFILE (which
 * also takes a JSON profile's file), and --seccomp-dump. */
static int set_seccomp(struct config *cfg, int c, struct err *e)
{
	if (c == OPT_SECCOMP_DUMP)
		cfg->dump = 1;
	if (c != OPT_SECCOMP || seccomp_parse(optarg, &cfg->seccomp) == 0)
		return 0;
	fail_errno(e, 0, "--seccomp", optarg);
	e->hint = "default or unconfined";
	return -1;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* 1 when HIGH is DIR or one of its ancestors: climb ".." with openat(2)
 * from the descriptor, no path name that a rename could redirect, up to
 * the root, whose ".." is itself. OPT and PATH name DIR in an error. */
static int holds(int dir, const struct stat *high, const char *opt,
		 const char *path, struct err *e)
{
	struct stat st, up;
	int fd = openat(dir, ".", O_PATH | O_DIRECTORY | O_CLOEXEC), next;
	int rc = -1;

	while (fd != -1 && fstat(fd, &st) == 0) {
		if (same_file(&st, high)) {
			rc = 1;
			break;
		}
		next = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (next == -1)
			break;
		close(fd);
		fd = next;
		if (fstat(fd, &up) == -1)
			break;
		if (same_file(&up, &st)) {
			rc = 0;
			break;
		}
	}
	if (fd != -1)
		close(fd);
	return rc == -1 ? fail(e, opt, path) : rc;
}

/* Is the tree FD (ST) the store, inside it, or a directory above it? The
 * directories on the store's path are root's (without root, our own),
 * which no one else may rename: stat(2) them by name; the tree's own, by
 * "..". No store path (rootless, no HOME): there is no store to be near. */
static int near_store(int fd, const struct stat *st, int rootless,
		      const char *opt, const char *name, struct err *e)
{
	char path[PATH_MAX], *slash;
	struct stat at;
	struct err ignored;
	int rc = 0;

	if (store_where(rootless, path, &ignored) == -1)
		return 0;
	for (int store = 1; rc == 0; store = 0) {
		if (stat(path, &at) == 0)
			rc = store ? holds(fd, &at, opt, name, e)
				   : same_file(&at, st);
		else if (errno != ENOENT)
			rc = fail(e, "stat", path);
		slash = strrchr(path, '/');
		if (slash == path)
			break;
		*slash = '\0';
	}
	return rc;
}

/* OPT's PATH (a realpath(3)) opened as it is now, no symlink followed on
 * the way (openat2(2) RESOLVE_NO_SYMLINKS): ELOOP means one was renamed
 * into the path since; its identity in ST. */
static int open_once(const char *opt, const char *path, int *fd,
		     struct stat *st, struct err *e)
{
	*fd = sys_openat2_nofollow(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*fd == -1) {
		fail(e, opt, path);
		if (e->errnum == ELOOP)
			e->hint = strcmp(opt, "--layer") == 0
				      ? "the layer changed while the "
					"container started"
				      : "the rootfs changed while the "
					"container started";
		return -1;
	}
	if (fstat(*fd, st) == -1)
		return fail(e, opt, path);
	return 0;
}

/* The kernel's own filesystems (statfs(2)'s f_type): what their files
 * hold is made up as they are read (/proc/kcore is as large as the
 * address space), and a chowned copy of one would be the host's state
 * (a device node, a cgroup). The last three have no name in
 * linux/magic.h. */
#define MQUEUE_MAGIC   0x19800202 /* ipc/mqueue.c */
#define CONFIGFS_MAGIC 0x62656570 /* fs/configfs/mount.c */
#define FUSECTL_MAGIC  0x65735543 /* fs/fuse/control.c */
static const unsigned long kernel_fs[] = {
    PROC_SUPER_MAGIC,	 SYSFS_MAGIC,	     CGROUP_SUPER_MAGIC,
    CGROUP2_SUPER_MAGIC, DEVPTS_SUPER_MAGIC, SECURITYFS_MAGIC,
    SELINUX_MAGIC,	 SMACK_MAGIC,	     TRACEFS_MAGIC,
    DEBUGFS_MAGIC,	 BPF_FS_MAGIC,	     BINFMTFS_MAGIC,
    PSTOREFS_MAGIC,	 EFIVARFS_MAGIC,     NSFS_MAGIC,
    MQUEUE_MAGIC,	 CONFIGFS_MAGIC,     FUSECTL_MAGIC,
};

/*
 * 1 when the tree opened at FD (identity ST) is no image: `/` or a
 * directory that holds the store (a chowned copy would hold itself, until
 * the store's reserve stops it), anything inside the store, or one of the
 * kernel's filesystems.
 */
static int not_an_image(int fd, const struct stat *st, int rootless,
			const char *opt, const char *path, struct err *e)
{
	struct statfs sf;
	struct stat root;

	if (fstatfs(fd, &sf) == -1 || stat("/", &root) == -1)
		return fail(e, opt, path);
	if (same_file(st, &root))
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(kernel_fs); i++)
		if ((unsigned long)sf.f_type == kernel_fs[i])
			return 1;
	return near_store(fd, st, rootless, opt, path, e);
}

/*
 * A --layer is a tree the runtime idmaps or, where overlayfs cannot take
 * idmapped layers, copies chowned into the store: an image's tree
 * (not_an_image). Opened once, checked by what was opened and mounted
 * (or copied) from that descriptor (overlay.c): a path checked, then
 * used by its name, is whatever the owner of one of its directories
 * renamed into place in between (runc's CVE-2021-30465).
 */
static int open_layer(const char *path, int rootless, int *fd, struct err *e)
{
	struct stat st;
	int bad;

	if (open_once("--layer", path, fd, &st, e) == -1 ||
	    (bad = not_an_image(*fd, &st, rootless, "--layer", path, e)) == -1)
		return -1;
	if (bad) {
		fail_errno(e, EINVAL, "--layer", path);
		e->hint = "a layer is an image's tree: not /, a kernel "
			  "filesystem (/proc, /sys, ...), the store or a "
			  "directory that holds it";
		return -1;
	}
	return 0;
}

/* The same, early: a bad --layer is refused before anything else is
 * read; check_layers opens each again, and that is the one mounted. */
static int check_layer(const char *path, int rootless, struct err *e)
{
	int fd = -1, rc = open_layer(path, rootless, &fd, e);

	if (fd != -1)
		close(fd);
	return rc;
}

/* --layer DIR, --image FILE, --keep, --rm-layer NAME; the others go on to
 * set_seccomp(). */
static int set_layers(struct config *cfg, int c, struct err *e)
{
	/* step10 { --layer DIR: realpath(3) it into cfg->layers[] (at most
	 * OVL_MAX_LOWER - 1: the image is the lowest); --image, --keep and
	 * --rm-layer set their fields */
	if (c == OPT_IMAGE)
		cfg->image = optarg;
	else if (c == OPT_KEEP)
		cfg->keep = 1;
	else if (c == OPT_RM_LAYER)
		cfg->rm_layer = optarg;
	if (c != OPT_LAYER)
		return set_seccomp(cfg, c, e);
	if (cfg->ovl.nlower == OVL_MAX_LOWER - 1)
		return fail_errno(e, E2BIG, "--layer", optarg);
	if (!realpath(optarg, cfg->layers[++cfg->ovl.nlower]))
		return fail(e, "--layer", optarg);
	return check_layer(cfg->layers[cfg->ovl.nlower], cfg->rootless, e);
	/* } step10, skeleton: return set_seccomp(cfg, c, e); */
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
	case 'd':
		cfg->detach = 1;
		return 0;
	case 't':
		cfg->tty = 1;
		return 0;
	case OPT_NO_TTY:
		cfg->tty = -1;
		return 0;
	case OPT_INIT:
		cfg->init = 1;
		return 0;
	case OPT_PIDFILE:
		cfg->pidfile = optarg;
		return 0;
	case 'e':
		cfg->env_args[cfg->nenv++] = optarg;
		return 0;
	case OPT_NAME:
		cfg->name = optarg;
		return check_name(optarg, e);
	case OPT_STOP_TIMEOUT:
		return parse_stop_timeout(optarg, &cfg->stop_timeout, e);
	case OPT_MEMORY:
		return cg_parse_limit(CG_MEMORY, optarg, &cfg->limits, e);
	case OPT_PIDS:
		return cg_parse_limit(CG_PIDS, optarg, &cfg->limits, e);
	case OPT_CPUS:
		return cg_parse_limit(CG_CPU, optarg, &cfg->limits, e);
	case OPT_HOSTNAME:
		cfg->hostname = optarg;
		return check_hostname(optarg, e);
	case OPT_NET:
		return net_parse_mode(optarg, &cfg->net, &cfg->net_pid, e);
	case OPT_IP:
		return net_parse_ip(optarg, &cfg->ip, &cfg->ip_prefix, e);
	case OPT_UID_MAP:
		return parse_map("--uid-map", optarg, cfg->uid_map, e);
	case OPT_GID_MAP:
		return parse_map("--gid-map", optarg, cfg->gid_map, e);
	}
	return set_layers(cfg, c, e);
}

/* A pty: with -t; with no COMMAND at a terminal, by default, as ssh does
 * (docker run needs -t); never with --no-tty, nor for --detach, which
 * leaves no terminal to relay. */
static int check_tty(struct config *cfg, struct err *e)
{
	if (cfg->tty == 1 && cfg->detach) {
		fail_errno(e, 0, "-t", NULL);
		e->hint = "a --detach container has no terminal to relay";
		return -1;
	}
	if (cfg->tty == 0)
		cfg->tty = cfg->argv == default_argv && !cfg->detach &&
				   isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)
			       ? 1
			       : -1;
	return 0;
}

/* The rootfs is the lowest layer: opened once, like a --layer, and
 * refused for the same reasons (resolve_rootfs checked the name, which a
 * rename can point elsewhere since). */
static int open_rootfs(const char *path, int rootless, int *fd, struct err *e)
{
	struct stat st;
	int bad;

	if (open_once("--rootfs", path, fd, &st, e) == -1 ||
	    (bad = not_an_image(*fd, &st, rootless, "--rootfs", path, e)) == -1)
		return -1;
	if (!bad)
		return 0;
	fail_errno(e, EINVAL, "--rootfs", path);
	e->hint = "a rootfs is an image's tree: not /, a kernel filesystem "
		  "(/proc, /sys, ...), the store or a directory that holds "
		  "it; make one with: make rootfs";
	return -1;
}

/* The overlay's lower layers: the image (--image, else the rootfs), then
 * each --layer; the maps, to idmap them; --keep's name. */
static int check_layers(struct config *cfg, struct err *e)
{
	struct overlay *o = &cfg->ovl;

	if (cfg->keep && !cfg->name) {
		fail_errno(e, 0, "--keep", NULL);
		e->hint = "needs --name NAME: the name of the kept layer";
		return -1;
	}
	if (cfg->image &&
	    image_prepare(cfg->image, cfg->rootless, cfg->layers[0], e) == -1)
		return -1;
	if (!cfg->image)
		memcpy(cfg->layers[0], cfg->rootfs, sizeof(cfg->rootfs));
	o->nlower++; /* the image, below the --layer DIRs */
	o->lower_fd[0] = -1;
	if (!cfg->image &&
	    open_rootfs(cfg->rootfs, cfg->rootless, &o->lower_fd[0], e) == -1)
		return -1;
	for (int i = 0; i < o->nlower; i++)
		o->lower[i] = cfg->layers[i];
	for (int i = 1; i < o->nlower; i++)
		if (open_layer(o->lower[i], cfg->rootless, &o->lower_fd[i],
			       e) == -1)
			return -1;
	o->keep = cfg->keep ? cfg->name : NULL;
	o->uid_map = cfg->uid_map;
	o->gid_map = cfg->gid_map;
	o->rootless = cfg->rootless;
	return overlay_path(o, e);
}

/* What the options mean together, once all are read. */
static int check_options(struct config *cfg, struct err *e)
{
	if (cfg->dump || cfg->rm_layer)
		return 0; /* nothing runs: only the filter is written */
	if (!cfg->hostname)
		cfg->hostname = "container";
	if (cfg->net == NET_CONTAINER &&
	    net_open_ns(cfg->net_pid, &cfg->net_fd, &cfg->net_ino, e) == -1)
		return -1;
	/* Without root, our own uid and gid become 0: the only ids an
	 * unprivileged process may map (user_namespaces(7)). */
	if (!cfg->uid_map[0])
		default_map(cfg->uid_map, geteuid(), cfg->rootless);
	if (!cfg->gid_map[0])
		default_map(cfg->gid_map, getegid(), cfg->rootless);
	if (cfg->ip_prefix && cfg->net != NET_VETH)
		return fail_errno(e, 0, "--ip goes with --net veth", NULL);
	if (cfg->net == NET_VETH && cfg->rootless) {
		fail_errno(e, 0, "--net veth", NULL);
		e->hint =
		    "needs root (a veth pair is made in the host's "
		    "network namespace): run with sudo, or use --net none "
		    "(the default without root; slirp4netns or pasta "
		    "give rootless containers a network)";
		return -1;
	}
	/* TERM goes with a pty, as docker run -t sets it */
	if (check_tty(cfg, e) == -1 ||
	    env_build(cfg->hostname, cfg->tty == 1, cfg->env_args, cfg->nenv,
		      &cfg->env, e) == -1)
		return -1;
	if (resolve_rootfs(cfg->rootfs_arg, cfg->rootfs, e) == -1)
		return -1;
	return check_layers(cfg, e);
}

/* Returns 0 to run, 1 after --help, -1 on a usage error (E says which). */
static int parse_args(int argc, char **argv, struct config *cfg, struct err *e)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"rootfs", required_argument, NULL, 'r'},
	    {"hostname", required_argument, NULL, OPT_HOSTNAME},
	    {"net", required_argument, NULL, OPT_NET},
	    {"ip", required_argument, NULL, OPT_IP},
	    {"uid-map", required_argument, NULL, OPT_UID_MAP},
	    {"gid-map", required_argument, NULL, OPT_GID_MAP},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"pidfile", required_argument, NULL, OPT_PIDFILE},
	    {"env", required_argument, NULL, 'e'},
	    {"init", no_argument, NULL, OPT_INIT},
	    {"detach", no_argument, NULL, 'd'},
	    {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
	    {"memory", required_argument, NULL, OPT_MEMORY},
	    {"pids", required_argument, NULL, OPT_PIDS},
	    {"cpus", required_argument, NULL, OPT_CPUS},
	    {"seccomp", required_argument, NULL, OPT_SECCOMP},
	    {"seccomp-dump", no_argument, NULL, OPT_SECCOMP_DUMP},
	    {"layer", required_argument, NULL, OPT_LAYER},
	    {"image", required_argument, NULL, OPT_IMAGE},
	    {"keep", no_argument, NULL, OPT_KEEP},
	    {"rm-layer", required_argument, NULL, OPT_RM_LAYER},
	    {"verbose", no_argument, NULL, 'v'},
	    {"tty", no_argument, NULL, 't'},
	    {"no-tty", no_argument, NULL, OPT_NO_TTY},
	    {NULL, 0, NULL, 0},
	};
	int c, rc = 0;

	/* The leading '+' stops at the first non-option: COMMAND's own
	 * options (`step09 ls -l`) are not ours to parse. The ':' makes a
	 * missing argument return ':' and opterr = 0 lets us word the error. */
	opterr = 0;
	/* Without root, --net none by default: a veth needs the host's. */
	cfg->rootless = geteuid() != 0;
	cfg->net = cfg->rootless ? NET_NONE : NET_VETH;
	cfg->state.dirfd = cfg->pf.dirfd = cfg->keep_fd = -1; /* none yet */
	cfg->caller_env = environ; /* before any setenv(3) */
	cfg->caller_argv = argv;
	/* at most one -e per argument */
	cfg->env_args = calloc((size_t)argc, sizeof(*cfg->env_args));
	if (!cfg->env_args)
		return fail(e, "calloc", "-e");
	while (rc == 0 && (c = getopt_long(argc, argv, "+:de:hqr:tv", longopts,
					   NULL)) != -1)
		rc = c == ':' || c == '?' ? bad_option(c, argv, e)
					  : set_option(cfg, c, e);
	if (rc == 0) {
		cfg->argv = optind < argc ? argv + optind : default_argv;
		rc = check_options(cfg, e);
	}
	free(cfg->env_args); /* env_build() made cfg->env from them */
	cfg->env_args = NULL;
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
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return fail(e, "prctl", "PR_SET_PDEATHSIG");
	/* The parent may have died before prctl ran. Once we close our copy
	 * of the write end, EOF instead of "go" tells us; if it died after
	 * writing "go" but before our prctl ran, it hung up. */
	close(cfg->sync_fd[1]);
	if (read(cfg->sync_fd[0], go, size) != (ssize_t)size ||
	    runtime_gone(cfg->sync_fd[0]))
		return fail_errno(e, 0,
				  "runtime exited before the container "
				  "started",
				  NULL);
	return 0;
}

/* The network first: sysfs, mounted below, shows the interfaces of the
 * network namespace of the process that mounts it. With container:PID the
 * parent has joined it for us before clone. */
static int setup_net(const struct config *cfg, const struct go_msg *go,
		     struct err *e)
{
	if (cfg->net == NET_CONTAINER || cfg->net == NET_HOST)
		return 0;
	return net_setup_container(cfg->net == NET_VETH, &go->net, e);
}

/* Only the new UTS namespace sees this name; the host keeps its own. */
static int set_hostname(const char *name, struct err *e)
{
	trace("sethostname(%s)", name);
	if (sethostname(name, strlen(name)) == -1)
		return fail(e, "sethostname", name);
	return 0;
}

/*
 * Any change of credentials clears PR_SET_PDEATHSIG (prctl(2)): re-arm it,
 * then check the parent did not die in between — its end of the sync pipe,
 * held open while the container runs, would have hung up.
 */
static int rearm_deathsig(const struct config *cfg, struct err *e)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return fail(e, "prctl", "PR_SET_PDEATHSIG");
	if (runtime_gone(cfg->sync_fd[0]))
		return fail_errno(
		    e, 0, "runtime exited before the container started", NULL);
	close(cfg->sync_fd[0]);
	return 0;
}

/*
 * Build the container's filesystem and move into it (rootfs.c): a private
 * mount table, the rootfs as a mount point, its filesystems and devices,
 * then pivot_root.
 */
static int setup_rootfs(struct config *cfg, struct err *e)
{
	/* step10 { rootless, no runtime of ours can mount in our namespace:
	 * overlay_mount() cfg->ovl here (no user namespace to idmap through:
	 * -1). Then enter_rootfs() the overlay, cfg->ovl.merged */
	if (cfg->rootless && overlay_mount(&cfg->ovl, -1, e) == -1)
		return -1;
	if (enter_rootfs(cfg->ovl.merged, &cfg->hp, e) == -1)
		return -1;
	/* } step10, skeleton:
	 * if (enter_rootfs(cfg->rootfs, &cfg->hp, e) == -1)
	 *	return -1;
	 */
	/* Now that we stand in the rootfs, become root of the namespace:
	 * what we mount from here on is owned by a mapped id. */
	if (become_root(cfg->rootless, e) == -1 || rearm_deathsig(cfg, e) == -1)
		return -1;
	if (mount_filesystems(&cfg->hp, e) == -1 ||
	    make_devices(&cfg->hp, e) == -1 || harden_paths(e) == -1)
		return -1;
	return pivot_into(e);
}

/*
 * The exec report. The child holds the write end of a close-on-exec pipe:
 * if COMMAND starts, exec closes it and the parent reads EOF; if not, the
 * child writes errno first (0 when it already said what went wrong).
 */
static int exec_report_fd = -1;

static int report_exec(int err, int status)
{
	if (write_all(exec_report_fd, &err, sizeof(err)) == -1)
		return EXIT_RUNTIME;
	return status;
}

/* COMMAND's environment (env_build), for exec_command(). */
static char **command_env;

/* Exec COMMAND; on failure report errno and return Docker's status. With
 * --init this runs in init's child, which inherited the report pipe. */
static int exec_command(char *const argv[])
{
	/* execvpe(3) looks COMMAND up in the PATH of *our* environment: make
	 * it the container's (the host's means nothing in the rootfs, and
	 * may name directories we cannot search). */
	for (char **v = command_env; *v; v++)
		if (strncmp(*v, "PATH=", 5) == 0)
			setenv("PATH", *v + 5, 1);
	trace("execvpe(%s)", argv[0]);
	execvpe(argv[0], argv, command_env);
	int err = errno;

	return report_exec(err, exec_status(err));
}

/*
 * The last steps before exec: drop privileges the container must not have,
 * make sure no descriptor of ours reaches COMMAND, and with --detach give
 * it /dev/null instead of our terminal or pipes.
 */
static int finish_child(const struct config *cfg, struct err *e)
{
	int null;

	if (harden_privileges(e) == -1 || harden_fds(e) == -1)
		return -1;
	if (!cfg->detach)
		return 0;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null == -1)
		return fail(e, "open", "/dev/null");
	if (dup2(null, 0) == -1 || dup2(null, 1) == -1 || dup2(null, 2) == -1)
		return fail(e, "dup2", "/dev/null");
	close(null);
	return 0;
}

/*
 * The filter goes on last: after no_new_privs (finish_child), without which
 * seccomp(2) is EACCES, and after the pty, and before exec and before
 * --init forks, so that PID 1 and all it starts run under it; a filter is
 * inherited by every child and survives execve(2). Nothing can take it
 * off again.
 */
static int enter_filter(const struct config *cfg, struct err *e)
{
	trace("seccomp(SECCOMP_SET_MODE_FILTER, %u instructions)",
	      cfg->filter.len);
	return seccomp_install(&cfg->filter, e);
}

/* The parent has moved us into our cgroup: a new cgroup namespace now has
 * that cgroup as its root, and /proc/self/cgroup shows `/`
 * (cgroup_namespaces(7)). */
static int enter_cgroup_ns(struct err *e)
{
	trace("unshare(CLONE_NEWCGROUP)");
	if (unshare(CLONE_NEWCGROUP) == -1)
		return fail(e, "unshare", "CLONE_NEWCGROUP");
	return 0;
}

/*
 * PID 1 stays the runtime's code and never execs: the caller's environment
 * and arguments (host paths, -e values) would stay readable in
 * /proc/1/environ and /proc/1/cmdline (proc(5): the memory execve(2) put
 * them in), and its capabilities would stay whole. COMMAND's arguments
 * live in that memory too: they are copied first.
 */
static int become_init(struct config *cfg, struct err *e)
{
	size_t n = 0;
	char **argv;

	while (cfg->argv[n])
		n++;
	argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		return fail(e, "calloc", "--init");
	for (size_t i = 0; i < n; i++)
		if (!(argv[i] = strdup(cfg->argv[i]))) {
			env_free(argv); /* a NULL-terminated list too */
			return fail(e, "strdup", "--init");
		}
	cfg->argv = argv;
	clearenv();
	env_scrub(cfg->caller_env);
	env_scrub(cfg->caller_argv);
	return harden_init(e);
}

/*
 * Runs in the child. Without CLONE_VM the child has a copy of the parent's
 * memory, like after fork(2), so it may use cfg and stdio freely.
 */
static int child_main(void *arg)
{
	struct config *cfg = arg;
	struct err e;
	struct go_msg go;
	int status;

	setsid();
	exec_report_fd = cfg->exec_fd[1];
	close(cfg->exec_fd[0]);
	/* The host's state and pidfile directories are the runtime's: with
	 * --init PID 1 never execs, so close-on-exec would not close them. */
	if (cfg->state.dirfd >= 0)
		close(cfg->state.dirfd);
	if (cfg->pf.dirfd >= 0)
		close(cfg->pf.dirfd);
	if (wait_for_go(cfg, &go, sizeof(go), &e) == -1 ||
	    enter_cgroup_ns(&e) == -1 || setup_net(cfg, &go, &e) == -1 ||
	    set_hostname(cfg->hostname, &e) == -1 ||
	    setup_rootfs(cfg, &e) == -1 || finish_child(cfg, &e) == -1 ||
	    (cfg->tty == 1 && tty_child(cfg->console[1], &e) == -1) ||
	    enter_filter(cfg, &e) == -1) {
		report(&e);
		return report_exec(0, EXIT_RUNTIME);
	}
	command_env = cfg->env;
	if (!cfg->init)
		return exec_command(cfg->argv);
	status = become_init(cfg, &e);
	if (status == 0)
		status = run_init(cfg->argv, exec_command, exec_report_fd, &e);
	if (status == -1) {
		report(&e);
		return EXIT_RUNTIME;
	}
	return status;
}

/* Fill E for a failed clone of the namespaces NAMES (NULL: no stack). */
static int clone_failed(struct err *e, const char *names)
{
	if (!names)
		return fail(e, "mmap", "stack");
	fail(e, "clone", names);
	e->hint = userns_hint();
	return -1;
}

/* A failed start: close both ends of the first N of the sync pipe, the
 * exec report and the console socket. */
static void close_channels(struct config *cfg, size_t n)
{
	int *pairs[] = {cfg->sync_fd, cfg->exec_fd, cfg->console};

	for (size_t i = 0; i < n && i < ARRAY_SIZE(pairs); i++) {
		close(pairs[i][0]);
		close(pairs[i][1]);
	}
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
	if (pipe2(cfg->exec_fd, O_CLOEXEC) == -1) {
		fail(e, "pipe2", "exec report");
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	/* runc's console socket: the child sends its pty's master on it. */
	if (cfg->tty == 1 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
					cfg->console) == -1) {
		fail(e, "socketpair", "console socket");
		close_channels(cfg, 2);
		return -1;
	}
	stack = stack_alloc(STACK_SIZE);
	/* SIGCHLD: the signal the kernel sends us when the child ends; with
	 * it, waitpid(2) treats the child like one made by fork(2).
	 * CLONE_NEWPID: the child is PID 1 of a new PID namespace.
	 * CLONE_NEWNS: it starts with a copy of our mount table.
	 * CLONE_NEWUTS, CLONE_NEWIPC: its own hostname and IPC objects.
	 * CLONE_NEWNET: a network stack of its own, but not with --net host
	 * (the host's) or container:PID (we join that one).
	 * CLONE_NEWUSER: the user namespace owns all the others, which is
	 * why clone makes it first whatever the order of the flags. */
	int flags = CLONE_FLAGS;

	if (cfg->net == NET_HOST || cfg->net == NET_CONTAINER)
		flags &= ~CLONE_NEWNET;
	ns_flag_names(flags, names, sizeof(names));
	pid = stack ? clone(child_main, stack, flags | SIGCHLD, cfg) : -1;
	if (pid == -1)
		clone_failed(e, stack ? names : NULL);
	trace("clone(%s | SIGCHLD) = %d", names, (int)pid);
	if (pid == -1) {
		close_channels(cfg, cfg->tty == 1 ? 3 : 2);
		return -1;
	}
	close(fds[0]);
	close(cfg->exec_fd[1]);
	if (cfg->tty == 1)
		close(cfg->console[1]);
	*go_fd = fds[1];
	return pid;
}

/* Undo, on the host, what the container needed: the cgroup, the record and
 * the pidfile (the veth pair dies with the network namespace). */
static int cleanup(struct config *cfg, struct err *e)
{
	struct err second;
	int rc = cg_destroy(&cfg->cgroup, e);

	if (cfg->keep_fd != -1)
		close(cfg->keep_fd); /* the kept layer is free again */
	cfg->keep_fd = -1;

	if (release(&cfg->state, &cfg->pf, rc == 0 ? e : &second) == -1)
		rc = -1;
	return rc;
}

/* Failed before clone: say why, undo what was made; our exit status. */
static int give_up(struct config *cfg, const struct err *e)
{
	struct err ce;

	report(e);
	if (cleanup(cfg, &ce) == -1)
		report(&ce);
	return EXIT_RUNTIME;
}

/* A failure E after clone: the child waits on the pipe; say what failed
 * (unless the child died first and said why itself), kill it, reap it,
 * undo what the host side made (the veth pair goes with the child). */
static int abort_child(struct config *cfg, pid_t pid, int go_fd,
		       const struct err *e)
{
	struct err ce, we;

	/* Killed by our SIGKILL, it was waiting: we say what failed; if it
	 * had ended before (a dying child may not look dead yet), it said
	 * why itself. */
	kill(pid, SIGKILL);
	if (wait_child(pid, &we) == 128 + SIGKILL)
		report(e);
	close(go_fd); /* after: a hang-up first would make it speak */
	if (cleanup(cfg, &ce) == -1)
		report(&ce);
	return EXIT_RUNTIME;
}

/* The container's host PID, read by the signal relay (init.c). */
static volatile pid_t container_pid;

/* The host's half of the start, while the child waits on the pipe. */
static int setup_host(struct config *cfg, pid_t pid, struct go_msg *go,
		      struct err *e)
{
	if (write_maps(pid, cfg->uid_map, cfg->gid_map, cfg->rootless, e) == -1)
		return -1;
	if (cfg->net == NET_VETH &&
	    net_setup_host(pid, cfg->ip, cfg->ip_prefix, &go->net, e) == -1)
		return -1;
	if (cg_setup(&cfg->cgroup, PROG, &cfg->limits, cfg->rootless, pid, e) ==
	    -1)
		return -1;
	/* step10 { as root, overlay_mount_in() the child's mount namespace
	 * (rootless, the child mounts its overlay itself: return 0) */
	return cfg->rootless ? 0 : overlay_mount_in(&cfg->ovl, pid, e);
	/* } step10, skeleton: return 0; */
}

/* --keep: the kept layer is ours while we run (overlay_lock). */
static int lock_layer(struct config *cfg, struct err *e)
{
	if (!cfg->keep)
		return 0;
	cfg->keep_fd = overlay_lock(cfg->name, cfg->rootless, 1, e);
	return cfg->keep_fd == -1 ? -1 : 0;
}

/* What the child cannot reach from its user namespace, taken now with our
 * privileges (rootfs.c): /sys too when the network namespace is not its;
 * and the kept layer's lock. */
static int take_paths(struct config *cfg, struct err *e)
{
	if (lock_layer(cfg, e) == -1)
		return -1;
	if (take_host_paths(cfg->rootfs,
			    cfg->net == NET_HOST || cfg->net == NET_CONTAINER,
			    &cfg->hp, e) == -1)
		return -1;
	/* The child's root is the overlay, not a copy of the rootfs. */
	if (cfg->hp.rootfs != -1)
		close(cfg->hp.rootfs);
	cfg->hp.rootfs = -1;
	return 0;
}

/*
 * Wait for the container to end; with a pty, relay it to our terminal
 * meanwhile (tty.c). Its exit status, or -1 with E filled.
 */
static int wait_container(const struct config *cfg, pid_t pid, struct err *e)
{
	int master, status, rc;

	if (cfg->tty != 1)
		return wait_child(pid, e);
	if (tty_recv(cfg->console[0], &master, e) == -1)
		return e->errnum == ENODATA ? wait_child(pid, e) : -1;
	rc = tty_relay(master, pid, &status, e);
	close(master);
	if (rc == 0)
		return status;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* Docker's --net container:ID. A child in a new user namespace has no
 * privilege over a network namespace owned by another one, so we join it
 * here, before clone, and the child inherits it. */
static int net_join(const struct config *cfg, struct err *e)
{
	if (cfg->net != NET_CONTAINER)
		return 0;
	trace("setns(%lu, CLONE_NEWNET)", cfg->net_ino);
	if (setns(cfg->net_fd, CLONE_NEWNET) == -1) {
		fail(e, "setns", "--net container:PID");
		if (e->errnum == EPERM)
			e->hint = "joining another network namespace needs "
				  "root";
		return -1;
	}
	return 0;
}

/* The filter, built in the runtime: a program the kernel would refuse
 * fails here, before anything is made; the record will name it.
 * --seccomp-dump writes it to stdout (1: done). */
static int build_filter(struct config *cfg, struct err *e)
{
	if (seccomp_program(cfg->seccomp, &cfg->filter, e) == -1)
		return -1;
	if (cfg->dump)
		return seccomp_dump(&cfg->filter, STDOUT_FILENO, e) == -1 ? -1
									  : 1;
	seccomp_print(&cfg->filter);
	cfg->state.seccomp = seccomp_name(cfg->seccomp);
	return 0;
}

/* --rm-layer NAME is all there is to do (1: done); else build the filter. */
static int first_act(struct config *cfg, struct err *e)
{
	if (!cfg->rm_layer)
		return build_filter(cfg, e);
	return overlay_remove_layer(cfg->rm_layer, cfg->rootless, e) == -1 ? -1
									   : 1;
}

int main(int argc, char **argv)
{
	struct config cfg = {
	    .net_fd = -1, .stop_timeout = 10, .hp = HOST_PATHS_NONE};
	struct go_msg go = {0};
	struct err e;
	int go_fd = -1, rc, report_fd = -1, status = 0;
	pid_t pid = -1;

	rc = parse_args(argc, argv, &cfg, &e);
	if (rc == 0)
		rc = first_act(&cfg, &e);
	if (rc == -1)
		report(&e);
	if (rc != 0)
		return rc > 0 ? 0 : EXIT_RUNTIME;
	rc = cfg.detach ? detach(&report_fd, &status, cfg.net_fd, &e) : 0;
	if (rc != 0)
		return rc == -1 ? give_up(&cfg, &e) : status;
	if (claim(cfg.name, &cfg.state, cfg.pidfile, &cfg.pf, cfg.detach, &e) ==
		-1 ||
	    net_join(&cfg, &e) == -1 || take_paths(&cfg, &e) == -1 ||
	    (pid = start_child(&cfg, &go_fd, &e)) == -1)
		return give_up(&cfg, &e);
	release_host_paths(&cfg.hp); /* the child has its copies */
	/* From now on, the signals we get are the container's. */
	container_pid = pid;
	if (forward_signals(&container_pid, cfg.stop_timeout, &e) == -1)
		report(&e);
	if (!cfg.quiet)
		msg("child PID on host: %d", (int)pid);
	/* A child that died before "go" closes the pipe: EPIPE, not SIGPIPE,
	 * which would kill us before we report its status. */
	signal(SIGPIPE, SIG_IGN);
	if (verbose)
		print_ns_table(pid, cfg.net == NET_CONTAINER ? CLONE_NEWNET : 0,
			       cfg.net_ino);
	if (setup_host(&cfg, pid, &go, &e) == -1)
		return abort_child(&cfg, pid, go_fd, &e);

	/* Let the child go; if this write fails it sees EOF and exits. We
	 * hold our end open while it runs: the child checks for a hang-up
	 * after changing its credentials (rearm_deathsig). */
	if (write_all(go_fd, &go, sizeof(go)) == -1 && errno != EPIPE) {
		fail(&e, "write", "sync pipe");
		report(&e);
	}
	rc = wait_exec(cfg.exec_fd[0], cfg.argv[0], &e);
	if (rc == -1 ||
	    (rc == 1 && container_started(&cfg.state, &cfg.pf, pid, cfg.argv,
					  cfg.env, report_fd, &e) == -1))
		report(&e);
	rc = wait_container(&cfg, pid, &e);
	if (rc == -1)
		report(&e);
	close(go_fd);
	if (cleanup(&cfg, &e) == -1)
		report(&e);
	return rc == -1 ? EXIT_RUNTIME : rc;
}
