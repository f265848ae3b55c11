/*
 * step09 — a seccomp filter closes the nested-namespace hole. What a person
 * checks: inside the container, the calls no capability check stops first
 * (a new user namespace by unshare or clone, the keyring, file handles, a
 * dangerous persona) fail with EPERM, `unshare -Urm` fails and so does the
 * nested mount of CVE-2022-0492's first half; PID 1 is filtered, with --init
 * too; everyday busybox still works; set_ns into the container gets the same
 * filter; --seccomp=unconfined gives the calls back.
 *
 * The calls are made by tests/helpers/sysprobe (built static by the
 * Makefile), copied into a copy of the rootfs: it only ever runs inside a
 * container. Every test uses step09's default, no new option (unconfined
 * aside), so each fails against step08's binary because the call goes
 * through there. The filter's every entry, the other ABIs and the number
 * ceiling are checked in tests/test_step09_filter.c.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(step09, .timeout = 60);

/* What sysprobe prints, one line each; step08 answers otherwise. */
static const char *const probes[] = {
    "unshare(CLONE_NEWUSER)",
    "clone(CLONE_NEWUSER)",
    "keyctl",
    "add_key",
    "name_to_handle_at",
    "personality(ADDR_NO_RANDOMIZE)",
    "nested cgroup v1 mount",
};

static void expect_all(const char *out, const char *result)
{
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		char *line = xasprintf("%s: %s\n", probes[i], result);

		cr_expect(strstr(out, line), "expected \"%s: %s\" in:\n%s",
			  probes[i], result, out);
		free(line);
	}
}

/* A copy of the rootfs with /sysprobe in it; *ROOT is its path. */
static char *probe_copy(char **root)
{
	char *dir = copy_with_helper("step09", "sysprobe");

	*root = xasprintf("%s/rootfs", dir);
	return dir;
}

/* Run SCRIPT in a step09 container on ROOT (--net none), after EXTRA. */
static struct proc *inside(const char *root, const char *extra,
			   const char *script)
{
	if (extra)
		return run(NULL, "step09", "-q", "--net", "none", "--rootfs",
			   root, extra, "--", "/bin/sh", "-c", script, NULL);
	return run(NULL, "step09", "-q", "--net", "none", "--rootfs", root,
		   "--", "/bin/sh", "-c", script, NULL);
}

Test(step09, calls_no_capability_stops_fail_with_eperm)
{
	need_root();
	char *root, *dir = probe_copy(&root);
	char *g = guard("user");
	char *script = xasprintf("%sexec /sysprobe", g);
	struct proc *p = inside(root, NULL, script);

	expect_status(p, 0);
	expect_all(p->out, "EPERM");
	proc_free(p);
	rm_rf(dir);
	free(script);
	free(g);
	free(root);
	free(dir);
}

Test(step09, unconfined_gives_the_calls_back)
{
	need_root();
	char *root, *dir = probe_copy(&root);
	char *g = guard("user");
	char *script = xasprintf(
	    "%sgrep '^Seccomp:' /proc/self/status; exec /sysprobe", g);
	struct proc *p = inside(root, "--seccomp=unconfined", script);

	expect_status(p, 0);
	cr_expect(strstr(p->out, "Seccomp:\t0\n"), "%s", p->out);
	cr_expect(strstr(p->out, "unshare(CLONE_NEWUSER): ok\n"), "%s", p->out);
	cr_expect(strstr(p->out, "clone(CLONE_NEWUSER): ok\n"), "%s", p->out);
	cr_expect_null(strstr(p->out, "EPERM"), "%s", p->out);
	proc_free(p);
	rm_rf(dir);
	free(script);
	free(g);
	free(root);
	free(dir);
}

/* busybox's unshare: a new user namespace, root in it, a mount namespace.
 * Nothing is changed by `true`. */
Test(step09, unshare_Urm_fails_inside)
{
	need_root();
	struct proc *p = run(NULL, "step09", "-q", "--net", "none", "--",
			     "unshare", "-Urm", "true", NULL);

	cr_expect_neq(p->status, 0, "unshare -Urm true succeeded inside");
	cr_expect(strstr(p->err, "Operation not permitted"), "%s", p->err);
	proc_free(p);
}

/* The first half of CVE-2022-0492: root of a nested user namespace mounts
 * a file system. Guarded: the mount happens only in a new mount namespace
 * of the container's. */
