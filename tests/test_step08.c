/*
 * step08 — CLONE_NEWCGROUP and resource limits. What a person checks: a
 * fork bomb stops at --pids, a memory hog dies at --memory, a busy loop
 * gets --cpus of CPU time, /proc/self/cgroup shows `/`, and the cgroup is
 * gone afterwards. Fails on step07's binary: no limits, no cgroup ns.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

TestSuite(step08, .timeout = 60);

static bool cgroup_v2(void)
{
	struct statfs sf;

	return statfs("/sys/fs/cgroup", &sf) == 0 &&
	       sf.f_type == CGROUP2_SUPER_MAGIC;
}

/* The container's cgroup directory for controller CTRL ("" on v2):
 * step08-<PID namespace inode>-<runtime PID>, the test's PID namespace. */
static char *cg_dir(pid_t runtime, const char *ctrl)
{
	struct stat st;
	unsigned long long ino =
	    stat("/proc/self/ns/pid", &st) == 0 ? st.st_ino : 0;

	if (cgroup_v2())
		return xasprintf("/sys/fs/cgroup/nsworkshop/step08-%llu-%d",
				 ino, (int)runtime);
	return xasprintf("/sys/fs/cgroup/%s/nsworkshop/step08-%llu-%d", ctrl,
			 ino, (int)runtime);
}

/* How many processes of the host are in the PID namespace whose inode is
 * INO: counted by the namespace, so that whatever else the machine (or a
 * suite running beside this one) starts does not count. */
static int procs_in_pidns(unsigned long ino)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		if (atoi(e->d_name) > 0 &&
		    ns_inode((pid_t)atoi(e->d_name), "pid") == ino)
			n++;
	if (d)
		closedir(d);
	return n;
}

Test(step08, cgroup_namespace_root_is_the_containers_cgroup)
{
	need_root();
	struct run_opts o = {.keep_stdin = true};
	struct proc *p = proc_start(
	    &o, "step08",
	    (char *[]){"", "--pids", "50", "--net", "none", "/bin/sh", "-c",
		       "grep -v ':/$' /proc/self/cgroup; echo ready; read x",
		       NULL});

	cr_assert(proc_wait_out(p, "ready"), "%s", p->err);
	pid_t child = proc_child(p);
	cr_expect_neq(ns_inode(child, "cgroup"), ns_inode(0, "cgroup"),
		      "a new cgroup namespace");
	char *dir = cg_dir(p->pid, "pids");
	cr_expect_eq(access(dir, F_OK), 0, "%s exists while it runs", dir);
	proc_write(p, "\n");
	expect_finish(p, 0);
	cr_expect_str_eq(p->out, "ready\n",
			 "every line of /proc/self/cgroup "
			 "ends in ':/'");
	cr_expect_neq(access(dir, F_OK), 0, "%s removed after exit", dir);
	free(dir);
	proc_free(p);
}

Test(step08, pids_limit_stops_a_fork_bomb)
{
	need_root();
	struct run_opts o = {.timeout = 30};
	struct proc *p = proc_start(
	    &o, "step08",
	    (char *[]){"", "--pids", "20", "--net", "none", "/bin/sh", "-c",
		       "i=0; while [ $i -lt 100 ]; do sleep 10 & "
		       "i=$((i+1)); echo $i; done",
		       NULL});
	pid_t child = proc_child(p);
	unsigned long ino = child > 0 ? ns_inode(child, "pid") : 0;
	int last = 0, left = -1;

	proc_finish(p);
	for (char *nl = p->out; nl && *nl;) {
		last = atoi(nl);
		nl = strchr(nl, '\n');
		nl = nl ? nl + 1 : NULL;
	}
	cr_expect_neq(p->status, -1, "the runtime returned");
	cr_expect_lt(last, 20, "%d forks succeeded under --pids 20", last);
	cr_expect_geq(last, 5, "the loop ran: %s", p->err);
	/* PID 1 has exited: the kernel kills the rest of its namespace */
	for (int i = 0; ino && i < 40 && (left = procs_in_pidns(ino)); i++)
		usleep(50000);
	cr_expect(ino, "the container's PID namespace was seen: %s", p->err);
	cr_expect_eq(left, 0, "%d processes of the bomb are left", left);
	proc_free(p);
}

