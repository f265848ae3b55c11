/*
 * rootfs.c — the container's root filesystem (see rootfs.h).
 */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
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
 * The parent's copy of the rootfs belongs to no mount namespace yet:
 * move_mount(2) attaches it in ours. Any directory of ours would do as the
 * place; "/" is one we can always reach (the rootfs's own path is the one
 * we cannot), and pivot_root only needs the copy to be a mount point.
 */
static int attach_rootfs(int tree, struct err *e)
{
	trace("move_mount(rootfs copy, /), fchdir(rootfs copy)");
	if (sys_move_mount(tree, AT_FDCWD, "/") == -1)
		return fail(e, "move_mount", "rootfs");
	if (fchdir(tree) == -1)
		return fail(e, "fchdir", "rootfs");
	trace("mount(., MS_REC | MS_PRIVATE)");
	if (mount(NULL, ".", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return fail(e, "mount", "rootfs, MS_REC | MS_PRIVATE");
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
int enter_rootfs(const char *rootfs, const struct host_paths *hp, struct err *e)
{
	if (refuse_runtime_mount_ns(e) == -1)
		return -1;
	/* On systemd hosts `/` is shared, and a mount event under a shared
	 * mount is replayed in every peer — the host's namespace included
	 * (mount_namespaces(7)). MS_REC|MS_PRIVATE cuts every link. */
	trace("mount(/, MS_REC | MS_PRIVATE)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return fail(e, "mount", "/, MS_REC | MS_PRIVATE");
	if (hp->rootfs != -1)
		return attach_rootfs(hp->rootfs, e);
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
    /* An mqueue mount shows the queues of the IPC namespace of the process
     * mounting it (mq_overview(7)). */
    {"mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
};

/* Undo mountinfo's escapes of space, tab, newline and '\\' (\ooo) in S. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] &&
		    s[3]) {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
					(s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* Before Linux 5.12: remount read-only the mount at TARGET (relative to the
 * working directory) and every mount below it, as /proc/self/mountinfo
 * lists them (field 5, the mount point; parents first). */
static int remount_tree_ro(const char *target, struct err *e)
{
	char cwd[PATH_MAX], top[PATH_MAX], line[2 * PATH_MAX], mp[PATH_MAX];
	size_t n;
	FILE *f;
	int rc = 0;

	if (!getcwd(cwd, sizeof(cwd)))
		return fail(e, "getcwd", target);
	if (snprintf(top, sizeof(top), "%s/%s", cwd, target) >=
	    (int)sizeof(top))
		return fail_errno(e, ENAMETOOLONG, "getcwd", target);
	n = strlen(top);
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return fail(e, "open", "/proc/self/mountinfo");
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		unescape(mp);
		if (strncmp(mp, top, n) == 0 && (!mp[n] || mp[n] == '/'))
			rc = remount_readonly(
			    mp, MS_NOSUID | MS_NODEV | MS_NOEXEC, e);
	}
	fclose(f);
	return rc;
}

/*
 * A sysfs mount shows the network namespace of the mounter, and needs that
 * namespace to be owned by our user namespace; with --net host or
 * container:PID it is not. Bind the host's /sys instead — the parent's
 * copy (SYS) when it took one — recursively: in a user namespace the host's
 * mounts below it are locked (a bind without MS_REC would uncover what they
 * hide, EINVAL). Every one of them must be read-only too, or the host's
 * cgroup hierarchies under /sys/fs/cgroup are writable inside
 * (CVE-2022-0492's release_agent): MS_REMOUNT changes one mount,
 * mount_setattr(2) with AT_RECURSIVE (Linux 5.12) the whole tree.
 */
static int bind_sys(const char *target, int sys, struct err *e)
{
	struct mount_attr attr = {.attr_set =
				      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
				      MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};

	trace("%s, then MOUNT_ATTR_RDONLY with AT_RECURSIVE",
	      sys != -1 ? "move_mount(/sys copy, /sys)"
			: "mount(/sys, /sys, MS_BIND | MS_REC)");
	if (sys != -1 && sys_move_mount(sys, AT_FDCWD, target) == -1)
		return fail(e, "move_mount", "/sys");
	if (sys == -1 &&
	    mount("/sys", target, NULL, MS_BIND | MS_REC, NULL) == -1)
		return fail(e, "mount MS_BIND", "/sys");
	if (sys_mount_setattr(AT_FDCWD, target, AT_RECURSIVE, &attr) == 0)
		return 0;
	if (errno != ENOSYS)
		return fail(e, "mount_setattr AT_RECURSIVE", target);
	return remount_tree_ro(target, e);
}

/*
 * We have not pivoted yet, so a target that is a symlink in the rootfs —
 * rootfs/proc -> /etc, say — would be followed into the *host*. Refuse
 * anything but a real directory (CVE-2019-19921, CVE-2021-30465). Targets
 * under dev/ are on the tmpfs we just mounted, so we make them ourselves.
 */
static int mount_one(const struct mount_entry *m, int sys, struct err *e)
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
	if (errno == EPERM && strcmp(m->fstype, "sysfs") == 0)
		return bind_sys(m->target, sys, e);
	return fail(e, "mount", m->target);
}

int mount_filesystems(const struct host_paths *hp, struct err *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(mounts); i++)
		if (mount_one(&mounts[i], hp->sys, e) == -1)
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

_Static_assert(ARRAY_SIZE(devices) == HOST_DEVICES, "rootfs.h's count");

/* Is ST the character device D should be? Not a symlink, nor a file or
 * another device put in its place (CVE-2025-31133). */
static int is_device(const struct stat *st, const struct device *d)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == d->major &&
	       minor(st->st_rdev) == d->minor;
}

/*
 * In a user namespace mknod(2) fails: it needs CAP_MKNOD in the initial one.
 * So, like rootless Podman, we bind-mount the host's nodes onto empty files
 * — the parent's copy of each (FD), or, rootless, the node itself after
 * checking that it really is the device it should be.
 */
static int bind_device(const struct device *d, int fd, struct err *e)
{
	const char *host = d->path + 3; /* "dev/null" -> "/null" */
	char src[32];
	struct stat st;
	int file;

	/* allow-snprintf: our names fit */
	snprintf(src, sizeof(src), "/dev%s", host);
	if (fd == -1 && lstat(src, &st) == -1)
		return fail(e, "lstat", src);
	if (fd == -1 && !is_device(&st, d))
		return fail_errno(e, ENODEV, "bind", src);
	file = open(d->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (file == -1)
		return fail(e, "open", d->path);
	close(file);
	if (fd != -1) {
		trace("move_mount(%s copy, /%s)", src, d->path);
		if (sys_move_mount(fd, AT_FDCWD, d->path) == -1)
			return fail(e, "move_mount", d->path);
		return 0;
	}
	trace("mount(%s, /%s, MS_BIND)", src, d->path);
	if (mount(src, d->path, NULL, MS_BIND, NULL) == -1)
		return fail(e, "mount MS_BIND", d->path);
	return 0;
}

int make_devices(const struct host_paths *hp, struct err *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(devices); i++)
		if (bind_device(&devices[i], hp->dev[i], e) == -1)
			return -1;
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
		if (symlink(dev_links[i][0], dev_links[i][1]) == -1)
			return fail(e, "symlink", dev_links[i][1]);
	return 0;
}

/* The parent's copy of each device node, checked like the nodes it is a
 * copy of. */
static int take_devices(struct host_paths *hp, struct err *e)
{
	char src[32];
	struct stat st;

	for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
		/* allow-snprintf: our names fit */
		snprintf(src, sizeof(src), "/%s", devices[i].path);
		trace("open_tree(%s, OPEN_TREE_CLONE)", src);
		hp->dev[i] = sys_open_tree(AT_FDCWD, src,
					   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
					       AT_SYMLINK_NOFOLLOW);
		if (hp->dev[i] == -1)
			return fail(e, "open_tree", src);
		if (fstat(hp->dev[i], &st) == -1)
			return fail(e, "fstat", src);
		if (!is_device(&st, &devices[i]))
			return fail_errno(e, ENODEV, "bind", src);
	}
	return 0;
}

/*
 * From step06 on the child is root of a new user namespace. Host root keeps
 * uid 0 there, but holds capabilities only over files whose owner and group
 * the namespace maps (user_namespaces(7), "Interaction of user namespaces
 * and other types of namespaces"; capable_wrt_inode_uidgid()): a rootfs
 * under a home directory of mode 0700 or 0750 owned by its user is out of
 * its reach. So the parent, still privileged, takes what the child needs
 * from the host's file system: open_tree(2) with OPEN_TREE_CLONE makes a
 * detached copy of a mount (Linux 5.2), held by a descriptor the child
 * inherits and attaches in its own namespace. A bind mount of
 * /proc/self/fd/N would not do: that descriptor's mount is in our
 * namespace, and mount(2) refuses (EINVAL) a source from another one.
 */
int take_host_paths(const char *rootfs, int want_sys, struct host_paths *hp,
		    struct err *e)
{
	trace("open_tree(%s, OPEN_TREE_CLONE | AT_RECURSIVE)", rootfs);
	hp->rootfs =
	    sys_open_tree(AT_FDCWD, rootfs,
			  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (hp->rootfs == -1)
		return errno == EPERM || errno == ENOSYS
			   ? 0
			   : fail(e, "open_tree", rootfs);
	if (take_devices(hp, e) == -1)
		return -1;
	if (!want_sys)
		return 0;
	trace("open_tree(/sys, OPEN_TREE_CLONE | AT_RECURSIVE)");
	hp->sys =
	    sys_open_tree(AT_FDCWD, "/sys",
			  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (hp->sys == -1)
		return fail(e, "open_tree", "/sys");
	return 0;
}

void release_host_paths(struct host_paths *hp)
{
	int *fds[] = {&hp->rootfs, &hp->sys};

	for (size_t i = 0; i < HOST_DEVICES; i++)
		if (hp->dev[i] != -1)
			close(hp->dev[i]);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] != -1)
			close(*fds[i]);
	*hp = (struct host_paths)HOST_PATHS_NONE;
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
