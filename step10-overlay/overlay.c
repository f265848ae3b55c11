/*
 * overlay.c — the container's / as an overlay (overlay.h).
 *
 * overlayfs (Documentation/filesystems/overlayfs.rst) shows a stack of
 * directories as one: "lowerdir" layers, read-only, the topmost winning
 * where names collide, and an "upperdir" that takes every change. Writing
 * a file of a lower layer first copies it up; deleting one leaves a
 * whiteout (a 0:0 character device) in the upper layer that hides it; a
 * directory made again after deletion is marked opaque (an xattr). The
 * "workdir", on the upper layer's filesystem, is where a copy-up is
 * prepared before rename(2) moves it into place atomically.
 *
 * The layers are put together on a small tmpfs mounted on /tmp of the
 * container's mount namespace (so nothing reaches the host, and the child,
 * root of a user namespace, reaches it even when the image lives under a
 * home directory of mode 0750 it cannot cross; pivot_root later leaves
 * this /tmp behind):
 *
 *	/tmp/              tmpfs, size=512m
 *	  lower0 .. lowerN each lower layer, a clone of its mount (open_tree)
 *	  upper, work      the container's layer (kept layers: in the store)
 *	  merged           the overlay: the container's /
 *
 * Under a user namespace, container root is host uid 100000 and the image
 * belongs to host root: an overlay of it mounts, but root inside may not
 * change anything. So each lower layer's mount is idmapped through the
 * container's own user namespace (mount_setattr(2) MOUNT_ATTR_IDMAP, Linux
 * 5.12; overlayfs accepts idmapped layers since 5.19): host uid 0 shows as
 * 100000, the container's root. Without idmapped mounts, a copy of the
 * layer chowned into the container's range is used (idcopy.c).
 */
#include "overlay.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "idcopy.h"
#include "store.h"
#include "syscalls.h"

/* The container's layer when it is not kept: a tmpfs, bounded so that a
 * container filling it gets ENOSPC and the host keeps its memory. */
#define LAYER_SIZE "512m"

/* The host ids of the container's root under MAP ("INSIDE OUTSIDE
 * COUNT"), -1 when it does not map uid 0. */
static long host_root(const char *map)
{
	unsigned long in, out, count;

	if (sscanf(map, "%lu %lu %lu", &in, &out, &count) != 3 || in != 0)
		return -1;
	return (long)out;
}

/* Only a map that moves ids needs idmapped layers. */
static int idmap_needed(const struct overlay *o)
{
	unsigned long in, out, count;

	if (o->rootless)
		return 0; /* our own files are the container root's */
	if (sscanf(o->uid_map, "%lu %lu", &in, &out) == 2 && in != out)
		return 1;
	return sscanf(o->gid_map, "%lu %lu %lu", &in, &out, &count) == 3 &&
	       in != out;
}

