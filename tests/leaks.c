/* The leak fixture; see leaks.h. */
#include "leaks.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PIDS  512
#define MAX_NAMES 64
#define MAX_SCOPE 8

struct leaks {
	char *mounts; /* /proc/self/mountinfo at leaks_begin */
	char *scope[MAX_SCOPE];
	int nscope;
	pid_t runtimes[MAX_PIDS];
	int nruntimes;
	pid_t children[MAX_PIDS];
	unsigned long pidns[MAX_PIDS]; /* of children[i], 0 if unknown */
	int nchildren;
	char *names[MAX_NAMES];
	int nnames;
	char *files[MAX_NAMES];
	int nfiles;
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct leaks *leaks_begin(void)
{
	struct leaks *l = calloc(1, sizeof(*l));

	cr_assert_not_null(l);
	/* Orphans of a killed runtime come back to us, not to the host's
	 * init: that is how we find a container whose runtime died before it
	 * said the container's PID (prctl(2) PR_SET_CHILD_SUBREAPER). */
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0,
		     "PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	l->mounts = mountinfo();
	cr_assert_not_null(l->mounts);
	char *root = step_path("rootfs");
	leaks_scope(l, root);
	free(root);
	return l;
}

void leaks_scope(struct leaks *l, const char *dir)
{
	char *real = realpath(dir, NULL);

	if (l->nscope < MAX_SCOPE)
		l->scope[l->nscope++] = real ? real : strdup(dir);
	else
		free(real);
}

static bool has_pid(const pid_t *set, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (set[i] == pid)
			return true;
	return false;
}

void leaks_runtime(struct leaks *l, pid_t runtime)
{
	if (runtime > 0 && l->nruntimes < MAX_PIDS &&
	    !has_pid(l->runtimes, l->nruntimes, runtime))
		l->runtimes[l->nruntimes++] = runtime;
}

void leaks_child(struct leaks *l, pid_t child)
{
	if (child <= 0 || l->nchildren >= MAX_PIDS ||
	    has_pid(l->children, l->nchildren, child))
		return;
	/* Only while it lives does its PID namespace have a name. */
	unsigned long ns = pid_alive(child) ? ns_inode(child, "pid") : 0;

	l->pidns[l->nchildren] = ns == ns_inode(0, "pid") ? 0 : ns;
	l->children[l->nchildren++] = child;
}

void leaks_watch(struct leaks *l, const struct proc *p)
{
	pid_t child = p->child;
	const char *m = strstr(p->err, ": child PID on host: ");

	if (child <= 0 && m)
		child = (pid_t)atoi(m + strlen(": child PID on host: "));
	leaks_runtime(l, p->pid);
	leaks_child(l, child);
}

void leaks_name(struct leaks *l, const char *name)
{
	if (l->nnames < MAX_NAMES)
		l->names[l->nnames++] = strdup(name);
}

void leaks_file(struct leaks *l, const char *path)
{
	if (l->nfiles < MAX_NAMES)
		l->files[l->nfiles++] = strdup(path);
}

/* ------------------------------------------------------- processes --- */

/* Parent PID and state of PID from /proc/PID/stat; false if gone. */
static bool stat_of(pid_t pid, pid_t *ppid, char *state)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	char *s = read_text(path);
	char *r = s ? strrchr(s, ')') : NULL;
	bool ok = r && sscanf(r + 1, " %c %d", state, ppid) == 2;

	free(s);
	return ok;
}

static char *cmdline_of(pid_t pid)
{
	char *path = xasprintf("/proc/%d/cmdline", (int)pid);
	char *s = read_text(path);

	free(path);
	if (!s)
		return strdup("?");
	/* NULs between the arguments: a "-separated line is enough here */
	for (char *c = s; *c || c[1]; c++)
		if (!*c)
			*c = ' ';
	return s;
}

/*
 * Reap the zombies among our children and note the living ones that are
 * no runtime we started: orphans of a killed runtime. Each orphan is a
 * container (or one of its processes): watch it. Returns how many live.
 */
static int orphans(struct leaks *l, pid_t *live, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t self = getpid();
	int n = 0;

	while (d && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name), ppid;
		char state;

		if (pid <= 0 || !stat_of(pid, &ppid, &state) || ppid != self)
			continue;
		if (state == 'Z' || state == 'X') {
			waitpid(pid, NULL, WNOHANG);
			continue;
		}
		if (!has_pid(l->runtimes, l->nruntimes, pid))
			leaks_child(l, pid);
		if (n < max)
			live[n] = pid;
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* Live processes in the PID namespaces of the watched containers. */
static int in_pidns(const struct leaks *l, pid_t *live, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	bool any = false;

	for (int i = 0; i < l->nchildren; i++)
		any |= l->pidns[i] != 0;
	while (any && d && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);
		unsigned long ns;

		if (pid <= 0 || !(ns = ns_inode(pid, "pid")))
			continue;
		for (int i = 0; i < l->nchildren; i++) {
			if (l->pidns[i] != ns || !pid_alive(pid))
				continue;
			if (n < max)
				live[n] = pid;
			n++;
			break;
		}
	}
	if (d)
		closedir(d);
	return n;
}

