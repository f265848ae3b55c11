/*
 * step10 — overlayfs: the image (the rootfs, --layer DIRs, an --image
 * tarball) stays read-only below, each container writes to a layer of its
 * own. Fails on step09's binary: there / is read-only and the options do
 * not exist.
 *
 * Every test runs on a COPY of rootfs/ (tree.h), never the repository's,
 * checks the copy byte for byte after the container changed its /, and
 * guards every change: a new mount namespace (guard) whose / shows the
 * copy's marker (tree_guard). Kept layers and images go to the store
 * (/var/lib/nsworkshop as root), under names unique to the test, removed
 * at the end.
 */
#include "harness.h"
#include "leaks.h"
#include "tree.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TestSuite(step10, .timeout = 120);
TestSuite(step10_keep, .timeout = 120);
TestSuite(step10_image, .timeout = 120);

#define STORE "/var/lib/nsworkshop"

static void need_step10(void)
{
	need_root();
	if (!have_step("step10"))
		skip_env("step10 is not built");
}

/* Guards for a command that changes /: a new mount namespace, the copy. */
static char *guarded(const char *cmd)
{
	char *g = guard("mnt"), *tg = tree_guard();
	char *s = xasprintf("%s%s%s", g, tg, cmd);

	free(tg);
	free(g);
	return s;
}

/* step10 -q --net none --rootfs DIR/rootfs [EXTRA...] /bin/sh -c CMD */
static struct proc *start10(const struct run_opts *o, const char *bin,
			    const char *dir, char *const extra[],
			    const char *cmd, bool wait)
{
	char *root = xasprintf("%s/rootfs", dir);
	char *argv[32];
	int n = 0;

	argv[n++] = "";
	argv[n++] = "-q";
	argv[n++] = "--net";
	argv[n++] = "none";
	argv[n++] = "--rootfs";
	argv[n++] = root;
	for (int i = 0; extra && extra[i] && n < 26; i++)
		argv[n++] = extra[i];
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = (char *)cmd;
	argv[n] = NULL;
	struct proc *p = wait ? runv(o, bin, argv) : proc_start(o, bin, argv);

	free(root);
	return p;
}

static struct proc *run10(const char *dir, char *const extra[], const char *cmd)
{
	char *g = guarded(cmd);
	struct proc *p = start10(NULL, "step10", dir, extra, g, true);

	free(g);
	return p;
}

static char *sum_of(const char *dir)
{
	char *root = xasprintf("%s/rootfs", dir);
	char *s = tree_sum(root);

	free(root);
	return s;
}

/* The layer tmpfs never shows in the host's mount table. */
static void expect_no_layer_on_host(void)
{
	char *m = mountinfo();

	cr_expect_null(strstr(m, "nsworkshop-layer"),
		       "a layer tmpfs is mounted on the host");
	cr_expect_null(strstr(m, "nsworkshop-overlay"),
		       "an overlay is mounted on the host");
	free(m);
}

/* ------------------------------------------------ copy-on-write --- */

Test(step10, writes_deletes_and_renames_inside_leave_the_image)
{
	need_step10();
	char *dir = tree_copy(0, 0), *before = sum_of(dir);
	struct proc *p =
	    run10(dir, NULL,
		  "echo new > /newfile && echo changed > /etc/hostname && "
		  "rm /bin/ls && mv /etc/passwd /etc/passwd2 && mkdir /d && "
		  "rm -r /root && mkdir /root && touch /root/again && "
		  "cat /newfile /etc/hostname && [ ! -e /bin/ls ] && "
		  "[ ! -e /etc/passwd ] && [ -e /etc/passwd2 ] && ls /root && "
		  "echo ok");
	char *after = sum_of(dir);

	cr_expect_eq(p->status, 0, "%s", p->err);
	cr_expect_str_eq(p->out, "new\nchanged\nagain\nok\n");
	cr_expect_str_eq(after, before, "the lower layer changed");
	expect_no_layer_on_host();
	rm_rf(dir);
	free(after);
	free(before);
	free(dir);
	proc_free(p);
}

/* What `rm` of a lower file leaves: a whiteout, a 0:0 character device,
 * in the upper layer. A kept layer's upper is a directory of the store,
 * where the host can look once the container is gone. */
Test(step10, rm_leaves_a_whiteout_in_the_upper_layer)
{
	need_step10();
	char *dir = tree_copy(0, 0);
	char *name = xasprintf("nsw10-wh-%d", (int)getpid());
	struct proc *p =
	    run10(dir, (char *[]){"--name", name, "--keep", NULL},
		  "rm /bin/ls && touch /made && mkdir /d && echo removed");
	char *wh = xasprintf(STORE "/layers/%s/upper/bin/ls", name);
	char *made = xasprintf(STORE "/layers/%s/upper/made", name);
	struct stat st;

	cr_expect_str_eq(p->out, "removed\n", "%s", p->err);
	cr_expect_eq(lstat(wh, &st), 0, "%s: %s", wh, strerror(errno));
	cr_expect(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
		  "not a 0:0 character device");
	cr_expect_eq(lstat(made, &st), 0, "%s: %s", made, strerror(errno));
	cr_expect_eq(st.st_uid, 100000,
		     "a new file belongs to container "
		     "root, host uid 100000");
	proc_free(p);
	p = run(NULL, "step10", "--rm-layer", name, NULL);
	cr_expect_eq(p->status, 0, "%s", p->err);
	rm_rf(dir);
	free(made);
	free(wh);
	free(name);
	free(dir);
	proc_free(p);
}

/* Under step06's default map (root is host uid 100000) the image of host
 * root's shows as root's inside (idmapped), and root may change it. */
Test(step10, container_root_owns_the_image_under_the_default_map)
{
	need_step10();
	char *dir = tree_copy(0, 0), *before = sum_of(dir);
	struct proc *p = run10(dir, NULL,
			       "stat -c %u:%g /etc/passwd && cat /proc/self/"
			       "uid_map && touch /x && echo c >> /etc/passwd "
			       "&& rm /etc/group && chmod 700 /bin && echo ok");
	char *after = sum_of(dir);

	cr_expect_eq(p->status, 0, "%s", p->err);
	cr_expect(strstr(p->out, "0:0\n"), "the image is not root's: %s",
		  p->out);
	cr_expect(strstr(p->out, "100000"), "not step06's default map");
	cr_expect(strstr(p->out, "ok\n"), "root cannot change /: %s", p->err);
	cr_expect_str_eq(after, before);
	rm_rf(dir);
	free(after);
	free(before);
	free(dir);
	proc_free(p);
}

