/*
 * overlay.h — the container's / as an overlay: the image (the rootfs, or
 * an --image, and any --layer above it) stays read-only below, and the
 * container writes to an upper layer of its own: on a tmpfs that goes
 * with the container, or kept on disk with --name NAME --keep.
 */
#ifndef OVERLAY_H
#define OVERLAY_H

#include <limits.h>

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

/* Mount the overlay at LOWER[0]/merged, on a tmpfs over LOWER[0]: in a
 * mount namespace of our own whose propagation is private. */
int overlay_mount(struct overlay *o, struct err *e);

/* --rm-layer NAME: remove the kept layer NAME. */
int overlay_remove_layer(const char *name, int rootless, struct err *e);

#endif
