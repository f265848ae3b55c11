/*
 * step08 — CLONE_NEWCGROUP and resource limits: how much, not what.
 *
 * What this step teaches
 *   Namespaces decide what a container sees; control groups decide how
 *   much it may use. `docker run --memory 32m --pids-limit 20 --cpus 0.5`
 *   is a directory in the cgroup filesystem, three files written in it,
 *   and the container's PID written to cgroup.procs (cgroup.c). The cgroup
 *   namespace (Linux 4.6) then makes that directory the container's `/`:
 *
 *     sudo ./step08 --memory 32m --pids 20 --cpus 0.5 -- cat /proc/self/cgroup
 *
 *   It adds to step07:
 *   - --memory SIZE (k/m/g), --pids N, --cpus FRACTION: a cgroup per
 *     container, nsworkshop/step08-<runtime PID>, on cgroup v2 or on v1
 *     (and hybrid) hosts; made and joined while the child waits on the
 *     pipe, removed after it ends, stale ones of killed runtimes swept;
 *   - CLONE_NEWCGROUP, by unshare(2) in the child *after* the parent moved
 *     it into its cgroup: a cgroup namespace's root is the cgroup its
 *     creator is in at that moment;
 *   - -v says which cgroup layout is used.
 *
 * Read: cgroups(7), cgroup_namespaces(7), the kernel's cgroup-v2.rst.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
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
#include <net/if.h>
#include <grp.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "harden.h"
#include "init.h"
#include "net.h"
#include "state.h"
#include "syscalls.h"

#define PROG	   "step08"
#define STACK_SIZE (1024 * 1024)
#define DEFAULT_PATH                                                           \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* The namespaces this step always creates; CLONE_NEWNET depends on --net. */
#define CLONE_FLAGS                                                            \
	(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS |           \
	 CLONE_NEWIPC)

/* With root, container ids 0-65535 are host ids 100000-165535: ids no
 * account on the host uses (the first range useradd(8) gives out in
 * /etc/subuid starts here too; see docs/06-userns.md). */
#define DEFAULT_MAP "0 100000 65536"

/* Docker's network modes. */
enum net_mode { NET_VETH, NET_NONE, NET_HOST, NET_CONTAINER };

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
	enum net_mode net;
	int net_fd;	       /* --net container:PID: its /proc/PID/ns/net */
	unsigned long net_ino; /* and that namespace's inode, for -v */
	struct in_addr ip;     /* --ip ADDR/PREFIX, when ip_prefix > 0 */
	int ip_prefix;
	char uid_map[64];      /* "INSIDE OUTSIDE COUNT", as the kernel */
	char gid_map[64];      /* reads /proc/PID/uid_map and gid_map */
	int rootless;	       /* not root: map ourselves, deny setgroups */
	const char *name;      /* --name: the state record's name */
	char state[PATH_MAX];  /* and its file, once reserved */
	const char *pidfile;   /* --pidfile FILE */
	int init;	       /* --init: a reaping init as PID 1 */
	int detach;	       /* --detach: return once COMMAND runs */
	unsigned stop_timeout; /* seconds from SIGTERM to SIGKILL */
	int exec_fd[2];	       /* the exec report: errno, or EOF if it ran */
	struct limits limits;  /* --memory, --pids, --cpus */
	struct cgroup cgroup;  /* the container's, once made */
	int has_cgroup;
};

/*
 * The "go" message the parent writes on the sync pipe once the host side of
 * the network is ready. It carries what the child cannot know by itself:
 * the address the parent chose for it (veth mode).
 */
struct go_msg {
	struct in_addr addr; /* eth0's address */
	struct in_addr gw;   /* the host end's address: our default route */
	int prefix;
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
	    "      --name NAME  record the container so `set_ns --name NAME` "
	    "finds it\n"
	    "      --pidfile FILE  write the container's host PID to FILE\n"
	    "  -d, --detach    print the host PID on stdout and return once "
	    "COMMAND\n"
	    "                  runs; its stdin, stdout and stderr are "
	    "/dev/null\n"
	    "      --init      run a small init as PID 1 that reaps zombies\n"
	    "      --stop-timeout SECONDS  SIGKILL that long after a "
	    "forwarded\n"
	    "                  SIGTERM/SIGINT/SIGQUIT (default 10; 0: never)\n"
	    "      --memory SIZE  memory limit, e.g. 32m (k, m, g: KiB, MiB, "
	    "GiB)\n"
	    "      --pids N    at most N tasks\n"
	    "      --cpus FRACTION  CPU time, e.g. 0.5 = half a CPU\n"
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
	OPT_CPUS
};

/*
 * A hostname is checked before anything is created, so a bad one costs
 * nothing: 1 to 64 bytes (HOST_NAME_MAX; sethostname(2) fails with EINVAL
 * beyond it) of letters, digits, '-' and '.', not starting with '-' or '.'
 * (RFC 1123).
 */
static int valid_hostname(const char *name)
{
	size_t len = strlen(name);

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
}

