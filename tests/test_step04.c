/*
 * step04 — CLONE_NEWUTS and CLONE_NEWIPC: a hostname and IPC objects of
 * the container's own. Fails on step03's binary: there the hostname and
 * the message queues are the host's.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <unistd.h>

TestSuite(step04, .timeout = 60);

Test(step04, default_and_chosen_hostname)
{
	need_root();
	struct proc *p = run(NULL, "step04", "-q", "hostname", NULL);

	expect_status(p, 0);
	cr_expect_str_eq(p->out, "container\n");
	proc_free(p);
	char *name = xasprintf("web-%d", (int)getpid());
	char *want = xasprintf("%s\n", name);
	p = run(NULL, "step04", "-q", "--hostname", name, "hostname", NULL);
	expect_status(p, 0);
	cr_expect_str_eq(p->out, want);
	proc_free(p);
	free(name);
	free(want);
}

Test(step04, host_hostname_survives_hostname_evil)
{
	need_root();
	char host[256], after[256];
	char *cmd = xasprintf("%shostname evil-%d && hostname", guard("uts"),
			      (int)getpid());

	gethostname(host, sizeof(host));
	struct proc *p = run(NULL, "step04", "-q", "/bin/sh", "-c", cmd, NULL);
	gethostname(after, sizeof(after));
	expect_status(p, 0, "renamed inside (99: not a new UTS ns)");
	cr_expect(strstr(p->out, "evil-"));
	cr_expect_str_eq(after, host, "the host was renamed");
	free(cmd);
	proc_free(p);
}

Test(step04, hosts_sysv_queue_is_invisible_inside)
{
	need_root();
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

	cr_assert_neq(id, -1);
	struct proc *p =
	    run(NULL, "step04", "-q", "/bin/sh", "-c",
		"awk 'NR > 1 { print $2 }' /proc/sysvipc/msg", NULL);
	char *want = xasprintf("%d\n", id);
	msgctl(id, IPC_RMID, NULL);
	expect_status(p, 0);
	cr_expect_null(strstr(p->out, want), "host queue %d listed inside", id);
	free(want);
	proc_free(p);
}

Test(step04, queue_made_inside_is_invisible_on_host)
{
	need_root();
	char *name = xasprintf("/nswq-%d", (int)getpid());
	char *cmd = xasprintf("%stouch /dev/mqueue%s && ls /dev/mqueue",
			      guard("ipc"), name);
	struct proc *p = run(NULL, "step04", "-q", "/bin/sh", "-c", cmd, NULL);

	expect_status(p, 0, "made inside (99: not a new IPC ns)");
	cr_expect(strstr(p->out, name + 1), "listed inside: %s", p->out);
	mqd_t q = mq_open(name, O_RDONLY);
	cr_expect_eq(q, (mqd_t)-1, "the queue made inside exists on the host");
	if (q != (mqd_t)-1) {
		mq_close(q);
		mq_unlink(name);
	}
	free(name);
	free(cmd);
	proc_free(p);
}

Test(step04, uts_and_ipc_inodes_differ)
{
	need_root();
	struct run_opts o = {.keep_stdin = true};
	struct proc *p = proc_start(
	    &o, "step04", (char *[]){"", "/bin/sh", "-c", "read x", NULL});
	pid_t child = proc_child(p);

	cr_assert_gt(child, 0);
	cr_expect_neq(ns_inode(child, "uts"), ns_inode(0, "uts"));
	cr_expect_neq(ns_inode(child, "ipc"), ns_inode(0, "ipc"));
	cr_expect_eq(ns_inode(child, "net"), ns_inode(0, "net"));
	proc_write(p, "\n");
	expect_finish(p, 0);
	proc_free(p);
}

Test(step04, hostname_limits)
{
	need_root();
	char name64[65], name65[66];
	char host[256], after[256];

	memset(name64, 'a', 64);
	name64[64] = '\0';
	memset(name65, 'b', 65);
	name65[65] = '\0';
	gethostname(host, sizeof(host));
	struct proc *p =
	    run(NULL, "step04", "-q", "--hostname", name64, "hostname", NULL);
	expect_status(p, 0, "64 bytes is HOST_NAME_MAX");
	proc_free(p);
	const char *bad[] = {name65, "", "-x", "a b", "a/b"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = run(NULL, "step04", "-q", "--hostname", bad[i], "true",
			NULL);
		expect_status(p, 125, "--hostname '%s'", bad[i]);
		cr_expect(strstr(p->err, "step04: --hostname"),
			  "a clear message: %s", p->err);
		cr_expect_null(strstr(p->err, "child PID"),
			       "refused before any side effect");
		proc_free(p);
	}
	gethostname(after, sizeof(after));
	cr_expect_str_eq(after, host);
}
