/* A bad submission (tests/submissions/README): up to 5,000 children that
 * sleep a second, then wait for them all; bounded, so that it ends even
 * without a sandbox's limit. */
#include <sys/wait.h>
#include <unistd.h>

__attribute__((constructor)) static void fork_many(void)
{
	for (int i = 0; i < 5000; i++) {
		pid_t pid = fork();

		if (pid == -1)
			break; /* EAGAIN: the pids limit */
		if (pid == 0) {
			sleep(1);
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
}
