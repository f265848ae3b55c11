/*
 * step05 — CLONE_NEWNET: a network of the container's own, and a veth pair
 * to reach it.
 *
 * What this step teaches
 *   A network namespace holds interfaces, addresses, routes, firewall rules
 *   and sockets. A new one has only `lo`, down. A veth pair is a virtual
 *   cable: what goes in one end comes out of the other, and each end can
 *   live in a different namespace. We configure it the way ip(8) does, over
 *   rtnetlink (net.c), never by running ip:
 *
 *     sudo ./step05 -- ip addr         # lo and eth0 10.201.0.2/30
 *     ping 10.201.0.2                  # from the host, while it runs
 *
 *   It adds to step04:
 *   - --net MODE, Docker's network modes:
 *       veth          (default) CLONE_NEWNET and a veth pair: nswPID on the
 *                     host, eth0 inside, a /30 of 10.201.0.0/16 each;
 *       none          CLONE_NEWNET with only lo, up;
 *       host          no new network namespace (docker run --net=host);
 *       container:PID join the network namespace of PID with setns(2)
 *                     (docker run --net container:ID);
 *   - --ip ADDR/PREFIX to choose the container's address;
 *   - a "go" message on the sync pipe that carries the address the parent
 *     chose, so the child configures eth0 only once the host side is ready.
 *
 *   Cleanup: a network namespace dies with its last process, and the kernel
 *   then destroys its devices — and a veth pair dies whole, host end too.
 *   So there is nothing for us to delete. (Deleting it ourselves would
 *   make us wait for an RCU grace period: 28 ms here, three times the cost
 *   of all the rest; see docs/benchmarks.md.)
 *
 * Read: network_namespaces(7), veth(4), rtnetlink(7), setns(2).
 */
#include <arpa/inet.h>
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
#include <net/if.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "syscalls.h"

