/*
 * store.c — the directory of what outlives a container (store.h).
 *
 * Every directory of the store is trusted only when it is a real
 * directory, owned by our effective uid, mode 0700: anyone else who could
 * write in it could swap a layer for a tree of their own, or plant a
 * symlink that turns a removal or an unpack against the host (CWE-59).
 * So everything below the top is opened relative to its parent's
 * descriptor with O_NOFOLLOW, and checked after it is opened (fstat of the
 * descriptor, not stat of a path that may change in between).
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static const char untrusted_hint[] =
    "a directory of the store must be a real directory owned by you, mode "
    "0700; remove or chmod it";

static int trusted(int fd, const char *name, struct err *e)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return fail(e, "fstat", name);
	if (st.st_uid != geteuid() || (st.st_mode & 07777) != 0700) {
		fail_errno(e, EPERM, "store directory", name);
		e->hint = untrusted_hint;
		return -1;
	}
	return 0;
}

static int open_dir(int dirfd, const char *name, int create, struct err *e)
{
	int fd, made = 0;

	if (create) {
		made = mkdirat(dirfd, name, 0700) == 0;
		if (!made && errno != EEXIST)
			return fail(e, "mkdir", name);
	}
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		fail(e, "open", name);
		if (e->errnum == ELOOP || e->errnum == ENOTDIR)
			e->hint = untrusted_hint;
		return -1;
	}
	/* mkdir's mode went through the umask: set it on what we made. */
	if ((made && fchmod(fd, 0700) == -1 && fail(e, "fchmod", name)) ||
	    trusted(fd, name, e) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int store_where(int rootless, char path[PATH_MAX], struct err *e)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	int n;

	if (!rootless)
		n = snprintf(path, PATH_MAX, "/var/lib/nsworkshop");
	else if (xdg && xdg[0] == '/')
		n = snprintf(path, PATH_MAX, "%s/nsworkshop", xdg);
	else if (home && home[0] == '/')
		n = snprintf(path, PATH_MAX, "%s/.local/share/nsworkshop",
			     home);
	else {
		fail_errno(e, ENOENT, "getenv", "XDG_DATA_HOME");
		e->hint =
		    "without root the store is $XDG_DATA_HOME/nsworkshop: "
		    "set XDG_DATA_HOME or HOME";
		return -1;
	}
	return n < PATH_MAX ? 0 : fail_errno(e, ENAMETOOLONG, "store", path);
}

/* The top directory, made with its missing parents: the XDG Base
 * Directory specification says to create them with mode 0700. */
static int store_path(int rootless, char path[PATH_MAX], struct err *e)
{
	if (store_where(rootless, path, e) == -1)
		return -1;
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		/* EEXIST, mostly; open_dir says the rest */
		if (mkdir(path, 0700) == -1 && errno != EEXIST)
			trace("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
	return 0;
}

int store_open(int rootless, char path[PATH_MAX], struct err *e)
{
	if (store_path(rootless, path, e) == -1)
		return -1;
	return open_dir(AT_FDCWD, path, 1, e);
}

int store_subdir(int dirfd, const char *name, int create, struct err *e)
{
	return open_dir(dirfd, name, create, e);
}

/* Remove the .tmp-PID directories whose makers died: they held a lock
 * on them (flock(2)) that ended with their last descriptor. A maker holds
 * a shared lock on DIRFD from its mkdir to its own lock, so the sweep,
 * which takes it exclusive, never sees a .tmp-PID between the two (and
 * when it cannot take it, a later start sweeps). */
static void sweep_tmp(int dirfd)
{
	int fd = -1;
	DIR *d = NULL;
	struct dirent *de;
	struct err ignored;

	if (flock(dirfd, LOCK_EX | LOCK_NB) == 0 &&
	    (fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) != -1)
		d = fdopendir(fd);
	if (!d) {
		if (fd != -1)
			close(fd);
		(void)flock(dirfd, LOCK_UN);
		return;
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, ".tmp-", 5) != 0)
			continue;
		int t = openat(dirfd, de->d_name,
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (t != -1 && flock(t, LOCK_EX | LOCK_NB) == 0)
			store_remove(dirfd, de->d_name, &ignored);
		if (t != -1)
			close(t);
	}
	closedir(d);
	(void)flock(dirfd, LOCK_UN);
}

