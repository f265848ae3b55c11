/*
 * demo — `sudo make demo` and `make doctor`, run as a new user would.
 *
 * scripts/demo.sh runs non-interactively (stdin /dev/null) against the
 * binaries in STEPS_DIR and must show the facts it promises — PID 1 inside
 * and the host's PID, the rootfs, the hostname, a ping over the veth, uid 0
 * inside and 100000 / 65534 outside, set_ns joining a named container — and
 * leave nothing behind. The scripts live in the repository: the suite runs
 * from its root, as `make test` does. Fails on step06's binaries (no
 * step07, no set_ns): the demo stops at once.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(demo, .timeout = 120);

static void need_script(const char *path)
{
	if (access(path, R_OK) != 0)
		cr_assert_fail(
		    "%s not found: run the suite from the repository "
		    "root (make test)",
		    path);
}

/* Every number that follows PREFIX in S, up to MAX; returns the count. */
static int numbers_after(const char *s, const char *prefix, long *out, int max)
{
	int n = 0;

	for (const char *m = s; n < max && (m = strstr(m, prefix));) {
		m += strlen(prefix);
		if (isdigit((unsigned char)*m))
			out[n++] = strtol(m, NULL, 10);
	}
	return n;
}

static void expect_in(const char *out, const char *fact, const char *why)
{
	cr_expect(strstr(out, fact), "%s: no \"%s\" in the demo's output", why,
		  fact);
}

/* The demo names its temporary directory, DIR/nsw-demo-XXXXXX: gone now. */
static void expect_tmp_removed(const char *out)
{
	const char *t = strstr(out, "/nsw-demo-");
	const char *start = t;

	cr_expect_not_null(t, "the demo names its temporary directory");
	if (!t)
		return;
	while (start > out && start[-1] != ' ' && start[-1] != '\n')
		start--;
	char *dir = xasprintf("%.*s", (int)(t - start) + 17, start);

	cr_expect(access(dir, F_OK) != 0, "%s left behind", dir);
	free(dir);
}

Test(demo, tours_the_container_and_leaves_nothing_behind)
{
	need_root();
	need_script("scripts/demo.sh");
	char *name = xasprintf("demo-t%d", (int)getpid());
	char host_before[256] = "", host_after[256] = "";

	gethostname(host_before, sizeof(host_before) - 1);
	setenv("DEMO_NAME", name, 1);
	setenv("NO_COLOR", "1", 1);
	struct run_opts o = {.timeout = 60};
	struct proc *p = run(&o, "/bin/sh", "scripts/demo.sh", NULL);

	cr_assert_eq(p->status, 0, "the demo failed (status %d): %s", p->status,
		     p->err);

	/* 1. PID: 1 inside, and the host's PID in NSpid */
	expect_in(p->out, "sh -c 'echo $$; ps'\n1\n", "echo $$ inside");
	expect_in(p->out, "PID inside: 1\n", "the background container");
	long child[16];
	int nchild =
	    numbers_after(p->out, "step07: child PID on host: ", child, 16);
	cr_assert_geq(nchild, 1, "no 'child PID on host' line");
	char *nspid = xasprintf("NSpid:\t%ld\t1\n", child[0]);
	expect_in(p->out, nspid, "the host's view of PID 1");
	/* 2. rootfs */
	expect_in(p->out, "/ ext4", "mountinfo inside");
	/* 3. hostname */
	expect_in(p->out, "--hostname demo hostname\ndemo\n",
		  "hostname inside");
	/* 4. the veth ping */
	expect_in(p->out, " 1 received, 0% packet loss", "ping over the veth");
	/* 5. uid 0 inside, 100000 (root) and 65534 (rootless) outside */
	expect_in(p->out, "uid=0(root)", "id inside");
	expect_in(p->out, "         0     100000      65536\n",
		  "uid_map as root");
	expect_in(p->out, "Uid:\t100000\t100000\t100000\t100000\n",
		  "the host's uid as root");
	expect_in(p->out, "         0      65534          1\n",
		  "uid_map rootless");
	expect_in(p->out, "Uid:\t65534\t65534\t65534\t65534\n",
		  "the host's uid rootless");
	/* 6. set_ns */
	expect_in(p->out, "/ns/uts hostname\nweb\n", "set_ns joins the UTS ns");
	expect_in(p->out, "\n    1 root     sleep 30\n",
		  "set_ns -a ps sees the container's PID 1");
	/* 7. no terminal, no shell */
	expect_in(p->out,
		  "(stdin is not a terminal: skipping the interactive shell)",
		  "the non-interactive ending");

	/* Nothing left: processes, links, the record, the temporary dir. */
	gethostname(host_after, sizeof(host_after) - 1);
	cr_expect_str_eq(host_after, host_before, "the host was renamed");
	long killed[16];
	int nkilled = numbers_after(p->out, "$ kill -KILL ", killed, 16);
	cr_expect_eq(nkilled, 2, "two detached containers stopped");
	for (int i = 0; i < nchild + nkilled; i++) {
		long pid = i < nchild ? child[i] : killed[i - nchild];
		char ifname[32];

		cr_expect(wait_gone((pid_t)pid, 2), "container %ld still runs",
			  pid);
		snprintf(ifname, sizeof(ifname), "nsw%ld", pid);
		cr_expect(!link_exists(ifname), "link %s left behind", ifname);
	}
	long links[16];
	int nlinks = numbers_after(p->out, "nsw", links, 16);
	cr_expect_geq(nlinks, 1, "the demo shows the host's veth end");
	for (int i = 0; i < nlinks; i++) {
		char ifname[32];

		snprintf(ifname, sizeof(ifname), "nsw%ld", links[i]);
		cr_expect(!link_exists(ifname), "link %s left behind", ifname);
	}
	char *record = xasprintf("/run/nsworkshop/%s.state", name);
	cr_expect(access(record, F_OK) != 0, "%s left behind", record);
	expect_tmp_removed(p->out);
	free(record);
	free(nspid);
	free(name);
	proc_free(p);
}

