/*
 * state.c — the record of a named container (--name NAME): what `docker
 * ps` lists and `docker inspect --format '{{.State.Pid}}'` reads, so that
 * `set_ns --name NAME` finds the container's host PID. Format: HACKING.md.
 * The runtime writes records; set_ns reads them, with the same code.
 * Every function returns 0, or -1 with E filled (proc_starttime: errno).
 */
#ifndef STATE_H
#define STATE_H

#include <limits.h>
#include <sys/types.h>

#include "err.h"

/* What a record says. A record with runtime= lines only is a reservation:
 * its container is starting (pid == 0). */
struct record {
	pid_t pid;			      /* the container's PID 1 */
	unsigned long long starttime;	      /* its start time */
	pid_t runtime;			      /* the runtime that wrote it */
	unsigned long long runtime_starttime; /* its start time */
	char seccomp[16]; /* its filter: "default", "unconfined", "" */
};

/* A name: 1 to 64 bytes of [A-Za-z0-9_.-], not starting with '.'. 0, or
 * -1 with errno EINVAL. */
int state_name_valid(const char *name);

/* Field 22 of stat in PROCFD, a /proc/PID directory: the start time in
 * clock ticks after boot; 0 for a zombie, which has ended. 0, or -1 with
 * errno set. */
int proc_starttime(int procfd, unsigned long long *start);

/* Is the process R names (pid=, else runtime=) still the one it was? */
int record_live(const struct record *r);

/* Read NAME's record. ENOENT: there is none; EINVAL: it is not one. */
int state_read(const char *name, struct record *r, struct err *e);

/* Remove NAME's record (a stale one: whoever finds it may). */
int state_remove(const char *name, struct err *e);

/* Claim NAME: create DIR/NAME.state with O_EXCL, holding our own PID until
 * the container runs. A record left by a dead runtime is removed first.
 * EEXIST: a live container has the name. PATH receives the file's path. */
int state_reserve(const char *name, char path[PATH_MAX], struct err *e);

/* Fill the record once COMMAND runs: its host PID, start time, command,
 * and the name of its seccomp filter, SECCOMP (set_ns applies the same). */
int state_commit(const char *path, pid_t pid, char *const argv[],
		 const char *seccomp, struct err *e);

/* Write PID to FILE (--pidfile). */
int write_pidfile(const char *file, pid_t pid, struct err *e);

#endif
