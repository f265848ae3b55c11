/* A bad submission (tests/submissions/README): the runtime execs another
 * build of step03, the reference where the grader keeps it, else the copy
 * the submission carries, helper.bin, found through the build directory's
 * src/ link. Both pass the suite; neither is the submission's own code. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef REFERENCE
#define REFERENCE "/nonexistent"
#endif

__attribute__((constructor)) static void cheat(int argc, char **argv)
{
	char exe[PATH_MAX], helper[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	(void)argc;
	execv(REFERENCE, argv);
	if (n <= 0)
		return;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(helper, sizeof(helper), "%s/src/step03-mountns/helper.bin",
		 exe);
	execv(helper, argv);
}