Test(demo, doctor_reports_each_namespace_and_the_cgroups)
{
	static const char *const ns[] = {"cgroup", "ipc",  "mnt",  "net",
					 "pid",	   "time", "user", "uts"};
	static const char *const needed[] = {"ipc", "mnt",  "net",
					     "pid", "user", "uts"};

	need_script("scripts/doctor.sh");
	setenv("NO_COLOR", "1", 1);
	struct proc *p = run(NULL, "/bin/sh", "scripts/doctor.sh", NULL);

	cr_expect_eq(p->status, 0, "doctor: not ready (status %d)", p->status);
	for (size_t i = 0; i < sizeof(ns) / sizeof(*ns); i++) {
		char *label = xasprintf("  namespace %s ", ns[i]);

		expect_in(p->out, label, "one line per namespace type");
		free(label);
	}
	for (size_t i = 0; i < sizeof(needed) / sizeof(*needed); i++) {
		char *line = xasprintf("\nok    namespace %s ", needed[i]);

		expect_in(p->out, line, "a namespace the steps need");
		free(line);
	}
	const char *cg = strstr(p->out, "  cgroup  ");
	cr_expect_not_null(cg, "a cgroup line: %s", p->out);
	if (cg) {
		const char *eol = strchr(cg, '\n');
		char *line = strndup(cg, eol ? (size_t)(eol - cg) : strlen(cg));

		cr_expect(strstr(line, "v2") || strstr(line, "v1") ||
			      strstr(line, "hybrid") ||
			      strstr(line, "no cgroup"),
			  "the cgroup line names the layout: %s", line);
		free(line);
	}
	expect_in(p->out, "doctor: ready", "the summary");
	proc_free(p);

	/* --quiet: the problems only, never an ok line */
	p = run(NULL, "/bin/sh", "scripts/doctor.sh", "--quiet", NULL);
	cr_expect_eq(p->status, 0);
	cr_expect_null(strstr(p->out, "ok  "), "--quiet printed: %s", p->out);
	proc_free(p);
}

/*
 * A hardened /tmp is mounted noexec. The demo runs a copy of step07 as
 * nobody for its rootless part: it must pick a directory where that works,
 * and say which. The test makes TMPDIR and /tmp noexec tmpfs mounts in a
 * private mount namespace of its own (the host's /tmp is untouched); with
 * /var/tmp and /dev/shm noexec too, the demo must say that none works and
 * skip only the rootless part.
 */
/* These tests cover /tmp (and more) with noexec tmpfs mounts in a private
 * mount namespace: a checkout that lives there would vanish behind them. */
static void need_checkout_outside(const char *dirs)
{
	char cwd[PATH_MAX];
	const char *steps = getenv("STEPS_DIR");

	if (!getcwd(cwd, sizeof(cwd)))
		return;
	for (const char *d = dirs; *d;) {
		size_t n = strcspn(d, " ");

		if ((strncmp(cwd, d, n) == 0 && (!cwd[n] || cwd[n] == '/')) ||
		    (steps && strncmp(steps, d, n) == 0 &&
		     (!steps[n] || steps[n] == '/')))
			skip_env("the checkout is under a directory this test "
				 "hides behind a noexec tmpfs");
		d += n;
		d += strspn(d, " ");
	}
}

