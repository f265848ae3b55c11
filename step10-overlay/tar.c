/*
 * tar.c — extract a tar archive into a directory, refusing what could
 * write outside it (tar.h).
 *
 * An archive is a sequence of 512-byte headers, each followed by its
 * entry's data padded to 512 bytes, and zero blocks at the end (POSIX
 * pax(1), "ustar Interchange Format"). A name longer than 100 bytes comes
 * in an extended header before its entry: pax ('x', "LEN key=value\n"
 * records; Go's archive/tar, behind `docker export`, writes these) or GNU
 * ('L' and 'K').
 *
 * What an archive may not do (tar-slip; CVE-2014-9356, where Docker
 * followed symlinks of an image while extracting it):
 * - a name that is absolute or has a ".." component;
 * - a device node: a container would get a door to the host's hardware;
 * - a symlink whose target climbs out of the tree (an absolute target is
 *   fine: inside the container `/` is the tree's root), or a hard link to
 *   a name that is not in the tree;
 * - a path through a symlink the archive made earlier: every component is
 *   opened relative to its parent's descriptor with O_NOFOLLOW, so
 *   `a -> /etc` followed by `a/passwd` is refused, never written to the
 *   host's /etc/passwd.
 */
#include "tar.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK	     512
#define MAX_EXTENDED (1024 * 1024) /* a pax or GNU long-name header */
/* 4 EiB: what a 64-bit size can hold with its padding; the room check
 * (tar_input) refuses much less, this only keeps the arithmetic exact. */
#define MAX_SIZE (1ULL << 62)
/* Directories in a name: a name of PATH_MAX bytes can nest 2048 deep, but
 * removing a tree (store.c, rm -r) holds a descriptor per level, and
 * RLIMIT_NOFILE is often 1024: a deeper tree would stay in the store, a
 * partial unpack that no one can remove. No image comes near 256. */
#define MAX_DEPTH 256

struct entry {
	char name[PATH_MAX];
	char link[PATH_MAX];
	char type;
	mode_t mode;
	unsigned long long uid, gid, size, mtime;
};

/* What a pax or GNU header said about the next entry. */
struct pending {
	char name[PATH_MAX];
	char link[PATH_MAX];
	unsigned long long size;
	int has_size;
};

static int refuse(struct err *e, const char *name, const char *why)
{
	fail_errno(e, EPERM, "--image entry", name);
	e->hint = why;
	return -1;
}

static int bad_archive(struct err *e, const char *what)
{
	fail_errno(e, EINVAL, "read the archive", what);
	e->hint = "not a tar archive, or a damaged one (--image takes a .tar "
		  "or .tar.gz, as `docker export` writes)";
	return -1;
}

/* A numeric field: octal digits, or base-256 when the high bit of the
 * first byte is set (GNU, for values that octal cannot hold). */
static int number(const char *f, size_t len, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i = 0;

	if ((unsigned char)f[0] & 0x80) {
		if ((unsigned char)f[0] != 0x80)
			return -1; /* negative, or too large for us */
		for (i = 1; i < len; i++) {
			if (v >> 56)
				return -1;
			v = v << 8 | (unsigned char)f[i];
		}
		*out = v;
		return 0;
	}
	while (i < len && (f[i] == ' ' || f[i] == '\0'))
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 61)
			return -1;
		v = v << 3 | (unsigned)(f[i] - '0');
	}
	if (i < len && f[i] != ' ' && f[i] != '\0')
		return -1;
	*out = v;
	return 0;
}

/* The checksum is the sum of the header's bytes, its own field counted as
 * eight spaces; old archivers summed signed chars. */
static int checksum_ok(const unsigned char *h)
{
	unsigned long long want;
	unsigned long sum = 0;
	long ssum = 0;

	if (number((const char *)h + 148, 8, &want) == -1)
		return 0;
	for (int i = 0; i < BLOCK; i++) {
		unsigned char c = i >= 148 && i < 156 ? ' ' : h[i];

		sum += c;
		ssum += (signed char)c;
	}
	return want == sum || (long long)want == ssum;
}

