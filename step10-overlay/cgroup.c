/*
 * cgroup.c — cgroup v1 and v2 for step08 (see cgroup.h).
 *
 * Two kernel interfaces
 *   cgroup v1 mounts one hierarchy per controller, and a controller can be
 *   bound to only one hierarchy at a time. A "hybrid" host (systemd's old
 *   default, still on many Debian 11/12 installs) mounts every controller as
 *   v1 and adds an empty v2 tree at /sys/fs/cgroup/unified that systemd uses
 *   only to track services: no controller is left for it, so a limit written
 *   there would limit nothing. That is why hybrid counts as v1 here: the
 *   question is where memory, pids and cpu live, and on a hybrid host they
 *   live in /sys/fs/cgroup/{memory,pids,cpu}.
 *
 *   cgroup v2 has one tree. A controller works in a directory only if its
 *   parent lists it in cgroup.subtree_control, so we enable it in the root
 *   and in nsworkshop/ before writing limits in nsworkshop/NAME. v2's "no
 *   internal processes" rule is why nsworkshop/ itself never holds a process.
 *
 *   limit       v2                          v1
 *   memory      memory.max (+ swap.max 0)   memory.limit_in_bytes (+ memsw)
 *   tasks       pids.max                    pids.max
 *   CPU         cpu.max "QUOTA PERIOD"      cpu.cfs_quota_us, cfs_period_us
 *   kill all    cgroup.kill (5.14+)         SIGKILL each PID in cgroup.procs
 *
 * Never give the container the host's cgroup tree writable. On v1, the root
 * of each hierarchy has a release_agent file: a program the kernel runs as
 * full root on the host when a cgroup with notify_on_release empties.
 * CVE-2022-0492: a process that could mount cgroupfs in its own user
 * namespace could set release_agent and escape (fixed in 5.17 and the stable
 * kernels: setting it now needs CAP_SYS_ADMIN in the initial user
 * namespace). v2 has no release_agent: it reports "populated 0" in
 * cgroup.events instead. step08 gives the
 * container a cgroup namespace and, at most, a read-only view.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h> /* CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC */

#include "cgroup.h"

#ifndef CG_ROOT
#define CG_ROOT "/sys/fs/cgroup" /* tests may compile in another root */
#endif
#define CG_PARENT	  "nsworkshop"
#define CPU_PERIOD_US	  100000 /* 100 ms, the CFS default period */
#define WAIT_STEPS	  200	 /* x 10 ms: how long processes get to die */
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

static const char *const ctrl_name[CG_NCTRL] = {"memory", "pids", "cpu"};

/* ------------------------------------------------------------ parsers -- */

/* A positive decimal number at the start of S. Digits only: strtoll alone
 * would take " +5" and "-5". */
static int parse_positive(const char *s, long long *v, char **end)
{
	if (!isdigit((unsigned char)*s))
		return set_errno(EINVAL);
	errno = 0;
	*v = strtoll(s, end, 10);
	if (errno == ERANGE)
		return -1;
	return *v == 0 ? set_errno(EINVAL) : 0;
}

int parse_size(const char *s, long long *out)
{
	static const char units[] = "kmgt";
	long long v, mult = 1;
	char *end;

	if (parse_positive(s, &v, &end) == -1)
		return -1;
	if (*end != '\0') {
		const char *u = strchr(units, tolower((unsigned char)*end));

		if (!u || end[1] != '\0')
			return set_errno(EINVAL);
		mult = 1LL << (10 * (u - units + 1));
	}
	if (v > LLONG_MAX / mult)
		return set_errno(ERANGE);
	*out = v * mult;
	return 0;
}

int parse_count(const char *s, long long *out)
{
	long long v;
	char *end;

	if (parse_positive(s, &v, &end) == -1)
		return -1;
	if (*end != '\0')
		return set_errno(EINVAL);
	*out = v;
	return 0;
}

/* The kernel refuses a CFS quota under 1 ms, i.e. 0.01 CPU per 100 ms; like
 * docker, we refuse more CPUs than are online (the quota could never be
 * used up). */
