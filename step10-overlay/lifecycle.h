/*
 * lifecycle.h — what `docker run` does around a container (step07): the
 * record of --name and the --pidfile, --detach's supervisor, the exec
 * report that tells the runtime whether COMMAND started, and COMMAND's
 * environment.
 *
 * Every function returns 0 (or what it documents), or -1 with E filled.
 */
#ifndef LIFECYCLE_H
#define LIFECYCLE_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "err.h"
#include "state.h"

/*
 * --detach, like `docker run -d`: fork a supervisor in a new session, which
 * starts the container, reports its host PID on a pipe and stays behind to
 * wait for it and clean up. The caller prints the PID and returns 0 — or,
 * if the container never started, the supervisor's status. Returns 0 in the
 * supervisor (*REPORT_FD set), 1 in the caller (*STATUS set). The
 * supervisor keeps none of the caller's descriptors above 2 but KEEP (-1:
 * none).
 */
int detach(int *report_fd, int *status, int keep, struct err *e);

/* Claim NAME (if set) in S, and check PIDFILE (if set) into PF, while a
 * failure costs nothing. Then a DETACHED supervisor leaves the caller's
 * working directory. */
int claim(const char *name, struct state *s, const char *pidfile,
	  struct pidfile *pf, bool detached, struct err *e);

/* Wait for the exec report on FD: 1 when COMMAND runs; 0 when it did not
 * and the child said why; -1 when exec failed, E says why. */
int wait_exec(int fd, const char *command, struct err *e);

/* COMMAND runs as PID, with ARGV and ENVP: fill the record of S and
 * write PF; with --detach (REPORT_FD >= 0), tell the caller and let go of
 * its stdin, stdout and stderr. E: the first failure; the others are still
 * tried. */
int container_started(struct state *s, struct pidfile *pf, pid_t pid,
		      char *const argv[], char *const envp[], int report_fd,
		      struct err *e);

/* Remove our record and pidfile, each only if it is still ours. */
int release(struct state *s, struct pidfile *pf, struct err *e);

/* COMMAND's environment, as docker run makes it: PATH, HOSTNAME=HOSTNAME,
 * HOME=/root and, with TTY, TERM=xterm; then each of the N -e ARGS,
 * KEY=VALUE or KEY for the caller's value (none when the caller has none);
 * a later KEY replaces an earlier one. NULL-ended, into *ENV. */
int env_build(const char *hostname, bool tty, char *const args[], size_t n,
	      char ***env, struct err *e);

/* Free an environment env_build() made (NULL: nothing). */
void env_free(char **env);

/* Overwrite the strings of ENV, the environment execve(2) gave us, where
 * /proc/PID/environ shows them. */
void env_scrub(char **env);

#endif
