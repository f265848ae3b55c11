/*
 * --init's PID 1 never execs, so close-on-exec does not close what the
 * caller left open for the runtime. Without root, PID 1 stays dumpable (its
 * uid never changes), so the container's root can open /proc/1/fd/N: a
 * directory descriptor of the caller's (a shell's `7< /`) would be the
 * host's file system, in the container (CVE-2024-21626's door). PID 1 must
 * hold nothing beyond 0-2 once COMMAND runs.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

TestSuite(step07_init_fds, .timeout = 60);
TestSuite(step08_init_fds, .timeout = 60);
TestSuite(step09_init_fds, .timeout = 60);

static void init_holds_nothing(const char *step)
{
	need_root(); /* to play uid 65534 */
	if (!have_step(step))
		skip_because("not built");
	char *dir = rootless_copy(step);
	char *bin = xasprintf("%s/%s", dir, step);
	char *rootfs = xasprintf("%s/rootfs", dir);
	/* The host's "/", left open for the runtime: F_DUPFD clears
	 * close-on-exec; 100 and above are clear of Criterion's worker. */
	int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = root >= 0 ? fcntl(root, F_DUPFD, 100) : -1;
	const int keep[] = {fd, -1};
	struct run_opts o = {.uid = 65534, .gid = 65534, .keep_fds = keep};

	cr_assert(fd >= 0, "open / and F_DUPFD");
	close(root);
	/* Inside, PID 1 is --init; /proc/1/fd lists what it holds. */
	char *script = xasprintf("ls /proc/1/fd/; if test -d "
				 "/proc/1/fd/%d/proc; then echo HOST-ROOT; fi",
				 fd);
	char *mine = xasprintf("\n%d\n", fd);
	struct proc *p = run(&o, bin, "-q", "--init", "--net", "none", "-r",
			     rootfs, "--", "sh", "-c", script, NULL);
	close(fd);
	cr_assert_eq(p->status, 0, "%s: status %d, stderr: %s", step, p->status,
		     p->err);
	cr_expect_null(strstr(p->out, "HOST-ROOT"),
		       "%s --init: PID 1 kept the caller's fd %d to the host's "
		       "/, reachable as /proc/1/fd/%d: %s",
		       step, fd, fd, p->out);
	cr_expect_null(strstr(p->out, mine), "%s --init: PID 1 holds fd %d: %s",
		       step, fd, p->out);
	proc_free(p);
	rm_rf(dir);
	free(script);
	free(mine);
	free(bin);
	free(rootfs);
	free(dir);
}

Test(step07_init_fds, rootless_init_keeps_no_caller_fd)
{
	init_holds_nothing("step07");
}

Test(step08_init_fds, rootless_init_keeps_no_caller_fd)
{
	init_holds_nothing("step08");
}

Test(step09_init_fds, rootless_init_keeps_no_caller_fd)
{
	init_holds_nothing("step09");
}