static struct proc *demo_with_noexec(const char *mounts, const char *tmpdir)
{
	need_checkout_outside(mounts);
	char *script = xasprintf(
	    "for d in %s; do mount -t tmpfs -o noexec,mode=1777 nsw-noexec "
	    "\"$d\" || exit 98; done; TMPDIR=%s exec sh scripts/demo.sh",
	    mounts, tmpdir);
	struct run_opts o = {.timeout = 60};
	struct proc *p = run(&o, "/usr/bin/unshare", "--mount", "--propagation",
			     "private", "/bin/sh", "-c", script, NULL);

	free(script);
	return p;
}

Test(demo, picks_a_directory_where_nobody_may_execute)
{
	need_root();
	need_script("scripts/demo.sh");
	char tmpdir[] = "/var/tmp/nsw-demo-tmpdir-XXXXXX";

	cr_assert_not_null(mkdtemp(tmpdir), "%s", strerror(errno));
	char *name = xasprintf("demo-nx%d", (int)getpid());
	setenv("DEMO_NAME", name, 1);
	setenv("NO_COLOR", "1", 1);
	char *mounts = xasprintf("%s /tmp", tmpdir);
	struct proc *p = demo_with_noexec(mounts, tmpdir);

	rmdir(tmpdir);
	cr_assert_eq(p->status, 0, "the demo failed (status %d): %s%s",
		     p->status, p->out, p->err);
	char *said = xasprintf("may not execute in %s /tmp)", tmpdir);
	expect_in(p->out, said, "says which directories it passed over");
	expect_in(p->out, "(temporary files in /var/tmp/nsw-demo-",
		  "picked /var/tmp");
	expect_in(p->out, "         0      65534          1\n",
		  "the rootless part ran");
	expect_in(p->out, "Uid:\t65534\t65534\t65534\t65534\n",
		  "the host's uid rootless");
	expect_tmp_removed(p->out);
	free(said);
	proc_free(p);

	/* Nowhere to execute: the rootless part is skipped, and says why. */
	p = demo_with_noexec("/tmp /var/tmp /dev/shm", "/tmp");
	cr_assert_eq(p->status, 0, "the demo failed (status %d): %s%s",
		     p->status, p->out, p->err);
	expect_in(p->out,
		  "(skipped: uid 65534 may execute in none of: /tmp /tmp "
		  "/var/tmp /dev/shm",
		  "names every directory it tried");
	cr_expect_null(strstr(p->out, "Uid:\t65534"), "no rootless part");
	expect_in(p->out, "/ns/uts hostname\nweb\n", "the rest of the tour");
	free(mounts);
	free(name);
	proc_free(p);
}

/* A fake /proc/sys tree with these sysctls ("kernel/x=1 user/y=0"), and a
 * copy of the doctor in a checkout at DIR/home/ws (home: 0750, uid 12345,
 * a Ubuntu home directory). Returns DIR. */
static char *fake_machine(const char *sysctls)
{
	char tmpl[] = "/var/tmp/nsw-doctor-XXXXXX", cwd[4096];
	char *dir = mkdtemp(tmpl);

	cr_assert_not_null(dir, "mkdtemp: %s", strerror(errno));
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	char *cmd = xasprintf(
	    "set -e; cd %s; chmod 755 .; mkdir -p home/ws/scripts "
	    "home/ws/rootfs; for kv in %s; do mkdir -p \"sys/${kv%%/*}\"; "
	    "echo \"${kv#*=}\" > \"sys/${kv%%=*}\"; done; "
	    "cp '%s/scripts/doctor.sh' home/ws/scripts/; "
	    "chown -R 12345:12345 home; chmod 750 home",
	    dir, sysctls, cwd);

	cr_assert_eq(system(cmd), 0, "%s", cmd);
	free(cmd);
	return strdup(dir);
}

/* The doctor's line about WHAT (its second column), or "". */
static char *doctor_line(const char *out, const char *what)
{
	char *key = xasprintf("  %s ", what);
	const char *l = strstr(out, key);
	const char *eol;

	free(key);
	if (!l)
		return strdup("");
	while (l > out && l[-1] != '\n')
		l--;
	/* the line and its fix, when one follows */
	eol = strchr(l, '\n');
	if (eol && strncmp(eol + 1, "      ", 6) == 0)
		eol = strchr(eol + 1, '\n');
	return strndup(l, eol ? (size_t)(eol - l) : strlen(l));
}