/* --------------------------------------------------- links, routes --- */

static int links_left(const struct leaks *l, char *first, size_t size)
{
	char *routes = read_text("/proc/net/route");
	int n = 0;

	for (int i = 0; i < l->nchildren; i++) {
		char ifname[32], tab[40];

		snprintf(ifname, sizeof(ifname), "nsw%d", (int)l->children[i]);
		snprintf(tab, sizeof(tab), "\n%s\t", ifname);
		if (link_exists(ifname) || (routes && strstr(routes, tab))) {
			if (!n)
				snprintf(first, size, "%s", ifname);
			n++;
		}
	}
	free(routes);
	return n;
}

/* ---------------------------------------------------------- mounts --- */

/* Field 5 of a mountinfo line, the mount point. */
static bool mount_point(const char *line, char *out, size_t size)
{
	char mp[PATH_MAX];

	if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
		return false;
	snprintf(out, size, "%s", mp);
	return true;
}

static bool in_scope(const struct leaks *l, const char *line)
{
	char mp[PATH_MAX];

	if (!mount_point(line, mp, sizeof(mp)))
		return false;
	if (strcmp(mp, "/") == 0)
		return true;
	for (int i = 0; i < l->nscope; i++) {
		size_t n = strlen(l->scope[i]);

		if (strncmp(mp, l->scope[i], n) == 0 &&
		    (mp[n] == '\0' || mp[n] == '/'))
			return true;
	}
	return false;
}

/* The lines of MOUNTS in scope, one a line, in order. */
static char *scoped(const struct leaks *l, const char *mounts)
{
	char *copy = strdup(mounts), *save, *out = strdup("");

	for (char *line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!in_scope(l, line))
			continue;
		char *t = xasprintf("%s%s\n", out, line);
		free(out);
		out = t;
	}
	free(copy);
	return out;
}

/* ------------------------------------------------- records, cgroups --- */

/* Every directory a runtime may keep records in (HACKING.md). */
static int record_dirs(char dirs[][PATH_MAX], int max)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	glob_t g;
	int n = 0;

	snprintf(dirs[n++], PATH_MAX, "/run/nsworkshop");
	if (xdg && xdg[0] == '/')
		snprintf(dirs[n++], PATH_MAX, "%s/nsworkshop", xdg);
	if (glob("/tmp/nsworkshop-*", GLOB_ONLYDIR, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && n < max; i++)
			snprintf(dirs[n++], PATH_MAX, "%s", g.gl_pathv[i]);
		globfree(&g);
	}
	return n;
}

static bool record_is_live(const char *path)
{
	char *text = read_text(path);
	const char *p = text ? strstr(text, "pid=") : NULL;
	const char *r = text ? strstr(text, "runtime=") : NULL;
	bool live = false;

	/* "pid=" at the start of a line, not the end of "runtime_...pid=" */
	if (p && p != text && p[-1] != '\n')
		p = strstr(text, "\npid=") ? strstr(text, "\npid=") + 1 : NULL;
	if (p)
		live = pid_alive((pid_t)atoi(p + 4));
	else if (r)
		live = pid_alive((pid_t)atoi(r + 8));
	free(text);
	return live;
}

int leaks_live_record(const char *name)
{
	char dirs[8][PATH_MAX];
	int n = record_dirs(dirs, 8), live = 0;

	for (int i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s.state", dirs[i], name);

		live += access(path, F_OK) == 0 && record_is_live(path);
		free(path);
	}
	return live;
}

/* Remove, and count, the files of PATTERN: records or their temporary
 * files. */
static int files_left(const char *pattern, int left, char *first, size_t size)
{
	glob_t g;

	if (glob(pattern, 0, NULL, &g) != 0)
		return left;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];

		if (!left)
			snprintf(first, size, "%s (%s)", path,
				 record_is_live(path) ? "live" : "stale");
		left++;
		unlink(path);
	}
	globfree(&g);
	return left;
}

/* Remove, and count, the records of NAME and their temporary files:
 * NAME.state.new (before issue 15), .NAME.state.PID (HACKING.md). */
static int records_left(const char *name, char *first, size_t size)
{
	char dirs[8][PATH_MAX];
	int n = record_dirs(dirs, 8), left = 0;
	const char *forms[] = {"%s/%s.state", "%s/%s.state.new",
			       "%s/.%s.state.*"};

	for (int i = 0; i < n; i++) {
		for (int f = 0; f < 3; f++) {
			char *pattern = xasprintf(forms[f], dirs[i], name);

			left = files_left(pattern, left, first, size);
			free(pattern);
		}
	}
	return left;
}

