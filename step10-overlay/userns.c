/*
 * userns.c — uid/gid maps and becoming root in a user namespace (see
 * userns.h).
 */
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* With root, container ids 0-65535 are host ids 100000-165535: ids no
 * account on the host uses (the first range useradd(8) gives out in
 * /etc/subuid starts here too; see docs/06-userns.md). */
#define DEFAULT_MAP "0 100000 65536"

/* Three unsigned decimals separated by ':' (no sign, no space, nothing
 * after) into V. */
static int parse_ids(const char *arg, unsigned long long v[3])
{
	const char *p = arg;
	char *end;

	for (int i = 0; i < 3; i++) {
		if (*p < '0' || *p > '9')
			return -1;
		errno = 0;
		v[i] = strtoull(p, &end, 10);
		if (errno || *end != (i < 2 ? ':' : '\0'))
			return -1;
		p = end + 1;
	}
	return 0;
}

/*
 * Ids are 32-bit and 4294967295 is (uid_t)-1, never valid; both ranges
 * must fit below it.
 */
int parse_map(const char *opt, const char *arg, char out[MAP_LINE_MAX],
	      struct err *e)
{
	unsigned long long v[3];

	if (parse_ids(arg, v) == -1 || v[2] == 0 || v[0] + v[2] > UINT32_MAX ||
	    v[1] + v[2] > UINT32_MAX) {
		fail_errno(e, 0, opt, arg);
		e->hint = "not a map INSIDE:OUTSIDE:COUNT with COUNT > 0 and "
			  "every id below 4294967295";
		return -1;
	}
	/* allow-snprintf: three ids below 2^32 fit */
	snprintf(out, MAP_LINE_MAX, "%llu %llu %llu", v[0], v[1], v[2]);
	return 0;
}

void default_map(char out[MAP_LINE_MAX], unsigned id, int rootless)
{
	if (rootless)
		/* allow-snprintf: fits */
		snprintf(out, MAP_LINE_MAX, "0 %u 1", id);
	else
		/* allow-snprintf: fits */
		snprintf(out, MAP_LINE_MAX, DEFAULT_MAP);
}

/* The kernel takes a map in one write(2), whole, or fails it. */
static int write_file(pid_t pid, const char *file, const char *text,
		      struct err *e)
{
	char path[64], obj[64 + MAP_LINE_MAX];
	int fd, rc = 0;

	/* allow-snprintf: fits */
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (snprintf(obj, sizeof(obj), "%s, %s", path, text) >=
	    (int)sizeof(obj))
		return fail_errno(e, E2BIG, "write", path);
	trace("write(%s, \"%s\")", path, text);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		return fail(e, "open", path);
	if (write_all(fd, text, strlen(text)) == -1)
		rc = fail(e, "write", obj);
	close(fd);
	return rc;
}

/*
 * The order is the kernel's (user_namespaces(7)). Without root, "deny"
 * goes to setgroups before the gid_map: otherwise a user could drop, with
 * setgroups(2), a group that was keeping it *out* of a file
 * (CVE-2014-8989), so since Linux 3.19 an unprivileged gid_map write fails
 * with EPERM until setgroups is denied.
 */
int write_maps(pid_t child, const char *uid_map, const char *gid_map,
	       int rootless, struct err *e)
{
	if (write_file(child, "uid_map", uid_map, e) == -1 ||
	    (rootless && write_file(child, "setgroups", "deny", e) == -1) ||
	    write_file(child, "gid_map", gid_map, e) == -1) {
		if (e->errnum == EPERM)
			e->hint = userns_hint();
		return -1;
	}
	return 0;
}

/*
 * Until now our ids were the host's (unmapped inside, unless rootless); we
 * kept them until we stood in the rootfs, so that a path only the caller
 * may enter (a home directory) could still be crossed. Mounts need a
 * mapped owner: devpts fails with EOVERFLOW for an unmapped one.
 */
int become_root(int rootless, struct err *e)
{
	if (!rootless && setgroups(0, NULL) == -1)
		return fail(e, "setgroups", "0");
	trace("setresgid(0, 0, 0), setresuid(0, 0, 0)");
	if (setresgid(0, 0, 0) == -1)
		return fail(e, "setresgid", "0");
	if (setresuid(0, 0, 0) == -1)
		return fail(e, "setresuid", "0");
	return 0;
}

/* Is the first number in FILE equal to VALUE? */
static int sysctl_is(const char *file, int value)
{
	char buf[16] = "";
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && atoi(buf) == value;
}

const char *userns_hint(void)
{
	if (sysctl_is("/proc/sys/user/max_user_namespaces", 0))
		return "user namespaces are disabled: sysctl -w "
		       "user.max_user_namespaces=15000";
	if (sysctl_is("/proc/sys/kernel/unprivileged_userns_clone", 0))
		return "Debian: sysctl -w kernel.unprivileged_userns_clone=1";
	if (sysctl_is("/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
		      1))
		return "Ubuntu's AppArmor restricts user namespaces: sysctl -w "
		       "kernel.apparmor_restrict_unprivileged_userns=0";
	return geteuid() ? "without root, map only your own id: 0:UID:1" : NULL;
}
