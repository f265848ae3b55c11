/*
 * step06 — CLONE_NEWUSER: root inside, nobody special outside.
 *
 * What this step teaches
 *   A user namespace maps user and group IDs: uid 0 inside can be uid 1000
 *   — or 100000 — outside. Its first process holds every capability, but
 *   only over the namespace it owns and what that namespace owns: the
 *   mount, PID, UTS, IPC and network namespaces made with it. So an
 *   unprivileged user can build a whole container, and root can build one
 *   whose root is not root on the host.
 *
 *     ./step06 -- id                   # no sudo: uid=0(root) inside
 *     sudo ./step06 -- cat /proc/self/uid_map     # 0 100000 65536
 *
 *   It adds to step05:
 *   - CLONE_NEWUSER, and the uid/gid maps, written by the parent while the
 *     child waits on the pipe: the caller's uid and gid map to 0 when run
 *     without root; with root, container ids 0-65535 map to host ids
 *     100000-165535 (--uid-map/--gid-map INSIDE:OUTSIDE:COUNT to change it);
 *   - "deny" in /proc/PID/setgroups before gid_map when unprivileged, as
 *     the kernel requires since 3.19 (CVE-2014-8989);
 *   - the child becomes uid/gid 0 of its namespace, then re-arms
 *     PR_SET_PDEATHSIG, which any change of credentials clears;
 *   - device nodes bind-mounted from the host, since mknod(2) needs
 *     CAP_MKNOD in the initial user namespace, and /sys bind-mounted when
 *     the network namespace is not ours to mount a sysfs for;
 *   - --net none by default without root: a veth needs the host's network.
 *
 * Read: user_namespaces(7), capabilities(7), setgroups in proc(5),
 *       newuidmap(1) for what a setuid helper adds.
 */
#include <arpa/inet.h>
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "net.h"
#include "ns.h"
#include "proc.h"
#include "rootfs.h"
#include "syscalls.h"
#include "userns.h"

#define PROG	   "step06"
#define STACK_SIZE (1024 * 1024)
#define DEFAULT_PATH                                                           \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const char prog[] = PROG;

/* The namespaces this step creates; CLONE_NEWNET depends on --net. */
/* step06 { add CLONE_NEWUSER: a user namespace, which owns the others */
#define CLONE_FLAGS                                                            \
	(CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID |            \
	 CLONE_NEWUSER | CLONE_NEWUTS)
/* } step06, skeleton:
 * #define CLONE_FLAGS \
 *	(CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | \
 *	 CLONE_NEWUTS)
 */

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
	int rootless; /* not root: map ourselves, deny setgroups */
	struct host_paths
	    hp; /* the rootfs, devices, /sys: taken for the child */
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
enum { OPT_HOSTNAME = CHAR_MAX + 1, OPT_NET, OPT_IP, OPT_UID_MAP, OPT_GID_MAP };

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
	case OPT_NET:
		return net_parse_mode(optarg, &cfg->net, &cfg->net_pid, e);
	case OPT_IP:
		return net_parse_ip(optarg, &cfg->ip, &cfg->ip_prefix, e);
	case OPT_UID_MAP:
		return parse_map("--uid-map", optarg, cfg->uid_map, e);
	case OPT_GID_MAP:
		return parse_map("--gid-map", optarg, cfg->gid_map, e);
	}
	return 0;
}

