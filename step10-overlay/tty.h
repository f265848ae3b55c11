/*
 * tty.c — a pseudo-terminal that belongs to the container, as runc's
 * console socket (runc --console-socket, docker run -t, docker exec -t).
 *
 * The container opens /dev/ptmx of its own devpts instance, so the pty is
 * one of its ptys; it makes the peer its controlling terminal and its
 * stdin, stdout and stderr, and hands the master to the runtime over a
 * UNIX socket (SCM_RIGHTS). The runtime relays between that master and its
 * own terminal, which it puts in raw mode and restores however it ends.
 * The container never holds a descriptor of our terminal: TIOCSTI cannot
 * type into it (CVE-2017-5226).
 *
 * Read: pty(7), pts(4), unix(7) SCM_RIGHTS, termios(3), signalfd(2),
 * TIOCSCTTY in ioctl_tty(2).
 */
#ifndef TTY_H
#define TTY_H

#include <sys/types.h>

#include "err.h"

/* Open /dev/ptmx (the devpts of our mount namespace) and its peer:
 * *MASTER and *PEER, both close-on-exec. */
int tty_open(int *master, int *peer, struct err *e);

/* In the container's process, a session leader without a terminal: make
 * PEER the controlling terminal and fds 0, 1 and 2, and close PEER. */
int tty_attach(int peer, struct err *e);

/* The container's side of the console socket: open a pty, give it the
 * window size of our stdin (still the caller's terminal), send the master
 * over SOCK, and attach to the peer. */
int tty_child(int sock, struct err *e);

/* The runtime's side: receive the master the child sent on SOCK (-1 with
 * ENODATA when the child ended before it sent one). */
int tty_recv(int sock, int *master, struct err *e);

/* Put our terminal (stdin, when it is one) in raw mode and relay stdin to
 * MASTER and MASTER to stdout until our child PID ends, which it reaps;
 * forward window-size changes. The terminal's settings are restored before
 * it returns, and *STATUS is PID's exit status, 128+N for signal N. */
int tty_relay(int master, pid_t pid, int *status, struct err *e);

#endif
