/*
 * step02 — CLONE_NEWPID: COMMAND is PID 1 inside and another PID outside.
 * Fails on step01's binary: there the shell's $$ is its host PID.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

TestSuite(step02, .timeout = 30);

Test(step02, command_is_pid_1)
{
	need_root();
	struct proc *p =
	    run(NULL, "step02", "-q", "/bin/sh", "-c", "echo $$", NULL);

	expect_status(p, 0);
	cr_expect_str_eq(p->out, "1\n", "echo $$ inside a PID namespace");
	proc_free(p);
}

Test(step02, host_sees_another_pid)
{
	need_root();
	struct run_opts o = {.keep_stdin = true};
	struct proc *p = proc_start(
	    &o, "step02", (char *[]){"", "/bin/sh", "-c", "read x", NULL});
	pid_t child = proc_child(p), ids[4];

	cr_assert_gt(child, 1, "child PID on host: %s", p->err);
	int n = nspid(child, ids, 4);
	cr_expect_eq(n, 2, "NSpid has two levels (host, container)");
	cr_expect_eq(ids[0], child, "host PID");
	cr_expect_eq(ids[1], 1, "PID inside");
	cr_expect_neq(ns_inode(child, "pid"), ns_inode(0, "pid"),
		      "new PID namespace");
	cr_expect_eq(ns_inode(child, "mnt"), p->mnt_ns,
		     "mount namespace still the host's");
	cr_expect_eq(ns_inode(child, "uts"), ns_inode(0, "uts"));
	proc_write(p, "\n");
	expect_finish(p, 0);
	proc_free(p);
}

Test(step02, exit_status_passes_through)
{
	need_root();
	struct proc *p =
	    run(NULL, "step02", "-q", "/bin/sh", "-c", "exit 42", NULL);

	expect_status(p, 42);
	proc_free(p);
}

/* PID 1 gets only the signals it installed a handler for: `kill -TERM $$`
 * from inside does nothing to it (pid_namespaces(7)). */
Test(step02, pid_1_ignores_unhandled_signals)
{
	need_root();
	struct proc *p = run(NULL, "step02", "-q", "/bin/sh", "-c",
			     "kill -TERM $$; echo survived", NULL);

	expect_status(p, 0);
	cr_expect_str_eq(p->out, "survived\n");
	proc_free(p);
}

Test(step02, verbose_prints_the_namespace_table)
{
	need_root();
	struct proc *p = run(NULL, "step02", "-v", "/bin/true", NULL);
	char *pid = xasprintf("%lu", ns_inode(0, "pid"));
	char *mnt = xasprintf("%lu", p->mnt_ns); /* the runtime's */

	expect_status(p, 0);
	const char *line = strstr(p->err, "step02: pid ");
	cr_assert(line, "a pid row: %s", p->err);
	cr_expect(strstr(line, pid) && strstr(line, "NEW") &&
		      strstr(line, "NEW") < strchr(line, '\n'),
		  "host inode and NEW on the pid row");
	line = strstr(p->err, "step02: mnt ");
	cr_assert(line, "a mnt row");
	cr_expect(strstr(line, mnt) && strstr(line, "same") &&
		      strstr(line, "same") < strchr(line, '\n'),
		  "mnt is the host's");
	free(pid);
	free(mnt);
	proc_free(p);
}

Test(step02, without_root_a_clear_error_and_125)
{
	need_root(); /* to become an unprivileged user */
	char *dir = rootless_copy("step02");
	char *bin = xasprintf("%s/step02", dir);
	struct run_opts o = {.uid = 65534};
	struct proc *p = run(&o, bin, "/bin/true", NULL);

	expect_status(p, 125);
	cr_expect(strstr(p->err, "step02: clone"), "names the call: %s",
		  p->err);
	cr_expect(strstr(p->err, "Operation not permitted"), "says why");
	cr_expect(strstr(p->err, "sudo"), "hints at the fix");
	proc_free(p);
	rm_rf(dir);
	free(bin);
	free(dir);
}
