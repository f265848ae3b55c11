/*
 * step05 — CLONE_NEWNET: --net veth|none|host|container:PID.
 * What a person checks: `ip link` inside, the namespace inode, and a ping
 * from the host to the container across the veth pair. Fails on step04's
 * binary: it has no --net and shares the host's network.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TestSuite(step05, .timeout = 60);

/* The IPv4 address in `ip -o -4 addr` output, or "" */
static char *inet_of(const char *out)
{
	const char *p = strstr(out, "inet ");
	char addr[32] = "";

	if (p)
		sscanf(p + 5, "%31[0-9.]", addr);
	return strdup(addr);
}

static int ping(const char *addr)
{
	char *cmd = xasprintf("ping -c1 -W2 %s >/dev/null 2>&1", addr);
	int rc = system(cmd);

	free(cmd);
	return rc;
}

/* Start a veth container that prints its address and waits. */
static struct proc *start_veth(char **addr, const char *extra)
{
	struct run_opts o = {.keep_stdin = true};
	char *argv[8] = {"", "/bin/sh", "-c",
			 "ip -o -4 addr show eth0; echo ready; read x", NULL};

	if (extra) {
		argv[1] = (char *)extra;
		argv[2] = "/bin/sh";
		argv[3] = "-c";
		argv[4] = "ip -o -4 addr show eth0; echo ready; read x";
	}
	struct proc *p = proc_start(&o, "step05", argv);
	cr_assert(proc_wait_out(p, "ready"), "container started: %s", p->err);
	proc_child(p);
	*addr = inet_of(p->out);
	return p;
}

Test(step05, none_has_only_lo_up)
{
	need_root();
	struct proc *p = run(NULL, "step05", "-q", "--net", "none", "/bin/sh",
			     "-c", "ip -o link | cut -d: -f2,3", NULL);

	expect_status(p, 0);
	cr_expect_eq(strchr(p->out, '\n'), p->out + strlen(p->out) - 1,
		     "one link: %s", p->out);
	cr_expect(strstr(p->out, " lo: <LOOPBACK,UP"), "lo up: %s", p->out);
	proc_free(p);
}

Test(step05, host_mode_keeps_the_hosts_namespace)
{
	need_root();
	struct proc *p = run(NULL, "step05", "-q", "--net", "host", "readlink",
			     "/proc/self/ns/net", NULL);
	char *want = xasprintf("%s\n", ns_link("net"));

	expect_status(p, 0);
	cr_expect_str_eq(p->out, want);
	free(want);
	proc_free(p);
}

Test(step05, veth_container_answers_ping)
{
	need_root();
	char *addr;
	struct proc *p = start_veth(&addr, NULL);
	char *host_if = xasprintf("nsw%d", (int)p->child);

	cr_expect_neq(ns_inode(p->child, "net"), ns_inode(0, "net"));
	cr_assert_str_neq(addr, "", "eth0 has an address: %s", p->out);
	cr_expect(link_exists(host_if), "host end %s", host_if);
	cr_expect_eq(ping(addr), 0, "the host pings %s", addr);
	proc_write(p, "\n");
	expect_finish(p, 0);
	/* the kernel destroys the pair with the namespace, a moment later */
	for (int i = 0; i < 200 && link_exists(host_if); i++)
		usleep(10000);
	cr_expect_not(link_exists(host_if), "%s left on the host", host_if);
	free(host_if);
	free(addr);
	proc_free(p);
}

Test(step05, veth_namespace_has_lo_and_eth0_only)
{
	need_root();
	struct proc *p = run(NULL, "step05", "-q", "/bin/sh", "-c",
			     "ip -o link | cut -d: -f2 | cut -d@ -f1; "
			     "ip route | grep ^default",
			     NULL);

	expect_status(p, 0);
	cr_expect(strncmp(p->out, " lo\n eth0\ndefault via 10.", 25) == 0,
		  "links and default route: %s", p->out);
	proc_free(p);
}