Test(step10, two_containers_see_only_their_own_changes)
{
	need_step10();
	char *dir = tree_copy(0, 0), *before = sum_of(dir);
	char *ca = guarded("echo a > /mark-a && echo a-ready && read x && "
			   "[ ! -e /mark-b ] && cat /mark-a");
	char *cb = guarded("echo b > /mark-b && echo b-ready && read x && "
			   "[ ! -e /mark-a ] && cat /mark-b");
	struct run_opts o = {.keep_stdin = true};
	struct proc *a = start10(&o, "step10", dir, NULL, ca, false);
	struct proc *b = start10(&o, "step10", dir, NULL, cb, false);

	cr_assert(proc_wait_out(a, "a-ready"), "%s", a->err);
	cr_assert(proc_wait_out(b, "b-ready"), "%s", b->err);
	proc_write(a, "\n");
	proc_write(b, "\n");
	cr_expect_eq(proc_finish(a), 0, "%s", a->err);
	cr_expect_eq(proc_finish(b), 0, "%s", b->err);
	cr_expect_str_eq(a->out, "a-ready\na\n");
	cr_expect_str_eq(b->out, "b-ready\nb\n");
	char *after = sum_of(dir);
	cr_expect_str_eq(after, before);
	rm_rf(dir);
	free(after);
	free(before);
	free(cb);
	free(ca);
	free(dir);
	proc_free(a);
	proc_free(b);
}

/* --layer DIR, lowest first: a file of a higher layer hides the lower. */
Test(step10, layers_stack_in_order)
{
	need_step10();
	char *dir = tree_copy(0, 0);
	char *l1 = xasprintf("%s/l1", dir), *l2 = xasprintf("%s/l2", dir);
	char *mk = xasprintf("mkdir -p %s/etc %s/etc && echo one > %s/etc/motd "
			     "&& echo two > %s/etc/motd && echo x > %s/only1",
			     l1, l2, l1, l2, l1);

	cr_assert_eq(system(mk), 0);
	struct proc *p =
	    run10(dir, (char *[]){"--layer", l1, "--layer", l2, NULL},
		  "cat /etc/motd /only1 && echo w > /etc/motd");
	cr_expect_eq(p->status, 0, "%s", p->err);
	cr_expect_str_eq(p->out, "two\nx\n", "l2 is on top of l1");
	proc_free(p);
	p = run10(dir, (char *[]){"--layer", l2, "--layer", l1, NULL},
		  "cat /etc/motd");
	cr_expect_str_eq(p->out, "one\n", "l1 is on top of l2");
	char *motd = xasprintf("%s/etc/motd", l2), *text = read_text(motd);
	cr_expect_str_eq(text, "two\n", "a --layer changed");
	rm_rf(dir);
	free(text);
	free(motd);
	free(mk);
	free(l2);
	free(l1);
	free(dir);
	proc_free(p);
}

Test(step10, verbose_shows_lowerdir_upperdir_workdir)
{
	need_step10();
	char *dir = tree_copy(0, 0);
	struct proc *p = run10(dir, (char *[]){"-v", NULL}, "true");

	cr_expect_eq(p->status, 0, "%s", p->err);
	cr_expect(strstr(p->err, "lowerdir=") && strstr(p->err, "upperdir=") &&
		      strstr(p->err, "workdir="),
		  "-v: %s", p->err);
	rm_rf(dir);
	free(dir);
	proc_free(p);
}

/* set_ns joins the container's mount namespace: its layer, not the image. */
Test(step10, set_ns_sees_the_containers_layer)
{
	need_step10();
	char *dir = tree_copy(0, 0);
	char *name = xasprintf("nsw10-setns-%d", (int)getpid());
	char *cmd = guarded("echo inside > /made && echo ready && read x");
	struct run_opts o = {.keep_stdin = true};
	struct proc *p = start10(&o, "step10", dir,
				 (char *[]){"--name", name, NULL}, cmd, false);

	cr_assert(proc_wait_out(p, "ready"), "%s", p->err);
	struct proc *s =
	    run(NULL, "set_ns", "-q", "--name", name, "cat", "/made", NULL);
	cr_expect_str_eq(s->out, "inside\n", "set_ns: %s", s->err);
	proc_write(p, "\n");
	cr_expect_eq(proc_finish(p), 0, "%s", p->err);
	rm_rf(dir);
	free(name);
	free(cmd);
	free(dir);
	proc_free(s);
	proc_free(p);
}

/* Where the image's filesystem cannot be idmapped (ramfs; or a kernel
 * before 5.12), a copy chowned into the container's range, made once per
 * layer and map. The ramfs is mounted in a mount namespace of the test's. */
Test(step10, without_idmapped_mounts_a_chowned_copy_once)
{
	need_step10();
	char *dir = tree_copy(0, 0), *bin = step_path("step10");
	char *ram = xasprintf("%s/ram", dir),
	     *root = xasprintf("%s/rootfs", dir);
	char *cmd = guarded("touch /x && echo c >> /etc/passwd && echo ok");
	char *script = "mkdir \"$1\" && mount -t ramfs nsw \"$1\" && "
		       "cp -a \"$2\" \"$1/rootfs\" && for i in 1 2; do \"$3\" "
		       "-q -v --net none --rootfs \"$1/rootfs\" /bin/sh -c "
		       "\"$4\" || exit; done";
	struct proc *p =
	    run(NULL, "/usr/bin/unshare", "--mount", "--propagation", "private",
		"/bin/sh", "-c", script, "sh", ram, root, bin, cmd, NULL);
	char *copy = strstr(p->err, "/idmap/");

	cr_expect_eq(p->status, 0, "%s", p->err);
	cr_expect_str_eq(p->out, "ok\nok\n");
	cr_expect(strstr(p->err, "chowned copy"), "%s", p->err);
	cr_assert_not_null(copy, "no copy made: %s", p->err);
	cr_expect_null(strstr(copy + 1, "/idmap/"), "copied twice");
	char *key = strndup(copy + 7, strcspn(copy + 7, ",/ \n"));
	char *rm = xasprintf("rm -rf " STORE "/idmap/%s", key);
	cr_expect(key[0] && system(rm) == 0, "%s", rm);
	rm_rf(dir);
	free(rm);
	free(key);
	free(cmd);
	free(root);
	free(ram);
	free(bin);
	free(dir);
	proc_free(p);
}

/*
 * SCRIPT in a private mount namespace, under a 16 MiB tmpfs on the store,
 * so that a binary without the check under test fails on ENOSPC instead of
 * filling the host's disk, and what it copies is gone with the namespace.
 * (The store's directory is made 0700 if missing: a mkdir is not undone by
 * leaving the mount namespace, and a 0755 store is refused by every start.)
 */
static struct proc *small_store(const char *script)
{
	char *all = xasprintf("{ [ -d " STORE " ] || mkdir -m 0700 " STORE
			      "; } && mount -t tmpfs -o size=16m,mode=0700 "
			      "nsw " STORE " || exit 97; %s",
			      script);
	struct run_opts o = {.timeout = 100};
	struct proc *p = run(&o, "/usr/bin/unshare", "--mount", "--propagation",
			     "private", "/bin/sh", "-c", all, NULL);

	free(all);
	return p;
}

/* OPT (--layer or --rootfs) set to each of TREES, after PREP, under
 * small_store(): each must be 125 with one line naming OPT. */
