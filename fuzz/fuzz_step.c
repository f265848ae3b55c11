/*
 * fuzz_step.c — libFuzzer on the option parsing of the last step
 * (the option parser survives anything).
 *
 * parse_args() is static in stepNN.c, and main() is the runtime. So this
 * file includes the step's main file, renamed: fuzz.mk compiles it with
 *
 *	-DSTEP_MAIN='"step08-cgroup/step08.c"' -Dmain=step_main
 *
 * and links the step's other files (net.c, state.c, cgroup.c, ...) beside
 * it. parse_args() only reads its arguments and the filesystem (realpath
 * of --rootfs, /proc/PID/ns/net of --net container:PID): nothing is
 * created, no namespace is made, so it is safe to call a million times.
 *
 * An input is argv: NUL-separated arguments after "stepNN". fuzz/step.dict
 * gives libFuzzer the option names, fuzz/corpus/step one valid command line
 * per option to start from.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include STEP_MAIN

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char *argv[MAX_ARGS + 2];
	int argc = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = PROG;
	for (char *p = buf; p < buf + size && argc <= MAX_ARGS;
	     p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	/* What main() starts from; optind = 0 makes glibc's getopt start
	 * over, as for a new process. */
	struct config cfg = {.net_fd = -1};
	struct err e;
	optind = 0;
	(void)parse_args(argc, argv, &cfg, &e);
	if (cfg.net_fd >= 0)
		close(cfg.net_fd); /* --net container:PID opened it */
	free(cfg.env_args);	   /* -e's list, and what env_build() made */
	env_free(cfg.env);
	free(buf);
	return 0;
}
