/*
 * No container changes the image (docs/reliability.md, row 46; Docker's
 * read-only image layers, bubblewrap's --ro-bind): from step03 on the
 * rootfs is mounted read-only inside, and only /tmp, /dev and /dev/shm
 * (tmpfs of the container's own) take writes.
 *
 * Every test runs against a COPY of rootfs/ (--rootfs COPY), never the
 * repository's: against a runtime that writes through, as every step did
 * before, the commands below really delete and change the files they
 * name. Each command runs only in a new mount namespace (guard) whose /
 * is the copy (tree_guard), and none of them is `rm -rf /`.
 *
 * From step06 on container root is host uid 100000 (root's default map) or
 * the caller (rootless), which may not write to a rootfs of host root's:
 * so the copy is given to the container's root, as an image chowned into
 * the container's range would be. Then only the read-only mount stops it.
 */
#include "harness.h"
#include "tree.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fixed list of changes to /, each reported if it went through; the
 * kernel's refusals are collected in /tmp/errors and shown on stderr. */
#define CHANGES                                                                \
	"try() { if \"$@\" 2>>/tmp/errors; then echo \"CHANGED: $*\"; fi; }; " \
	"try rm /bin/ls; try rm -r /root; try mv /etc/group /etc/moved; "      \
	"try sh -c 'echo x > /etc/hostname'; "                                 \
	"try sh -c 'echo x >> /etc/passwd'; try touch /newfile; "              \
	"try mkdir /newdir; try ln -s /etc /newlink; try chmod 777 /bin; "     \
	"try chown 1:1 /etc/passwd; try touch /bin/busybox; "                  \
	"touch /tmp/w /dev/shm/w && echo tmp-writable; cat /tmp/errors >&2"

/* Run STEP (a name in STEPS_DIR or a path) on the copy in DIR. */
static struct proc *run_changes(const struct run_opts *o, const char *step,
				const char *dir)
{
	char *g = guard("mnt"), *tg = tree_guard();
	char *cmd = xasprintf("%s%s%s", g, tg, CHANGES);
	char *root = xasprintf("%s/rootfs", dir);
	const char *base = strrchr(step, '/') ? strrchr(step, '/') + 1 : step;
	char *argv[12];
	struct proc *p;
	int n = 0;

	argv[n++] = "";
	argv[n++] = "-q";
	argv[n++] = "--rootfs";
	argv[n++] = root;
	if (strcmp(base, "step05") >= 0) { /* no network needed */
		argv[n++] = "--net";
		argv[n++] = "none";
	}
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = cmd;
	argv[n] = NULL;
	p = runv(o, step, argv);
	free(root);
	free(cmd);
	free(tg);
	free(g);
	return p;
}

static void expect_unchanged(struct proc *p, const char *dir,
			     const char *before)
{
	char *root = xasprintf("%s/rootfs", dir);
	char *after = tree_sum(root);

	cr_expect_eq(p->status, 0, "status %d: %s", p->status, p->err);
	cr_expect_str_eq(p->out, "tmp-writable\n",
			 "changes to / went through: %s", p->out);
	cr_expect(strstr(p->err, "Read-only file system"),
		  "no clear error inside: %s", p->err);
	cr_expect_str_eq(after, before, "the rootfs changed on the host");
	free(after);
	free(root);
}

/* As root; from step06 on the copy belongs to the container's root. */
static void image_stays(const char *step, int userns)
{
	need_root();
	if (!have_step(step))
		skip_env("this step is not built");
	char *dir = userns ? tree_copy(100000, 100000) : tree_copy(0, 0);
	char *root = xasprintf("%s/rootfs", dir);
	char *before = tree_sum(root);
	struct proc *p = run_changes(NULL, step, dir);

	expect_unchanged(p, dir, before);
	proc_free(p);
	rm_rf(dir);
	free(before);
	free(root);
	free(dir);
}

/* Rootless (uid 65534), from a world-readable copy of the binary and of a
 * rootfs that belongs to the caller, as a rootless user's own image does. */
static void image_stays_rootless(const char *step)
{
	need_root(); /* to become uid 65534 */
	if (!have_step(step))
		skip_env("this step is not built");
	char *dir = tree_copy(65534, 65534);
	char *src = step_path(step);
	char *cmd = xasprintf("cp '%s' '%s/'", src, dir);
	char *bin = xasprintf("%s/%s", dir, step);
	char *root = xasprintf("%s/rootfs", dir);
	struct run_opts o = {.uid = 65534, .gid = 65534, .dir = dir};

	cr_assert_eq(system(cmd), 0, "%s failed", cmd);
	char *before = tree_sum(root);
	struct proc *p = run_changes(&o, bin, dir);

	expect_unchanged(p, dir, before);
	proc_free(p);
	rm_rf(dir);
	free(before);
	free(root);
	free(bin);
	free(cmd);
	free(src);
	free(dir);
}