static void expect_no_image(const char *opt, const char *const trees[],
			    const char *prep)
{
	need_step10();
	char *bin = step_path("step10"), *list = xasprintf("%s", "");

	for (int i = 0; trees[i]; i++) {
		char *more = xasprintf("%s %s", list, trees[i]);

		free(list);
		list = more;
	}
	char *script =
	    xasprintf("%s || exit 98; for l in %s; do "
		      "e=$(timeout 20 '%s' -q --net none %s $l true 2>&1 "
		      ">/dev/null); printf '%%s rc=%%s %%s\\n' $l $? \"$e\"; "
		      "done",
		      prep, list, bin, opt);
	struct proc *p = small_store(script);

	cr_assert_eq(p->status, 0, "%s %s", p->out, p->err);
	for (int i = 0; trees[i]; i++) {
		char *key = xasprintf("\n%s rc=125 step10: %s(", trees[i], opt);
		char *out = xasprintf("\n%s", p->out);

		cr_expect(strstr(out, key) && strstr(out, "an image's tree"),
			  "%s %s: %s", opt, trees[i], p->out);
		free(out);
		free(key);
	}
	free(script);
	free(list);
	free(bin);
	proc_free(p);
}

/*
 * A --layer that is /, above the store, inside it or a pseudo filesystem
 * is refused before anything is made: a chowned copy of / into the store
 * holds itself and grew until the disk was full (found by an attacker).
 */
Test(step10, layers_that_would_hold_the_store_are_refused)
{
	static const char *const trees[] = {"/",     "/var", "/var/lib", STORE,
					    "/proc", "/sys", NULL};

	expect_no_image("--layer", trees, "true");
}

/*
 * The rootfs is the lowest layer, refused for the same reasons (found by an
 * attacker, F5): `--rootfs /proc` failed deep in a chowned copy, naming a
 * file of /proc ("open(init_private_helper)"), and `--rootfs /sys` copied
 * sysfs into the store until its reserve stopped it. `--rootfs /` has a
 * message of its own (resolve_rootfs, step03).
 */
Test(step10, a_rootfs_that_is_no_image_is_refused)
{
	static const char *const trees[] = {"/var",  "/var/lib", STORE,
					    "/proc", "/sys",	 NULL};

	expect_no_image("--rootfs", trees, "true");
}

/*
 * THEN, under small_store(), after a --layer on ramfs (which cannot be
 * idmapped: it is copied chowned into the store) was filled by FILL, run
 * in it; THEN's `run ARGS` starts step10 on a copy of the rootfs with that
 * layer.
 */
static struct proc *ram_layer(const char *fill, const char *then)
{
	need_step10();
	char *dir = tree_copy(0, 0), *bin = step_path("step10");
	char *script = xasprintf(
	    "mkdir %s/ram && mount -t ramfs nsw %s/ram && cd %s/ram && { %s; "
	    "} || exit 98; cd /; run() { timeout 20 '%s' -q --net none "
	    "--rootfs %s/rootfs --layer %s/ram \"$@\"; }; %s",
	    dir, dir, dir, fill, bin, dir, dir, then);
	struct proc *p = small_store(script);

	rm_rf(dir);
	free(script);
	free(bin);
	free(dir);
	return p;
}

/*
 * Every kernel filesystem is refused, not /proc and /sys alone (found by
 * an attacker): a devpts, an mqueue and a cgroup2 (the test's own, mounted
 * in its mount namespace) cannot be idmapped, so each was copied chowned
 * into the store; a copy of /dev/pts held the host's terminals.
 */
Test(step10, kernel_filesystems_are_no_layers)
{
	char *d = xasprintf("/tmp/nsw10-kfs-%d", (int)getpid());
	char *pts = xasprintf("%s/pts", d), *mq = xasprintf("%s/mq", d),
	     *cg = xasprintf("%s/cg", d);
	char *prep = xasprintf(
	    "mkdir -p %s %s %s && mount -t devpts -o newinstance nsw %s && "
	    "mount -t mqueue nsw %s && mount -t cgroup2 nsw %s",
	    pts, mq, cg, pts, mq, cg);
	const char *const trees[] = {pts, mq, cg, NULL};

	expect_no_image("--layer", trees, prep);
	rm_rf(d);
	free(prep);
	free(cg);
	free(mq);
	free(pts);
	free(d);
}

/*
 * A chowned copy (a layer on ramfs, which cannot be idmapped) leaves a
 * layer's device nodes out and keeps its whiteouts (found by an attacker:
 * `--layer /dev` put copies of the host's disk nodes, owned by container
 * root, in the store). Inside: no /zero, and the whiteout hides /bin/ls.
 */
Test(step10, a_copy_keeps_whiteouts_and_no_devices)
{
	struct proc *p = ram_layer(
	    "mkdir bin && mknod zero c 1 5 && mknod bin/ls c 0 0",
	    "run /bin/sh -c '[ -e /zero ] && echo zero; [ -e /bin/ls ] && "
	    "echo ls; echo done'");

	cr_expect_eq(p->status, 0, "%s", p->err);
	cr_expect_str_eq(p->out, "done\n", "%s", p->err);
	proc_free(p);
}

/*
 * A chowned copy goes at most 256 directories deep, as an image's unpack
 * does (found by an attacker: 2500 levels of an overlay overflowed the
 * stack, exit 139, and left the partial copy in the store). 300 levels on
 * ramfs: 125, one line, nothing left in the store.
 */
Test(step10, a_layer_deeper_than_256_directories_is_refused)
{
	struct proc *p =
	    ram_layer("for i in $(seq 300); do mkdir d && cd d || exit; done",
		      "run true; echo rc=$?; ls -A " STORE "/idmap");
	const char *nl = strchr(p->err, '\n');

	cr_expect_str_eq(p->out, "rc=125\n", "%s", p->err);
	cr_expect(strstr(p->err, "256 directories") && nl && !nl[1], "%s",
		  p->err);
	proc_free(p);
}

/*
 * Found by an attacker (F2): a --layer checked by its path, then mounted
 * by its path, is whatever the owner of a directory on the way renamed
 * into place in between (runc's CVE-2021-30465). uid 65534 owns RACE and
 * swaps RACE/l, a directory, with RACE/x, a symlink to a marker directory
 * inside the store (which the check refuses), with renameat2(2)
 * RENAME_EXCHANGE in a loop while root starts step10 --layer RACE/l 30
 * times: a run that starts may mount RACE/l, never the marker. The store
 * is a tmpfs of a private mount namespace, so nothing reaches the host's.
 */
static pid_t start_swapper(const char *race)
{
	char *l = xasprintf("%s/l", race), *x = xasprintf("%s/x", race);
	pid_t pid = fork();

	cr_assert_neq(pid, -1);
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setgroups(0, NULL) == -1 || setgid(65534) == -1 ||
		    setuid(65534) == -1)
			_exit(1);
		for (;;)
			(void)renameat2(AT_FDCWD, l, AT_FDCWD, x,
					RENAME_EXCHANGE);
	}
	free(x);
	free(l);
	return pid;
}

/* SCRIPT, in a private mount namespace, while the swapper renames in RACE. */
static struct proc *run_racing(const char *race, const char *script)
{
	pid_t swapper = start_swapper(race);
	struct run_opts o = {.timeout = 50};
	struct proc *p = run(&o, "/usr/bin/unshare", "--mount", "--propagation",
			     "private", "/bin/sh", "-c", script, NULL);

