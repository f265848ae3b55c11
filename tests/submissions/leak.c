/* A bad submission (tests/submissions/README): a veth pair left behind by
 * every run, as broken veth code would leave one. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void leak(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd),
		 "ip link add nswleak%d type veth peer name nswleakp%d "
		 ">/dev/null 2>&1",
		 (int)getpid(), (int)getpid());
	if (system(cmd) == -1)
		return;
}
