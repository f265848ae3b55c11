/*
 * Trees on the host that a test hands to a container, and their checksum:
 * what row 46 of docs/reliability.md ("no container changes the image")
 * compares before and after.
 */
#ifndef TREE_H
#define TREE_H

#include <sys/types.h>

/* A world-readable temporary directory holding a copy of STEPS_DIR/rootfs
 * as DIR/rootfs, owned by UID:GID (0:0 keeps root's), with a marker file
 * /.nsw-copy-<test PID> in it; returns DIR (free it, rm_rf it). Tests
 * that change a rootfs run against such a copy, never the repository's. */
char *tree_copy(uid_t uid, gid_t gid);
/* The marker's name inside the copy, "/.nsw-copy-<PID>". */
char *tree_marker(void);
/* A sha256 of DIR: every entry's type, mode, owner, size, mtime, name and
 * link target, and every regular file's content. */
char *tree_sum(const char *dir);
/* A shell fragment that exits 98 unless / is the copy (its marker is
 * there): put it, after guard("mnt"), before anything that changes /. */
char *tree_guard(void);

#endif
