/*
 * state.c — the record of a named container (--name NAME): what `docker
 * ps` lists and `docker inspect --format '{{.State.Pid}}'` reads, so that
 * `set_ns --name NAME` finds the container's host PID. Format: HACKING.md.
 * Every function returns 0, or -1 with errno set.
 */
#ifndef STATE_H
#define STATE_H

#include <limits.h>
#include <sys/types.h>

/* A name: 1 to 64 bytes of [A-Za-z0-9_.-], not starting with '.'. */
int state_name_valid(const char *name);

/* Claim NAME: create DIR/NAME.state with O_EXCL, holding our own PID until
 * the container runs. A record left by a dead runtime is removed first.
 * EEXIST: a live container has the name. PATH receives the file's path. */
int state_reserve(const char *name, char path[PATH_MAX]);

/* Fill the record once COMMAND runs: its host PID, start time, command. */
int state_commit(const char *path, pid_t pid, char *const argv[]);

/* Write PID to FILE (--pidfile). */
int write_pidfile(const char *file, pid_t pid);

#endif