/* A clone of the mount of the layer PATH, attached nowhere yet. */
static int clone_layer(const char *path, struct err *e)
{
	struct stat st;
	int fd;

	fd = sys_open_tree(AT_FDCWD, path,
			   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (fd == -1) {
		fail(e, "open_tree", path);
		if (e->errnum == ENOSYS)
			e->hint = "step10 needs Linux >= 5.2 (the new mount "
				  "API)";
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISDIR(st.st_mode)) {
		fail_errno(e, ENOTDIR, "layer", path);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Lower layer I's mount, cloned where it was checked: from its descriptor
 * (TREE[I], cloned by overlay_mount_in in the runtime's mount namespace,
 * which open_tree(2) needs: EINVAL from another). Without one (the rootless
 * child mounts by path in its own namespace) the clone must still be the
 * directory that was checked, st_dev and st_ino: the owner of a directory
 * on the way can rename another into its place in between (runc's
 * CVE-2021-30465).
 */
static int clone_lower(const struct overlay *o, int i, int *tree, struct err *e)
{
	struct stat want, st;
	int fd = tree ? tree[i] : -1;

	if (fd != -1) {
		tree[i] = -1;
		return fd;
	}
	fd = clone_layer(o->lower[i], e);
	if (fd == -1 || o->lower_fd[i] == -1)
		return fd;
	if (fstat(o->lower_fd[i], &want) == -1 || fstat(fd, &st) == -1)
		fail(e, "fstat", o->lower[i]);
	else if (st.st_dev == want.st_dev && st.st_ino == want.st_ino)
		return fd;
	else {
		/* lower0 is the rootfs, checked so only without --image */
		fail_errno(e, 0, i ? "--layer" : "--rootfs", o->lower[i]);
		e->hint = i ? "the layer changed while the container started"
			    : "the rootfs changed while the container started";
	}
	close(fd);
	return -1;
}

/* What overlay_mount puts together, until it is mounted. */
struct stack {
	int fd[OVL_MAX_LOWER]; /* each layer's mount, until attached */
	int *tree;	       /* clones taken before setns, or NULL */
	int idmapped;	       /* some layer is an idmapped mount */
	int copies;	       /* use chowned copies, not idmapped mounts */
	mode_t mode;	       /* of the topmost layer's root: the upper's */
	int scratch;	       /* the tmpfs on OVL_TOP */
	int base;	       /* where upper/ and work/ are: scratch or the
				* kept layer, layers/NAME */
	char where[PATH_MAX];  /* and its path, for -v */
};

/* The running kernel is older than MAJOR.MINOR (uname(2)); an EINVAL
 * from a newer one has another cause, which a copy would not cure. */
static bool kernel_before(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) == -1 || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma < major || (ma == major && mi < minor);
}

/* Idmap layer I's clone through USERNS; where the kernel or the
 * filesystem cannot, swap it for a clone of a chowned copy (idcopy.c). */
static int idmap_layer(const struct overlay *o, int i, struct stack *s,
		       int userns, struct err *e)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP,
				  .userns_fd = (uint64_t)userns};
	char copy[PATH_MAX];

	/* step10 { unless S->copies, mount_setattr(2) the clone S->fd[I]
	 * (AT_EMPTY_PATH) with ATTR: MOUNT_ATTR_IDMAP through USERNS; on
	 * success set S->idmapped and return 0; ENOSYS, EINVAL and EOPNOTSUPP
	 * (no idmapped mounts here) fall through to the chowned copy below,
	 * any other errno fails */
	if (!s->copies) {
		trace("mount_setattr(%s, MOUNT_ATTR_IDMAP): uid_map \"%s\", "
		      "gid_map \"%s\"",
		      o->lower[i], o->uid_map, o->gid_map);
		if (sys_mount_setattr(s->fd[i], "", AT_EMPTY_PATH, &attr) ==
		    0) {
			s->idmapped = 1;
			return 0;
		}
		/* ENOSYS: before Linux 5.12; EINVAL: this filesystem
		 * cannot be idmapped. */
		if (errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
			return fail(e, "mount_setattr(MOUNT_ATTR_IDMAP)",
				    o->lower[i]);
		trace("no idmapped mount of %s (%s): a chowned copy instead",
		      o->lower[i], strerror(errno));
	}
	/* } step10, skeleton:
	 * if (!s->copies)
	 *	return fail_errno(e, ENOSYS, "mount_setattr", o->lower[i]);
	 */
	if (idcopy_prepare(s->fd[i], o->lower[i], o->uid_map, o->gid_map, copy,
			   e) == -1)
		return -1;
	close(s->fd[i]);
	s->fd[i] = clone_layer(copy, e);
	return s->fd[i] == -1 ? -1 : 0;
}

/* Clone every lower layer's mount, idmapped through USERNS when the maps
 * move ids. */
static int open_layers(const struct overlay *o, struct stack *s, int userns,
		       struct err *e)
{
	struct stat st;

	for (int i = 0; i < o->nlower; i++) {
		trace("open_tree(%s, OPEN_TREE_CLONE): lower%d", o->lower[i],
		      i);
		s->fd[i] = clone_lower(o, i, s->tree, e);
		if (s->fd[i] == -1)
			return -1;
		if (userns != -1 && idmap_needed(o) &&
		    idmap_layer(o, i, s, userns, e) == -1)
			return -1;
	}
	if (fstat(s->fd[o->nlower - 1], &st) == -1)
		return fail(e, "fstat", o->lower[o->nlower - 1]);
	s->mode = st.st_mode & 07777;
	return 0;
}

/*
 * A tmpfs made with fsopen(2) and fsmount(2): its descriptor names its
 * root whatever happens to the path, so what we make in it cannot land in
 * the directory it covers (a descriptor opened on LOWER0 before a mount
 * would still name LOWER0 itself, below the mount).
 */
static int make_tmpfs(struct err *e)
{
	int fs, mnt = -1;

	/* step10 { fsopen(2) "tmpfs" (FSOPEN_CLOEXEC; ENOSYS: hint at Linux
	 * >= 5.2); fsconfig(2) FSCONFIG_SET_STRING "source"
	 * "nsworkshop-layer", "size" LAYER_SIZE, "mode" "0711", then
	 * FSCONFIG_CMD_CREATE; fsmount(2) it FSMOUNT_CLOEXEC with
	 * MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV; close the context and return
	 * the mount's descriptor */
	fs = sys_fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs == -1) {
		fail(e, "fsopen", "tmpfs");
		if (e->errnum == ENOSYS)
			e->hint = "step10 needs Linux >= 5.2 (the new mount "
				  "API)";
		return -1;
	}
	/* "source": what mountinfo shows, so the layer is easy to find. */
	if (sys_fsconfig(fs, FSCONFIG_SET_STRING, "source", "nsworkshop-layer",
			 0) == -1 ||
	    sys_fsconfig(fs, FSCONFIG_SET_STRING, "size", LAYER_SIZE, 0) ==
		-1 ||
	    sys_fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0711", 0) == -1 ||
	    sys_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == -1)
		fail(e, "fsconfig", "tmpfs");
	else if ((mnt = sys_fsmount(fs, FSMOUNT_CLOEXEC,
				    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)) ==
		 -1)
		fail(e, "fsmount", "tmpfs");
	close(fs);
	return mnt;
	/* } step10, skeleton: return fail_errno(e, ENOSYS, "fsopen", "tmpfs"); */
}

