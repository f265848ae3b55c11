/*
 * tty — step07 -t and set_ns --tty: a pseudo-terminal that belongs to the
 * container, driven here as a person at a terminal would, through a pty of
 * the test's own (forkpty(3)): the runtime's stdin, stdout and stderr are
 * that pty's peer, and what the test writes to the master is typed.
 *
 * Checked: `tty` is /dev/pts/0 inside (the container's own devpts); busybox
 * job control (&, jobs, fg, ^Z); ^C reaches the foreground job, not the
 * runtime; a resize of the outer terminal shows in `stty size`; the outer
 * terminal's settings come back after a normal exit, a killed COMMAND and
 * SIGTERM to the runtime; nothing inside holds the outer terminal, so
 * TIOCSTI cannot type into it; set_ns --tty joins a running container with
 * a pty of that container; 1 MiB of output arrives intact. Fails on
 * step06 (no -t: 125) and on a step07 without a pty (`tty`: not a tty).
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

TestSuite(step07_tty, .timeout = 60);

/* A runtime started on a terminal of our own. */
struct term {
	int master; /* what we read is its output, what we write is typed */
	pid_t pid;  /* the runtime, session leader of that terminal */
	char *buf;  /* everything it wrote so far */
	size_t len, mark; /* term_expect() looks after mark */
	int status;	  /* like $?, once term_finish() has reaped it */
};

static pid_t started[8];

__attribute__((destructor)) static void kill_started(void)
{
	for (int i = 0; i < 8; i++)
		if (started[i] > 0)
			kill(-started[i], SIGKILL);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run STEPS_DIR/NAME (or an absolute NAME) on a new 24x80 terminal. */
static struct term *term_start(const char *name, char *const argv[])
{
	struct winsize ws = {.ws_row = 24, .ws_col = 80};
	struct term *t = calloc(1, sizeof(*t));
	char *path = name[0] == '/' ? strdup(name) : step_path(name);
	char *args[32] = {path};

	cr_assert(t && path);
	for (int i = 1; i < 31 && argv[i]; i++)
		args[i] = argv[i];
	t->buf = calloc(1, 1);
	t->status = -1;
	/* forkpty: a new session whose controlling terminal is the peer,
	 * made stdin, stdout and stderr of the child. */
	t->pid = forkpty(&t->master, NULL, NULL, &ws);
	cr_assert_neq(t->pid, -1, "forkpty: %s", strerror(errno));
	if (t->pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    (close_range(3, ~0U, 0) == -1 && errno != ENOSYS))
			_exit(254);
		execv(path, args);
		dprintf(2, "exec %s: %s\n", path, strerror(errno));
		_exit(254);
	}
	for (int i = 0; i < 8; i++)
		if (started[i] <= 0) {
			started[i] = t->pid;
			break;
		}
	fcntl(t->master, F_SETFD, FD_CLOEXEC);
	free(path);
	return t;
}

/* Read what the terminal shows, waiting at most SECS; false at EOF (EIO:
 * the runtime and everything it started have closed the terminal). */
static bool term_read(struct term *t, double secs)
{
	struct pollfd pfd = {t->master, POLLIN, 0};
	char chunk[65536];
	ssize_t n;

	if (poll(&pfd, 1, (int)(secs * 1000)) <= 0)
		return true;
	n = read(t->master, chunk, sizeof(chunk));
	if (n <= 0)
		return n == -1 && errno == EINTR;
	t->buf = realloc(t->buf, t->len + (size_t)n + 1);
	cr_assert_not_null(t->buf);
	memcpy(t->buf + t->len, chunk, (size_t)n);
	t->len += (size_t)n;
	t->buf[t->len] = '\0';
	return true;
}

