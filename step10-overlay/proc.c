/*
 * proc.c — the child process of a runtime: its stack, its exit status, and
 * the pipe that tells it whether its runtime is still there (see proc.h).
 */
#include "proc.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * The child's stack. clone(2) does not allocate one: the caller passes a
 * pointer to the *top* of a memory area, because stacks grow down. The lowest
 * page is made inaccessible so that an overflow faults instead of silently
 * writing over whatever lies below.
 */
void *stack_alloc(size_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	char *base;

	base = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	if (mprotect(base, page, PROT_NONE) == -1) {
		int saved = errno;

		munmap(base, size);
		errno = saved;
		return NULL;
	}
	/* mmap returns page-aligned memory, so the top is 16-byte aligned as
	 * the x86-64 and arm64 ABIs require. */
	return base + size;
}

/* Map an execve errno to Docker's exit status. */
int exec_status(int err)
{
	return err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND
					       : EXIT_CANNOT_EXEC;
}

/*
 * Is the runtime gone? It holds its end of the sync pipe open for as long
 * as the container runs, so once it has exited poll(2) reports a hang-up.
 */
int runtime_gone(int fd)
{
	struct pollfd pfd = {fd, POLLIN, 0};

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP);
}

/* Wait for the child and turn its wait status into our exit status; -1
 * with E filled if waitpid fails. */
int wait_child(pid_t pid, struct err *e)
{
	char obj[16];
	int status;

	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			/* allow-snprintf: fits */
			snprintf(obj, sizeof(obj), "%d", (int)pid);
			return fail(e, "waitpid", obj);
		}
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Has the child died already? Then it said why itself: we only have to
 * reap it. WNOWAIT peeks without reaping. */
int child_dead(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
		   0 &&
	       si.si_pid == pid;
}