static void field(char *out, size_t size, const unsigned char *f, size_t len)
{
	size_t n = strnlen((const char *)f, len);

	if (n >= size)
		n = size - 1;
	memcpy(out, f, n);
	out[n] = '\0';
}

/* Fill EN from the header H. */
static int parse_header(const unsigned char *h, struct entry *en, struct err *e)
{
	unsigned long long mode;
	char name[101], prefix[156];

	if (!checksum_ok(h))
		return bad_archive(e, "header checksum");
	if (number((const char *)h + 100, 8, &mode) == -1 ||
	    number((const char *)h + 108, 8, &en->uid) == -1 ||
	    number((const char *)h + 116, 8, &en->gid) == -1 ||
	    number((const char *)h + 124, 12, &en->size) == -1 ||
	    number((const char *)h + 136, 12, &en->mtime) == -1)
		return bad_archive(e, "a numeric field");
	en->mode = (mode_t)(mode & 07777);
	en->type = (char)h[156];
	field(name, sizeof(name), h, 100);
	field(en->link, sizeof(en->link), h + 157, 100);
	/* ustar: a name of up to 256 bytes is PREFIX "/" NAME. */
	field(prefix, sizeof(prefix), h + 345, 155);
	if (memcmp(h + 257, "ustar", 5) == 0 && prefix[0])
		/* allow-snprintf: 256 bytes at most */
		snprintf(en->name, sizeof(en->name), "%s/%s", prefix, name);
	else
		memcpy(en->name, name, sizeof(name));
	return 0;
}

/* What an extended header said overrides the ustar fields. */
static void apply_pending(const struct pending *pd, struct entry *en)
{
	/* The same sizes: nothing is cut. */
	if (pd->name[0])
		memcpy(en->name, pd->name, sizeof(en->name));
	if (pd->link[0])
		memcpy(en->link, pd->link, sizeof(en->link));
	if (pd->has_size)
		en->size = pd->size;
}

/* One pax record, "key=value": the keys that change where or what an
 * entry is; the others (times, xattrs, comments) are not needed here.
 * -1 for a name longer than PATH_MAX. */
static int pax_record(const char *key, const char *value, struct pending *pd)
{
	char *to = strcmp(key, "path") == 0	  ? pd->name
		   : strcmp(key, "linkpath") == 0 ? pd->link
						  : NULL;

	if (strcmp(key, "size") == 0) {
		char *end;

		errno = 0;
		pd->size = strtoull(value, &end, 10);
		/* "-1" or "12abc": a size no archive has (tar_extract). */
		if (errno || *end || value[0] < '0' || value[0] > '9')
			pd->size = MAX_SIZE + 1;
		pd->has_size = 1;
	}
	if (!to)
		return 0;
	if (strlen(value) >= PATH_MAX)
		return -1;
	memcpy(to, value, strlen(value) + 1);
	return 0;
}

/* Records "LEN key=value\n", LEN counting the whole record. */
static int parse_pax(char *buf, size_t len, struct pending *pd, struct err *e)
{
	size_t off = 0;

	while (off < len) {
		char *end, *rec = buf + off;
		unsigned long n = strtoul(rec, &end, 10);

		if (*end != ' ' || n == 0 || n > len - off ||
		    rec[n - 1] != '\n')
			return bad_archive(e, "a pax header");
		rec[n - 1] = '\0';
		char *eq = strchr(end + 1, '=');

		if (!eq)
			return bad_archive(e, "a pax record");
		*eq = '\0';
		if (pax_record(end + 1, eq + 1, pd) == -1)
			return bad_archive(e, "a pax name over PATH_MAX");
		off += n;
	}
	return 0;
}

/* Read an extended header's data (SIZE bytes, padded) into PD. */
static int read_extended(struct tar_input *in, char type,
			 unsigned long long size, struct pending *pd,
			 struct err *e)
{
	size_t padded = (size_t)((size + BLOCK - 1) / BLOCK * BLOCK);
	char *buf;
	int rc;

