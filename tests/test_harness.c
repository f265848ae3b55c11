/*
 * The harness itself, where a grade depends on it (docs/homework.md,
 * "Feedback"). Not a graded suite.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <sys/wait.h>

TestSuite(harness, .timeout = 20);

/*
 * A runtime that fails before it reads its stdin (a skeleton's step01:
 * "mmap(stack): Function not implemented") closes the pipe the test then
 * writes to: the test must still report the runtime's status, not die of
 * SIGPIPE and be counted as a crash.
 */
Test(harness, write_to_an_exited_program_is_not_a_crash)
{
	struct run_opts o = {.keep_stdin = true};
	struct proc *p = proc_start(&o, "/bin/true", (char *[]){"", NULL});
	siginfo_t si;

	/* exited, not reaped: its end of the pipe is closed */
	cr_assert_eq(waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOWAIT), 0);
	proc_write(p, "echo never read\n");
	expect_finish(p, 0);
	proc_free(p);
}
