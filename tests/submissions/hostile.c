/* A bad submission (tests/submissions/README): on its first run the
 * runtime renames the machine, mounts over /root, writes where the host's
 * files, its own sources and the grader's reports are, and leaves a
 * process behind in a session of its own; then it does its job. Every
 * change must stay in the sandbox, the reports must stay the grader's, and
 * the process must be named by the "cleans up" check. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

/* Create (or empty) PATH: each must fail with EROFS. */
static void scribble(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd >= 0)
		close(fd);
}

__attribute__((constructor)) static void hostile(void)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *events = getenv("GRADE_EVENTS"); /* the harness's */
	int once;
	pid_t pid;

	if (getuid() != 0)
		return; /* a rootless test's run: nothing to gain */
	once = open("/tmp/nsw-hostile.once",
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (once < 0)
		return; /* not the first run */
	close(once);
	if (sethostname("nsw-hostile", 11) == -1)
		perror("sethostname");
	if (mount("nsw-hostile", "/root", "tmpfs", 0, NULL) == -1)
		perror("mount");
	scribble("/etc/nsw-hostile");
	scribble("/usr/nsw-hostile");
	scribble("nsw-hostile"); /* the current directory */
	if (events) {
		const char *slash = strrchr(events, '/');

		scribble(events); /* the record of crashes and cheats */
		snprintf(path, sizeof(path), "%.*s/nsw-hostile",
			 slash ? (int)(slash - events) : 1,
			 slash ? events : ".");
		scribble(path); /* a report of its own */
	}
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(path, sizeof(path), "%s/nsw-hostile", exe);
		scribble(path); /* beside the build */
		snprintf(path, sizeof(path), "%s/run/nsw-hostile", exe);
		scribble(path); /* where the reports go */
		snprintf(path, sizeof(path),
			 "%s/src/step03-mountns/nsw-hostile", exe);
		scribble(path); /* in the submission itself */
	}
	pid = fork();
	if (pid == 0) {
		setsid();
		if (fork() == 0) {
			/* nothing of the suite's pipes: the run ends */
			for (int fd = 0; fd < 3; fd++)
				close(fd);
			execl("/bin/sleep", "sleep", "1000", (char *)NULL);
		}
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}