#define PROG	   "step05"
#define STACK_SIZE (1024 * 1024)
#define DEFAULT_PATH                                                           \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* The namespaces this step always creates; CLONE_NEWNET depends on --net. */
#define CLONE_FLAGS (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC)

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
	    "Run COMMAND (default /bin/sh) as PID 1 of new PID, mount, UTS, "
	    "IPC and\n"
	    "network namespaces, in its own root filesystem.\n"
	    "\n"
	    "  -r, --rootfs DIR  the container's root filesystem (default: "
	    "rootfs\n"
	    "                    beside the " PROG " binary)\n"
	    "      --hostname NAME  the container's hostname (default: "
	    "container)\n"
	    "      --net MODE   veth (default), none, host or container:PID\n"
	    "      --ip ADDR/PREFIX  the container's address with --net veth\n"
	    "                   (default: a free /30 of 10.201.0.0/16)\n"
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
enum { OPT_HOSTNAME = CHAR_MAX + 1, OPT_NET, OPT_IP };

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

	/* step05 { MODE veth, none or host: set cfg->net. container:PID: PID
	 * must be a number > 0; open(2) /proc/PID/ns/net O_RDONLY | O_CLOEXEC
	 * into cfg->net_fd (a later --net closes the earlier fd), fstat it
	 * for cfg->net_ino, set NET_CONTAINER. Anything else, or an error:
	 * one line starting "--net MODE: ", and return -1 */
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
	/* } step05, skeleton: return 0; */
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
	    {"verbose", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	const char *rootfs = NULL;
	int c;

	/* The leading '+' stops at the first non-option: COMMAND's own
	 * options (`step05 ls -l`) are not ours to parse. The ':' makes a
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
		case OPT_NET:
			if (parse_net(optarg, cfg) == -1)
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
	/* step05 { refuse --ip without --net veth, and --net veth without
	 * root (geteuid): a veth pair is made in the host's network
	 * namespace; hint at sudo, --net none, or step06 */
	if (cfg->ip_prefix && cfg->net != NET_VETH) {
		msg("--ip goes with --net veth");
		return -1;
	}
	if (cfg->net == NET_VETH && geteuid() != 0) {
		msg("--net veth needs root (a veth pair is made in the host's "
		    "network namespace): run with sudo, use --net none, or see "
		    "step06 for rootless containers");
		return -1;
	}
	/* } step05 */
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

/* With --ip: the host end takes the first address of the subnet, or the
 * second when the container asked for the first. */
static struct in_addr host_address(struct in_addr ip, int prefix)
{
	/* step05 { the subnet's first address (network + 1; IP and the
	 * result are in network byte order), or its second when IP is the
	 * first */
	uint32_t mask = htonl(~0u << (32 - prefix));
	uint32_t first = (ip.s_addr & mask) + htonl(1);
	struct in_addr gw = {first == ip.s_addr ? first + htonl(1) : first};

	return gw;
	/* } step05, skeleton: return ip; */
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

	/* step05 { net_lock(); nl_open(); with --ip check that its subnet
	 * is free (net_addr_in_use, else EADDRINUSE) and fill GO with it and
	 * host_address(), else net_pick_subnet() into GO; name the host end
	 * "nsw<child>" in name; net_veth_create() it with "eth0" in
	 * CHILD's namespace; net_addr_add() GO's gateway to the host end and
	 * net_link_up() it. *what = the step that failed; close nl, then the
	 * lock, on every path (one out: label) */
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
	/* } step05, skeleton: return 0; */
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

	/* step05 { nl_open() (in the container's namespace now), bring lo
	 * up; with --net veth also net_addr_add() GO's address to eth0,
	 * bring eth0 up, then net_route_default() via GO's gateway (only
	 * once eth0 is up: the gateway must be reachable). *what = the step
	 * that failed; close nl on every path */
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
	/* } step05, skeleton: return 0; */
}

/* Docker's --net container:ID: enter the network namespace of another
 * process. Everything else stays ours. */
static int net_join(const struct config *cfg, const char **what)
{
	/* step05 { setns(2) cfg->net_fd with CLONE_NEWNET; *what names the
	 * call */
	*what = "setns(--net container:PID)";
	trace("setns(%lu, CLONE_NEWNET)", cfg->net_ino);
	return setns(cfg->net_fd, CLONE_NEWNET);
	/* } step05, skeleton: return 0; */
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
	struct go_msg go;

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
	 * then it hung up. From here on, PR_SET_PDEATHSIG covers us. */
	if (runtime_gone(cfg->sync_fd[0])) {
		msg("runtime exited before the container started");
		return EXIT_RUNTIME;
	}
	close(cfg->sync_fd[0]);

	const char *what = "";
	int rc = 0;

	/* The network first: sysfs, mounted below, shows the interfaces of
	 * the network namespace of the process that mounts it. */
	if (cfg->net == NET_CONTAINER)
		rc = net_join(cfg, &what);
	else if (cfg->net != NET_HOST)
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
	 * CLONE_NEWUTS, CLONE_NEWIPC: its own hostname and IPC objects.
	 * CLONE_NEWNET: a network stack of its own, but not with --net host
	 * (the host's) or container:PID (the child joins that one). */
	int flags = CLONE_FLAGS | SIGCHLD;

	/* step05 { add CLONE_NEWNET to the flags for --net veth and none;
	 * not for host (the host's network) nor container:PID (joined) */
	if (cfg->net == NET_VETH || cfg->net == NET_NONE)
		flags |= CLONE_NEWNET;
	/* } step05 */
	pid = stack ? clone(child_main, stack, flags, cfg) : -1;
	trace("clone(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC "
	      "%s| SIGCHLD) = %d",
	      flags & CLONE_NEWNET ? "| CLONE_NEWNET " : "", (int)pid);
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

static void print_ns_table(pid_t child, const struct config *cfg)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)child);
	msg("%-9s %-12s %-12s", "namespace", "host", "container");
	for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++) {
		unsigned long host = ns_inode("self", ns_names[i]);
		unsigned long cont = ns_inode(pid, ns_names[i]);
		const char *state = host == cont ? "same" : "NEW";

		/* step05 { with --net container:PID the "net" row shows
		 * cfg->net_ino and "joined" */
		/* The child joins container:PID's namespace after "go". */
		if (cfg->net == NET_CONTAINER &&
		    strcmp(ns_names[i], "net") == 0) {
			cont = cfg->net_ino;
			state = "joined";
		}
		/* } step05 */
		msg("%-9s %-12lu %-12lu %s", ns_names[i], host, cont, state);
	}
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

/* A failure after clone: the child waits on the pipe; kill it and reap it.
 * A veth pair made for it goes with its network namespace. */
static int abort_child(pid_t pid, int go_fd)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(go_fd); /* after: a hang-up first would make it speak */
	return EXIT_RUNTIME;
}

int main(int argc, char **argv)
{
	struct config cfg = {.net_fd = -1};
	struct go_msg go = {0};
	const char *what = "";
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
		    "CLONE_NEWIPC | CLONE_NEWNET): %s%s",
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
		print_ns_table(pid, &cfg);
	if (cfg.net == NET_VETH &&
	    net_setup_host(&cfg, pid, &go, &what) == -1) {
		if (!child_dead(pid))
			msg("%s: %s", what, strerror(errno));
		return abort_child(pid, go_fd);
	}

	/* Let the child go; if this write fails it sees EOF and exits. */
	if (write(go_fd, &go, sizeof(go)) != sizeof(go) && errno != EPIPE)
		msg("write(sync pipe): %s", strerror(errno));
	/* Held open while the container runs: see runtime_gone(). */
	rc = wait_child(pid);
	close(go_fd);
	/* Nothing to undo on the host: the veth pair dies with the container's
	 * network namespace, which died with its last process (see
	 * docs/05-netns.md, "Who deletes the veth pair"). */
	return rc;
}