	kill(swapper, SIGKILL);
	waitpid(swapper, NULL, 0);
	cr_assert_eq(p->status, 0, "%s %s", p->out, p->err);
	return p;
}

Test(step10, a_layer_swapped_after_its_check_is_not_mounted, .timeout = 60)
{
	need_step10();
	char *dir = tree_copy(0, 0), *bin = step_path("step10");
	char *race = xasprintf("%s/race", dir);
	char *mk = xasprintf("mkdir -p %s/l && ln -s " STORE "/h4-marker %s/x "
			     "&& chown -hR 65534:65534 %s",
			     race, race, race);
	cr_assert_eq(system(mk), 0);
	char *script = xasprintf(
	    "{ [ -d " STORE " ] || mkdir -m 0700 " STORE
	    "; } && mount -t tmpfs -o size=1m,mode=0700 nsw " STORE
	    " && mkdir " STORE "/h4-marker && echo MARKER >" STORE
	    "/h4-marker/h4-marker || exit 97; ok=0; for i in $(seq 30); do "
	    "timeout 20 '%s' -q --net none --rootfs %s/rootfs --layer %s/l "
	    "/bin/sh -c 'cat /h4-marker; exit 0' 2>/dev/null && "
	    "ok=$((ok+1)); done; echo started=$ok",
	    bin, dir, race);
	struct proc *p = run_racing(race, script);

	cr_expect_null(strstr(p->out, "MARKER"),
		       "a run mounted the directory swapped in: %s", p->out);
	/* Some starts get through (the swap is not always caught in the
	 * act): else this would show nothing. */
	cr_expect_null(strstr(p->out, "started=0\n"), "%s", p->out);
	rm_rf(dir);
	proc_free(p);
	free(script);
	free(mk);
	free(race);
	free(bin);
	free(dir);
}

/*
 * The same race on --rootfs, the lowest layer (F2: with x -> /, step10 ran
 * on the host's /): RACE/l, a copy of the rootfs, swapped with RACE/x, a
 * symlink to another copy holding /h4-marker. A run may legitimately get
 * the marker copy when realpath(3) itself met the symlink, so -v's trace
 * says which path was checked: no run whose checked lower0 is RACE/l may
 * show the marker.
 */
Test(step10, a_rootfs_swapped_after_its_check_is_not_mounted, .timeout = 60)
{
	need_step10();
	char *dir = tree_copy(0, 0), *bin = step_path("step10");
	char *race = xasprintf("%s/race", dir);
	char *mk = xasprintf(
	    "mkdir %s && cp -a %s/rootfs %s/l && cp -a %s/rootfs %s/marker && "
	    "echo MARKER >%s/marker/h4-marker && ln -s %s/marker %s/x && "
	    "chown -h 65534:65534 %s %s/l %s/x",
	    race, dir, race, dir, dir, dir, dir, race, race, race, race);
	cr_assert_eq(system(mk), 0);
	char *script = xasprintf(
	    "ok=0; for i in $(seq 30); do out=$(timeout 20 '%s' -v --net none "
	    "--rootfs %s/l /bin/sh -c 'cat /h4-marker; exit 0' 2>%s/err)"
	    " && ok=$((ok+1)); grep -q 'open_tree(%s/l, OPEN_TREE_CLONE): "
	    "lower0' %s/err && [ \"$out\" = MARKER ] && echo SWAPPED; "
	    "done; echo started=$ok",
	    bin, race, race, race, race);
	struct proc *p = run_racing(race, script);

	cr_expect_null(strstr(p->out, "SWAPPED"),
		       "a run mounted the rootfs swapped in: %s", p->out);
	cr_expect_null(strstr(p->out, "started=0\n"), "%s", p->out);
	rm_rf(dir);
	proc_free(p);
	free(script);
	free(mk);
	free(race);
	free(bin);
	free(dir);
}

/* ------------------------------------------------------- leaks --- */

/* The tmpfs layer leaves nothing: after an exit, a failed start (a rootfs
 * whose /proc is a symlink, refused after the overlay is made) and a
 * SIGKILL of the runtime. */
Test(step10, the_tmpfs_layer_leaves_nothing)
{
	need_step10();
	char *dir = tree_copy(0, 0), *before = sum_of(dir);
	struct leaks *l = leaks_begin();
	leaks_scope(l, dir);
	struct proc *p = run10(dir, NULL, "touch /x && echo wrote");
	cr_expect_str_eq(p->out, "wrote\n", "%s", p->err);
	leaks_watch(l, p);
	proc_free(p);

	char *bad = xasprintf("%s/l1", dir);
	char *mk = xasprintf("mkdir -p %s && ln -s /etc %s/proc", bad, bad);
	cr_assert_eq(system(mk), 0);
	p = run10(dir, (char *[]){"--layer", bad, NULL}, "true");
	cr_expect_eq(p->status, 125, "a /proc symlink in a layer: %s", p->err);
	leaks_watch(l, p);
	proc_free(p);

	char *cmd = guarded("touch /x && echo up && sleep 30");
	p = start10(NULL, "step10", dir, NULL, cmd, false);
	cr_assert(proc_wait_out(p, "up"), "%s", p->err);
	expect_no_layer_on_host();
	leaks_watch(l, p);
	proc_kill(p, SIGKILL);
	proc_finish(p);
	proc_free(p);
	leaks_check(l, 3.0);
	expect_no_layer_on_host();
	char *after = sum_of(dir);
	cr_expect_str_eq(after, before);
	rm_rf(dir);
	free(after);
	free(cmd);
	free(mk);
	free(bad);
	free(before);
	free(dir);
}

/* ------------------------------------------------- kept layers --- */

static char *layer_path(const char *name)
{
	return xasprintf(STORE "/layers/%s", name);
}

Test(step10_keep, keep_survives_a_restart_and_rm_layer_removes_it)
{
	need_step10();
	char *dir = tree_copy(0, 0), *before = sum_of(dir);
	char *name = xasprintf("nsw10-keep-%d", (int)getpid());
	char *path = layer_path(name);
	char *keep[] = {"--name", name, "--keep", NULL};
	struct stat st;

	struct proc *p = run10(dir, keep, "echo kept > /kept && echo ok");
	cr_expect_str_eq(p->out, "ok\n", "%s", p->err);
	proc_free(p);
	cr_assert_eq(lstat(path, &st), 0, "%s: %s", path, strerror(errno));
	cr_expect(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700 &&
		      st.st_uid == 0,
		  "a kept layer is a 0700 directory of root's");
	p = run10(dir, keep, "cat /kept");
	cr_expect_str_eq(p->out, "kept\n", "not kept: %s", p->err);
	proc_free(p);
	p = run(NULL, "step10", "--rm-layer", name, NULL);
	cr_expect_eq(p->status, 0, "%s", p->err);
	cr_expect_neq(lstat(path, &st), 0, "--rm-layer left %s", path);
	proc_free(p);
	p = run(NULL, "step10", "--rm-layer", name, NULL);
	cr_expect_eq(p->status, 125, "no such layer: %s", p->err);
	cr_expect(strstr(p->err, name), "%s", p->err);
	proc_free(p);
	p = run10(dir, keep, "cat /kept 2>/dev/null || echo gone");
	cr_expect_str_eq(p->out, "gone\n");
	proc_free(p);
	p = run(NULL, "step10", "--rm-layer", name, NULL);
	cr_expect_eq(p->status, 0, "%s", p->err);
	proc_free(p);
	char *after = sum_of(dir);
	cr_expect_str_eq(after, before);
	rm_rf(dir);
	free(after);
	free(path);
	free(name);
	free(before);
	free(dir);
}

