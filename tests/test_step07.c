/*
 * step07 — the complete mini-container: --name, --detach, --init, the
 * signal relay, dying with the runtime, and Docker's hardening. Fails on
 * step06's binary, which has none of these.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TestSuite(step07, .timeout = 60);

static char *record_path(const char *name)
{
	return xasprintf("/run/nsworkshop/%s.state", name);
}

/* A container named NAME running `read x`, and its host PID. */
static struct proc *start_named(const char *name, const char *extra)
{
	struct run_opts o = {.keep_stdin = true};
	struct proc *p =
	    proc_start(&o, "step07",
		       (char *[]){"", "--name", (char *)name, "--net", "none",
				  extra ? (char *)extra : "--quiet", "/bin/sh",
				  "-c", "echo ready; read x", NULL});

	cr_assert(proc_wait_out(p, "ready"), "started: %s", p->err);
	return p;
}

Test(step07, name_is_recorded_and_found_by_set_ns)
{
	need_root();
	char *name = xasprintf("web-%d", (int)getpid());
	struct proc *p = start_named(name, "--verbose");
	pid_t child = proc_child(p);
	char *path = record_path(name);
	char *want = xasprintf("pid=%d\n", (int)child);
	char *rec = read_text(path);

	/* committed once the exec report says COMMAND runs: poll for it */
	for (int i = 0; i < 200 && !(rec && strstr(rec, want)); i++) {
		free(rec);
		usleep(10000);
		rec = read_text(path);
	}

	cr_assert_not_null(rec, "record %s", path);
	cr_expect(strstr(rec, want), "record names PID %d: %s", (int)child,
		  rec);
	struct proc *e =
	    run(NULL, "set_ns", "-q", "--name", name, "hostname", NULL);
	expect_status(e, 0);
	cr_expect_str_eq(e->out, "container\n");
	proc_write(p, "\n");
	expect_finish(p, 0);
	cr_expect_null(read_text(path), "record removed after exit");
	free(want);
	free(rec);
	free(path);
	free(name);
	proc_free(e);
	proc_free(p);
}

Test(step07, a_name_in_use_is_refused)
{
	need_root();
	char *name = xasprintf("dup-%d", (int)getpid());
	struct proc *p = start_named(name, NULL);
	struct proc *q =
	    run(NULL, "step07", "-q", "--name", name, "true", NULL);

	expect_status(q, 125);
	cr_expect(strstr(q->err, name) && strstr(q->err, "running"),
		  "says the name is taken: %s", q->err);
	proc_write(p, "\n");
	expect_finish(p, 0);
	free(name);
	proc_free(q);
	proc_free(p);
}

Test(step07, sigkill_of_the_runtime_kills_the_container)
{
	need_root();
	char *name = xasprintf("kill-%d", (int)getpid());
	struct proc *p = start_named(name, "--verbose");
	pid_t child = proc_child(p);

	cr_assert_gt(child, 0);
	proc_kill(p, SIGKILL);
	proc_finish(p);
	cr_expect(wait_gone(child, 2), "container outlived its runtime");
	/* The record is stale now: the name can be used again at once. */
	struct proc *q = run(NULL, "step07", "-q", "--name", name, "--net",
			     "none", "true", NULL);
	expect_status(q, 0, "stale record not cleaned");
	char *path = record_path(name);
	cr_expect_null(read_text(path), "record removed");
	free(path);
	free(name);
	proc_free(q);
	proc_free(p);
}

Test(step07, detach_returns_at_once_and_the_container_runs)
{
	need_root();
	char *name = xasprintf("bg-%d", (int)getpid());
	struct run_opts o = {.timeout = 5};
	struct proc *p = run(&o, "step07", "-q", "-d", "--name", name, "--net",
			     "none", "sleep", "30", NULL);
	pid_t pid = (pid_t)atoi(p->out);
	char *path = record_path(name);

	expect_status(p, 0);
	cr_assert_gt(pid, 1, "stdout is the host PID: '%s'", p->out);
	cr_expect(pid_alive(pid), "the container runs");
	cr_expect_neq(ns_inode(pid, "pid"), ns_inode(0, "pid"));
	char *rec = read_text(path);
	cr_expect_not_null(rec, "record of a detached container");
	kill(pid, SIGKILL);
	cr_expect(wait_gone(pid, 2));
	for (int i = 0; i < 200 && access(path, F_OK) == 0; i++)
		usleep(10000);
	cr_expect_neq(access(path, F_OK), 0, "the supervisor removed %s", path);
	free(rec);
	free(path);
	free(name);
	proc_free(p);
}

