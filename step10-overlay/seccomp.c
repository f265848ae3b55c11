/*
 * seccomp.c — a seccomp filter, written as a classic BPF program by hand.
 *
 * The bounding set takes CAP_SYS_ADMIN away from the container's root, but
 * not from the root of a user namespace the container makes: unshare(2)
 * with CLONE_NEWUSER gives a full set of capabilities over everything that
 * namespace then creates (user_namespaces(7)), and with them mount(2) of a
 * tmpfs or a cgroup v1 hierarchy (the first half of CVE-2022-0492). Docker
 * closes that door with seccomp: the kernel runs a small program on every
 * system call, over a struct seccomp_data (the call's number, the ABI it came
 * through, its six arguments as integers), and the program's return value
 * decides: let it run, or fail it with an errno without running it.
 *
 * What the program can and cannot see: numbers only. It reads flags (clone's,
 * socket's family) but never what a pointer points to, so it cannot tell
 * `mount /proc` from `mount /tmp`; that is why whole calls are refused.
 *
 * Docker's default profile (moby/profiles seccomp/default.json) is an
 * allowlist of ~370 calls whose default action is EPERM. This file writes its
 * complement for a container without CAP_SYS_ADMIN and CAP_SYS_PTRACE: the
 * 53 calls (58 on x86-64) below the ceiling that the profile does not allow,
 * four calls decided by an argument, and a ceiling above which every number
 * is refused. The ceiling keeps the allowlist's best
 * property: a system call that a newer kernel adds is refused until someone
 * reviews it. A deny list is only as good as the review of the numbers below
 * the ceiling, so the tests check every entry (tests/test_step09_filter.c).
 *
 * The program, top to bottom (seccomp_print() shows it with -v):
 *   1. the ABI: only the native one;
 *   2. the ceiling, which also refuses x32's numbers;
 *   3. the calls decided by an argument (clone, personality, socket) and
 *      clone3 (ENOSYS), then the deny list;
 *   4. each argument rule, then the shared return instructions.
 *
 * Read: seccomp(2), prctl(2) (PR_SET_NO_NEW_PRIVS), the kernel's
 * Documentation/userspace-api/seccomp_filter.rst and
 * Documentation/networking/filter.rst (classic BPF), moby/profiles
 * seccomp/default.json.
 */
#include "seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <unistd.h>

#include "syscalls.h"

/*
 * The ABI this table is written for. A system call's number means something
 * only together with its ABI: on x86-64, 59 is execve for a 64-bit program
 * and 11 is munmap, while an i386 program (or a 64-bit one using `int 0x80`)
 * asks for execve with 11. A filter that skipped this check would read every
 * i386 call with the x86-64 meaning (seccomp(2), "the arch field").
 */
#if defined(__x86_64__) && !defined(__ILP32__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define NATIVE_NAME "x86_64"
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define NATIVE_NAME "aarch64"
#else
/* cppcheck-suppress preprocessorErrorDirective */
#error "seccomp.c has system-call tables for x86_64 and aarch64 only"
#endif

/*
 * The ceiling: the last system call number this list was reviewed against,
 * removexattrat (Linux 6.13), the highest that Docker's profile allows too.
 * Linux 6.18's table goes on to 469: open_tree_attr (6.15, a mount call),
 * file_getattr and file_setattr (6.17); Docker allows none of them and the
 * ceiling refuses them. Since Linux 5.1 a new call gets one number on every
 * architecture, so one ceiling serves both tables.
 */
#define CEILING __NR_removexattrat
#ifdef __X32_SYSCALL_BIT
_Static_assert(CEILING < __X32_SYSCALL_BIT, "x32 numbers are above it");
#endif

/* Docker's mask for clone: the CLONE_NEW* flags that fit in clone's first
 * argument (CLONE_NEWNS 0x20000, CLONE_NEWCGROUP ... CLONE_NEWNET
 * 0x7E000000). CLONE_NEWTIME (0x80) sits in the exit-signal byte: only
 * unshare(2) and clone3(2), both refused, can ask for it. */
#define CLONE_NS_MASK 0x7E020000u

/* Where the program reads (struct seccomp_data, linux/seccomp.h). An
 * argument is 64 bits; the low 32 are enough for the three we check, which
 * the kernel reads as int (socket's family, personality) or through
 * lower_32_bits() (clone's flags): comparing the whole 64 bits would let a
 * value with a high bit set pass a test the kernel then ignores. */
