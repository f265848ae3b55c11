/*
 * The kernel interfaces glibc does not give us: raw system calls, each
 * returning -1 with errno set like a libc wrapper, and the uapi constants
 * an older libc lacks. A step adds the ones it first needs.
 */
#ifndef SYSCALLS_H
#define SYSCALLS_H

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
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

#ifndef CLOSE_RANGE_CLOEXEC /* linux/close_range.h, Linux 5.11 */
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/*
 * close_range(2), Linux 5.9 (glibc 2.34 wraps it). With CLOSE_RANGE_CLOEXEC
 * it marks the descriptors FIRST to LAST close-on-exec instead of closing
 * them; before 5.11 (EINVAL) or 5.9 (ENOSYS) we do that with fcntl(2), up
 * to fd 1023.
 */
static inline int sys_close_range(unsigned first, unsigned last, unsigned flags)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, first, last, flags) == 0)
		return 0;
#else
	errno = ENOSYS;
#endif
	if (!(flags & CLOSE_RANGE_CLOEXEC) ||
	    (errno != ENOSYS && errno != EINVAL))
		return -1;
	for (unsigned fd = first; fd <= last && fd < 1024; fd++) {
		int fl = fcntl((int)fd, F_GETFD);

		if (fl != -1 && fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC) == -1)
			return -1;
	}
	return 0;
}

/* capset(2), which glibc does not wrap (libcap does): set the permitted,
 * effective and inheritable capabilities of this thread; version 3 takes
 * two 32-bit words per set (linux/capability.h). */
static inline int sys_capset(struct __user_cap_header_struct *hdr,
			     const struct __user_cap_data_struct data[2])
{
	return (int)syscall(SYS_capset, hdr, data);
}

/* seccomp(2), Linux 3.17, which glibc does not wrap: with
 * SECCOMP_SET_MODE_FILTER, run PROG, a classic BPF program, on every system
 * call this thread and its children make from now on. */
struct sock_fprog;
static inline int sys_seccomp(unsigned op, unsigned flags,
			      const struct sock_fprog *prog)
{
	return (int)syscall(SYS_seccomp, op, flags, prog);
}

/* System calls newer than glibc 2.36's headers (Linux 6.1), which the
 * filter names. Since Linux 5.1 a new call has one number on every
 * architecture (uprobe aside: x86-64's syscall_64.tbl only). */
#ifndef __NR_lsm_get_self_attr /* Linux 6.8 */
#define __NR_lsm_get_self_attr 459
#define __NR_lsm_set_self_attr 460
#define __NR_lsm_list_modules  461
#endif
#ifndef __NR_removexattrat /* Linux 6.13 */
#define __NR_removexattrat 466
#endif
#if defined(__x86_64__) && !defined(__NR_uprobe) /* x86-64, in Linux 6.18 */
#define __NR_uprobe 336
#endif

#endif