	if (size > MAX_EXTENDED)
		return bad_archive(e, "an extended header over 1 MiB");
	buf = malloc(padded + 1);
	if (!buf)
		return fail(e, "malloc", "extended header");
	rc = in->read(in->ctx, buf, padded, e);
	if (rc != 0) {
		rc = rc == 1 ? bad_archive(e, "truncated") : -1;
		goto out;
	}
	buf[size] = '\0';
	if (type == 'x')
		rc = parse_pax(buf, (size_t)size, pd, e);
	else if (type == 'L')
		rc = snprintf(pd->name, sizeof(pd->name), "%s", buf) <
			     (int)sizeof(pd->name)
			 ? 0
			 : bad_archive(e, "a long name over PATH_MAX");
	else if (type == 'K')
		rc = snprintf(pd->link, sizeof(pd->link), "%s", buf) <
			     (int)sizeof(pd->link)
			 ? 0
			 : bad_archive(e, "a long link name over PATH_MAX");
	else
		rc = 0; /* 'g': global pax records, nothing we use */
out:
	free(buf);
	return rc;
}

/* Refuse an absolute NAME or a ".." component; drop "./" components and
 * trailing slashes, so "./etc/" becomes "etc" and "./" becomes "". */
static int clean_name(char *name, struct err *e)
{
	char out[PATH_MAX], *save, *c;
	size_t len = 0;

	/* step10 { refuse() a NAME that is absolute or has a ".." component:
	 * either would write outside the image (tar-slip) */
	if (name[0] == '/')
		return refuse(e, name,
			      "an absolute name would write outside "
			      "the image (tar-slip)");
	if (strstr(name, "..")) /* a cheap test first; the loop decides */
		for (c = name; *c; c += strcspn(c, "/"), c += *c == '/')
			if (c[0] == '.' && c[1] == '.' &&
			    (!c[2] || c[2] == '/'))
				return refuse(e, name,
					      "a '..' in a name would write "
					      "outside the image (tar-slip)");
	/* } step10 */
	out[0] = '\0';
	for (c = strtok_r(name, "/", &save); c;
	     c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
					len ? "/" : "", c);
		if (len >= sizeof(out))
			return bad_archive(e, "a name over PATH_MAX");
	}
	memcpy(name, out, len + 1);
	return 0;
}

/* Would a symlink at NAME with target LINK point above the tree's root?
 * Lexically, as Docker's archive package decides: an absolute target
 * counts from the root, a relative one from NAME's directory. */
static int link_escapes(const char *name, const char *link)
{
	int depth = 0;
	const char *p;

	if (link[0] != '/')
		for (p = name; (p = strchr(p, '/')); p++)
			depth++;
	for (p = link; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 1;
		} else if (n > 0 && !(n == 1 && p[0] == '.'))
			depth++;
		p += n;
		while (*p == '/')
			p++;
	}
	return 0;
}

/*
 * Open NAME's parent directory, component by component from ROOTFD, with
 * O_NOFOLLOW: a symlink made earlier by the archive is never followed.
 * Missing directories are made, as tar(1) does. *LAST points into NAME.
 */
