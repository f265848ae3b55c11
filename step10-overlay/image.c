/*
 * image.c — the image cache (image.h).
 *
 * An image is named by the sha256 of the file's bytes, as Docker names a
 * layer by the digest of its content: two copies of one tarball are one
 * image, and a changed tarball is another. Hashing a large file costs a
 * read of all of it, so the digest is remembered in images/index under the
 * file's device, inode, size, mtime and ctime: a second start only stats
 * the file. Unpacking happens in images/.tmp-PID, published with
 * rename(2) once complete: a start killed halfway leaves no half image
 * behind that a later start would trust (store.c sweeps the rest).
 */
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "sha256.h"
#include "store.h"
#include "tar.h"

/* The archive's bytes as tar.c reads them: the file's, inflated when it
 * is gzip (RFC 1952), hashed on the way in. */
struct source {
	int fd;
	int gz;
	int eof;
	z_stream zs;
	struct sha256 sha;
	unsigned char buf[64 * 1024];
	size_t len, off; /* of buf not yet used */
};

static int fill(struct source *s, struct err *e)
{
	ssize_t n;

	do
		n = read(s->fd, s->buf, sizeof(s->buf));
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return fail(e, "read", "the image file");
	sha256_update(&s->sha, s->buf, (size_t)n);
	s->len = (size_t)n;
	s->off = 0;
	s->eof = n == 0;
	return 0;
}

/* Plain tar: copy from the buffer. Returns the bytes it got. */
static size_t take_raw(struct source *s, unsigned char *out, size_t want)
{
	size_t n = s->len - s->off < want ? s->len - s->off : want;

	memcpy(out, s->buf + s->off, n);
	s->off += n;
	return n;
}

/* gzip: inflate into OUT; a file may hold several gzip members. */
static int take_gz(struct source *s, unsigned char *out, size_t want,
		   size_t *got, struct err *e)
{
	int rc;

	s->zs.next_in = s->buf + s->off;
	s->zs.avail_in = (uInt)(s->len - s->off);
	s->zs.next_out = out;
	s->zs.avail_out = (uInt)want;
	rc = inflate(&s->zs, Z_NO_FLUSH);
	s->off = s->len - s->zs.avail_in;
	*got = want - s->zs.avail_out;
	if (rc == Z_STREAM_END)
		rc = inflateReset(&s->zs);
	if (rc == Z_OK || (rc == Z_BUF_ERROR && *got == 0))
		return 0;
	fail_errno(e, EINVAL, "gunzip", s->zs.msg ? s->zs.msg : "");
	e->hint = "a damaged .tar.gz";
	return -1;
}

static int source_read(void *ctx, void *buf, size_t len, struct err *e)
{
	struct source *s = ctx;
	unsigned char *out = buf;
	size_t done = 0, got;

	while (done < len) {
		/* zlib may hold output of input it already took: ask it
		 * before reading more. */
		if (!s->gz)
			got = take_raw(s, out + done, len - done);
		else if (take_gz(s, out + done, len - done, &got, e) == -1)
			return -1;
		done += got;
		if (got == 0) {
			if (fill(s, e) == -1)
				return -1;
			if (s->eof)
				break;
		}
	}
	if (done == 0)
		return 1;
	if (done < len) {
		fail_errno(e, EINVAL, "read the archive", "truncated");
		e->hint = "the file ends in the middle of an entry";
		return -1;
	}
	return 0;
}

/* Start reading FD from its beginning; gzip is told by its magic number
 * (RFC 1952, 2.3.1), not by the file's name. */
static int source_open(struct source *s, int fd, struct err *e)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	sha256_init(&s->sha);
	if (lseek(fd, 0, SEEK_SET) == -1)
		return fail(e, "lseek", "the image file");
	if (fill(s, e) == -1)
		return -1;
	s->gz = s->len >= 2 && s->buf[0] == 0x1f && s->buf[1] == 0x8b;
	/* 16 + MAX_WBITS: a gzip header and trailer around the deflate data. */
	if (s->gz && inflateInit2(&s->zs, 16 + MAX_WBITS) != Z_OK)
		return fail_errno(e, ENOMEM, "inflateInit2", "");
	return 0;
}

/* Hash what is left of the file: the digest covers every byte of it, the
 * padding after the archive's end included. */
static int source_digest(struct source *s, char hex[65], struct err *e)
{
	while (!s->eof) {
		s->off = s->len;
		if (fill(s, e) == -1)
			return -1;
	}
	sha256_hex(&s->sha, hex);
	return 0;
}

static void source_close(struct source *s)
{
	if (s->gz)
		inflateEnd(&s->zs);
}