/* The tmpfs on OVL_TOP (the layers are cloned already: hiding a path
 * below it costs nothing),
 * then each layer's clone attached in it as lowerI: attached, because
 * before Linux 6.15 overlayfs takes layers only from mounts of our mount
 * namespace, and move_mount only targets them. */
static int mount_scratch(const struct overlay *o, struct stack *s,
			 struct err *e)
{
	char name[16];

	s->scratch = make_tmpfs(e);
	if (s->scratch == -1)
		return -1;
	trace("mount(tmpfs, " OVL_TOP ", \"size=%s\")", LAYER_SIZE);
	if (sys_move_mount(s->scratch, AT_FDCWD, OVL_TOP) == -1)
		return fail(e, "move_mount tmpfs", OVL_TOP);
	for (int i = 0; i < o->nlower; i++) {
		/* allow-snprintf: i < OVL_MAX_LOWER */
		snprintf(name, sizeof(name), "lower%d", i);
		if (mkdirat(s->scratch, name, 0700) == -1 ||
		    sys_move_mount(s->fd[i], s->scratch, name) == -1)
			return fail(e, "move_mount", o->lower[i]);
		close(s->fd[i]);
		s->fd[i] = -1;
	}
	return 0;
}

/* A kept layer's NAME is one component of the store: no '/', and not
 * hidden (".", "..", and the store's own .tmp-PID). */
static int check_name(const char *name, struct err *e)
{
	if (name[0] && name[0] != '.' && !strchr(name, '/') &&
	    strlen(name) <= NAME_MAX)
		return 0;
	fail_errno(e, EINVAL, "kept layer", name);
	e->hint = "a name of the store: no '/', not starting with '.'";
	return -1;
}

/* What a kept layer was made over: its upper layer only makes sense on
 * the same lower layers, with the same owners. */
static int describe(const struct overlay *o, char *out, size_t size)
{
	size_t len = 0;
	int n;

	n = snprintf(out, size, "uid_map %s\ngid_map %s\n", o->uid_map,
		     o->gid_map);
	for (int i = 0; n >= 0 && (size_t)n < size - len && i < o->nlower;
	     i++) {
		len += (size_t)n;
		n = snprintf(out + len, size - len, "lower %s\n", o->lower[i]);
	}
	return n >= 0 && (size_t)n < size - len ? 0 : -1;
}

