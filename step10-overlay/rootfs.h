/*
 * rootfs.h — the container's root filesystem (step03): a private mount
 * table, the rootfs bind-mounted onto itself, /proc, /sys, /tmp and a small
 * /dev mounted in it, then the rootfs made read-only and pivot_root(2)
 * into it.
 *
 * Every function returns 0, or -1 with E filled; none prints or exits.
 * All but resolve_rootfs and note_mount_ns run in the child, in its new
 * mount namespace.
 */
#ifndef ROOTFS_H
#define ROOTFS_H

#include <limits.h>

#include "err.h"

/* The rootfs ARG (NULL: "rootfs" beside the binary) as an absolute path
 * without symlinks into OUT; it must be a directory. */
int resolve_rootfs(const char *arg, char out[PATH_MAX], struct err *e);

/* In the runtime, before clone(2): note our own mount namespace, which
 * enter_rootfs and pivot_into refuse to change (see rootfs.c). */
int note_mount_ns(struct err *e);

#define HOST_DEVICES 6 /* the host device nodes of Docker's default /dev */

/*
 * What the runtime takes from the host's file system for the child while it
 * still has its own privileges (step06): detached copies of mounts, each
 * held by a descriptor, -1 when not taken. HOST_PATHS_NONE: none yet.
 */
struct host_paths {
	int rootfs;	       /* the rootfs and every mount below it */
	int dev[HOST_DEVICES]; /* /dev/null, /dev/zero, ... (make_devices) */
	int sys;	       /* /sys, when sysfs cannot be mounted */
};
#define HOST_PATHS_NONE                                                        \
	{                                                                      \
		-1, {-1, -1, -1, -1, -1, -1}, -1                               \
	}

/* In the parent, before clone: take ROOTFS, the device nodes and, with
 * WANT_SYS, /sys into HP. Without the privilege (rootless) nothing is
 * taken and it returns 0: the child binds the paths itself. */
int take_host_paths(const char *rootfs, int want_sys, struct host_paths *hp,
		    struct err *e);

/* Close what HP holds (the parent, once the child has its copies). */
void release_host_paths(struct host_paths *hp);

/* Make `/` private, make the rootfs a mount point — HP's copy attached,
 * or ROOTFS bind-mounted onto itself — and chdir into it. */
int enter_rootfs(const char *rootfs, const struct host_paths *hp,
		 struct err *e);

/* Mount the container's filesystems below the current directory. */
int mount_filesystems(const struct host_paths *hp, struct err *e);

/* Make the device nodes and symlinks of Docker's default /dev. */
int make_devices(const struct host_paths *hp, struct err *e);

/* Remount the current directory (the rootfs) read-only, pivot_root(2)
 * into it and detach the old root. */
int pivot_into(struct err *e);

#endif