/* The index's name for the file: device, inode, size, mtime, ctime. */
static int index_key(const struct stat *st, char key[160], struct err *e)
{
	if (snprintf(key, 160, "%llx-%llx-%llx-%lld.%09ld-%lld.%09ld",
		     (unsigned long long)st->st_dev,
		     (unsigned long long)st->st_ino,
		     (unsigned long long)st->st_size,
		     (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
		     (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec) >= 160)
		return fail_errno(e, ENAMETOOLONG, "images/index", "");
	return 0;
}

/* The file's sha256: from the index when its device, inode, size, mtime
 * and ctime are the ones we hashed before (*KNOWN = 1), else computed. */
static int digest(int fd, int images, const char *key, char hex[65], int *known,
		  struct err *e)
{
	static struct source s;
	char text[80];
	struct err miss;
	int idx = store_subdir(images, "index", 1, e);

	if (idx == -1)
		return -1;
	*known = store_read(idx, key, text, sizeof(text), &miss) == 0 &&
		 strspn(text, "0123456789abcdef") == 64;
	close(idx);
	if (*known) {
		memcpy(hex, text, 64);
		hex[64] = '\0';
		trace("image: sha256 %s, remembered in images/index", hex);
		return 0;
	}
	if (source_open(&s, fd, e) == -1 || source_digest(&s, hex, e) == -1)
		return -1;
	trace("image: sha256 %s, computed", hex);
	return 0;
}

/* Remember KEY's digest, once the image is in the cache: a refused
 * archive leaves nothing behind, not even its name. */
static int remember(int images, const char *key, const char *hex, struct err *e)
{
	char text[80];
	int idx = store_subdir(images, "index", 1, e), rc;

	if (idx == -1)
		return -1;
	/* allow-snprintf: 65 bytes into 80 */
	snprintf(text, sizeof(text), "%s\n", hex);
	rc = store_write(idx, key, text, e);
	close(idx);
	return rc;
}

/* Unpack FD into images/.tmp-PID/rootfs, check that the bytes unpacked
 * are the ones hashed, publish as images/HEX. */
static int unpack(int fd, int images, const char *hex, struct err *e)
{
	static struct source s;
	struct tar_input in = {source_read, &s, store_room};
	char tmp[32], got[65];
	int t, root = -1, rc = -1;
	struct err ignored;
	struct store_guard g;

	if (store_guard(&g, e) == -1)
		return -1;
	t = store_tmpdir(images, tmp, e);
	if (t == -1)
		return store_unguard(&g, -1, e);
	if (mkdirat(t, "rootfs", 0755) == -1 ||
	    (root = openat(t, "rootfs",
			   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) ==
		-1 ||
	    fchmod(root, 0755) == -1) {
		fail(e, "mkdir", "rootfs");
		goto out;
	}
	if (source_open(&s, fd, e) == -1)
		goto out;
	/* As root the files get the archive's owners; without root they
	 * stay ours, and our uid is the container's root. */
	rc = tar_extract(&in, root, geteuid() == 0, e);
	if (rc == 0)
		rc = source_digest(&s, got, e);
	source_close(&s);
	if (rc == 0 && strcmp(got, hex) != 0) {
		rc = fail_errno(e, EAGAIN, "--image", "the file changed");
		e->hint = "it changed while it was read: start again";
	}
	if (rc == 0)
		rc = store_publish(images, tmp, hex, e);
out:
	if (root != -1)
		close(root);
	if (rc == -1)
		store_remove(images, tmp, &ignored);
	close(t);
	return store_unguard(&g, rc, e);
}

/* Is images/HEX there? 1 yes, 0 no, -1 when it is not to be trusted. */
static int cached(int images, const char *hex, struct err *e)
{
	int fd = store_subdir(images, hex, 0, e);

	if (fd == -1)
		return e->errnum == ENOENT ? 0 : -1;
	close(fd);
	return 1;
}

int image_prepare(const char *file, int rootless, char tree[PATH_MAX],
		  struct err *e)
{
	char store[PATH_MAX], hex[65], key[160];
	int fd, top = -1, images = -1, rc = -1, have, known;
	struct stat st;

	/* O_NONBLOCK: a FIFO given as the image must not hang us. */
	fd = open(file, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return fail(e, "--image", file);
	if (fstat(fd, &st) == -1) {
		fail(e, "fstat", file);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fail_errno(e, EINVAL, "--image", file);
		e->hint = "not a regular file";
		goto out;
	}
	top = store_open(rootless, store, e);
	if (top == -1 || (images = store_workdir(top, "images", e)) == -1 ||
	    index_key(&st, key, e) == -1 ||
	    digest(fd, images, key, hex, &known, e) == -1 ||
	    (have = cached(images, hex, e)) == -1)
		goto out;
	trace("image %s: %s", file,
	      have ? "cached" : "not cached yet: unpacking it");
	if ((!have && unpack(fd, images, hex, e) == -1) ||
	    (!known && remember(images, key, hex, e) == -1))
		goto out;
	if (snprintf(tree, PATH_MAX, "%s/images/%s/rootfs", store, hex) >=
	    PATH_MAX) {
		fail_errno(e, ENAMETOOLONG, "--image", store);
		goto out;
	}
	rc = 0;
out:
	if (images != -1)
		close(images);
	if (top != -1)
		close(top);
	close(fd);
	return rc;
}
