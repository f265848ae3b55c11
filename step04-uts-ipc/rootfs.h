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

/* Make `/` private, bind-mount ROOTFS onto itself and chdir into it. */
int enter_rootfs(const char *rootfs, struct err *e);

/* Mount the container's filesystems below the current directory. */
int mount_filesystems(struct err *e);

/* Make the device nodes and symlinks of Docker's default /dev. */
int make_devices(struct err *e);

/* Remount the current directory (the rootfs) read-only, pivot_root(2)
 * into it and detach the old root. */
int pivot_into(struct err *e);

#endif
