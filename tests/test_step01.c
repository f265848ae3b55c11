/*
 * step01 — clone(2): a child that runs COMMAND, whose status we pass on.
 * What a person checks by hand: the output is the command's, `$?` is its
 * status (Docker's rules), and the child is an ordinary child of the
 * runtime in the host's PID namespace.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

TestSuite(step01, .timeout = 30);

Test(step01, stdout_is_the_commands_alone)
{
	struct proc *p = run(NULL, "step01", "--", "/bin/echo", "hello", NULL);

	expect_status(p, 0);
	cr_expect_str_eq(p->out, "hello\n", "stdout belongs to COMMAND");
	cr_expect(strstr(p->err, "step01: child PID on host: "),
		  "the runtime prints the child's host PID on stderr");
	proc_free(p);
}

Test(step01, exit_status_passes_through)
{
	struct proc *p =
	    run(NULL, "step01", "-q", "/bin/sh", "-c", "exit 7", NULL);

	expect_status(p, 7);
	cr_expect_str_eq(p->err, "", "-q: nothing on stderr");
	proc_free(p);
}

Test(step01, death_by_signal_is_128_plus_n)
{
	struct proc *p =
	    run(NULL, "step01", "-q", "/bin/sh", "-c", "kill -TERM $$", NULL);

	expect_status(p, 128 + SIGTERM);
	proc_free(p);
}

Test(step01, missing_command_is_127_with_one_line)
{
	struct proc *p = run(NULL, "step01", "-q", "/no/such/command", NULL);

	expect_status(p, 127);
	cr_expect(strstr(p->err, "step01: ") &&
		      strstr(p->err, "/no/such/command"),
		  "names the command: %s", p->err);
	cr_expect(strstr(p->err, "No such file"), "says why: %s", p->err);
	cr_expect_eq(strchr(p->err, '\n'), p->err + strlen(p->err) - 1,
		     "one line: %s", p->err);
	proc_free(p);
}

Test(step01, not_executable_is_126)
{
	struct proc *p = run(NULL, "step01", "-q", "/etc/passwd", NULL);

	expect_status(p, 126);
	proc_free(p);
}

Test(step01, child_is_a_child_in_the_hosts_pid_namespace)
{
	struct proc *p = run(NULL, "step01", "/bin/sh", "-c",
			     "echo $$ $PPID; readlink /proc/self/ns/pid", NULL);
	char *host = ns_link("pid");
	char *want = xasprintf("%d %d\n%s\n", (int)p->child, (int)p->pid, host);

	cr_expect_gt(p->child, 0, "child PID line");
	cr_expect_str_eq(p->out, want,
			 "$$ is the host PID, $PPID the runtime, same pid ns");
	free(want);
	free(host);
	proc_free(p);
}

Test(step01, default_command_is_bin_sh)
{
	struct run_opts o = {.keep_stdin = true};
	struct proc *p = proc_start(&o, "step01", (char *[]){"", "-q", NULL});

	proc_write(p, "echo from-sh; exit 3\n");
	expect_finish(p, 3);
	cr_expect_str_eq(p->out, "from-sh\n");
	proc_free(p);
}

Test(step01, help_and_usage_errors)
{
	struct proc *p = run(NULL, "step01", "--help", NULL);

	expect_status(p, 0);
	cr_expect(strstr(p->out, "usage: step01"), "usage on stdout");
	proc_free(p);
	p = run(NULL, "step01", "--no-such-option", NULL);
	expect_status(p, 125, "unknown option: 125");
	cr_expect(strstr(p->err, "step01: "), "prefixed message");
	proc_free(p);
}

Test(step01, child_dies_with_the_runtime)
{
	struct proc *p = proc_start(NULL, "step01",
				    (char *[]){"", "/bin/sleep", "30", NULL});
	pid_t child = proc_child(p);

	cr_assert_gt(child, 0);
	proc_kill(p, SIGKILL);
	proc_finish(p);
	cr_expect(wait_gone(child, 2), "child %d outlived its runtime",
		  (int)child);
	proc_free(p);
}
