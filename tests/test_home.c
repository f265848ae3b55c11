/*
 * home — a checkout in a home directory, as a participant clones it: a
 * directory of mode 0750 (Ubuntu) or 0700 (Debian), owned by an
 * unprivileged user, who builds the steps there. From step06 on, root
 * inside a user namespace has no power over a directory whose owner the
 * namespace does not map: the runtime must take the rootfs before it
 * enters it.
 *
 * step06_home: step05 and step06 run as root, step06 rootless as the owner.
 * step07_home: step07 and step08 run as root, step07 rootless as the
 * owner, and set_ns joins a container started from there.
 * Both: the runtime's copy of the rootfs is made private before anything
 * is mounted on it, so a host whose / is shared (systemd) sees nothing.
 *
 * Fails on the step06-08 of before issue 16 ("mount MS_BIND(.../rootfs):
 * Permission denied").
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(step06_home, .timeout = 240);
TestSuite(step07_home, .timeout = 240);

#define OWNER 23456 /* an unprivileged uid, outside every default map */

/*
 * BASE/home (MODE, owned by OWNER)/ws: the sources of the steps NAMES
 * ("step05 step06") and what builds them, built there by OWNER. When
 * STEPS_DIR names other binaries (a student's, being graded), those and
 * their rootfs are copied there instead, owned by OWNER. Returns BASE.
 */
static char *home_checkout(mode_t mode, const char *names)
{
	char tmpl[] = "/var/tmp/nsw-home-XXXXXX", cwd[4096];
	char *base = mkdtemp(tmpl);
	const char *steps = getenv("STEPS_DIR");
	char *fill;

	cr_assert_not_null(base, "mkdtemp: %s", strerror(errno));
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));

	/* the command runs from BASE: an absolute STEPS_DIR */
	char *abs = steps && *steps ? realpath(steps, NULL) : NULL;

	if (abs && strcmp(abs, cwd) != 0)
		fill = xasprintf(
		    "for f in %s; do [ ! -x '%s'/$f ] || cp '%s'/$f home/ws/; "
		    "done; cp -a '%s'/rootfs/. home/ws/rootfs/; "
		    "chown -R %d:%d home",
		    names, abs, abs, abs, OWNER, OWNER);
	else
		/* set_ns is built from step07's directory */
		fill = xasprintf(
		    "cp '%s/Makefile' home/ws/; cp '%s/scripts/mkrootfs.sh' "
		    "home/ws/scripts/; t=rootfs; for f in %s; do "
		    "if [ \"$f\" != set_ns ]; then "
		    "d=$(ls -d '%s'/$f-* 2>/dev/null) || continue; "
		    /* a step is a directory with its main file: step10-overlay
		     * holds modules before step10.c lands (Makefile) */
		    "[ -f \"$d/$f.c\" ] || continue; "
		    "cp -r \"$d\" home/ws/; fi; t=\"$t $f\"; done; "
		    "chown -R %d:%d home; cd home/ws && "
		    "setpriv --reuid %d --regid %d --clear-groups env "
		    "HOME=/nonexistent make -s $t >build.log 2>&1 || "
		    "{ cat build.log; exit 1; }",
		    cwd, cwd, names, cwd, OWNER, OWNER, OWNER, OWNER);
	char *cmd = xasprintf("set -e; cd '%s'; chmod 755 .; "
			      "mkdir -p home/ws/scripts home/ws/rootfs; "
			      "chmod %o home; %s",
			      base, (unsigned)mode, fill);

	cr_assert_eq(system(cmd), 0, "the owner's checkout failed: %s", cmd);
	free(cmd);
	free(fill);
	free(abs);
	return strdup(base);
}

static char *ws_path(const char *base, const char *name)
{
	return xasprintf("%s/home/ws/%s", base, name);
}

/* Each of STEPS that the checkout has, as root. */
static void as_root(const char *base, const char *const *steps)
{
	int ran = 0;

	for (; *steps; steps++) {
		char *bin = ws_path(base, *steps);

		if (access(bin, X_OK) != 0) { /* graded: not every step */
			free(bin);
			continue;
		}
		struct proc *p = run(NULL, bin, "-q", "--net", "none",
				     "/bin/sh", "-c", "echo ran; id -u", NULL);

		expect_status(p, 0, "%s as root", *steps);
		cr_expect_str_eq(p->out, "ran\n0\n", "%s as root", *steps);
		ran++;
		free(bin);
		proc_free(p);
	}
	cr_expect_gt(ran, 0, "none of the steps is in the checkout");
}