/* Wait up to SECS for NEEDLE after the mark; the mark moves past it. */
static bool term_expect(struct term *t, const char *needle, double secs)
{
	double end = now() + secs;

	for (;;) {
		char *at = memmem(t->buf + t->mark, t->len - t->mark, needle,
				  strlen(needle));

		if (at) {
			t->mark = (size_t)(at - t->buf) + strlen(needle);
			return true;
		}
		if (now() > end || !term_read(t, end - now()))
			return false;
	}
}

/* Type S. */
static void term_send(struct term *t, const char *s)
{
	cr_assert_eq(write(t->master, s, strlen(s)), (ssize_t)strlen(s));
}

/* Read until the terminal closes, reap the runtime: its status. */
static int term_finish(struct term *t, double secs)
{
	double end = now() + secs;
	int st;

	while (now() < end && term_read(t, end - now()))
		;
	for (;;) {
		pid_t r = waitpid(t->pid, &st, WNOHANG);

		if (r == t->pid)
			break;
		if (now() > end) {
			kill(-t->pid, SIGKILL);
			waitpid(t->pid, &st, 0);
			return t->status = -1;
		}
		usleep(10000);
	}
	t->status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
	return t->status;
}

static void term_free(struct term *t)
{
	kill(-t->pid, SIGKILL);
	waitpid(t->pid, NULL, WNOHANG);
	for (int i = 0; i < 8; i++)
		if (started[i] == t->pid)
			started[i] = 0;
	close(t->master);
	free(t->buf);
	free(t);
}

/* What the terminal showed last, for a failure message (control bytes as
 * ^X), in a buffer of its own that the next call reuses. */
static const char *shown(const struct term *t)
{
	static char s[2 * 3000 + 1];
	size_t from = t->len > 3000 ? t->len - 3000 : 0;
	char *o = s;

	for (size_t i = from; i < t->len; i++) {
		unsigned char c = (unsigned char)t->buf[i];

		if (c == '\r')
			continue;
		if (c < 0x20 && c != '\n') {
			*o++ = '^';
			*o++ = (char)(c + '@');
		} else {
			*o++ = (char)c;
		}
	}
	*o = '\0';
	return s;
}

#define EXPECT(t, needle, why)                                                 \
	do {                                                                   \
		if (!term_expect(t, needle, 10))                               \
			cr_assert_fail("%s: no \"%s\" on the terminal:\n%s",   \
				       why, needle, shown(t));                 \
	} while (0)

/* An interactive busybox shell with a prompt we can wait for. */
#define SHELL "env", "PS1=@@ ", "/bin/sh"

Test(step07_tty, tty_is_the_containers_own_pts_0)
{
	need_root();
	struct term *t =
	    term_start("step07", (char *[]){"", "-q", "--net", "none", "-t",
					    "/bin/sh", "-c", "tty", NULL});

	EXPECT(t, "/dev/pts/0\r\n", "a pty of the container's devpts");
	cr_expect_eq(term_finish(t, 10), 0, "%s", shown(t));
	term_free(t);
}

Test(step07_tty, a_shell_at_a_terminal_gets_a_pty_unless_no_tty)
{
	need_root();
	/* no COMMAND, stdin and stdout a terminal: a pty by default */
	struct term *t =
	    term_start("step07", (char *[]){"", "-q", "--net", "none", NULL});

	EXPECT(t, "# ", "the shell's prompt");
	term_send(t, "tty; exit 7\r");
	EXPECT(t, "/dev/pts/0\r\n", "a pty by default");
	cr_expect_eq(term_finish(t, 10), 7, "%s", shown(t));
	cr_expect_null(strstr(t->buf, "job control turned off"), "%s",
		       shown(t));
	term_free(t);
	/* --no-tty: the shell gets our terminal, not as its own */
	t = term_start("step07",
		       (char *[]){"", "-q", "--net", "none", "--no-tty", NULL});
	EXPECT(t, "job control turned off", "no pty with --no-tty");
	term_send(t, "exit 0\r");
	cr_expect_eq(term_finish(t, 10), 0, "%s", shown(t));
	term_free(t);
}

