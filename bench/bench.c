/*
 * bench — how long does a command take to start and exit, and how much
 * memory does it use? The harness of `make bench` (docs/benchmarks.md).
 *
 * What it measures
 *   For each command: warm-up runs (page cache, dentry cache, the dynamic
 *   loader's first touch), then RUNS timed runs. The timed runs go in
 *   rounds, every command once per round in a shuffled order, so that
 *   whatever else the machine does meanwhile weighs on all the commands
 *   alike. One timed run is
 *
 *     clock_gettime(MONOTONIC)  posix_spawnp(COMMAND)  wait4  clock_gettime
 *
 *   so it is what a user waits for: creating the runtime's process and
 *   exec'ing it, everything the runtime does, the command, the runtime's
 *   exit. CLOCK_MONOTONIC is never stepped by NTP or date(1) mid-run. The
 *   command is split into words here and exec'd directly, not through
 *   /bin/sh -c, which would add a whole shell (more than a /bin/true) to
 *   every run. Quoting with '...' or "..." groups words; nothing else is
 *   special.
 *
 *   posix_spawnp(3) and not fork(2): glibc spawns with clone(CLONE_VM |
 *   CLONE_VFORK), which copies no page table. On the VM of the docs, fork +
 *   execvp costs 0.8 ms more per run (2.5 against 1.9 ms for /bin/true), a
 *   constant that would pull every ratio towards 1. --fork times with
 *   fork + execvp instead; hyperfine -N spawns the same way as here.
 *
 *   wait4(2) also returns the child's rusage. Its ru_maxrss is the peak
 *   resident set, in KiB, of the child *and of the descendants it waited
 *   for* (the kernel folds a reaped child's peak into its parent's, see
 *   getrusage(2) RUSAGE_CHILDREN): for a runtime, the larger of the runtime
 *   and the command it ran. execve(2) also folds in the peak of the address
 *   space the child had before the exec: with a vfork that is the
 *   harness's, so the warm-up runs, whose times are thrown away, use fork,
 *   and the RSS column is the largest ru_maxrss among them.
 *
 *   A run that exits non-zero, dies of a signal or outlives the timeout
 *   counts as failed and its time is not used; the row shows how the last
 *   one ended and the first line it wrote on stderr. Median and p95
 *   (nearest rank) are over the successful runs.
 *
 * Why not hyperfine
 *   hyperfine -N times the same way, but one command after the other, and
 *   reports no peak RSS, which the targets of `make bench` compare.
 *
 * Read: posix_spawn(3), fork(2), execve(2), wait4(2), getrusage(2),
 * clock_gettime(2), sigtimedwait(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROG	 "bench"
#define WHY_SIZE 160 /* "exit 125: step05: RTM_NEWLINK ...", cut short */

enum {
	EXIT_ROW_FAILED = 1, /* at least one command failed a run */
	EXIT_BENCH = 125,    /* bad usage, or the harness itself failed */
};

/* What one run came to. */
enum outcome {
	RUN_OK,
	RUN_FAILED, /* non-zero exit, signal or timeout: not timed */
};

struct row {
	char *label;
	char **argv; /* NULL for a note row */
	char *note;  /* "not built", "not installed": shown, not run */
	size_t ok, failed;
	int64_t median_ns, p95_ns;
	long maxrss_kib;
	char why[WHY_SIZE]; /* how the last failed run ended, and why */
	int64_t *ns;	    /* the successful timed runs */
	int broken;	    /* every warm-up run failed: not timed */
};

struct opts {
	size_t runs, warmup;
	int timeout_s;
	int use_fork;
	int sequential;		/* all runs of a row, then the next row */
	const char *baseline;	/* label of the row the ratios divide by */
	const char *md_path;	/* the Markdown table, also on stdout */
	const char *raw_path;	/* rows appended as tab-separated values */
	const char *times_path; /* every timed run, one per line */
	const char *render;	/* render a raw file instead of running */
	const char *list;	/* "label<TAB>command" lines, "-" for stdin */
};

struct table {
	struct row *rows;
	size_t n, cap;
};

