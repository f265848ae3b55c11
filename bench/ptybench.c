/*
 * ptybench — a command's time and output throughput on a terminal: the
 * -t part of `make bench` (docs/benchmarks.md).
 *
 * Each run starts COMMAND on a pseudo-terminal of its own (forkpty(3), 24x80:
 * its stdin, stdout and stderr are the pty's peer, as in a terminal window)
 * and reads the master as fast as it can until the pty closes and COMMAND
 * is reaped; the time is from forkpty to that wait, on CLOCK_MONOTONIC.
 * That is what a person at a terminal waits for, including the cost of
 * every pty between COMMAND and the screen: `step07 -t cat FILE` has two
 * (ours and the container's), as `script -qc 'cat FILE'` has.
 *
 * Runs go in rounds, every command once per round, so that whatever else
 * the machine does weighs on all alike; warm-up rounds are not timed.
 *
 *   ptybench [-n RUNS] [-w WARMUP] -- LABEL COMMAND [LABEL COMMAND]...
 *
 * prints, per command, one tab-separated line: LABEL, the median time in
 * ns, the bytes read in a run, MiB/s at the median, failed runs. COMMAND is
 * split on blanks; '...' groups words.
 *
 * Read: forkpty(3), pty(7), wait4(2), clock_gettime(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROG "ptybench"

struct cmd {
	const char *label;
	char *argv[64];
	int64_t *ns;
	size_t ok, failed;
	uint64_t bytes;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Split S in place on blanks; '...' keeps blanks. */
static int split(char *s, char **argv, int max)
{
	int n = 0;

	while (*s && n < max - 1) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (*s == '\'') {
			argv[n++] = ++s;
			s = strchr(s, '\'');
			if (!s)
				return -1;
		} else {
			argv[n++] = s;
			s += strcspn(s, " \t");
		}
		if (*s)
			*s++ = '\0';
	}
	argv[n] = NULL;
	return n;
}

/* One run: the time it took, or -1 when it failed. */
static int64_t run_once(struct cmd *c)
{
	static char buf[1 << 16];
	struct winsize ws = {.ws_row = 24, .ws_col = 80};
	int master, status;
	uint64_t bytes = 0;
	int64_t t0 = now_ns();
	pid_t pid = forkpty(&master, NULL, NULL, &ws);
	ssize_t n;

	if (pid == -1)
		return -1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execvp(c->argv[0], c->argv);
		_exit(127);
	}
	/* EIO: every holder of the peer has closed it. */
	while ((n = read(master, buf, sizeof(buf))) > 0 ||
	       (n == -1 && errno == EINTR))
		bytes += n > 0 ? (uint64_t)n : 0;
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	close(master);
	c->bytes = bytes;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return now_ns() - t0;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	size_t runs = 20, warmup = 2, n = 0;
	struct cmd cmds[16];
	int opt;

	while ((opt = getopt(argc, argv, "+n:w:h")) != -1) {
		if (opt == 'n')
			runs = strtoul(optarg, NULL, 10);
		else if (opt == 'w')
			warmup = strtoul(optarg, NULL, 10);
		else {
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: " PROG
				" [-n RUNS] [-w WARMUP] -- LABEL "
				"COMMAND [LABEL COMMAND]...\n");
			return opt == 'h' ? 0 : 125;
		}
	}
	for (int i = optind; i + 1 < argc && n < 16; i += 2, n++) {
		cmds[n] = (struct cmd){.label = argv[i]};
		cmds[n].ns = calloc(runs ? runs : 1, sizeof(int64_t));
		if (!cmds[n].ns || split(argv[i + 1], cmds[n].argv, 64) < 1) {
			fprintf(stderr, PROG ": bad command '%s'\n",
				argv[i + 1]);
			return 125;
		}
	}
	if (n == 0 || runs == 0) {
		fprintf(stderr, PROG ": nothing to run (try -h)\n");
		return 125;
	}
	for (size_t r = 0; r < warmup + runs; r++) {
		for (size_t i = 0; i < n; i++) {
			int64_t t = run_once(&cmds[i]);

			if (r < warmup)
				continue;
			if (t < 0)
				cmds[i].failed++;
			else
				cmds[i].ns[cmds[i].ok++] = t;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct cmd *c = &cmds[i];
		int64_t med = 0;

		if (c->ok) {
			qsort(c->ns, c->ok, sizeof(int64_t), cmp);
			med = c->ns[c->ok / 2];
		}
		printf("%s\t%lld\t%llu\t%.1f\t%zu\n", c->label, (long long)med,
		       (unsigned long long)c->bytes,
		       med ? (double)c->bytes / (1 << 20) / (med / 1e9) : 0.0,
		       c->failed);
	}
	return 0;
}