#define OFF_NR	 offsetof(struct seccomp_data, nr)
#define OFF_ARCH offsetof(struct seccomp_data, arch)
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define OFF_ARG_LO(i) offsetof(struct seccomp_data, args[i])
#else
#define OFF_ARG_LO(i) (offsetof(struct seccomp_data, args[i]) + 4)
#endif

struct denial {
	int nr;
	const char *name;
};
/* clang-format off */
#define DENY(call) {__NR_##call, #call}
/* clang-format on */

/*
 * The deny list: every call of the native table below the ceiling that
 * moby/profiles seccomp v0.2.3 (Docker 29) does not allow to a container
 * without CAP_SYS_ADMIN and CAP_SYS_PTRACE, plus name_to_handle_at. Calls the
 * kernel no longer implements (uselib, create_module, nfsservctl, vserver,
 * ...) answer ENOSYS already and are left out. Each answers EPERM.
 */
static const struct denial denied[] = {
    /* The mount tree is the container's walls. Root of a nested user
     * namespace may mount (a tmpfs over anything, a cgroup v1 hierarchy with
     * a release_agent: CVE-2022-0492), and umount uncovers what a mask hides
     * (/proc/keys). Docker: only with CAP_SYS_ADMIN. */
    DENY(mount),
    DENY(umount2),
    DENY(pivot_root),
    /* The new mount API (Linux 5.2, 5.12): the same power, by descriptor. */
    DENY(open_tree),
    DENY(move_mount),
    DENY(fsopen),
    DENY(fsconfig),
    DENY(fsmount),
    DENY(fspick),
    DENY(mount_setattr),
    /* Namespaces: a new user namespace is the way around the bounding set;
     * setns joins one whose descriptor was passed in. clone and clone3 are
     * decided by their flags, below. */
    DENY(unshare),
    DENY(setns),
    /* The UTS names are set once, by the runtime (Docker: CAP_SYS_ADMIN). */
    DENY(sethostname),
    DENY(setdomainname),
    /* Keys are not namespaced: a uid's keyrings are shared with every
     * container that maps it (keyctl's refcount overflow: CVE-2016-0728). */
    DENY(add_key),
    DENY(request_key),
    DENY(keyctl),
    /* Code run by the kernel: eBPF (verifier bugs, CVE-2021-3490),
     * perf events (CVE-2013-2094), modules, a new kernel. */
    DENY(bpf),
    DENY(perf_event_open),
    DENY(init_module),
    DENY(finit_module),
    DENY(delete_module),
    DENY(kexec_load),
    DENY(kexec_file_load),
    /* Exploit tools. userfaultfd stops the kernel mid-copy on a page of the
     * caller's choosing, the usual way to win a race in the kernel.
     * io_uring's operations are not system calls, so no filter sees them
     * (moby#46762, after Google turned io_uring off). */
    DENY(userfaultfd),
    DENY(io_uring_setup),
    DENY(io_uring_enter),
    DENY(io_uring_register),
    /* The host's state, which no namespace isolates. */
    DENY(reboot), /* CAP_SYS_BOOT */
    DENY(swapon), /* the host's swap */
    DENY(swapoff),
    DENY(acct),	    /* process accounting, host-wide: CAP_SYS_PACCT */
    DENY(quotactl), /* the host file systems' quotas */
    DENY(quotactl_fd),
    DENY(settimeofday), /* one clock for every namespace: CAP_SYS_TIME */
    DENY(clock_settime),
    DENY(syslog),  /* the kernel log, with its addresses: CAP_SYSLOG */
    DENY(vhangup), /* CAP_SYS_TTY_CONFIG */
    /* Files by handle: open_by_handle_at opens any inode of a file system
     * from a guessed handle, whatever the caller's root (the 2014
     * "shocker" escape; CAP_DAC_READ_SEARCH). name_to_handle_at makes
     * handles; Docker allows it since 2023 (harmless alone), we keep it
     * refused as Docker did before. */
    DENY(open_by_handle_at),
    DENY(name_to_handle_at),
    /* Other processes' descriptors and memory: CAP_SYS_PTRACE. (ptrace and
     * process_vm_readv/writev stay: Docker allows them since Linux 4.8, when
     * a tracer stopped being able to change a call after the filter ran.) */
    DENY(kcmp),
    DENY(pidfd_getfd),
    DENY(process_madvise),
    /* NUMA placement, CAP_SYS_NICE: move_pages and migrate_pages move
     * another process's memory. */
    DENY(mbind),
    DENY(set_mempolicy),
    DENY(get_mempolicy),
    DENY(set_mempolicy_home_node),
    DENY(migrate_pages),
    DENY(move_pages),
    /* A whole file system's events (CAP_SYS_ADMIN in Docker's profile). */
    DENY(fanotify_init),
    /* The host's security modules' attributes (Linux 6.8). */
    DENY(lsm_get_self_attr),
    DENY(lsm_set_self_attr),
    DENY(lsm_list_modules),
#if defined(__x86_64__)
    /* x86 only: I/O ports, the host's hardware (CAP_SYS_RAWIO). */
    DENY(iopl),
    DENY(ioperm),
    /* Obsolete, in no profile's list. */
    DENY(ustat),
    DENY(sysfs),
    /* Only a uprobe trampoline may call it; Docker lists uretprobe only. */
    DENY(uprobe),
#endif
};