int store_workdir(int top, const char *name, struct err *e)
{
	int fd = open_dir(top, name, 1, e);

	if (fd != -1)
		sweep_tmp(fd);
	return fd;
}

int store_tmpdir(int dirfd, char name[32], struct err *e)
{
	int fd;

	if (snprintf(name, 32, ".tmp-%d", (int)getpid()) >= 32)
		return fail_errno(e, ENAMETOOLONG, "mkdir", ".tmp-PID");
	if (flock(dirfd, LOCK_SH) == -1)
		return fail(e, "flock", name);
	fd = open_dir(dirfd, name, 1, e);
	if (fd != -1 && flock(fd, LOCK_EX | LOCK_NB) == -1) {
		fail(e, "flock", name);
		close(fd);
		fd = -1;
	}
	(void)flock(dirfd, LOCK_UN);
	return fd;
}

int store_publish(int dirfd, const char *tmp, const char *name, struct err *e)
{
	/* RENAME_NOREPLACE (Linux 3.15): an existing NAME stays as it is. */
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EINVAL && renameat(dirfd, tmp, dirfd, name) == 0)
		return 0;
	if (errno != EEXIST && errno != ENOTEMPTY)
		return fail(e, "rename", name);
	return store_remove(dirfd, tmp, e);
}

static int remove_entries(int fd, const char *name, dev_t dev, struct err *e);

/* Depth first: each level holds one descriptor, so RLIMIT_NOFILE bounds
 * the depth (EMFILE), long before the stack. */
// NOLINTNEXTLINE(misc-no-recursion)
static int remove_at(int dirfd, const char *name, dev_t dev, struct err *e)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : fail(e, "stat", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) == -1 && errno != ENOENT)
			return fail(e, "unlink", name);
		return 0;
	}
	if (dev && st.st_dev != dev)
		return fail_errno(e, EXDEV, "remove (a mount point)", name);
	/* A directory a container made mode 000, or overlay's work/work:
	 * ours, so we may open it to empty it. */
	if ((st.st_mode & 0700) != 0700 && st.st_uid == geteuid())
		fchmodat(dirfd, name, 0700, 0);
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return fail(e, "open", name);
	if (remove_entries(fd, name, st.st_dev, e) == -1)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == -1)
		return fail(e, "rmdir", name);
	return 0;
}

/* Empty the directory FD (and close it). */
// NOLINTNEXTLINE(misc-no-recursion)
static int remove_entries(int fd, const char *name, dev_t dev, struct err *e)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		close(fd);
		return fail(e, "fdopendir", name);
	}
	while (rc == 0 && (errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		rc = remove_at(dirfd(d), de->d_name, dev, e);
	}
	if (rc == 0 && errno)
		rc = fail(e, "readdir", name);
	closedir(d);
	return rc;
}

int store_remove(int dirfd, const char *name, struct err *e)
{
	return remove_at(dirfd, name, 0, e);
}

int store_read(int dirfd, const char *name, char *buf, size_t size,
	       struct err *e)
{
	struct stat st;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO planted here must not hang us. */
	fd =
	    openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return fail(e, "open", name);
	if (fstat(fd, &st) == -1) {
		fail(e, "fstat", name);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size >= size) {
		close(fd);
		return fail_errno(e, S_ISREG(st.st_mode) ? EFBIG : EINVAL,
				  "read", name);
	}
	n = read(fd, buf, size - 1);
	if (n == -1) {
		fail(e, "read", name);
		close(fd);
		return -1;
	}
	buf[n] = '\0';
	close(fd);
	return 0;
}