#define IMAGE_TESTS(NN, USERNS)                                                \
	TestSuite(step##NN##_image, .timeout = 60);                            \
	Test(step##NN##_image, root_cannot_change_the_rootfs)                  \
	{                                                                      \
		image_stays("step" #NN, USERNS);                               \
	}

#define ROOTLESS_TESTS(NN)                                                     \
	Test(step##NN##_image, rootless_cannot_change_the_rootfs)              \
	{                                                                      \
		image_stays_rootless("step" #NN);                              \
	}

IMAGE_TESTS(03, 0)
IMAGE_TESTS(04, 0)
IMAGE_TESTS(05, 0)
IMAGE_TESTS(06, 1)
ROOTLESS_TESTS(06)
IMAGE_TESTS(07, 1)
ROOTLESS_TESTS(07)
IMAGE_TESTS(08, 1)
ROOTLESS_TESTS(08)
IMAGE_TESTS(09, 1)
ROOTLESS_TESTS(09)

/*
 * A device node in the image is not a device (docs/reliability.md, row
 * 11): an image unpacked from a tarball may hold any node, a host disk's
 * included. The runtime's own /dev is a tmpfs of its making; the image
 * below it is mounted nodev, so opening a node there is EACCES even when
 * its mode lets everyone in. The node here is /dev/zero's (1:5), 0666: if
 * the runtime lets it through, reading it does no harm. With LAYER (step10)
 * the node sits in a --layer DIR instead of the rootfs.
 */
#define OPEN_NODE                                                              \
	"if head -c 4 /zero-node >/dev/null 2>/tmp/e; then echo OPENED; "      \
	"else cat /tmp/e; fi"

static void node_is_not_a_device(const char *step, int layer)
{
	need_root();
	if (!have_step(step))
		skip_env("this step is not built");
	char *dir = tree_copy(0, 0);
	char *node =
	    xasprintf("%s/%s/zero-node", dir, layer ? "layer" : "rootfs");
	char *mk = xasprintf("mkdir -p '%s/layer' && mknod -m 666 '%s' c 1 5",
			     dir, node);
	char *g = guard("mnt"), *tg = tree_guard();
	char *cmd = xasprintf("%s%s%s", g, tg, OPEN_NODE);
	char *root = xasprintf("%s/rootfs", dir);
	char *lay = xasprintf("%s/layer", dir);
	char *argv[12];
	struct proc *p;
	int n = 0;

	cr_assert_eq(system(mk), 0, "%s failed", mk);
	argv[n++] = "";
	argv[n++] = "-q";
	argv[n++] = "--rootfs";
	argv[n++] = root;
	if (strcmp(step, "step05") >= 0) { /* no network needed */
		argv[n++] = "--net";
		argv[n++] = "none";
	}
	if (layer) {
		argv[n++] = "--layer";
		argv[n++] = lay;
	}
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = cmd;
	argv[n] = NULL;
	p = runv(NULL, step, argv);
	cr_expect_eq(p->status, 0, "status %d: %s", p->status, p->err);
	cr_expect_not(strstr(p->out, "OPENED"),
		      "the image's device node opened inside: %s", p->out);
	cr_expect(strstr(p->out, "Permission denied"),
		  "no EACCES from the node inside: %s %s", p->out, p->err);
	proc_free(p);
	rm_rf(dir);
	free(lay);
	free(root);
	free(cmd);
	free(tg);
	free(g);
	free(mk);
	free(node);
	free(dir);
}

#define NODE_TESTS(NN)                                                         \
	Test(step##NN##_image, a_device_node_in_the_image_is_not_a_device)     \
	{                                                                      \
		node_is_not_a_device("step" #NN, 0);                           \
	}

NODE_TESTS(03)
NODE_TESTS(04)
NODE_TESTS(05)
NODE_TESTS(06)
NODE_TESTS(07)
NODE_TESTS(08)
NODE_TESTS(09)
NODE_TESTS(10)

Test(step10_image, a_device_node_in_a_layer_is_not_a_device)
{
	node_is_not_a_device("step10", 1);
}