/* Zombies of the container's PID namespace, seen from the host. */
static int zombies_in(pid_t member)
{
	unsigned long ns = ns_inode(member, "pid");
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid <= 0 || ns_inode(pid, "pid") != ns)
			continue;
		char *path = xasprintf("/proc/%d/status", (int)pid);
		char *st = read_text(path);
		if (st && strstr(st, "\nState:\tZ"))
			n++;
		free(st);
		free(path);
	}
	if (d)
		closedir(d);
	return n;
}

Test(step07, init_reaps_orphans)
{
	need_root();
	/* The orphaned sleep is re-parented to PID 1; after `exec sleep`,
	 * only an init reaps it. */
	struct proc *p =
	    proc_start(NULL, "step07",
		       (char *[]){"", "--init", "--net", "none", "/bin/sh",
				  "-c", "(sleep 0.1 &); exec sleep 2", NULL});
	pid_t child = proc_child(p);

	cr_assert_gt(child, 0);
	usleep(800000);
	cr_expect_eq(zombies_in(child), 0, "a zombie is left");
	expect_finish(p, 0);
	proc_free(p);
}

Test(step07, sigterm_to_the_runtime_reaches_command)
{
	need_root();
	struct proc *p = proc_start(
	    NULL, "step07",
	    (char *[]){"", "-q", "--net", "none", "/bin/sh", "-c",
		       "trap 'echo got-term; exit 3' TERM; echo ready; "
		       "while :; do sleep 0.1; done",
		       NULL});

	cr_assert(proc_wait_out(p, "ready"));
	proc_kill(p, SIGTERM);
	expect_finish(p, 3);
	cr_expect(strstr(p->out, "got-term"));
	proc_free(p);
}

Test(step07, stop_timeout_ends_a_pid_1_that_ignores_sigterm)
{
	need_root();
	struct proc *p =
	    proc_start(NULL, "step07",
		       (char *[]){"", "--stop-timeout", "1", "--net", "none",
				  "sleep", "30", NULL});
	pid_t child = proc_child(p);

	cr_assert_gt(child, 0);
	usleep(200000);
	proc_kill(p, SIGTERM);
	expect_finish(p, 128 + SIGKILL, "SIGKILL after 1 s");
	proc_free(p);
}

Test(step07, only_fds_0_to_2_reach_command)
{
	need_root();
	/* O_CLOEXEC as everywhere: keep_fds clears it in the runtime only */
	int a = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	int b = open("/", O_RDONLY | O_CLOEXEC);
	int keep[] = {a, b, -1};
	struct run_opts o = {.keep_fds = keep};
	struct proc *p = run(&o, "step07", "-q", "--net", "none", "/bin/sh",
			     "-c", "ls /proc/1/fd; true", NULL);

	expect_status(p, 0);
	cr_expect_str_eq(p->out, "0\n1\n2\n", "PID 1's descriptors");
	close(a);
	close(b);
	proc_free(p);
}

Test(step07, docker_default_capabilities_and_no_new_privs)
{
	need_root();
	struct proc *p =
	    run(NULL, "step07", "-q", "--net", "none", "/bin/sh", "-c",
		"grep -E '^(CapEff|CapBnd|NoNewPrivs)' "
		"/proc/1/status",
		NULL);

	expect_status(p, 0);
	/* chown dac_override fowner fsetid kill setgid setuid setpcap
	 * net_bind_service net_raw sys_chroot audit_write setfcap */
	cr_expect_str_eq(p->out, "CapEff:\t00000000a00425fb\n"
				 "CapBnd:\t00000000a00425fb\n"
				 "NoNewPrivs:\t1\n");
	proc_free(p);
}