static const char usage_text[] =
    "usage: " PROG " [OPTION]... [-- LABEL COMMAND]...\n"
    "Time COMMAND from spawn to wait4, RUNS times after WARMUP runs,\n"
    "and print a Markdown table: median, p95, ratio, peak RSS.\n"
    "COMMAND is one argument split on blanks; '...' and \"...\" group.\n"
    "\n"
    "  -n, --runs N       timed runs per command (default 200)\n"
    "  -w, --warmup N     untimed runs before them (default 10)\n"
    "  -t, --timeout S    a run longer than S seconds fails (10)\n"
    "  -f, --list FILE    'LABEL<TAB>COMMAND' lines (- for stdin);\n"
    "                     COMMAND '!TEXT' is a row showing TEXT\n"
    "  -b, --baseline L   ratios against the row labelled L (/bin/true)\n"
    "  -o, --output FILE  also write the table to FILE\n"
    "  -r, --raw FILE     append the rows to FILE, tab-separated\n"
    "  -T, --times FILE   append every timed run to FILE\n"
    "  -p, --render FILE  run nothing: print the table of a raw FILE\n"
    "  -F, --fork         time fork+execvp runs, not posix_spawnp ones\n"
    "  -s, --sequential   all runs of a row, then the next (default:\n"
    "                     rounds of every row once, in shuffled order)\n"
    "  -h, --help         show this help and exit\n"
    "\n"
    "Exit status: 0; 1 if a command failed a run; 125 on usage or\n"
    "harness errors.\n";

static void usage(FILE *out)
{
	fputs(usage_text, out);
}

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Split S in place into words. Blanks separate words; '...' and "..."
 * keep blanks inside a word. Returns a NULL-terminated vector, or NULL
 * with errno set (EINVAL: empty or unbalanced quote).
 */
static char **split_words(char *s)
{
	size_t n = 0, cap = 8;
	char **argv = malloc(cap * sizeof(*argv));
	char *out = s;

	if (!argv)
		return NULL;
	while (*s) {
		char quote = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (n + 2 > cap) {
			char **bigger =
			    realloc(argv, (cap *= 2) * sizeof(*argv));

			if (!bigger)
				goto fail;
			argv = bigger;
		}
		argv[n++] = out;
		for (; *s && (quote || (*s != ' ' && *s != '\t')); s++) {
			if (!quote && (*s == '\'' || *s == '"'))
				quote = *s;
			else if (quote && *s == quote)
				quote = 0;
			else
				*out++ = *s;
		}
		if (quote) {
			errno = EINVAL;
			goto fail;
		}
		if (*s)
			s++;
		*out++ = '\0';
	}
	if (n == 0) {
		errno = EINVAL;
		goto fail;
	}
	argv[n] = NULL;
	return argv;
fail:
	free(argv);
	return NULL;
}

static struct row *add_row(struct table *t, const char *label)
{
	struct row *r;

	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct row *bigger = realloc(t->rows, cap * sizeof(*bigger));

		if (!bigger)
			return NULL;
		t->rows = bigger;
		t->cap = cap;
	}
	r = &t->rows[t->n];
	memset(r, 0, sizeof(*r));
	r->label = strdup(label);
	if (!r->label)
		return NULL;
	t->n++;
	return r;
}

/* A row from LABEL and COMMAND; COMMAND "!text" makes a note row. */
static int add_command(struct table *t, const char *label, const char *cmd)
{
	struct row *r = add_row(t, label);
	char *copy;

	if (!r)
		return -1;
	copy = strdup(cmd[0] == '!' ? cmd + 1 : cmd);
	if (!copy)
		return -1;
	if (cmd[0] == '!') {
		r->note = copy;
		return 0;
	}
	r->argv = split_words(copy);
	if (!r->argv) {
		int saved = errno;

		free(copy);
		errno = saved;
		return -1;
	}
	return 0;
}

