/*
 * The leak fixture: what a test made on the host must be gone after it.
 *
 * A runtime that exits, fails or is killed leaves the host as if it had
 * never run: no process of the
 * container, no mount, no veth link or route, no live state record, no
 * cgroup. Suites run in parallel (-j2), so the fixture compares only what
 * THIS test could have made:
 *   - processes: the test process becomes a child subreaper, so every
 *     orphan of a killed runtime (the container's PID 1, say) is re-parented
 *     to it, found by its parent PID and reaped; the PID namespaces of the
 *     containers it watched must be empty;
 *   - links and routes: nsw<PID> for the container PIDs it watched or found;
 *   - mounts: the lines of /proc/self/mountinfo whose mount point lies under
 *     a directory in scope (the rootfs beside the binaries, the test's own
 *     temporary rootfs), and the line of `/` (its propagation);
 *   - state records: NAME.state and its temporary files (.NAME.state.PID,
 *     and NAME.state.new of older versions) of the names it used, in
 *     /run/nsworkshop, $XDG_RUNTIME_DIR/nsworkshop and /tmp/nsworkshop-UID;
 *   - cgroups: nsworkshop/<step>-<runtime PID> of the runtimes it watched, in
 *     the v2 tree and in every v1 hierarchy.
 *
 *	struct leaks *l = leaks_begin();
 *	struct proc *p = run(NULL, "step07", "--name", name, "true", NULL);
 *	leaks_watch(l, p);
 *	leaks_name(l, name);
 *	leaks_check(l, 2.0);	// cr_expect per leak; frees l
 */
#ifndef LEAKS_H
#define LEAKS_H

#include "harness.h"

#include <sys/types.h>

struct leaks;

/* Snapshot the host and become a child subreaper. */
struct leaks *leaks_begin(void);
/* Mounts under DIR (a temporary rootfs, say) are this test's too. */
void leaks_scope(struct leaks *l, const char *dir);
/* P's runtime and, when it printed it, its container. */
void leaks_watch(struct leaks *l, const struct proc *p);
/* A container's host PID (its PID namespace, while it is alive). */
void leaks_child(struct leaks *l, pid_t child);
/* A runtime's PID: its cgroups. */
void leaks_runtime(struct leaks *l, pid_t runtime);
/* A --name the test used. */
void leaks_name(struct leaks *l, const char *name);
/* A file the runtime must remove (a --pidfile). */
void leaks_file(struct leaks *l, const char *path);
/* Reap what has ended and wait up to SECONDS for the rest to end; returns
 * how many processes still live. Checks nothing. */
int leaks_settle(struct leaks *l, double seconds);
/* Wait up to SECONDS for what the test made to go away, then expect that
 * nothing is left; kill and reap what is. Returns the number of leaks. */
int leaks_check(struct leaks *l, double seconds);

/* A record the runtime left for NAME that names a live process: 0 when
 * there is none or only a stale one (which HACKING.md lets anyone remove). */
int leaks_live_record(const char *name);

#endif
