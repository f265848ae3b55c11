/*
 * step03 — CLONE_NEWNS: a private mount table, the busybox rootfs via
 * pivot_root, and a /proc of the container's own.
 * Fails on step02's binary: there /proc and / are the host's.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TestSuite(step03, .timeout = 60);

Test(step03, proc_lists_only_the_container)
{
	need_root();
	struct proc *p = run(NULL, "step03", "-q", "/bin/sh", "-c",
			     "grep -E '^(Pid|PPid):' /proc/$$/status; "
			     "echo /proc/[0-9]*",
			     NULL);

	expect_status(p, 0);
	cr_expect_str_eq(p->out, "Pid:\t1\nPPid:\t0\n/proc/1\n",
			 "PID 1 with PPid 0, and only the shell and ls in "
			 "/proc");
	proc_free(p);
}

Test(step03, root_is_the_busybox_rootfs)
{
	need_root();
	char *marker = xasprintf("/var/tmp/nsw-marker-%d", (int)getpid());
	char *bin = step_path("step03");
	char *cmd = xasprintf("cd /; cd ../../..; ls /; readlink /bin/ls; "
			      "test -e %s && echo HOST-MARKER; "
			      "test -e %s && echo HOST-BINARY; true",
			      marker, bin);
	FILE *f = fopen(marker, "we");

	cr_assert_not_null(f);
	fclose(f);
	struct proc *p = run(NULL, "step03", "-q", "/bin/sh", "-c", cmd, NULL);
	unlink(marker);
	expect_status(p, 0);
	cr_expect(strstr(p->out, "busybox\n"), "/bin/ls is busybox: %s",
		  p->out);
	cr_expect_null(strstr(p->out, "HOST-"),
		       "a host path is reachable through `..`: %s", p->out);
	cr_expect(strstr(p->out, "proc\n") && strstr(p->out, "etc\n"));
	free(marker);
	free(bin);
	free(cmd);
	proc_free(p);
}

/* The old root is gone: the container's mount table holds exactly the
 * mounts the runtime made. */
Test(step03, old_root_is_not_in_mountinfo)
{
	need_root();
	struct proc *p = run(NULL, "step03", "-q", "/bin/sh", "-c",
			     "cut -d' ' -f5 /proc/self/mountinfo | sort", NULL);

	expect_status(p, 0);
	cr_expect_str_eq(p->out,
			 "/\n/dev\n/dev/pts\n/dev/shm\n/proc\n/sys\n/tmp\n",
			 "mount points inside");
	proc_free(p);
}

Test(step03, dev_is_minimal)
{
	need_root();
	struct proc *p = run(NULL, "step03", "-q", "/bin/sh", "-c",
			     "stat -c '%n %F %t:%T' /dev/null /dev/zero "
			     "/dev/urandom; find /dev -type b | wc -l; "
			     "grep ' /dev/pts ' /proc/self/mountinfo | "
			     "grep -c devpts",
			     NULL);

	expect_status(p, 0);
	cr_expect_str_eq(p->out,
			 "/dev/null character special file 1:3\n"
			 "/dev/zero character special file 1:5\n"
			 "/dev/urandom character special file 1:9\n0\n1\n",
			 "char devices, no block device, a devpts");
	proc_free(p);
}

/*
 * On a systemd host `/` is shared: a runtime that forgets MS_PRIVATE
 * replays its mounts in the host's namespace. This host may already be
 * private, so the test makes a shared one with unshare(1) and watches it.
 */
