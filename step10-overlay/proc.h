/*
 * proc.h — the child process of a runtime (step01): a stack for clone(2),
 * Docker's exit statuses, and waiting for it.
 */
#ifndef PROC_H
#define PROC_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Exit statuses of `docker run`, which every step follows. */
enum {
	EXIT_RUNTIME = 125,	/* the runtime failed before COMMAND ran */
	EXIT_CANNOT_EXEC = 126, /* COMMAND exists but cannot be executed */
	EXIT_NOT_FOUND = 127,	/* COMMAND was not found */
};

/* A stack of SIZE bytes for clone(2), with a guard page below it; returns
 * its *top*, or NULL with errno set. */
void *stack_alloc(size_t size);

/* Docker's exit status for COMMAND's execve(2) errno ERR: 126 or 127. */
int exec_status(int err);

/* Has the runtime, which holds the write end of the sync pipe while the
 * container runs, hung up the read end FD? */
int runtime_gone(int fd);

/* Wait for PID and turn its wait status into our exit status: its own,
 * or 128+N for signal N; -1 with E filled if waitpid(2) fails. */
int wait_child(pid_t pid, struct err *e);

/* Has PID died already? (waitid(2) WNOWAIT: it is not reaped.) */
int child_dead(pid_t pid);

#endif
