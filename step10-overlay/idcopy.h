/*
 * idcopy.h — where idmapped mounts are missing (before Linux 5.12, or a
 * filesystem that cannot be idmapped), a copy of a lower layer whose
 * owners are moved into the container's range, made once per layer and
 * map in the store (idmap/KEY/rootfs), as Docker's userns-remap does.
 */
#ifndef IDCOPY_H
#define IDCOPY_H

#include <limits.h>

#include "err.h"

/* OUT receives the path of the copy for these maps of the tree LAYER (a
 * descriptor of its directory: the tree checked, not what its path names
 * now); NAME for messages. */
int idcopy_prepare(int layer, const char *name, const char *uid_map,
		   const char *gid_map, char out[PATH_MAX], struct err *e);

#endif
