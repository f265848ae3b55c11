/*
 * set_ns — the `docker exec` of the workshop: setns(2) on /proc/PID/ns/TYPE.
 * What a person checks: the story's `set_ns /proc/PID/ns/net COMMAND` sees
 * the target's network, hostname and PID namespace; `set_ns -t PID` sees
 * everything of the target (hostname, root, processes, every namespace
 * inode) and passes the exit status on; it works on targets that other tools
 * made (unshare, bwrap) and on step06's user namespace, as root and, into
 * a rootless container, as uid 65534; only fds 0-2 reach COMMAND; bad input
 * is one line and 125; --name reads a state record (HACKING.md) and removes
 * a stale one. Fails on a set_ns that is missing, a no-op, step06, or one
 * that forgets the fork after a PID join.
 *
 * Targets run `read x` and are ended by a newline on their stdin (or by the
 * harness's SIGKILL of their process group). The only change made inside a
 * target, its hostname, is guarded.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TestSuite(step07_setns, .timeout = 60);

#define UNSHARE	  "/usr/bin/unshare"
#define BWRAP	  "/usr/bin/bwrap"
#define STATE_DIR "/run/nsworkshop"
/* Print the target's namespace links, one a line, in this order. */
#define ALL_NS	 "cgroup ipc mnt net pid uts user"
#define PRINT_NS "for x in " ALL_NS "; do readlink /proc/self/ns/$x; done"

/* A process whose namespaces set_ns joins. */
struct target {
	struct proc *p; /* what the test started: unshare, bwrap or step06 */
	pid_t pid;	/* the host PID of the target's PID 1 */
	char *spid;	/* the same, for -t */
	char *host;	/* its hostname, unique per test */
};

/* The first child of PID: `unshare -f` and bwrap fork the target's PID 1. */
static pid_t child_of(pid_t pid)
{
	char *path = xasprintf("/proc/%d/task/%d/children", (int)pid, (int)pid);
	pid_t c = 0;

	for (int i = 0; i < 200 && c <= 0; i++) {
		char *s = read_text(path);

		c = s ? (pid_t)atoi(s) : 0;
		free(s);
		if (c <= 0)
			usleep(10000);
	}
	free(path);
	return c;
}

/* Start BIN with ARGV as O says (NULL: as root), wait for "ready" on its
 * stdout and find the target's PID 1: from the runtime's "child PID on
 * host" line when it REPORTS one, else as the runtime's first child. */
static struct target target_start(const struct run_opts *o, const char *bin,
				  char *const argv[], const char *host,
				  bool reports)
{
	struct run_opts opts = o ? *o : (struct run_opts){0};
	struct target t = {.host = strdup(host)};

	opts.keep_stdin = true;
	t.p = proc_start(&opts, bin, argv);
	cr_assert(proc_wait_out(t.p, "ready"), "%s started: %s", bin, t.p->err);
	t.pid = reports ? proc_child(t.p) : child_of(t.p->pid);
	cr_assert_gt(t.pid, 0, "the target's host PID (%s)", t.p->err);
	t.spid = xasprintf("%d", (int)t.pid);
	return t;
}

static void target_stop(struct target *t)
{
	proc_write(t->p, "\n");
	proc_finish(t->p);
	proc_free(t->p);
	free(t->spid);
	free(t->host);
}

static char *unique_host(void)
{
	return xasprintf("tgt-%d", (int)getpid());
}

/* unshare(1) with FLAGS (which fork: -f) running a shell that names its
 * UTS namespace, when it has one of its own, and waits. */
static struct target unshare_target(const char *flags)
{
	if (access(UNSHARE, X_OK) != 0)
		skip_because(UNSHARE " not installed");
	char *host = unique_host();
	char *g = guard("uts");
	char *script =
	    strchr(flags, 'u')
		? xasprintf("%shostname %s && echo ready; read x", g, host)
		: strdup("echo ready; read x");
	bool mnt = strchr(flags, 'm') != NULL;
	struct target t =
	    target_start(NULL, UNSHARE,
			 (char *[]){"", (char *)flags, "--kill-child",
				    mnt ? "--mount-proc" : "--", "/bin/sh",
				    "-c", script, NULL},
			 host, false);

	free(script);
	free(g);
	free(host);
	return t;
}

/* What PRINT_NS prints in the namespaces of PID. */
static char *ns_lines(pid_t pid)
{
	char *s = strdup("");
	char names[] = ALL_NS;

	for (char *x = strtok(names, " "); x; x = strtok(NULL, " ")) {
		char *t = xasprintf("%s%s:[%lu]\n", s, x, ns_inode(pid, x));

		free(s);
		s = t;
	}
	return s;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* One line on stderr, prefixed with the program's name. */
static bool one_line(const char *err)
{
	return strncmp(err, "set_ns: ", 8) == 0 && count_lines(err) == 1 &&
	       err[strlen(err) - 1] == '\n';
}

/* No process of P's group is left once P has been reaped. */
static bool group_gone(const struct proc *p)
{
	return kill(-p->pid, 0) == -1 && errno == ESRCH;
}

/* Field 22 of /proc/PID/stat, the start time in clock ticks after boot. */
static unsigned long long starttime_of(pid_t pid)
{
	char *path = xasprintf("/proc/%d/stat", (int)pid);
	char *s = read_text(path);
	char *p = s ? strrchr(s, ')') : NULL;
	unsigned long long v = 0;

	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		v = strtoull(p + 1, NULL, 10);
	free(s);
	free(path);
	return v;
}

/* A PID that was ours and is reaped: nothing runs there now. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

/* ---------------------------------------------------- state records --- */

/* What a test made on the host: removed when its worker exits, also after
 * a failed assertion has left the test body early. */
static char records[4][128];
static char dirs[2][64];

__attribute__((destructor)) static void remove_what_we_made(void)
{
	char cmd[96];

	for (int i = 0; i < 4; i++)
		if (records[i][0])
			unlink(records[i]);
	for (int i = 0; i < 2; i++)
		if (dirs[i][0] &&
		    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dirs[i]) < 96 &&
		    system(cmd) != 0)
			fprintf(stderr, "%s failed\n", cmd);
}