Test(step07_tty, job_control_and_ctrl_c_reach_the_foreground_job)
{
	need_root();
	struct term *t = term_start(
	    "step07", (char *[]){"", "-q", "--net", "none", "-t", SHELL, NULL});

	EXPECT(t, "@@ ", "the prompt");
	term_send(t, "sleep 30 &\r");
	EXPECT(t, "@@ ", "a background job");
	term_send(t, "jobs\r");
	EXPECT(t, "Running", "jobs lists it");
	term_send(t, "fg\r");
	EXPECT(t, "sleep 30", "fg brings it back");
	usleep(200000);
	term_send(t, "\x1a"); /* ^Z */
	EXPECT(t, "Stopped", "^Z stops the foreground job");
	term_send(t, "fg\r");
	EXPECT(t, "sleep 30", "fg again");
	usleep(200000);
	term_send(t, "\x03"); /* ^C */
	EXPECT(t, "@@ ", "^C ended the job, the shell prompts again");
	term_send(t, "echo status=$?\r");
	EXPECT(t, "status=130", "the job died of SIGINT");
	cr_expect(pid_alive(t->pid), "^C reached the runtime");
	term_send(t, "exit\r");
	cr_expect_eq(term_finish(t, 10), 0, "%s", shown(t));
	term_free(t);
}

Test(step07_tty, a_resize_of_the_outer_terminal_shows_inside)
{
	need_root();
	struct term *t = term_start(
	    "step07", (char *[]){"", "-q", "--net", "none", "-t", SHELL, NULL});
	struct winsize ws = {.ws_row = 40, .ws_col = 100};
	bool seen = false;

	EXPECT(t, "@@ ", "the prompt");
	term_send(t, "stty size\r");
	EXPECT(t, "24 80\r\n", "the pty starts with our size");
	/* The kernel sends SIGWINCH to the runtime, our foreground job. */
	cr_assert_eq(ioctl(t->master, TIOCSWINSZ, &ws), 0);
	for (int i = 0; i < 20 && !seen; i++) {
		term_send(t, "stty size\r");
		seen = term_expect(t, "40 100\r\n", 0.5);
	}
	cr_expect(seen, "stty size after the resize: %s", shown(t));
	term_send(t, "exit\r");
	cr_expect_eq(term_finish(t, 10), 0);
	term_free(t);
}

static bool same_termios(const struct termios *a, const struct termios *b)
{
	return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag &&
	       a->c_cflag == b->c_cflag && a->c_lflag == b->c_lflag &&
	       memcmp(a->c_cc, b->c_cc, sizeof(a->c_cc)) == 0;
}

/* Wait until the runtime has put our terminal in raw mode. */
static bool becomes_raw(struct term *t)
{
	struct termios now_;

	for (int i = 0; i < 500; i++) {
		if (tcgetattr(t->master, &now_) == 0 &&
		    !(now_.c_lflag & (ECHO | ICANON)))
			return true;
		term_read(t, 0.01);
	}
	return false;
}

enum ending { NORMAL, KILLED, SIGTERM_TO_RUNTIME };

static void check_restored(enum ending how)
{
	char *argv[] = {"",
			"--net",
			"none",
			"-t",
			"--stop-timeout",
			"1",
			"/bin/sh",
			"-c",
			how == NORMAL ? "sleep 0.5; exit 3" : "sleep 30",
			NULL};
	struct termios before, after;
	struct term *t = term_start("step07", argv);

	cr_assert_eq(tcgetattr(t->master, &before), 0);
	cr_assert(before.c_lflag & ECHO, "a cooked terminal to start with");
	cr_assert(becomes_raw(t), "the runtime never made it raw: %s",
		  shown(t));
	if (how == KILLED) {
		EXPECT(t, "child PID on host: ", "the container's PID");
		pid_t child = (pid_t)atoi(t->buf + t->mark);

		cr_assert_gt(child, 1);
		kill(child, SIGKILL);
	} else if (how == SIGTERM_TO_RUNTIME) {
		/* relayed to PID 1, a sleep that ignores it: SIGKILL after
		 * --stop-timeout */
		kill(t->pid, SIGTERM);
	}
	int status = term_finish(t, 15);

	cr_assert_eq(tcgetattr(t->master, &after), 0);
	cr_expect(same_termios(&before, &after),
		  "terminal settings not restored (lflag %o -> %o)",
		  before.c_lflag, after.c_lflag);
	cr_expect_eq(status, how == NORMAL ? 3 : 137, "%s", shown(t));
	term_free(t);
}