/* The kept layer FD's list of lower layers: written when it is new, else
 * the same as WANT. */
static int check_lowers(const struct overlay *o, int fd, const char *where,
			const char *want, struct err *e)
{
	static char have[OVL_MAX_LOWER * (PATH_MAX + 8) + 256];
	struct err miss;

	/* step10 { store_read() FD's "lowers" file into HAVE (errors into
	 * MISS): ENOENT means the layer is new, so store_write() WANT there;
	 * any other error is E's. A kept layer read back must have HAVE equal
	 * to WANT, else fail_errno() EEXIST on "--keep" O->keep, with a hint:
	 * start it over the same layers, or remove it with --rm-layer NAME */
	if (store_read(fd, "lowers", have, sizeof(have), &miss) == -1) {
		if (miss.errnum != ENOENT) {
			*e = miss;
			return -1;
		}
		trace("kept layer %s: new", where);
		return store_write(fd, "lowers", want, e);
	}
	trace("kept layer %s: reused", where);
	if (strcmp(have, want) == 0)
		return 0;
	fail_errno(e, EEXIST, "--keep", o->keep);
	e->hint = "this kept layer was made over other lower layers or maps "
		  "(see its lowers file): start it as before, or remove it "
		  "with --rm-layer NAME";
	return -1;
	/* } step10, skeleton: return fail_errno(e, ENOSYS, "--keep", o->keep); */
}

/* --name NAME --keep: STORE/layers/NAME, made with the list of its lower
 * layers, or reused when that list is the same. */
static int open_kept(const struct overlay *o, struct stack *s, struct err *e)
{
	static char want[OVL_MAX_LOWER * (PATH_MAX + 8) + 256];
	char store[PATH_MAX];
	int top, layers = -1, fd = -1;

	/* step10 { check_name() O->keep; describe() O into WANT
	 * (ENAMETOOLONG when it does not fit); store_open() the store,
	 * store_subdir() "layers" in it, then O->keep in that, both made when
	 * missing; S->where = "STORE/layers/NAME" (-v says it), then
	 * check_lowers() against WANT. Close the store's descriptors and
	 * return the layer's directory, open, or -1 */
	if (check_name(o->keep, e) == -1)
		return -1;
	if (describe(o, want, sizeof(want)) == -1)
		return fail_errno(e, ENAMETOOLONG, "--keep", o->keep);
	top = store_open(o->rootless, store, e);
	if (top != -1)
		layers = store_subdir(top, "layers", 1, e);
	if (layers != -1)
		fd = store_subdir(layers, o->keep, 1, e);
	if (fd == -1)
		goto out;
	if (snprintf(s->where, sizeof(s->where), "%s/layers/%s", store,
		     o->keep) >= (int)sizeof(s->where))
		fail_errno(e, ENAMETOOLONG, "--keep", o->keep);
	else if (check_lowers(o, fd, s->where, want, e) == 0)
		goto out;
	close(fd);
	fd = -1;
out:
	if (layers != -1)
		close(layers);
	if (top != -1)
		close(top);
	return fd;
	/* } step10, skeleton: return fail_errno(e, ENOSYS, "--keep", o->keep); */
}

/* upper/ (owned by the container's root, with the mode of the image's
 * root: it is the overlay's root) and work/, in BASE. */
