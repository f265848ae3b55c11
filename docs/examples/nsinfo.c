/* nsinfo — who owns a namespace: the ioctl(2) operations of nsfs.
 *
 * For each NSFILE (/proc/PID/ns/TYPE, or a bind mount of one) print its
 * identity, the device and inode of the file, then walk up the tree:
 * NS_GET_USERNS gives the user namespace that owns a namespace (the one
 * whose capabilities the kernel checks for it), NS_GET_OWNER_UID the uid
 * that created a user namespace, NS_GET_PARENT the parent of a user or PID
 * namespace. Each ioctl returns a new descriptor: a namespace can be held
 * without any process in it. Read ioctl_ns(2), user_namespaces(7).
 *   usage: nsinfo NSFILE... */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *type_name(int type)
{
	switch (type) {
	case CLONE_NEWNS:
		return "mnt";
	case CLONE_NEWUTS:
		return "uts";
	case CLONE_NEWIPC:
		return "ipc";
	case CLONE_NEWPID:
		return "pid";
	case CLONE_NEWNET:
		return "net";
	case CLONE_NEWUSER:
		return "user";
	case CLONE_NEWCGROUP:
		return "cgroup";
	case CLONE_NEWTIME:
		return "time";
	}
	return "?";
}

/* "net:[4026531840]", as readlink shows it. */
static void name(int fd, char *buf, size_t len)
{
	struct stat st;
	int type = ioctl(fd, NS_GET_NSTYPE);

	if (fstat(fd, &st) == -1 || type == -1)
		snprintf(buf, len, "?: %s", strerror(errno));
	else
		snprintf(buf, len, "%s:[%llu]", type_name(type),
			 (unsigned long long)st.st_ino);
}

/* Print "  REL NAME ..." for the namespace that ioctl REQ on FD returns,
 * then go on up from it with NS_GET_PARENT; close FD. The chain ends at
 * the initial user namespace (user namespaces nest 32 deep at most). */
static void walk(int fd, unsigned long req, const char *rel)
{
	char buf[64];
	int up;

	for (;; fd = up, req = NS_GET_PARENT, rel = "whose parent is") {
		up = ioctl(fd, req);
		close(fd);
		if (up == -1) {
			/* EPERM: the parent is outside the caller's own user
			 * namespace (or this is the initial one); EINVAL: no
			 * such relation */
			if (errno == EPERM)
				printf(
				    "  %s: out of reach (the top, or above our "
				    "own user namespace)\n",
				    rel);
			return;
		}
		name(up, buf, sizeof(buf));
		printf("  %s %s", rel, buf);
		if (ioctl(up, NS_GET_NSTYPE) == CLONE_NEWUSER) {
			uid_t uid;
			if (ioctl(up, NS_GET_OWNER_UID, &uid) == 0)
				printf(", created by uid %u", (unsigned)uid);
		}
		printf("\n");
	}
}

int main(int argc, char *argv[])
{
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		char buf[64];
		struct stat st;
		int fd = open(argv[i], O_RDONLY | O_CLOEXEC);

		if (fd == -1 || fstat(fd, &st) == -1) {
			fprintf(stderr, "nsinfo: %s: %s\n", argv[i],
				strerror(errno));
			rc = 1;
			continue;
		}
		name(fd, buf, sizeof(buf));
		printf("%s  st_dev %u:%u st_ino %llu\n", buf, major(st.st_dev),
		       minor(st.st_dev), (unsigned long long)st.st_ino);
		int type = ioctl(fd, NS_GET_NSTYPE);
		if (type == CLONE_NEWUSER || type == CLONE_NEWPID)
			walk(fcntl(fd, F_DUPFD_CLOEXEC, 0), NS_GET_PARENT,
			     "parent");
		if (type != CLONE_NEWUSER)
			walk(fd, NS_GET_USERNS, "owned by");
		else
			close(fd);
	}
	return rc;
}
