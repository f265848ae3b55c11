/*
 * step06 — CLONE_NEWUSER: root inside, an unprivileged uid outside.
 * Fails on step05's binary: it needs root and its root is the host's.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(step06, .timeout = 60);

#define MAPS "awk '{ print $1, $2, $3 }' /proc/self/uid_map /proc/self/gid_map"

/* A world-readable copy of step06 and the rootfs, run as uid 65534. */
static struct proc *run_rootless(char **dir, char *const args[])
{
	*dir = rootless_copy("step06");
	char *bin = xasprintf("%s/step06", *dir);
	struct run_opts o = {.uid = 65534, .dir = *dir};
	struct proc *p = runv(&o, bin, args);

	free(bin);
	return p;
}

Test(step06, rootless_uid_0_and_pid_1_inside)
{
	need_root(); /* to become uid 65534 */
	char *dir;
	struct proc *p =
	    run_rootless(&dir, (char *[]){"", "-q", "/bin/sh", "-c",
					  "id -u; echo $$; " MAPS
					  "; cat /proc/self/setgroups",
					  NULL});

	cr_expect_eq(p->status, 0, "%s", p->err);
	cr_expect_str_eq(p->out, "0\n1\n0 65534 1\n0 65534 1\ndeny\n",
			 "uid 0, PID 1, our ids mapped to 0, setgroups denied");
	rm_rf(dir);
	free(dir);
	proc_free(p);
}

Test(step06, rootless_defaults_to_net_none_and_refuses_veth)
{
	need_root();
	char *dir;
	struct proc *p = run_rootless(
	    &dir, (char *[]){"", "-q", "/bin/sh", "-c",
			     "ip -o link | cut -d: -f2; hostname", NULL});

	cr_expect_eq(p->status, 0, "%s", p->err);
	cr_expect_str_eq(p->out, " lo\ncontainer\n");
	proc_free(p);
	rm_rf(dir);
	free(dir);
	p = run_rootless(&dir,
			 (char *[]){"", "--net", "veth", "/bin/true", NULL});
	cr_expect_eq(p->status, 125);
	cr_expect(strstr(p->err, "--net none"), "points to --net none: %s",
		  p->err);
	rm_rf(dir);
	free(dir);
	proc_free(p);
}

Test(step06, rootless_dev_and_proc_work)
{
	need_root();
	char *dir;
	struct proc *p = run_rootless(
	    &dir, (char *[]){"", "-q", "/bin/sh", "-c",
			     "echo x > /dev/null && stat -c '%t:%T' "
			     "/dev/null && echo /proc/[0-9]*",
			     NULL});

	cr_expect_eq(p->status, 0, "%s", p->err);
	cr_expect_str_eq(p->out, "1:3\n/proc/1\n");
	rm_rf(dir);
	free(dir);
	proc_free(p);
}

Test(step06, a_map_the_kernel_refuses_is_125)
{
	need_root();
	char *dir;
	struct proc *p = run_rootless(
	    &dir, (char *[]){"", "--uid-map", "0:0:1", "/bin/true", NULL});

	cr_expect_eq(p->status, 125);
	cr_expect(strstr(p->err, "uid_map") && strstr(p->err, "not permitted"),
		  "names the map and the reason: %s", p->err);
	rm_rf(dir);
	free(dir);
	proc_free(p);
}

Test(step06, as_root_container_root_is_not_host_root)
{
	need_root();
	struct run_opts o = {.keep_stdin = true};
	struct proc *p = proc_start(
	    &o, "step06",
	    (char *[]){"", "/bin/sh", "-c", "id -u; " MAPS "; read x", NULL});
	pid_t child = proc_child(p);

	cr_assert_gt(child, 0, "%s", p->err);
	cr_assert(proc_wait_out(p, "65536\n0 "));
	char *path = xasprintf("/proc/%d/status", (int)child);
	char *status = read_text(path);
	cr_assert_not_null(status);
	cr_expect(strstr(status, "\nUid:\t100000\t"),
		  "host sees uid 100000: %s", strstr(status, "Uid:"));
	cr_expect_neq(ns_inode(child, "user"), ns_inode(0, "user"));
	proc_write(p, "\n");
	cr_expect_eq(proc_finish(p), 0);
	cr_expect_str_eq(p->out, "0\n0 100000 65536\n0 100000 65536\n");
	free(status);
	free(path);
	proc_free(p);
}

