/*
 * tty.c — the container's pseudo-terminal, and the relay to ours (tty.h).
 *
 * A pty is a pair: what is written to the master is read from the peer (the
 * "slave", /dev/pts/N) as if typed, and what is written to the peer is read
 * from the master, both through the line discipline of the peer, which does
 * the echo, ^C, ^Z, line editing and "\n" -> "\r\n" (pty(7)). A shell gets
 * job control only on its controlling terminal, which a session leader
 * acquires with TIOCSCTTY; without one, busybox says "can't access tty; job
 * control turned off".
 *
 * Read: pty(7), pts(4), unix(7) SCM_RIGHTS, termios(3), signalfd(2),
 * ioctl_tty(2).
 */
#include "tty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "syscalls.h"

int tty_open(int *master, int *peer, struct err *e)
{
	int m, p = -1;

	/* /dev/ptmx is a link to pts/ptmx of the devpts we mounted with
	 * newinstance: the pty is one of the container's, /dev/pts/0 for the
	 * first, never one of the host's. */
	m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m == -1)
		return fail(e, "open", "/dev/ptmx");
	if (unlockpt(m) == -1) {
		fail(e, "unlockpt", "/dev/ptmx");
		goto out;
	}
	/* TIOCGPTPEER (Linux 4.13) opens the peer through the master, not by
	 * its name /dev/pts/N, which the mount namespace could resolve to
	 * something else. */
	p = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p == -1) {
		fail(e, "ioctl(TIOCGPTPEER)", "/dev/ptmx");
		goto out;
	}
	*master = m;
	*peer = p;
	return 0;
out:
	close(m);
	return -1;
}

int tty_attach(int peer, struct err *e)
{
	/* A session leader without a controlling terminal (setsid(2)) gets
	 * the first one it asks for: the peer becomes /dev/tty, its session
	 * can have a foreground process group, and ^C and ^Z typed into the
	 * pty signal that group, not us. */
	if (ioctl(peer, TIOCSCTTY, 0) == -1)
		return fail(e, "ioctl(TIOCSCTTY)", "/dev/pts");
	/* One stream: with a pty, COMMAND's stdout and stderr are the same
	 * terminal, as with docker run -t. */
	for (int fd = 0; fd < 3; fd++)
		if (dup2(peer, fd) == -1)
			return fail(e, "dup2", "/dev/pts");
	return 0;
}

/* The message both ends of the console socket use: one byte of data (a
 * stream socket carries no message without one) and room for one control
 * message holding a descriptor (cmsg(3)). */
