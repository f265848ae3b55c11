/*
 * tar.h — a small reader of tar archives (ustar with pax or GNU long
 * names: what `docker export` and tar(1) write) that extracts into a
 * directory and refuses anything that would reach outside it.
 */
#ifndef TAR_H
#define TAR_H

#include <stddef.h>

#include "err.h"

/* Where the archive's bytes come from: READ fills BUF with exactly LEN
 * bytes and returns 0, 1 at the end of the input when nothing was read,
 * or -1 (E filled). ROOM, unless NULL, is asked before each entry is made
 * (BYTES 0) and before each chunk of a file's data is written, FD being
 * where it goes: -1 (E filled) stops the extraction. */
struct tar_input {
	int (*read)(void *ctx, void *buf, size_t len, struct err *e);
	void *ctx;
	int (*room)(int fd, const char *name, unsigned long long bytes,
		    struct err *e);
};

/* Extract IN into the directory ROOTFD. With OWNERS the entries get the
 * archive's uid and gid (as root); without, they stay ours (rootless). */
int tar_extract(struct tar_input *in, int rootfd, int owners, struct err *e);

#endif
