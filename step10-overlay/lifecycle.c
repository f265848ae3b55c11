/*
 * lifecycle.c — --name, --pidfile, --detach, the exec report and COMMAND's
 * environment (see lifecycle.h).
 */
#include "lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "state.h"
#include "syscalls.h"

/*
 * A daemon keeps nothing of its caller (daemon(7)): a descriptor it holds
 * keeps the caller's pipe open — `( step07 -d ... 7>&1 ) | cat` would
 * wait for the container — and its working directory keeps a file system
 * busy. Close every descriptor above 2 but FD and KEEP (-1: none).
 */
static int close_inherited(int fd, int keep)
{
	int lo = fd < keep ? fd : keep, hi = fd < keep ? keep : fd;

	if (lo < 3) /* one of them is -1 (or 0-2): only HI to keep */
		lo = hi;
	if ((lo > 3 && sys_close_range(3, (unsigned)lo - 1, 0) == -1) ||
	    (hi > lo + 1 &&
	     sys_close_range((unsigned)lo + 1, (unsigned)hi - 1, 0) == -1) ||
	    sys_close_range((unsigned)hi + 1, ~0U, 0) == -1)
		return -1;
	return 0;
}

int detach(int *report_fd, int *status, int keep, struct err *e)
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
		if (close_inherited(fds[1], keep) == -1)
			return fail(e, "close_range", "3, ~0U");
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

int claim(const char *name, struct state *s, const char *pidfile,
	  struct pidfile *pf, bool detached, struct err *e)
{
	if (name &&
	    (state_open(s, true, e) == -1 || state_reserve(s, name, e) == -1))
		return -1;
	if (pidfile && pidfile_check(pf, pidfile, e) == -1)
		return -1;
	/* the pidfile's directory is held: a relative FILE stays the
	 * caller's */
	if (detached && chdir("/") == -1)
		return fail(e, "chdir", "/");
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

int container_started(struct state *s, struct pidfile *pf, pid_t pid,
		      char *const argv[], char *const envp[], int report_fd,
		      struct err *e)
{
	int rc = 0;

	if (s->ino && state_commit(s, pid, argv, envp, e) == -1)
		rc = -1;
	if (pidfile_write(pf, pid, e) == -1)
		rc = -1;
	if (report_fd >= 0 && report_pid(pid, report_fd, e) == -1)
		rc = -1;
	return rc;
}

int release(struct state *s, struct pidfile *pf, struct err *e)
{
	struct err later;
	int rc;

	rc = state_release(s, e);
	if (pidfile_release(pf, rc == -1 ? &later : e) == -1)
		rc = -1;
	return rc;
}

/* Set KEY=VALUE (ARG, or KEY and the caller's value) in ENV, of *N
 * entries: a KEY already there is replaced. */
static int env_set(char **env, size_t *n, const char *arg, struct err *e)
{
	const char *eq = strchr(arg, '='), *value = eq ? NULL : getenv(arg);
	size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
	char *kv = NULL;
	size_t i = 0;

	if (klen == 0) {
		fail_errno(e, 0, "-e", arg);
		e->hint = "KEY=VALUE or KEY, with a KEY";
		return -1;
	}
	if (!eq && !value)
		return 0; /* as docker run -e KEY: unset in the caller, unset */
	if (eq ? !(kv = strdup(arg)) : asprintf(&kv, "%s=%s", arg, value) == -1)
		return fail(e, "-e", arg);
	while (i < *n && strncmp(env[i], kv, klen + 1) != 0)
		i++;
	if (i < *n)
		free(env[i]);
	env[i] = kv;
	*n += i == *n;
	return 0;
}

int env_build(const char *hostname, bool tty, char *const args[], size_t n,
	      char ***env, struct err *e)
{
	size_t count = 0;
	char **list;

	list = calloc(n + 5, sizeof(*list));
	if (!list ||
	    !(list[count++] = strdup("PATH=/usr/local/sbin:/usr/"
				     "local/bin:/usr/sbin:/usr/bin:"
				     "/sbin:/bin")) ||
	    asprintf(&list[count++], "HOSTNAME=%s", hostname) == -1 ||
	    !(list[count++] = strdup("HOME=/root")) ||
	    (tty && !(list[count++] = strdup("TERM=xterm")))) {
		fail(e, "calloc", "the environment");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (env_set(list, &count, args[i], e) == -1)
			goto out;
	*env = list;
	return 0;
out:
	env_free(list);
	return -1;
}

void env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

void env_scrub(char **env)
{
	for (; env && *env; env++)
		memset(*env, 0, strlen(*env));
}
