/*
 * cgroup.h — resource limits for step08: memory, tasks and CPU time.
 *
 * A namespace limits what a process can *see*; a control group limits what
 * it can *use*. `docker run --memory 32m --pids-limit 20 --cpus 0.5` is three
 * writes into a directory of the cgroup filesystem, and this file is the same
 * three writes, on both kernel interfaces:
 *
 *   cgroup v2 (the unified hierarchy, what most hosts run today): one tree at
 *   /sys/fs/cgroup; a container is one directory with memory.max, pids.max,
 *   cpu.max in it.
 *
 *   cgroup v1 (legacy, and "hybrid" hosts): one tree per controller,
 *   /sys/fs/cgroup/memory, /sys/fs/cgroup/pids, /sys/fs/cgroup/cpu; a
 *   container is one directory in each tree it needs a limit from.
 *
 * cg_create(), cg_add_pid() and cg_destroy() return 0, or -1 with E filled
 * (err.h); the others behave like system calls, -1 with errno set. None
 * prints and none exits.
 *
 * Read: cgroups(7), cgroup_namespaces(7), the kernel's
 * Documentation/admin-guide/cgroup-v2.rst and cgroup-v1/{memory,pids}.rst,
 * scheduler/sched-bwc.rst (CPU bandwidth).
 */
#ifndef STEP08_CGROUP_H
#define STEP08_CGROUP_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

#define CG_PATH_MAX 4096

/* The controllers step08 uses; also the index of struct cgroup's v1[]. */
enum { CG_MEMORY, CG_PIDS, CG_CPU, CG_NCTRL };

struct limits {
	long long memory; /* bytes, 0 = no limit */
	long long pids;	  /* max tasks, 0 = no limit */
	double cpus;	  /* CPUs, e.g. 0.5; 0 = no limit */
};

struct cgroup {
	/* 1: the unified hierarchy (v2); 0: v1 or hybrid */
	int v2;
	/* v2: the container's directory */
	char path[CG_PATH_MAX];
	/* v1: its directory in the memory, pids, cpu trees ("" if unused) */
	char v1[CG_NCTRL][CG_PATH_MAX];
	/* a failure: the file or directory it happened on */
	char failed[CG_PATH_MAX];
};

/* "32m", "1g", "512k", "1048576" (bytes; k m g t are powers of 1024) into
 * *out. Empty, zero, a sign, garbage, an unknown suffix: EINVAL; overflow:
 * ERANGE. */
int parse_size(const char *s, long long *out);
/* A positive count of tasks ("20"): the same rules, no suffix. */
int parse_count(const char *s, long long *out);
/* "0.5", "2", "1.25": plain decimal only (no sign, exponent, nan, inf);
 * zero is EINVAL; below 0.01 or above the online CPUs is ERANGE. */
int parse_cpus(const char *s, double *out);

/* 1 if /sys/fs/cgroup is cgroup v2, 0 if v1 (a hybrid host counts as v1),
 * -1 on error (ENOTSUP: no cgroup filesystem is mounted there). */
int cg_detect(void);

/* Make the cgroup nsworkshop/NAME and write LIM into it. v2: one directory,
 * even with no limit (cg_destroy can still kill the whole container); v1: one
 * per controller that a limit needs, none without limits. ENOTSUP:
 * E names the controller; EEXIST: NAME is in use; otherwise E names the
 * file. On failure nothing created is left behind. */
int cg_create(struct cgroup *cg, const char *name, const struct limits *lim,
	      struct err *e);

/* Move PID (a host PID) into the cgroup: one write per v1 hierarchy. On
 * failure E names the cgroup.procs file. */
int cg_add_pid(struct cgroup *cg, pid_t pid, struct err *e);

/* Kill everything in the cgroup (waiting at most ~2 s per hierarchy for
 * the processes to die), then remove it, and nsworkshop/ if it is empty.
 * The caller must not be inside it. Safe to call twice or after a failed
 * cg_create; on EBUSY a later call may retry. On failure E names the
 * directory that is left. */
int cg_destroy(struct cgroup *cg, struct err *e);

/* Remove nsworkshop/PREFIX-<pidns>-<pid> cgroups left empty by a runtime <pid>
 * of our PID namespace <pidns> that no longer exists (SIGKILLed before
 * cg_destroy). Call it before cg_create. Best effort: returns 0. */
int cg_sweep_stale(const char *prefix);

/* For -v: "cgroup v1 (hybrid): memory pids cpu", "cgroup v2: memory pids
 * (no cpu)". ERANGE if BUF is too short. */
int cg_describe(char *buf, size_t len);

/* --memory, --pids or --cpus (CTRL: CG_MEMORY, CG_PIDS or CG_CPU) ARG
 * into LIM, checked before anything is created. */
int cg_parse_limit(int ctrl, const char *arg, struct limits *lim,
		   struct err *e);

/*
 * Make the container's cgroup, nsworkshop/PREFIX-<our PID>, write LIM and
 * move CHILD in, while it waits on the pipe: nothing it runs escapes the
 * limits. As root every container gets one; ROOTLESS only when limits are
 * asked for, and they need a cgroup delegated to the user. cg_destroy()
 * removes it (a CG left zeroed when none was made).
 */
int cg_setup(struct cgroup *cg, const char *prefix, const struct limits *lim,
	     int rootless, pid_t child, struct err *e);

/* set_ns (docker exec): move the calling process into every cgroup of the
 * process whose /proc/PID directory is PROCFD, each v1 hierarchy and the
 * unified one, as runc exec does. Call it before joining the target's
 * cgroup namespace: /proc/PID/cgroup still names the cgroups from the
 * host's root, and the host's cgroup tree is still in reach. */
int cg_join(int procfd, struct err *e);

#endif
