/*
 * sysprobe — tries the system calls that no capability check stops first,
 * and prints what each returned. Built static by the suite's Makefile rule
 * (build/tests/helpers/sysprobe) and copied into a container's rootfs by
 * tests/test_step09.c: run it ONLY inside a container. It refuses to run in
 * the initial user namespace.
 *
 * Inside step08 these calls go through (or fail for another reason: no such
 * key, a handle buffer too small); inside step09 the seccomp filter fails
 * each with EPERM before the kernel looks at it. Each probe runs in a child
 * of its own, so one that succeeds (a new user namespace, a persona, a
 * process keyring) changes nothing for the next.
 *
 *   /sysprobe [NAME]...      one line per probe: "NAME: ok" or "NAME: EPERM";
 *                            no NAME: all but tiocsti
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The first half of the nested-namespace hole: a user namespace of our own,
 * where we hold every capability. */
static long unshare_user(void)
{
	return unshare(CLONE_NEWUSER);
}

/* The same through clone(2)'s flags, which the filter reads. */
static long clone_newuser(void)
{
	long pid =
	    syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, NULL, NULL, 0);

	if (pid == 0)
		_exit(0);
	if (pid > 0 && waitpid((pid_t)pid, NULL, 0) == -1)
		return -1;
	return pid < 0 ? -1 : 0;
}

/* Keyrings are not namespaced. Without a process keyring: ENOKEY. */
static long keyctl_get(void)
{
	return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
		       KEY_SPEC_PROCESS_KEYRING, 0);
}

/* A key in a process keyring of our own, gone when this child exits. */
static long add_key_user(void)
{
	return syscall(SYS_add_key, "user", "nsw-sysprobe", "x", (size_t)1,
		       KEY_SPEC_PROCESS_KEYRING);
}

/* A zero-sized buffer: EOVERFLOW where handles are supported. */
static long name_to_handle(void)
{
	struct file_handle fh = {.handle_bytes = 0};
	int mount_id;

	return name_to_handle_at(AT_FDCWD, "/", &fh, &mount_id, 0);
}

static int put(const char *file, const char *text)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	int rc = fd == -1 || write(fd, text, strlen(text)) == -1 ? -1 : 0;

	if (fd >= 0)
		close(fd);
	return rc;
}

/* The first half of CVE-2022-0492: root of a new user, mount and cgroup
 * namespace mounts a cgroup v1 hierarchy (where release_agent lives), in
 * its own mount namespace, and reads nothing. */
static long nested_cgroup_mount(void)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWCGROUP) == -1)
		return -1;
	if (put("/proc/self/setgroups", "deny") == -1 ||
	    put("/proc/self/uid_map", "0 0 1") == -1 ||
	    put("/proc/self/gid_map", "0 0 1") == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return -1;
	return mount("cgroup", "/tmp", "cgroup", 0, "pids");
}

/* What `setarch -R` does: no address randomisation for the next exec. */
static long personality_bad(void)
{
	return personality(ADDR_NO_RANDOMIZE) == -1 ? -1 : 0;
}

/* Push a character into the terminal on fd 0 as if typed (CVE-2017-5226):
 * refused unless it is our controlling terminal. Only when asked for. */
static long tiocsti(void)
{
	char c = '#';

	return ioctl(0, TIOCSTI, &c);
}

static const struct probe {
	const char *name;
	long (*call)(void);
	int by_default;
} probes[] = {
    {"unshare(CLONE_NEWUSER)", unshare_user, 1},
    {"clone(CLONE_NEWUSER)", clone_newuser, 1},
    {"keyctl", keyctl_get, 1},
    {"add_key", add_key_user, 1},
    {"name_to_handle_at", name_to_handle, 1},
    {"personality(ADDR_NO_RANDOMIZE)", personality_bad, 1},
    {"nested cgroup v1 mount", nested_cgroup_mount, 1},
    {"tiocsti", tiocsti, 0},
};

/* The initial user namespace maps every uid onto itself. */
static int on_the_host(void)
{
	char map[128] = "";
	FILE *f = fopen("/proc/self/uid_map", "re");

	if (!f)
		return 1; /* no /proc: not the container we expect */
	if (!fgets(map, sizeof(map), f))
		map[0] = '\0';
	fclose(f);
	unsigned long in, out, count;

	return sscanf(map, "%lu %lu %lu", &in, &out, &count) != 3 ||
	       (in == 0 && out == 0 && count == 4294967295UL);
}

/* Run PROBE in a child; its exit status carries errno (0: it worked). */
static void run(const struct probe *probe)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		errno = 0;
		_exit(probe->call() == -1 ? (errno ? errno : 255) : 0);
	}
	if (pid == -1 || waitpid(pid, &status, 0) == -1) {
		printf("%s: probe failed (%s)\n", probe->name, strerror(errno));
		return;
	}
	if (WIFSIGNALED(status))
		printf("%s: killed by signal %d\n", probe->name,
		       WTERMSIG(status));
	else if (WEXITSTATUS(status) == 0)
		printf("%s: ok\n", probe->name);
	else
		printf("%s: %s\n", probe->name,
		       strerrorname_np(WEXITSTATUS(status)));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (on_the_host()) {
		fprintf(stderr, "sysprobe: refusing to run in the initial user "
				"namespace: run it inside a container\n");
		return 99;
	}
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		int wanted = argc < 2 && probes[i].by_default;

		for (int a = 1; a < argc; a++)
			wanted |= strcmp(argv[a], probes[i].name) == 0;
		if (wanted)
			run(&probes[i]);
	}
	return 0;
}