int parse_cpus(const char *s, double *out)
{
	const char *digits = "0123456789";
	size_t n = strspn(s, digits), m = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double v;

	if (s[n] == '.')
		m = strspn(s + n + 1, digits) + 1;
	if (n + m == 0 || s[n + m] != '\0' || strcmp(s, ".") == 0)
		return set_errno(EINVAL);
	v = strtod(s, NULL);
	if (v == 0)
		return set_errno(EINVAL);
	if (v < 0.01 || v > (ncpu > 0 ? ncpu : 1024))
		return set_errno(ERANGE);
	*out = v;
	return 0;
}

/* ----------------------------------------------------------- file I/O -- */

static int pathf(char *out, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int pathf(char *out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, CG_PATH_MAX, fmt, ap);
	va_end(ap);
	return n < 0 || n >= CG_PATH_MAX ? set_errno(ENAMETOOLONG) : 0;
}

/* Write VAL into DIR/FILE, building the path in PATH. A cgroup file takes
 * one value per write(2): the kernel parses it and fails the write itself
 * (EINVAL for a bad value, EBUSY, ...), not the open. */
static int write_at(char *path, const char *dir, const char *file,
		    const char *val)
{
	int fd, rc, err;

	if (pathf(path, "%s/%s", dir, file) == -1)
		return -1;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	rc = write_all(fd, val, strlen(val));
	err = errno;
	if (close(fd) == -1 && rc == 0)
		return -1;
	errno = err;
	return rc;
}

/* write_at() with a formatted value, leaving the path in cg->failed. */
static int cg_write(struct cgroup *cg, const char *dir, const char *file,
		    const char *fmt, ...) PRINTF_LIKE(4, 5);
static int cg_write(struct cgroup *cg, const char *dir, const char *file,
		    const char *fmt, ...)
{
	char val[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val))
		return set_errno(EOVERFLOW);
	return write_at(cg->failed, dir, file, val);
}

/* Is WORD one of the tokens of the file PATH, split at the bytes of SEP?
 * (" \n": words of cgroup.controllers; "\n": lines of cgroup.events.) */
static int listed(const char *path, const char *word, const char *sep)
{
	char buf[512], *tok, *save;
	FILE *f = fopen(path, "re");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(buf, sizeof(buf), f))
		for (tok = strtok_r(buf, sep, &save); tok && !found;
		     tok = strtok_r(NULL, sep, &save))
			found = strcmp(tok, word) == 0;
	fclose(f);
	return found;
}

static int is_fs(const char *path, long magic)
{
	struct statfs st;

	return statfs(path, &st) == 0 && (long)st.f_type == magic;
}

/* --------------------------------------------------------------- layout -- */

int cg_detect(void)
{
	struct statfs st;

	if (statfs(CG_ROOT, &st) == -1)
		return -1;
	if (st.f_type == CGROUP2_SUPER_MAGIC)
		return 1;
	/* v1 and hybrid: a tmpfs holding one mount per hierarchy. */
	if (st.f_type == TMPFS_MAGIC || st.f_type == CGROUP_SUPER_MAGIC)
		return 0;
	return set_errno(ENOTSUP); /* nothing mounted at /sys/fs/cgroup */
}

/* v2: the root's cgroup.controllers lists what the kernel offers. v1: a
 * cgroup filesystem is mounted at /sys/fs/cgroup/NAME (statfs follows the
 * cpu -> cpu,cpuacct symlink of hosts that mount the two together). */
static int available(int v2, int i)
{
	char path[CG_PATH_MAX];

	if (v2)
		return listed(CG_ROOT "/cgroup.controllers", ctrl_name[i],
			      " \n");
	return pathf(path, "%s/%s", CG_ROOT, ctrl_name[i]) == 0 &&
	       is_fs(path, CGROUP_SUPER_MAGIC);
}

static int wanted(const struct limits *lim, int i)
{
	if (i == CG_MEMORY)
		return lim->memory > 0;
	return i == CG_PIDS ? lim->pids > 0 : lim->cpus > 0;
}

