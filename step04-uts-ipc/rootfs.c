/*
 * rootfs.c — the container's root filesystem (see rootfs.h).
 */
#include "rootfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "syscalls.h"

/*
 * The rootfs, as an absolute path without symlinks: pivot_root(2) needs a
 * mount point, and we are about to bind-mount this path onto itself. The
 * default is the rootfs/ directory beside the binary (`make rootfs`).
 */
int resolve_rootfs(const char *arg, char out[PATH_MAX], struct err *e)
{
	char exe[PATH_MAX], path[PATH_MAX];
	struct stat st;

	if (!arg) {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (n == -1)
			return fail(e, "readlink", "/proc/self/exe");
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		if (snprintf(path, sizeof(path), "%s/rootfs", exe) >=
		    (int)sizeof(path))
			return fail_errno(e, ENAMETOOLONG, "rootfs", exe);
		arg = path;
	}
	if (!realpath(arg, out) || stat(out, &st) == -1) {
		fail(e, "rootfs", arg);
		e->hint = "make one with: make rootfs";
		return -1;
	}
	/* The host's own root: the container would pivot onto the host and
	 * mount its /proc, /dev and /tmp over the host's, in its namespace. */
	if (strcmp(out, "/") == 0) {
		fail_errno(e, 0, "--rootfs", arg);
		e->hint = "the host's root is no container's root filesystem "
			  "(make one with: make rootfs)";
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fail_errno(e, 0, "rootfs", arg);
		e->hint = "not a directory";
		return -1;
	}
	return 0;
}

/*
 * The runtime's mount namespace, noted before clone(2): a child made
 * without CLONE_VM gets a copy of this memory, noted value included.
 */
static struct stat runtime_mnt;

int note_mount_ns(struct err *e)
{
	if (stat("/proc/self/ns/mnt", &runtime_mnt) == -1)
		return fail(e, "stat", "/proc/self/ns/mnt");
	return 0;
}

/*
 * -1 when we are still in the runtime's mount namespace: clone(2) had no
 * CLONE_NEWNS. Every mount would then land in the runtime's mount table,
 * the host's, and pivot_root(2) would make the rootfs `/` for every
 * process of the namespace whose root was the old one: the whole host. A
 * namespace is named by the inode of its /proc/PID/ns file
 * (namespaces(7)); our /proc is still the parent's, where /proc/self is us.
 * The runtime notes its own rather than the child reading its parent's:
 * in a new PID namespace getppid() is 0, and in a new user namespace the
 * parent's /proc/PID/ns may not be ours to read.
 */
static int refuse_runtime_mount_ns(struct err *e)
{
	struct stat st;

	if (stat("/proc/self/ns/mnt", &st) == -1)
		return fail(e, "stat", "/proc/self/ns/mnt");
	if (st.st_dev != runtime_mnt.st_dev || st.st_ino != runtime_mnt.st_ino)
		return 0;
	fail_errno(e, 0, "still in the runtime's mount namespace", NULL);
	e->hint = "add CLONE_NEWNS to clone's flags: here, every mount and "
		  "pivot_root would change the host";
	return -1;
}

/*
 * Nothing can leak to the host from here on: every mount is made in our
 * own mount namespace after `/` was made private.
 */
int enter_rootfs(const char *rootfs, struct err *e)
{
	if (refuse_runtime_mount_ns(e) == -1)
		return -1;
	/* On systemd hosts `/` is shared, and a mount event under a shared
	 * mount is replayed in every peer — the host's namespace included
	 * (mount_namespaces(7)). MS_REC|MS_PRIVATE cuts every link. */
	trace("mount(/, MS_REC | MS_PRIVATE)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return fail(e, "mount", "/, MS_REC | MS_PRIVATE");
	/* pivot_root needs the new root to be a mount point: bind-mount the
	 * rootfs directory onto itself. */
	trace("mount(%s, %s, MS_BIND | MS_REC)", rootfs, rootfs);
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) == -1)
		return fail(e, "mount MS_BIND", rootfs);
	if (chdir(rootfs) == -1)
		return fail(e, "chdir", rootfs);
	return 0;
}

/*
 * The image stays read-only, as with bubblewrap's --ro-bind: no container
 * may change the rootfs under the next one (docs/03-mountns.md). Only the
 * mount at MP becomes read-only (plus the flags ADD); what is mounted below
 * it (/tmp, /dev, /dev/shm) stays writable. MS_REMOUNT | MS_BIND changes
 * the flags of that one mount, and must keep the ones it has: in a user
 * namespace (step06) the nosuid, nodev, noexec and atime flags of a mount
 * that came from the host are locked, and a remount that would clear one
 * fails with EPERM (mount(2), mount_namespaces(7)).
 */
