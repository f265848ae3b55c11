/*
 * step09 — the seccomp filter itself, run on crafted system calls.
 *
 * Some calls cannot be tried for real: the ones a missing capability already
 * refuses (mount, reboot: EPERM with or without a filter), the ones that
 * must never succeed here (kexec, swapoff, a clock change), an i386 call
 * (`int 0x80` faults on this kernel) or an x32 one (x32 is compiled out).
 * So this suite takes the exact program the binary installs
 * (`step09 --seccomp-dump`: the raw struct sock_filter array), checks that
 * it is a program the kernel's checker accepts, and runs it in a small
 * classic-BPF interpreter over struct seccomp_data values built here, for
 * every system call number of the native table, the other ABIs, numbers
 * above the reviewed table and the argument rules (clone, personality,
 * socket). Running nothing in a container, it needs no root.
 *
 * The expected table below is the specification, written independently of
 * the binary's: moby/profiles seccomp/default.json for a container without
 * CAP_SYS_ADMIN and CAP_SYS_PTRACE (see docs/09-seccomp.md). Fails on step08
 * (no filter to dump) and on a filter that misses or adds a single call.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>

TestSuite(step09_filter, .timeout = 30);

/* Numbers newer than this machine's headers (Linux 6.1's): one number on
 * every architecture since 5.1 (but uprobe, x86-64 only). */
#ifndef __NR_lsm_get_self_attr
#define __NR_lsm_get_self_attr 459
#define __NR_lsm_set_self_attr 460
#define __NR_lsm_list_modules  461
#endif
#ifndef __NR_mseal
#define __NR_mseal 462
#endif
#ifndef __NR_removexattrat
#define __NR_removexattrat 466
#endif
/* Above the ceiling: Linux 6.15, 6.17 (twice) and 6.19. */
enum { OPEN_TREE_ATTR = 467, FILE_GETATTR, FILE_SETATTR, LISTNS };
#if defined(__x86_64__) && !defined(__NR_uprobe)
#define __NR_uretprobe 335
#define __NR_uprobe    336
#endif

#if defined(__x86_64__)
#define NATIVE	AUDIT_ARCH_X86_64
#define FOREIGN AUDIT_ARCH_I386
#elif defined(__aarch64__)
#define NATIVE	AUDIT_ARCH_AARCH64
#define FOREIGN AUDIT_ARCH_ARM
#else
/* cppcheck-suppress preprocessorErrorDirective */
#error "no expected table for this architecture"
#endif

/* The last number reviewed: everything above is refused. */
#define CEILING __NR_removexattrat

#define ALLOW	SECCOMP_RET_ALLOW
#define EPERM_	(SECCOMP_RET_ERRNO | EPERM)
#define ENOSYS_ (SECCOMP_RET_ERRNO | ENOSYS)

struct call {
	int nr;
	const char *name;
};
/* clang-format off */
#define C(x) {__NR_##x, #x}
/* clang-format on */

/* Refused whatever the arguments: EPERM. */
static const struct call refused[] = {
    C(mount),
    C(umount2),
    C(pivot_root),
    C(open_tree),
    C(move_mount),
    C(fsopen),
    C(fsconfig),
    C(fsmount),
    C(fspick),
    C(mount_setattr),
    C(unshare),
    C(setns),
    C(sethostname),
    C(setdomainname),
    C(add_key),
    C(request_key),
    C(keyctl),
    C(bpf),
    C(perf_event_open),
    C(init_module),
    C(finit_module),
    C(delete_module),
    C(kexec_load),
    C(kexec_file_load),
    C(userfaultfd),
    C(io_uring_setup),
    C(io_uring_enter),
    C(io_uring_register),
    C(reboot),
    C(swapon),
    C(swapoff),
    C(acct),
    C(quotactl),
    C(quotactl_fd),
    C(settimeofday),
    C(clock_settime),
    C(syslog),
    C(vhangup),
    C(open_by_handle_at),
    C(name_to_handle_at),
    C(kcmp),
    C(pidfd_getfd),
    C(process_madvise),
    C(mbind),
    C(set_mempolicy),
    C(get_mempolicy),
    C(set_mempolicy_home_node),
    C(migrate_pages),
    C(move_pages),
    C(fanotify_init),
    C(lsm_get_self_attr),
    C(lsm_set_self_attr),
    C(lsm_list_modules),
#if defined(__x86_64__)
    C(iopl),
    C(ioperm),
    C(ustat),
    C(sysfs),
    C(uprobe),
#endif
};