int cg_describe(char *buf, size_t len)
{
	int v2 = cg_detect(), n;
	int hybrid = is_fs(CG_ROOT "/unified", CGROUP2_SUPER_MAGIC);

	if (v2 == -1)
		return -1;
	n = snprintf(buf, len,
		     "cgroup %s:", v2 ? "v2" : (hybrid ? "v1 (hybrid)" : "v1"));
	for (int i = 0; i < CG_NCTRL && n >= 0 && (size_t)n < len; i++) {
		int k = snprintf(buf + n, len - n,
				 available(v2, i) ? " %s" : " (no %s)",
				 ctrl_name[i]);

		n = k < 0 ? -1 : n + k;
	}
	return n < 0 || (size_t)n >= len ? set_errno(ERANGE) : 0;
}

/* ------------------------------------------------------------- create -- */

/* v2: let DIR's children use the controllers LIM needs. One write per
 * controller: "+memory +pids +cpu" in one write fails as a whole. (+cpu is
 * refused, EINVAL, while a realtime task runs outside the root cgroup on
 * kernels built with CONFIG_RT_GROUP_SCHED.) */
static int enable_v2(struct cgroup *cg, const char *dir,
		     const struct limits *lim)
{
	for (int i = 0; i < CG_NCTRL; i++)
		if (wanted(lim, i) &&
		    cg_write(cg, dir, "cgroup.subtree_control", "+%s",
			     ctrl_name[i]) == -1)
			return -1;
	return 0;
}

/* mkdir BASE/nsworkshop (it may exist), then BASE/nsworkshop/NAME (it must
 * not: another container's cgroup is not ours to share or to remove). OUT is
 * filled only once the directory is ours. On failure the parent goes too if
 * it is empty. Another runtime's cg_destroy may rmdir an empty nsworkshop/
 * between our two mkdirs (ENOENT): then we start again. */
static int make_dirs(struct cgroup *cg, char *out, const char *base,
		     const char *name, const struct limits *v2lim)
{
	char parent[CG_PATH_MAX];
	int err;

	if (pathf(parent, "%s/%s", base, CG_PARENT) == -1)
		return -1;
	for (int try = 0; try < 3; try++) {
		memcpy(cg->failed, parent, CG_PATH_MAX);
		if (mkdir(parent, 0755) == -1 && errno != EEXIST)
			return -1;
		if ((!v2lim || enable_v2(cg, parent, v2lim) == 0) &&
		    pathf(cg->failed, "%s/%s", parent, name) == 0 &&
		    mkdir(cg->failed, 0755) == 0) {
			memcpy(out, cg->failed, CG_PATH_MAX);
			return 0;
		}
		err = errno;
		rmdir(parent); /* EBUSY if another container is in it */
		if (err != ENOENT)
			return set_errno(err);
	}
	return set_errno(ENOENT);
}

/* memory.max caps RAM only: past it the kernel reclaims, swapping the
 * container's pages out, and kills only when that fails. memory.swap.max 0
 * makes the OOM killer fire at the limit (the file exists only with swap
 * accounting). cpu.max "50000 100000" = 50 ms of CPU every 100 ms = 0.5 CPU:
 * once the cgroup has used its quota, its tasks wait for the next period. */
static int create_v2(struct cgroup *cg, const char *name,
		     const struct limits *lim)
{
	const char *dir = cg->path;

	if (enable_v2(cg, CG_ROOT, lim) == -1 ||
	    make_dirs(cg, cg->path, CG_ROOT, name, lim) == -1)
		return -1;
	if (lim->memory &&
	    (cg_write(cg, dir, "memory.max", "%lld", lim->memory) == -1 ||
	     (cg_write(cg, dir, "memory.swap.max", "0") == -1 &&
	      errno != ENOENT)))
		return -1;
	if (lim->pids && cg_write(cg, dir, "pids.max", "%lld", lim->pids) == -1)
		return -1;
	if (lim->cpus && cg_write(cg, dir, "cpu.max", "%lld %d",
				  (long long)(lim->cpus * CPU_PERIOD_US + 0.5),
				  CPU_PERIOD_US) == -1)
		return -1;
	return 0;
}

