/* A bad submission (tests/submissions/README): a fork bomb, endless. Only
 * the sandbox's pids limit bounds it, and only its time limit ends it. */
#include <unistd.h>

__attribute__((constructor)) static void bomb(void)
{
	for (;;)
		fork();
}