Test(demo, doctor_explains_ubuntus_apparmor_restriction)
{
	need_root();
	char *m = fake_machine("kernel/apparmor_restrict_unprivileged_userns=1 "
			       "user/max_user_namespaces=63000");
	char *doctor = xasprintf("%s/home/ws/scripts/doctor.sh", m);
	char *sys = xasprintf("%s/sys", m);

	setenv("DOCTOR_PROC_SYS", sys, 1);
	setenv("NO_COLOR", "1", 1);
	/* as root: every step works; rootless runs do not */
	struct proc *p = run(NULL, "/bin/sh", doctor, NULL);
	char *l = doctor_line(p->out, "apparmor_userns");

	cr_expect_eq(p->status, 0, "root can run every step: %s", p->out);
	cr_expect(strncmp(l, "warn", 4) == 0, "a warning for root: %s", l);
	cr_expect(strstr(l, "as root every step works") &&
		      strstr(l, "rootless runs"),
		  "what works as root and what does not rootless: %s", l);
	cr_expect(strstr(l, "apparmor_restrict_unprivileged_userns=0"),
		  "the fix: %s", l);
	free(l);
	proc_free(p);
	/* as the user: a FAIL, status 1 (a world-readable copy: nobody
	 * cannot read the home directory's) */
	char *copy = xasprintf("%s/doctor.sh", m);
	char *cmd = xasprintf("cp %s %s && chmod 755 %s", doctor, copy, copy);
	cr_assert_eq(system(cmd), 0);
	struct run_opts o = {.uid = 65534, .dir = "/"};
	p = run(&o, "/bin/sh", copy, NULL);
	l = doctor_line(p->out, "apparmor_userns");
	cr_expect_eq(p->status, 1, "essential for a rootless user: %s", p->out);
	cr_expect(strncmp(l, "FAIL", 4) == 0, "a FAIL for the user: %s", l);
	free(l);
	proc_free(p);
	/* Without the sysctl (Debian), no such line at all. */
	unsetenv("DOCTOR_PROC_SYS");
	p = run(NULL, "/bin/sh", doctor, NULL);
	cr_expect_null(
	    strstr(p->out, "apparmor_restrict_unprivileged_userns=1"), "%s",
	    p->out);
	proc_free(p);
	rm_rf(m);
	free(cmd);
	free(copy);
	free(sys);
	free(doctor);
	free(m);
}

Test(demo, doctor_checks_that_the_checkout_is_reachable)
{
	need_root();
	char *m = fake_machine("kernel/unprivileged_userns_clone=1");
	char *doctor = xasprintf("%s/home/ws/scripts/doctor.sh", m);
	char *sys = xasprintf("%s/sys", m);
	char *home = xasprintf("%s/home (owner 12345, mode 750)", m);

	setenv("DOCTOR_PROC_SYS", sys, 1);
	setenv("NO_COLOR", "1", 1);
	/* Linux >= 5.2: the runtime takes rootfs/ with open_tree; the owner
	 * reaches its own checkout rootless. */
	struct proc *p = run(NULL, "/bin/sh", doctor, NULL);
	char *root = doctor_line(p->out, "path as root");
	char *rl = doctor_line(p->out, "path rootless");

	cr_expect(strncmp(root, "ok", 2) == 0 && strstr(root, home) &&
		      strstr(root, "open_tree"),
		  "names the closed directory and why it works: %s", root);
	cr_expect(strncmp(rl, "ok", 2) == 0 && strstr(rl, "uid 12345"),
		  "the owner's rootless runs work: %s", rl);
	free(root);
	free(rl);
	proc_free(p);
	/* Before 5.2, root cannot cross the home directory from inside its
	 * user namespace; and nobody, rootless, never can. */
	setenv("DOCTOR_KERNEL", "5.1.0", 1);
	setenv("SUDO_UID", "65534", 1);
	p = run(NULL, "/bin/sh", doctor, NULL);
	root = doctor_line(p->out, "path as root");
	rl = doctor_line(p->out, "path rootless");
	cr_expect_eq(p->status, 1, "essential as root: %s", p->out);
	cr_expect(strncmp(root, "FAIL", 4) == 0 && strstr(root, home) &&
		      strstr(root, "fix: move the checkout"),
		  "says what to do: %s", root);
	cr_expect(strncmp(rl, "warn", 4) == 0 && strstr(rl, home) &&
		      strstr(rl, "uid 65534") && strstr(rl, "fix: "),
		  "nobody's rootless runs fail, and what to do: %s", rl);
	unsetenv("DOCTOR_KERNEL");
	unsetenv("SUDO_UID");
	unsetenv("DOCTOR_PROC_SYS");
	rm_rf(m);
	free(root);
	free(rl);
	free(home);
	free(sys);
	free(doctor);
	free(m);
	proc_free(p);
}