/* v1 says the same in other files. At memory.limit_in_bytes the OOM killer
 * SIGKILLs a task of the cgroup (exit status 137). memory.memsw.limit_in_bytes
 * caps memory plus swap and must be >= limit_in_bytes, so it comes second;
 * equal to the limit it means "no swap" (it exists only with swap
 * accounting, swapaccount=1). We leave cpuset alone: a v1 cpuset cgroup
 * takes no task until cpuset.cpus and cpuset.mems are filled in. */
static int create_v1(struct cgroup *cg, const char *name,
		     const struct limits *lim)
{
	const char *mem = cg->v1[CG_MEMORY], *cpu = cg->v1[CG_CPU];
	char base[CG_PATH_MAX];

	for (int i = 0; i < CG_NCTRL; i++)
		if (wanted(lim, i) &&
		    (pathf(base, "%s/%s", CG_ROOT, ctrl_name[i]) == -1 ||
		     make_dirs(cg, cg->v1[i], base, name, NULL) == -1))
			return -1;
	if (lim->memory &&
	    (cg_write(cg, mem, "memory.limit_in_bytes", "%lld", lim->memory) ||
	     (cg_write(cg, mem, "memory.memsw.limit_in_bytes", "%lld",
		       lim->memory) == -1 &&
	      errno != ENOENT)))
		return -1;
	if (lim->pids &&
	    cg_write(cg, cg->v1[CG_PIDS], "pids.max", "%lld", lim->pids) == -1)
		return -1;
	if (lim->cpus &&
	    (cg_write(cg, cpu, "cpu.cfs_period_us", "%d", CPU_PERIOD_US) ||
	     cg_write(cg, cpu, "cpu.cfs_quota_us", "%lld",
		      (long long)(lim->cpus * CPU_PERIOD_US + 0.5))))
		return -1;
	return 0;
}

int cg_create(struct cgroup *cg, const char *name, const struct limits *lim,
	      struct err *e)
{
	char path[CG_PATH_MAX];
	struct err ignored;
	int rc, err;

	memset(cg, 0, sizeof(*cg));
	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || lim->memory < 0 || lim->pids < 0 ||
	    !(lim->cpus >= 0))
		return fail_errno(e, EINVAL, "cgroup", name);
	cg->v2 = cg_detect();
	if (cg->v2 == -1)
		return fail(e, "cgroup", CG_ROOT);
	for (int i = 0; i < CG_NCTRL; i++)
		if (wanted(lim, i) && !available(cg->v2, i)) {
			fail_errno(e, ENOTSUP, "cgroup controller",
				   ctrl_name[i]);
			e->hint = "this host does not have it";
			return -1;
		}
	rc = cg->v2 ? create_v2(cg, name, lim) : create_v1(cg, name, lim);
	if (rc == -1) {
		err = errno;
		memcpy(path, cg->failed, CG_PATH_MAX);
		cg_destroy(cg, &ignored); /* only what make_dirs() filled in */
		return fail_errno(e, err, "cgroup", path);
	}
	cg->failed[0] = '\0';
	return 0;
}

int cg_add_pid(struct cgroup *cg, pid_t pid, struct err *e)
{
	char val[24];

	/* allow-snprintf: fits */
	snprintf(val, sizeof(val), "%d", (int)pid);
	if (cg->v2 && write_at(cg->failed, cg->path, "cgroup.procs", val) == -1)
		return fail(e, "write", cg->failed);
	for (int i = 0; !cg->v2 && i < CG_NCTRL; i++)
		if (cg->v1[i][0] &&
		    write_at(cg->failed, cg->v1[i], "cgroup.procs", val) == -1)
			return fail(e, "write", cg->failed);
	return 0;
}

/* ------------------------------------------------------------- remove -- */