/* Not while a container runs on it; not over other lower layers. */
Test(step10_keep, a_kept_layer_in_use_or_on_other_layers_is_refused)
{
	need_step10();
	char *dir = tree_copy(0, 0);
	char *name = xasprintf("nsw10-busy-%d", (int)getpid());
	char *path = layer_path(name);
	char *cmd = guarded("echo up && read x");
	struct run_opts o = {.keep_stdin = true};
	struct stat st;
	struct proc *p =
	    start10(&o, "step10", dir,
		    (char *[]){"--name", name, "--keep", NULL}, cmd, false);

	cr_assert(proc_wait_out(p, "up"), "%s", p->err);
	struct proc *r = run(NULL, "step10", "--rm-layer", name, NULL);
	cr_expect_eq(r->status, 125, "--rm-layer of a running container");
	cr_expect_eq(lstat(path, &st), 0, "removed while in use");
	proc_free(r);
	proc_write(p, "\n");
	cr_expect_eq(proc_finish(p), 0, "%s", p->err);
	char *l1 = xasprintf("%s/l1", dir), *mk = xasprintf("mkdir %s", l1);
	cr_assert_eq(system(mk), 0);
	r = run10(dir,
		  (char *[]){"--name", name, "--keep", "--layer", l1, NULL},
		  "true");
	cr_expect_eq(r->status, 125, "reused over other lower layers");
	cr_expect(strstr(r->err, "--rm-layer"), "no hint: %s", r->err);
	proc_free(r);
	r = run(NULL, "step10", "--rm-layer", name, NULL);
	cr_expect_eq(r->status, 0, "%s", r->err);
	proc_free(r);
	r = run10(dir, (char *[]){"--keep", NULL}, "true");
	cr_expect_eq(r->status, 125, "--keep without --name");
	rm_rf(dir);
	free(mk);
	free(l1);
	free(cmd);
	free(path);
	free(name);
	free(dir);
	proc_free(r);
	proc_free(p);
}

/*
 * A copy killed midway (SIGKILL: no handler runs) leaves its .tmp-PID in
 * the store; the next start that uses the store removes it, even when it
 * copies nothing (found by an attacker: it stayed through cached starts
 * and --rm-layer until some later start made a new copy). The .tmp-PID
 * here is what a killed copy leaves: a directory no one holds a lock on.
 */
Test(step10, a_copy_killed_midway_is_swept_by_the_next_start)
{
	struct proc *p = ram_layer(
	    "echo x > x", "run true || echo \"rc=$?\"; mkdir " STORE
			  "/idmap/.tmp-999999 && touch " STORE
			  "/idmap/.tmp-999999/part && run true && ls -A " STORE
			  "/idmap | grep -c tmp");

	cr_expect_str_eq(p->out, "0\n", "%s", p->err);
	proc_free(p);
}

/*
 * Found by an attacker: the copy opened a file by the name it had just
 * stat(2)ed as a regular file, so a FIFO renamed into its place in between
 * hung root's start for good (and a device node's contents became a file
 * of the copy). uid 65534 owns the layer, a ramfs (copied chowned), and
 * exchanges its regular file l with its FIFO x in a loop while root starts
 * step10 on it 20 times, the copy removed before each: every start ends,
 * 0 or 125, and some run. In a mount namespace of the test's own: the ramfs and the
 * 16 MiB store it copies into go with it.
 */