/* personality(2) values Docker allows: Linux, 32-bit uname, uname
 * "2.6.40+" (UNAME26) and both, and 0xffffffff, which only asks. Refused:
 * ADDR_NO_RANDOMIZE and READ_IMPLIES_EXEC (they undo ASLR and NX for
 * the next exec) and MMAP_PAGE_ZERO (a mapping at address 0 made kernel
 * NULL dereferences exploitable: CVE-2009-1895). */
static const uint32_t personas[] = {
    PER_LINUX, PER_LINUX32, UNAME26, UNAME26 | PER_LINUX32, 0xffffffffu,
};

/* ------------------------------------------------------- the assembler -- */

/* Jump targets, resolved once the program is laid out. */
enum label {
	NEXT,
	ALLOW,
	DENY_EPERM,
	DENY_ENOSYS,
	CLONE,
	PERSONA,
	SOCKET,
	N_LABELS
};

#define MAX_INSNS (ARRAY_SIZE(denied) + ARRAY_SIZE(personas) + 32)

static struct {
	struct sock_filter insn[MAX_INSNS];
	const char *note[MAX_INSNS];	/* what it checks, for -v */
	unsigned char to[MAX_INSNS][2]; /* labels of jt and jf */
	unsigned short at[N_LABELS];	/* where each label is */
	unsigned len;
	bool built;
} bpf;

static void emit(uint16_t code, uint32_t k, enum label jt, enum label jf,
		 const char *note)
{
	unsigned i = bpf.len++;

	if (i >= MAX_INSNS)
		return; /* seccomp_program() reports it */
	bpf.insn[i] = (struct sock_filter)BPF_STMT(code, k);
	bpf.to[i][0] = (unsigned char)jt;
	bpf.to[i][1] = (unsigned char)jf;
	bpf.note[i] = note;
}

/* The four kinds of instruction a seccomp filter needs. */
static void load(uint32_t offset, const char *note)
{
	emit(BPF_LD | BPF_W | BPF_ABS, offset, NEXT, NEXT, note);
}

static void jump(uint16_t op, uint32_t k, enum label jt, enum label jf,
		 const char *note)
{
	emit(BPF_JMP | op | BPF_K, k, jt, jf, note);
}

static void ret(uint32_t action, const char *note)
{
	emit(BPF_RET | BPF_K, action, NEXT, NEXT, note);
}

static void place(enum label l)
{
	bpf.at[l] = (unsigned short)bpf.len;
}

/*
 * Classic BPF jumps go forward only, by an offset of 8 bits counted from the
 * next instruction: no loop can exist, so the kernel knows every program
 * ends. A label is turned into that offset here.
 */
static int resolve(struct err *e)
{
	for (unsigned i = 0; i < bpf.len; i++) {
		for (int f = 0; f < 2; f++) {
			enum label l = bpf.to[i][f];
			unsigned target = bpf.at[l];

			if (l == NEXT)
				continue;
			if (target <= i || target - i - 1 > 255)
				return fail_errno(e, ERANGE, "seccomp",
						  "a jump of the filter");
			if (f)
				bpf.insn[i].jf = (uint8_t)(target - i - 1);
			else
				bpf.insn[i].jt = (uint8_t)(target - i - 1);
		}
	}
	return 0;
}