/* Count the processes in DIR/cgroup.procs, sending SIG to each if SIG != 0.
 * A cgroup that is gone counts as empty. */
static int procs(const char *dir, int sig)
{
	char path[CG_PATH_MAX];
	FILE *f;
	int pid, n = 0;

	if (pathf(path, "%s/cgroup.procs", dir) == -1)
		return -1;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fscanf(f, "%d", &pid) == 1) {
		n++;
		if (sig && pid > 0 && pid != getpid()) /* never kill(-1) */
			kill(pid, sig);
	}
	fclose(f);
	return n;
}

/* v2: "populated 1" in cgroup.events while any process is in DIR or below. */
static int populated(const char *dir)
{
	char path[CG_PATH_MAX];

	if (pathf(path, "%s/cgroup.events", dir) == -1)
		return -1;
	return listed(path, "populated 1", "\n");
}

/* Kill everything in DIR and wait until it is empty. v2 (5.14+): one write
 * to cgroup.kill SIGKILLs the whole subtree at once, even a fork bomb. v1, or
 * v2 before 5.14: SIGKILL each listed PID, again and again, as new children
 * may appear between reading the list and the kill (and, in theory, a PID
 * could be reused in that window: cgroup.kill has no such race). */
static int drain(const char *dir, int v2)
{
	const struct timespec tick = {0, 10 * 1000 * 1000};
	char path[CG_PATH_MAX];
	int killed = v2 && write_at(path, dir, "cgroup.kill", "1") == 0;

	for (int i = 0; i < WAIT_STEPS; i++) {
		int n = killed ? populated(dir) : procs(dir, SIGKILL);

		if (n <= 0)
			return n;
		nanosleep(&tick, NULL);
	}
	return set_errno(EBUSY);
}

/* Empty and rmdir DIR, then its parent nsworkshop/ if we were its last child
 * (rmdir fails with EBUSY otherwise, which is fine). DIR becomes "". On
 * failure DIR is copied to FAILED. */
static int remove_cgroup(char *dir, int v2, char *failed)
{
	char *slash;

	if (!dir[0])
		return 0;
	if (drain(dir, v2) == -1 || (rmdir(dir) == -1 && errno != ENOENT)) {
		memcpy(failed, dir, CG_PATH_MAX);
		return -1;
	}
	if ((slash = strrchr(dir, '/'))) {
		*slash = '\0';
		rmdir(dir);
	}
	dir[0] = '\0';
	return 0;
}

int cg_destroy(struct cgroup *cg, struct err *e)
{
	int err = 0;

	if (remove_cgroup(cg->path, 1, cg->failed) == -1)
		err = errno;
	for (int i = 0; i < CG_NCTRL; i++)
		if (remove_cgroup(cg->v1[i], 0, cg->failed) == -1 && !err)
			err = errno;
	if (err)
		return fail_errno(e, err, "remove cgroup", cg->failed);
	return 0;
}

/* The inode of our PID namespace (namespaces(7): /proc/self/ns/pid), 0
 * when it cannot be read. A PID means something only in its namespace:
 * the cgroup tree is the host's, shared by runtimes in every one. */
static unsigned long long pidns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == -1 ? 0 : st.st_ino;
}

/* NAME is PREFIX-INO-PID: *PID, if INO is our PID namespace's. */
static int own_kind(const char *name, const char *prefix, long long *pid)
{
	size_t plen = strlen(prefix);
	char *end;
	unsigned long long ino;

	if (strncmp(name, prefix, plen) != 0 || name[plen] != '-' ||
	    !isdigit((unsigned char)name[plen + 1]))
		return -1;
	errno = 0;
	ino = strtoull(name + plen + 1, &end, 10);
	if (errno || *end != '-' || ino == 0 || ino != pidns_ino() ||
	    parse_count(end + 1, pid) == -1 || *pid > INT_MAX)
		return -1;
	return 0;
}

/* A PID that no longer exists is the sign of a runtime that died without
 * cleaning up. (Its PID may have been reused: then the directory waits for
 * the next sweep; rmdir refuses a cgroup with processes in any case.) A
 * cgroup of a runtime in another PID namespace is not ours to judge. */
