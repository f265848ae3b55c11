/*
 * overlay.h — the container's / as an overlay: the image (the rootfs, or
 * an --image, and any --layer above it) stays read-only below, and the
 * container writes to an upper layer of its own: on a tmpfs that goes
 * with the container, or kept on disk with --name NAME --keep.
 */
#ifndef OVERLAY_H
#define OVERLAY_H

#include <limits.h>
#include <sys/types.h>

#include "err.h"

#define OVL_MAX_LOWER 16
/* Where the layers are put together, in the container's mount namespace. */
#define OVL_TOP "/tmp"

struct overlay {
	const char *lower[OVL_MAX_LOWER]; /* absolute paths, lowest first */
	int lower_fd[OVL_MAX_LOWER];	  /* each as it was checked (O_PATH),
					   * -1: not checked by identity */
	int nlower;
	const char *keep;      /* --name NAME with --keep, else NULL */
	const char *uid_map;   /* the container's maps, "INSIDE OUTSIDE */
	const char *gid_map;   /* COUNT", to idmap the lower layers */
	int rootless;	       /* we are not root: the overlay is mounted in
			       * the container's user namespace */
	char merged[PATH_MAX]; /* out: where the overlay is mounted */
};

/* MERGED = OVL_TOP/merged, where the overlay will be: the container's
 * rootfs, known before the overlay is mounted. */
int overlay_path(struct overlay *o, struct err *e);

/* Mount the overlay at MERGED, on a tmpfs on OVL_TOP, in the current
 * mount namespace (never the host's: it makes `/` private first). USERNS:
 * the container's user namespace, to idmap the lower layers (-1: none). */
int overlay_mount(struct overlay *o, int userns, struct err *e);

/* As root, overlay_mount in the mount namespace of CHILD, idmapped through
 * its user namespace, and come back. */
int overlay_mount_in(struct overlay *o, pid_t child, struct err *e);

/* Lock the kept layer NAME, made when CREATE: a descriptor to keep open
 * while a container runs on it, or -1 (EBUSY: one does). */
int overlay_lock(const char *name, int rootless, int create, struct err *e);

/* --rm-layer NAME: remove the kept layer NAME, unless one runs on it. */
int overlay_remove_layer(const char *name, int rootless, struct err *e);

#endif
