/*
 * harden.c — the defaults that make a container hard to break out of.
 *
 * Namespaces decide what a process sees; they do not take away what root
 * may do with what it sees. These are the lines Docker adds, each against
 * a known way out:
 *   - capabilities: the bounding set is cut to Docker's default list, so
 *     COMMAND, uid 0 of its user namespace, never gets CAP_SYS_ADMIN,
 *     CAP_SYS_MODULE, CAP_SYS_PTRACE... (capabilities(7));
 *   - no_new_privs: no set-uid binary or file capability can raise them
 *     again (prctl(2) PR_SET_NO_NEW_PRIVS);
 *   - masked paths: /proc/kcore (the kernel's memory), /proc/keys, timer
 *     and scheduler details leak about the host: /dev/null or an empty
 *     read-only tmpfs is bound over them;
 *   - read-only paths: /proc/sys, /proc/sysrq-trigger and friends would let
 *     root inside change or crash the host's kernel;
 *   - descriptors: a descriptor of the runtime that reaches COMMAND is a
 *     door to the host (CVE-2024-21626: a leaked fd of a host directory).
 *
 * Read: capabilities(7), prctl(2), runc's libcontainer/specconv defaults.
 */
#include "harden.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "syscalls.h"

/* Relative to the rootfs: we have not pivoted yet. */
static const char *const masked[] = {
    "proc/asound",
    "proc/acpi",
    "proc/kcore",
    "proc/keys",
    "proc/latency_stats",
    "proc/timer_list",
    "proc/timer_stats",
    "proc/sched_debug",
    "proc/scsi",
    "sys/firmware",
    "sys/devices/virtual/powercap",
};

static const char *const readonly[] = {
    "proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger",
};

/* Docker's default capabilities (moby's oci/caps/defaults.go), less
 * CAP_MKNOD, which in a user namespace can never be used. */
static const int keep[] = {
    CAP_CHOWN,	     CAP_DAC_OVERRIDE,	   CAP_FSETID,	   CAP_FOWNER,
    CAP_NET_RAW,     CAP_SETGID,	   CAP_SETUID,	   CAP_SETFCAP,
    CAP_SETPCAP,     CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL,
    CAP_AUDIT_WRITE,
};

/*
 * The mask source must be the real /dev/null, character device 1:3: if a
 * rootfs could put a symlink or a file there, the bind would expose what it
 * points at instead of hiding /proc/kcore (CVE-2025-31133).
 */
static int check_dev_null(struct err *e)
{
	struct stat st;

	if (lstat("dev/null", &st) == -1)
		return fail(e, "lstat", "dev/null");
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 ||
	    minor(st.st_rdev) != 3)
		return fail_errno(e, ENODEV, "mask source", "dev/null");
	return 0;
}

static int mask_one(const char *path, struct err *e)
{
	struct stat st;

	if (lstat(path, &st) == -1) /* absent here: nothing to hide */
		return errno == ENOENT ? 0 : fail(e, "lstat", path);
	if (S_ISDIR(st.st_mode) &&
	    mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0") == -1)
		return fail(e, "mount tmpfs", path);
	if (!S_ISDIR(st.st_mode) &&
	    mount("dev/null", path, NULL, MS_BIND, NULL) == -1)
		return fail(e, "mount MS_BIND", path);
	return 0;
}

/* Bind a path onto itself and remount the bind read-only. In a user
 * namespace the flags proc was mounted with are locked: keep them. */
static int readonly_one(const char *path, struct err *e)
{
	unsigned long locked = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	if (access(path, F_OK) == -1)
		return errno == ENOENT ? 0 : fail(e, "access", path);
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) == -1)
		return fail(e, "mount MS_BIND", path);
	if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | locked,
		  NULL) == -1)
		return fail(e, "mount MS_REMOUNT | MS_RDONLY", path);
	return 0;
}

int harden_paths(struct err *e)
{
	if (check_dev_null(e) == -1)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(masked); i++)
		if (mask_one(masked[i], e) == -1)
			return -1;
	for (size_t i = 0; i < ARRAY_SIZE(readonly); i++)
		if (readonly_one(readonly[i], e) == -1)
			return -1;
	return 0;
}

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

static int kept(int cap)
{
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		if (keep[i] == cap)
			return 1;
	return 0;
}

/*
 * At execve(2), uid 0 gets as permitted and effective capabilities exactly
 * the bounding set: dropping from it is all it takes. Ambient capabilities
 * would survive exec for a non-root COMMAND: clear them too.
 */
int harden_privileges(struct err *e)
{
	int last = last_cap();

	trace("prctl(PR_CAPBSET_DROP ...), prctl(PR_SET_NO_NEW_PRIVS)");
	for (int cap = 0; cap <= last; cap++)
		if (!kept(cap) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			return fail(e, "prctl", "PR_CAPBSET_DROP");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL)
		return fail(e, "prctl", "PR_CAP_AMBIENT_CLEAR_ALL");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return fail(e, "prctl", "PR_SET_NO_NEW_PRIVS");
	return 0;
}

/*
 * --init's PID 1 never execs, so the bounding set does not cap it: it
 * keeps every capability it had. Take from its permitted, effective and
 * inheritable sets what the bounding set lacks (capabilities(7)): it is
 * left with COMMAND's, which reaping and relaying signals do not exceed.
 */
