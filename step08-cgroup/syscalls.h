/*
 * Raw system calls that glibc does not wrap (glibc 2.36 has no pivot_root).
 * Each returns -1 with errno set, like a libc wrapper.
 */
#ifndef SYSCALLS_H
#define SYSCALLS_H

#include <sys/syscall.h>
#include <unistd.h>

/* pivot_root(2): make NEW_ROOT the root of this mount namespace and move
 * the old root to PUT_OLD. */
static inline int sys_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}

#endif
