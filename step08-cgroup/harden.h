/*
 * harden.c — what a container engine does on top of the namespaces, the way
 * Docker's defaults do: fewer capabilities, no privilege gained by exec,
 * sensitive /proc files masked, /proc/sys read-only, and no descriptor of
 * the runtime left open. Every function returns 0, or -1 with E filled.
 */
#ifndef HARDEN_H
#define HARDEN_H

#include "err.h"

/* Mask and make read-only the /proc and /sys paths Docker does. Runs in
 * the rootfs before pivot_root, with /proc, /sys and /dev mounted. */
int harden_paths(struct err *e);

/* Keep only Docker's default capabilities in the bounding set, which
 * caps what COMMAND gets at exec, and set no_new_privs. */
int harden_privileges(struct err *e);

/* Mark every descriptor above 2 close-on-exec, whoever opened it. */
int harden_fds(struct err *e);

#endif
