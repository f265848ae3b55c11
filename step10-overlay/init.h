/*
 * init.c — what PID 1 owes the processes of its namespace: reap them, and
 * pass signals on. Used by --init (Docker's --init, tini) and by the
 * runtime itself, which forwards the signals it receives to the container.
 */
#ifndef INIT_H
#define INIT_H

#include <sys/types.h>

#include "err.h"

/* The signals a runtime passes on to its container. */
extern const int forwarded_signals[];

/* Forward every signal of forwarded_signals to *TARGET (read when the
 * signal arrives). With STOP_TIMEOUT > 0, SIGTERM, SIGINT and SIGQUIT
 * also start a timer that sends SIGKILL when it runs out: PID 1 ignores
 * every signal it has no handler for. Returns 0 or -1 with E filled. */
int forward_signals(volatile pid_t *target, unsigned stop_timeout,
		    struct err *e);

/* Restore default dispositions and an empty mask, for a process that is
 * about to exec COMMAND. */
void reset_signals(void);

/*
 * --init: we are PID 1. Fork; the child calls EXEC(ARGV), which only
 * returns on failure (its status is then the exit status); we forward
 * signals to it and reap every process that ends, orphans included, until
 * it has exited. REPORT_FD, the write end of the exec report, is closed
 * in init once the child has its copy. Returns its exit status, 128+N for
 * signal N, or -1 with E filled.
 */
int run_init(char *const argv[], int (*exec)(char *const argv[]), int report_fd,
	     struct err *e);

/* --stop-timeout SECONDS (0 to 86400, a day) into *OUT. */
int parse_stop_timeout(const char *arg, unsigned *out, struct err *e);

#endif