/* Read "label<TAB>command" lines; blank lines and '#' lines are skipped. */
static int read_list(struct table *t, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char *line = NULL, *tab;
	size_t cap = 0;
	ssize_t len;
	int ret = -1;

	if (!f)
		return -1;
	while ((len = getline(&line, &cap, f)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		tab = strchr(line, '\t');
		if (!tab) {
			errno = EINVAL;
			goto out;
		}
		*tab = '\0';
		if (add_command(t, line, tab + 1) == -1)
			goto out;
	}
	ret = ferror(f) ? -1 : 0;
out:
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

/* How runs are started: posix_spawnp, or fork + execvp (header comment). */
struct launcher {
	int use_fork;
	int devnull;
	int errfd; /* the command's stderr, kept to say why a run failed */
	int timeout_s;
	sigset_t mask; /* the caller's signal mask, which the command gets */
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
};

/*
 * FD moved to 3 or above (when the harness was started with 0, 1 or 2
 * closed), so that dup2 onto 0, 1 and 2 never meets itself and keeps
 * O_CLOEXEC. Returns the fd, or -1 with errno set.
 */
static int open_above_stdio(int fd)
{
	int moved, saved;

	if (fd == -1 || fd > 2)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	saved = errno;
	close(fd);
	errno = saved;
	return moved;
}

/*
 * SIGCHLD stays blocked in the harness (wait_child takes it with
 * sigtimedwait); the command gets the original mask back, since a signal
 * mask survives execve(2). Its own process group lets a run past the
 * timeout be killed with everything it started. stdin and stdout are
 * /dev/null; stderr is a memfd, read back only when a run fails.
 */
static int launcher_init(struct launcher *l)
{
	short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK;
	sigset_t chld;
	int err;

	l->devnull = open_above_stdio(open("/dev/null", O_RDWR | O_CLOEXEC));
	if (l->devnull == -1)
		return -1;
	l->errfd = open_above_stdio(memfd_create("bench-stderr", MFD_CLOEXEC));
	if (l->errfd == -1)
		return -1;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &l->mask);
	err = posix_spawnattr_init(&l->attr);
	if (!err)
		err = posix_spawnattr_setflags(&l->attr, flags);
	if (!err)
		err = posix_spawnattr_setpgroup(&l->attr, 0);
	if (!err)
		err = posix_spawnattr_setsigmask(&l->attr, &l->mask);
	if (!err)
		err = posix_spawn_file_actions_init(&l->fa);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&l->fa, l->devnull, 0);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&l->fa, l->devnull, 1);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&l->fa, l->errfd, 2);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static void launcher_fini(struct launcher *l)
{
	posix_spawn_file_actions_destroy(&l->fa);
	posix_spawnattr_destroy(&l->attr);
	sigprocmask(SIG_SETMASK, &l->mask, NULL);
	close(l->errfd);
	close(l->devnull);
}

/* --fork: the same set-up by hand, between fork and exec. */
static void child_exec(const struct launcher *l, char **argv)
{
	int err;

	setpgid(0, 0);
	sigprocmask(SIG_SETMASK, &l->mask, NULL);
	if (dup2(l->devnull, 0) == -1 || dup2(l->devnull, 1) == -1 ||
	    dup2(l->errfd, 2) == -1)
		_exit(126);
	execvp(argv[0], argv);
	err = errno;
	dprintf(2, "exec %s: %s\n", argv[0], strerror(err));
	_exit(err == ENOENT ? 127 : 126);
}

/* Returns 0, or an errno value: exec failures come back from the spawn. */
static int launch(const struct launcher *l, char **argv, int use_fork,
		  pid_t *pid)
{
	if (!use_fork)
		return posix_spawnp(pid, argv[0], &l->fa, &l->attr, argv,
				    environ);
	*pid = fork();
	if (*pid == -1)
		return errno;
	if (*pid == 0)
		child_exec(l, argv);
	setpgid(*pid, *pid); /* either side may win the race; both are fine */
	return 0;
}

/*
 * Wait for PID for at most TIMEOUT_S seconds. SIGCHLD is blocked, so it
 * stays pending until sigtimedwait(2) takes it; WNOHANG first, because a
 * pending SIGCHLD may be left over from an earlier run. Returns PID, 0
 * when it had to be killed, -1 with errno set.
 */
static pid_t wait_child(pid_t pid, int timeout_s, int *status,
			struct rusage *ru)
{
	int64_t deadline = now_ns() + (int64_t)timeout_s * 1000000000;
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		pid_t got = wait4(pid, status, WNOHANG, ru);
		int64_t left = deadline - now_ns();
		struct timespec ts;

		if (got != 0)
			return got;
		if (left <= 0) {
			/* The whole group: a runtime's children too. */
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			if (wait4(pid, status, 0, ru) == -1)
				return -1;
			return 0;
		}
		ts.tv_sec = left / 1000000000;
		ts.tv_nsec = left % 1000000000;
		if (sigtimedwait(&chld, NULL, &ts) == -1 && errno != EAGAIN &&
		    errno != EINTR)
			return -1;
	}
}

