/* A bad submission (tests/submissions/README): the runtime crashes. */
#include <signal.h>

__attribute__((constructor)) static void crash(void)
{
	raise(SIGSEGV);
}