Test(step07, proc_is_masked_and_proc_sys_read_only)
{
	need_root();
	char *cmd =
	    xasprintf("%swc -c < /proc/timer_list; "
		      "echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null || "
		      "echo sys-ro; cat /proc/kcore 2>/dev/null | wc -c",
		      guard("pid"));
	struct proc *p = run(NULL, "step07", "-q", "--net", "none", "/bin/sh",
			     "-c", cmd, NULL);

	expect_status(p, 0);
	cr_expect_str_eq(p->out, "0\nsys-ro\n0\n");
	free(cmd);
	proc_free(p);
}

Test(step07, new_session_and_cwd_inside_the_rootfs)
{
	need_root();
	struct run_opts o = {.dir = "/usr/share/doc"};
	struct proc *p =
	    run(&o, "step07", "-q", "--net", "none", "/bin/sh", "-c",
		"cut -d' ' -f6 /proc/1/stat; readlink /proc/1/cwd", NULL);

	expect_status(p, 0);
	cr_expect_str_eq(p->out, "1\n/\n",
			 "PID 1 leads its own session; cwd is the rootfs' /");
	proc_free(p);
}

Test(step07, pidfile_holds_the_host_pid)
{
	need_root();
	char *file = xasprintf("/tmp/nsw-pidfile-%d", (int)getpid());
	struct run_opts o = {.keep_stdin = true};
	struct proc *p =
	    proc_start(&o, "step07",
		       (char *[]){"", "--pidfile", file, "--net", "none",
				  "/bin/sh", "-c", "echo ready; read x", NULL});
	cr_assert(proc_wait_out(p, "ready"));
	pid_t child = proc_child(p);
	/* written once the exec report says COMMAND runs: poll for it */
	char *want = xasprintf("%d\n", (int)child);
	char *text = read_text(file);
	for (int i = 0; i < 200 && !(text && strcmp(text, want) == 0); i++) {
		free(text);
		usleep(10000);
		text = read_text(file);
	}
	cr_expect_str_eq(text ? text : "", want);
	proc_write(p, "\n");
	proc_finish(p);
	cr_expect_neq(access(file, F_OK), 0, "pidfile removed after exit");
	unlink(file);
	free(want);
	free(text);
	free(file);
	proc_free(p);
}

Test(step07, exec_failure_is_one_line_and_127)
{
	need_root();
	struct proc *p =
	    run(NULL, "step07", "-q", "--net", "none", "/no/such/cmd", NULL);

	expect_status(p, 127);
	cr_expect_str_eq(p->err,
			 "step07: execvp(/no/such/cmd): No such file or "
			 "directory\n");
	proc_free(p);
}

Test(step07, bad_names_and_timeouts_are_125)
{
	need_root();
	char long_name[70];

	memset(long_name, 'n', 65);
	long_name[65] = '\0';
	const char *bad[][2] = {
	    {"--name", ""},	     {"--name", "a/b"},
	    {"--name", ".."},	     {"--name", long_name},
	    {"--stop-timeout", "x"}, {"--stop-timeout", "-1"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct proc *p =
		    run(NULL, "step07", bad[i][0], bad[i][1], "true", NULL);
		expect_status(p, 125, "%s '%s'", bad[i][0], bad[i][1]);
		cr_expect(strstr(p->err, "step07: "), "a message");
		cr_expect_null(strstr(p->err, "child PID"));
		proc_free(p);
	}
}

/* With --init, PID 1 never execs: it must still let the exec report
 * through, or --detach would wait for the container to end. */
Test(step07, detach_with_init_returns_while_it_runs)
{
	need_root();
	struct run_opts o = {.timeout = 3};
	struct proc *p = run(&o, "step07", "-q", "-d", "--init", "--net",
			     "none", "sleep", "5", NULL);
	pid_t pid = (pid_t)atoi(p->out);

	expect_status(p, 0);
	cr_assert_gt(pid, 1, "the host PID: '%s'", p->out);
	cr_expect(pid_alive(pid), "the container runs");
	kill(pid, SIGKILL);
	cr_expect(wait_gone(pid, 2));
	proc_free(p);
}