struct fd_msg {
	char byte;
	struct iovec iov;
	union {
		struct cmsghdr hdr; /* aligns buf as a cmsghdr */
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr mh;
};

static struct msghdr *fd_msg_init(struct fd_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->byte = 't';
	m->iov.iov_base = &m->byte;
	m->iov.iov_len = 1;
	m->mh.msg_iov = &m->iov;
	m->mh.msg_iovlen = 1;
	m->mh.msg_control = m->ctl.buf;
	m->mh.msg_controllen = sizeof(m->ctl.buf);
	return &m->mh;
}

/* Send FD over the UNIX socket SOCK: SCM_RIGHTS makes the kernel install a
 * copy of it in the receiver's descriptor table (unix(7)). */
static int send_fd(int sock, int fd, struct err *e)
{
	struct fd_msg m;
	struct msghdr *mh = fd_msg_init(&m);
	struct cmsghdr *c;

	c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	while (sendmsg(sock, mh, MSG_NOSIGNAL) == -1)
		if (errno != EINTR)
			return fail(e, "sendmsg(SCM_RIGHTS)", "console socket");
	return 0;
}

int tty_child(int sock, struct err *e)
{
	struct winsize ws;
	int master = -1, peer = -1, rc = -1;

	if (tty_open(&master, &peer, e) == -1)
		return -1;
	/* Our stdin is still the caller's terminal, if it is one: the pty
	 * starts with its size, before COMMAND first asks for it. */
	if ((ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 ||
	     ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) &&
	    ioctl(master, TIOCSWINSZ, &ws) == -1) {
		fail(e, "ioctl(TIOCSWINSZ)", "/dev/ptmx");
		goto out;
	}
	/* runc's --console-socket: the master goes to the runtime, and the
	 * container keeps no descriptor of it. */
	if (send_fd(sock, master, e) == -1 || tty_attach(peer, e) == -1)
		goto out;
	rc = 0;
out:
	close(master);
	if (peer > STDERR_FILENO)
		close(peer);
	close(sock);
	return rc;
}

int tty_recv(int sock, int *master, struct err *e)
{
	struct fd_msg m;
	struct msghdr *mh = fd_msg_init(&m);
	struct cmsghdr *c;
	ssize_t n;

	do
		n = recvmsg(sock, mh, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return fail(e, "recvmsg(SCM_RIGHTS)", "console socket");
	c = CMSG_FIRSTHDR(mh);
	/* EOF: the child ended first, and said why itself. */
	if (n == 0 || !c || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return fail_errno(e, ENODATA, "recvmsg(SCM_RIGHTS)",
				  "console socket");
	memcpy(master, CMSG_DATA(c), sizeof(int));
	return 0;
}

/* ------------------------------------------------------------ relay --- */

struct relay {
	int master, sigfd;
	pid_t pid;
	int wstatus;
	bool exited;	  /* PID has ended: drain the master and stop */
	bool in_open;	  /* stdin not at EOF yet */
	bool master_open; /* every peer not closed yet */
	bool out_ok;	  /* stdout takes what we write */
	char last;	  /* the last byte sent to the master */
	size_t in_len, in_off;
	char in[4096]; /* from stdin, not yet written to the master */
	char out[65536];
};

/* Our terminal's size onto the pty: the kernel sends SIGWINCH to the pty's
 * foreground process group, and `stty size` inside says the new one. */
static void copy_winsize(int master)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 ||
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* Master -> stdout. A pty hands out at most a page per read: gather what
 * is there, then write it at once. A reader that went away (EPIPE, a
 * closed terminal) does not stop the relay: the container must not block
 * on a full pty. */
static void from_master(struct relay *r)
{
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(r->out) &&
	       (n = read(r->master, r->out + len, sizeof(r->out) - len)) > 0)
		len += (size_t)n;
	if (len > 0 && r->out_ok && write_all(STDOUT_FILENO, r->out, len) == -1)
		r->out_ok = false;
	/* EIO: every peer is closed, the container has let go of the pty. */
	if (len == 0 && (n == 0 || (errno != EAGAIN && errno != EINTR)))
		r->master_open = false;
}

/* Stdin -> our buffer. At EOF a pipe has no "end" to pass on to a pty:
 * the line discipline's EOF character (^D) is, typed at the start of a
 * line (a second one ends a line that has no newline). */
static void from_stdin(struct relay *r)
{
	struct termios t;
	ssize_t n = read(STDIN_FILENO, r->in, sizeof(r->in));

	if (n > 0) {
		r->in_len = (size_t)n;
		r->in_off = 0;
		return;
	}
	if (n == -1 && errno == EINTR)
		return;
	r->in_open = false;
	if (tcgetattr(r->master, &t) == 0 && (t.c_lflag & ICANON)) {
		r->in[0] = r->in[1] = (char)t.c_cc[VEOF];
		r->in_len = r->last == '\n' || r->last == '\0' ? 1 : 2;
		r->in_off = 0;
	}
}

/* Our buffer -> master, as much as the pty takes now. */
static void to_master(struct relay *r)
{
	/* allow-write: the master is non-blocking, and what it does not take
	 * now waits in our buffer for POLLOUT */
	ssize_t n = write(r->master, r->in + r->in_off, r->in_len - r->in_off);

	if (n > 0) {
		r->in_off += (size_t)n;
		r->last = r->in[r->in_off - 1];
		if (r->in_off == r->in_len)
			r->in_len = r->in_off = 0;
	} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
		r->master_open = false;
	}
}

/* SIGWINCH: a new size. SIGCHLD: has PID ended? */
static void on_signal(struct relay *r)
{
	struct signalfd_siginfo si;

	if (read(r->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGWINCH)
		copy_winsize(r->master);
	else if (waitpid(r->pid, &r->wstatus, WNOHANG) == r->pid)
		r->exited = true;
}

/* PID ended: what it wrote before is still in the pty. A non-blocking
 * read returns it, then EIO (no peer left) or EAGAIN (a process it started
 * still holds one). */
static void drain(struct relay *r)
{
	while (r->master_open) {
		ssize_t n = read(r->master, r->out, sizeof(r->out));

		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;
		}
		if (r->out_ok && write_all(STDOUT_FILENO, r->out, n) == -1)
			r->out_ok = false;
	}
}

static void relay_loop(struct relay *r)
{
	while (!r->exited) {
		struct pollfd fds[3] = {
		    {r->master_open ? r->master : -1,
		     POLLIN | (r->in_len ? POLLOUT : 0), 0},
		    {r->in_open && !r->in_len && r->master_open ? STDIN_FILENO
								: -1,
		     POLLIN, 0},
		    {r->sigfd, POLLIN, 0},
		};

		/* EINTR: a signal the runtime forwards to the container. */
		if (poll(fds, 3, -1) == -1)
			continue;
		if (fds[2].revents)
			on_signal(r);
		if (fds[0].revents & POLLOUT)
			to_master(r);
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR))
			from_master(r);
		if (fds[1].revents)
			from_stdin(r);
	}
	drain(r);
}

