/*
 * idcopy.c — a chowned copy of a lower layer (idcopy.h).
 *
 * File by file: directories, regular files, symlinks, FIFOs and
 * overlayfs's whiteouts, each owned by its id moved through the map (host
 * uid 0 becomes 100000 under "0 100000 65536"; an id outside the map stays
 * as it is), with its mode and times. Hard links become separate files and
 * file capabilities (security.capability xattrs) are not copied: this is
 * the slow, old-kernel path. Device nodes are left out: the overlay is
 * nodev, and a copy of a host's disk node, owned by the container's root,
 * is nothing the store should hold. The copy is keyed by the layer's
 * device and inode and the maps: change the layer in place and remove
 * STORE/idmap to get a fresh copy.
 */
#include "idcopy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "store.h"

struct shift {
	unsigned long uin, uout, ucount, gin, gout, gcount;
	dev_t dev; /* the layer's filesystem: mounts below are not copied */
	const char *name; /* the layer, for messages */
};

static unsigned long moved(unsigned long id, unsigned long in,
			   unsigned long out, unsigned long count)
{
	return id >= in && id - in < count ? id - in + out : id;
}

/* Directories deep, as tar.c allows: a copy takes a descriptor and a
 * frame of stack per level, and a tree that overlays another, or that
 * holds the store through another filesystem, can be deeper than either
 * allows (a 2500-deep tree overflowed the stack). No image comes near. */
#define MAX_DEPTH 256

static int copy_entry(int sdir, const char *sname, int ddir, const char *dname,
		      const struct shift *m, int depth, struct err *e);

/*
 * SDIR/SNAME opened, and it must still be the entry fstatat(2) saw (WANT):
 * the owner of a directory of the layer may rename a FIFO, a device or
 * another tree into its place in between. O_NONBLOCK: the open of a FIFO
 * would wait for a writer (a regular file reads the same with it).
 */
static int open_same(int sdir, const char *sname, int flags,
		     const struct stat *want, struct err *e)
{
	struct stat st;
	int fd =
	    openat(sdir, sname, flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);

	if (fd == -1)
		return fail(e, "open", sname);
	if (fstat(fd, &st) == 0 && st.st_dev == want->st_dev &&
	    st.st_ino == want->st_ino &&
	    (st.st_mode & S_IFMT) == (want->st_mode & S_IFMT))
		return fd;
	close(fd);
	fail_errno(e, 0, "copy", sname);
	e->hint = "the layer changed while it was copied";
	return -1;
}

/* Depth first, one descriptor per level. */
// NOLINTNEXTLINE(misc-no-recursion)
static int copy_dir(int sdir, const char *sname, int ddir, const char *dname,
		    const struct shift *m, const struct stat *want, int depth,
		    struct err *e)
{
	int s, d = -1, rc = -1;
	DIR *dir;
	struct dirent *de;

	s = open_same(sdir, sname, O_RDONLY | O_DIRECTORY, want, e);
	if (s == -1)
		return -1;
	dir = fdopendir(s);
	if (!dir) {
		close(s);
		return fail(e, "fdopendir", sname);
	}
	if (mkdirat(ddir, dname, 0700) == -1 ||
	    (d = openat(ddir, dname,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) ==
		-1) {
		fail(e, "mkdir", dname);
		goto out;
	}
	while ((errno = 0, de = readdir(dir))) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (copy_entry(dirfd(dir), de->d_name, d, de->d_name, m,
			       depth + 1, e) == -1)
			goto out;
	}
	rc = errno ? fail(e, "readdir", sname) : 0;
out:
	if (d != -1)
		close(d);
	closedir(dir);
	return rc;
}