static int remount_readonly(const char *mp, unsigned long add, struct err *e)
{
	static const struct {
		unsigned long st, ms;
	} keep[] = {
	    {ST_NOSUID, MS_NOSUID},	    {ST_NODEV, MS_NODEV},
	    {ST_NOEXEC, MS_NOEXEC},	    {ST_NOATIME, MS_NOATIME},
	    {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME},
	};
	const char *name = strcmp(mp, ".") == 0 ? "rootfs" : mp;
	unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | add;
	struct statvfs sv;

	if (statvfs(mp, &sv) == -1)
		return fail(e, "statvfs", name);
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		if (sv.f_flag & keep[i].st)
			flags |= keep[i].ms;
	if (!(sv.f_flag & (ST_NOATIME | ST_RELATIME)))
		flags |= MS_STRICTATIME;
	trace("mount(%s, MS_REMOUNT | MS_BIND | MS_RDONLY)", name);
	if (mount(NULL, mp, NULL, flags, NULL) == -1)
		return fail(e, "mount MS_REMOUNT | MS_RDONLY", name);
	return 0;
}

/*
 * The filesystems every container gets, mounted in this order below the
 * rootfs. MS_NOSUID/MS_NODEV/MS_NOEXEC wherever a filesystem has no need
 * for set-uid programs, device nodes or executables.
 */
static const struct mount_entry {
	const char *source, *target, *fstype;
	unsigned long flags;
	const char *data;
} mounts[] = {
    /* A proc of the new PID namespace: `ps` sees only the container. */
    {"proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
    {"sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
     NULL},
    /* A tmpfs keeps its files in memory, and without size= may take half
     * of the host's RAM (tmpfs(5)): /tmp is bounded like Docker's
     * /dev/shm. */
    {"tmpfs", "tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m"},
    /* /dev is a small tmpfs of our own, not the host's /dev. */
    {"tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
     "mode=755,size=65536k"},
    /* newinstance: ptys of our own, not the host's (devpts.rst). */
    {"devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
     "newinstance,ptmxmode=0666,mode=0620"},
    /* 64m: Docker's default --shm-size. */
    {"tmpfs", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
     "mode=1777,size=64m"},
    /* step04 { an entry that mounts an "mqueue" filesystem on dev/mqueue
     * (MS_NOSUID | MS_NODEV | MS_NOEXEC), for POSIX message queues */
    /* An mqueue mount shows the queues of the IPC namespace of the process
     * mounting it (mq_overview(7)). */
    {"mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
    /* } step04 */
};

/*
 * We have not pivoted yet, so a target that is a symlink in the rootfs —
 * rootfs/proc -> /etc, say — would be followed into the *host*. Refuse
 * anything but a real directory (CVE-2019-19921, CVE-2021-30465). Targets
 * under dev/ are on the tmpfs we just mounted, so we make them ourselves.
 */
static int mount_one(const struct mount_entry *m, struct err *e)
{
	struct stat st;

	if (strncmp(m->target, "dev/", 4) == 0 && mkdir(m->target, 0755) == -1)
		return fail(e, "mkdir", m->target);
	if (lstat(m->target, &st) == -1)
		return fail(e, "lstat", m->target);
	if (!S_ISDIR(st.st_mode))
		return fail_errno(e, S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR,
				  "mount", m->target);
	trace("mount(%s, /%s, %s)", m->source, m->target, m->fstype);
	if (mount(m->source, m->target, m->fstype, m->flags, m->data) == 0)
		return 0;
	return fail(e, "mount", m->target);
}

int mount_filesystems(struct err *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(mounts); i++)
		if (mount_one(&mounts[i], e) == -1)
			return -1;
	return 0;
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

static int make_device(const struct device *d, struct err *e)
{
	trace("mknod(/%s, c %u:%u)", d->path, d->major, d->minor);
	if (mknod(d->path, S_IFCHR | 0666, makedev(d->major, d->minor)) == -1)
		return fail(e, "mknod", d->path);
	if (chmod(d->path, 0666) == -1)
		return fail(e, "chmod", d->path);
	return 0;
}

int make_devices(struct err *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(devices); i++)
		if (make_device(&devices[i], e) == -1)
			return -1;
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
		if (symlink(dev_links[i][0], dev_links[i][1]) == -1)
			return fail(e, "symlink", dev_links[i][1]);
	return 0;
}

/*
 * pivot_root(".", "."): the rootfs becomes `/` and the old root is stacked
 * on top of it, where umount2(MNT_DETACH) removes it (pivot_root(2),
 * NOTES). Unlike chroot(2), which only changes how paths are resolved for
 * this process, the host's filesystem is then gone from this namespace:
 * there is no `..` left to climb out through.
 */
int pivot_into(struct err *e)
{
	if (refuse_runtime_mount_ns(e) == -1)
		return -1;
	/* nodev: a device node in the image (an untrusted tarball may hold
	 * one of the host's disk) is not a device here; the container has
	 * the /dev the runtime makes and no other (Docker relies on the
	 * devices cgroup for this, which step08 does not set up) */
	if (remount_readonly(".", MS_NODEV, e) == -1)
		return -1;
	trace("pivot_root(., .)");
	if (sys_pivot_root(".", ".") == -1) {
		fail(e, "pivot_root", "rootfs");
		e->hint = "is the rootfs on a filesystem that cannot be "
			  "pivoted, e.g. initramfs? see docs/03-mountns.md";
		return -1;
	}
	trace("umount2(., MNT_DETACH)");
	if (umount2(".", MNT_DETACH) == -1)
		return fail(e, "umount2", "old root, MNT_DETACH");
	if (chdir("/") == -1)
		return fail(e, "chdir", "/");
	return 0;
}