Test(step09, a_nested_mount_is_refused)
{
	need_root();
	char *g = guard("mnt");
	char *script =
	    xasprintf("%sunshare -Urm sh -c 'mount -t tmpfs nested /tmp && "
		      "echo MOUNTED'; echo rc=$?",
		      g);
	struct proc *p = run(NULL, "step09", "-q", "--net", "none", "--",
			     "/bin/sh", "-c", script, NULL);

	expect_status(p, 0);
	cr_expect_null(strstr(p->out, "MOUNTED"), "the nested mount worked");
	cr_expect_null(strstr(p->out, "rc=0"), "%s", p->out);
	proc_free(p);
	free(script);
	free(g);
}

/* /proc/PID/status: Seccomp 2 is "filter mode". With --init, PID 1 is the
 * runtime's own init, filtered before it forks COMMAND. */
Test(step09, pid_1_runs_under_the_filter_with_or_without_init)
{
	need_root();
	struct proc *p =
	    run(NULL, "step09", "-q", "--net", "none", "--", "grep", "-E",
		"^Seccomp(_filters)?:", "/proc/1/status", NULL);

	expect_status(p, 0);
	cr_expect_str_eq(p->out, "Seccomp:\t2\nSeccomp_filters:\t1\n");
	proc_free(p);
	p = run(NULL, "step09", "-q", "--init", "--net", "none", "--", "sh",
		"-c", "grep ^Seccomp: /proc/1/status /proc/self/status", NULL);
	expect_status(p, 0);
	cr_expect_str_eq(p->out, "/proc/1/status:Seccomp:\t2\n"
				 "/proc/self/status:Seccomp:\t2\n");
	proc_free(p);
}

/* -v shows the program: the ABI check first, the returns last. */
Test(step09, verbose_prints_the_program)
{
	need_root();
	struct proc *p = run(NULL, "step09", "-v", "-q", "--net", "none", "--",
			     "true", NULL);

	expect_status(p, 0);
	cr_expect(strstr(p->err, "instructions of classic BPF"), "%s", p->err);
	cr_expect(strstr(p->err, "seccomp   0: ld   [4]"), "%s", p->err);
	cr_expect(strstr(p->err, "ret  ERRNO(EPERM)"), "%s", p->err);
	cr_expect(strstr(p->err, "ret  ERRNO(ENOSYS)"), "%s", p->err);
	proc_free(p);
}

/* Everyday busybox under the filter: files, processes, an archive, the
 * mount table, ping and wget to the veth's host end, where the test serves
 * a file (bound to that address only) once the container said which. */
Test(step09, everyday_busybox_works, .timeout = 90)
{
	need_root();
	if (access("/bin/busybox", X_OK) != 0)
		skip_env("no /bin/busybox on the host to serve a file");
	char www[] = "/tmp/nsw-test-www-XXXXXX";
	cr_assert_not_null(mkdtemp(www));
	chmod(www, 0755);
	char *file = xasprintf("%s/hello.txt", www);
	FILE *f = fopen(file, "we");
	cr_assert_not_null(f);
	fputs("served-to-the-container\n", f);
	fclose(f);
	int port = 20000 + (int)(getpid() % 20000);
	char *g = guard("mnt");
	char *script = xasprintf(
	    "set -e; gw=$(ip route | awk '/^default/ { print $3 }'); "
	    "echo \"gw=$gw end\"; read go; %s"
	    "ls / >/dev/null; ps >/dev/null; top -bn1 >/dev/null; "
	    "mkdir /tmp/t; echo data > /tmp/t/f; cp /tmp/t/f /tmp/t/g; "
	    "tar -C /tmp -cf /tmp/t.tar t; tar -tf /tmp/t.tar | grep -q t/g; "
	    "mount | grep -q ' on / '; ping -c1 -W2 \"$gw\" >/dev/null; "
	    "wget -q -O- \"http://$gw:%d/hello.txt\"; echo ALL-OK",
	    g, port);
	struct run_opts o = {.keep_stdin = true, .timeout = 60};
	struct proc *p = proc_start(
	    &o, "step09",
	    (char *[]){"", "-q", "--", "/bin/sh", "-c", script, NULL});

	char gw[64] = "";

	cr_assert(proc_wait_out(p, " end"), "no gateway: %s", p->err);
	cr_assert_eq(sscanf(strstr(p->out, "gw="), "gw=%63s", gw), 1);
	char *bind = xasprintf("%s:%d", gw, port);
	struct proc *httpd = proc_start(
	    NULL, "/bin/busybox",
	    (char *[]){"", "httpd", "-f", "-p", bind, "-h", www, NULL});

	usleep(200000);
	proc_write(p, "go\n");
	proc_finish(p);
	expect_status(p, 0, "%s\n%s", p->out, p->err);
	cr_expect(strstr(p->out, "served-to-the-container\nALL-OK\n"), "%s\n%s",
		  p->out, p->err);
	proc_kill(httpd, SIGKILL);
	proc_finish(httpd);
	proc_free(httpd);
	proc_free(p);
	unlink(file);
	rmdir(www);
	free(bind);
	free(file);
	free(script);
	free(g);
}

