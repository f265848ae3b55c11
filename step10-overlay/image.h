/*
 * image.h — --image FILE.tar[.gz]: a root filesystem tarball (what `docker
 * export` writes), unpacked once into a content-addressed cache in the
 * store (images/SHA256/rootfs) and used as the lowest layer.
 */
#ifndef IMAGE_H
#define IMAGE_H

#include <limits.h>

#include "err.h"

/* Unpack FILE unless the cache has it; TREE receives the unpacked tree. */
int image_prepare(const char *file, int rootless, char tree[PATH_MAX],
		  struct err *e);

#endif
