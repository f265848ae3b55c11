/*
 * ns.h — the namespace types of namespaces(7), as clone(2) flags and as
 * files in /proc/PID/ns: the one table the flags' names, the -v trace and
 * the -v namespace table are spelled from (step02).
 */
#ifndef NS_H
#define NS_H

#include <stddef.h>
#include <sys/types.h>

#define NS_NAMES_MAX 192 /* every CLONE_NEW* name, joined by " | " */

/* FLAGS as "CLONE_NEWNS | CLONE_NEWPID" into BUF (SIZE bytes), in the order
 * `ls /proc/PID/ns` lists the namespaces. */
void ns_flag_names(int flags, char *buf, size_t size);

/* -v (trace()): the table `ls -l /proc/self/ns /proc/CHILD/ns` would show, one line
 * per namespace type, marking the child's new ones. JOINED: the CLONE_NEW*
 * type of a namespace the child joins instead (0: none), JOINED_INO its
 * inode. */
void print_ns_table(pid_t child, int joined, unsigned long joined_ino);

#endif