/* What the options mean together, once all are read. */
static int check_options(struct config *cfg, struct err *e)
{
	if (!cfg->hostname)
		cfg->hostname = "container";
	if (cfg->net == NET_CONTAINER &&
	    net_open_ns(cfg->net_pid, &cfg->net_fd, &cfg->net_ino, e) == -1)
		return -1;
	/* step06 { default_map() the uid map (geteuid) and the gid map
	 * (getegid) not given as options */
	/* Without root, our own uid and gid become 0: the only ids an
	 * unprivileged process may map (user_namespaces(7)). */
	if (!cfg->uid_map[0])
		default_map(cfg->uid_map, geteuid(), cfg->rootless);
	if (!cfg->gid_map[0])
		default_map(cfg->gid_map, getegid(), cfg->rootless);
	/* } step06 */
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
	return resolve_rootfs(cfg->rootfs_arg, cfg->rootfs, e);
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
	    {"verbose", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	int c, rc = 0;

	/* The leading '+' stops at the first non-option: COMMAND's own
	 * options (`step06 ls -l`) are not ours to parse. The ':' makes a
	 * missing argument return ':' and opterr = 0 lets us word the error. */
	opterr = 0;
	/* Without root, --net none by default: a veth needs the host's. */
	cfg->rootless = geteuid() != 0;
	cfg->net = cfg->rootless ? NET_NONE : NET_VETH;
	while (rc == 0 &&
	       (c = getopt_long(argc, argv, "+:hqr:v", longopts, NULL)) != -1)
		rc = c == ':' || c == '?' ? bad_option(c, argv, e)
					  : set_option(cfg, c, e);
	if (rc != 0)
		return rc;
	cfg->argv = optind < argc ? argv + optind : default_argv;
	return check_options(cfg, e);
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
	/* step06 { prctl(PR_SET_PDEATHSIG, SIGKILL) again; if runtime_gone(),
	 * fail_errno(E, 0, ...) that says so; close sync_fd[0] */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return fail(e, "prctl", "PR_SET_PDEATHSIG");
	if (runtime_gone(cfg->sync_fd[0]))
		return fail_errno(
		    e, 0, "runtime exited before the container started", NULL);
	close(cfg->sync_fd[0]);
	return 0;
	/* } step06, skeleton: close(cfg->sync_fd[0]); return 0; */
}

/*
 * Build the container's filesystem and move into it (rootfs.c): a private
 * mount table, the rootfs as a mount point, its filesystems and devices,
 * then pivot_root.
 */
static int setup_rootfs(const struct config *cfg, struct err *e)
{
	if (enter_rootfs(cfg->rootfs, &cfg->hp, e) == -1)
		return -1;
	/* Now that we stand in the rootfs, become root of the namespace:
	 * what we mount from here on is owned by a mapped id. */
	if (become_root(cfg->rootless, e) == -1 || rearm_deathsig(cfg, e) == -1)
		return -1;
	if (mount_filesystems(&cfg->hp, e) == -1 ||
	    make_devices(&cfg->hp, e) == -1)
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
	struct go_msg go;

	if (wait_for_go(cfg, &go, sizeof(go), &e) == -1 ||
	    setup_net(cfg, &go, &e) == -1 ||
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
	e->hint = userns_hint();
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
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[0]);
	*go_fd = fds[1];
	return pid;
}

/* A failure E after clone: the child waits on the pipe; say what failed
 * (unless the child died first and said why itself), kill it and reap it.
 * A veth pair made for it goes with its network namespace. */
static int abort_child(pid_t pid, int go_fd, const struct err *e)
{
	struct err we;

	/* Killed by our SIGKILL, it was waiting: we say what failed; if it
	 * had ended before (a dying child may not look dead yet), it said
	 * why itself. */
	kill(pid, SIGKILL);
	if (wait_child(pid, &we) == 128 + SIGKILL)
		report(e);
	close(go_fd); /* after: a hang-up first would make it speak */
	return EXIT_RUNTIME;
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

int main(int argc, char **argv)
{
	struct config cfg = {.net_fd = -1, .hp = HOST_PATHS_NONE};
	struct go_msg go = {0};
	struct err e;
	pid_t pid;
	int go_fd = -1, rc;

	rc = parse_args(argc, argv, &cfg, &e);
	if (rc == -1)
		report(&e);
	if (rc != 0)
		return rc > 0 ? 0 : EXIT_RUNTIME;
	/* What the child cannot reach from its user namespace is taken now,
	 * with our privileges (rootfs.c); the child has its copies after. */
	pid = net_join(&cfg, &e) == -1 ||
		      take_host_paths(cfg.rootfs,
				      cfg.net == NET_HOST ||
					  cfg.net == NET_CONTAINER,
				      &cfg.hp, &e) == -1
		  ? -1
		  : start_child(&cfg, &go_fd, &e);
	release_host_paths(&cfg.hp);
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
		print_ns_table(pid, cfg.net == NET_CONTAINER ? CLONE_NEWNET : 0,
			       cfg.net_ino);
	if (write_maps(pid, cfg.uid_map, cfg.gid_map, cfg.rootless, &e) == -1 ||
	    (cfg.net == NET_VETH &&
	     net_setup_host(pid, cfg.ip, cfg.ip_prefix, &go.net, &e) == -1))
		return abort_child(pid, go_fd, &e);

	/* Let the child go; if this write fails it sees EOF and exits. We
	 * hold our end open while it runs: the child checks for a hang-up
	 * after changing its credentials (rearm_deathsig). */
	if (write_all(go_fd, &go, sizeof(go)) == -1 && errno != EPIPE) {
		fail(&e, "write", "sync pipe");
		report(&e);
	}
	rc = wait_child(pid, &e);
	if (rc == -1) {
		report(&e);
		rc = EXIT_RUNTIME;
	}
	close(go_fd);
	/* Nothing to undo on the host: the veth pair dies with the container's
	 * network namespace, which died with its last process (see
	 * docs/05-netns.md, "Who deletes the veth pair"). */
	return rc;
}