static int make_upper(const struct overlay *o, struct stack *s, struct err *e)
{
	long uid = host_root(o->uid_map), gid = host_root(o->gid_map);

	/* step10 { mkdirat() S->base's "upper" with S->mode; when it is new,
	 * fchownat() it to UID:GID, the host ids of the container's root
	 * (not rootless: there our files are its already), and fchmodat() it
	 * to S->mode (the umask cut it); then "work", 0700. An existing one
	 * (EEXIST: a kept layer) is used as it is */
	if (mkdirat(s->base, "upper", s->mode) == 0) {
		if (!o->rootless &&
		    fchownat(s->base, "upper", (uid_t)uid, (gid_t)gid, 0) == -1)
			return fail(e, "chown", "upper");
		if (fchmodat(s->base, "upper", s->mode, 0) == -1)
			return fail(e, "chmod", "upper");
	} else if (errno != EEXIST)
		return fail(e, "mkdir", "upper");
	if (mkdirat(s->base, "work", 0700) == -1 && errno != EEXIST)
		return fail(e, "mkdir", "work");
	/* } step10, skeleton: return fail_errno(e, ENOSYS, "mkdir", "upper"); */
	if (!o->rootless || o->keep)
		return 0;
	/* Without root, overlayfs keeps whiteouts' companions and opaque
	 * directories in user.overlay.* xattrs (the userxattr option), and
	 * tmpfs takes user xattrs only since Linux 6.6. */
	int fd = openat(s->base, "upper", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd == -1 ? -1 : fsetxattr(fd, "user.nsworkshop", "1", 1, 0);

	if (rc == 0)
		fremovexattr(fd, "user.nsworkshop");
	else {
		fail(e, "setxattr(user.*)", "the tmpfs upper layer");
		e->hint =
		    "a tmpfs layer without root needs Linux >= 6.6 (user "
		    "xattrs on tmpfs): keep the layer on disk with --name "
		    "NAME --keep, or run as root";
	}
	if (fd != -1)
		close(fd);
	return rc;
}

/* lowerdir=...:lower1:lower0 (the topmost first), upperdir, workdir: as
 * /proc/self/fd paths, so no ',' or ':' of a real path can break them. */
static int options(const struct overlay *o, const struct stack *s, char *out,
		   size_t size)
{
	size_t len = 0;
	int n = snprintf(out, size, "lowerdir=");

	/* step10 { append every lower layer, the topmost (O->nlower - 1)
	 * first, as "/proc/self/fd/SCRATCH/lowerI" joined by ':'; then
	 * ",upperdir=/proc/self/fd/BASE/upper,workdir=/proc/self/fd/BASE/work"
	 * (S->scratch, S->base) and, rootless, ",userxattr". Check every
	 * snprintf for truncation: -1 when OUT is too small, else 0 */
	for (int i = o->nlower - 1; n >= 0 && (size_t)n < size - len && i >= 0;
	     i--) {
		len += (size_t)n;
		n = snprintf(out + len, size - len,
			     "/proc/self/fd/%d/lower%d%s", s->scratch, i,
			     i ? ":" : "");
	}
	if (n >= 0 && (size_t)n < size - len) {
		len += (size_t)n;
		n = snprintf(out + len, size - len,
			     ",upperdir=/proc/self/fd/%d/upper,workdir=/proc/"
			     "self/fd/%d/work%s",
			     s->base, s->base, o->rootless ? ",userxattr" : "");
	}
	return n >= 0 && (size_t)n < size - len ? 0 : -1;
	/* } step10, skeleton: return -1; */
}

static int mount_overlay(struct overlay *o, struct stack *s, struct err *e)
{
	char opts[1024], target[64];

	if (options(o, s, opts, sizeof(opts)) == -1)
		return fail_errno(e, E2BIG, "overlay options", "");
	if (mkdirat(s->scratch, "merged", 0755) == -1)
		return fail(e, "mkdir", "merged");
	/* allow-snprintf: 64 bytes hold it */
	snprintf(target, sizeof(target), "/proc/self/fd/%d/merged", s->scratch);
	if (overlay_path(o, e) == -1)
		return -1;
	trace("mount(overlay, %s, \"%s\")", o->merged, opts);
	/* step10 { mount(2) source "nsworkshop-overlay" (what mountinfo
	 * shows), type "overlay", on TARGET, MS_NODEV (a device node in a
	 * layer is not a device: as root the lowers are idmapped, and a
	 * host's 0600 node would be container root's), OPTS as its data;
	 * return 0 when it is mounted (the errors below are given) */
	if (mount("nsworkshop-overlay", target, "overlay", MS_NODEV, opts) == 0)
		return 0;
	/* } step10, skeleton: return fail_errno(e, ENOSYS, "mount", target); */
	fail(e, "mount overlay", o->merged);
	if (o->rootless && (e->errnum == EINVAL || e->errnum == EPERM) &&
	    kernel_before(5, 11))
		e->hint = "overlayfs in a user namespace needs Linux >= 5.11 "
			  "(the userxattr option)";
	else if (e->errnum == ENODEV)
		e->hint = "this kernel has no overlayfs: modprobe overlay";
	return -1;
}

static void close_stack(struct stack *s, int nlower)
{
	for (int i = 0; i < nlower; i++)
		if (s->fd[i] != -1)
			close(s->fd[i]);
	if (s->base != -1 && s->base != s->scratch)
		close(s->base);
	if (s->scratch != -1)
		close(s->scratch);
}

static int try_mount(struct overlay *o, struct stack *s, int userns,
		     struct err *e)
{
	for (int i = 0; i < OVL_MAX_LOWER; i++)
		s->fd[i] = -1;
	s->scratch = s->base = -1;
	/* The kept layer is opened before the tmpfs hides /tmp, where a
	 * store may live ($XDG_DATA_HOME). */
	if (open_layers(o, s, userns, e) == -1 ||
	    (o->keep && (s->base = open_kept(o, s, e)) == -1) ||
	    mount_scratch(o, s, e) == -1)
		return -1;
	if (!o->keep) {
		s->base = s->scratch;
		/* allow-snprintf: only for -v */
		snprintf(s->where, sizeof(s->where), "the tmpfs on " OVL_TOP);
	}
	if (make_upper(o, s, e) == -1)
		return -1;
	trace("upperdir, workdir: upper/, work/ in %s", s->where);
	return mount_overlay(o, s, e);
}

int overlay_path(struct overlay *o, struct err *e)
{
	(void)e; /* a fixed place, in the container's mount namespace */
	memcpy(o->merged, OVL_TOP "/merged", sizeof(OVL_TOP "/merged"));
	return 0;
}

/* overlay_mount, with TREE: the lower layers' clones (or NULL). */
static int mount_trees(struct overlay *o, int userns, int *tree, struct err *e)
{
	struct stack s = {.tree = tree};
	int rc;

	/* On a systemd host `/` is shared, and the mounts below would be
	 * replayed in the host's namespace (mount_namespaces(7)). */
	trace("mount(/, MS_REC | MS_PRIVATE)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return fail(e, "mount", "/, MS_REC | MS_PRIVATE");
	rc = try_mount(o, &s, userns, e);
	close_stack(&s, o->nlower);
	/* Linux 5.12 to 5.18 idmap mounts, but overlayfs refuses idmapped
	 * layers (EINVAL) until 5.19: chowned copies then. */
	if (rc == -1 && s.idmapped && e->errnum == EINVAL &&
	    kernel_before(5, 19)) {
		trace("overlayfs refused idmapped layers (Linux < 5.19): "
		      "chowned copies instead");
		if (umount2(OVL_TOP, MNT_DETACH) == -1)
			return fail(e, "umount2", OVL_TOP);
		memset(&s, 0, sizeof(s));
		s.tree = tree; /* taken: by path, compared */
		s.copies = 1;
		rc = try_mount(o, &s, userns, e);
		close_stack(&s, o->nlower);
	}
	return rc;
}

int overlay_mount(struct overlay *o, int userns, struct err *e)
{
	return mount_trees(o, userns, NULL, e);
}

/* Clone each lower layer checked by descriptor, here in the runtime's
 * mount namespace, into TREE (-1: none), before entering the child's. */
static int take_trees(const struct overlay *o, int *tree, struct err *e)
{
	for (int i = 0; i < OVL_MAX_LOWER; i++)
		tree[i] = -1;
	for (int i = 0; i < o->nlower; i++) {
		if (o->lower_fd[i] == -1)
			continue;
		tree[i] = sys_open_tree(o->lower_fd[i], "",
					AT_EMPTY_PATH | OPEN_TREE_CLONE |
					    OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (tree[i] == -1)
			return fail(e, "open_tree", o->lower[i]);
	}
	return 0;
}

/* Open /proc/PID/ns/NAME. */
static int open_ns(pid_t pid, const char *name, struct err *e)
{
	char path[64];
	int fd;

	/* allow-snprintf: 64 bytes hold it */
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd == -1 ? fail(e, "open", path) : fd;
}

/*
 * Into the child's mount namespace and back. setns(2) CLONE_NEWNS needs
 * CAP_SYS_ADMIN over the namespace's owner (the child's user namespace,
 * which ours owns) and resets our root and working directory to the
 * namespace's: WD brings ours back.
 */
static int enter_ns(int ns, int wd, struct err *e)
{
	if (setns(ns, CLONE_NEWNS) == -1)
		return fail(e, "setns", "CLONE_NEWNS");
	if (wd != -1 && fchdir(wd) == -1)
		return fail(e, "fchdir", "the working directory");
	return 0;
}

int overlay_mount_in(struct overlay *o, pid_t child, struct err *e)
{
	int self = -1, wd = -1, mnt = -1, user = -1, rc = -1;
	int tree[OVL_MAX_LOWER];
	struct err back;

	if (take_trees(o, tree, e) == -1)
		goto out;
	self = open_ns(getpid(), "mnt", e);
	wd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (self == -1 || (wd == -1 && fail(e, "open", ".")) ||
	    (mnt = open_ns(child, "mnt", e)) == -1 ||
	    (user = open_ns(child, "user", e)) == -1)
		goto out;
	trace("setns(mount namespace of %d)", (int)child);
	if (enter_ns(mnt, -1, e) == -1)
		goto out;
	rc = mount_trees(o, user, tree, e);
	trace("setns(ours)");
	if (enter_ns(self, wd, &back) == -1) {
		*e = back;
		rc = -1;
	}
out:
	for (int i = 0; i < OVL_MAX_LOWER; i++)
		if (tree[i] != -1)
			close(tree[i]);
	if (user != -1)
		close(user);
	if (mnt != -1)
		close(mnt);
	if (wd != -1)
		close(wd);
	if (self != -1)
		close(self);
	return rc;
}

/*
 * A kept layer is in use while a runtime holds its lock: flock(2) on the
 * layer's directory, held by the runtime and its child (the descriptor is
 * shared across clone) and released by the kernel however they end.
 */
int overlay_lock(const char *name, int rootless, int create, struct err *e)
{
	char store[PATH_MAX];
	int top, layers = -1, fd = -1;

	if (check_name(name, e) == -1)
		return -1;
	top = store_open(rootless, store, e);
	if (top != -1)
		layers = store_subdir(top, "layers", create, e);
	if (layers != -1)
		fd = store_subdir(layers, name, create, e);
	if (fd == -1 && top != -1 && e->errnum == ENOENT)
		e->hint = "there is no kept layer of that name";
	/* step10 { flock(2) FD LOCK_EX | LOCK_NB; when it is held
	 * (EWOULDBLOCK) fail with EBUSY and the hint "a container runs on
	 * this kept layer"; on failure close FD and make it -1 */
	if (fd != -1 && flock(fd, LOCK_EX | LOCK_NB) == -1) {
		fail(e, "flock", name);
		if (e->errnum == EWOULDBLOCK) {
			e->errnum = EBUSY;
			e->hint = "a container runs on this kept layer";
		}
		close(fd);
		fd = -1;
	}
	/* } step10 */
	if (layers != -1)
		close(layers);
	if (top != -1)
		close(top);
	return fd;
}

int overlay_remove_layer(const char *name, int rootless, struct err *e)
{
	char store[PATH_MAX];
	int lock, top, layers = -1, rc = -1;

	/* Open it first: it must be a directory of ours, like any other,
	 * and no container may run on it. */
	lock = overlay_lock(name, rootless, 0, e);
	if (lock == -1)
		return -1;
	/* step10 { store_open() the store, store_subdir() its "layers"
	 * without making it, and store_remove() NAME there (never follows a
	 * link); close them; RC 0 once it is removed */
	top = store_open(rootless, store, e);
	if (top != -1)
		layers = store_subdir(top, "layers", 0, e);
	if (layers != -1) {
		trace("remove %s/layers/%s", store, name);
		rc = store_remove(layers, name, e);
		close(layers);
	}
	if (top != -1)
		close(top);
	/* } step10, skeleton: rc = fail_errno(e, ENOSYS, "--rm-layer", name); */
	close(lock);
	return rc;
}