/* Remove DIR, a directory the test made under /tmp, at the end. */
static void remember_dir(const char *dir)
{
	int i = dirs[0][0] ? 1 : 0;

	cr_assert_lt(strlen(dir), sizeof(dirs[i]));
	snprintf(dirs[i], sizeof(dirs[i]), "%s", dir);
}

/* A deep host directory, /tmp/nsw-setns-XXXXXX/a/b/c/d. */
static char *deep_dir(void)
{
	char top[] = "/tmp/nsw-setns-XXXXXX";

	cr_assert_not_null(mkdtemp(top), "mkdtemp: %s", strerror(errno));
	remember_dir(top);
	char *deep = xasprintf("%s/a/b/c/d", top);
	char *mk = xasprintf("mkdir -p '%s'", deep);
	cr_assert_eq(system(mk), 0, "%s", mk);
	free(mk);
	return deep;
}

/* Write DIR/NAME.state the way `step07 --name NAME` does (HACKING.md). */
static const char *write_record(const char *name, pid_t pid,
				unsigned long long start, pid_t runtime)
{
	char iso[32];
	time_t now = time(NULL);
	struct tm tm;
	int slot = 0;

	while (slot < 3 && records[slot][0])
		slot++;
	snprintf(records[slot], sizeof(records[slot]), STATE_DIR "/%s.state",
		 name);
	gmtime_r(&now, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	char *text = xasprintf("pid=%d\nstarttime=%llu\nruntime=%d\n"
			       "command=/bin/sh -c read x\ncreated=%s\n",
			       (int)pid, start, (int)runtime, iso);
	cr_assert(mkdir(STATE_DIR, 0755) == 0 || errno == EEXIST,
		  "mkdir " STATE_DIR ": %s", strerror(errno));
	int fd =
	    open(records[slot], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "%s: %s", records[slot], strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	free(text);
	return records[slot];
}

/* ------------------------------------------------- the story's form --- */

Test(step07_setns, story_net_file_shows_the_targets_network)
{
	need_root();
	struct target t = unshare_target("-fpmuin");
	char *file = xasprintf("/proc/%d/ns/net", (int)t.pid);
	char *want = xasprintf("net:[%lu]\n", ns_inode(t.pid, "net"));
	struct proc *p =
	    run(NULL, "set_ns", file, "readlink", "/proc/self/ns/net", NULL);

	cr_assert_neq(ns_inode(t.pid, "net"), ns_inode(0, "net"));
	expect_status(p, 0);
	cr_expect_str_eq(p->out, want, "the target's network namespace");
	cr_expect_str_eq(p->err, "", "no PID join, no fork, nothing said");
	proc_free(p);
	free(want);
	free(file);
	target_stop(&t);
}

Test(step07_setns, story_uts_file_shows_the_targets_hostname)
{
	need_root();
	struct target t = unshare_target("-fpmuin");
	char *file = xasprintf("/proc/%d/ns/uts", (int)t.pid);
	char *want = xasprintf("%s\n", t.host);
	struct proc *p = run(NULL, "set_ns", file, "hostname", NULL);
	char host[256] = "";

	expect_status(p, 0);
	cr_expect_str_eq(p->out, want, "the target's hostname");
	gethostname(host, sizeof(host) - 1);
	cr_expect_str_neq(host, t.host, "the host's hostname is its own");
	proc_free(p);
	free(want);
	free(file);
	target_stop(&t);
}

Test(step07_setns, story_pid_file_forks_into_the_pid_namespace)
{
	need_root();
	struct target t = unshare_target("-fpmuin");
	char *file = xasprintf("/proc/%d/ns/pid", (int)t.pid);
	char *want = xasprintf("pid:[%lu]\n", ns_inode(t.pid, "pid"));

	/* Only the PID namespace is joined: /proc is still the host's, and
	 * /proc/self is the command's own host PID. */
	struct proc *p =
	    run(NULL, "set_ns", file, "readlink", "/proc/self/ns/pid", NULL);
	expect_status(p, 0);
	cr_expect_str_eq(p->out, want, "the command is in the target's PID ns");
	cr_expect(strncmp(p->err, "set_ns: child PID on host: ", 27) == 0 &&
		      one_line(p->err),
		  "reports the forked child: %s", p->err);
	proc_free(p);

	p = run(NULL, "set_ns", "-q", file, "/bin/sh", "-c", "exit 42", NULL);
	expect_status(p, 42, "the exit status passes through");
	cr_expect_str_eq(p->err, "", "-q says nothing");
	proc_free(p);

	/* The host sees the command at host PID H, NSpid "H n": n inside. */
	struct run_opts o = {.keep_stdin = true, .timeout = 5};
	p = proc_start(&o, "set_ns",
		       (char *[]){"", file, "/bin/sh", "-c",
				  "echo $$; echo ready; read x", NULL});
	cr_assert(proc_wait_out(p, "ready"), "%s", p->err);
	pid_t h = proc_child(p), ids[4] = {0};
	cr_assert_gt(h, 0, "%s", p->err);
	cr_expect_eq(nspid(h, ids, 4), 2, "one PID namespace below the host");
	cr_expect_eq(ids[1], (pid_t)atoi(p->out), "echo $$ = %s", p->out);
	cr_expect_gt(ids[1], 1, "not the target's PID 1");
	proc_write(p, "\n");
	expect_finish(p, 0);
	proc_free(p);
	free(want);
	free(file);
	target_stop(&t);
}

/* ------------------------------------------------------ the full form --- */

Test(step07_setns, all_sees_hostname_and_the_targets_processes)
{
	need_root();
	struct target t = unshare_target("-fpmuin");
	struct proc *p =
	    run(NULL, "set_ns", "-q", "-t", t.spid, "-a", "/bin/sh", "-c",
		"hostname; echo $$; ps -e -o pid=,args=", NULL);
	char *want = xasprintf("%s\n", t.host);

	expect_status(p, 0);
	cr_assert_eq(strncmp(p->out, want, strlen(want)), 0,
		     "the target's hostname: %s", p->out);
	const char *rest = p->out + strlen(want);
	int own = atoi(rest), procs = 0;
	bool pid1 = false, ours = false;
	cr_expect_gt(own, 1, "our PID inside is not 1: %s", rest);
	/* ps: the target's PID 1, our shell, ps itself, nothing more */
	for (const char *l = strchr(rest, '\n'); l && l[1];
	     l = strchr(l + 1, '\n')) {
		char *end;
		long pid = strtol(l + 1, &end, 10);
		const char *eol = strchr(end, '\n');
		char *line =
		    strndup(end, eol ? (size_t)(eol - end) : strlen(end));

		procs++;
		pid1 |= pid == 1 && strstr(line, t.host) != NULL;
		ours |= pid == own;
		free(line);
	}
	cr_expect(pid1, "ps shows the target's PID 1: %s", rest);
	cr_expect(ours, "ps shows our shell %d: %s", own, rest);
	cr_expect_leq(procs, 3, "and nothing of the host: %s", rest);
	proc_free(p);
	free(want);
	target_stop(&t);
}

Test(step07_setns, all_joins_every_namespace_of_the_target)
{
	need_root();
	/* Seven new namespaces: none of the target's is the host's. */
	struct target t = unshare_target("-fpmuinCr");
	char *want = ns_lines(t.pid);
	char *host = ns_lines(0);
	char names[] = ALL_NS;

	for (char *x = strtok(names, " "); x; x = strtok(NULL, " "))
		cr_assert_neq(ns_inode(t.pid, x), ns_inode(0, x), "%s", x);
	struct proc *a = run(NULL, "set_ns", "-q", "-t", t.spid, "-a",
			     "/bin/sh", "-c", PRINT_NS, NULL);
	expect_status(a, 0);
	cr_expect_str_eq(a->out, want, "-a: every namespace of the target");
	struct proc *d = run(NULL, "set_ns", "-q", "-t", t.spid, "/bin/sh",
			     "-c", PRINT_NS, NULL);
	expect_status(d, 0);
	cr_expect_str_eq(d->out, want, "no namespace option means -a");
	char *after = ns_lines(0);
	cr_expect_str_eq(after, host, "set_ns changed nothing of ours");
	free(after);
	proc_free(a);
	proc_free(d);
	free(host);
	free(want);
	target_stop(&t);
}

Test(step07_setns, all_enters_the_targets_root_from_a_deep_directory)
{
	need_root();
	if (access(UNSHARE, X_OK) != 0)
		skip_because(UNSHARE " not installed");
	/* A target that chroot(2)ed into the busybox rootfs: its mount
	 * namespace's root is the host's, its own root is not. */
	char *rootfs = step_path("rootfs");
	char *root_opt = xasprintf("--root=%s", rootfs);
	struct target t = target_start(
	    NULL, UNSHARE,
	    (char *[]){"", "-fpmuin", "--kill-child", "--mount-proc", root_opt,
		       "/bin/sh", "-c", "echo ready; read x", NULL},
	    "-", false);
	char *proot = xasprintf("/proc/%d/root", (int)t.pid);
	struct stat st;
	cr_assert_eq(stat(proot, &st), 0, "%s", proot);
	struct proc *ls = run(NULL, "/bin/ls", "-1", proot, NULL);
	char *want = xasprintf("%lu:%lu\n/\n%s", (unsigned long)st.st_dev,
			       (unsigned long)st.st_ino, ls->out);
	char *deep = deep_dir();

	struct run_opts o = {.dir = deep};
	struct proc *p =
	    run(&o, "set_ns", "-q", "-t", t.spid, "-a", "/bin/sh", "-c",
		"stat -c %d:%i /; readlink /proc/self/cwd; ls /", NULL);
	expect_status(p, 0);
	cr_expect_str_eq(p->out, want, "root = the target's root (%s), cwd = /",
			 rootfs);
	proc_free(p);
	proc_free(ls);
	free(deep);
	free(want);
	free(proot);
	free(root_opt);
	free(rootfs);
	target_stop(&t);
}

Test(step07_setns, exit_status_passes_through)
{
	need_root();
	struct target t = unshare_target("-fpmuin");
	char *uts = xasprintf("/proc/%d/ns/uts", (int)t.pid);
	char *missing = xasprintf("no-such-command-%d", (int)getpid());
	struct {
		const char *cmd;
		int status;
	} cases[] = {{"exit 42", 42}, {"kill -9 $$", 137}, {"exit 0", 0}};

	/* With -t: a PID join, so a fork and waitpid; with the uts file: an
	 * exec in place. Both give COMMAND's status. */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct proc *p = run(NULL, "set_ns", "-q", "-t", t.spid, "-a",
				     "/bin/sh", "-c", cases[i].cmd, NULL);
		expect_status(p, cases[i].status, "-t: %s", cases[i].cmd);
		proc_free(p);
		p = run(NULL, "set_ns", uts, "/bin/sh", "-c", cases[i].cmd,
			NULL);
		expect_status(p, cases[i].status, "NSFILE: %s", cases[i].cmd);
		proc_free(p);
	}
	struct proc *p =
	    run(NULL, "set_ns", "-q", "-t", t.spid, "-a", missing, NULL);
	expect_status(p, 127, "not found");
	cr_expect(one_line(p->err) && strstr(p->err, missing),
		  "one line that names it: %s", p->err);
	proc_free(p);
	p = run(NULL, "set_ns", uts, missing, NULL);
	expect_status(p, 127, "not found, NSFILE form");
	cr_expect(one_line(p->err) && strstr(p->err, missing),
		  "one line that names it: %s", p->err);
	proc_free(p);
	p = run(NULL, "set_ns", "-q", "-t", t.spid, "/etc", NULL);
	expect_status(p, 126, "a directory cannot be executed");
	cr_expect(one_line(p->err), "one line: %s", p->err);
	proc_free(p);
	free(missing);
	free(uts);
	target_stop(&t);
}

Test(step07_setns, single_flags_join_only_their_namespace)
{
	need_root();
	struct target t = unshare_target("-fpmuin");
	char *host_net = ns_link("net"), *host_mnt = ns_link("mnt");
	char *host_pid = ns_link("pid"), *host_uts = ns_link("uts");
	char *want =
	    xasprintf("%s\n%s\n%s\n%s\n", t.host, host_net, host_mnt, host_pid);
	struct proc *p =
	    run(NULL, "set_ns", "-q", "-t", t.spid, "--uts", "/bin/sh", "-c",
		"hostname; readlink /proc/self/ns/net "
		"/proc/self/ns/mnt /proc/self/ns/pid",
		NULL);

	expect_status(p, 0);
	cr_expect_str_eq(p->out, want, "--uts: the target's hostname only");
	proc_free(p);
	free(want);
	want = xasprintf("net:[%lu]\n%s\n", ns_inode(t.pid, "net"), host_uts);
	p = run(NULL, "set_ns", "-q", "-t", t.spid, "-n", "readlink",
		"/proc/self/ns/net", "/proc/self/ns/uts", NULL);
	expect_status(p, 0);
	cr_expect_str_eq(p->out, want, "-n: the target's network only");
	proc_free(p);
	free(want);
	free(host_net);
	free(host_mnt);
	free(host_pid);
	free(host_uts);
	target_stop(&t);
}

/* ------------------------------------------ targets of other makers --- */

Test(step07_setns, works_against_an_unshare_fpu_target)
{
	need_root();
	/* New PID and UTS namespaces only: /proc stays the host's. */
	struct target t = unshare_target("-fpu");
	char *want =
	    xasprintf("pid:[%lu]\nuts:[%lu]\n%s\n", ns_inode(t.pid, "pid"),
		      ns_inode(t.pid, "uts"), t.host);
	struct proc *p =
	    run(NULL, "set_ns", "-q", "-t", t.spid, "/bin/sh", "-c",
		"readlink /proc/self/ns/pid /proc/self/ns/uts; "
		"hostname; echo $$",
		NULL);

	expect_status(p, 0);
	cr_expect_eq(strncmp(p->out, want, strlen(want)), 0,
		     "the target's PID and UTS namespaces: %s", p->out);
	size_t n = strlen(want);
	int own = strlen(p->out) > n ? atoi(p->out + n) : 0;
	cr_expect_gt(own, 1, "our PID inside is not 1: %s", p->out);
	proc_free(p);
	free(want);
	target_stop(&t);
}

Test(step07_setns, works_against_a_bwrap_target)
{
	need_root();
	if (access(BWRAP, X_OK) != 0)
		skip_because("bwrap not installed");
	char *host = unique_host();
	struct target t = target_start(
	    NULL, BWRAP,
	    (char *[]){"", "--unshare-all", "--die-with-parent", "--hostname",
		       host, "--ro-bind", "/", "/", "--proc", "/proc", "--dev",
		       "/dev", "/bin/sh", "-c", "echo ready; read x", NULL},
	    host, false);
	char *lines = ns_lines(t.pid);
	char *want = xasprintf("%s\n%s", host, lines);
	struct proc *p = run(NULL, "set_ns", "-q", "-t", t.spid, "/bin/sh",
			     "-c", "hostname; " PRINT_NS, NULL);

	cr_expect_neq(ns_inode(t.pid, "user"), ns_inode(0, "user"));
	expect_status(p, 0);
	cr_expect_str_eq(p->out, want, "bwrap's hostname and namespaces");
	proc_free(p);
	free(want);
	free(lines);
	free(host);
	target_stop(&t);
}

Test(step07_setns, works_against_a_step06_target)
{
	need_root();
	if (!have_step("step06"))
		skip_because("step06 not built");
	char *host = unique_host();
	struct target t = target_start(
	    NULL, "step06",
	    (char *[]){"", "--net", "none", "--hostname", host, "/bin/sh", "-c",
		       "echo ready; read x", NULL},
	    host, true);
	char *proot = xasprintf("/proc/%d/root", (int)t.pid);
	struct stat st;
	cr_assert_eq(stat(proot, &st), 0);
	cr_assert_neq(ns_inode(t.pid, "user"), ns_inode(0, "user"),
		      "step06 makes a user namespace");
	char *want = xasprintf(
	    "0\n%s\nuser:[%lu]\n%lu:%lu\n/\n", host, ns_inode(t.pid, "user"),
	    (unsigned long)st.st_dev, (unsigned long)st.st_ino);
	char *deep = deep_dir();
	struct run_opts o = {.keep_stdin = true, .timeout = 5, .dir = deep};
	struct proc *p = proc_start(
	    &o, "set_ns",
	    (char *[]){"", "-t", t.spid, "/bin/sh", "-c",
		       "id -u; hostname; readlink /proc/self/ns/user; "
		       "stat -c %d:%i /; readlink /proc/self/cwd; read x",
		       NULL});

	/* Inside: uid 0, the container's hostname, user namespace and root,
	 * cwd /. Outside: the command's uid is the one the map gives 0. */
	pid_t h = proc_child(p);
	cr_assert_gt(h, 0, "%s", p->err);
	cr_expect(proc_wait_out(p, "\n/\n"), "%s", p->err);
	cr_expect_str_eq(p->out, want, "root of the container, in its rootfs");
	char *path = xasprintf("/proc/%d/status", (int)h);
	char *cpath = xasprintf("/proc/%d/status", (int)t.pid);
	char *s = read_text(path), *cs = read_text(cpath);
	const char *u = s ? strstr(s, "\nUid:") : NULL;
	const char *cu = cs ? strstr(cs, "\nUid:") : NULL;
	cr_assert(u && cu, "%s readable", path);
	cr_expect_neq(atoi(u + 5), 0, "not host root on the host");
	cr_expect_eq(atoi(u + 5), atoi(cu + 5), "the container's root uid");
	proc_write(p, "\n");
	expect_finish(p, 0);
	free(deep);
	free(s);
	free(cs);
	free(path);
	free(cpath);
	proc_free(p);
	free(want);
	free(proot);
	free(host);
	target_stop(&t);
}

/* ----------------------------------------------------------- rootless --- */

/* A world-readable copy of step06, its rootfs and set_ns, for uid 65534. */
static char *rootless_dir(void)
{
	char *dir = rootless_copy("step06");
	char *bin = step_path("set_ns");
	char *cp = xasprintf("cp '%s' '%s/set_ns'", bin, dir);

	remember_dir(dir);
	cr_assert_eq(system(cp), 0, "%s", cp);
	free(cp);
	free(bin);
	return dir;
}

Test(step07_setns, rootless_enters_a_rootless_step06_container)
{
	need_root(); /* to become uid 65534 */
	if (!have_step("step06"))
		skip_because("step06 not built");
	char *dir = rootless_dir();
	char *step06 = xasprintf("%s/step06", dir);
	char *set_ns = xasprintf("%s/set_ns", dir);
	char *host = unique_host();
	struct run_opts o = {.uid = 65534, .dir = dir};
	struct target t =
	    target_start(&o, step06,
			 (char *[]){"", "--hostname", host, "/bin/sh", "-c",
				    "echo ready; read x", NULL},
			 host, true);
	char *want = xasprintf("0\n%s\nuser:[%lu]\nmnt:[%lu]\n", host,
			       ns_inode(t.pid, "user"), ns_inode(t.pid, "mnt"));

	/* Without a capability over the container's namespaces, set_ns must
	 * enter its user namespace first and the others after. */
	struct proc *p = run(&o, set_ns, "-q", "-t", t.spid, "/bin/sh", "-c",
			     "id -u; hostname; readlink /proc/self/ns/user; "
			     "readlink /proc/self/ns/mnt",
			     NULL);
	expect_status(p, 0);
	cr_expect_str_eq(p->out, want, "uid 65534 joins its own container");
	proc_free(p);
	free(want);
	free(host);
	free(set_ns);
	free(step06);
	free(dir);
	target_stop(&t);
}

Test(step07_setns, rootless_is_refused_a_root_container)
{
	need_root();
	struct target t = unshare_target("-fpmuin");
	char *dir = rootless_dir();
	char *set_ns = xasprintf("%s/set_ns", dir);
	struct run_opts o = {.uid = 65534, .dir = dir};
	struct proc *p =
	    run(&o, set_ns, "-t", t.spid, "/bin/sh", "-c", "echo RAN", NULL);

	expect_status(p, 125);
	cr_expect(one_line(p->err) && strstr(p->err, "sudo"),
		  "one line that suggests sudo: %s", p->err);
	cr_expect_str_eq(p->out, "", "COMMAND did not run");
	cr_expect(group_gone(p), "nothing left running");
	proc_free(p);
	free(set_ns);
	free(dir);
	target_stop(&t);
}

/* ---------------------------------------------------------- hardening --- */

Test(step07_setns, only_fds_0_to_2_reach_command)
{
	need_root();
	struct target t = unshare_target("-fpmuin");
	int a = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	int b = open("/", O_RDONLY | O_CLOEXEC);
	int keep[] = {a, b, -1};
	struct run_opts o = {.keep_fds = keep};
	char *net = xasprintf("/proc/%d/ns/net", (int)t.pid);
	char *fa = xasprintf("\n%d\n", a), *fb = xasprintf("\n%d\n", b);

	cr_assert(a > 2 && b > 2);
	/* The control: ls alone sees the two (3 is ls's own directory). */
	struct proc *p = run(&o, "/bin/ls", "/proc/self/fd", NULL);
	cr_assert(strstr(p->out, fa) && strstr(p->out, fb),
		  "fds %d and %d reach what the harness starts: %s", a, b,
		  p->out);
	proc_free(p);
	/* exec in place (NSFILE form) and after the fork (-t, PID join) */
	p = run(&o, "set_ns", net, "/bin/ls", "/proc/self/fd", NULL);
	expect_status(p, 0);
	cr_expect_str_eq(p->out, "0\n1\n2\n3\n", "NSFILE: 0-2 and ls's own");
	proc_free(p);
	p = run(&o, "set_ns", "-q", "-t", t.spid, "/bin/ls", "/proc/self/fd",
		NULL);
	expect_status(p, 0);
	cr_expect_str_eq(p->out, "0\n1\n2\n3\n", "-t: 0-2 and ls's own");
	proc_free(p);
	close(a);
	close(b);
	free(fa);
	free(fb);
	free(net);
	target_stop(&t);
}

/* --------------------------------------------------------- bad input --- */

/* set_ns refuses ARGV: 125, one line that says WHY, COMMAND (`echo RAN`)
 * never ran and no process is left. */
static void expect_refused(char *const argv[], const char *why,
			   const char *label)
{
	struct proc *p = runv(NULL, "set_ns", argv);

	expect_status(p, 125, "%s", label);
	cr_expect(one_line(p->err), "%s: one line: %s", label, p->err);
	cr_expect(strstr(p->err, why), "%s: says '%s': %s", label, why, p->err);
	cr_expect_str_eq(p->out, "", "%s: COMMAND did not run", label);
	cr_expect(group_gone(p), "%s: nothing left running", label);
	proc_free(p);
}

Test(step07_setns, files_that_are_no_namespace_are_125)
{
	need_root();
	char *missing = xasprintf("/nonexistent-setns-%d", (int)getpid());

	expect_refused((char *[]){"", "/etc/hostname", "echo", "RAN", NULL},
		       "not a namespace file", "a regular file");
	expect_refused((char *[]){"", "/tmp", "echo", "RAN", NULL},
		       "not a namespace file", "a directory");
	expect_refused((char *[]){"", "/dev/null", "echo", "RAN", NULL},
		       "not a namespace file", "/dev/null");
	expect_refused((char *[]){"", missing, "echo", "RAN", NULL},
		       "No such file", "a missing file");
	expect_refused((char *[]){"", "no-such-file", "echo", "RAN", NULL},
		       "need NSFILE", "a missing relative file");
	/* set_ns learns an NSFILE's type from the kernel (NS_GET_NSTYPE);
	 * a type option beside it is refused, not checked against it. */
	expect_refused(
	    (char *[]){"", "--net", "/proc/self/ns/uts", "echo", "RAN", NULL},
	    "need -t or --name", "--net with an NSFILE");
	free(missing);
}

Test(step07_setns, bad_targets_options_and_names_are_125)
{
	need_root();
	char *dead = xasprintf("%d", (int)dead_pid());
	char *unknown = xasprintf("setns-none-%d", (int)getpid());
	char n64[65], n65[66];

	/* 64 bytes is a name, unique here, of nothing; 65 is no name. */
	snprintf(n64, sizeof(n64), "%s", unknown);
	memset(n64 + strlen(unknown), 'x', 64 - strlen(unknown));
	n64[64] = '\0';
	memset(n65, 'a', 65);
	n65[65] = '\0';
	expect_refused((char *[]){"", "-t", dead, "echo", "RAN", NULL},
		       "no such process", "a dead PID");
	expect_refused((char *[]){"", "-t", "abc", "echo", "RAN", NULL},
		       "bad PID", "-t abc");
	expect_refused((char *[]){"", "-t", "0", "echo", "RAN", NULL},
		       "bad PID", "-t 0");
	expect_refused((char *[]){"", "--bogus", "echo", "RAN", NULL},
		       "unknown option", "an unknown option");
	expect_refused((char *[]){"", "-t", NULL}, "needs an argument",
		       "-t without PID");
	expect_refused((char *[]){"", "--name", "", "echo", "RAN", NULL},
		       "bad name", "--name ''");
	expect_refused((char *[]){"", "--name", "../x", "echo", "RAN", NULL},
		       "bad name", "--name ../x");
	expect_refused((char *[]){"", "--name", n65, "echo", "RAN", NULL},
		       "bad name", "--name of 65 bytes");
	expect_refused((char *[]){"", "--name", n64, "echo", "RAN", NULL},
		       "no container named", "an unknown 64-byte name");
	expect_refused((char *[]){"", "--name", unknown, "echo", "RAN", NULL},
		       "no container named", "an unknown name");
	char *rec = xasprintf(STATE_DIR "/%s.state", unknown);
	cr_expect_neq(access(rec, F_OK), 0, "no record made for %s", unknown);
	free(rec);

	struct proc *h = run(NULL, "set_ns", "-h", NULL);
	expect_status(h, 0, "--help is no error");
	cr_expect(strncmp(h->out, "usage: set_ns", 13) == 0, "%s", h->out);
	proc_free(h);
	free(unknown);
	free(dead);
}

/* ------------------------------------------------------------- --name --- */

Test(step07_setns, name_finds_a_record_written_by_hand)
{
	need_root();
	struct target t = unshare_target("-fpmuin");
	char *name = xasprintf("setns-test-%d", (int)getpid());
	const char *rec =
	    write_record(name, t.pid, starttime_of(t.pid), t.p->pid);
	char *want = xasprintf("%s\n", t.host);
	struct proc *p =
	    run(NULL, "set_ns", "-q", "--name", name, "hostname", NULL);

	expect_status(p, 0);
	cr_expect_str_eq(p->out, want, "--name %s is the target", name);
	cr_expect_eq(access(rec, F_OK), 0, "a live record stays");
	unlink(rec);
	proc_free(p);
	free(want);
	free(name);
	target_stop(&t);
}

Test(step07_setns, stale_records_are_refused_and_removed)
{
	need_root();
	struct target t = unshare_target("-fpmuin");
	char *gone = xasprintf("setns-stale-%d", (int)getpid());
	char *reused = xasprintf("setns-reused-%d", (int)getpid());
	/* A dead PID, and a live one that started at another time: the PID
	 * was reused by another process. */
	const char *rg = write_record(gone, dead_pid(), 12345, getpid());
	const char *rr =
	    write_record(reused, t.pid, starttime_of(t.pid) + 1, t.p->pid);
	struct {
		const char *name, *rec;
	} cases[] = {{gone, rg}, {reused, rr}};

	for (int i = 0; i < 2; i++) {
		struct proc *p = run(NULL, "set_ns", "-q", "--name",
				     cases[i].name, "echo", "RAN", NULL);

		expect_status(p, 125, "%s", cases[i].name);
		cr_expect(one_line(p->err) && strstr(p->err, "stale"),
			  "says stale: %s", p->err);
		cr_expect_str_eq(p->out, "", "COMMAND did not run");
		cr_expect_neq(access(cases[i].rec, F_OK), 0, "%s removed",
			      cases[i].rec);
		unlink(cases[i].rec);
		proc_free(p);
	}
	cr_expect(pid_alive(t.pid), "the reused PID's process is untouched");
	free(gone);
	free(reused);
	target_stop(&t);
}

/* ------------------------------------------------ runc exec (issue 17) --- */

/* A step07 container (--net none, the runtime's hardening) whose PID 1
 * waits on its stdin; ROOTFS NULL: the default one. */
static struct target step07_target(const char *rootfs)
{
	char *host = unique_host();
	struct target t;

	if (!have_step("step07"))
		skip_because("step07 not built");
	if (rootfs)
		t = target_start(NULL, "step07",
				 (char *[]){"", "--hostname", host, "--net",
					    "none", "--rootfs", (char *)rootfs,
					    "/bin/sh", "-c",
					    "echo ready; read x", NULL},
				 host, true);
	else
		t = target_start(NULL, "step07",
				 (char *[]){"", "--hostname", host, "--net",
					    "none", "/bin/sh", "-c",
					    "echo ready; read x", NULL},
				 host, true);
	free(host);
	return t;
}

/* The lines of /proc/PID/status (0: set_ns's COMMAND, through SET_NS
 * ARGS) that say what a process may do. */
#define PRIV_LINES "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):"

static char *privileges_of_pid(pid_t pid)
{
	char *path = xasprintf("/proc/%d/status", (int)pid);
	struct proc *p = run(NULL, "/bin/grep", "-E", PRIV_LINES, path, NULL);
	char *s = strdup(p->out);

	proc_free(p);
	free(path);
	return s;
}

/* RELIABILITY row 29: what runc exec gives the joined process. With the
 * story's nsenter-like join, CapBnd was the host's full set and
 * NoNewPrivs 0: one set_ns undid the container's hardening. */
Test(step07_setns, joined_process_keeps_the_containers_hardening)
{
	need_root();
	struct target t = step07_target(NULL);
	char *want = privileges_of_pid(t.pid);
	struct proc *p = run(NULL, "set_ns", "-q", "-t", t.spid, "grep", "-E",
			     PRIV_LINES, "/proc/self/status", NULL);

	expect_status(p, 0);
	cr_expect(strstr(want, "NoNewPrivs:\t1\n"), "PID 1: %s", want);
	cr_expect_str_eq(p->out, want, "set_ns's COMMAND and PID 1");
	proc_free(p);
	/* --name and -a: the same */
	p = run(NULL, "set_ns", "-q", "-a", "-t", t.spid, "grep", "-E",
		PRIV_LINES, "/proc/self/status", NULL);
	cr_expect_str_eq(p->out, want, "-a");
	proc_free(p);
	free(want);
	target_stop(&t);
}

/* The masks and read-only paths hold for a joined process too. Guarded:
 * against a set_ns that does not harden, the umount happens only in the
 * container's own mount namespace. */
Test(step07_setns, umount_and_remount_through_set_ns_are_refused)
{
	need_root();
	struct target t = step07_target(NULL);
	char *g = guard("mnt");
	char *script = xasprintf("%sumount /proc/keys; echo umount=$?; "
				 "mount -o remount,rw /proc/sys; "
				 "echo remount=$?",
				 g);
	struct proc *p =
	    run(NULL, "set_ns", "-q", "-t", t.spid, "sh", "-c", script, NULL);

	expect_status(p, 0);
	cr_expect(strstr(p->out, "umount=1\n"), "%s%s", p->out, p->err);
	cr_expect(strstr(p->out, "remount=") && !strstr(p->out, "remount=0\n"),
		  "%s%s", p->out, p->err);
	proc_free(p);
	free(script);
	free(g);
	target_stop(&t);
}

/* A session of its own: the shell is its session's leader (its sid, read
 * inside, is its own PID); joined into the caller's session it reads 0,
 * a leader outside its PID namespace. */
Test(step07_setns, joined_process_has_a_session_of_its_own)
{
	need_root();
	struct target t = step07_target(NULL);
	struct proc *p =
	    run(NULL, "set_ns", "-q", "-t", t.spid, "sh", "-c",
		"read -r pid comm state ppid pgrp sid rest < /proc/$$/stat; "
		"[ \"$sid\" = \"$$\" ] && echo own-session || echo sid=$sid",
		NULL);

	expect_status(p, 0);
	cr_expect_str_eq(p->out, "own-session\n");
	proc_free(p);
	target_stop(&t);
}

/* -m enters the container proper, so it joins every namespace, as runc
 * exec does: the mount namespace alone ran the container's own programs
 * (its PATH, its /tmp) as root of the host's user, PID and network
 * namespaces, able to kill any host process. */
Test(step07_setns, mount_join_is_a_join_of_every_namespace)
{
	need_root();
	struct target t = step07_target(NULL);
	char *want = xasprintf("user:[%lu]\npid:[%lu]\nnet:[%lu]\n",
			       ns_inode(t.pid, "user"), ns_inode(t.pid, "pid"),
			       ns_inode(t.pid, "net"));
	struct proc *p =
	    run(NULL, "set_ns", "-q", "-t", t.spid, "-m", "sh", "-c",
		"for n in user pid net; do readlink "
		"/proc/self/ns/$n; done",
		NULL);

	cr_expect_eq(p->status, 0, "%s", p->err);
	cr_expect_str_eq(p->out, want, "-m: %s", p->err);
	proc_free(p);
	free(want);
	target_stop(&t);
}

/* RELIABILITY row 17 for set_ns (CVE-2017-5226): under script(1) the
 * caller's stdin is a terminal; from its own session the joined process
 * cannot push a character into it. */
Test(step07_setns, tiocsti_cannot_type_into_the_callers_terminal)
{
	need_root();
	if (access("/usr/bin/script", X_OK) != 0)
		skip_env("script(1) is not installed (util-linux)");
	char *dir = copy_with_helper("step07", "sysprobe");
	char *root = xasprintf("%s/rootfs", dir);
	struct target t = step07_target(root);
	char *set_ns = step_path("set_ns");
	char *cmd = xasprintf("%s -q -t %s /sysprobe tiocsti", set_ns, t.spid);
	struct run_opts o = {.timeout = 20};
	struct proc *p =
	    run(&o, "/usr/bin/script", "-qec", cmd, "/dev/null", NULL);

	expect_status(p, 0);
	cr_expect(strstr(p->out, "tiocsti: EPERM"), "%s", p->out);
	proc_free(p);
	target_stop(&t);
	rm_rf(dir);
	free(cmd);
	free(set_ns);
	free(root);
	free(dir);
}

/* The runtime's relay (init.c): each of these reaches COMMAND's trap.
 * USR1 used to kill set_ns and leave COMMAND behind. */
Test(step07_setns, every_relayed_signal_reaches_command)
{
	static const struct {
		int sig;
		const char *name;
	} sigs[] = {{SIGINT, "INT"},	{SIGTERM, "TERM"}, {SIGHUP, "HUP"},
		    {SIGQUIT, "QUIT"},	{SIGUSR1, "USR1"}, {SIGUSR2, "USR2"},
		    {SIGWINCH, "WINCH"}};

	need_root();
	struct target t = step07_target(NULL);

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		char *script = xasprintf("trap 'echo got-%s; exit 7' %s; "
					 "echo ready; while :; do sleep 0.05; "
					 "done",
					 sigs[i].name, sigs[i].name);
		struct run_opts o = {.timeout = 10};
		struct proc *p =
		    proc_start(&o, "set_ns",
			       (char *[]){"", "-q", "-t", t.spid, "sh", "-c",
					  script, NULL});

		cr_assert(proc_wait_out(p, "ready"), "%s: %s", sigs[i].name,
			  p->err);
		proc_kill(p, sigs[i].sig);
		proc_finish(p);
		expect_status(p, 7, "SIG%s", sigs[i].name);
		cr_expect(strstr(p->out, "got-"), "SIG%s: %s", sigs[i].name,
			  p->out);
		proc_free(p);
		free(script);
	}
	target_stop(&t);
}