Test(step10, a_file_swapped_during_a_copy_is_not_read)
{
	need_step10();
	cr_assert(unshare(CLONE_NEWNS) == 0 &&
		  mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	char *dir = tree_copy(0, 0), *bin = step_path("step10");
	char *ram = xasprintf("%s/ram", dir),
	     *root = xasprintf("%s/rootfs", dir);
	char *mk = xasprintf(
	    "{ [ -d " STORE " ] || mkdir -m 0700 " STORE "; } && mount -t "
	    "tmpfs -o size=16m,mode=0700 nsw " STORE " && mkdir %s && mount -t "
	    "ramfs nsw %s && echo data > %s/l && mkfifo %s/x && chown -R "
	    "65534:65534 %s",
	    ram, ram, ram, ram, ram);
	cr_assert_eq(system(mk), 0);
	pid_t swapper = start_swapper(ram);
	char *argv[] = {"step10", "-q",	     "--net", "none", "--rootfs",
			root,	  "--layer", ram,     "true", NULL};
	char *out = xasprintf("%s", "");

	for (int i = 0; i < 20; i++) {
		struct run_opts o = {.timeout = 20};
		struct proc *p = runv(&o, bin, argv);
		char *more = xasprintf("%s %d", out, p->status);

		cr_expect(p->status == 0 || p->status == 125, "start %d: %d %s",
			  i, p->status, p->err);
		free(out);
		out = more;
		proc_free(p);
		cr_assert_eq(system("rm -rf " STORE "/idmap"), 0);
	}
	kill(swapper, SIGKILL);
	waitpid(swapper, NULL, 0);
	cr_log_info("statuses:%s", out);
	/* Some starts copy the layer between two swaps: else this would
	 * show nothing (a runtime that starts nothing never hangs). */
	cr_expect(strstr(out, " 0"), "no start ran:%s", out);
	(void)umount2(ram, MNT_DETACH);
	rm_rf(dir);
	free(out);
	free(mk);
	free(root);
	free(ram);
	free(bin);
	free(dir);
}

/* ------------------------------------------------------ rootless --- */

/* uid 65534 from a world-readable copy, with an image of its own: the
 * layer on tmpfs (user xattrs, Linux 6.6), then kept on disk in
 * $XDG_DATA_HOME/nsworkshop. */
Test(step10_keep, rootless_from_a_world_readable_copy)
{
	need_step10();
	char *dir = tree_copy(65534, 65534), *before = sum_of(dir);
	char *bin = step_path("step10");
	char *cp = xasprintf("cp '%s' '%s/' && mkdir -m 700 %s/data && chown "
			     "65534:65534 %s/data",
			     bin, dir, dir, dir);
	cr_assert_eq(system(cp), 0);
	char *exe = xasprintf("%s/step10", dir);
	char *xdg = xasprintf("XDG_DATA_HOME=%s/data", dir);
	char *cmd = guarded("id -u && touch /x && echo c > /etc/hostname && "
			    "rm -f /bin/ls && rm -rf /root && mkdir -p /root "
			    "&& cat /k 2>/dev/null; echo kept > /k; echo ok");
	struct run_opts o = {.uid = 65534, .gid = 65534, .dir = dir};
	char *root = xasprintf("%s/rootfs", dir);
	/* env(1) sets XDG_DATA_HOME: the store of uid 65534 */
	char *argv[] = {"",	    xdg,       exe,	 "-q",
			"--rootfs", root,      "--name", "nsw10-rootless",
			"--keep",   "/bin/sh", "-c",	 cmd,
			NULL};
	char *tmpfs[] = {"",   xdg,	  exe,	"-q", "--rootfs",
			 root, "/bin/sh", "-c", cmd,  NULL};
	struct proc *p = runv(&o, "/usr/bin/env", tmpfs);

	cr_expect_eq(p->status, 0, "tmpfs layer: %s", p->err);
	cr_expect_str_eq(p->out, "0\nok\n");
	proc_free(p);
	for (int i = 0; i < 2; i++) {
		p = runv(&o, "/usr/bin/env", argv);
		cr_expect_eq(p->status, 0, "kept layer: %s", p->err);
		cr_expect_str_eq(p->out, i ? "0\nkept\nok\n" : "0\nok\n");
		proc_free(p);
	}
	char *after = sum_of(dir);
	cr_expect_str_eq(after, before, "the rootless image changed");
	rm_rf(dir);
	free(after);
	free(root);
	free(cmd);
	free(xdg);
	free(exe);
	free(cp);
	free(bin);
	free(before);
	free(dir);
}

/*
 * Without root the store is $XDG_DATA_HOME/nsworkshop, and it is refused
 * as a layer as /var/lib/nsworkshop is for root (found by an attacker: the
 * check knew only root's store, so a kept layer's upper, the store and
 * its parent were layers).
 */
Test(step10_keep, the_rootless_store_is_no_layer)
{
	need_step10();
	char *dir = tree_copy(65534, 65534), *bin = step_path("step10");
	char *data = xasprintf("%s/data", dir);
	char *cp = xasprintf("cp '%s' '%s/' && mkdir -p -m 700 "
			     "%s/nsworkshop/layers/k/upper && chown -R "
			     "65534:65534 %s",
			     bin, dir, data, data);
	cr_assert_eq(system(cp), 0);
	char *script = xasprintf(
	    "for l in %s/nsworkshop/layers/k/upper %s/nsworkshop %s; do "
	    "e=$(XDG_DATA_HOME=%s timeout 20 %s/step10 -q --rootfs %s/rootfs "
	    "--layer $l true 2>&1 >/dev/null); printf '%%s rc=%%s %%s\\n' "
	    "$l $? \"$e\"; done",
	    data, data, data, data, dir, dir);
	struct run_opts o = {.uid = 65534, .gid = 65534, .dir = dir};
	struct proc *p = run(&o, "/bin/sh", "-c", script, NULL);
	const char *const trees[] = {"/nsworkshop/layers/k/upper rc=125 ",
				     "/nsworkshop rc=125 ", "/data rc=125 ",
				     NULL};

	for (int i = 0; trees[i]; i++)
		cr_expect(strstr(p->out, trees[i]), "%s: %s", trees[i], p->out);
	cr_expect_null(strstr(p->out, "rc=0"), "%s", p->out);
	rm_rf(dir);
	free(script);
	free(cp);
	free(data);
	free(bin);
	free(dir);
	proc_free(p);
}

/* --------------------------------------------------------- images --- */

/* A ustar header and LEN bytes of DATA (POSIX pax(1), ustar Interchange
 * Format); SIZE, unless NULL, is the size field the header says instead. */
static void tar_addn(FILE *f, const char *name, char type, const char *link,
		     const char *data, size_t len, const char size[12])
{
	unsigned char h[512] = {0};
	unsigned sum = 0;

	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", type == '5' ? 0755 : 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011o", (unsigned)len);
	if (size)
		memcpy(h + 124, size, 12);
	snprintf((char *)h + 136, 12, "%011o", 0);
	h[156] = (unsigned char)type;
	if (link)
		snprintf((char *)h + 157, 100, "%s", link);
	memcpy(h + 257, "ustar", 6);
	h[263] = h[264] = '0'; /* the version, "00", has no NUL */
	snprintf((char *)h + 329, 8, "%07o", type == '3' ? 1 : 0);
	snprintf((char *)h + 337, 8, "%07o", type == '3' ? 3 : 0);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	fwrite(h, 1, 512, f);
	if (len) {
		static const char zero[512];

		fwrite(data, 1, len, f);
		fwrite(zero, 1, (512 - len % 512) % 512, f);
	}
}

static void tar_add(FILE *f, const char *name, char type, const char *link,
		    const char *data)
{
	tar_addn(f, name, type, link, data, data ? strlen(data) : 0, NULL);
}

static char *sha256_of(const char *file)
{
	char *cmd = xasprintf("sha256sum '%s'", file);
	FILE *f = popen(cmd, "re");
	char line[128] = "";

	cr_assert_not_null(f);
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	pclose(f);
	free(cmd);
	line[strcspn(line, " ")] = '\0';
	return strdup(line);
}

/* Remove what a test put in the image cache: the image and its index. */
static void forget_image(const char *sha)
{
	char *cmd = xasprintf("rm -rf " STORE "/images/%s; grep -lx %s " STORE
			      "/images/index/* 2>/dev/null | xargs -r rm -f",
			      sha, sha);

	if (system(cmd) != 0)
		cr_log_info("%s failed", cmd);
	free(cmd);
}

Test(step10_image, an_image_runs_and_is_unpacked_once)
{
	need_step10();
	char *dir = tree_copy(0, 0);
	char *img = xasprintf("%s/image.tar.gz", dir);
	char *mk = xasprintf("echo %d-%ld > %s/rootfs/etc/unique && tar -C "
			     "%s/rootfs -czf %s .",
			     (int)getpid(), (long)time(NULL), dir, dir, img);
	cr_assert_eq(system(mk), 0);
	char *sha = sha256_of(img);
	char *tree = xasprintf(STORE "/images/%s", sha);
	char *g = guarded("cat /etc/unique && touch /x && echo ok");
	/* --image replaces --rootfs: the marker is in the image too. */
	struct proc *p = run(NULL, "step10", "-q", "-v", "--net", "none",
			     "--image", img, "/bin/sh", "-c", g, NULL);
	struct stat st1, st2;

	cr_expect_eq(p->status, 0, "%s", p->err);
	cr_expect(strstr(p->out, "ok\n"), "%s", p->out);
	cr_expect(strstr(p->err, "unpacking"), "not unpacked: %s", p->err);
	cr_assert_eq(lstat(tree, &st1), 0, "%s: %s", tree, strerror(errno));
	cr_expect((st1.st_mode & 07777) == 0700);
	proc_free(p);
	p = run(NULL, "step10", "-q", "-v", "--net", "none", "--image", img,
		"/bin/sh", "-c", g, NULL);
	cr_expect_eq(p->status, 0, "%s", p->err);
	cr_expect_null(strstr(p->err, "unpacking"), "unpacked again");
	cr_expect(strstr(p->err, "cached"), "%s", p->err);
	cr_expect(strstr(p->err, "remembered"), "hashed again: %s", p->err);
	cr_assert_eq(lstat(tree, &st2), 0);
	cr_expect_eq(st1.st_ino, st2.st_ino, "the cached tree was replaced");
	forget_image(sha);
	rm_rf(dir);
	free(g);
	free(tree);
	free(sha);
	free(mk);
	free(img);
	free(dir);
	proc_free(p);
}