/* A rootfs copy with a root-only file. */
static char *rootfs_with_probes(void)
{
	char *dir = rootless_copy("step06");
	char *cmd = xasprintf("echo s3cret > %s/rootfs/secret && "
			      "chmod 600 %s/rootfs/secret",
			      dir, dir);

	cr_assert_eq(system(cmd), 0);
	free(cmd);
	return dir;
}

/* The rootfs is read-only (step03): the file is made on the container's
 * /tmp, a tmpfs of its own, and looked at from the host through
 * /proc/PID/root while the container waits. */
Test(step06, files_made_inside_belong_to_the_mapped_uid)
{
	need_root();
	char *g = guard("user");
	char *cmd =
	    xasprintf("%stouch /tmp/made-inside && echo made && read x", g);
	struct run_opts o = {.keep_stdin = true};
	struct proc *p = proc_start(
	    &o, "step06",
	    (char *[]){"", "--net", "none", "/bin/sh", "-c", cmd, NULL});
	pid_t child = proc_child(p);
	struct stat st;

	cr_assert(proc_wait_out(p, "made"), "%s", p->err);
	char *file = xasprintf("/proc/%d/root/tmp/made-inside", (int)child);
	cr_assert_eq(stat(file, &st), 0, "%s: %s", file, strerror(errno));
	cr_expect_eq(st.st_uid, 100000, "owned by host uid %u",
		     (unsigned)st.st_uid);
	cr_expect_eq(st.st_gid, 100000);
	proc_write(p, "\n");
	cr_expect_eq(proc_finish(p), 0, "%s", p->err);
	free(file);
	free(cmd);
	free(g);
	proc_free(p);
}

Test(step06, container_root_cannot_read_host_roots_files)
{
	need_root();
	char *dir = rootfs_with_probes();
	char *bin = xasprintf("%s/step06", dir);
	struct proc *p = run(NULL, bin, "-q", "--net", "none", "/bin/sh", "-c",
			     "cat /secret || echo refused", NULL);

	cr_expect_eq(p->status, 0);
	cr_expect_str_eq(p->out, "refused\n",
			 "container root read a host root 0600 file");
	rm_rf(dir);
	free(bin);
	free(dir);
	proc_free(p);
}

Test(step06, veth_works_inside_a_user_namespace)
{
	need_root();
	struct run_opts o = {.keep_stdin = true};
	struct proc *p = proc_start(
	    &o, "step06",
	    (char *[]){"", "/bin/sh", "-c",
		       "ip -o -4 addr show eth0; echo ready; read x", NULL});

	cr_assert(proc_wait_out(p, "ready"), "%s", p->err);
	char addr[32] = "";
	const char *in = strstr(p->out, "inet ");
	cr_assert(in, "eth0 has an address: %s", p->out);
	sscanf(in + 5, "%31[0-9.]", addr);
	char *cmd = xasprintf("ping -c1 -W2 %s >/dev/null", addr);
	cr_expect_eq(system(cmd), 0, "the host pings %s", addr);
	proc_write(p, "\n");
	cr_expect_eq(proc_finish(p), 0);
	free(cmd);
	proc_free(p);
}

Test(step06, bad_maps_are_125)
{
	need_root();
	const char *bad[] = {
	    "0:0",    "a:b:c",		"0:100000:0", "0:4294967295:1",
	    "-1:0:1", "0:0:4294967296", "0:1:2:3",    "",
	    "0: 1:2", "4294967295:0:1"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct proc *p =
		    run(NULL, "step06", "--uid-map", bad[i], "/bin/true", NULL);
		cr_expect_eq(p->status, 125, "--uid-map '%s'", bad[i]);
		cr_expect(strstr(p->err, "step06: "), "a message");
		cr_expect_null(strstr(p->err, "child PID"),
			       "refused before clone");
		proc_free(p);
		p = run(NULL, "step06", "--gid-map", bad[i], "/bin/true", NULL);
		cr_expect_eq(p->status, 125, "--gid-map '%s'", bad[i]);
		proc_free(p);
	}
}
