/*
 * err.c — messages, traces and the struct err of err.h.
 */
#include "err.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int verbose;

void msg(const char *fmt, ...)
{
	char line[PATH_MAX + 1024];
	size_t len;
	va_list ap;
	int n, m;

	/* Room is kept for the newline; a line cut short ends in "...". */
	n = snprintf(line, sizeof(line) - 1, "%s: ", prog);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - 1 - (size_t)n, fmt, ap);
	va_end(ap);
	len = strlen(line);
	if (m < 0 || (size_t)n + (size_t)m >= sizeof(line) - 1)
		line[len - 3] = line[len - 2] = line[len - 1] = '.';
	for (char *c = line + n; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	line[len++] = '\n';
	/* One write(2) per line: the child's and ours never interleave. */
	(void)write_all(STDERR_FILENO, line, len);
}

int fail(struct err *e, const char *call, const char *obj)
{
	return fail_errno(e, errno, call, obj);
}

int fail_errno(struct err *e, int errnum, const char *call, const char *obj)
{
	e->call = call;
	e->errnum = errnum;
	e->hint = NULL;
	/* allow-snprintf: An object too long for obj[] is cut: it only names the failure. */
	snprintf(e->obj, sizeof(e->obj), "%s", obj ? obj : "");
	errno = errnum;
	return -1;
}

void report(const struct err *e)
{
	const char *call = e->call ? e->call : "failed";
	const char *hint = e->hint ? e->hint : "";

	if (e->errnum)
		msg("%s(%s): %s%s%s%s", call, e->obj, strerror(e->errnum),
		    *hint ? " (" : "", hint, *hint ? ")" : "");
	else
		msg("%s%s%s%s%s", call, e->obj[0] ? " " : "", e->obj,
		    *hint ? ": " : "", hint);
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