static void sweep_dir(const char *parent, const char *prefix)
{
	char dir[CG_PATH_MAX];
	DIR *d = opendir(parent); /* glibc opens it O_CLOEXEC */
	struct dirent *e;
	long long pid;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (own_kind(e->d_name, prefix, &pid) == -1)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (pathf(dir, "%s/%s", parent, e->d_name) == 0 &&
		    procs(dir, 0) == 0)
			rmdir(dir);
	}
	closedir(d);
	rmdir(parent);
}

int cg_sweep_stale(const char *prefix)
{
	char parent[CG_PATH_MAX];
	int v2 = cg_detect();

	if (v2 == 1 && pathf(parent, "%s/%s", CG_ROOT, CG_PARENT) == 0)
		sweep_dir(parent, prefix);
	for (int i = 0; v2 == 0 && i < CG_NCTRL; i++)
		if (pathf(parent, "%s/%s/%s", CG_ROOT, ctrl_name[i],
			  CG_PARENT) == 0)
			sweep_dir(parent, prefix);
	return 0;
}

/* ------------------------------------------------------------ options -- */

int cg_parse_limit(int ctrl, const char *arg, struct limits *lim, struct err *e)
{
	static const char *const opt[CG_NCTRL] = {"--memory", "--pids",
						  "--cpus"};
	int rc;

	fail_errno(e, 0, opt[ctrl], arg);
	if (ctrl == CG_MEMORY) {
		rc = parse_size(arg, &lim->memory);
		e->hint = "not a size such as 512k, 32m or 1g";
		/* Like Docker: below 6 MiB even exec cannot fit, and the OOM
		 * killer would end the container before COMMAND starts. */
		if (rc == 0 && lim->memory < 6 * 1024 * 1024) {
			e->hint = "the minimum is 6m";
			rc = -1;
		}
	} else if (ctrl == CG_PIDS) {
		rc = parse_count(arg, &lim->pids);
		e->hint = "not a positive number of tasks";
		/* pids.max takes at most PID_MAX_LIMIT, 4194304 on 64-bit
		 * (kernel/cgroup/pids.c); refuse more now, not at the write */
		if (rc == 0 && lim->pids > 4194304) {
			e->hint = "at most 4194304 tasks (PID_MAX_LIMIT)";
			rc = -1;
		}
	} else {
		rc = parse_cpus(arg, &lim->cpus);
		e->hint = "not a number of CPUs such as 0.5 (at most the CPUs "
			  "online)";
	}
	return rc;
}

/* Is any limit asked for? */
static int has_limits(const struct limits *lim)
{
	return lim->memory || lim->pids || lim->cpus > 0;
}

int cg_setup(struct cgroup *cg, const char *prefix, const struct limits *lim,
	     int rootless, pid_t child, struct err *e)
{
	char name[64], desc[128];

	if (rootless && !has_limits(lim))
		return 0;
	if (snprintf(name, sizeof(name), "%s-%llu-%d", prefix, pidns_ino(),
		     (int)getpid()) >= (int)sizeof(name))
		return fail_errno(e, ENAMETOOLONG, "cgroup", prefix);
	cg_sweep_stale(prefix);
	if (verbose && cg_describe(desc, sizeof(desc)) == 0)
		trace("%s", desc);
	trace("mkdir nsworkshop/%s, write the limits, cgroup.procs <- %d", name,
	      (int)child);
	if (cg_create(cg, name, lim, e) == -1) {
		if (rootless && e->errnum != ENOTSUP)
			e->hint = "limits without root need a cgroup "
				  "delegated to you, see docs/08-cgroup.md";
		return -1;
	}
	return cg_add_pid(cg, child, e);
}

/* --------------------------------------------------- set_ns: join ------ */