/* ------------------------------------------------------- the program --- */

/* 1 and 2: the ABI, then the number. */
static void check_abi(void)
{
	load(OFF_ARCH, "arch");
	/* Another ABI (i386, or AArch32 under aarch64): refused whole. Its
	 * numbers differ, and it has multiplexers a filter cannot see into
	 * (i386's socketcall carries socket's family behind a pointer). */
	jump(BPF_JEQ, NATIVE_ARCH, NEXT, DENY_EPERM, NATIVE_NAME " only");
	load(OFF_NR, "nr");
	/* One unsigned comparison refuses three things: numbers a newer kernel
	 * added; x32 calls, which come as AUDIT_ARCH_X86_64 with bit 30 of the
	 * number set (__X32_SYSCALL_BIT, asm/unistd.h), whether or not this
	 * kernel has x32; and a negative number. */
	jump(BPF_JGT, CEILING, DENY_EPERM, NEXT, "above the reviewed table");
}

/* 3: the calls with a rule of their own, then the list. */
static void dispatch(void)
{
	jump(BPF_JEQ, __NR_clone, CLONE, NEXT, "clone");
	/* clone3's flags are in a structure the filter cannot read. ENOSYS, not
	 * EPERM: glibc (2.34+) then falls back to clone, whose flags it can. */
	jump(BPF_JEQ, __NR_clone3, DENY_ENOSYS, NEXT, "clone3");
	jump(BPF_JEQ, __NR_personality, PERSONA, NEXT, "personality");
	jump(BPF_JEQ, __NR_socket, SOCKET, NEXT, "socket");
	for (size_t i = 0; i < ARRAY_SIZE(denied); i++)
		jump(BPF_JEQ, (uint32_t)denied[i].nr, DENY_EPERM, NEXT,
		     denied[i].name);
	ret(SECCOMP_RET_ALLOW, "any other call");
}

/* 4: the argument rules, then the returns they share. */
static void argument_rules(void)
{
	place(CLONE);
	load(OFF_ARG_LO(0), "clone flags");
	jump(BPF_JSET, CLONE_NS_MASK, DENY_EPERM, ALLOW, "a CLONE_NEW* flag");

	place(PERSONA);
	load(OFF_ARG_LO(0), "persona");
	for (size_t i = 0; i < ARRAY_SIZE(personas); i++)
		jump(BPF_JEQ, personas[i], ALLOW, NEXT, "one of Docker's");
	ret(SECCOMP_RET_ERRNO | EPERM, "any other persona");

	/* Families no container needs and the kernel has had holes in:
	 * AF_ALG, the crypto API ("Copy Fail", CVE-2026-31431), and AF_VSOCK,
	 * which reaches the hypervisor's services past the network namespace. */
	place(SOCKET);
	load(OFF_ARG_LO(0), "socket family");
	jump(BPF_JEQ, AF_ALG, DENY_EPERM, NEXT, "AF_ALG");
	jump(BPF_JEQ, AF_VSOCK, DENY_EPERM, ALLOW, "AF_VSOCK");

	place(ALLOW);
	ret(SECCOMP_RET_ALLOW, "allow");
	place(DENY_EPERM);
	ret(SECCOMP_RET_ERRNO | EPERM, "fail with EPERM");
	place(DENY_ENOSYS);
	ret(SECCOMP_RET_ERRNO | ENOSYS, "fail with ENOSYS");
}

int seccomp_program(enum seccomp_profile profile, struct sock_fprog *prog,
		    struct err *e)
{
	prog->len = 0;
	prog->filter = bpf.insn;
	if (profile == PROFILE_UNCONFINED)
		return 0;
	if (!bpf.built) {
		bpf.len = 0;
		check_abi();
		dispatch();
		argument_rules();
		if (bpf.len > MAX_INSNS)
			return fail_errno(e, E2BIG, "seccomp", "the filter");
		if (resolve(e) == -1)
			return -1;
		bpf.built = true;
	}
	prog->len = (unsigned short)bpf.len;
	return 0;
}

/* ------------------------------------------------------ the interface --- */