/* Decided by an argument (or ENOSYS): tested on their own below. */
static const struct call ruled[] = {
    C(clone),
    C(clone3),
    C(personality),
    C(socket),
};

/* Docker allows these; each was once a question (see docs/09). */
static const struct call allowed[] = {
    C(read),
    C(execve),
    C(ptrace),
    C(process_vm_readv),
    C(process_vm_writev),
    C(chroot),
    C(adjtimex),
    C(clock_adjtime),
    C(pidfd_open),
    C(landlock_create_ruleset),
    C(seccomp),
    C(removexattrat),
    C(mseal),
#if defined(__x86_64__)
    C(arch_prctl),
    C(modify_ldt),
    C(fork),
    C(vfork),
    C(uretprobe),
#endif
};

/* ------------------------------------------------------ the program --- */

static struct sock_filter *prog;
static size_t prog_len;

/* The exact program `step09` installs by default. */
static void load(void)
{
	struct proc *p = run(NULL, "step09", "--seccomp-dump", NULL);

	cr_assert_eq(p->status, 0, "step09 --seccomp-dump: %s", p->err);
	cr_assert_eq(p->out_len % sizeof(struct sock_filter), 0,
		     "%zu bytes is not a whole number of instructions",
		     p->out_len);
	prog_len = p->out_len / sizeof(struct sock_filter);
	cr_assert_leq(prog_len, BPF_MAXINSNS);
	free(prog);
	prog = malloc(p->out_len + 1);
	cr_assert_not_null(prog);
	memcpy(prog, p->out, p->out_len);
	proc_free(p);
}

/*
 * The kernel's rules for a seccomp program (net/core/filter.c
 * bpf_check_classic and kernel/seccomp.c seccomp_check_filter), for the
 * instructions a filter of this kind uses: loads of aligned 32-bit words
 * inside struct seccomp_data, conditional jumps that stay inside the
 * program, returns of a constant; and the last instruction returns.
 */
static void check_program(void)
{
	cr_assert_gt(prog_len, 0, "an empty program");
	for (size_t i = 0; i < prog_len; i++) {
		const struct sock_filter *f = &prog[i];

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			cr_assert(f->k % 4 == 0 &&
				      f->k < sizeof(struct seccomp_data),
				  "insn %zu: load of [%u]", i, f->k);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_K:
			cr_assert_lt(i + 1 + f->jt, prog_len, "insn %zu", i);
			cr_assert_lt(i + 1 + f->jf, prog_len, "insn %zu", i);
			break;
		case BPF_RET | BPF_K:
			break;
		default:
			cr_assert_fail("insn %zu: code 0x%x is not one this "
				       "interpreter knows",
				       i, f->code);
		}
	}
	cr_assert_eq(prog[prog_len - 1].code, BPF_RET | BPF_K,
		     "the program must end with a return");
}