Test(step07_tty, terminal_restored_after_a_normal_exit)
{
	need_root();
	check_restored(NORMAL);
}

Test(step07_tty, terminal_restored_after_command_is_killed)
{
	need_root();
	check_restored(KILLED);
}

Test(step07_tty, terminal_restored_after_sigterm_to_the_runtime)
{
	need_root();
	check_restored(SIGTERM_TO_RUNTIME);
}

/*
 * Inside: which terminals can COMMAND type into with TIOCSTI? Each fd that
 * is a terminal, and /dev/tty (our controlling terminal), is tried: a
 * character pushed into the container's own pty comes back on stdin (put
 * in non-canonical mode first), so "own-pty"; pushed anywhere else it does
 * not, so "ELSEWHERE": the caller's terminal. An fd on another devpts than
 * the container's /dev/pts is "FOREIGN" whatever TIOCSTI says.
 */
static const char tiocsti_c[] =
    "#include <fcntl.h>\n"
    "#include <stdio.h>\n"
    "#include <sys/ioctl.h>\n"
    "#include <sys/stat.h>\n"
    "#include <termios.h>\n"
    "#include <unistd.h>\n"
    "static void try(int fd, const char *what, dev_t own, int check_dev) {\n"
    "	struct stat st;\n"
    "	char c = 'Z', back = 0;\n"
    "	if (!isatty(fd) || fstat(fd, &st) != 0) return;\n"
    "	if (check_dev && st.st_dev != own) printf(\"%s FOREIGN\\n\", what);\n"
    "	if (ioctl(fd, TIOCSTI, &c) != 0) {\n"
    "		printf(\"%s refused\\n\", what);\n"
    "		return;\n"
    "	}\n"
    "	usleep(20000);\n"
    "	int got = read(0, &back, 1) == 1 && back == 'Z';\n"
    "	printf(\"%s %s\\n\", what, got ? \"own-pty\" : \"ELSEWHERE\");\n"
    "}\n"
    "int main(void) {\n"
    "	struct stat own;\n"
    "	struct termios t;\n"
    "	char name[16];\n"
    "	if (stat(\"/dev/pts\", &own) != 0) return 2;\n"
    "	if (tcgetattr(0, &t) == 0) {\n"
    "		t.c_lflag &= ~(ICANON | ECHO);\n"
    "		t.c_cc[VMIN] = 0;\n"
    "		t.c_cc[VTIME] = 0;\n"
    "		tcsetattr(0, TCSANOW, &t);\n"
    "	}\n"
    "	for (int fd = 0; fd < 1024; fd++) {\n"
    "		snprintf(name, sizeof(name), \"fd%d\", fd);\n"
    "		try(fd, name, own.st_dev, 1);\n"
    "	}\n"
    "	int tty = open(\"/dev/tty\", O_RDWR);\n"
    "	if (tty >= 0) try(tty, \"/dev/tty\", own.st_dev, 0);\n"
    "	else printf(\"/dev/tty none\\n\");\n"
    "	return 0;\n"
    "}\n";

/* A copy of step07's rootfs with FILE (from SRC, a host path) in it. */
static char *rootfs_with(const char *dir, const char *file, const char *src)
{
	char *cmd = xasprintf("cp '%s' '%s/rootfs/%s' && chmod 755 "
			      "'%s/rootfs/%s'",
			      src, dir, file, dir, file);

	cr_assert_eq(system(cmd), 0, "%s", cmd);
	free(cmd);
	return xasprintf("%s/rootfs", dir);
}

