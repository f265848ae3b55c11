/*
 * err.h — how a program of this workshop says what went wrong.
 *
 * A helper that fails fills a struct err (what failed, on what, errno, a
 * hint) and returns -1; it never prints (a trace() line in -v mode aside)
 * and never exits. Only main() or the child's entry point prints, once,
 * with report(), and decides the exit status — as crun's libcrun_error_t
 * and bubblewrap's die_with_error() do. The helper that knows the fix
 * attaches the hint: nobody decides anything by comparing messages.
 */
#ifndef ERR_H
#define ERR_H

#include <errno.h>
#include <stddef.h>

extern const char prog[]; /* each program defines it: "step01", "set_ns" */
extern int verbose;	  /* -v */

/* "PROG: <line>\n" on stderr in one write(2), so that the runtime's lines
 * and the child's never interleave; control characters (an argument may
 * hold a newline or an escape sequence) are replaced by '?'. */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define trace(...)                                                             \
	do {                                                                   \
		if (verbose)                                                   \
			msg(__VA_ARGS__);                                      \
	} while (0)

struct err {
	const char *call; /* what failed: a system call or an action */
	char obj[256];	  /* what it acted on, "" when nothing */
	int errnum;	  /* errno at the failure (0: none applies) */
	const char *hint; /* a fix to suggest, or NULL */
};

/* Record a failure; saves errno first; returns -1:
 * `return fail(e, "mount", "/proc");` */
int fail(struct err *e, const char *call, const char *obj);

/* The same with an explicit errno (netlink errors, our own checks: 0). */
int fail_errno(struct err *e, int errnum, const char *call, const char *obj);

/* Print the failure as one line on stderr:
 *   "PROG: call(obj): strerror(errnum) (hint)"   a call failed
 *   "PROG: call obj: hint"                         a check of ours (errnum 0)
 * Only main() or the child's entry point calls it, once. */
void report(const struct err *e);

/* write(2) all of BUF: a pipe or a file may take less than asked (a short
 * write), and a signal may interrupt it (EINTR). 0, or -1 with errno. */
int write_all(int fd, const void *buf, size_t len);

/* For the layers that behave like system calls (net.c's netlink, cgroup.c's
 * files): -1 with errno set to ERRNUM. */
static inline int set_errno(int errnum)
{
	errno = errnum;
	return -1;
}

#endif