/* The container's PATH, not the caller's: a caller's entry the container
 * cannot search (/root is 0700, owned by an unmapped uid) made execvp say
 * EACCES, 126, for a command that is simply missing. */
Test(step07_setns, a_missing_command_is_127)
{
	need_root();
	struct target t = step07_target(NULL);
	char *set_ns = step_path("set_ns");
	struct proc *p =
	    run(NULL, "/usr/bin/env", "PATH=/root/bin:/usr/sbin:/usr/bin:/bin",
		set_ns, "-q", "-t", t.spid, "no-such-command-here", NULL);

	expect_status(p, 127);
	cr_expect(strstr(p->err, "No such file"), "%s", p->err);
	proc_free(p);
	free(set_ns);
	target_stop(&t);
}

/* COMMAND gets the container's environment, -e on top; none of ours. */
Test(step07_setns, command_gets_the_containers_environment)
{
	need_root();
	struct target t = step07_target(NULL);
	char *set_ns = step_path("set_ns");
	struct proc *p = run(NULL, "/usr/bin/env", "NSW_SECRET=x",
			     "NSW_MINE=mine", set_ns, "-q", "-t", t.spid, "-e",
			     "NSW_ADDED=1", "-e", "NSW_MINE", "env", NULL);

	expect_status(p, 0);
	cr_expect_null(strstr(p->out, "NSW_SECRET"), "%s", p->out);
	cr_expect(strstr(p->out, "\nNSW_ADDED=1\n"), "%s", p->out);
	cr_expect(strstr(p->out, "\nNSW_MINE=mine\n"), "%s", p->out);
	cr_expect(strstr(p->out, "PATH=/usr/local/sbin:"), "%s", p->out);
	proc_free(p);
	free(set_ns);
	target_stop(&t);
}