int seccomp_parse(const char *arg, enum seccomp_profile *profile)
{
	if (strcmp(arg, "default") == 0)
		*profile = PROFILE_DEFAULT;
	else if (strcmp(arg, "unconfined") == 0)
		*profile = PROFILE_UNCONFINED;
	else {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

const char *seccomp_name(enum seccomp_profile profile)
{
	return profile == PROFILE_UNCONFINED ? "unconfined" : "default";
}

/* An action in words: SECCOMP_RET_ACTION_FULL is the action, the low 16
 * bits its data (the errno). */
static void action_text(uint32_t k, char *buf, size_t size)
{
	uint32_t action = k & SECCOMP_RET_ACTION_FULL;
	int n;

	if (action == SECCOMP_RET_ALLOW)
		n = snprintf(buf, size, "ALLOW");
	else if (action == SECCOMP_RET_ERRNO)
		n = snprintf(buf, size, "ERRNO(%s)",
			     strerrorname_np((int)(k & SECCOMP_RET_DATA)));
	else
		n = snprintf(buf, size, "0x%08x", k);
	if (n < 0 || (size_t)n >= size)
		buf[0] = '\0';
}

/* One instruction as bpf_asm(8) writes it, jumps as absolute indexes. */
static void print_one(const struct sock_filter *f, unsigned i, const char *note)
{
	static const char *const jmp[16] = {[BPF_JEQ >> 4] = "jeq",
					    [BPF_JGT >> 4] = "jgt",
					    [BPF_JGE >> 4] = "jge",
					    [BPF_JSET >> 4] = "jset"};
	const char *op = jmp[BPF_OP(f->code) >> 4];
	char text[64], act[32];
	int n;

	switch (BPF_CLASS(f->code)) {
	case BPF_LD:
		n = snprintf(text, sizeof(text), "ld   [%u]", f->k);
		break;
	case BPF_JMP:
		/* numbers in decimal, as in asm/unistd.h; masks in hex */
		n = snprintf(text, sizeof(text),
			     f->k > 0xffff || BPF_OP(f->code) == BPF_JSET
				 ? "%-4s #0x%x, %u, %u"
				 : "%-4s #%u, %u, %u",
			     op ? op : "j?", f->k, i + 1 + f->jt,
			     i + 1 + f->jf);
		break;
	case BPF_RET:
		action_text(f->k, act, sizeof(act));
		n = snprintf(text, sizeof(text), "ret  %s", act);
		break;
	default:
		n = snprintf(text, sizeof(text), "code 0x%x, k 0x%x", f->code,
			     f->k);
	}
	if (n < 0 || (size_t)n >= sizeof(text))
		text[0] = '\0';
	trace("seccomp %3u: %-28s %s", i, text, note);
}

void seccomp_print(const struct sock_fprog *prog)
{
	if (prog->len == 0) {
		trace("seccomp: unconfined, no filter");
		return;
	}
	trace("seccomp: %u instructions of classic BPF, %s numbers up to %d",
	      prog->len, NATIVE_NAME, CEILING);
	for (unsigned i = 0; i < prog->len; i++)
		print_one(&prog->filter[i], i,
			  prog->filter == bpf.insn && bpf.note[i] ? bpf.note[i]
								  : "");
}

int seccomp_dump(const struct sock_fprog *prog, int fd, struct err *e)
{
	if (write_all(fd, prog->filter, prog->len * sizeof(*prog->filter)) ==
	    -1)
		return fail(e, "write", "the filter");
	return 0;
}

int seccomp_install(const struct sock_fprog *prog, struct err *e)
{
	if (prog->len == 0)
		return 0;
	/* seccomp(2): without no_new_privs (or CAP_SYS_ADMIN), EACCES. The
	 * rule keeps a filter from tricking a set-uid program, which trusts
	 * its calls to behave, into running on after one failed. */
	if (sys_seccomp(SECCOMP_SET_MODE_FILTER, 0, prog) == -1) {
		fail(e, "seccomp", "SECCOMP_SET_MODE_FILTER");
		if (e->errnum == EACCES)
			e->hint = "no_new_privs must be set first";
		else if (e->errnum == EINVAL)
			e->hint = "a kernel without CONFIG_SECCOMP_FILTER?";
		return -1;
	}
	return 0;
}
