/*
 * The test harness: runs a step binary the way a person would, and reads
 * the facts a person would check by hand on the host.
 *
 * Black box: the suites only run binaries from $STEPS_DIR (default: the
 * repository root) and look at /proc, /sys and the host's tables. Every
 * process the harness starts is in its own process group and gets SIGKILL
 * when the test ends, times out or the worker dies (PR_SET_PDEATHSIG).
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

struct run_opts {
	double timeout; /* seconds; 0 means 20 */
	uid_t uid;	/* run as this uid/gid when non-zero (rootless) */
	gid_t gid;
	const char *dir; /* working directory, NULL: unchanged */
	const int
	    *keep_fds;	 /* extra fds to leave open in the runtime, -1 ended */
	bool keep_stdin; /* give the runtime a pipe on stdin (proc_write) */
};

struct proc {
	pid_t pid;   /* the runtime */
	pid_t child; /* the container's host PID, from "child PID on host" */
	int in_fd, out_fd, err_fd;
	char *out, *err; /* captured, NUL-terminated */
	size_t out_len, err_len;
	int status; /* like $?: exit code, 128+signal, -1 on timeout */
	double deadline;
	double timeout;	      /* seconds it was given */
	int signal;	      /* the runtime itself died of it (0: it exited) */
	int sent;	      /* the last signal the test sent it (proc_kill) */
	unsigned long mnt_ns; /* the mount namespace it was started in */
	char *cmdline;	      /* "step03 -q /bin/sh -c ...", for messages */
	char *foreign_exe;    /* what ran instead of the binary under test */
	unsigned long exe_dev, exe_ino; /* the binary under test */
	bool checked_exe;		/* a step binary: its exe is watched */
};

/* STEPS_DIR/NAME, allocated. */
char *step_path(const char *name);

/* Start STEPS_DIR/NAME with ARGV (ARGV[0] is ignored and replaced). */
struct proc *proc_start(const struct run_opts *o, const char *name,
			char *const argv[]);
/* Read stderr until "NAME: child PID on host: N"; returns N or -1. */
pid_t proc_child(struct proc *p);
/* Read stdout until it contains NEEDLE; false on EOF or timeout. */
bool proc_wait_out(struct proc *p, const char *needle);
void proc_write(struct proc *p, const char *s);
/* Close stdin, read everything, wait; kill the group on timeout. */
int proc_finish(struct proc *p);
void proc_kill(struct proc *p, int sig);
void proc_free(struct proc *p);

/*
 * Status assertions that teach: on failure the message says what was
 * checked (the optional printf-style text), the command line, what came
 * instead of the expected status, decoded ("exit 125 (the runtime failed
 * before COMMAND ran)", "killed by SIGSEGV (the runtime crashed)", "timed
 * out after 20 s"), and the last lines of the runtime's stderr:
 *
 *	expect_status(p, 0);
 *	expect_status(p, 125, "--rootfs %s", bad[i]);
 *	expect_finish(p, 0);	(proc_finish, then the same check)
 */
#define expect_status(p, want, ...)                                            \
	cr_expect(proc_status_is((p), (want)), "%s",                           \
		  status_message((p), (want), " " __VA_ARGS__))
#define expect_finish(p, want, ...)                                            \
	do {                                                                   \
		proc_finish(p);                                                \
		expect_status((p), (want), __VA_ARGS__);                       \
	} while (0)
bool proc_status_is(const struct proc *p, int want);
const char *status_message(const struct proc *p, int want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "exit 0", "killed by SIGSEGV (the runtime crashed)", "timed out after 20 s" */
const char *status_text(const struct proc *p);

/* Run to completion: run(&p, NULL, "step02", "-q", "--", "true", NULL). */
struct proc *run(const struct run_opts *o, const char *name, ...);
struct proc *runv(const struct run_opts *o, const char *name,
		  char *const argv[]);

/*
 * Grading (docs/homework.md). With GRADE_SANDBOX=1 every step binary
 * starts in a mount namespace of its own, private, made in the forked
 * child before exec: a runtime that pivots or mounts in its caller's
 * namespace loses only that namespace, not the suite's. p->mnt_ns is
 * the namespace it was given: compare a container's with it, not with
 * the test's. GRADE_RUN_TIMEOUT=N caps every run at N seconds.
 * GRADE_EVENTS=FILE collects, one line per event, what the grader counts
 * apart from pass and fail: "crash", "timeout" and "exe" (a step binary
 * that became another program, checked by device and inode).
 */

/* ----- host facts ----- */
unsigned long ns_inode(pid_t pid, const char *ns); /* pid 0: self */
/* "uts:[4026531838]" of the host (this test process). */
char *ns_link(const char *ns);
/* The NSpid line of /proc/PID/status: fills up to MAX ids, returns count. */
int nspid(pid_t pid, pid_t *ids, int max);
char *read_text(const char *path);    /* whole file, NULL on error */
char *mountinfo(void);		      /* /proc/self/mountinfo */
bool link_exists(const char *ifname); /* in the host's netns */
bool pid_alive(pid_t pid);
/* Wait up to SECONDS for PID to be gone (zombie counts as gone). */
bool wait_gone(pid_t pid, double seconds);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A shell fragment that exits 99 unless it runs in a new namespace of
 * kind NS: put it before every command that changes something. */
char *guard(const char *ns);
/* Copy STEPS_DIR/NAME and STEPS_DIR/rootfs into a world-readable temporary
 * directory for rootless tests; returns that directory. */
char *rootless_copy(const char *name);
void rm_rf(const char *path);
/* A helper program the Makefile builds beside the suite, static, to run
 * only inside containers ($(BUILD)/tests/helpers/NAME). */
char *helper_path(const char *name);
/* rootless_copy(NAME) with helper HELPER added at the root of its rootfs,
 * where a container started with --rootfs DIR/rootfs finds /HELPER. */
char *copy_with_helper(const char *name, const char *helper);
/* true when the binary exists in STEPS_DIR */
bool have_step(const char *name);

/* Skip (or, with MUST_WORK=1, fail) unless we are root. */
void need_root(void);
/* Skip (or fail) with a reason. */
void skip_because(const char *why);
/* Skip because this machine lacks something (a cgroup v2 controller, a
 * peer tool): not a privilege problem, so MUST_WORK=1 keeps it a skip. */
void skip_env(const char *why);

#endif