/* A step09 container whose PID 1 waits on its stdin; EXTRA: one more
 * option (--name N, --seccomp=...), before --. *CHILD: its host PID. */
static struct proc *target(const char *root, const char *extra,
			   const char *extra2, pid_t *child)
{
	struct run_opts o = {.keep_stdin = true};
	char *argv[16] = {"", "--net", "none"};
	int n = 3;

	if (root) {
		argv[n++] = "--rootfs";
		argv[n++] = (char *)root;
	}
	if (extra)
		argv[n++] = (char *)extra;
	if (extra2)
		argv[n++] = (char *)extra2;
	argv[n++] = "--";
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = "echo ready; read x";
	struct proc *t = proc_start(&o, "step09", argv);

	cr_assert(proc_wait_out(t, "ready"), "%s", t->err);
	*child = proc_child(t);
	cr_assert_gt(*child, 0, "%s", t->err);
	return t;
}

static void target_end(struct proc *t)
{
	proc_write(t, "\n");
	proc_finish(t);
	proc_free(t);
}

/* RELIABILITY rows 29 and 30 through docker exec: set_ns gives the joined
 * process the container's filter, so the calls fail there too. */
Test(step09, set_ns_applies_the_containers_filter)
{
	need_root();
	char *root, *dir = probe_copy(&root);
	pid_t child;
	struct proc *t = target(root, NULL, NULL, &child);
	char *pid = xasprintf("%d", (int)child);
	char *g = guard("user");
	char *script = xasprintf(
	    "%sgrep '^Seccomp:' /proc/self/status; exec /sysprobe", g);
	struct proc *p =
	    run(NULL, "set_ns", "-q", "-t", pid, "sh", "-c", script, NULL);

	expect_status(p, 0);
	cr_expect(strstr(p->out, "Seccomp:\t2\n"), "%s", p->out);
	expect_all(p->out, "EPERM");
	proc_free(p);
	p = run(NULL, "set_ns", "-q", "-t", pid, "unshare", "-Urm", "true",
		NULL);
	cr_expect_neq(p->status, 0, "unshare -Urm through set_ns");
	cr_expect(strstr(p->err, "Operation not permitted"), "%s", p->err);
	proc_free(p);
	target_end(t);
	rm_rf(dir);
	free(script);
	free(g);
	free(pid);
	free(root);
	free(dir);
}

/* The record says which filter (/proc/PID/status says only whether):
 * seccomp=default or seccomp=unconfined, and set_ns --name follows it. */
Test(step09, the_record_names_the_filter)
{
	need_root();
	const char *profiles[] = {"default", "unconfined"};
	const char *modes[] = {"Seccomp:\t2\n", "Seccomp:\t0\n"};

	for (int i = 0; i < 2; i++) {
		char *name = xasprintf("nsw-t9-%d-%d", (int)getpid(), i);
		char *opt = xasprintf("--seccomp=%s", profiles[i]);
		char *name_opt = xasprintf("--name=%s", name);
		pid_t child;
		struct proc *t = target(NULL, opt, name_opt, &child);
		char *path = xasprintf("/run/nsworkshop/%s.state", name);
		char *record = NULL,
		     *line = xasprintf("\nseccomp=%s\n", profiles[i]);

		for (int tries = 0; tries < 100; tries++) {
			free(record);
			record = read_text(path);
			if (record && strstr(record, "\npid="))
				break;
			usleep(20000);
		}
		cr_expect(record && strstr(record, line), "%s: %s", path,
			  record);
		struct proc *p =
		    run(NULL, "set_ns", "-q", "--name", name, "grep",
			"^Seccomp:", "/proc/self/status", NULL);
		cr_expect_str_eq(p->out, modes[i], "set_ns --name, %s: %s",
				 profiles[i], p->err);
		proc_free(p);
		target_end(t);
		free(record);
		free(line);
		free(path);
		free(name_opt);
		free(opt);
		free(name);
	}
}