/*
 * --net MODE. For container:PID we open the namespace file now, while the
 * process exists, and keep the descriptor: the child joins it with setns(2).
 */
static int parse_net(const char *mode, struct config *cfg)
{
	static const char *const names[] = {"veth", "none", "host"};
	char *end, path[64];
	struct stat st;
	long pid;

	if (cfg->net_fd > 0)
		close(cfg->net_fd);
	cfg->net_fd = -1;
	for (int i = 0; i < 3; i++) {
		if (strcmp(mode, names[i]) == 0) {
			cfg->net = (enum net_mode)i;
			return 0;
		}
	}
	if (strncmp(mode, "container:", 10) != 0) {
		msg("--net %s: not veth, none, host or container:PID", mode);
		return -1;
	}
	errno = 0;
	pid = strtol(mode + 10, &end, 10);
	if (errno || end == mode + 10 || *end || pid <= 0 || pid > INT_MAX) {
		msg("--net %s: '%s' is not a process ID", mode, mode + 10);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
	cfg->net_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (cfg->net_fd == -1 || fstat(cfg->net_fd, &st) == -1) {
		msg("--net %s: %s: %s", mode, path, strerror(errno));
		return -1;
	}
	cfg->net = NET_CONTAINER;
	cfg->net_ino = (unsigned long)st.st_ino;
	return 0;
}

/*
 * --uid-map INSIDE:OUTSIDE:COUNT into the line the kernel reads from
 * /proc/PID/uid_map: "INSIDE OUTSIDE COUNT". Ids are 32-bit and
 * 4294967295 is (uid_t)-1, never valid; both ranges must fit below it.
 */
static int parse_map(const char *arg, char out[64])
{
	unsigned long long v[3];
	const char *p = arg;
	char *end;

	for (int i = 0; i < 3; i++) {
		if (*p < '0' || *p > '9')
			goto bad;
		errno = 0;
		v[i] = strtoull(p, &end, 10);
		if (errno || *end != (i < 2 ? ':' : '\0'))
			goto bad;
		p = end + 1;
	}
	if (v[2] == 0 || v[0] + v[2] > UINT32_MAX || v[1] + v[2] > UINT32_MAX)
		goto bad;
	snprintf(out, 64, "%llu %llu %llu", v[0], v[1], v[2]);
	return 0;
bad:
	msg("map %s: not INSIDE:OUTSIDE:COUNT with COUNT > 0 and every id "
	    "below 4294967295",
	    arg);
	return -1;
}

static int parse_seconds(const char *arg, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || errno || *end || v > 86400) {
		msg("--stop-timeout %s: not a number of seconds (0 to 86400)",
		    arg);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* --memory, --pids, --cpus: checked before anything is created. */
static int parse_limit(int opt, const char *arg, struct limits *lim)
{
	int rc;

	/* step08 { into LIM: parse_size() for OPT_MEMORY, parse_count() for
	 * OPT_PIDS, parse_cpus() for OPT_CPUS. A memory limit under 6 MiB is
	 * "--memory ARG: the minimum is 6m"; a value they refuse is one line
	 * "--memory|--pids|--cpus ARG: " and what is expected (a size such
	 * as 512k, 32m or 1g; a positive number of tasks; a number of CPUs
	 * such as 0.5). Return 0, or -1 after the message */
	if (opt == OPT_MEMORY)
		rc = parse_size(arg, &lim->memory);
	else if (opt == OPT_PIDS)
		rc = parse_count(arg, &lim->pids);
	else
		rc = parse_cpus(arg, &lim->cpus);
	/* Like Docker: below 6 MiB even exec cannot fit, and the OOM killer
	 * would end the container before COMMAND starts. */
	if (rc == 0 && opt == OPT_MEMORY && lim->memory < 6 * 1024 * 1024) {
		msg("--memory %s: the minimum is 6m", arg);
		return -1;
	}
	if (rc == 0)
		return 0;
	msg("%s %s: %s",
	    opt == OPT_MEMORY ? "--memory"
	    : opt == OPT_PIDS ? "--pids"
			      : "--cpus",
	    arg,
	    opt == OPT_MEMORY ? "not a size such as 512k, 32m or 1g"
	    : opt == OPT_PIDS ? "not a positive number of tasks"
			      : "not a number of CPUs such as 0.5 (at most "
				"the CPUs online)");
	return -1;
	/* } step08, skeleton: return 0; */
}

static void default_map(char out[64], unsigned id, int rootless)
{
	if (rootless)
		snprintf(out, 64, "0 %u 1", id);
	else
		snprintf(out, 64, DEFAULT_MAP);
}

/* Returns 0 to run, 1 after --help, -1 on a usage error. */
static int parse_args(int argc, char **argv, struct config *cfg)
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
	    {"init", no_argument, NULL, OPT_INIT},
	    {"detach", no_argument, NULL, 'd'},
	    {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
	    {"memory", required_argument, NULL, OPT_MEMORY},
	    {"pids", required_argument, NULL, OPT_PIDS},
	    {"cpus", required_argument, NULL, OPT_CPUS},
	    {"verbose", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	const char *rootfs = NULL;
	int c, net_given = 0, stop_given = 0;

	/* The leading '+' stops at the first non-option: COMMAND's own
	 * options (`step08 ls -l`) are not ours to parse. The ':' makes a
	 * missing argument return ':' and opterr = 0 lets us word the error. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:dhqr:v", longopts, NULL)) !=
	       -1) {
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
		case OPT_NET:
			if (parse_net(optarg, cfg) == -1)
				return -1;
			net_given = 1;
			break;
		case OPT_NAME:
			if (state_name_valid(optarg) == -1) {
				msg("--name '%s': use 1 to 64 letters, digits, "
				    "'_', '.' and '-', not starting with '.'",
				    optarg);
				return -1;
			}
			cfg->name = optarg;
			break;
		case OPT_PIDFILE:
			cfg->pidfile = optarg;
			break;
		case OPT_INIT:
			cfg->init = 1;
			break;
		case 'd':
			cfg->detach = 1;
			break;
		case OPT_STOP_TIMEOUT:
			if (parse_seconds(optarg, &cfg->stop_timeout) == -1)
				return -1;
			stop_given = 1;
			break;
		case OPT_MEMORY:
		case OPT_PIDS:
		case OPT_CPUS:
			if (parse_limit(c, optarg, &cfg->limits) == -1)
				return -1;
			break;
		case OPT_UID_MAP:
		case OPT_GID_MAP:
			if (parse_map(optarg, c == OPT_UID_MAP
						  ? cfg->uid_map
						  : cfg->gid_map) == -1)
				return -1;
			break;
		case OPT_IP:
			if (net_parse_cidr(optarg, &cfg->ip, &cfg->ip_prefix) ==
			    -1) {
				msg("--ip %s: not an IPv4 ADDR/PREFIX with a "
				    "prefix of 1 to 30, nor the subnet's "
				    "network or broadcast address",
				    optarg);
				return -1;
			}
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
	if (cfg->ip_prefix && cfg->net != NET_VETH) {
		msg("--ip goes with --net veth");
		return -1;
	}
	cfg->rootless = geteuid() != 0;
	if (!stop_given)
		cfg->stop_timeout = 10;
	/* Without root, our own uid and gid become 0: the only ids an
	 * unprivileged process may map (user_namespaces(7)). */
	if (!cfg->uid_map[0])
		default_map(cfg->uid_map, geteuid(), cfg->rootless);
	if (!cfg->gid_map[0])
		default_map(cfg->gid_map, getegid(), cfg->rootless);
	if (!net_given && cfg->rootless)
		cfg->net = NET_NONE;
	if (cfg->net == NET_VETH && cfg->rootless) {
		msg("--net veth needs root (a veth pair is made in the host's "
		    "network namespace): run with sudo, or use --net none (the "
		    "default without root; slirp4netns or pasta give rootless "
		    "containers a network)");
		return -1;
	}
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
 * Is the runtime gone? It holds its end of the sync pipe open for as long
 * as the container runs, so once it has exited poll(2) reports a hang-up.
 */
static int runtime_gone(int fd)
{
	struct pollfd pfd = {fd, POLLIN, 0};

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP);
}

/*
 * Become uid and gid 0 of the new user namespace. Until now our ids were
 * the host's (unmapped inside, unless rootless); we kept them until we
 * stood in the rootfs, so that a path only the caller may enter (a home
 * directory) could still be crossed. Mounts need a mapped owner: devpts
 * fails with EOVERFLOW for an unmapped one.
 * Any change of credentials clears PR_SET_PDEATHSIG (prctl(2)): re-arm it,
 * then check the parent did not die in between — its end of the sync pipe,
 * held open while the container runs, would have hung up.
 */
static int become_root(const struct config *cfg, const char **what)
{
	/* Drop the host's supplementary groups; impossible (EPERM) and
	 * unneeded when setgroups is denied. */
	*what = "setgroups(0)";
	if (!cfg->rootless && setgroups(0, NULL) == -1)
		return -1;
	*what = "setresgid(0) / setresuid(0) in the user namespace";
	trace("setresgid(0, 0, 0), setresuid(0, 0, 0)");
	if (setresgid(0, 0, 0) == -1 || setresuid(0, 0, 0) == -1)
		return -1;
	*what = "prctl(PR_SET_PDEATHSIG)";
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return -1;
	if (runtime_gone(cfg->sync_fd[0])) {
		*what = "the runtime exited";
		errno = ESRCH;
		return -1;
	}
	close(cfg->sync_fd[0]);
	return 0;
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
    /* The POSIX message queues of the new IPC namespace: an mqueue mount
	 * shows the queues of the IPC namespace of the process mounting it. */
    {"mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
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
	if (mount(m->source, m->target, m->fstype, m->flags, m->data) == 0)
		return 0;
	/* A sysfs mount shows the network namespace of the mounter, and needs
	 * that namespace to be owned by our user namespace; with --net host
	 * or container:PID it is not. Bind the host's /sys read-only instead. */
	if (errno != EPERM || strcmp(m->fstype, "sysfs") != 0)
		return -1;
	trace("mount(/sys, /sys, MS_BIND | MS_REC), then MS_RDONLY");
	if (mount("/sys", m->target, NULL, MS_BIND | MS_REC, NULL) == -1)
		return -1;
	return mount(NULL, m->target, NULL,
		     MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
			 MS_NOEXEC,
		     NULL);
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

/*
 * In a user namespace mknod(2) fails: it needs CAP_MKNOD in the initial one.
 * So, like rootless Podman, we bind-mount the host's nodes onto empty files
 * — after checking that each source really is the device it should be, not
 * a symlink or a file put in its place (CVE-2025-31133).
 */
static int bind_device(const struct device *d)
{
	const char *host = d->path + 3; /* "dev/null" -> "/null" */
	char src[32];
	struct stat st;
	int fd;

	snprintf(src, sizeof(src), "/dev%s", host);
	if (lstat(src, &st) == -1)
		return -1;
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != d->major ||
	    minor(st.st_rdev) != d->minor) {
		errno = ENODEV;
		return -1;
	}
	fd = open(d->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd == -1)
		return -1;
	close(fd);
	trace("mount(%s, /%s, MS_BIND)", src, d->path);
	return mount(src, d->path, NULL, MS_BIND, NULL);
}

static int make_devices(const char **what)
{
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		*what = devices[i].path;
		if (bind_device(&devices[i]) == -1)
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
	/* Now that we stand in the rootfs, become root of the namespace:
	 * what we mount from here on is owned by a mapped id. */
	if (become_root(cfg, what) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		*what = mounts[i].target;
		if (mount_one(&mounts[i]) == -1)
			return -1;
	}
	if (make_devices(what) == -1 || harden_paths(what) == -1)
		return -1;
	return pivot_into(what);
}

/* With --ip: the host end takes the first address of the subnet, or the
 * second when the container asked for the first. */
static struct in_addr host_address(struct in_addr ip, int prefix)
{
	uint32_t mask = htonl(~0u << (32 - prefix));
	uint32_t first = (ip.s_addr & mask) + htonl(1);
	struct in_addr gw = {first == ip.s_addr ? first + htonl(1) : first};

	return gw;
}

/*
 * The host side of --net veth, run by the parent once the child exists
 * (its network namespace is made by clone). Under the allocation lock, so
 * that two containers started at once get different subnets: pick a free
 * /30 (or check --ip), create the pair with eth0 directly in the child's
 * namespace, address and bring up the host end. GO receives the child's
 * address and gateway.
 */
static int net_setup_host(struct config *cfg, pid_t child, struct go_msg *go,
			  const char **what)
{
	int lock, nl = -1, rc = -1, in_use;
	char name[IF_NAMESIZE];

	*what = "lock "
		"/run/nsworkshop/net.lock";
	lock = net_lock();
	if (lock == -1)
		return -1;
	*what = "open a netlink socket";
	nl = nl_open();
	if (nl == -1)
		goto out;
	if (cfg->ip_prefix) {
		*what = "--ip: the subnet is in use on the host";
		if (net_addr_in_use(nl, cfg->ip, cfg->ip_prefix, &in_use) == -1)
			goto out;
		if (in_use) {
			errno = EADDRINUSE;
			goto out;
		}
		go->addr = cfg->ip;
		go->prefix = cfg->ip_prefix;
		go->gw = host_address(cfg->ip, cfg->ip_prefix);
	} else {
		*what = "pick a free subnet in 10.201.0.0/16";
		if (net_pick_subnet(nl, &go->gw, &go->addr, &go->prefix) == -1)
			goto out;
	}
	snprintf(name, sizeof(name), "nsw%d", (int)child);
	trace("RTM_NEWLINK veth %s <-> eth0 in the namespace of %d", name,
	      (int)child);
	*what = "create the veth pair (RTM_NEWLINK)";
	if (net_veth_create(nl, name, "eth0", child) == -1)
		goto out;
	trace("RTM_NEWADDR %s %s/%d, RTM_NEWLINK up", name, inet_ntoa(go->gw),
	      go->prefix);
	*what = "address the host end (RTM_NEWADDR)";
	if (net_addr_add(nl, name, go->gw, go->prefix) == -1 ||
	    net_link_up(nl, name) == -1)
		goto out;
	rc = 0;
out:
	if (nl != -1)
		close(nl);
	close(lock);
	return rc;
}

/*
 * The container's side, run by the child in its new network namespace: lo
 * up, and with veth eth0 addressed, up, and a default route via the host
 * end. The link must be up before the route: the kernel adds the connected
 * route of eth0's subnet only then, and the gateway must be reachable.
 */
static int net_setup_container(const struct config *cfg,
			       const struct go_msg *go, const char **what)
{
	int nl, rc = -1;

	*what = "open a netlink socket in the container";
	nl = nl_open();
	if (nl == -1)
		return -1;
	*what = "bring lo up";
	trace("RTM_NEWLINK lo up");
	if (net_link_up(nl, "lo") == -1)
		goto out;
	if (cfg->net == NET_VETH) {
		trace("RTM_NEWADDR eth0 %s/%d, RTM_NEWLINK up, RTM_NEWROUTE "
		      "default",
		      inet_ntoa(go->addr), go->prefix);
		*what = "configure eth0";
		if (net_addr_add(nl, "eth0", go->addr, go->prefix) == -1 ||
		    net_link_up(nl, "eth0") == -1)
			goto out;
		*what = "add the default route";
		if (net_route_default(nl, go->gw) == -1)
			goto out;
	}
	rc = 0;
out:
	close(nl);
	return rc;
}

/*
 * The exec report. The child holds the write end of a close-on-exec pipe:
 * if COMMAND starts, exec closes it and the parent reads EOF; if not, the
 * child writes errno first (0 when it already said what went wrong).
 */
static int exec_report_fd = -1;

static int report_exec(int err, int status)
{
	if (write(exec_report_fd, &err, sizeof(err)) != sizeof(err))
		return EXIT_RUNTIME;
	return status;
}

/* Exec COMMAND; on failure report errno and return Docker's status. With
 * --init this runs in init's child, which inherited the report pipe. */
static int exec_command(char *const argv[])
{
	/* The host's PATH means nothing in the rootfs (and may name
	 * directories we cannot search): use Docker's default. */
	setenv("PATH", DEFAULT_PATH, 1);
	trace("execvp(%s)", argv[0]);
	execvp(argv[0], argv);
	int err = errno;

	return report_exec(err, exec_status(err));
}

/*
 * The last steps before exec: drop privileges the container must not have,
 * make sure no descriptor of ours reaches COMMAND, and with --detach give
 * it /dev/null instead of our terminal or pipes.
 */
static int finish_child(const struct config *cfg, const char **what)
{
	int null;

	*what = "drop capabilities, set no_new_privs";
	trace("prctl(PR_CAPBSET_DROP ...), prctl(PR_SET_NO_NEW_PRIVS)");
	if (harden_privileges() == -1)
		return -1;
	*what = "close-on-exec for inherited descriptors";
	if (harden_fds() == -1)
		return -1;
	if (!cfg->detach)
		return 0;
	*what = "open /dev/null";
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null == -1)
		return -1;
	if (dup2(null, 0) == -1 || dup2(null, 1) == -1 || dup2(null, 2) == -1)
		return -1;
	return close(null);
}

/*
 * Runs in the child. Without CLONE_VM the child has a copy of the parent's
 * memory, like after fork(2), so it may use cfg and stdio freely.
 */
static int child_main(void *arg)
{
	struct config *cfg = arg;
	struct go_msg go;

	/* A new session: no controlling terminal, so nothing inside can push
	 * characters into ours with TIOCSTI (CVE-2017-5226). We are PID 1 of a
	 * new PID namespace, never a group leader, so setsid cannot fail. */
	setsid();
	exec_report_fd = cfg->exec_fd[1];
	close(cfg->exec_fd[0]);
	/* Die with the runtime: SIGKILL as soon as the parent exits. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1) {
		msg("prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	/* The parent may have died before prctl ran. Once we close our copy
	 * of the write end, EOF instead of "go" tells us. */
	close(cfg->sync_fd[1]);
	if (read(cfg->sync_fd[0], &go, sizeof(go)) != sizeof(go)) {
		msg("runtime exited before the container started");
		return EXIT_RUNTIME;
	}
	/* It may also have died after writing "go" but before our prctl ran:
	 * then it hung up. */
	if (runtime_gone(cfg->sync_fd[0])) {
		msg("runtime exited before the container started");
		return EXIT_RUNTIME;
	}

	const char *what = "";
	int rc = 0;

	/* step08 { unshare(2) CLONE_NEWCGROUP: the parent has moved us into
	 * our cgroup, which becomes the root of the new cgroup namespace. On
	 * failure "unshare(CLONE_NEWCGROUP): <strerror>" and return
	 * report_exec(0, EXIT_RUNTIME) */
	/* The parent has moved us into our cgroup: a new cgroup namespace
	 * now has that cgroup as its root, and /proc/self/cgroup shows `/`. */
	trace("unshare(CLONE_NEWCGROUP)");
	if (unshare(CLONE_NEWCGROUP) == -1) {
		msg("unshare(CLONE_NEWCGROUP): %s", strerror(errno));
		return report_exec(0, EXIT_RUNTIME);
	}
	/* } step08 */

	/* The network first: sysfs, mounted below, shows the interfaces of
	 * the network namespace of the process that mounts it. With
	 * container:PID the parent has joined it for us before clone. */
	if (cfg->net == NET_VETH || cfg->net == NET_NONE)
		rc = net_setup_container(cfg, &go, &what);
	if (rc == -1) {
		msg("%s: %s", what, strerror(errno));
		return EXIT_RUNTIME;
	}
	/* Only the new UTS namespace sees this name; the host keeps its own. */
	trace("sethostname(%s)", cfg->hostname);
	if (sethostname(cfg->hostname, strlen(cfg->hostname)) == -1) {
		msg("sethostname(%s): %s", cfg->hostname, strerror(errno));
		return EXIT_RUNTIME;
	}
	if (setup_rootfs(cfg, &what) == -1 || finish_child(cfg, &what) == -1) {
		msg("%s: %s", what, strerror(errno));
		return report_exec(0, EXIT_RUNTIME);
	}
	if (cfg->init) {
		int status = run_init(cfg->argv, exec_command, exec_report_fd);

		if (status == -1)
			msg("--init: %s", strerror(errno));
		return status == -1 ? EXIT_RUNTIME : status;
	}
	return exec_command(cfg->argv);
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
	if (pipe2(cfg->exec_fd, O_CLOEXEC) == -1) {
		close(fds[0]);
		close(fds[1]);
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
	int flags = CLONE_FLAGS | SIGCHLD;

	if (cfg->net == NET_VETH || cfg->net == NET_NONE)
		flags |= CLONE_NEWNET;
	pid = stack ? clone(child_main, stack, flags, cfg) : -1;
	trace("clone(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS "
	      "| CLONE_NEWIPC "
	      "%s| SIGCHLD) = %d",
	      flags & CLONE_NEWNET ? "| CLONE_NEWNET " : "", (int)pid);
	if (pid == -1) {
		int saved = errno;

		close(fds[0]);
		close(fds[1]);
		close(cfg->exec_fd[0]);
		close(cfg->exec_fd[1]);
		errno = saved;
		return -1;
	}
	close(fds[0]);
	close(cfg->exec_fd[1]);
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

static void print_ns_table(pid_t child, const struct config *cfg)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)child);
	msg("%-9s %-12s %-12s", "namespace", "host", "container");
	for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++) {
		unsigned long host = ns_inode("self", ns_names[i]);
		unsigned long cont = ns_inode(pid, ns_names[i]);
		const char *state = host == cont ? "same" : "NEW";

		/* We joined container:PID's namespace before clone. */
		if (cfg->net == NET_CONTAINER &&
		    strcmp(ns_names[i], "net") == 0) {
			cont = cfg->net_ino;
			state = "joined";
		}
		msg("%-9s %-12lu %-12lu %s", ns_names[i], host, cont, state);
	}
}

/* One write(2) of the whole text: the kernel takes a map in one write. */
static int write_file(pid_t pid, const char *file, const char *text)
{
	char path[64];
	ssize_t len = (ssize_t)strlen(text), n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	trace("write(%s, \"%s\")", path, text);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	n = write(fd, text, (size_t)len);
	if (n != len) {
		int saved = n == -1 ? errno : EIO;

		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

/*
 * Write the child's uid and gid maps, in the order the kernel requires
 * (user_namespaces(7)). Without root, "deny" goes to setgroups before the
 * gid_map: otherwise a user could drop, with setgroups(2), a group that
 * was keeping it *out* of a file (CVE-2014-8989), so since Linux 3.19 an
 * unprivileged gid_map write fails with EPERM until setgroups is denied.
 */
static int write_maps(const struct config *cfg, pid_t child, const char **what)
{
	*what = "write uid_map";
	if (write_file(child, "uid_map", cfg->uid_map) == -1)
		return -1;
	*what = "write setgroups";
	if (cfg->rootless && write_file(child, "setgroups", "deny") == -1)
		return -1;
	*what = "write gid_map";
	return write_file(child, "gid_map", cfg->gid_map);
}

/* What stops user namespaces on this host, and the sysctl that lifts it. */
static const char *userns_hint(void)
{
	char buf[16] = "";
	FILE *f;

	if ((f = fopen("/proc/sys/user/max_user_namespaces", "re"))) {
		if (fgets(buf, sizeof(buf), f) && atoi(buf) == 0) {
			fclose(f);
			return " (user namespaces are disabled: sysctl -w "
			       "user.max_user_namespaces=15000)";
		}
		fclose(f);
	}
	if ((f = fopen("/proc/sys/kernel/unprivileged_userns_clone", "re"))) {
		if (fgets(buf, sizeof(buf), f) && atoi(buf) == 0) {
			fclose(f);
			return " (Debian: sysctl -w "
			       "kernel.unprivileged_userns_clone=1)";
		}
		fclose(f);
	}
	f = fopen("/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
		  "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f) && atoi(buf) == 1) {
			fclose(f);
			return " (Ubuntu's AppArmor restricts user namespaces: "
			       "sysctl -w "
			       "kernel.apparmor_restrict_unprivileged_userns="
			       "0)";
		}
		fclose(f);
	}
	return geteuid() ? " (without root, map only your own id: 0:UID:1)"
			 : "";
}

/* Is any limit asked for? */
static int has_limits(const struct limits *lim)
{
	return lim->memory || lim->pids || lim->cpus > 0;
}

/*
 * Make the container's cgroup, write the limits and move the child in,
 * while it waits on the pipe: nothing it runs escapes the limits. As root
 * every container gets one; without root only when limits are asked for,
 * and they need a cgroup delegated to the user.
 */
static int cgroup_setup(struct config *cfg, pid_t child)
{
	char name[64], desc[128];

	/* step08 { rootless without limits: nothing to do, 0. Otherwise NAME
	 * is PROG "-" our PID; cg_sweep_stale(PROG) first; with -v, msg()
	 * cg_describe(). cg_create() nsworkshop/NAME with cfg->limits; if it
	 * fails, one line: ENOTSUP "cgroup: this host has no X controller"
	 * (X: cfg->cgroup.missing), otherwise "cgroup FAILED: <strerror>"
	 * (FAILED: cfg->cgroup.failed; rootless, add that limits need a
	 * delegated cgroup) and -1. Then cfg->has_cgroup = 1 and cg_add_pid()
	 * CHILD: on failure "cgroup FAILED: add PID: <strerror>" and -1 */
	if (cfg->rootless && !has_limits(&cfg->limits))
		return 0;
	snprintf(name, sizeof(name), PROG "-%d", (int)getpid());
	cg_sweep_stale(PROG);
	if (cfg->verbose && cg_describe(desc, sizeof(desc)) == 0)
		msg("%s", desc);
	trace("mkdir nsworkshop/%s, write the limits, cgroup.procs <- %d", name,
	      (int)child);
	if (cg_create(&cfg->cgroup, name, &cfg->limits) == -1) {
		int err = errno;

		if (err == ENOTSUP)
			msg("cgroup: this host has no %s controller",
			    cfg->cgroup.missing);
		else
			msg("cgroup %s: %s%s", cfg->cgroup.failed,
			    strerror(err),
			    cfg->rootless ? " (limits without root need a "
					    "cgroup delegated to you, see "
					    "docs/08-cgroup.md)"
					  : "");
		return -1;
	}
	cfg->has_cgroup = 1;
	if (cg_add_pid(&cfg->cgroup, child) == -1) {
		msg("cgroup %s: add %d: %s", cfg->cgroup.failed, (int)child,
		    strerror(errno));
		return -1;
	}
	return 0;
	/* } step08, skeleton: return 0; */
}

/* Undo, on the host, what the container needed: the state record, the
 * pidfile, the cgroup. (The veth pair dies with the network namespace.) */
static void cleanup(struct config *cfg)
{
	if (cfg->has_cgroup && cg_destroy(&cfg->cgroup) == -1)
		msg("remove cgroup %s: %s", cfg->cgroup.failed,
		    strerror(errno));
	if (cfg->state[0] && unlink(cfg->state) == -1 && errno != ENOENT)
		msg("remove %s: %s", cfg->state, strerror(errno));
	if (cfg->pidfile && unlink(cfg->pidfile) == -1 && errno != ENOENT)
		msg("remove %s: %s", cfg->pidfile, strerror(errno));
}

/* Has the child died already? Then it said why itself: we only have to
 * reap it. WNOWAIT peeks without reaping. */
static int child_dead(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
		   0 &&
	       si.si_pid == pid;
}

/* A failure after clone: the child waits on the pipe; kill it, reap it,
 * undo what the host side made (the veth pair goes with the child). */
static int abort_child(struct config *cfg, pid_t pid, int go_fd)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(go_fd); /* after: a hang-up first would make it speak */
	cleanup(cfg);
	return EXIT_RUNTIME;
}

/*
 * --detach, like `docker run -d`: fork a supervisor in a new session, which
 * starts the container, reports its host PID on a pipe and stays behind to
 * wait for it and clean up. The caller prints the PID and returns 0 — or,
 * if the container never started, the supervisor's status. Returns 0 in the
 * supervisor (REPORT_FD set), 1 in the caller (*STATUS set), -1 on error.
 */
static int detach(int *report_fd, int *status)
{
	int fds[2], wstatus;
	pid_t sup, container;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	sup = fork();
	if (sup == -1)
		return -1;
	if (sup == 0) {
		close(fds[0]);
		setsid();
		*report_fd = fds[1];
		return 0;
	}
	close(fds[1]);
	if (read(fds[0], &container, sizeof(container)) == sizeof(container)) {
		printf("%d\n", (int)container);
		*status = 0;
		return 1;
	}
	waitpid(sup, &wstatus, 0);
	*status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : EXIT_RUNTIME;
	return 1;
}

/* Wait for the exec report: 1 when COMMAND runs, 0 when it did not (the
 * child exits with 125, 126 or 127: we say why exec failed). */
static int wait_exec(const struct config *cfg)
{
	ssize_t n;
	int err;

	do
		n = read(cfg->exec_fd[0], &err, sizeof(err));
	while (n == -1 && errno == EINTR);
	close(cfg->exec_fd[0]);
	if (n != sizeof(err))
		return 1;
	if (err)
		msg("execvp(%s): %s", cfg->argv[0], strerror(err));
	return 0;
}

/* COMMAND runs: write the record and the pidfile; with --detach, tell the
 * caller and let go of its stdin, stdout and stderr. */
static void container_started(const struct config *cfg, pid_t pid,
			      int report_fd)
{
	int null;

	if (cfg->state[0] && state_commit(cfg->state, pid, cfg->argv) == -1)
		msg("write %s: %s", cfg->state, strerror(errno));
	if (cfg->pidfile && write_pidfile(cfg->pidfile, pid) == -1)
		msg("write %s: %s", cfg->pidfile, strerror(errno));
	if (report_fd < 0)
		return;
	if (write(report_fd, &pid, sizeof(pid)) != sizeof(pid))
		msg("report the PID: %s", strerror(errno));
	close(report_fd);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null == -1 || dup2(null, 0) == -1 || dup2(null, 1) == -1 ||
	    dup2(null, 2) == -1)
		msg("detach from the caller's terminal: %s", strerror(errno));
	if (null >= 0)
		close(null);
}

