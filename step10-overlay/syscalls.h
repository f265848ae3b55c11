/*
 * Raw system calls that glibc does not wrap (glibc 2.36 has no pivot_root;
 * the new mount API arrived in glibc 2.36, after Ubuntu 22.04's 2.35).
 * Each returns -1 with errno set, like a libc wrapper; where the kernel
 * lacks the call, ENOSYS.
 */
#ifndef SYSCALLS_H
#define SYSCALLS_H

#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Numbers and constants from linux/mount.h and the syscall tables (the
 * same on every architecture but alpha, include/uapi/asm-generic/
 * unistd.h), for headers older than the calls. */
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC 02000000 /* O_CLOEXEC */
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x00000001
#endif
#ifndef FSCONFIG_SET_STRING
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#endif
#ifndef MOUNT_ATTR_NOSUID
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV  0x00000004
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

/* mount_setattr(2)'s argument (linux/mount.h, MOUNT_ATTR_SIZE_VER0). */
struct nsw_mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

/* pivot_root(2): make NEW_ROOT the root of this mount namespace and move
 * the old root to PUT_OLD. */
static inline int sys_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}

/* open_tree(2) (Linux 5.2): with OPEN_TREE_CLONE, a copy of the mount at
 * PATH that is attached nowhere yet, as a file descriptor. */
static inline int sys_open_tree(int dirfd, const char *path, unsigned flags)
{
	return (int)syscall(SYS_open_tree, dirfd, path, flags);
}

/* move_mount(2) (Linux 5.2): attach such a mount at a path. */
static inline int sys_move_mount(int from_dirfd, const char *from_path,
				 int to_dirfd, const char *to_path,
				 unsigned flags)
{
	return (int)syscall(SYS_move_mount, from_dirfd, from_path, to_dirfd,
			    to_path, flags);
}

/* fsopen(2), fsconfig(2), fsmount(2) (Linux 5.2): a filesystem made in
 * steps, mounted nowhere until move_mount attaches it; its descriptor
 * always names its root, whatever is mounted where later. */
static inline int sys_fsopen(const char *fstype, unsigned flags)
{
	return (int)syscall(SYS_fsopen, fstype, flags);
}

static inline int sys_fsconfig(int fd, unsigned cmd, const char *key,
			       const void *value, int aux)
{
	return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

static inline int sys_fsmount(int fd, unsigned flags, unsigned attr_flags)
{
	return (int)syscall(SYS_fsmount, fd, flags, attr_flags);
}

/* mount_setattr(2) (Linux 5.12): change a mount's attributes; with
 * MOUNT_ATTR_IDMAP, show its files' owners through a user namespace. */
static inline int sys_mount_setattr(int dirfd, const char *path, unsigned flags,
				    struct nsw_mount_attr *attr)
{
	return (int)syscall(SYS_mount_setattr, dirfd, path, flags, attr,
			    sizeof(*attr));
}

#endif