/* Hostile tarballs (tar-slip; CVE-2014-9356): each names a file outside
 * the cache, which must not exist afterwards. %s is that file. */
struct hostile {
	char what[48];
	char entries[4][3][96]; /* type, name, link */
};

static struct hostile hostile[] = {
    {"dotdot", {{"0", "../../../../../../../../tmp/%s", ""}}},
    {"absolute", {{"0", "/tmp/%s", ""}}},
    {"device", {{"3", "null", ""}, {"0", "../../../../../../tmp/%s", ""}}},
    {"symlink out",
     {{"2", "up", "../../../../../../../../tmp"}, {"0", "up/%s", ""}}},
    {"write through a symlink", {{"2", "abs", "/tmp"}, {"0", "abs/%s", ""}}},
    {"hard link out", {{"1", "h", "../../../../../../../../etc/passwd"}}},
    {"hard link absolute", {{"1", "h", "/etc/passwd"}}},
};

ParameterizedTestParameters(step10_image, hostile_tarballs_are_refused)
{
	return cr_make_param_array(struct hostile, hostile,
				   sizeof(hostile) / sizeof(hostile[0]));
}

ParameterizedTest(struct hostile *h, step10_image, hostile_tarballs_are_refused)
{
	need_step10();
	char *dir = tree_copy(0, 0);
	char *img = xasprintf("%s/evil.tar", dir);
	char *base = xasprintf("nsw-slip-%d", (int)getpid());
	char *slip = xasprintf("/tmp/%s", base);
	char *passwd = read_text("/etc/passwd");
	struct stat pw1, pw2;
	FILE *f = fopen(img, "we");

	cr_assert_not_null(f);
	stat("/etc/passwd", &pw1);
	for (int i = 0; i < 4 && h->entries[i][0][0]; i++) {
		char *name = xasprintf(h->entries[i][1], base);
		char *link = xasprintf(h->entries[i][2], base);

		tar_add(f, name, h->entries[i][0][0], link[0] ? link : NULL,
			"pwned\n");
		free(link);
		free(name);
	}
	static const char end[1024];
	fwrite(end, 1, sizeof(end), f);
	fclose(f);
	char *sha = sha256_of(img);
	struct proc *p = run(NULL, "step10", "-q", "--net", "none", "--image",
			     img, "true", NULL);

	cr_expect_eq(p->status, 125, "%s: %s", h->what, p->err);
	cr_expect(strstr(p->err, "step10: ") && strstr(p->err, "image"),
		  "%s: %s", h->what, p->err);
	cr_expect_neq(access(slip, F_OK), 0, "%s: wrote %s", h->what, slip);
	char *now = read_text("/etc/passwd");
	stat("/etc/passwd", &pw2);
	cr_expect_str_eq(now, passwd, "%s: /etc/passwd changed", h->what);
	cr_expect_eq(pw1.st_nlink, pw2.st_nlink, "%s: linked", h->what);
	char *cached = xasprintf(STORE "/images/%s", sha);
	cr_expect_neq(access(cached, F_OK), 0, "%s: cached", h->what);
	char *tmp = xasprintf(STORE "/images/.tmp-%d", (int)p->pid);
	cr_expect_neq(access(tmp, F_OK), 0, "%s: left %s", h->what, tmp);
	char *indexed = xasprintf("grep -qlx %s " STORE "/images/index/* "
				  "2>/dev/null",
				  sha);
	cr_expect_neq(system(indexed), 0, "%s: remembered in the index",
		      h->what);
	free(indexed);
	unlink(slip);
	forget_image(sha);
	rm_rf(dir);
	free(tmp);
	free(cached);
	free(now);
	free(sha);
	free(passwd);
	free(slip);
	free(base);
	free(img);
	free(dir);
	proc_free(p);
}

/* ------------------------------------------------- a full store --- */

/*
 * sh -c SCRIPT in a mount namespace of its own whose store is a tmpfs
 * mounted with OPTS ($1 is step10, $2 DIR): what a runtime writes there,
 * one without the reserve too, fills that tmpfs, never the host's disk.
 * (The store's directory is made 0700 if missing, as above.)
 */
static struct proc *in_small_store(const char *opts, const char *dir,
				   const char *script)
{
	char *bin = step_path("step10");
	char *s = xasprintf("{ [ -d " STORE " ] || mkdir -m 0700 " STORE
			    "; } && mount -t tmpfs -o %s,mode=0700 nsw " STORE
			    " || exit 97; %s",
			    opts, script);
	struct run_opts o = {.timeout = 100};
	struct proc *p =
	    run(&o, "/usr/bin/unshare", "--mount", "--propagation", "private",
		"/bin/sh", "-c", s, "sh", bin, dir, NULL);

	free(s);
	free(bin);
	return p;
}

/*
 * The store keeps 10% of its filesystem free: a gzip bomb (64 KB that
 * inflate to 64 MiB of zeros), an archive of more files than the store
 * has inodes, and a chowned copy of a layer (on ramfs: no idmapped
 * mounts) holding a 64 MiB file are refused, and leave nothing in a
 * 16 MiB store of 1000 inodes; an image that fits still runs. Without
 * the reserve the store fills up: ENOSPC, not this refusal.
 */
Test(step10_image, the_store_keeps_a_tenth_of_its_filesystem_free)
{
	need_step10();
	char *dir = tree_copy(0, 0);
	struct proc *p = in_small_store(
	    "size=16m,nr_inodes=1000", dir,
	    "cd \"$2\" && truncate -s 64M big && tar czf bomb.tar.gz big && "
	    "rm big && mkdir many && (cd many && seq 3000 | xargs touch) && "
	    "tar czf many.tar.gz -C many . && rm -r many && tar czf "
	    "fits.tar.gz -C rootfs . && mkdir ram && mount -t ramfs nsw ram && "
	    "cp -a rootfs ram/rootfs && truncate -s 64M ram/rootfs/big || "
	    "exit 98; for i in bomb many; do \"$1\" -q --net none --image "
	    "$i.tar.gz true 2>err; echo \"$i rc=$? $(cat err)\"; done; "
	    "\"$1\" -q --net none --rootfs ram/rootfs true 2>err; "
	    "echo \"copy rc=$? $(cat err)\"; echo left: $(cd " STORE
	    " && find images idmap -mindepth 1 | head -3); "
	    "\"$1\" -q --net none --image fits.tar.gz true; echo fits rc=$?");
	static const char *refused[] = {"bomb", "many", "copy", NULL};

	cr_assert_eq(p->status, 0, "%s %s", p->out, p->err);
	for (int i = 0; refused[i]; i++) {
		char *key = xasprintf("%s rc=125 step10: write into the store(",
				      refused[i]);
		char *line = strstr(p->out, key);

		cr_expect(line && strstr(line, "keeps 10%") &&
			      strstr(line, "keeps 10%") < strchr(line, '\n'),
			  "%s: %s", refused[i], p->out);
		free(key);
	}
	cr_expect(strstr(p->out, "\nleft: images/index\n"), "%s", p->out);
	cr_expect(strstr(p->out, "\nfits rc=0\n"), "%s %s", p->out, p->err);
	rm_rf(dir);
	free(dir);
	proc_free(p);
}