/*
 * Raw mode: no echo, no line editing, no signals from ^C or ^Z, no output
 * processing in *our* terminal: every byte goes to the pty, whose own line
 * discipline does all that for the container, as ssh and docker run -t do.
 */
static int make_raw(struct termios *saved, struct err *e)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO))
		return 0;
	if (tcgetattr(STDIN_FILENO, saved) == -1)
		return fail(e, "tcgetattr", "stdin");
	raw = *saved;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == -1)
		return fail(e, "tcsetattr", "stdin");
	return 1;
}

int tty_relay(int master, pid_t pid, int *status, struct err *e)
{
	struct relay *r = calloc(1, sizeof(*r));
	struct termios saved;
	sigset_t sigs, old;
	int raw = 0, rc = -1;

	if (!r)
		return fail(e, "calloc", "relay");
	*r = (struct relay){.master = master,
			    .sigfd = -1,
			    .pid = pid,
			    .in_open = true,
			    .master_open = true,
			    .out_ok = true};
	/* SIGCHLD and SIGWINCH become readable on a descriptor: the one poll
	 * waits for the pty, our stdin and them, and none is lost between a
	 * check and the wait (signalfd(2)). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGCHLD);
	sigaddset(&sigs, SIGWINCH);
	sigprocmask(SIG_BLOCK, &sigs, &old); /* valid arguments: no error */
	r->sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (r->sigfd == -1) {
		fail(e, "signalfd", "SIGCHLD, SIGWINCH");
		goto out;
	}
	if (fcntl(master, F_SETFL, O_NONBLOCK) == -1) {
		fail(e, "fcntl(O_NONBLOCK)", "pty master");
		goto out;
	}
	raw = make_raw(&saved, e);
	if (raw == -1)
		goto out;
	copy_winsize(master); /* it may have changed since the child looked */
	/* It may have ended before SIGCHLD was blocked. */
	r->exited = waitpid(pid, &r->wstatus, WNOHANG) == pid;
	relay_loop(r);
	*status = WIFSIGNALED(r->wstatus) ? 128 + WTERMSIG(r->wstatus)
					  : WEXITSTATUS(r->wstatus);
	rc = 0;
out:
	/* Every way out restores our terminal: a normal exit, COMMAND killed,
	 * the stop timeout after our SIGTERM, the container's death. */
	if (raw == 1 && tcsetattr(STDIN_FILENO, TCSADRAIN, &saved) == -1 &&
	    rc == 0)
		rc = fail(e, "tcsetattr", "stdin");
	if (r->sigfd != -1)
		close(r->sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(r);
	return rc;
}
