/*
 * seccomp.h — the system-call filter of step09: what Docker's default
 * seccomp profile refuses, as a classic BPF program written by hand.
 *
 * The kernel runs the program on every system call the container makes
 * and returns what it says: go on, or fail with an errno. Installed after
 * no_new_privs and before exec, it is inherited by every process inside and
 * can never be removed.
 *
 * Functions that can fail return 0, or -1 with *e filled (err.h); none
 * prints but seccomp_print(), which is -v's trace.
 *
 * Read: seccomp(2), the kernel's Documentation/userspace-api/seccomp_filter.rst
 * and Documentation/networking/filter.rst (classic BPF).
 */
#ifndef SECCOMP_H
#define SECCOMP_H

#include <linux/filter.h>

#include "err.h"

/* --seccomp=PROFILE, as Docker's --security-opt seccomp=PROFILE. */
enum seccomp_profile {
	PROFILE_DEFAULT,    /* Docker's default denials (seccomp.c) */
	PROFILE_UNCONFINED, /* no filter at all */
};

/* "default" or "unconfined" into *PROFILE; anything else: -1, EINVAL. */
int seccomp_parse(const char *arg, enum seccomp_profile *profile);

/* The name seccomp_parse() reads: for the state record and messages. */
const char *seccomp_name(enum seccomp_profile profile);

/* The program PROFILE installs, in *PROG (static storage, built once);
 * unconfined: len 0. */
int seccomp_program(enum seccomp_profile profile, struct sock_fprog *prog,
		    struct err *e);

/* -v: trace() the program, one line per instruction, with what it checks. */
void seccomp_print(const struct sock_fprog *prog);

/* The raw struct sock_filter array, as the kernel receives it, to FD: what
 * a test runs through its own BPF interpreter (--seccomp-dump). */
int seccomp_dump(const struct sock_fprog *prog, int fd, struct err *e);

/* Install PROG on this thread (len 0: nothing). Needs no_new_privs or
 * CAP_SYS_ADMIN in our user namespace. */
int seccomp_install(const struct sock_fprog *prog, struct err *e);

#endif
