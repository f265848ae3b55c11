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

/* OUT receives the path of LAYER's copy for these maps. */
int idcopy_prepare(const char *layer, const char *uid_map, const char *gid_map,
		   char out[PATH_MAX], struct err *e);

#endif