Test(step05, container_mode_joins_the_network_of_pid)
{
	need_root();
	struct run_opts o = {.keep_stdin = true};
	struct proc *a = proc_start(
	    &o, "step05",
	    (char *[]){"", "--net", "none", "/bin/sh", "-c", "read x", NULL});
	pid_t pa = proc_child(a);

	cr_assert_gt(pa, 0);
	char *mode = xasprintf("container:%d", (int)pa);
	struct proc *b = run(NULL, "step05", "-q", "--net", mode, "readlink",
			     "/proc/self/ns/net", NULL);
	char *want = xasprintf("net:[%lu]\n", ns_inode(pa, "net"));
	expect_status(b, 0);
	cr_expect_str_eq(b->out, want, "same network namespace as %d", (int)pa);
	cr_expect_neq(ns_inode(pa, "net"), ns_inode(0, "net"));
	proc_write(a, "\n");
	proc_finish(a);
	free(want);
	free(mode);
	proc_free(b);
	proc_free(a);
}

Test(step05, two_containers_at_once_both_work)
{
	need_root();
	char *a_addr, *b_addr;
	struct proc *a = start_veth(&a_addr, NULL);
	struct proc *b = start_veth(&b_addr, NULL);

	cr_assert_str_neq(a_addr, "");
	cr_assert_str_neq(b_addr, "");
	cr_expect_str_neq(a_addr, b_addr, "distinct addresses");
	cr_expect_eq(ping(a_addr), 0, "ping %s", a_addr);
	cr_expect_eq(ping(b_addr), 0, "ping %s", b_addr);
	proc_write(a, "\n");
	proc_write(b, "\n");
	expect_finish(a, 0);
	expect_finish(b, 0);
	free(a_addr);
	free(b_addr);
	proc_free(a);
	proc_free(b);
}

Test(step05, chosen_ip_and_a_taken_one)
{
	need_root();
	char *addr;
	struct proc *a = start_veth(&addr, "--ip=10.201.251.2/30");

	cr_expect_str_eq(addr, "10.201.251.2");
	cr_expect_eq(ping(addr), 0);
	struct proc *b =
	    run(NULL, "step05", "--ip", "10.201.251.2/30", "true", NULL);
	expect_status(b, 125, "a taken address is refused");
	cr_expect(strstr(b->err, "in use"), "says why: %s", b->err);
	char *b_if = xasprintf("nsw%d", (int)b->child);
	cr_expect_not(link_exists(b_if), "nothing left behind");
	proc_write(a, "\n");
	proc_finish(a);
	free(b_if);
	free(addr);
	proc_free(a);
	proc_free(b);
}

Test(step05, sigkill_of_the_runtime_leaves_no_link)
{
	need_root();
	char *addr;
	struct proc *p = start_veth(&addr, NULL);
	char *host_if = xasprintf("nsw%d", (int)p->child);

	cr_assert(link_exists(host_if));
	proc_kill(p, SIGKILL);
	proc_finish(p);
	cr_expect(wait_gone(p->child, 2), "container outlived its runtime");
	for (int i = 0; i < 200 && link_exists(host_if); i++)
		usleep(10000);
	cr_expect_not(link_exists(host_if), "%s left on the host", host_if);
	free(host_if);
	free(addr);
	proc_free(p);
}

Test(step05, bad_network_options_are_125)
{
	need_root();
	const char *bad[][2] = {
	    {"--net", "bogus"},	       {"--net", "container:abc"},
	    {"--net", "container:0"},  {"--net", "container:999999999"},
	    {"--ip", "10.201.1.2"},    {"--ip", "10.201.1.2/33"},
	    {"--ip", "300.1.1.1/24"},  {"--ip", "10.201.1.2/24x"},
	    {"--net", "container:-1"}, {"--ip", ""},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct proc *p =
		    run(NULL, "step05", bad[i][0], bad[i][1], "true", NULL);
		expect_status(p, 125, "%s %s", bad[i][0], bad[i][1]);
		cr_expect(strstr(p->err, "step05: "), "a message");
		cr_expect_null(strstr(p->err, "child PID"),
			       "refused before clone: %s", p->err);
		proc_free(p);
	}
}
