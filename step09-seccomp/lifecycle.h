/*
 * lifecycle.h — what `docker run` does around a container (step07): the
 * record of --name and the --pidfile, --detach's supervisor, and the exec
 * report that tells the runtime whether COMMAND started.
 *
 * Every function returns 0 (or what it documents), or -1 with E filled.
 */
#ifndef LIFECYCLE_H
#define LIFECYCLE_H

#include <limits.h>
#include <sys/types.h>

#include "err.h"

/*
 * --detach, like `docker run -d`: fork a supervisor in a new session, which
 * starts the container, reports its host PID on a pipe and stays behind to
 * wait for it and clean up. The caller prints the PID and returns 0 — or,
 * if the container never started, the supervisor's status. Returns 0 in the
 * supervisor (*REPORT_FD set), 1 in the caller (*STATUS set).
 */
int detach(int *report_fd, int *status, struct err *e);

/* Claim NAME (if set) into its record file STATE, and check *PIDFILE (if
 * set), while a failure costs nothing; on failure what is not ours to
 * remove is forgotten (STATE "", *PIDFILE NULL). */
int claim(const char *name, char state[PATH_MAX], const char **pidfile,
	  struct err *e);

/* Wait for the exec report on FD: 1 when COMMAND runs; 0 when it did not
 * and the child said why; -1 when exec failed, E says why. */
int wait_exec(int fd, const char *command, struct err *e);

/* COMMAND runs as PID under the filter SECCOMP ("default",
 * "unconfined"): fill the record STATE and write PIDFILE; with
 * --detach (REPORT_FD >= 0), tell the caller and let go of its stdin,
 * stdout and stderr. E: the first failure; the others are still tried. */
int container_started(const char *state, const char *pidfile, pid_t pid,
		      char *const argv[], const char *seccomp, int report_fd,
		      struct err *e);

/* Remove the record STATE and PIDFILE (either may be ""/NULL). */
int release(const char *state, const char *pidfile, struct err *e);

#endif