Test(step08, memory_limit_kills_a_hog_but_not_a_small_allocation)
{
	need_root();
	struct proc *p = run(NULL, "step08", "-q", "--memory", "32m", "--net",
			     "none", "/bin/sh", "-c",
			     "x=$(head -c 4000000 /dev/zero | tr '\\0' a); "
			     "echo small-ok",
			     NULL);

	expect_status(p, 0);
	cr_expect_str_eq(p->out, "small-ok\n");
	proc_free(p);
	p = run(NULL, "step08", "-q", "--memory", "32m", "--net", "none",
		"/bin/sh", "-c",
		"x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived",
		NULL);
	expect_status(p, 128 + SIGKILL, "the OOM killer: 137");
	cr_expect_null(strstr(p->out, "survived"));
	char *dir = cg_dir(p->pid, "memory");
	cr_expect_neq(access(dir, F_OK), 0, "%s removed after the OOM kill",
		      dir);
	free(dir);
	proc_free(p);
}

static double cpu_seconds(pid_t pid)
{
	char *path = xasprintf("/proc/%d/stat", (int)pid);
	char *s = read_text(path);
	unsigned long utime = 0, stime = 0;
	char *r = s ? strrchr(s, ')') : NULL;

	/* fields 14 and 15, after "pid (comm) state" */
	if (r)
		sscanf(r + 2,
		       "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		       &utime, &stime);
	free(path);
	free(s);
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

Test(step08, cpus_limit_bounds_a_busy_loop)
{
	need_root();
	struct proc *p = proc_start(NULL, "step08",
				    (char *[]){"", "--cpus", "0.2", "--net",
					       "none", "/bin/sh", "-c",
					       "while :; do :; done", NULL});
	pid_t child = proc_child(p);

	cr_assert_gt(child, 0, "%s", p->err);
	usleep(200000);
	double start = cpu_seconds(child);
	sleep(2);
	double used = cpu_seconds(child) - start;
	cr_expect_lt(used, 0.7, "%.2f s of CPU in 2 s under --cpus 0.2", used);
	cr_expect_gt(used, 0.1, "%.2f s: the loop ran", used);
	proc_kill(p, SIGTERM);
	proc_finish(p);
	proc_free(p);
}

Test(step08, stale_cgroup_of_a_killed_runtime_is_swept)
{
	need_root();
	struct proc *p = proc_start(NULL, "step08",
				    (char *[]){"", "--pids", "10", "--net",
					       "none", "/bin/sh", "-c",
					       "echo ready; sleep 30", NULL});
	cr_assert(proc_wait_out(p, "ready"), "%s", p->err);
	pid_t child = proc_child(p);
	char *dir = cg_dir(p->pid, "pids");

	cr_assert_gt(child, 0);
	cr_expect_eq(access(dir, F_OK), 0);
	proc_kill(p, SIGKILL);
	proc_finish(p);
	cr_expect(wait_gone(child, 2), "the container died with its runtime");
	struct proc *q = run(NULL, "step08", "-q", "--pids", "10", "--net",
			     "none", "true", NULL);
	expect_status(q, 0);
	cr_expect_neq(access(dir, F_OK), 0, "%s swept by the next start", dir);
	free(dir);
	proc_free(q);
	proc_free(p);
}

Test(step08, verbose_names_the_cgroup_layout)
{
	need_root();
	struct proc *p = run(NULL, "step08", "-v", "--pids", "10", "--net",
			     "none", "true", NULL);

	expect_status(p, 0);
	cr_expect(strstr(p->err, cgroup_v2() ? "step08: cgroup v2"
					     : "step08: cgroup v1"),
		  "-v names the layout: %s", p->err);
	proc_free(p);
}

Test(step08, v2_limits_are_written)
{
	need_root();
	if (!cgroup_v2())
		skip_env("cgroup v2 is not this host's layout (hybrid or v1): "
			 "the v2 path runs where /sys/fs/cgroup is cgroup2");
	struct run_opts o = {.keep_stdin = true};
	struct proc *p =
	    proc_start(&o, "step08",
		       (char *[]){"", "--memory", "32m", "--pids", "20",
				  "--cpus", "0.5", "--net", "none", "/bin/sh",
				  "-c", "echo ready; read x", NULL});

	cr_assert(proc_wait_out(p, "ready"), "%s", p->err);
	char *dir = cg_dir(p->pid, "");
	char *path = xasprintf("%s/memory.max", dir);
	char *mem = read_text(path);
	cr_expect_str_eq(mem ? mem : "", "33554432\n");
	free(path);
	path = xasprintf("%s/pids.max", dir);
	char *pids = read_text(path);
	cr_expect_str_eq(pids ? pids : "", "20\n");
	free(path);
	path = xasprintf("%s/cpu.max", dir);
	char *cpu = read_text(path);
	cr_expect_str_eq(cpu ? cpu : "", "50000 100000\n");
	proc_write(p, "\n");
	proc_finish(p);
	cr_expect_neq(access(dir, F_OK), 0);
	free(path);
	free(mem);
	free(pids);
	free(cpu);
	free(dir);
	proc_free(p);
}

Test(step08, invalid_limits_are_125)
{
	need_root();
	const char *bad[][2] = {
	    {"--memory", "0"},	{"--memory", "-1m"},
	    {"--memory", "1x"}, {"--memory", "4k"},
	    {"--memory", ""},	{"--memory", "99999999999999g"},
	    {"--pids", "0"},	{"--pids", "-5"},
	    {"--pids", "ten"},	{"--cpus", "0"},
	    {"--cpus", "-0.5"}, {"--cpus", "nan"},
	    {"--cpus", "1e9"},	{"--cpus", "abc"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct proc *p =
		    run(NULL, "step08", bad[i][0], bad[i][1], "true", NULL);
		expect_status(p, 125, "%s '%s'", bad[i][0], bad[i][1]);
		cr_expect(strstr(p->err, "step08: "), "a message");
		cr_expect_null(strstr(p->err, "child PID"));
		proc_free(p);
	}
}

/*
 * docker exec joins the container's cgroups: a process set_ns starts is in
 * the container's cgroup (inside, its /proc/self/cgroup reads `/` as PID
 * 1's does; left outside, a path above the namespace's root) and counts
 * against --pids: the container holds PID 1 and, with set_ns's waiting
 * parent and the shell, a fourth task fits, a fifth does not.
 */
Test(step08, set_ns_joins_the_containers_cgroups)
{
	need_root();
	struct run_opts o = {.keep_stdin = true};
	struct proc *t =
	    proc_start(&o, "step08",
		       (char *[]){"", "--pids", "4", "--net", "none", "/bin/sh",
				  "-c", "echo ready; read x", NULL});

	cr_assert(proc_wait_out(t, "ready"), "%s", t->err);
	char *pid = xasprintf("%d", (int)proc_child(t));
	struct proc *p = run(NULL, "set_ns", "-q", "-t", pid, "/bin/sh", "-c",
			     "grep -c -v ':/$' /proc/self/cgroup; "
			     "sleep 1 & sleep 1 & echo forked",
			     NULL);

	cr_expect_str_eq(p->out, "0\n",
			 "in PID 1's cgroup, and the second sleep is refused: "
			 "%s %s",
			 p->out, p->err);
	cr_expect(strstr(p->err, "fork"), "a fork over --pids fails: %s",
		  p->err);
	proc_free(p);
	free(pid);
	proc_write(t, "\n");
	proc_finish(t);
	proc_free(t);
}