Test(step07_tty, tiocsti_inside_cannot_reach_the_outer_terminal)
{
	need_root();
	char *dir = rootless_copy("step07");
	char *src = xasprintf("%s/tiocsti.c", dir);
	char *bin = xasprintf("%s/tiocsti", dir);
	FILE *f = fopen(src, "we");

	cr_assert_not_null(f);
	fputs(tiocsti_c, f);
	fclose(f);
	char *cc = xasprintf("cc -static -O1 -o '%s' '%s'", bin, src);
	if (system(cc) != 0)
		skip_env("cc -static failed (no static libc: libc6-dev)");
	char *rootfs = rootfs_with(dir, "tiocsti", bin);
	struct term *t = term_start(
	    "step07", (char *[]){"", "-q", "--net", "none", "-t", "--rootfs",
				 rootfs, "/tiocsti", NULL});

	cr_expect_eq(term_finish(t, 15), 0, "%s", shown(t));
	cr_expect(strstr(t->buf, "fd0 own-pty") &&
		      strstr(t->buf, "/dev/tty own-pty"),
		  "stdin and /dev/tty are the container's pty: %s", shown(t));
	cr_expect_null(strstr(t->buf, "FOREIGN"),
		       "a terminal of the caller reached the container: %s",
		       shown(t));
	cr_expect_null(strstr(t->buf, "ELSEWHERE"),
		       "TIOCSTI typed into the caller's terminal: %s",
		       shown(t));
	term_free(t);
	rm_rf(dir);
	free(cc);
	free(rootfs);
	free(bin);
	free(src);
	free(dir);
}

Test(step07_tty, set_ns_tty_joins_a_running_container)
{
	need_root();
	char *name = xasprintf("tty-%d", (int)getpid());
	struct run_opts o = {.keep_stdin = true};
	struct proc *c =
	    proc_start(&o, "step07",
		       (char *[]){"", "-q", "--name", name, "--net", "none",
				  "/bin/sh", "-c", "echo ready; read x", NULL});

	cr_assert(proc_wait_out(c, "ready"), "started: %s", c->err);
	struct termios before, after;
	struct term *t =
	    term_start("set_ns", (char *[]){"", "-q", "--name", name, "--tty",
					    "--", SHELL, NULL});

	cr_assert_eq(tcgetattr(t->master, &before), 0);
	EXPECT(t, "@@ ", "a shell in the container");
	term_send(t, "tty; hostname\r");
	EXPECT(t, "/dev/pts/0\r\ncontainer\r\n",
	       "a pty of the container, in its UTS namespace");
	term_send(t, "sleep 30 &\r");
	EXPECT(t, "@@ ", "a background job");
	term_send(t, "jobs\r");
	EXPECT(t, "Running", "job control");
	term_send(t, "fg\r");
	EXPECT(t, "sleep 30", "fg");
	usleep(200000);
	term_send(t, "\x03");
	EXPECT(t, "@@ ", "^C ended the job");
	term_send(t, "echo status=$?; stty size; exit 4\r");
	EXPECT(t, "status=130", "SIGINT reached the job");
	EXPECT(t, "24 80", "our terminal's size");
	cr_expect_eq(term_finish(t, 10), 4, "%s", shown(t));
	cr_assert_eq(tcgetattr(t->master, &after), 0);
	cr_expect(same_termios(&before, &after), "terminal not restored");
	proc_write(c, "\n");
	expect_finish(c, 0, "the container lived on: %s", c->err);
	term_free(t);
	proc_free(c);
	free(name);
}

/* 1 MiB through the container's pty and ours: text with its "\n" read as
 * "\r\n" (ONLCR, the pty's default), then random bytes under stty raw. */
