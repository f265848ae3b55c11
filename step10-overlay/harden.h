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

/* --init's PID 1, which never execs: permitted, effective and inheritable
 * capabilities cut to the bounding set, COMMAND's. */
int harden_init(struct err *e);

/* Mark every descriptor above 2 close-on-exec, whoever opened it. */
int harden_fds(struct err *e);

/* What a running process may do, as /proc/PID/status says (set_ns). The
 * groups are numbered in the user namespace of whoever opened the file. */
struct privileges {
	unsigned long long inh, prm, eff, bnd, amb; /* capability sets */
	int no_new_privs;			    /* NoNewPrivs: 0 or 1 */
	int seccomp; /* Seccomp: 0 none, 1 strict, 2 filter */
	int ngroups; /* supplementary groups */
	unsigned groups[256];
};

/* Read the privileges of the process whose /proc/PID directory is PROCFD. */
int privileges_of(int procfd, struct privileges *p, struct err *e);

/* Take P as ours, as runc exec gives the joined process the container's:
 * its groups, bounding set, permitted, effective and inheritable sets, no
 * ambient capabilities, and no_new_privs if P has it. */
int adopt_privileges(const struct privileges *p, struct err *e);

#endif
