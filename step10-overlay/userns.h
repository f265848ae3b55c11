/*
 * userns.h — the user namespace of step06: the uid and gid maps the parent
 * writes for the child, and the child becoming root inside.
 *
 * A user namespace maps ids: uid 0 inside can be uid 1000 — or 100000 —
 * outside. Its first process holds every capability, but only over the
 * namespace and what it owns (user_namespaces(7)).
 *
 * Every function returns 0, or -1 with E filled; none prints or exits.
 */
#ifndef USERNS_H
#define USERNS_H

#include <sys/types.h>

#include "err.h"

#define MAP_LINE_MAX 64 /* "INSIDE OUTSIDE COUNT": three 10-digit ids */

/* --uid-map/--gid-map INSIDE:OUTSIDE:COUNT into the line the kernel reads,
 * "INSIDE OUTSIDE COUNT"; OPT names the option in E. */
int parse_map(const char *opt, const char *arg, char out[MAP_LINE_MAX],
	      struct err *e);

/* The map when none is given: rootless, our own ID becomes 0 ("0 ID 1");
 * with root, container ids 0-65535 are host ids 100000-165535. */
void default_map(char out[MAP_LINE_MAX], unsigned id, int rootless);

/* Write CHILD's uid_map, "deny" to its setgroups when ROOTLESS, then its
 * gid_map, in the order the kernel requires. */
int write_maps(pid_t child, const char *uid_map, const char *gid_map,
	       int rootless, struct err *e);

/* In the child: become uid and gid 0 of the new user namespace, dropping
 * the host's supplementary groups unless ROOTLESS (then they are denied). */
int become_root(int rootless, struct err *e);

/* What stops user namespaces on this host and the sysctl that lifts it, or
 * what a user without root may map; NULL when nothing is known. */
const char *userns_hint(void);

#endif