/* Remove, and count, the cgroups of RUNTIME: <step>-<PID> under
 * nsworkshop/ of the v2 tree or of any v1 hierarchy. */
static int cgroups_left(pid_t runtime, char *first, size_t size)
{
	const char *pats[] = {"/sys/fs/cgroup/nsworkshop/*-%d",
			      "/sys/fs/cgroup/*/nsworkshop/*-%d"};
	int n = 0;

	for (int i = 0; i < 2; i++) {
		char pat[96];
		glob_t g;

		snprintf(pat, sizeof(pat), pats[i], (int)runtime);
		if (glob(pat, GLOB_ONLYDIR, NULL, &g) != 0)
			continue;
		for (size_t j = 0; j < g.gl_pathc; j++) {
			if (!n)
				snprintf(first, size, "%s", g.gl_pathv[j]);
			n++;
			rmdir(g.gl_pathv[j]);
		}
		globfree(&g);
	}
	return n;
}

/* ----------------------------------------------------------- check --- */

static void kill_all(const pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
}

/* Wait until END for PDEATHSIG and the kernel to end the processes, and
 * the kernel to delete the veth of each dead network namespace. */
static void settle(struct leaks *l, double end, pid_t *live, int *norph,
		   pid_t *inns, int *nns)
{
	for (;;) {
		char ifname[32];

		*norph = orphans(l, live, 64);
		*nns = in_pidns(l, inns, 64);
		int links = links_left(l, ifname, sizeof(ifname));
		if ((!*norph && !*nns && !links) || mono() > end)
			return;
		usleep(10000);
	}
}

int leaks_settle(struct leaks *l, double seconds)
{
	pid_t live[64], inns[64];
	int norph, nns;

	settle(l, mono() + seconds, live, &norph, inns, &nns);
	return norph + nns;
}

static int check_processes(struct leaks *l, double end)
{
	pid_t live[64], inns[64];
	int norph, nns;

	settle(l, end, live, &norph, inns, &nns);
	for (int i = 0; i < norph && i < 64; i++) {
		char *cmd = cmdline_of(live[i]);

		cr_expect_fail("process %d (%s) outlived its runtime",
			       (int)live[i], cmd);
		free(cmd);
	}
	for (int i = 0; i < nns && i < 64; i++)
		cr_expect_fail("process %d is left in a container's PID "
			       "namespace",
			       (int)inns[i]);
	kill_all(live, norph < 64 ? norph : 64);
	kill_all(inns, nns < 64 ? nns : 64);
	/* the killed ones, re-parented to us, become zombies: reap */
	for (int i = 0; i < 50 && orphans(l, live, 64); i++)
		usleep(10000);
	return norph + nns;
}

static int check_links(const struct leaks *l)
{
	char ifname[32] = "";
	int n = links_left(l, ifname, sizeof(ifname));

	if (n) {
		cr_expect_fail("%d veth link(s) or route(s) left, e.g. %s", n,
			       ifname);
		for (int i = 0; i < l->nchildren; i++) {
			char *cmd = xasprintf("ip link del nsw%d 2>/dev/null",
					      (int)l->children[i]);
			if (system(cmd) == -1)
				cr_log_info("%s: %s", cmd, strerror(errno));
			free(cmd);
		}
	}
	return n;
}

static int check_mounts(const struct leaks *l)
{
	char *now = mountinfo();
	char *before = scoped(l, l->mounts);
	char *after = now ? scoped(l, now) : strdup("?");
	int n = strcmp(before, after) != 0;

	cr_expect_str_eq(after, before, "the host's mount table changed");
	free(now);
	free(before);
	free(after);
	return n;
}

int leaks_check(struct leaks *l, double seconds)
{
	double end = mono() + seconds;
	char what[PATH_MAX + 16];
	int n = check_processes(l, end);

	n += check_links(l);
	n += check_mounts(l);
	for (int i = 0; i < l->nnames; i++) {
		int left = records_left(l->names[i], what, sizeof(what));

		if (left)
			cr_expect_fail("state record left: %s", what);
		n += left;
	}
	for (int i = 0; i < l->nruntimes; i++) {
		int left = cgroups_left(l->runtimes[i], what, sizeof(what));

		if (left)
			cr_expect_fail("cgroup left: %s", what);
		n += left;
	}
	for (int i = 0; i < l->nfiles; i++) {
		if (access(l->files[i], F_OK) == 0) {
			cr_expect_fail("file left: %s", l->files[i]);
			unlink(l->files[i]);
			n++;
		}
	}
	for (int i = 0; i < l->nscope; i++)
		free(l->scope[i]);
	for (int i = 0; i < l->nnames; i++)
		free(l->names[i]);
	for (int i = 0; i < l->nfiles; i++)
		free(l->files[i]);
	free(l->mounts);
	free(l);
	return n;
}
