/*
 * lifecycle.c — --name, --pidfile, --detach and the exec report (see
 * lifecycle.h).
 */
#include "lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "state.h"

int detach(int *report_fd, int *status, struct err *e)
{
	int fds[2], wstatus;
	pid_t sup, container;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return fail(e, "pipe2", "--detach");
	sup = fork();
	if (sup == -1)
		return fail(e, "fork", "--detach");
	if (sup == 0) {
		close(fds[0]);
		setsid();
		*report_fd = fds[1];
		return 0;
	}
	close(fds[1]);
	if (read(fds[0], &container, sizeof(container)) == sizeof(container)) {
		/* allow-print: like docker run -d, the caller prints the ID */
		printf("%d\n", (int)container);
		*status = 0;
		return 1;
	}
	waitpid(sup, &wstatus, 0);
	*status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : EXIT_RUNTIME;
	return 1;
}

int claim(const char *name, char state[PATH_MAX], const char **pidfile,
	  struct err *e)
{
	if (name && state_reserve(name, state, e) == -1) {
		state[0] = '\0'; /* not ours to remove */
		if (e->errnum == EEXIST)
			e->hint = "a running container has this name";
		return -1;
	}
	if (*pidfile && write_pidfile(*pidfile, 0, e) == -1) {
		*pidfile = NULL; /* not ours to remove */
		e->call = "--pidfile";
		return -1;
	}
	return 0;
}

int wait_exec(int fd, const char *command, struct err *e)
{
	ssize_t n;
	int err;

	do
		n = read(fd, &err, sizeof(err));
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n != sizeof(err))
		return 1;
	if (err)
		return fail_errno(e, err, "execvp", command);
	return 0;
}

/* --detach: the caller learns PID on REPORT_FD and lets go of us; we let
 * go of its terminal or pipes. */
static int report_pid(pid_t pid, int report_fd, struct err *e)
{
	int null, rc = 0;

	if (write_all(report_fd, &pid, sizeof(pid)) == -1)
		rc = fail(e, "write", "--detach report");
	close(report_fd);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null == -1 || dup2(null, 0) == -1 || dup2(null, 1) == -1 ||
	    dup2(null, 2) == -1)
		rc = fail(e, "dup2", "/dev/null");
	if (null >= 0)
		close(null);
	return rc;
}

int container_started(const char *state, const char *pidfile, pid_t pid,
		      char *const argv[], const char *seccomp, int report_fd,
		      struct err *e)
{
	int rc = 0;

	if (state[0] && state_commit(state, pid, argv, seccomp, e) == -1)
		rc = -1;
	if (pidfile && write_pidfile(pidfile, pid, e) == -1)
		rc = -1;
	if (report_fd >= 0 && report_pid(pid, report_fd, e) == -1)
		rc = -1;
	return rc;
}

int release(const char *state, const char *pidfile, struct err *e)
{
	int rc = 0;

	if (state[0] && unlink(state) == -1 && errno != ENOENT)
		rc = fail(e, "unlink", state);
	if (pidfile && unlink(pidfile) == -1 && errno != ENOENT && rc == 0)
		rc = fail(e, "unlink", pidfile);
	return rc;
}
