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

struct overlay {
	const char *lower[OVL_MAX_LOWER]; /* absolute paths, lowest first */
	int nlower;
	const char *keep;      /* --name NAME with --keep, else NULL */
	const char *uid_map;   /* the container's maps, "INSIDE OUTSIDE */
	const char *gid_map;   /* COUNT", to idmap the lower layers */
	int rootless;	       /* we are not root: the overlay is mounted in
			       * the container's user namespace */
	char merged[PATH_MAX]; /* out: where the overlay is mounted */
};

/* MERGED = LOWER[0]/merged, where the overlay will be: the container's
 * rootfs, known before the overlay is mounted. */
int overlay_path(struct overlay *o, struct err *e);

/* Mount the overlay at MERGED, on a tmpfs over LOWER[0], in the current
 * mount namespace (never the host's: it makes `/` private first). USERNS:
 * the container's user namespace, to idmap the lower layers (-1: none). */
int overlay_mount(struct overlay *o, int userns, struct err *e);

/* As root, overlay_mount in the mount namespace of CHILD, idmapped through
 * its user namespace, and come back. */
int overlay_mount_in(struct overlay *o, pid_t child, struct err *e);

/* --rm-layer NAME: remove the kept layer NAME. */
int overlay_remove_layer(const char *name, int rootless, struct err *e);

#endif
