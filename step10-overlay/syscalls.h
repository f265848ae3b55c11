/*
 * The kernel interfaces glibc does not give us: raw system calls, each
 * returning -1 with errno set like a libc wrapper, and the uapi constants
 * an older libc lacks. A step adds the ones it first needs.
 */
#ifndef SYSCALLS_H
#define SYSCALLS_H

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifndef CLONE_NEWCGROUP /* linux/sched.h, Linux 4.6 */
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME /* linux/sched.h, Linux 5.6 */
#define CLONE_NEWTIME 0x00000080
#endif

#ifndef AT_RECURSIVE /* linux/fcntl.h, Linux 5.2 */
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_RDONLY /* linux/mount.h, Linux 5.12; glibc 2.36 has it */
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV  0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
struct mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#endif

/* mount_setattr(2), Linux 5.12 (glibc 2.36 wraps it): set ATTR on the mount
 * at PATH and, with AT_RECURSIVE, on every mount below it, in one call.
 * ENOSYS on an older kernel. */
static inline int sys_mount_setattr(int dirfd, const char *path, unsigned flags,
				    struct mount_attr *attr)
{
#ifdef SYS_mount_setattr
	return (int)syscall(SYS_mount_setattr, dirfd, path, flags, attr,
			    sizeof(*attr));
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* pivot_root(2), which glibc 2.36 does not wrap: make NEW_ROOT the root of
 * this mount namespace and move the old root to PUT_OLD. */
static inline int sys_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}

/* The new mount API, Linux 5.2 (step06): a mount held by a descriptor,
 * copied while we may, attached where we want later. */
#ifndef OPEN_TREE_CLONE /* linux/mount.h, Linux 5.2 */
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC /* linux/mount.h */
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH /* linux/mount.h */
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

/* open_tree(2): with OPEN_TREE_CLONE, a detached copy of the mount at
 * DFD/PATH (with AT_RECURSIVE, of every mount below it too), in no mount
 * namespace yet, held by the descriptor it returns. */
static inline int sys_open_tree(int dfd, const char *path, unsigned flags)
{
#ifdef SYS_open_tree
	return (int)syscall(SYS_open_tree, dfd, path, flags);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* move_mount(2): attach the mount FROM (a descriptor, with
 * MOVE_MOUNT_F_EMPTY_PATH) at TO_DFD/TO_PATH, in our mount namespace. */
static inline int sys_move_mount(int from, int to_dfd, const char *to_path)
{
#ifdef SYS_move_mount
	return (int)syscall(SYS_move_mount, from, "", to_dfd, to_path,
			    MOVE_MOUNT_F_EMPTY_PATH);
#else
	errno = ENOSYS;
	return -1;
#endif
}

#ifndef CLOSE_RANGE_CLOEXEC /* linux/close_range.h, Linux 5.11 */
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/*
 * close_range(2), Linux 5.9 (glibc 2.34 wraps it): close the descriptors
 * FIRST to LAST or, with CLOSE_RANGE_CLOEXEC (5.11), mark them
 * close-on-exec. Before 5.9 (ENOSYS), or 5.11 for the flag (EINVAL), we do
 * the same with close(2) or fcntl(2), up to fd 1023.
 */
static inline int sys_close_range(unsigned first, unsigned last, unsigned flags)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, first, last, flags) == 0)
		return 0;
#else
	errno = ENOSYS;
#endif
	if (errno != ENOSYS &&
	    (errno != EINVAL || !(flags & CLOSE_RANGE_CLOEXEC)))
		return -1;
	for (unsigned fd = first; fd <= last && fd < 1024; fd++) {
		int fl = fcntl((int)fd, F_GETFD);

		if (fl == -1)
			continue;
		if (!(flags & CLOSE_RANGE_CLOEXEC))
			close((int)fd);
		else if (fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC) == -1)
			return -1;
	}
	return 0;
}