/* STEP as the owner, from the checkout: rootless. */
static void rootless_as_the_owner(const char *base, const char *step)
{
	char *ws = ws_path(base, "");
	char *bin = ws_path(base, step);
	char *want = xasprintf("0\n         0      %d          1\n", OWNER);
	struct run_opts o = {.uid = OWNER, .gid = OWNER, .dir = ws};
	struct proc *p = run(&o, bin, "-q", "/bin/sh", "-c",
			     "id -u; cat /proc/self/uid_map", NULL);

	expect_status(p, 0, "%s rootless", step);
	cr_expect_str_eq(p->out, want, "%s rootless", step);
	proc_free(p);
	free(want);
	free(bin);
	free(ws);
}

/* A named container started from the checkout; set_ns joins it. */
static void set_ns_joins(const char *base)
{
	char *name = xasprintf("home-%d", (int)getpid());
	char *step07 = ws_path(base, "step07");
	char *set_ns = ws_path(base, "set_ns");
	struct run_opts o = {.keep_stdin = true};
	struct proc *c = proc_start(
	    &o, step07,
	    (char *[]){"", "-q", "--name", name, "--net", "none", "--hostname",
		       "athome", "/bin/sh", "-c", "echo ready; read x", NULL});

	cr_assert(proc_wait_out(c, "ready"), "started: %s", c->err);
	struct proc *e =
	    run(NULL, set_ns, "-q", "--name", name, "hostname", NULL);
	expect_status(e, 0);
	cr_expect_str_eq(e->out, "athome\n", "set_ns joined it");
	proc_write(c, "\n");
	expect_finish(c, 0);
	proc_free(e);
	proc_free(c);
	free(set_ns);
	free(step07);
	free(name);
}

static void step06_in_home(mode_t mode)
{
	static const char *const steps[] = {"step05", "step06", NULL};

	need_root();
	char *base = home_checkout(mode, "step05 step06");

	as_root(base, steps);
	rootless_as_the_owner(base, "step06");
	rm_rf(base);
	free(base);
}

static void step07_in_home(mode_t mode)
{
	static const char *const steps[] = {"step07", "step08", "step09",
					    "step10", NULL};

	need_root();
	char *base = home_checkout(mode, "step07 step08 step09 step10 set_ns");

	as_root(base, steps);
	rootless_as_the_owner(base, "step07");
	set_ns_joins(base);
	rm_rf(base);
	free(base);
}

Test(step06_home, a_checkout_in_a_0750_home_directory)
{
	step06_in_home(0750);
}

Test(step06_home, a_checkout_in_a_0700_home_directory)
{
	step06_in_home(0700);
}

Test(step07_home, a_checkout_in_a_0750_home_directory)
{
	step07_in_home(0750);
}

Test(step07_home, a_checkout_in_a_0700_home_directory)
{
	step07_in_home(0700);
}

/*
 * systemd makes / shared: a copy of a shared mount is a peer of it, and
 * whatever is mounted on a peer shows in every other. The runtime's copy
 * of the rootfs must be private before /proc, /dev... are mounted on it:
 * in a mount namespace of the test whose / is shared, nothing appears.
 */
static void shared_root_sees_nothing(const char *step)
{
	need_root();
	if (!have_step(step))
		skip_because("not built");
	char *bin = step_path(step);
	/* "during": once COMMAND runs, every mount is made */
	char *script = xasprintf(
	    "f=$(mktemp) || exit 98; before=$(wc -l </proc/self/mountinfo); "
	    "'%s' -q --net none sh -c 'echo up; sleep 1' >\"$f\" & "
	    "i=0; until grep -q up \"$f\" || [ $i -ge 200 ]; do "
	    "sleep 0.05; i=$((i + 1)); done; "
	    "during=$(wc -l </proc/self/mountinfo); wait; rm -f \"$f\"; "
	    "echo \"$before $during\"",
	    bin);
	struct proc *p =
	    run(NULL, "/usr/bin/unshare", "--mount", "--propagation", "shared",
		"/bin/sh", "-c", script, NULL);
	int before = -1, during = -2;

	cr_expect_eq(sscanf(p->out, "%d %d", &before, &during), 2, "%s: %s%s",
		     step, p->out, p->err);
	cr_expect_eq(before, during,
		     "%s: the container's mounts showed on a shared /", step);
	proc_free(p);
	free(script);
	free(bin);
}

Test(step06_home, a_shared_root_sees_nothing_of_the_container)
{
	shared_root_sees_nothing("step06");
}

Test(step07_home, a_shared_root_sees_nothing_of_the_container)
{
	shared_root_sees_nothing("step07");
	if (have_step("step08"))
		shared_root_sees_nothing("step08");
}
