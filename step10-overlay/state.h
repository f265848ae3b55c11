/*
 * state.c — the runtime's files on the host: the record of a named
 * container (--name NAME), what `docker ps` lists and `docker inspect
 * --format '{{.State.Pid}}'` reads, so that `set_ns --name NAME` finds the
 * container; and the --pidfile. Format and rules: HACKING.md, "Files of
 * the runtime state". The runtime writes records; set_ns reads them, with
 * the same code. Every function returns 0, or -1 with E filled
 * (proc_starttime, record_parse: errno); none prints.
 */
#ifndef STATE_H
#define STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* What a record says. Strings come unescaped, owned by the record. */
struct record {
	pid_t pid;				 /* the container's PID 1; 0: */
	unsigned long long starttime;		 /* a reservation, starting */
	pid_t runtime;				 /* the runtime that owns it */
	unsigned long long runtime_starttime;	 /* 0: absent (by hand) */
	char created[32];			 /* ISO-8601 UTC, or "" */
	unsigned long long pidns_dev, pidns_ino; /* whose PIDs these are */
	char **command;				 /* COMMAND's argv, or NULL */
	char **env; /* COMMAND's environment, KEY=VALUE, NULL-ended; or NULL */
	char seccomp[16]; /* its filter: "default", "unconfined", or "" */
};

/* The state directory, checked, and the record we hold in it. */
struct state {
	int dirfd;	     /* the directory, O_RDONLY; -1: none */
	char dir[PATH_MAX];  /* its path, for messages */
	char file[72];	     /* NAME.state, once reserved */
	dev_t dev;	     /* the file we published last; */
	ino_t ino;	     /* 0: none */
	const char *seccomp; /* the filter's name, for seccomp=, or NULL */
};

/* --pidfile FILE: its directory, held from the start, and our file. */
struct pidfile {
	int dirfd;		 /* FILE's directory, O_PATH; -1: none */
	char base[NAME_MAX + 1]; /* FILE's last component */
	const char *path;	 /* FILE as given, for messages */
	dev_t dev;		 /* the file we wrote; */
	ino_t ino;		 /* 0: none yet */
};

/* A name: 1 to 64 bytes of [A-Za-z0-9_.-], not starting with '.'. 0, or
 * -1 with errno EINVAL. */
int state_name_valid(const char *name);

/* Field 22 of stat in PROCFD, a /proc/PID directory: the start time in
 * clock ticks after boot; 0 for a zombie, which has ended. 0, or -1 with
 * errno set. */
int proc_starttime(int procfd, unsigned long long *start);

/* Open the state directory into S: a real directory owned by the
 * effective uid and writable by nobody else, made 0700 when missing if
 * MAKE. ENOENT: missing, and not MAKE. */
int state_open(struct state *s, bool make, struct err *e);

/* Read NAME's record (not through a link, without blocking, a regular
 * file only). ENOENT: there is none; otherwise a record that cannot be
 * one (a FIFO, a key twice, a line cut short) fills E with why. */
int state_read(const struct state *s, const char *name, struct record *r,
	       struct err *e);

/* Parse LEN bytes of TEXT into R (HACKING.md): 0, or -1 with EINVAL. */
int record_parse(const char *text, size_t len, struct record *r);
void record_free(struct record *r);

/* R's container (pid= and its starttime=) is the process running now. */
bool record_running(const struct record *r);

/* R's PIDs are numbers of another PID namespace than ours (pidns=): they
 * name other processes here, or none. */
bool record_foreign(const struct record *r);

/* R's runtime is gone: the record is stale, anyone may remove it. A
 * foreign record never is: we cannot tell. */
bool record_stale(const struct record *r);

/* Remove NAME's record if it is (still) stale. */
int state_remove_stale(const struct state *s, const char *name, struct err *e);

/* Claim NAME: publish, whole, a reservation that names this runtime. A
 * stale record in the way is removed. EEXIST: a live one has the name. */
int state_reserve(struct state *s, const char *name, struct err *e);

/* COMMAND runs as PID: replace the reservation with the whole record, its
 * command line ARGV and environment ENVP. */
int state_commit(struct state *s, pid_t pid, char *const argv[],
		 char *const envp[], struct err *e);

/* Remove our record if it is still ours; close the directory. */
int state_release(struct state *s, struct err *e);

/* --pidfile FILE, before anything starts: hold its directory; an existing
 * FILE must be a regular file (not a link, a FIFO, a device). */
int pidfile_check(struct pidfile *pf, const char *path, struct err *e);

/* Write PID to FILE: a temporary file of its directory renamed over it. */
int pidfile_write(struct pidfile *pf, pid_t pid, struct err *e);

/* Remove FILE if it is still the file we wrote; close its directory. */
int pidfile_release(struct pidfile *pf, struct err *e);

#endif