static int copy_file(int sdir, const char *sname, int ddir, const char *dname,
		     const struct stat *want, struct err *e)
{
	static char buf[64 * 1024];
	int s, d = -1, rc = -1;
	ssize_t n;

	s = open_same(sdir, sname, O_RDONLY, want, e);
	if (s == -1)
		return -1;
	d = openat(ddir, dname,
		   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (d == -1) {
		fail(e, "create", dname);
		goto out;
	}
	/* A file holey on the layer is copied whole: its size, not what it
	 * takes on the layer's disk, is what the store must hold. */
	while ((n = read(s, buf, sizeof(buf))) > 0) {
		if (store_room(d, dname, (unsigned long long)n, e) == -1)
			goto out;
		if (write_all(d, buf, (size_t)n) == -1) {
			fail(e, "write", dname);
			goto out;
		}
	}
	rc = n == -1 ? fail(e, "read", sname) : 0;
out:
	if (d != -1 && close(d) == -1 && rc == 0)
		rc = fail(e, "close", dname);
	close(s);
	return rc;
}

/* The buffer is not on the stack: copy_entry() recurses, a frame per
 * level, and a PATH_MAX buffer in each overflowed a 1 MiB stack at 255. */
static int copy_link(int sdir, const char *sname, int ddir, const char *dname,
		     struct err *e)
{
	static char link[PATH_MAX];
	ssize_t n = readlinkat(sdir, sname, link, sizeof(link) - 1);

	if (n == -1)
		return fail(e, "readlink", sname);
	link[n] = '\0';
	if (symlinkat(link, ddir, dname) == -1)
		return fail(e, "symlink", dname);
	return 0;
}

/* overlayfs's whiteout: a character device 0:0 (a kept layer's upper
 * given as a --layer holds them). */
static bool whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

// NOLINTNEXTLINE(misc-no-recursion)
static int copy_entry(int sdir, const char *sname, int ddir, const char *dname,
		      const struct shift *m, int depth, struct err *e)
{
	struct stat st;
	int rc = 0;

	if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return fail(e, "stat", sname);
	if (S_ISDIR(st.st_mode) && st.st_dev != m->dev)
		return 0; /* a mount point: overlayfs would not show it */
	if (S_ISDIR(st.st_mode) && depth >= MAX_DEPTH) {
		fail_errno(e, 0, "copy", m->name);
		e->hint = "a layer over 256 directories deep: no image has one";
		return -1;
	}
	if ((S_ISCHR(st.st_mode) && !whiteout(&st)) || S_ISBLK(st.st_mode) ||
	    S_ISSOCK(st.st_mode))
		return 0; /* nothing to copy */
	if (store_room(ddir, dname, 0, e) == -1)
		return -1;
	if (S_ISDIR(st.st_mode))
		rc = copy_dir(sdir, sname, ddir, dname, m, &st, depth, e);
	else if (S_ISREG(st.st_mode))
		rc = copy_file(sdir, sname, ddir, dname, &st, e);
	else if (S_ISLNK(st.st_mode))
		rc = copy_link(sdir, sname, ddir, dname, e);
	else if (mknodat(ddir, dname, st.st_mode, st.st_rdev) == -1)
		return fail(e, "mknod", dname); /* a FIFO or a whiteout */
	if (rc == -1)
		return -1;
	struct timespec times[2] = {st.st_atim, st.st_mtim};

	/* chown first: it clears the set-user-ID and set-group-ID bits. */
	if (fchownat(ddir, dname,
		     (uid_t)moved(st.st_uid, m->uin, m->uout, m->ucount),
		     (gid_t)moved(st.st_gid, m->gin, m->gout, m->gcount),
		     AT_SYMLINK_NOFOLLOW) == -1 ||
	    (!S_ISLNK(st.st_mode) &&
	     fchmodat(ddir, dname, st.st_mode & 07777, 0) == -1) ||
	    utimensat(ddir, dname, times, AT_SYMLINK_NOFOLLOW) == -1)
		return fail(e, "set owner, mode and times of", dname);
	return 0;
}

/* Copy the tree LAYER to DIR/.tmp-PID/rootfs, publish it as DIR/KEY. SIGINT and
 * SIGTERM stop it at the next file or chunk (store_guard): the relay of
 * signals to the container, installed by then, would leave a copy of a
 * large layer running to its end. */
static int make_copy(int dir, int layer, const char *key, const struct shift *m,
		     struct err *e)
{
	struct store_guard g;
	struct err ignored;
	char tmp[32];
	int t, rc;

	if (store_guard(&g, e) == -1)
		return -1;
	t = store_tmpdir(dir, tmp, e);
	if (t == -1)
		return store_unguard(&g, -1, e);
	rc = copy_entry(layer, ".", t, "rootfs", m, 0, e);
	if (rc == 0)
		rc = store_publish(dir, tmp, key, e);
	if (rc == -1)
		store_remove(dir, tmp, &ignored);
	close(t);
	return store_unguard(&g, rc, e);
}

int idcopy_prepare(int layer, const char *name, const char *uid_map,
		   const char *gid_map, char out[PATH_MAX], struct err *e)
{
	char store[PATH_MAX], key[256];
	int top, dir = -1, rc = -1, have;
	struct shift m;
	struct stat st;
	struct err ignored;

	if (sscanf(uid_map, "%lu %lu %lu", &m.uin, &m.uout, &m.ucount) != 3 ||
	    sscanf(gid_map, "%lu %lu %lu", &m.gin, &m.gout, &m.gcount) != 3)
		return fail_errno(e, EINVAL, "idmap", uid_map);
	if (fstat(layer, &st) == -1)
		return fail(e, "stat", name);
	m.dev = st.st_dev;
	m.name = name;
	if (snprintf(key, sizeof(key), "%llx-%llx-u%lu-%lu-%lu-g%lu-%lu-%lu",
		     (unsigned long long)st.st_dev,
		     (unsigned long long)st.st_ino, m.uin, m.uout, m.ucount,
		     m.gin, m.gout, m.gcount) >= (int)sizeof(key))
		return fail_errno(e, ENAMETOOLONG, "idmap", name);
	top = store_open(0, store, e);
	if (top == -1 || (dir = store_workdir(top, "idmap", e)) == -1)
		goto out;
	have = store_subdir(dir, key, 0, &ignored);
	if (have != -1)
		close(have);
	else {
		trace("copy %s to %s/idmap/%s, chowned", name, store, key);
		if (make_copy(dir, layer, key, &m, e) == -1)
			goto out;
	}
	rc =
	    snprintf(out, PATH_MAX, "%s/idmap/%s/rootfs", store, key) < PATH_MAX
		? 0
		: fail_errno(e, ENAMETOOLONG, "idmap", store);
out:
	if (dir != -1)
		close(dir);
	if (top != -1)
		close(top);
	return rc;
}