static int open_parent(int rootfd, char *name, const char **last, struct err *e)
{
	int fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *c = name, *slash;
	int depth = 0;

	*last = name;
	if (fd == -1)
		return fail(e, "open", "the image's root");
	while ((slash = strchr(c, '/'))) {
		if (++depth > MAX_DEPTH) {
			close(fd);
			return refuse(e, name,
				      "a name over 256 directories deep: no "
				      "image has one, and its tree could not "
				      "be removed");
		}
		*slash = '\0';
		int next = openat(
		    fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (next == -1 && errno == ENOENT && mkdirat(fd, c, 0755) == 0)
			next = openat(fd, c,
				      O_PATH | O_DIRECTORY | O_NOFOLLOW |
					  O_CLOEXEC);
		*slash = '/';
		close(fd);
		if (next == -1 && (errno == ELOOP || errno == ENOTDIR))
			return refuse(e, name,
				      "a path through a symlink or a "
				      "file of the archive");
		if (next == -1)
			return fail(e, "open", name);
		fd = next;
		c = slash + 1;
	}
	*last = c;
	return fd;
}

/* Make room for the new entry LAST: an old entry of that name goes, but a
 * directory stays a directory (returns 1: keep it, set its attributes). */
static int make_room(int dirfd, const char *last, char type, struct err *e)
{
	struct stat st;

	if (fstatat(dirfd, last, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : fail(e, "stat", last);
	if (S_ISDIR(st.st_mode) && type == '5')
		return 1;
	if (unlinkat(dirfd, last, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) == -1)
		return fail(e, "replace", last);
	return 0;
}

/* Copy NAME's data (SIZE bytes, then padding) from IN to FD; FD -1 skips
 * it. The size is the header's: only the bytes that come are counted. */
static int copy_data(struct tar_input *in, int fd, const char *name,
		     unsigned long long size, struct err *e)
{
	static char buf[64 * 1024];
	unsigned long long left = (size + BLOCK - 1) / BLOCK * BLOCK;

	while (left > 0) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		size_t data = size < n ? (size_t)size : n;

		int rc = in->read(in->ctx, buf, n, e);

		if (rc != 0)
			return rc == 1 ? bad_archive(e, "truncated") : -1;
		if (fd != -1 && data > 0 && in->room &&
		    in->room(fd, name, data, e) == -1)
			return -1;
		if (fd != -1 && data > 0 && write_all(fd, buf, data) == -1)
			return fail(e, "write", "a file of the image");
		left -= n;
		size -= data;
	}
	return 0;
}

/* Owner, mode and (files) time of the new entry, through its descriptor. */
static int set_attrs(int fd, const struct entry *en, int owners, struct err *e)
{
	struct timespec times[2] = {{0, UTIME_OMIT}, {(time_t)en->mtime, 0}};
	/* Without root every directory stays writable by us, its owner:
	 * later entries go into it. */
	mode_t mode = !owners && en->type == '5' ? en->mode | 0700 : en->mode;

	/* chown first: it clears the set-user-ID and set-group-ID bits. */
	if (owners && fchown(fd, (uid_t)en->uid, (gid_t)en->gid) == -1)
		return fail(e, "chown", en->name);
	if (fchmod(fd, mode) == -1)
		return fail(e, "chmod", en->name);
	if (en->type != '5' && futimens(fd, times) == -1)
		return fail(e, "utimensat", en->name);
	return 0;
}

static int make_file(struct tar_input *in, int dirfd, const char *last,
		     const struct entry *en, int owners, struct err *e)
{
	int fd, rc;

	fd = openat(dirfd, last,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return fail(e, "create", en->name);
	rc = copy_data(in, fd, en->name, en->size, e);
	if (rc == 0)
		rc = set_attrs(fd, en, owners, e);
	close(fd);
	return rc;
}

static int make_dir(int dirfd, const char *last, const struct entry *en,
		    int owners, int exists, struct err *e)
{
	int fd, rc;

	if (!exists && mkdirat(dirfd, last, 0700) == -1)
		return fail(e, "mkdir", en->name);
	fd = openat(dirfd, last,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return fail(e, "open", en->name);
	rc = set_attrs(fd, en, owners, e);
	close(fd);
	return rc;
}

/* A hard link: its target is a name of the archive, opened the same way. */
static int make_hardlink(int rootfd, int dirfd, const char *last,
			 struct entry *en, struct err *e)
{
	const char *target = NULL;
	int tfd, rc;

	if (clean_name(en->link, e) == -1)
		return -1;
	if (!en->link[0])
		return refuse(e, en->name, "a hard link to the image's root");
	tfd = open_parent(rootfd, en->link, &target, e);
	if (tfd == -1)
		return -1;
	/* linkat without AT_SYMLINK_FOLLOW links a symlink itself. */
	rc = linkat(tfd, target, dirfd, last, 0);
	close(tfd);
	return rc == -1 ? fail(e, "link", en->name) : 0;
}

static int make_special(int rootfd, int dirfd, const char *last,
			struct entry *en, int owners, struct err *e)
{
	switch (en->type) {
	case '1':
		return make_hardlink(rootfd, dirfd, last, en, e);
	case '2':
		if (link_escapes(en->name, en->link))
			return refuse(e, en->name,
				      "a symlink that climbs out "
				      "of the image");
		if (symlinkat(en->link, dirfd, last) == -1)
			return fail(e, "symlink", en->name);
		break;
	case '6':
		if (mknodat(dirfd, last, S_IFIFO | 0600, 0) == -1 ||
		    fchmodat(dirfd, last, en->mode, 0) == -1)
			return fail(e, "mkfifo", en->name);
		break;
	case '3':
	case '4':
		return refuse(e, en->name, "a device node in an image");
	default:
		return refuse(e, en->name,
			      "an entry type this reader does not "
			      "know (sparse, volume, ...)");
	}
	if (owners && fchownat(dirfd, last, (uid_t)en->uid, (gid_t)en->gid,
			       AT_SYMLINK_NOFOLLOW) == -1)
		return fail(e, "chown", en->name);
	return 0;
}

/* Extract one entry whose header has been read. */
static int extract(struct tar_input *in, int rootfd, struct entry *en,
		   int owners, struct err *e)
{
	const char *last = NULL;
	int dirfd, exists, rc;

	if (clean_name(en->name, e) == -1)
		return -1;
	/* "./": the root, which is ours. A file's data is skipped as tar(1)
	 * does: read as headers, it would unpack what `tar -t` never shows. */
	if (!en->name[0])
		return en->type == '0' || en->type == '\0' || en->type == '7'
			   ? copy_data(in, -1, "", en->size, e)
			   : 0;
	dirfd = open_parent(rootfd, en->name, &last, e);
	if (dirfd == -1)
		return -1;
	/* Each entry costs an inode: ten million empty files fill a
	 * filesystem as surely as one large one. */
	exists = in->room && in->room(dirfd, en->name, 0, e) == -1
		     ? -1
		     : make_room(dirfd, last, en->type, e);
	if (exists == -1)
		rc = -1;
	else if (en->type == '0' || en->type == '\0' || en->type == '7')
		rc = make_file(in, dirfd, last, en, owners, e);
	else if (en->type == '5')
		rc = make_dir(dirfd, last, en, owners, exists, e);
	else /* no data: like Go's archive/tar, ignore their size field */
		rc = make_special(rootfd, dirfd, last, en, owners, e);
	close(dirfd);
	return rc;
}

/* Read the next header block: 0 for an entry, 1 at the end-of-archive
 * zero blocks, -1 on error. */
static int next_header(struct tar_input *in, unsigned char h[BLOCK],
		       struct err *e)
{
	static const unsigned char zero[BLOCK];
	int rc = in->read(in->ctx, h, BLOCK, e);

	if (rc == 1)
		return bad_archive(e, "no end-of-archive blocks (truncated?)");
	if (rc == -1)
		return -1;
	return memcmp(h, zero, BLOCK) == 0;
}

int tar_extract(struct tar_input *in, int rootfd, int owners, struct err *e)
{
	struct pending pd = {0};
	struct entry en;
	unsigned char h[BLOCK];
	int rc;

	while ((rc = next_header(in, h, e)) == 0) {
		if (parse_header(h, &en, e) == -1)
			return -1;
		if (en.type == 'x' || en.type == 'g' || en.type == 'L' ||
		    en.type == 'K') {
			if (read_extended(in, en.type, en.size, &pd, e) == -1)
				return -1;
			continue;
		}
		apply_pending(&pd, &en);
		if (en.size > MAX_SIZE)
			return bad_archive(e, "a size no archive has");
		if (extract(in, rootfd, &en, owners, e) == -1)
			return -1;
		memset(&pd, 0, sizeof(pd));
	}
	return rc == 1 ? 0 : -1;
}
