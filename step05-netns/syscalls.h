/*
 * The kernel interfaces glibc does not give us: raw system calls, each
 * returning -1 with errno set like a libc wrapper, and the uapi constants
 * an older libc lacks. A step adds the ones it first needs.
 */
#ifndef SYSCALLS_H
#define SYSCALLS_H

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifndef CLONE_NEWCGROUP /* linux/sched.h, Linux 4.6 */
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME /* linux/sched.h, Linux 5.6 */
#define CLONE_NEWTIME 0x00000080
#endif

/* pivot_root(2), which glibc 2.36 does not wrap: make NEW_ROOT the root of
 * this mount namespace and move the old root to PUT_OLD. */
static inline int sys_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}

#endif