Test(step03, mounts_inside_do_not_propagate)
{
	need_root();
	char *bin = step_path("step03");
	char *g = guard("mnt");
	char *probe = xasprintf("nswprobe-%d", (int)getpid());
	char *cmd =
	    xasprintf("%s[ ! -e %s ] || exit 98; mkdir /tmp/p && "
		      "mount -t tmpfs %s /tmp/p && echo mounted; read x",
		      g, bin, probe);
	char *root = step_path("rootfs");
	struct run_opts o = {.keep_stdin = true};
	struct proc *p =
	    proc_start(&o, "/usr/bin/unshare",
		       (char *[]){"", "--mount", "--propagation", "shared", bin,
				  "-q", "/bin/sh", "-c", cmd, NULL});

	cr_assert(proc_wait_out(p, "mounted"), "mounted inside: %s", p->err);
	char *path = xasprintf("/proc/%d/mountinfo", (int)p->pid);
	char *outside = read_text(path);
	cr_assert_not_null(outside);
	cr_expect_null(strstr(outside, probe),
		       "the container's tmpfs shows outside");
	char *rootmp = xasprintf(" %s ", root);
	cr_expect_null(strstr(outside, rootmp),
		       "the rootfs bind mount shows outside");
	proc_write(p, "\n");
	expect_finish(p, 0);
	free(rootmp);
	free(outside);
	free(path);
	free(cmd);
	free(probe);
	free(g);
	free(bin);
	free(root);
	proc_free(p);
}

Test(step03, host_mount_table_unchanged_after_runs)
{
	need_root();
	char *before = mountinfo();
	struct proc *p = run(NULL, "step03", "-q", "/bin/true", NULL);

	expect_status(p, 0);
	proc_free(p);
	p = run(NULL, "step03", "-q", "/no/such/command", NULL);
	expect_status(p, 127, "command missing in the rootfs: 127");
	cr_expect(strstr(p->err, "/no/such/command"));
	proc_free(p);
	char *after = mountinfo();
	cr_expect_str_eq(after, before, "the host's mount table changed");
	free(before);
	free(after);
}

Test(step03, bad_rootfs_is_125_with_one_line)
{
	need_root();
	char *before = mountinfo();
	const char *bad[] = {"/nonexistent-rootfs", "/etc/passwd"};

	for (int i = 0; i < 2; i++) {
		struct proc *p = run(NULL, "step03", "-q", "--rootfs", bad[i],
				     "/bin/true", NULL);
		expect_status(p, 125, "--rootfs %s", bad[i]);
		cr_expect(strstr(p->err, "step03: ") && strstr(p->err, bad[i]),
			  "names the rootfs: %s", p->err);
		cr_expect_eq(strchr(p->err, '\n'), p->err + strlen(p->err) - 1,
			     "one line: %s", p->err);
		proc_free(p);
	}
	char *after = mountinfo();
	cr_expect_str_eq(after, before);
	free(before);
	free(after);
}

/* A rootfs must not redirect a mount to the host (CVE-2019-19921). */
Test(step03, symlinked_mount_target_is_refused)
{
	need_root();
	char *dir = rootless_copy("step03");
	char *cmd = xasprintf("rm -rf %s/rootfs/proc && ln -s /etc "
			      "%s/rootfs/proc",
			      dir, dir);
	cr_assert_eq(system(cmd), 0);
	char *before = mountinfo();
	char *bin = xasprintf("%s/step03", dir);
	struct proc *p = run(NULL, bin, "-q", "/bin/true", NULL);

	expect_status(p, 125);
	cr_expect(strstr(p->err, "proc"), "names the target: %s", p->err);
	char *after = mountinfo();
	cr_expect_str_eq(after, before);
	proc_free(p);
	rm_rf(dir);
	free(before);
	free(after);
	free(bin);
	free(cmd);
	free(dir);
}

Test(step03, namespaces_are_new_for_mnt_and_pid_only)
{
	need_root();
	struct run_opts o = {.keep_stdin = true};
	struct proc *p = proc_start(
	    &o, "step03", (char *[]){"", "/bin/sh", "-c", "read x", NULL});
	pid_t child = proc_child(p);

	cr_assert_gt(child, 0);
	cr_expect_neq(ns_inode(child, "mnt"), p->mnt_ns);
	cr_expect_neq(ns_inode(child, "pid"), ns_inode(0, "pid"));
	cr_expect_eq(ns_inode(child, "net"), ns_inode(0, "net"));
	proc_write(p, "\n");
	expect_finish(p, 0);
	proc_free(p);
}