/* Run the program over D, as the kernel would: A is the accumulator. */
static uint32_t run_bpf(const struct seccomp_data *d)
{
	uint32_t a = 0;

	for (size_t pc = 0; pc < prog_len; pc++) {
		const struct sock_filter *f = &prog[pc];
		bool taken;

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			memcpy(&a, (const char *)d + f->k, sizeof(a));
			continue;
		case BPF_RET | BPF_K:
			return f->k;
		case BPF_JMP | BPF_JEQ | BPF_K:
			taken = a == f->k;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			taken = a > f->k;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			taken = a >= f->k;
			break;
		default: /* BPF_JSET, the only other one check_program lets by */
			taken = (a & f->k) != 0;
		}
		pc += taken ? f->jt : f->jf;
	}
	cr_assert_fail("ran off the end of the program");
	return 0;
}

static uint32_t verdict(uint32_t arch, uint32_t nr, uint64_t arg0)
{
	struct seccomp_data d = {.nr = (int)nr, .arch = arch, .args = {arg0}};

	return run_bpf(&d);
}

static const char *action(uint32_t a)
{
	switch (a) {
	case ALLOW:
		return "ALLOW";
	case EPERM_:
		return "EPERM";
	case ENOSYS_:
		return "ENOSYS";
	}
	return "another action";
}

static void expect(uint32_t arch, uint32_t nr, uint64_t arg0, uint32_t want,
		   const char *what)
{
	uint32_t got = verdict(arch, nr, arg0);

	cr_expect_eq(got, want,
		     "%s (nr %u, arch 0x%x, arg0 0x%llx): %s, "
		     "expected %s",
		     what, nr, arch, (unsigned long long)arg0, action(got),
		     action(want));
}

/* ------------------------------------------------------------ tests --- */

Test(step09_filter, the_program_is_one_the_kernel_accepts)
{
	load();
	check_program();
}

Test(step09_filter, every_listed_call_is_refused_with_eperm)
{
	load();
	check_program();
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		for (uint64_t arg = 0; arg < 3; arg++)
			expect(NATIVE, (uint32_t)refused[i].nr, arg, EPERM_,
			       refused[i].name);
}

/* Below the ceiling, exactly the listed calls are refused: any other number
 * is allowed, whether or not this kernel implements it (ENOSYS then). */
Test(step09_filter, every_other_call_up_to_the_ceiling_is_allowed)
{
	load();
	check_program();
	for (uint32_t nr = 0; nr <= CEILING; nr++) {
		bool special = false;

		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]);
		     i++)
			special |= refused[i].nr == (int)nr;
		for (size_t i = 0; i < sizeof(ruled) / sizeof(ruled[0]); i++)
			special |= ruled[i].nr == (int)nr;
		if (!special)
			expect(NATIVE, nr, 0, ALLOW, "an unlisted call");
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		expect(NATIVE, (uint32_t)allowed[i].nr, 0, ALLOW,
		       allowed[i].name);
}

Test(step09_filter, numbers_above_the_ceiling_are_refused)
{
	static const uint32_t above[] = {
	    CEILING + 1, OPEN_TREE_ATTR, FILE_GETATTR, FILE_SETATTR, LISTNS,
	    511,	 1000,		 0x3fffffff,   0xffffffff /* nr -1 */};

	load();
	check_program();
	expect(NATIVE, CEILING, 0, ALLOW, "the ceiling itself");
	for (size_t i = 0; i < sizeof(above) / sizeof(above[0]); i++)
		expect(NATIVE, above[i], 0, EPERM_, "above the ceiling");
}

/* i386 (`int 0x80`, or a 32-bit program) and AArch32 number their calls
 * differently; x32 marks its numbers with bit 30. Every call through them is
 * refused, allowed ones (getpid) included. */
