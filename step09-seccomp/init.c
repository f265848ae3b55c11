/*
 * init.c — PID 1 duties, for --init and for the runtime's signal relay.
 *
 * The first process of a PID namespace is its init (pid_namespaces(7)):
 *   - orphans are re-parented to it, and their zombies stay in the process
 *     table until it reaps them: a shell that is PID 1 rarely does;
 *   - the kernel only delivers it the signals it installed a handler for,
 *     so `docker stop` (SIGTERM) does nothing to a plain `sleep` as PID 1;
 *   - when it exits, the kernel kills every other process of the namespace.
 * --init puts a small init in front of COMMAND, as Docker's --init (tini):
 * it reaps everything and relays signals, and COMMAND is an ordinary PID 2.
 *
 * Read: pid_namespaces(7), waitpid(2), sigaction(2); krallin/tini.
 */
#include "init.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "syscalls.h"

const int forwarded_signals[] = {SIGINT,  SIGTERM, SIGHUP,   SIGQUIT,
				 SIGUSR1, SIGUSR2, SIGWINCH, 0};

static volatile pid_t *relay_target;
static unsigned relay_timeout;
static volatile sig_atomic_t stop_armed; /* the timer runs: leave it */

/* Runs in signal context: kill(2) and alarm(2) are async-signal-safe. */
static void relay(int sig)
{
	int saved = errno;
	pid_t pid = *relay_target;

	if (pid > 0) {
		kill(pid, sig);
		if (relay_timeout && !stop_armed &&
		    (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)) {
			stop_armed = 1;
			alarm(relay_timeout);
		}
	}
	errno = saved;
}

/* The stop timeout ran out: what `docker stop` does after 10 s. */
static void stop_now(int sig)
{
	pid_t pid = *relay_target;

	(void)sig;
	if (pid > 0)
		kill(pid, SIGKILL);
}

int forward_signals(volatile pid_t *target, unsigned stop_timeout,
		    struct err *e)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	relay_target = target;
	relay_timeout = stop_timeout;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: waitpid returns EINTR and the caller loops. */
	sa.sa_handler = relay;
	for (int i = 0; forwarded_signals[i]; i++)
		if (sigaction(forwarded_signals[i], &sa, NULL) == -1)
			return fail(e, "sigaction",
				    strsignal(forwarded_signals[i]));
	sa.sa_handler = stop_now;
	if (sigaction(SIGALRM, &sa, NULL) == -1)
		return fail(e, "sigaction", "SIGALRM");
	return 0;
}

void reset_signals(void)
{
	sigset_t none;

	for (int i = 0; forwarded_signals[i]; i++)
		signal(forwarded_signals[i], SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int status_of(int wstatus)
{
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return WEXITSTATUS(wstatus);
}

/*
 * PID 1 never execs: close-on-exec closes nothing of what the caller left
 * open (a shell's `7< /`). Without root it stays dumpable (its uid never
 * changed), and the container's root could reopen /proc/1/fd/7, a host
 * directory (CVE-2024-21626's door). So every descriptor from 3 on goes
 * before COMMAND exists, but KEEP (the exec report, which COMMAND's
 * process needs until its exec and PID 1 closes right after the fork).
 */
static int close_others(int keep, struct err *e)
{
	if (keep > 3 && sys_close_range(3, (unsigned)keep - 1, 0) == -1)
		return fail(e, "close_range", "3, --init");
	if (sys_close_range(keep >= 3 ? (unsigned)keep + 1 : 3, ~0U, 0) == -1)
		return fail(e, "close_range", "3, --init");
	return 0;
}

int run_init(char *const argv[], int (*exec)(char *const argv[]), int report_fd,
	     struct err *e)
{
	static volatile pid_t command;
	int wstatus;
	pid_t pid;

	if (close_others(report_fd, e) == -1)
		return -1;
	command = fork();
	if (command == -1)
		return fail(e, "fork", "--init");
	if (command == 0) {
		reset_signals();
		_exit(exec(argv));
	}
	/* COMMAND's process holds its own copy of the exec report: ours
	 * would keep the runtime waiting for an exec that PID 1 never does. */
	if (report_fd >= 0)
		close(report_fd);
	/* No stop timeout here: the runtime outside owns that decision. */
	if (forward_signals(&command, 0, e) == -1)
		return -1;
	for (;;) {
		pid = waitpid(-1, &wstatus, 0);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid == -1) /* ECHILD: cannot happen before COMMAND ends */
			return fail(e, "waitpid", "--init");
		if (pid == command)
			return status_of(wstatus);
		/* an orphan re-parented to us: reaped, nothing else to do */
	}
}

int parse_stop_timeout(const char *arg, unsigned *out, struct err *e)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || errno || *end || v > 86400) {
		fail_errno(e, 0, "--stop-timeout", arg);
		e->hint = "not a number of seconds (0 to 86400)";
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}
