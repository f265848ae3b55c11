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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	const char *t = strstr(p->out, "/tmp/nsw-demo-");
	cr_expect_not_null(t, "the demo names its temporary directory");
	if (t) {
		char dir[64];

		snprintf(dir, sizeof(dir), "%.*s",
			 (int)strlen("/tmp/nsw-demo-XXXXXX"), t);
		cr_expect(access(dir, F_OK) != 0, "%s left behind", dir);
	}
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