struct run {
	int64_t ns;
	long maxrss_kib;
	char why[WHY_SIZE]; /* empty when the run succeeded */
};

/* SRC into DST of SIZE bytes, cut short if need be: for messages only. */
static void copy_text(char *dst, size_t size, const char *src)
{
	size_t len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* How a run ended, in words, or "" for exit status 0. */
static void describe(char *why, size_t size, pid_t got, int status,
		     int timeout_s)
{
	int n = 0;

	why[0] = '\0';
	if (got == 0)
		n = snprintf(why, size, "timeout %ds", timeout_s);
	else if (WIFSIGNALED(status))
		n = snprintf(why, size, "signal %d", WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		n = snprintf(why, size, "exit %d", WEXITSTATUS(status));
	if (n < 0 || (size_t)n >= size)
		strcpy(
		    why,
		    "?"); /* cannot happen with WHY_SIZE: say so if it does */
}

/*
 * Append the first line the command wrote on stderr to WHY: the runtimes
 * of this repository say there what failed and why (HACKING.md).
 */
static void add_stderr(int errfd, char *why, size_t size)
{
	size_t len = strlen(why), i;
	char line[WHY_SIZE];
	ssize_t n = pread(errfd, line, sizeof(line) - 1, 0);

	if (n <= 0 || len + 3 >= size)
		return;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	line[size - len - 3] = '\0'; /* cut to what is left of WHY */
	for (i = 0; line[i]; i++)    /* a tab would split the raw file */
		if ((unsigned char)line[i] < ' ')
			line[i] = ' ';
	memcpy(why + len, ": ", 2);
	strcpy(why + len + 2, line);
}

/* One run of ARGV. Returns RUN_OK/RUN_FAILED, or -1 if wait4 failed. */
static int run_once(const struct launcher *l, char **argv, int use_fork,
		    struct run *out)
{
	struct rusage ru;
	int status = 0, err;
	int64_t t0;
	pid_t pid, got;

	/* The child's stderr shares this file offset: rewind for each run. */
	if (ftruncate(l->errfd, 0) == -1 || lseek(l->errfd, 0, SEEK_SET) == -1)
		return -1;
	t0 = now_ns();
	err = launch(l, argv, use_fork, &pid);
	if (err) {
		out->ns = 0;
		out->maxrss_kib = 0;
		copy_text(out->why, sizeof(out->why), "exec: ");
		copy_text(out->why + 6, sizeof(out->why) - 6, strerror(err));
		return RUN_FAILED;
	}
	got = wait_child(pid, l->timeout_s, &status, &ru);
	out->ns = now_ns() - t0;
	if (got == -1)
		return -1;
	out->maxrss_kib = ru.ru_maxrss;
	describe(out->why, sizeof(out->why), got, status, l->timeout_s);
	if (!out->why[0])
		return RUN_OK;
	add_stderr(l->errfd, out->why, sizeof(out->why));
	return RUN_FAILED;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Median and p95 (nearest rank: the ceil(0.95 n)-th smallest). */
static void summarize(struct row *r)
{
	size_t n = r->ok, rank95 = (95 * n + 99) / 100;

	if (n == 0)
		return;
	qsort(r->ns, n, sizeof(*r->ns), cmp_i64);
	r->median_ns =
	    n % 2 ? r->ns[n / 2] : (r->ns[n / 2 - 1] + r->ns[n / 2]) / 2;
	r->p95_ns = r->ns[rank95 - 1];
}

static void log_run(FILE *times, const struct row *r, size_t i,
		    const struct run *run)
{
	if (times)
		fprintf(times, "%s\t%zu\t%lld\t%s\n", r->label, i,
			(long long)run->ns, run->why[0] ? run->why : "ok");
}

/*
 * The warm-up runs of a row are started with fork, and the peak RSS is
 * taken from them: a vfork'd child execs from the harness's own address
 * space, whose peak execve(2) would fold into the child's (about 1.6 MiB
 * here, against 0.7 MiB of anonymous pages copied by fork). If every
 * warm-up run fails, the command is broken, not slow: it is not timed and
 * the row says why.
 */
static int warm_up(struct row *r, const struct opts *o,
		   const struct launcher *l)
{
	size_t i, failed = 0;
	struct run run;
	int got;

	for (i = 0; i < o->warmup; i++) {
		got = run_once(l, r->argv, 1, &run);
		if (got == -1)
			return -1;
		if (run.maxrss_kib > r->maxrss_kib)
			r->maxrss_kib = run.maxrss_kib;
		if (got == RUN_FAILED) {
			failed++;
			memcpy(r->why, run.why, sizeof(r->why));
		}
	}
	r->broken = o->warmup > 0 && failed == o->warmup;
	if (r->broken)
		r->failed = failed;
	r->ns = malloc(o->runs * sizeof(*r->ns));
	return r->ns ? 0 : -1;
}

/* Timed run number I of row R. */
static int time_once(struct row *r, size_t i, const struct launcher *l,
		     int rss_too, FILE *times)
{
	struct run run;
	int got = run_once(l, r->argv, l->use_fork, &run);

	if (got == -1)
		return -1;
	log_run(times, r, i, &run);
	if (rss_too && run.maxrss_kib > r->maxrss_kib)
		r->maxrss_kib = run.maxrss_kib;
	if (got == RUN_FAILED) {
		r->failed++;
		memcpy(r->why, run.why, sizeof(r->why));
		return 0;
	}
	r->ns[r->ok++] = run.ns;
	return 0;
}

/*
 * The order of round I: every row once, shuffled (Fisher-Yates, with a
 * xorshift generator of fixed seed, so that a run can be repeated).
 * Shuffled, because a run can leave work to the kernel that is done after
 * it exits (a network namespace is freed by a worker thread, cleanup_net):
 * in a fixed order that work would always slow down the same next row.
 */
static void shuffle(size_t *order, size_t n, uint64_t *seed)
{
	size_t i, j, tmp;

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n; i > 1; i--) {
		*seed ^= *seed << 13;
		*seed ^= *seed >> 7;
		*seed ^= *seed << 17;
		j = *seed % i;
		tmp = order[i - 1];
		order[i - 1] = order[j];
		order[j] = tmp;
	}
}

/*
 * RUNS rounds, each timing every row once: the rows are interleaved, so that
 * a load that comes and goes on the machine falls on all of them alike and
 * their ratios stay fair. --sequential times each row RUNS times in a row
 * instead, as hyperfine does.
 */
static int time_rows(struct table *t, const struct opts *o,
		     const struct launcher *l, FILE *times)
{
	int rss_too = l->use_fork || o->warmup == 0;
	size_t *order = malloc(t->n * sizeof(*order)), i, j, k;
	uint64_t seed = 0x9e3779b97f4a7c15;
	int ret = -1;

	if (!order)
		return -1;
	for (i = 0; i < (o->sequential ? t->n : o->runs); i++) {
		if (o->sequential)
			fprintf(stderr, PROG ": timing %s\n", t->rows[i].label);
		else if (i % 50 == 0)
			fprintf(stderr, PROG ": rounds %zu-%zu of %zu\n", i + 1,
				i + 50 < o->runs ? i + 50 : o->runs, o->runs);
		if (!o->sequential)
			shuffle(order, t->n, &seed);
		for (k = 0; k < (o->sequential ? o->runs : t->n); k++) {
			struct row *r = &t->rows[o->sequential ? i : order[k]];

			if (!r->note && !r->broken &&
			    time_once(r, o->sequential ? k : i, l, rss_too,
				      times) == -1)
				goto out;
		}
	}
	for (j = 0; j < t->n; j++)
		summarize(&t->rows[j]);
	ret = 0;
out:
	free(order);
	return ret;
}

static void print_ms(FILE *out, int64_t ns)
{
	fprintf(out, " %.3f ms |", (double)ns / 1e6);
}

/* Labels and messages are free text; a '|' would end the Markdown cell. */
static void print_text(FILE *out, const char *text)
{
	for (; *text; text++) {
		if (*text == '|')
			fputc('\\', out);
		fputc(*text, out);
	}
}

static void print_row(FILE *out, const struct row *r, const struct row *base)
{
	fputs("| ", out);
	print_text(out, r->label);
	fputs(" |", out);
	if (r->note) {
		fprintf(out, " %s | — | — | — | — |\n", r->note);
		return;
	}
	if (r->ok == 0) {
		fputs(" failed (", out);
		print_text(out, r->why);
		fprintf(out, ") | — | — | — | all %zu failed |\n", r->failed);
		return;
	}
	print_ms(out, r->median_ns);
	print_ms(out, r->p95_ns);
	if (base && base->ok && base->median_ns > 0)
		fprintf(out, " %.2f |",
			(double)r->median_ns / (double)base->median_ns);
	else
		fputs(" — |", out);
	fprintf(out, " %ld | %zu", r->maxrss_kib, r->ok);
	if (r->failed) {
		fprintf(out, " (%zu failed: ", r->failed);
		print_text(out, r->why);
		fputc(')', out);
	}
	fputs(" |\n", out);
}

static void print_table(FILE *out, const struct table *t, const char *base)
{
	const struct row *b = NULL;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!b && !t->rows[i].note &&
		    strcmp(t->rows[i].label, base) == 0)
			b = &t->rows[i];
	fprintf(out,
		"| command | median | p95 | × %s | peak RSS KiB | runs |\n",
		base);
	fputs("|---|--:|--:|--:|--:|--:|\n", out);
	for (i = 0; i < t->n; i++)
		print_row(out, &t->rows[i], b);
}

/* label, note, ok, failed, median_ns, p95_ns, maxrss_kib, why */
static void write_raw(FILE *f, const struct row *r)
{
	fprintf(f, "%s\t%s\t%zu\t%zu\t%lld\t%lld\t%ld\t%s\n", r->label,
		r->note ? r->note : "", r->ok, r->failed,
		(long long)r->median_ns, (long long)r->p95_ns, r->maxrss_kib,
		r->why);
}

static int parse_raw_line(struct table *t, char *line)
{
	char *f[8];
	struct row *r;
	int i;

	for (i = 0; i < 8; i++) {
		/* strtok_r would merge the empty fields; strsep keeps them. */
		f[i] = strsep(&line, "\t");
		if (!f[i] && i < 7) {
			errno = EINVAL;
			return -1;
		}
	}
	r = add_row(t, f[0]);
	if (!r)
		return -1;
	if (f[1][0]) {
		r->note = strdup(f[1]);
		if (!r->note)
			return -1;
	}
	r->ok = strtoull(f[2], NULL, 10);
	r->failed = strtoull(f[3], NULL, 10);
	r->median_ns = strtoll(f[4], NULL, 10);
	r->p95_ns = strtoll(f[5], NULL, 10);
	r->maxrss_kib = strtol(f[6], NULL, 10);
	copy_text(r->why, sizeof(r->why), f[7] ? f[7] : "");
	return 0;
}

static int read_raw(struct table *t, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = -1;

	if (!f)
		return -1;
	while ((len = getline(&line, &cap, f)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (line[0] && parse_raw_line(t, line) == -1)
			goto out;
	}
	ret = ferror(f) ? -1 : 0;
out:
	free(line);
	fclose(f);
	return ret;
}

static int emit_table(const struct table *t, const struct opts *o)
{
	FILE *md;

	print_table(stdout, t, o->baseline);
	if (fflush(stdout) == EOF)
		return -1;
	if (!o->md_path)
		return 0;
	md = fopen(o->md_path, "we");
	if (!md)
		return -1;
	print_table(md, t, o->baseline);
	return fclose(md);
}

/* Warm every row up, time them all, append to the raw and times files. */
static int run_all(struct table *t, const struct opts *o, int *any_failed)
{
	struct launcher l = {.use_fork = o->use_fork,
			     .timeout_s = o->timeout_s};
	FILE *raw = NULL, *times = NULL;
	int ret = -1;
	size_t i;

	if (launcher_init(&l) == -1)
		return -1;
	if (o->raw_path && !(raw = fopen(o->raw_path, "ae")))
		goto out;
	if (o->times_path && !(times = fopen(o->times_path, "ae")))
		goto out;
	for (i = 0; i < t->n; i++) {
		if (t->rows[i].note)
			continue;
		fprintf(stderr, PROG ": warm-up %zu/%zu: %s\n", i + 1, t->n,
			t->rows[i].label);
		if (warm_up(&t->rows[i], o, &l) == -1)
			goto out;
	}
	if (time_rows(t, o, &l, times) == -1)
		goto out;
	for (i = 0; i < t->n; i++) {
		if (t->rows[i].failed)
			*any_failed = 1;
		if (raw)
			write_raw(raw, &t->rows[i]);
	}
	ret = 0;
out:
	if (raw && fclose(raw) == EOF)
		ret = -1;
	if (times && fclose(times) == EOF)
		ret = -1;
	launcher_fini(&l);
	return ret;
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-') {
		errno = EINVAL;
		return -1;
	}
	*out = v;
	return 0;
}

/* The options that take a file name or a label. */
static const char **string_option(struct opts *o, int c)
{
	switch (c) {
	case 'f':
		return &o->list;
	case 'b':
		return &o->baseline;
	case 'o':
		return &o->md_path;
	case 'r':
		return &o->raw_path;
	case 'T':
		return &o->times_path;
	case 'p':
		return &o->render;
	}
	return NULL;
}

/* Returns 0, 1 for --help, or -1 after printing what was wrong. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"runs", required_argument, NULL, 'n'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"timeout", required_argument, NULL, 't'},
	    {"list", required_argument, NULL, 'f'},
	    {"baseline", required_argument, NULL, 'b'},
	    {"output", required_argument, NULL, 'o'},
	    {"raw", required_argument, NULL, 'r'},
	    {"times", required_argument, NULL, 'T'},
	    {"render", required_argument, NULL, 'p'},
	    {"fork", no_argument, NULL, 'F'},
	    {"sequential", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char **str;
	size_t timeout;
	int c;

	while ((c = getopt_long(argc, argv, "+n:w:t:f:b:o:r:T:p:Fsh", longopts,
				NULL)) != -1) {
		if ((str = string_option(o, c))) {
			*str = optarg;
		} else if (c == 'n' || c == 'w') {
			if (parse_size(optarg, c == 'n' ? &o->runs
							: &o->warmup) == -1 ||
			    o->runs == 0)
				goto bad;
		} else if (c == 't') {
			if (parse_size(optarg, &timeout) == -1 || timeout < 1 ||
			    timeout > 86400)
				goto bad;
			o->timeout_s = (int)timeout;
		} else if (c == 'F') {
			o->use_fork = 1;
		} else if (c == 's') {
			o->sequential = 1;
		} else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 1 : -1;
		}
	}
	return 0;
bad:
	msg("invalid number for -%c: '%s'", c, optarg);
	return -1;
}

/* The rows: the list file first, then LABEL COMMAND pairs after "--". */
static int collect_rows(struct table *t, const struct opts *o, int argc,
			char **argv)
{
	int i;

	if (o->list && read_list(t, o->list) == -1) {
		msg("%s: %s (lines are LABEL<TAB>COMMAND)", o->list,
		    strerror(errno));
		return -1;
	}
	if ((argc - optind) % 2) {
		msg("commands come in pairs: LABEL COMMAND");
		return -1;
	}
	for (i = optind; i < argc; i += 2) {
		if (add_command(t, argv[i], argv[i + 1]) == -1) {
			msg("%s: '%s': %s", argv[i], argv[i + 1],
			    strerror(errno));
			return -1;
		}
	}
	if (t->n == 0) {
		msg("nothing to run (see --help)");
		return -1;
	}
	return 0;
}

/* The words of argv live in one string, the first word's (split_words). */
static void free_table(struct table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct row *r = &t->rows[i];

		if (r->argv)
			free(r->argv[0]);
		free(r->argv);
		free(r->note);
		free(r->label);
		free(r->ns);
	}
	free(t->rows);
}

int main(int argc, char **argv)
{
	struct opts o = {
	    .runs = 200,
	    .warmup = 10,
	    .timeout_s = 10,
	    .baseline = "/bin/true",
	};
	struct table t = {0};
	int any_failed = 0, ret = EXIT_BENCH;

	switch (parse_opts(argc, argv, &o)) {
	case -1:
		return EXIT_BENCH;
	case 1:
		return 0;
	}
	if (o.render) {
		if (read_raw(&t, o.render) == -1) {
			msg("%s: %s", o.render, strerror(errno));
			goto out;
		}
	} else {
		if (collect_rows(&t, &o, argc, argv) == -1)
			goto out;
		if (run_all(&t, &o, &any_failed) == -1) {
			msg("running the commands: %s", strerror(errno));
			goto out;
		}
	}
	if (emit_table(&t, &o) == -1) {
		msg("%s: %s", o.md_path ? o.md_path : "stdout",
		    strerror(errno));
		goto out;
	}
	ret = any_failed ? EXIT_ROW_FAILED : 0;
out:
	free_table(&t);
	return ret;
}