Test(step07_tty, a_mebibyte_of_output_arrives_intact)
{
	need_root();
	const size_t size = 1 << 20;
	char *dir = rootless_copy("step07");
	char *txt = xasprintf("%s/data.txt", dir);
	char *bin = xasprintf("%s/data.bin", dir);
	char *text = malloc(size), *rnd = malloc(size);
	FILE *f;

	cr_assert(text && rnd);
	for (size_t i = 0; i < size; i++)
		text[i] = i % 64 == 63 ? '\n' : (char)('!' + (i * 7) % 90);
	srandom((unsigned)getpid());
	for (size_t i = 0; i < size; i++)
		rnd[i] = (char)(random() & 0xff);
	cr_assert_not_null(f = fopen(txt, "we"));
	cr_assert_eq(fwrite(text, 1, size, f), size);
	fclose(f);
	cr_assert_not_null(f = fopen(bin, "we"));
	cr_assert_eq(fwrite(rnd, 1, size, f), size);
	fclose(f);
	char *rootfs = rootfs_with(dir, "data.txt", txt);
	free(rootfs_with(dir, "data.bin", bin));

	struct term *t = term_start(
	    "step07", (char *[]){"", "-q", "--net", "none", "-t", "--rootfs",
				 rootfs, "cat", "/data.txt", NULL});
	cr_expect_eq(term_finish(t, 30), 0);
	size_t n = 0;
	for (size_t i = 0; i < t->len; i++)
		if (!(t->buf[i] == '\r' && i + 1 < t->len &&
		      t->buf[i + 1] == '\n'))
			t->buf[n++] = t->buf[i];
	cr_expect_eq(n, size, "text: %zu bytes once \\r\\n is \\n", n);
	cr_expect(n == size && memcmp(t->buf, text, size) == 0,
		  "the text arrived changed");
	term_free(t);

	t = term_start("step07", (char *[]){"", "-q", "--net", "none", "-t",
					    "--rootfs", rootfs, "/bin/sh", "-c",
					    "stty raw && cat /data.bin", NULL});
	cr_expect_eq(term_finish(t, 30), 0);
	cr_expect_eq(t->len, size, "raw: %zu bytes", t->len);
	cr_expect(t->len == size && memcmp(t->buf, rnd, size) == 0,
		  "the bytes arrived changed");
	term_free(t);
	rm_rf(dir);
	free(rootfs);
	free(text);
	free(rnd);
	free(txt);
	free(bin);
	free(dir);
}

/* -t with a pipe on stdin (docker run -t): what the pipe holds is typed,
 * its end is ^D; stdout and stderr are one stream. */
Test(step07_tty, a_pipe_on_stdin_is_typed_into_the_pty)
{
	need_root();
	struct run_opts o = {.keep_stdin = true};
	struct proc *p = proc_start(
	    &o, "step07",
	    (char *[]){"", "-q", "--net", "none", "-t", "/bin/sh", "-c",
		       "read a; echo \"got $a\"; tty; "
		       "echo to-stderr >&2; cat; echo EOF",
		       NULL});

	proc_write(p, "hello\nmore\n");
	expect_finish(p, 0);
	cr_expect(strstr(p->out, "got hello\r\n/dev/pts/0\r\n"), "%s", p->out);
	cr_expect(strstr(p->out, "to-stderr\r\n"), "stderr is the pty too: %s",
		  p->out);
	cr_expect(strstr(p->out, "EOF\r\n"), "the pipe's end is ^D: %s",
		  p->out);
	cr_expect_null(strstr(p->err, "to-stderr"), "%s", p->err);
	proc_free(p);
	/* no terminal to relay for a detached container */
	p = run(NULL, "step07", "-q", "-t", "-d", "--net", "none", "true",
		NULL);
	expect_status(p, 125);
	cr_expect(strstr(p->err, "--detach"), "%s", p->err);
	proc_free(p);
}