/* The container's host PID, read by the signal relay (init.c). */
static volatile pid_t container_pid;

/* Docker's --net container:ID. A child in a new user namespace has no
 * privilege over a network namespace owned by another one, so we join it
 * here, before clone, and the child inherits it. */
static int net_join(const struct config *cfg)
{
	if (cfg->net != NET_CONTAINER)
		return 0;
	trace("setns(%lu, CLONE_NEWNET)", cfg->net_ino);
	if (setns(cfg->net_fd, CLONE_NEWNET) == -1) {
		msg("setns(--net container:PID): %s%s", strerror(errno),
		    errno == EPERM ? " (joining another network namespace "
				     "needs root)"
				   : "");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg = {.net_fd = -1};
	struct go_msg go = {0};
	const char *what = "";
	int go_fd, rc, report_fd = -1, detached_status = 0;
	pid_t pid;

	rc = parse_args(argc, argv, &cfg);
	if (rc != 0)
		return rc > 0 ? 0 : EXIT_RUNTIME;
	verbose = cfg.verbose;
	if (cfg.detach) {
		rc = detach(&report_fd, &detached_status);
		if (rc == -1) {
			msg("--detach: %s", strerror(errno));
			return EXIT_RUNTIME;
		}
		if (rc == 1)
			return detached_status;
	}
	if (cfg.name && state_reserve(cfg.name, cfg.state) == -1) {
		msg("--name %s: %s", cfg.name,
		    errno == EEXIST ? "a running container has this name"
				    : strerror(errno));
		cfg.state[0] = '\0';
		return EXIT_RUNTIME;
	}
	/* --pidfile is checked now, while a failure costs nothing: it is
	 * written once COMMAND runs. */
	if (cfg.pidfile && write_pidfile(cfg.pidfile, 0) == -1) {
		msg("--pidfile %s: %s", cfg.pidfile, strerror(errno));
		cfg.pidfile = NULL; /* not ours to remove */
		cleanup(&cfg);
		return EXIT_RUNTIME;
	}

	if (net_join(&cfg) == -1) {
		cleanup(&cfg);
		return EXIT_RUNTIME;
	}
	pid = start_child(&cfg, &go_fd);
	if (pid == -1) {
		int err = errno;

		msg("clone(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | "
		    "CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET): %s%s",
		    strerror(err), userns_hint());
		cleanup(&cfg);
		return EXIT_RUNTIME;
	}
	/* From now on, the signals we get are the container's. */
	container_pid = pid;
	if (forward_signals(&container_pid, cfg.stop_timeout) == -1)
		msg("sigaction: %s", strerror(errno));
	if (!cfg.quiet)
		msg("child PID on host: %d", (int)pid);
	/* A child that died before "go" closes the pipe: EPIPE, not SIGPIPE,
	 * which would kill us before we report its status. */
	signal(SIGPIPE, SIG_IGN);
	if (cfg.verbose)
		print_ns_table(pid, &cfg);
	if (write_maps(&cfg, pid, &what) == -1) {
		int err = errno;

		if (!child_dead(pid))
			msg("%s (%s): %s%s", what,
			    strcmp(what, "write gid_map") ? cfg.uid_map
							  : cfg.gid_map,
			    strerror(err), err == EPERM ? userns_hint() : "");
		return abort_child(&cfg, pid, go_fd);
	}
	if (cfg.net == NET_VETH &&
	    net_setup_host(&cfg, pid, &go, &what) == -1) {
		if (!child_dead(pid))
			msg("%s: %s", what, strerror(errno));
		return abort_child(&cfg, pid, go_fd);
	}
	if (cgroup_setup(&cfg, pid) == -1)
		return abort_child(&cfg, pid, go_fd);

	/* Let the child go; if this write fails it sees EOF and exits. */
	if (write(go_fd, &go, sizeof(go)) != sizeof(go) && errno != EPIPE)
		msg("write(sync pipe): %s", strerror(errno));
	if (wait_exec(&cfg))
		container_started(&cfg, pid, report_fd);
	/* Held open while the container runs: the child checks for a hang-up
	 * after changing its credentials (become_root). */
	rc = wait_child(pid);
	close(go_fd);
	cleanup(&cfg);
	return rc;
}