int harden_init(struct err *e)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int last = last_cap();

	if (sys_capget(&hdr, data) == -1)
		return fail(e, "capget", "--init");
	for (int cap = 0; cap <= last && cap < 32 * _LINUX_CAPABILITY_U32S_3;
	     cap++) {
		__u32 bit = 1U << (cap % 32);

		if (kept(cap))
			continue;
		data[cap / 32].effective &= ~bit;
		data[cap / 32].permitted &= ~bit;
		data[cap / 32].inheritable &= ~bit;
	}
	if (sys_capset(&hdr, data) == -1)
		return fail(e, "capset", "--init");
	return 0;
}

/*
 * Our own descriptors are O_CLOEXEC; this catches the ones the caller left
 * open for us (a shell's `7< /etc`). close_range(2) with
 * CLOSE_RANGE_CLOEXEC marks them without closing them yet, so the sync pipe
 * still works until exec (syscalls.h falls back to fcntl(2) before 5.11).
 */
int harden_fds(struct err *e)
{
	if (sys_close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1)
		return fail(e, "close_range", "3, CLOSE_RANGE_CLOEXEC");
	return 0;
}

/* ------------------------------------------------- set_ns: runc exec --- */

/* "Groups:\t0 10 \n": the numbers, at most ARRAY_SIZE(p->groups). */
static int parse_groups(const char *s, struct privileges *p)
{
	char *end;

	for (p->ngroups = 0; *s && *s != '\n'; s = end) {
		unsigned long g = strtoul(s, &end, 10);

		if (end == s)
			break;
		if (p->ngroups == (int)ARRAY_SIZE(p->groups))
			return set_errno(E2BIG);
		p->groups[p->ngroups++] = (unsigned)g;
	}
	return 0;
}

/* One line of /proc/PID/status (proc(5)) into P; other lines are left. */
static int parse_status_line(const char *line, struct privileges *p)
{
	const struct {
		const char *key;
		unsigned long long *set;
	} caps[] = {
	    {"CapInh:", &p->inh}, {"CapPrm:", &p->prm}, {"CapEff:", &p->eff},
	    {"CapBnd:", &p->bnd}, {"CapAmb:", &p->amb},
	};
	int ok = 1;

	for (size_t i = 0; i < ARRAY_SIZE(caps); i++)
		if (strncmp(line, caps[i].key, 7) == 0)
			ok = sscanf(line + 7, "%llx", caps[i].set) == 1;
	if (strncmp(line, "NoNewPrivs:", 11) == 0)
		ok = sscanf(line + 11, "%d", &p->no_new_privs) == 1;
	else if (strncmp(line, "Seccomp:", 8) == 0)
		ok = sscanf(line + 8, "%d", &p->seccomp) == 1;
	else if (strncmp(line, "Groups:", 7) == 0)
		return parse_groups(line + 7, p);
	return ok ? 0 : set_errno(EINVAL);
}

int privileges_of(int procfd, struct privileges *p, struct err *e)
{
	char buf[16384], *line, *save;
	int fd = openat(procfd, "status", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	memset(p, 0, sizeof(*p));
	if (fd == -1)
		return fail(e, "open", "/proc/PID/status");
	n = read(fd, buf, sizeof(buf) - 1);
	if (n == -1 || n == (ssize_t)sizeof(buf) - 1) {
		fail_errno(e, n == -1 ? errno : E2BIG, "read",
			   "/proc/PID/status");
		close(fd);
		return -1;
	}
	close(fd);
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (parse_status_line(line, p) == -1)
			return fail(e, "parse", "/proc/PID/status");
	return 0;
}

/* Cut our bounding set to BND. A capability we no longer hold needs no
 * dropping (and a caller without CAP_SETPCAP could not drop it); one above
 * this kernel's last is EINVAL. */
static int drop_bounding(unsigned long long bnd, struct err *e)
{
	for (int cap = 0; cap < 64; cap++) {
		int have = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (have == -1 && errno == EINVAL)
			break;
		if (have == 1 && !(bnd & (1ULL << cap)) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			return fail(e, "prctl", "PR_CAPBSET_DROP");
	}
	return 0;
}

/*
 * In this order: groups, while CAP_SETGID is ours; the bounding set, while
 * CAP_SETPCAP is; the three sets, which may take both away; no_new_privs
 * last. At execve(2) uid 0 then gets the bounding set (plus the inheritable
 * set) as permitted and effective: what PID 1 got.
 */
int adopt_privileges(const struct privileges *p, struct err *e)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];

	/* setgroups(2) is EPERM in a user namespace whose creator wrote "deny"
	 * to setgroups (every rootless container, CVE-2014-8989); set_ns
	 * dropped the caller's groups before it joined. */
	if (setgroups((size_t)p->ngroups, (const gid_t *)p->groups) == -1 &&
	    errno != EPERM)
		return fail(e, "setgroups", "the target's groups");
	if (drop_bounding(p->bnd, e) == -1)
		return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL)
		return fail(e, "prctl", "PR_CAP_AMBIENT_CLEAR_ALL");
	for (int i = 0; i < 2; i++) {
		data[i].effective = (__u32)(p->eff >> (32 * i));
		data[i].permitted = (__u32)(p->prm >> (32 * i));
		data[i].inheritable = (__u32)(p->inh >> (32 * i));
	}
	if (sys_capset(&hdr, data) == -1)
		return fail(e, "capset", "the target's capabilities");
	if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return fail(e, "prctl", "PR_SET_NO_NEW_PRIVS");
	trace("privileges of the target: CapBnd %016llx CapEff %016llx, %d "
	      "groups, no_new_privs %d",
	      p->bnd, p->eff, p->ngroups, p->no_new_privs);
	return 0;
}