Test(step09_filter, other_abis_are_refused)
{
	load();
	check_program();
	for (uint32_t nr = 0; nr < 600; nr++)
		expect(FOREIGN, nr, 0, EPERM_, "a call through the 32-bit ABI");
	expect(0, __NR_getpid, 0, EPERM_, "arch 0");
	expect(NATIVE ^ 0x80000000u, __NR_getpid, 0, EPERM_,
	       "the native machine, 32-bit flag");
#if defined(__x86_64__)
	const uint32_t x32 = 0x40000000u; /* __X32_SYSCALL_BIT */

	expect(NATIVE, x32 | __NR_getpid, 0, EPERM_, "x32 getpid");
	expect(NATIVE, x32 | __NR_mount, 0, EPERM_, "x32 mount");
	expect(NATIVE, x32 | __NR_unshare, 0, EPERM_, "x32 unshare");
	expect(NATIVE, x32 | 520, 0, EPERM_, "x32 execve (520)");
	expect(NATIVE, x32 | 521, 0, EPERM_, "x32 ptrace (521)");
#endif
}

/* Docker's mask 0x7E020000: the CLONE_NEW* flags clone's first argument
 * can carry. The kernel reads clone's flags through lower_32_bits(). */
Test(step09_filter, clone_with_a_namespace_flag_is_refused)
{
	static const uint64_t ns_flags[] = {0x00020000 /* NEWNS */,
					    0x02000000 /* NEWCGROUP */,
					    0x04000000 /* NEWUTS */,
					    0x08000000 /* NEWIPC */,
					    0x10000000 /* NEWUSER */,
					    0x20000000 /* NEWPID */,
					    0x40000000 /* NEWNET */};
	/* fork(), a pthread, vfork-style, with CLONE_NEWTIME's bit (0x80,
	 * the exit-signal byte, which clone never reads as a flag). */
	static const uint64_t plain[] = {
	    17 /* SIGCHLD */,	 0x3d0f00,  0x4111, 0x80,
	    0x7E020000ull << 32, 0x01200011 /* glibc's fork */};

	load();
	check_program();
	for (size_t i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++) {
		expect(NATIVE, __NR_clone, ns_flags[i] | 17, EPERM_,
		       "clone with a CLONE_NEW* flag");
		expect(NATIVE, __NR_clone, ns_flags[i] | (1ull << 40), EPERM_,
		       "the flag, with a high bit set too");
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		expect(NATIVE, __NR_clone, plain[i], ALLOW, "a plain clone");
	expect(NATIVE, __NR_clone3, 0, ENOSYS_, "clone3");
}

Test(step09_filter, personality_allows_only_dockers_values)
{
	static const uint64_t ok[] = {
	    0,	     8,		 0x20000,
	    0x20008, 0xffffffff, 0xffffffff00000000ull /* reads as 0 */};
	static const uint64_t bad[] = {ADDR_NO_RANDOMIZE,
				       READ_IMPLIES_EXEC,
				       MMAP_PAGE_ZERO,
				       PER_BSD,
				       UNAME26 | ADDR_NO_RANDOMIZE,
				       0xfffffffe,
				       (1ull << 32) | ADDR_NO_RANDOMIZE};

	load();
	check_program();
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		expect(NATIVE, __NR_personality, ok[i], ALLOW, "personality");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect(NATIVE, __NR_personality, bad[i], EPERM_, "personality");
}

/* AF_ALG (CVE-2026-31431) and AF_VSOCK, as Docker; every other family. */
Test(step09_filter, socket_refuses_af_alg_and_af_vsock)
{
	load();
	check_program();
	for (uint64_t fam = 0; fam < 64; fam++)
		expect(NATIVE, __NR_socket, fam,
		       fam == AF_ALG || fam == AF_VSOCK ? EPERM_ : ALLOW,
		       "socket");
	/* socket's family is an int: the kernel never sees the high bits. */
	expect(NATIVE, __NR_socket, (1ull << 32) | AF_VSOCK, EPERM_,
	       "AF_VSOCK with a high bit set");
}

Test(step09_filter, unconfined_has_no_program)
{
	struct proc *p =
	    run(NULL, "step09", "--seccomp=unconfined", "--seccomp-dump", NULL);

	expect_status(p, 0);
	cr_expect_eq(p->out_len, 0, "unconfined dumps %zu bytes", p->out_len);
	proc_free(p);
}