/*
 * SIGTERM stops an unpack and a chowned copy at the next file, removes
 * what they wrote, and the start fails (125). Without it the unpack died
 * with its .tmp directory left behind (143), and the copy, whose signals
 * the runtime relays to the container by then, ran to its end and the
 * container started. 50000 empty files: long enough to be caught in
 * the middle, found by polling for the .tmp directory.
 */
Test(step10_image, sigterm_stops_an_unpack_and_a_copy)
{
	need_step10();
	char *dir = tree_copy(0, 0);
	struct proc *p = in_small_store(
	    "size=256m,nr_inodes=200000", dir,
	    "cd \"$2\" && mkdir ram && mount -t ramfs nsw ram && cp -a rootfs "
	    "ram/rootfs && mkdir ram/rootfs/many && (cd ram/rootfs/many && "
	    "seq 50000 | xargs touch) && tar czf many.tar.gz -C "
	    "ram/rootfs/many . || exit 98; "
	    "stop() { i=0; while [ ! -e \"$1\" ] && [ $i -lt 1000 ]; do "
	    "sleep 0.01; i=$((i + 1)); done; sleep 0.05; kill -TERM $pid; "
	    "wait $pid; echo \"$2 rc=$? $(cat err)\"; }; "
	    "\"$1\" -q --net none --image many.tar.gz true 2>err & pid=$!; "
	    "stop " STORE "/images/.tmp-$pid/rootfs unpack; "
	    "\"$1\" -q --net none --rootfs ram/rootfs true 2>err & pid=$!; "
	    "stop " STORE "/idmap/.tmp-$pid/rootfs copy; "
	    "echo left: $(cd " STORE
	    " && find images idmap -mindepth 1 | head -3)");

	cr_assert_eq(p->status, 0, "%s %s", p->out, p->err);
	cr_expect(strstr(p->out, "unpack rc=125 step10: stopped at("), "%s",
		  p->out);
	cr_expect(strstr(p->out, "copy rc=125 step10: stopped at("), "%s",
		  p->out);
	cr_expect(strstr(p->out, "(SIGTERM came"), "%s", p->out);
	cr_expect(strstr(p->out, "\nleft: images/index\n"), "%s", p->out);
	rm_rf(dir);
	free(dir);
	proc_free(p);
}

/*
 * Archives whose headers lie, each written to DIR/NAME.tar; the end
 * blocks are added. The entries are tar-slip free: what is refused is how
 * they are told.
 */
static void lying_archives(const char *dir)
{
	static const char end[1024];
	/* base-256 (GNU): 2^64 - 1 */
	static const char b256[12] = {(char)0x80, 0,  0,  0,  -1, -1,
				      -1,	  -1, -1, -1, -1, -1};
	char deep[300 * 2 + 2] = "", inner[512];
	static const char *name[] = {"deep", "b256", "paxhuge", "paxneg",
				     "rootdata"};
	FILE *a[5];
	FILE *m = fmemopen(inner, sizeof(inner), "w");

	for (int i = 0; i < 5; i++) {
		char *path = xasprintf("%s/%s.tar", dir, name[i]);

		a[i] = fopen(path, "we");
		cr_assert_not_null(a[i], "%s", path);
		free(path);
	}
	for (int i = 0; i < 300; i++) {
		deep[2 * i] = 'a';
		deep[2 * i + 1] = '/';
	}
	deep[600] = 'f';
	/* A GNU long name: 300 directories deep. */
	tar_add(a[0], "././@LongLink", 'L', NULL, deep);
	tar_add(a[0], "f", '0', NULL, "x");
	/* Sizes that wrap around when rounded up to a block. */
	tar_addn(a[1], "f", '0', NULL, "x", 1, b256);
	tar_add(a[2], "PaxHeaders/f", 'x', NULL,
		"29 size=18446744073709551615\n");
	tar_add(a[2], "f", '0', NULL, "x");
	tar_add(a[3], "PaxHeaders/f", 'x', NULL, "11 size=-1\n");
	tar_add(a[3], "f", '0', NULL, "x");
	/* "./" as a file whose data is a header: tar -t skips it. */
	cr_assert_not_null(m);
	tar_add(m, "hidden", '0', NULL, NULL);
	fclose(m);
	tar_addn(a[4], "./", '0', NULL, inner, sizeof(inner), NULL);
	tar_add(a[4], "ok", '0', NULL, "ok");
	for (int i = 0; i < 5; i++) {
		fwrite(end, 1, sizeof(end), a[i]);
		fclose(a[i]);
	}
}

/*
 * Found by the attacker: a name 300 directories deep unpacked, but the
 * removal of the tree (a descriptor per level) failed under the usual
 * RLIMIT_NOFILE of 1024, and the partial unpack stayed in the store for
 * good; a size of 2^64 - 1 wrapped to 0 when rounded to a block, and the
 * entry's data was read as headers, as was the data of a file named
 * "./", which tar -t skips: what is unpacked must be what tar(1) lists.
 */
Test(step10_image, archives_that_lie_are_refused)
{
	need_step10();
	char *dir = tree_copy(0, 0);

	lying_archives(dir);
	struct proc *p = in_small_store(
	    "size=64m", dir,
	    "cd \"$2\" && ulimit -n 1024 && for i in deep b256 paxhuge paxneg; "
	    "do \"$1\" -q --net none --image $i.tar true 2>err; echo \"$i "
	    "rc=$? $(head -c 1000 err)\"; done; echo left: $(cd " STORE
	    " && find images -mindepth 1 | head -3); \"$1\" -q --net none "
	    "--image rootdata.tar true; echo unpacked: $(ls " STORE
	    "/images/*/rootfs)");
	static const char *want[][2] = {
	    {"deep", "256 directories"},
	    {"b256", "a size no archive has"},
	    {"paxhuge", "a size no archive has"},
	    {"paxneg", "a size no archive has"},
	};

	cr_assert_eq(p->status, 0, "%s %s", p->out, p->err);
	for (int i = 0; i < 4; i++) {
		char *key = xasprintf("%s rc=125 step10: ", want[i][0]);
		char *line = strstr(p->out, key);

		cr_expect(line && strstr(line, want[i][1]) &&
			      strstr(line, want[i][1]) < strchr(line, '\n'),
			  "%s: %s", want[i][0], p->out);
		free(key);
	}
	cr_expect(strstr(p->out, "\nleft: images/index\n"), "%s", p->out);
	cr_expect(strstr(p->out, "\nunpacked: ok\n"), "%s", p->out);
	rm_rf(dir);
	free(dir);
	proc_free(p);
}