#ifndef TIOCGPTPEER /* asm-generic/ioctls.h, Linux 4.13 */
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* capget(2) and capset(2), which glibc does not wrap (libcap does): read
 * and set the permitted, effective and inheritable capabilities of this
 * thread; version 3 takes two 32-bit words per set (linux/capability.h). */
static inline int sys_capget(struct __user_cap_header_struct *hdr,
			     struct __user_cap_data_struct data[2])
{
	return (int)syscall(SYS_capget, hdr, data);
}

static inline int sys_capset(struct __user_cap_header_struct *hdr,
			     const struct __user_cap_data_struct data[2])
{
	return (int)syscall(SYS_capset, hdr, data);
}

/* seccomp(2), Linux 3.17, which glibc does not wrap: with
 * SECCOMP_SET_MODE_FILTER, run PROG, a classic BPF program, on every system
 * call this thread and its children make from now on. */
struct sock_fprog;
static inline int sys_seccomp(unsigned op, unsigned flags,
			      const struct sock_fprog *prog)
{
	return (int)syscall(SYS_seccomp, op, flags, prog);
}

/* System calls newer than glibc 2.36's headers (Linux 6.1), which the
 * filter names. Since Linux 5.1 a new call has one number on every
 * architecture (uprobe aside: x86-64's syscall_64.tbl only). */
#ifndef __NR_lsm_get_self_attr /* Linux 6.8 */
#define __NR_lsm_get_self_attr 459
#define __NR_lsm_set_self_attr 460
#define __NR_lsm_list_modules  461
#endif
#ifndef __NR_removexattrat /* Linux 6.13 */
#define __NR_removexattrat 466
#endif
#if defined(__x86_64__) && !defined(__NR_uprobe) /* x86-64, in Linux 6.18 */
#define __NR_uprobe 336
#endif

/* The rest of the new mount API, Linux 5.2 (glibc 2.36 wraps it): a
 * filesystem made in steps, attached nowhere until move_mount(2) puts it
 * somewhere; its descriptor always names its root, whatever is mounted
 * where later. ENOSYS on an older kernel. */
#ifndef FSOPEN_CLOEXEC /* linux/mount.h, Linux 5.2 */
#define FSOPEN_CLOEXEC	    0x00000001
#define FSMOUNT_CLOEXEC	    0x00000001
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#endif
#ifndef MOUNT_ATTR_IDMAP /* linux/mount.h, Linux 5.12 */
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

/* fsopen(2), fsconfig(2), fsmount(2): a new filesystem of type FSTYPE,
 * configured key by key, then made a mount. */
static inline int sys_fsopen(const char *fstype, unsigned flags)
{
#ifdef SYS_fsopen
	return (int)syscall(SYS_fsopen, fstype, flags);
#else
	errno = ENOSYS;
	return -1;
#endif
}

static inline int sys_fsconfig(int fd, unsigned cmd, const char *key,
			       const void *value, int aux)
{
#ifdef SYS_fsconfig
	return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
#else
	errno = ENOSYS;
	return -1;
#endif
}

static inline int sys_fsmount(int fd, unsigned flags, unsigned attr_flags)
{
#ifdef SYS_fsmount
	return (int)syscall(SYS_fsmount, fd, flags, attr_flags);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* openat2(2), Linux 5.6: RESOLVE_NO_SYMLINKS opens PATH only if no
 * component of it is a symlink, so a path realpath(3) resolved cannot be
 * sent elsewhere by a rename in between (ENOSYS: O_NOFOLLOW, which only
 * covers the last component). */
#ifndef RESOLVE_NO_SYMLINKS /* linux/openat2.h, Linux 5.6 */
#define RESOLVE_NO_SYMLINKS 0x04
#endif
static inline int sys_openat2_nofollow(const char *path, int flags)
{
#ifdef SYS_openat2
	struct {
		uint64_t flags, mode, resolve;
	} how = {(uint64_t)(flags | O_CLOEXEC), 0, RESOLVE_NO_SYMLINKS};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

	if (fd != -1 || errno != ENOSYS)
		return fd;
#endif
	return open(path, flags | O_NOFOLLOW | O_CLOEXEC);
}

#endif