/* Is every comma-separated word of WORDS one of those of LIST? */
static int all_in(const char *words, const char *list)
{
	char copy[256], *w, *save;
	size_t n = strlen(list);

	if (snprintf(copy, sizeof(copy), "%s", words) >= (int)sizeof(copy))
		return 0;
	for (w = strtok_r(copy, ",", &save); w;
	     w = strtok_r(NULL, ",", &save)) {
		const char *p = list;
		size_t len = strlen(w);

		while ((p = strstr(p, w)) &&
		       !((p == list || p[-1] == ',') &&
			 (p + len == list + n || p[len] == ',')))
			p += len;
		if (!p)
			return 0;
	}
	return 1;
}

/* Where the hierarchy of a /proc/PID/cgroup line is mounted here, and the
 * cgroup that mount shows as its root: CTRLS "memory", "cpu,cpuacct" or
 * "name=systemd" is a v1 hierarchy with those in its super options; "" the
 * unified one, cgroup2. ENOENT: this host does not mount it. */
static int mount_of(const char *ctrls, char mnt[CG_PATH_MAX],
		    char root[CG_PATH_MAX])
{
	char line[2 * CG_PATH_MAX], type[16], opts[512], *dash;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		dash = strstr(line, " - ");
		if (!dash ||
		    sscanf(dash + 3, "%15s %*s %511s", type, opts) != 2)
			continue;
		if (ctrls[0]
			? strcmp(type, "cgroup") != 0 || !all_in(ctrls, opts)
			: strcmp(type, "cgroup2") != 0)
			continue;
		found =
		    sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) == 2;
	}
	fclose(f);
	return found ? 0 : set_errno(ENOENT);
}

/* Move us into the cgroup of one line "ID:CTRLS:PATH" of /proc/PID/cgroup,
 * in PATH's hierarchy; one this host does not mount is left alone. */
static int join_line(char *line, struct err *e)
{
	char mnt[CG_PATH_MAX], root[CG_PATH_MAX], dir[CG_PATH_MAX];
	char path[CG_PATH_MAX], pid[24];
	char *ctrls = strchr(line, ':'),
	     *cg = ctrls ? strchr(ctrls + 1, ':') : NULL;
	size_t len;

	if (!cg)
		return fail_errno(e, EINVAL, "parse", "/proc/PID/cgroup");
	*cg++ = '\0';
	cg[strcspn(cg, "\n")] = '\0';
	if (mount_of(ctrls + 1, mnt, root) == -1) {
		trace("cgroup %s: not mounted here, not joined", ctrls + 1);
		return 0;
	}
	/* A mount whose root is below the hierarchy's (a bind mount, or one
	 * made in a cgroup namespace) shows PATH without that prefix. */
	len = strcmp(root, "/") == 0 ? 0 : strlen(root);
	if (strncmp(cg, root, len) != 0)
		return fail_errno(e, ENOENT, "cgroup", cg);
	/* allow-snprintf: fits */
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (pathf(dir, "%s%s", mnt, strcmp(cg + len, "/") ? cg + len : "") ==
		-1 ||
	    write_at(path, dir, "cgroup.procs", pid) == -1)
		return fail(e, "write", path);
	trace("cgroup %s: joined %s", ctrls + 1, cg);
	return 0;
}

/* The hierarchies where we are in the cgroup LINE names already: nothing
 * to join (and a rootless caller could not write to cgroup.procs there). */
static int already_in(const char *line)
{
	char ours[CG_PATH_MAX + 256];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int found = 0;

	while (f && !found && fgets(ours, sizeof(ours), f))
		found = strcmp(ours, line) == 0;
	if (f)
		fclose(f);
	return found;
}

int cg_join(int procfd, struct err *e)
{
	char line[CG_PATH_MAX + 256];
	int fd = openat(procfd, "cgroup", O_RDONLY | O_CLOEXEC);
	FILE *f = fd == -1 ? NULL : fdopen(fd, "re");
	int rc = 0;

	if (!f) {
		fail(e, "open", "/proc/PID/cgroup");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f))
		if (!already_in(line))
			rc = join_line(line, e);
	fclose(f);
	return rc;
}
