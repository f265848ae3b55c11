/*
 * fuzz_setns.c — libFuzzer on set_ns's option parsing (parse_args and
 * parse_form: -t PID, --name NAME, the NSFILE form, the namespace flags).
 *
 * Built like fuzz_step.c: set_ns.c is included with -Dmain=set_ns_main, so
 * its static parse_args() is reachable. Parsing opens nothing (parse_form
 * stat()s a relative NSFILE); the namespace table, which parsing marks,
 * is put back between inputs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include SETNS_MAIN

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ns pristine[ARRAY_SIZE(nstab)];
	static int saved;
	char *buf = malloc(size + 1);
	char *argv[MAX_ARGS + 2];
	int argc = 0;

	if (!buf)
		return 0;
	if (!saved) {
		memcpy(pristine, nstab, sizeof(nstab));
		saved = 1;
	}
	memcpy(nstab, pristine, sizeof(nstab));
	verbose = 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = PROG;
	for (char *p = buf; p < buf + size && argc <= MAX_ARGS;
	     p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	struct ctx c = {.procfd = -1, .rootfd = -1};
	optind = 0;
	struct err e;
	(void)parse_args(&c, argc, argv, &e);
	free(buf);
	return 0;
}
