/*
 * store.h — where step10 keeps what outlives a container: kept layers
 * (layers/NAME), the image cache (images/SHA256) and, on kernels without
 * idmapped mounts, chowned copies of the lower layers (idmap/KEY).
 * Root: /var/lib/nsworkshop; without root: $XDG_DATA_HOME/nsworkshop
 * (~/.local/share/nsworkshop when it is unset). Nothing here is a record:
 * no sweep of stale containers removes it.
 */
#ifndef STORE_H
#define STORE_H

#include <limits.h>
#include <signal.h>

#include "err.h"

/* The store's top directory: /var/lib/nsworkshop as root; without root
 * $XDG_DATA_HOME/nsworkshop, or ~/.local/share/nsworkshop. Nothing made. */
int store_where(int rootless, char path[PATH_MAX], struct err *e);
/* Open (creating it) the store's top directory; PATH receives its path.
 * ROOTLESS: the caller is not root on the host (it may be root of a user
 * namespace, as the rootless container is when it mounts its layers). */
int store_open(int rootless, char path[PATH_MAX], struct err *e);
/* Open DIRFD/NAME, a directory of the store, creating it when CREATE. */
int store_subdir(int dirfd, const char *name, int create, struct err *e);
/* Open TOP/NAME, a directory where .tmp-PID copies and unpacks are made
 * (images, idmap), creating it, and remove the .tmp-PID directories whose
 * makers died (SIGKILL mid-copy): every start that uses it sweeps, not
 * only the next one that copies. */
int store_workdir(int top, const char *name, struct err *e);
/* Make DIRFD/.tmp-PID, locked for as long as its descriptor is open; NAME
 * receives its name. */
int store_tmpdir(int dirfd, char name[32], struct err *e);
/* Publish DIRFD/TMP as DIRFD/NAME with rename(2). If NAME appeared in the
 * meantime (another start made it too), TMP is removed: theirs is as good. */
int store_publish(int dirfd, const char *tmp, const char *name, struct err *e);
/* rm -r DIRFD/NAME: never follows a link, never leaves the filesystem. */
int store_remove(int dirfd, const char *name, struct err *e);
/* Read the small regular file DIRFD/NAME into BUF (NUL-terminated). */
int store_read(int dirfd, const char *name, char *buf, size_t size,
	       struct err *e);
/* Write DIRFD/NAME: a temporary file, then rename(2). */
int store_write(int dirfd, const char *name, const char *text, struct err *e);

/* A long write into the store (an image's unpack, a chowned copy): it
 * asks store_room() before each entry and each chunk of data. */
struct store_guard {
	struct sigaction old_int, old_term; /* given back by store_unguard */
};
/* Until store_unguard(), SIGINT and SIGTERM only take note: the next
 * store_room() fails, and the caller removes its .tmp directory. */
int store_guard(struct store_guard *g, struct err *e);
/* Give the handlers back. RC is the write's result: when it is 0 but a
 * signal came after the last store_room(), -1 (E filled) all the same. */
int store_unguard(const struct store_guard *g, int rc, struct err *e);
/* May BYTES more of NAME (and one more inode) go into FD's filesystem?
 * -1 (E filled) when they would leave it less than 10% of its space or of its
 * inodes free, or when SIGINT or SIGTERM came. */
int store_room(int fd, const char *name, unsigned long long bytes,
	       struct err *e);

#endif