int store_write(int dirfd, const char *name, const char *text, struct err *e)
{
	char tmp[NAME_MAX + 1];
	size_t len = strlen(text);
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.new", name) >= (int)sizeof(tmp))
		return fail_errno(e, ENAMETOOLONG, "write", name);
	if (unlinkat(dirfd, tmp, 0) == -1 && errno != ENOENT)
		return fail(e, "unlink", tmp);
	fd = openat(dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return fail(e, "create", tmp);
	if (write_all(fd, text, len) == -1) {
		fail(e, "write", tmp);
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (close(fd) == -1 || renameat(dirfd, tmp, dirfd, name) == -1) {
		fail(e, "rename", name);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return 0;
}

/*
 * What an unpack or a copy may take. An archive says nothing true about
 * its size until it is unpacked: 150 KB of gzip inflate to 150 MiB of
 * zeros, and a header's size field is whatever its writer put there. So
 * nothing is promised beforehand; each entry and each chunk asks the
 * filesystem, fstatvfs(2), whether it would still keep 10%
 * of its blocks and of its inodes free after it, as Docker's devicemapper
 * driver refused a new device under dm.min_free_space (10%) and the
 * kubelet evicts under nodefs.available<10%. No fixed cap: an image as
 * large as the disk allows is fine; filling the disk that /var/lib (or
 * $HOME) shares with the host is not. Asking each time, not once, keeps
 * the reserve when two starts unpack at once.
 */
static volatile sig_atomic_t stop_signal;

static void take_note(int sig)
{
	stop_signal = sig;
}

static int stopped(const char *name, struct err *e)
{
	fail_errno(e, EINTR, "stopped at", name);
	e->hint = stop_signal == SIGINT
		      ? "SIGINT came: what was written is removed"
		      : "SIGTERM came: what was written is removed";
	return -1;
}

int store_guard(struct store_guard *g, struct err *e)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = take_note;
	sigemptyset(&sa.sa_mask);
	stop_signal = 0;
	if (sigaction(SIGINT, &sa, &g->old_int) == -1)
		return fail(e, "sigaction", "SIGINT");
	if (sigaction(SIGTERM, &sa, &g->old_term) == -1) {
		sigaction(SIGINT, &g->old_int, NULL);
		return fail(e, "sigaction", "SIGTERM");
	}
	return 0;
}

int store_unguard(const struct store_guard *g, int rc, struct err *e)
{
	sigaction(SIGTERM, &g->old_term, NULL);
	sigaction(SIGINT, &g->old_int, NULL);
	return rc == 0 && stop_signal ? stopped("the end", e) : rc;
}

int store_room(int fd, const char *name, unsigned long long bytes,
	       struct err *e)
{
	struct statvfs fs;
	unsigned long long keep, need;

	if (stop_signal)
		return stopped(name, e);
	if (fstatvfs(fd, &fs) == -1)
		return fail(e, "fstatvfs", "the store");
	/* f_bavail, not f_bfree: root's own reserve (ext4's 5%) is for the
	 * host's daemons, not for images. f_files (f_blocks) is 0 where the
	 * filesystem counts no inodes (btrfs; blocks: some FUSE): no reserve
	 * of those there. */
	keep = fs.f_blocks / 10;
	need = bytes / (fs.f_frsize ? fs.f_frsize : 4096) + 1;
	if ((fs.f_blocks && fs.f_bavail < keep + need) ||
	    (fs.f_files && fs.f_favail <= fs.f_files / 10 + 1)) {
		fail_errno(e, ENOSPC, "write into the store", name);
		e->hint = "the store keeps 10% of its filesystem's space and "
			  "inodes free: free some, or rm -r the images and "
			  "copies not needed in /var/lib/nsworkshop/images "
			  "and idmap ($XDG_DATA_HOME/nsworkshop without root)";
		return -1;
	}
	return 0;
}
