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

#endif
