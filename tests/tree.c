/* Trees for the image tests; see tree.h. */
#include "tree.h"

#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *tree_marker(void)
{
	return xasprintf("/.nsw-copy-%d", (int)getpid());
}

char *tree_copy(uid_t uid, gid_t gid)
{
	char tmpl[] = "/tmp/nsw-tree-XXXXXX";
	char *dir = mkdtemp(tmpl);

	cr_assert_not_null(dir, "mkdtemp: %s", strerror(errno));
	chmod(dir, 0755);
	char *root = step_path("rootfs");
	char *marker = tree_marker();
	char *cmd = xasprintf("cp -a '%s' '%s/rootfs' && touch '%s/rootfs%s'",
			      root, dir, dir, marker);

	cr_assert_eq(system(cmd), 0, "%s failed", cmd);
	free(cmd);
	/* Never a symlink to the repository's rootfs (against-previous.sh
	 * links one beside the binaries): step_path resolved it. */
	struct stat st;
	cmd = xasprintf("%s/rootfs", dir);
	cr_assert(lstat(cmd, &st) == 0 && S_ISDIR(st.st_mode),
		  "%s is not a directory of its own", cmd);
	free(cmd);
	if (uid || gid) {
		cmd = xasprintf("chown -hR %u:%u '%s/rootfs'", (unsigned)uid,
				(unsigned)gid, dir);
		cr_assert_eq(system(cmd), 0, "%s failed", cmd);
		free(cmd);
	}
	free(marker);
	free(root);
	return strdup(dir);
}

char *tree_sum(const char *dir)
{
	char *cmd = xasprintf(
	    "cd '%s' && { find . -printf '%%y %%m %%U:%%G %%s %%T@ %%p -> "
	    "%%l\\n' | LC_ALL=C sort; find . -type f -print0 | LC_ALL=C "
	    "sort -z | xargs -0r sha256sum; } | sha256sum",
	    dir);
	FILE *f = popen(cmd, "re");
	char line[128] = "";

	cr_assert_not_null(f, "popen: %s", strerror(errno));
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	cr_assert_eq(pclose(f), 0, "%s failed", cmd);
	free(cmd);
	line[strcspn(line, " \n")] = '\0';
	cr_assert_eq(strlen(line), 64, "no checksum of %s", dir);
	return strdup(line);
}

char *tree_guard(void)
{
	char *marker = tree_marker();
	char *g = xasprintf("[ -e %s ] || exit 98; ", marker);

	free(marker);
	return g;
}