Test(demo, deps_without_apt_prints_what_to_install)
{
	need_script("scripts/deps.sh");
	static const char *const os[][3] = {
	    {"fedora", "sudo dnf install -y ", "criterion-devel"},
	    {"arch", "sudo pacman -S --needed ", "criterion"},
	};

	for (size_t i = 0; i < 2; i++) {
		setenv("DEPS_OS", os[i][0], 1);
		struct proc *p =
		    run(NULL, "/bin/sh", "scripts/deps.sh", "install", NULL);

		cr_expect_eq(p->status, 1, "nothing installed on %s", os[i][0]);
		cr_expect(strstr(p->err, os[i][1]) &&
			      strstr(p->err, os[i][2]) &&
			      strstr(p->err, "busybox"),
			  "the command and the packages for %s: %s", os[i][0],
			  p->err);
		proc_free(p);
	}
	unsetenv("DEPS_OS");
}

Test(demo, mkrootfs_takes_busybox_from_the_environment)
{
	need_script("scripts/mkrootfs.sh");
	char tmpl[] = "/tmp/nsw-mkrootfs-XXXXXX";
	char *dir = mkdtemp(tmpl);

	cr_assert_not_null(dir);
	char *out = xasprintf("%s/rootfs", dir);
	char *bb = xasprintf("%s/bb", dir);
	char *cmd = xasprintf("cp /bin/busybox %s", bb);

	cr_assert_eq(system(cmd), 0, "%s", cmd);
	setenv("BUSYBOX", bb, 1);
	struct proc *p = run(NULL, "/bin/sh", "scripts/mkrootfs.sh", out, NULL);
	cr_expect_eq(p->status, 0, "%s", p->err);
	cr_expect(strstr(p->out, bb), "says which busybox: %s", p->out);
	char *sh = xasprintf("%s/bin/sh", out);
	cr_expect_eq(access(sh, X_OK), 0, "%s", sh);
	proc_free(p);
	/* a dynamic program is refused, with the way out */
	setenv("BUSYBOX", "/bin/ls", 1);
	char *out2 = xasprintf("%s/rootfs2", dir);
	p = run(NULL, "/bin/sh", "scripts/mkrootfs.sh", out2, NULL);
	cr_expect_eq(p->status, 1);
	cr_expect(strstr(p->err, "not a static executable") &&
		      strstr(p->err, "BUSYBOX="),
		  "%s", p->err);
	cr_expect_neq(access(out2, F_OK), 0, "nothing made");
	unsetenv("BUSYBOX");
	rm_rf(dir);
	free(out2);
	free(sh);
	free(cmd);
	free(bb);
	free(out);
	proc_free(p);
}

/* The rootless tests copy a step where uid 65534 may execute it: with /tmp
 * mounted noexec (in a private mount namespace of this test), one of them
 * still passes, from /var/tmp. */
Test(demo, rootless_tests_run_when_tmp_is_noexec)
{
	need_root();
	if (access("build/tests/suite", X_OK) != 0)
		skip_env(
		    "build/tests/suite not built here (make test does it)");
	need_checkout_outside("/tmp");
	struct run_opts o = {.timeout = 60};
	struct proc *p = run(
	    &o, "/usr/bin/unshare", "--mount", "--propagation", "private",
	    "/bin/sh", "-c",
	    "mount -t tmpfs -o noexec,mode=1777 nsw-noexec /tmp || exit 98; "
	    /* a clean environment: Criterion's own tells a worker apart */
	    "exec env -i PATH=\"$PATH\" STEPS_DIR=\"${STEPS_DIR-}\" "
	    "TMPDIR=/tmp build/tests/suite --jobs=1 --verbose "
	    "--filter='step06/rootless_uid_0_and_pid_1_inside'",
	    NULL);

	cr_expect_eq(p->status, 0, "%s", p->err);
	cr_expect(strstr(p->err, "Passing: 1 |"), "the test passed: %s",
		  p->err);
	proc_free(p);
}
