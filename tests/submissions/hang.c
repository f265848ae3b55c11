/* A bad submission (tests/submissions/README): the runtime hangs. */
#include <unistd.h>

__attribute__((constructor)) static void hang(void)
{
	for (;;)
		pause();
}
