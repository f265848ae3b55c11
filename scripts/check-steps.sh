#!/bin/sh
# The copy discipline of the steps, and the rules of HACKING.md that a tool
# can check (HACKING.md says which).
#
#   scripts/check-steps.sh               each step against the previous one,
#                                        function lengths, then the rules
#   scripts/check-steps.sh --rules [FILE]...
#                                        only the rules (default: step*/*.[ch];
#                                        the reference rule: every source file)
#   scripts/check-steps.sh --self-test   shows that every check can fail, on a
#                                        temporary copy of the steps
#   scripts/check-steps.sh --root DIR    the steps under DIR (default: here)
#
# Steps are the directories stepNN-*/ with a stepNN.c; stepNN.c is compared
# with the previous step's main file, as `make diff` does. Every other file
# that the previous step also has is carried: once homework markers are
# stripped (scripts/homework.sh strip), it must equal the previous step's
# copy, unless mk/check-steps.allow lists it as the step's own lesson:
#
#   step08 set_ns.c +41 -6 1234567890  why: set_ns joins the container's cgroups
#
# "+41 -6 1234567890" pins the difference: the lines it adds and removes
# and the cksum(1) of those lines. A fix made in step07 and copied forward
# keeps the pin; a fix made in step07 and forgotten in step08 breaks it. A
# failure prints the entry to paste.
#
# A function is a definition at column 0 whose opening brace is alone at
# column 0 (the kernel style .clang-format enforces); its length runs from
# the first line of its signature to its closing brace, as the file is.
#
# Exit status: 0 when every check passes, 1 when one fails, 2 on misuse.

# The awk programs are in single quotes on purpose; the step directories'
# names have no blanks, so lists of them are split on purpose too.
# shellcheck disable=SC2016,SC2046,SC2086
set -eu

LIMIT=60
here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
root=$(cd "$here/.." && pwd)
mode=check

usage() {
	sed -n '2,/^$/s/^# \{0,1\}//p' "$self"
	exit "$1"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--root)
		[ $# -ge 2 ] || usage 2 >&2
		root=$(cd "$2" && pwd)
		shift 2
		;;
	--rules)
		mode=rules
		shift
		break
		;;
	--self-test)
		mode="self-test"
		shift
		;;
	-h | --help) usage 0 ;;
	*) usage 2 >&2 ;;
	esac
done
cd "$root"
ALLOW=${CHECK_STEPS_ALLOW:-mk/check-steps.allow}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-steps.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# A signal (a reader that went away: SIGPIPE) ends the run through EXIT.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

# ------------------------------------------------------------ functions ---
# The function finder, shared by the awk programs below. Feed it every line
# with fx_line(LINE, NUMBER); fx_ev then says "begin" (the opening brace of
# fx_name, whose signature fx_sig began at line fx_start), "body", "end" (its
# closing brace) or "" (outside a function). A signature is a run of lines
# that starts at column 0 with an identifier, goes on over indented lines,
# and has a "(" and no "="; a line ending in ";", "{" or "}", a blank line,
# a comment or a preprocessor line ends the run.
FX='
function fx_reset() {
	fx_hdr = ""
	fx_in = 0
	fx_pp = 0
	fx_ev = ""
}
function fx_name_of(h,   i) {
	i = index(h, "(")
	h = substr(h, 1, i - 1)
	sub(/[ \t]+$/, "", h)
	if (match(h, /[A-Za-z_][A-Za-z0-9_]*$/))
		return substr(h, RSTART)
	return "?"
}
function fx_line(s, n) {
	fx_ev = ""
	if (fx_in) {
		if (s ~ /^}/) {
			fx_in = 0
			fx_ev = "end"
		} else
			fx_ev = "body"
		return
	}
	if (fx_pp) {
		fx_pp = s ~ /\\[ \t]*$/
		return
	}
	if (s ~ /^#/) {
		fx_pp = s ~ /\\[ \t]*$/
		fx_hdr = ""
		return
	}
	if (s ~ /^\{[ \t]*$/ && fx_hdr ~ /\(/ && fx_hdr !~ /=/) {
		fx_in = 1
		fx_ev = "begin"
		fx_name = fx_name_of(fx_hdr)
		fx_start = fx_hstart
		fx_sig = fx_htext
		fx_hdr = ""
		return
	}
	if (s ~ /^[A-Za-z_]/) {
		if (fx_hdr == "") {
			fx_hstart = n
			fx_htext = s
		} else
			fx_htext = fx_htext "\n" s
		fx_hdr = fx_hdr " " s
	} else if (fx_hdr != "" && s ~ /^[ \t]+[^ \t]/) {
		fx_hdr = fx_hdr " " s
		fx_htext = fx_htext "\n" s
	} else
		fx_hdr = ""
	# A brace at the end of the signature'\''s line is not the kernel style
	# (format-check says so); the function is measured all the same.
	if (fx_hdr ~ /\)[ \t]*\{[ \t]*$/ && fx_hdr !~ /=/) {
		fx_in = 1
		fx_ev = "begin"
		fx_name = fx_name_of(fx_hdr)
		fx_start = fx_hstart
		fx_sig = fx_htext
		fx_hdr = ""
		return
	}
	if (fx_hdr ~ /[;{}][ \t]*$/)
		fx_hdr = ""
}
function basename(p) {
	sub(/.*\//, "", p)
	return p
}
'

# Every function of the files given: "FILE:LINE NAME LENGTH".
LENGTHS="$FX"'
FNR == 1 { fx_reset() }
{ fx_line($0, FNR) }
fx_ev == "end" { printf "%s:%d %s %d\n", FILENAME, fx_start, fx_name, FNR - fx_start + 1 }
'

# One step against the previous one, on their stripped copies: the
# previous step's files (under pdir) first, then this step's. The two main
# files (pmain, cmain) are one role, "@main". Prints the lines of the block
# (adds, changes, moves, keeps, drops) and, on stderr, "count CATEGORY N".
COMPARE="$FX"'
function role(path,   b) {
	b = basename(path)
	return (b == pmain || b == cmain) ? "@main" : b
}
function shown(r) {
	return r == "@main" ? cmain : r
}
function add(cat, r, name) {
	n[cat]++
	if (!((cat, r) in list)) {
		nroles[cat]++
		roles[cat, nroles[cat]] = r
		list[cat, r] = name
	} else
		list[cat, r] = list[cat, r] ", " name
}
# "  adds      12  file: a, b; file2: c", wrapped at 78 columns.
function emit(cat,   i, out, words, nw, j, line) {
	if (!n[cat])
		return
	out = ""
	for (i = 1; i <= nroles[cat]; i++)
		out = out (i > 1 ? "; " : "") shown(roles[cat, i]) ": " \
			list[cat, roles[cat, i]]
	nw = split(out, words, " ")
	line = sprintf("  %-8s %3d ", cat, n[cat])
	for (j = 1; j <= nw; j++) {
		if (length(line) + 1 + length(words[j]) > 78 && line !~ /^ *$/) {
			print line
			line = sprintf("%15s", "")
		}
		line = line " " words[j]
	}
	print line
}
FNR == 1 {
	fx_reset()
	side = index(FILENAME, pdir "/") == 1 ? "p" : "c"
	r = role(FILENAME)
}
{ fx_line($0, FNR) }
fx_ev == "begin" {
	key = r SUBSEP fx_name
	while ((side, key) in txt)
		key = key "#"
	txt[side, key] = fx_sig "\n" $0
	if (side == "c")
		corder[++nc] = key
	else {
		porder[++np] = key
		prole[fx_name] = (fx_name in prole) ? prole[fx_name] " " r : r
	}
	next
}
fx_ev != "" { txt[side, key] = txt[side, key] "\n" $0 }
END {
	for (i = 1; i <= nc; i++) {
		k = corder[i]
		split(k, kr, SUBSEP)
		if (("p", k) in txt) {
			seen[k] = 1
			add(txt["p", k] == txt["c", k] ? "keeps" : "changes", kr[1], kr[2])
			continue
		}
		# Not in the same file: moved from another one?
		from = ""
		if (kr[2] in prole) {
			nr = split(prole[kr[2]], pr, " ")
			for (j = 1; j <= nr && from == ""; j++)
				if (!((pr[j] SUBSEP kr[2]) in seen) &&
				    !(("c", pr[j] SUBSEP kr[2]) in txt))
					from = pr[j]
		}
		if (from == "") {
			add("adds", kr[1], kr[2])
			continue
		}
		seen[from SUBSEP kr[2]] = 1
		add("moves", kr[1], kr[2] " (from " shown(from) \
		    (txt["p", from SUBSEP kr[2]] == txt["c", k] ? "" : ", changed") ")")
	}
	for (i = 1; i <= np; i++)
		if (!(porder[i] in seen) && !(("c", porder[i]) in txt)) {
			split(porder[i], kr, SUBSEP)
			add("drops", kr[1], kr[2])
		}
	emit("adds")
	emit("changes")
	emit("moves")
	emit("keeps")
	emit("drops")
	for (c in n)
		printf "count %s %d\n", c, n[c] > "/dev/stderr"
}
'

# ---------------------------------------------------------------- rules ---
# The rules of HACKING.md that a pattern can check, over C files. Comments
# and the inside of string literals are blanked first (so a comment that
# says "open(2)" is not a call); calls are looked for in function bodies
# only. A line may carry an exception with its reason, in a comment on the
# line or alone on the line before: /* allow-RULE: why */. Prints
# "FILE:LINE RULE message" for each failure.
RULES="$FX"'
BEGIN {
	# Calls that make a file descriptor: the flag that makes it
	# close-on-exec, or "=" and the call to use instead.
	split("open O_CLOEXEC openat O_CLOEXEC socket SOCK_CLOEXEC " \
	      "socketpair SOCK_CLOEXEC pipe2 O_CLOEXEC accept4 SOCK_CLOEXEC " \
	      "memfd_create MFD_CLOEXEC epoll_create1 EPOLL_CLOEXEC " \
	      "eventfd EFD_CLOEXEC signalfd SFD_CLOEXEC timerfd_create TFD_CLOEXEC " \
	      "inotify_init1 IN_CLOEXEC mkostemp O_CLOEXEC " \
	      "open_tree OPEN_TREE_CLOEXEC sys_open_tree OPEN_TREE_CLOEXEC " \
	      "fsopen FSOPEN_CLOEXEC sys_fsopen FSOPEN_CLOEXEC " \
	      "fsmount FSMOUNT_CLOEXEC sys_fsmount FSMOUNT_CLOEXEC", t, " ")
	for (i = 1; i in t; i += 2)
		cloexec[t[i]] = t[i + 1]
	instead["pipe"] = "pipe2(fds, O_CLOEXEC)"
	instead["creat"] = "open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)"
	instead["accept"] = "accept4(fd, addr, len, SOCK_CLOEXEC)"
	instead["dup"] = "fcntl(fd, F_DUPFD_CLOEXEC, 0)"
	instead["epoll_create"] = "epoll_create1(EPOLL_CLOEXEC)"
	instead["inotify_init"] = "inotify_init1(IN_CLOEXEC)"
	instead["mkstemp"] = "mkostemp(template, O_CLOEXEC)"
	split("snprintf vsnprintf", t, " ")
	for (i in t)
		checked[t[i]] = 1
	split("sprintf vsprintf", t, " ")
	for (i in t)
		unchecked[t[i]] = 1
	split("write writev pwrite pwritev", t, " ")
	for (i in t)
		writes[t[i]] = 1
	split("exit err errx verr verrx", t, " ")
	for (i in t)
		exits[t[i]] = 1
	split("msg report printf vprintf puts putchar perror psignal warn " \
	      "warnx vwarn vwarnx", t, " ")
	for (i in t)
		prints[t[i]] = 1
	# These print when their stream is stdout or stderr.
	split("fprintf vfprintf fputs fputc putc fwrite", t, " ")
	for (i in t)
		streams[t[i]] = 1
	# System calls (their libc wrappers) that return -1 on failure.
	split("open openat close read write mount umount umount2 pivot_root " \
	      "chdir fchdir chroot mkdir mkdirat rmdir unlink unlinkat symlink " \
	      "mknod mknodat unshare setns clone socket socketpair bind connect " \
	      "send sendto sendmsg recv recvfrom recvmsg pipe2 dup2 dup3 fcntl " \
	      "ioctl prctl setuid setgid setgroups setresuid setresgid " \
	      "sethostname setdomainname waitpid waitid execve execvp kill " \
	      "flock ftruncate fstat stat lstat fstatat fstatfs statfs access " \
	      "faccessat poll chmod fchmod chown fchown rename renameat " \
	      "sigaction sigprocmask signalfd eventfd memfd_create " \
	      "capset capget setrlimit getrlimit syscall", t, " ")
	for (i in t)
		sysc[t[i]] = 1
	nrules = split("cloexec snprintf write syscall exit print decide cmp label cleanup", t, " ")
	for (i = 1; i <= nrules; i++)
		known[t[i]] = 1
}
function fail(line, rule, text) {
	if ((line, rule) in allow) {
		used[line, rule] = 1
		return
	}
	printf "%s:%d %s %s\n", file, line, rule, text
}
# Blank comments and the inside of string and character literals, keeping
# columns; lit[] gets the line with literals kept, comments blanked.
function lex(s, n,   out, kept, i, L, c) {
	if (lx == "" && s !~ /[\/"'\'']/) {
		lit[n] = s
		return s
	}
	out = kept = ""
	L = length(s)
	for (i = 1; i <= L; i++) {
		c = substr(s, i, 1)
		if (lx == "*") {
			if (c == "*" && substr(s, i + 1, 1) == "/") {
				out = out "  "
				kept = kept "  "
				i++
				lx = ""
			} else {
				out = out " "
				kept = kept " "
			}
		} else if (lx != "") {
			if (c == "\\") {
				out = out "  "
				kept = kept substr(s, i, 2)
				i++
			} else if (c == lx) {
				out = out c
				kept = kept c
				lx = ""
			} else {
				out = out " "
				kept = kept c
			}
		} else if (c == "/" && substr(s, i + 1, 1) == "*") {
			out = out "  "
			kept = kept "  "
			i++
			lx = "*"
		} else if (c == "/" && substr(s, i + 1, 1) == "/") {
			break
		} else {
			if (c == "\"" || c == "'\''")
				lx = c
			out = out c
			kept = kept c
		}
	}
	if (lx != "*")
		lx = ""
	lit[n] = kept
	return out
}
# The argument text of the call whose "(" is at column col of line n, up
# to its ")": in args (literals blanked) and largs (literals kept); after
# gets what follows the ")" on its line.
function call_args(n, col,   depth, i, s, l, c, L) {
	args = largs = ""
	depth = 0
	for (l = n; l <= nl; l++) {
		s = code[l]
		L = length(s)
		for (i = (l == n ? col : 1); i <= L; i++) {
			c = substr(s, i, 1)
			if (c == "(")
				depth++
			else if (c == ")" && --depth == 0) {
				after = substr(s, i + 1)
				return
			}
			args = args c
			largs = largs substr(lit[l], i, 1)
		}
		args = args " "
		largs = largs " "
	}
	after = ""
}
# The token before column col of line n: a word or one character.
function before(n, col,   s, l) {
	for (l = n; l >= 1 && fn[l] != ""; l--) {
		s = (l == n) ? substr(code[l], 1, col - 1) : code[l]
		sub(/[ \t]+$/, "", s)
		if (s == "")
			continue
		if (match(s, /[A-Za-z_][A-Za-z0-9_]*$/))
			return substr(s, RSTART)
		return substr(s, length(s))
	}
	return ";"
}
# Whether the result of the call at column col of line n is thrown away:
# the call is a statement of its own, after ";", "{", "}", ":", "else",
# "do", "(void)" or the condition of an if, while or for.
function discarded(n, col,   t, s, l, depth, i, inner, c) {
	t = before(n, col)
	if (t ~ /^[;{}:]$/ || t == "else" || t == "do")
		return 1
	if (t != ")")
		return 0
	# A cast or a condition: find the matching "(".
	depth = 0
	inner = ""
	for (l = n; l >= 1 && fn[l] != ""; l--) {
		s = (l == n) ? substr(code[l], 1, col - 1) : code[l]
		for (i = length(s); i >= 1; i--) {
			c = substr(s, i, 1)
			if (c == ")")
				depth++
			else if (c == "(" && --depth == 0) {
				gsub(/[ \t]/, "", inner)
				if (inner == "void")
					return 1
				t = before(l, i)
				if (t == "if" || t == "while" || t == "for")
					return 1
				return discarded(l, i)	# a cast: what is before it
			}
			if (depth > 0)
				inner = c inner
		}
	}
	return 0
}
function check_call(n, col, id, pcol) {
	if (id in cloexec) {
		call_args(n, col)
		if (index(args, cloexec[id]) == 0)
			fail(n, "cloexec", id "() without " cloexec[id])
	} else if (id in instead)
		fail(n, "cloexec", id "() makes a descriptor that survives execve: use " instead[id])
	else if (id == "fcntl") {
		call_args(n, col)
		if (args ~ /F_DUPFD([^_A-Z]|$)/)
			fail(n, "cloexec", "fcntl(F_DUPFD): use F_DUPFD_CLOEXEC")
	} else if (id in checked) {
		if (discarded(n, pcol))
			fail(n, "snprintf", id "() result unused: check it for truncation (n < 0 || (size_t)n >= size)")
	} else if (id in unchecked)
		fail(n, "snprintf", id "() cannot be checked for truncation: use snprintf")
	else if (id in writes) {
		if (fn[n] != "write_all")
			fail(n, "write", id "() outside write_all(): a short write would go unnoticed")
	} else if (id in exits) {
		if (!(fn[n] in top))
			fail(n, "exit", id "() in " fn[n] "(), a helper: only main() ends the program")
	} else if (id ~ /^str(n?cmp|n?casecmp|str)$/) {
		call_args(n, col)
		if (args ~ /(\.|->)[ \t]*(call|obj|hint)([^A-Za-z0-9_]|$)/)
			fail(n, "decide", id "() on a struct err field: the helper that knows sets the hint, or returns a distinct value")
	} else if (id in prints || id in streams || id == "dprintf") {
		if (id in streams) {
			call_args(n, col)
			if (args !~ /(^|[^A-Za-z0-9_])std(out|err)([^A-Za-z0-9_]|$)/)
				return
		} else if (id == "dprintf") {
			call_args(n, col)
			if (args !~ /^\([ \t]*([12]|STD(OUT|ERR)_FILENO)[ \t]*,/)
				return
		}
		if (!(fn[n] in top) && !(basename(file) == "err.c" && fn[n] == "report"))
			fail(n, "print", id "() in " fn[n] "(), a helper: helpers say what failed in a struct err")
	}
	if (id == "fopen") {
		call_args(n, col)
		if (!match(largs, /"[^"]*"[ \t]*$/))
			fail(n, "cloexec", "fopen() with a mode that is not a literal")
		else if (substr(largs, RSTART, RLENGTH) !~ /e/)
			fail(n, "cloexec", "fopen() without \"e\" in its mode")
	}
	if (id == "syscall") {
		call_args(n, col)
		if (args ~ /^\([ \t]*[0-9]/)
			fail(n, "syscall", "syscall() with a number: use SYS_name in syscalls.h")
		else if (basename(file) != "syscalls.h")
			fail(n, "syscall", "syscall() outside syscalls.h: give it a sys_name() wrapper there")
	}
	if (id in sysc || id ~ /^sys_/) {
		call_args(n, col)
		if (after ~ /^[ \t]*<[ \t]*0([^0-9.x]|$)/)
			fail(n, "cmp", id "() < 0: a system call fails with -1, test == -1")
	}
}
# The top level, which may print and exit: main(), usage(), the functions
# main() ends with (return F(...) in main), and the child'\''s entry points:
# the function clone(2) starts, the one whose result a child passes to
# _exit(2). Everything else is a helper.
function top_level(   n, col, id, s, stmt, l) {
	split("", top)
	top["main"] = top["usage"] = 1
	for (n = 1; n <= nl; n++) {
		if (fn[n] == "")
			continue
		s = code[n]
		if ((col = index(s, "clone(")) && substr(s, col - 1, 1) !~ /[A-Za-z0-9_]/) {
			call_args(n, col + 5)
			if (match(args, /^\([ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*,/)) {
				id = substr(args, RSTART + 1, RLENGTH - 2)
				gsub(/[ \t]/, "", id)
				top[id] = 1
			}
		}
		if (match(s, /(^|[^A-Za-z0-9_])_exit[ \t]*\([ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/)) {
			id = substr(s, RSTART, RLENGTH - 1)
			sub(/.*\(/, "", id)
			gsub(/[ \t]/, "", id)
			top[id] = 1
		}
		if (fn[n] == "main" && match(s, /(^|[^A-Za-z0-9_])return([^A-Za-z0-9_]|$)/)) {
			stmt = substr(s, RSTART)
			for (l = n + 1; stmt !~ /;/ && l <= nl; l++)
				stmt = stmt " " code[l]
			sub(/;.*/, "", stmt)
			while (match(stmt, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/)) {
				id = substr(stmt, RSTART, RLENGTH - 1)
				gsub(/[ \t]/, "", id)
				top[id] = 1
				stmt = substr(stmt, RSTART + RLENGTH)
			}
		}
	}
}
function check_file(   n, s, rest, off, id, col, m, r, why, t) {
	# Exceptions first: /* allow-RULE: why */ on the line, or alone on
	# the line before the code it excuses.
	for (n = 1; n <= nl; n++) {
		s = raw[n]
		while (match(s, /allow-[a-z]+:[^*]*/)) {
			m = substr(s, RSTART + 6, RLENGTH - 6)
			s = substr(s, RSTART + RLENGTH)
			r = m
			sub(/:.*/, "", r)
			why = m
			sub(/^[a-z]+:[ \t]*/, "", why)
			sub(/[ \t]+$/, "", why)
			if (!(r in known)) {
				printf "%s:%d marker unknown rule allow-%s (the rules: %s)\n", file, n, r, "cloexec snprintf write syscall exit print decide cmp label cleanup"
				continue
			}
			if (why == "") {
				printf "%s:%d marker allow-%s without a reason: say why\n", file, n, r
				continue
			}
			t = n
			while (code[t] ~ /^[ \t]*$/ && t < nl)
				t++
			allow[t, r] = n
		}
	}
	top_level()
	for (n = 1; n <= nl; n++) {
		if (fn[n] == "" || pp[n])
			continue
		s = code[n]
		if (s ~ /__attribute__[ \t]*\(\([ \t]*cleanup/)
			fail(n, "cleanup", "__attribute__((cleanup)): clean up at the function'\''s out: label")
		if (match(s, /^[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*:([^:]|$)/)) {
			id = substr(s, RSTART, RLENGTH)
			gsub(/[ \t:]/, "", id)
			sub(/[^A-Za-z0-9_].*/, "", id)
			if (id != "default" && id != "out")
				fail(n, "label", "label " id ": one label per function, out:, for its cleanup")
		}
		off = 0
		rest = s
		while (match(rest, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/)) {
			id = substr(rest, RSTART, RLENGTH)
			sub(/[ \t]*\($/, "", id)
			col = off + RSTART + RLENGTH - 1	# the "("
			t = substr(s, 1, off + RSTART - 1)
			off += RSTART + RLENGTH - 1
			rest = substr(rest, RSTART + RLENGTH)
			if (t ~ /(\.|->)[ \t]*$/)
				continue	# a member: not the libc function
			check_call(n, col, id, col - length(id))
		}
	}
	for (k in allow) {
		split(k, kr, SUBSEP)
		if (!(k in used))
			printf "%s:%d marker allow-%s excuses nothing on line %d: delete it\n", file, allow[k], kr[2], kr[1]
	}
	split("", allow)
	split("", used)
}
FNR == 1 {
	if (NR > 1)
		check_file()
	file = FILENAME
	fx_reset()
	nl = 0
	lx = ""
	ppc = 0
}
{
	nl++
	raw[nl] = $0
	code[nl] = lex($0, nl)
	pp[nl] = ppc || code[nl] ~ /^[ \t]*#/
	ppc = pp[nl] && code[nl] ~ /\\[ \t]*$/
	fx_line(code[nl], nl)
	fn[nl] = (fx_ev == "body") ? fx_name : ""
}
END {
	if (NR > 0)
		check_file()
}
'

# What to do about each rule, said once after its failures.
hint() {
	case "$1" in
	cloexec) echo "every descriptor is close-on-exec from its birth: pass the flag; where one must survive execve(2), say why on its line: /* allow-cloexec: why */" ;;
	snprintf) echo "n = snprintf(buf, size, ...); if (n < 0 || (size_t)n >= size) return fail_errno(e, ENAMETOOLONG, ...); where a cut is harmless, say so: /* allow-snprintf: why */" ;;
	write) echo "every write goes through write_all(), which carries on after a short write or EINTR" ;;
	syscall) echo "raw system calls live in the step's syscalls.h, as sys_NAME() around syscall(SYS_NAME, ...)" ;;
	exit) echo "helpers return -1 and fill a struct err; the top level (see print) decides the exit status; a child after clone(2) or fork(2) leaves with _exit()" ;;
	print) echo "a helper returns -1 with its struct err filled in; the top level prints, with report(): main(), usage(), the functions main() ends with (return F(...)), the child's entry point (the function clone(2) starts, or whose result goes to _exit); trace() is for -v; a real exception says why: /* allow-print: why */" ;;
	decide) echo "no decision is taken by comparing what a message says: the helper that knows attaches the hint, or returns a value the caller can test" ;;
	cmp) echo "a system call reports failure as -1: test == -1" ;;
	label) echo "one label per function, out:, where its resources are released" ;;
	cleanup) echo "cleanup is explicit, at the function's out: label" ;;
	doc) echo "those files are the workshop's brief, not in the repository: cite the man page, the kernel version or the CVE, or docs/" ;;
	marker) echo "an exception is /* allow-RULE: why */ on the line it excuses, or alone on the line before" ;;
	esac
}

# The source files whose comments may not cite the brief's files.
source_files() {
	for f in step*/*.c step*/*.h tests/*.c tests/*.h bench/*.c bench/*.h \
		bench/*.sh fuzz/*.c fuzz/*.h fuzz/*.mk scripts/*.sh mk/*.mk \
		Makefile .ci/run .clang-tidy .clang-format; do
		[ -f "$f" ] && echo "$f"
	done
	return 0
}

# rules [FILE]...: the rules over FILE (default: the steps' sources), one
# block; sets nrules to the number of failures.
rules() {
	if [ $# -eq 0 ]; then
		set -- $(for f in step*/*.c step*/*.h; do [ -f "$f" ] && echo "$f"; done)
		docs=$(source_files)
	else
		docs="$*"
	fi
	: >"$tmp/rules"
	[ $# -eq 0 ] || awk "$RULES" "$@" >"$tmp/rules"
	# shellcheck disable=SC2086
	[ -z "$docs" ] || grep -nHE '(DESIGN|RELIABILITY|STYLE)[.]md' $docs |
		sed -E 's/^([^:]*:[0-9]+):.*((DESIGN|RELIABILITY|STYLE)[.]md).*/\1 doc cites \2, which is not in the repository/' \
			>>"$tmp/rules" || true
	nrules=$(wc -l <"$tmp/rules")
	nfiles=$(printf '%s\n' "$@" $docs | sort -u | grep -c . || true)
	echo "rules  (HACKING.md, over $nfiles files)"
	for r in cloexec snprintf write syscall exit print decide cmp label cleanup doc marker; do
		awk -v r="$r" '$2 == r' "$tmp/rules" >"$tmp/rule"
		[ -s "$tmp/rule" ] || continue
		sed -E 's/^([^ ]*) [a-z]+ /  FAIL \1: /' "$tmp/rule"
		echo "       $r: $(hint "$r")"
	done
	[ "$nrules" -gt 0 ] || echo "  every rule holds"
	echo
}

# ---------------------------------------------------------------- steps ---
# The steps, in order: directories stepNN-*/ with their stepNN.c.
steps() {
	for d in step[0-9][0-9]-*/; do
		d=${d%/}
		n=${d#step}
		n=${n%%-*}
		[ -f "$d/step$n.c" ] && echo "$d"
	done
	return 0
}

num() { # step05-netns -> 05
	n=${1#step}
	echo "${n%%-*}"
}

# strip_all: every step's files without homework markers, in
# $tmp/s/STEPDIR/. One run of homework.sh for all of them: a line naming
# the next file goes before each, and splits the output again.
strip_all() {
	mkdir -p "$tmp/s" "$tmp/sep"
	i=0
	for d in $(steps); do
		mkdir -p "$tmp/s/$d"
		for f in "$d"/*; do
			[ -f "$f" ] || continue
			case "$f" in
			*.c | *.h)
				i=$((i + 1))
				printf '\f check-steps: %s\n' "$f" >"$tmp/sep/$i"
				printf '%s\n' "$tmp/sep/$i" "$f"
				;;
			*) cp "$f" "$tmp/s/$f" ;;
			esac
		done
	done >"$tmp/strip-args"
	[ "$i" -gt 0 ] || return 0
	# shellcheck disable=SC2046
	if ! "$here/homework.sh" strip $(cat "$tmp/strip-args") >"$tmp/stripped"; then
		echo "check-steps: homework markers are broken (above): scripts/homework.sh lint" >&2
		exit 1
	fi
	awk -v dir="$tmp/s/" '/^\f check-steps: / { if (out) close(out); out = dir $3; printf "" > out; next }
		{ print > out }' "$tmp/stripped"
}

# pin OLD NEW: the difference of two files as "+ADDED -REMOVED CKSUM".
pin() {
	diff "$1" "$2" >"$tmp/d" || true
	a=$(grep -c '^>' "$tmp/d" || true)
	d=$(grep -c '^<' "$tmp/d" || true)
	crc=$(grep '^[<>]' "$tmp/d" | cksum | cut -d' ' -f1)
	echo "+$a -$d $crc"
}

# The allowlist, read: "LINE STEP FILE +A -D CKSUM" per entry in
# $tmp/allow; a malformed or repeated entry is a failure, in $tmp/bad.
read_allow() {
	: >"$tmp/allow"
	: >"$tmp/bad"
	[ -f "$ALLOW" ] || return 0
	awk -v f="$ALLOW" '
	/^[ \t]*(#|$)/ { next }
	{
		why = $0
		sub(/^[^#]*[ \t]why:[ \t]*/, "", why)
		if ($1 !~ /^step[0-9][0-9]$/ || $3 !~ /^\+[0-9]+$/ ||
		    $4 !~ /^-[0-9]+$/ || $5 !~ /^[0-9]+$/ || $6 != "why:" ||
		    why ~ /^[ \t]*$/) {
			printf "%s:%d: not \"stepNN FILE +A -D CKSUM  why: the lesson\": %s\n", f, NR, $0 > "/dev/stderr"
			next
		}
		if (seen[$1, $2]++) {
			printf "%s:%d: %s %s is listed twice: keep one entry\n", f, NR, $1, $2 > "/dev/stderr"
			next
		}
		print NR, $1, $2, $3, $4, $5
	}' "$ALLOW" >"$tmp/allow" 2>"$tmp/bad"
}

fails=0
ndrift=0
nlong=0
nsame=0
nlessons=0

# born FILE UPTO: the first step, up to step UPTO, that has FILE.
born() {
	for d in $(steps); do
		if [ -f "$d/$1" ]; then
			echo "$d"
			return
		fi
		[ "$d" = "$2" ] && break
	done
	echo "$2"
}

# carried PREV CUR FILE: FILE of step PREV, as step CUR carries it.
carried() {
	p="$tmp/s/$1/$3"
	c="$tmp/s/$2/$3"
	[ -f "$c" ] || c=/dev/null
	s="step$(num "$2")"
	entry=
	while read -r l st fl pa pd pc; do
		[ "$st $fl" != "$s $3" ] || entry="$l $st $fl $pa $pd $pc"
	done <"$tmp/allow"
	[ -z "$entry" ] || echo "$s $3" >>"$tmp/used"
	if [ "$c" != /dev/null ] && cmp -s "$p" "$c"; then
		if [ -n "$entry" ]; then
			echo "  FAIL $ALLOW:${entry%% *}: \"$s $3\" is allowlisted, but"
			echo "       $2/$3 equals $1/$3 (homework markers aside): delete the entry"
			fails=$((fails + 1))
		else
			same="$same $3"
			nsame=$((nsame + 1))
		fi
		return
	fi
	have=$(pin "$p" "$c")
	want=${entry#* * * }
	if [ -n "$entry" ] && [ "$have" = "$want" ]; then
		lessons="$lessons $3"
		nlessons=$((nlessons + 1))
		return
	fi
	fails=$((fails + 1))
	ndrift=$((ndrift + 1))
	b=$(born "$3" "$1")
	if [ "$c" = /dev/null ]; then
		echo "  FAIL $2 does not carry $3 from $1 (born in $b)"
		echo "       fix:  scripts/homework.sh strip $1/$3 >$2/$3"
	else
		if [ -n "$entry" ]; then
			echo "  FAIL $2/$3: its allowlisted difference from $1/$3 changed"
			echo "       (${want% *} lines in $ALLOW:${entry%% *}, ${have% *} now)"
		else
			echo "  FAIL $2/$3 differs from $1/$3 (${have% *} lines, homework markers aside)"
		fi
		echo "       see:  scripts/homework.sh strip $1/$3 | diff -u - $2/$3"
		echo "       fix:  a fix to $3 is made in $b, where the file was born, and"
		echo "             copied forward, step by step: scripts/homework.sh strip $1/$3 >$2/$3"
	fi
	echo "             or, if the difference is $s's own lesson, in $ALLOW:"
	echo "             $s $3 $have  why: <what $s teaches by it>"
}

# wrapped LABEL TEXT: "  LABEL  TEXT", TEXT wrapped at 78 columns.
wrapped() {
	echo "$2" | awk -v label="$1" '{
		line = sprintf("  %-12s ", label)
		for (j = 1; j <= NF; j++) {
			if (length(line) + 1 + length($j) > 78 && line !~ /^ *$/) {
				print line
				line = sprintf("%15s", "")
			}
			line = line " " $j
		}
		print line
	}'
}

# check_step PREV CUR: the block of step CUR (PREV empty for the first).
check_step() {
	prev=$1 cur=$2
	n=$(num "$cur")
	files=
	if [ -z "$prev" ]; then
		echo "$cur  (the first step)"
		pmain=none
	else
		echo "$cur  against $prev"
		pmain="step$(num "$prev").c"
		for f in "$tmp/s/$prev"/*.c "$tmp/s/$prev"/*.h; do
			[ -f "$f" ] && files="$files $f"
		done
	fi
	for f in "$tmp/s/$cur"/*.c "$tmp/s/$cur"/*.h; do
		[ -f "$f" ] && files="$files $f"
	done
	# shellcheck disable=SC2086
	awk -v pdir="$tmp/s/$prev" -v pmain="$pmain" -v cmain="step$n.c" \
		"$COMPARE" $files 2>>"$tmp/counts"

	new='' same='' lessons=''
	if [ -n "$prev" ]; then
		for f in "$cur"/*; do
			b=${f##*/}
			{ [ -f "$f" ] && [ "$b" != "step$n.c" ]; } || continue
			if [ -f "$prev/$b" ]; then
				carried "$prev" "$cur" "$b"
			else
				new="$new $b"
			fi
		done
		for f in "$prev"/*; do
			b=${f##*/}
			[ -f "$f" ] && [ "$b" != "$pmain" ] && [ ! -e "$cur/$b" ] &&
				carried "$prev" "$cur" "$b"
		done
	fi
	files=
	[ -z "$new" ] || files="new:$new"
	[ -z "$same" ] || files="${files:+$files; }carried as is:$same"
	[ -z "$lessons" ] || files="${files:+$files; }carried with its lesson:$lessons"
	[ -z "$files" ] || wrapped files "$files"

	# Function lengths, on the files as they are, homework markers and all.
	awk "$LENGTHS" "$cur"/*.c >"$tmp/len"
	sort -k3,3nr "$tmp/len" | head -n1 |
		awk '{ printf "  %-12s  %s, %d lines (%s)\n", "longest", $2, $3, $1 }'
	awk -v limit="$LIMIT" '$3 > limit' "$tmp/len" >"$tmp/long"
	while read -r where name len; do
		echo "  FAIL $where: $name() is $len lines, over $LIMIT:"
		echo "       split it into functions that each do one thing"
		fails=$((fails + 1))
		nlong=$((nlong + 1))
	done <"$tmp/long"
	echo
}

check_steps() {
	strip_all
	read_allow
	: >"$tmp/used"
	: >"$tmp/counts"
	nsteps=0
	prev=
	for d in $(steps); do
		check_step "$prev" "$d"
		prev=$d
		nsteps=$((nsteps + 1))
	done
	# Entries that name no carried difference, and malformed ones.
	while read -r line s f _; do
		grep -qx "$s $f" "$tmp/used" ||
			echo "$ALLOW:$line: $s carries no $f from the previous step: delete the entry" >>"$tmp/bad"
	done <"$tmp/allow"
	if [ -s "$tmp/bad" ]; then
		echo "$ALLOW"
		sed 's/^/  FAIL /' "$tmp/bad"
		echo
		fails=$((fails + $(wc -l <"$tmp/bad")))
	fi
}

count() {
	awk -v c="$1" '$2 == c { s += $3 } END { print s + 0 }' "$tmp/counts"
}

# ------------------------------------------------------------ self-test ---
# expect WHAT STATUS PATTERN FILE: the run in FILE exited STATUS and has a
# line matching PATTERN (grep -E); "!" before PATTERN: has no such line.
st_fail=0
expect() {
	what=$1 want=$2 pat=$3 out=$4
	rc=$(tail -n1 "$out")
	if [ "$rc" != "exit $want" ]; then
		echo "self-test: FAIL $what: $rc, want exit $want"
		st_fail=1
		return
	fi
	case "$pat" in
	!*)
		if grep -qE -- "${pat#!}" "$out"; then
			echo "self-test: FAIL $what: a line matches '${pat#!}':"
			grep -E -- "${pat#!}" "$out" | head -n3
			st_fail=1
			return
		fi
		;;
	*)
		if ! grep -qE -- "$pat" "$out"; then
			echo "self-test: FAIL $what: no line matches '$pat'"
			st_fail=1
			return
		fi
		;;
	esac
	echo "self-test: ok   $what"
}

# run OUT ARGS...: the script on the copy, its output and "exit N" in OUT.
run() {
	out=$1
	shift
	set +e
	"$self" --root "$tmp/tree" "$@" >"$out" 2>&1
	echo "exit $?" >>"$out"
	set -e
}

# A function of N lines, signature to closing brace.
long_function() {
	echo
	echo "static int $1(void)"
	echo "{"
	echo "	int n = 0;"
	i=4
	while [ "$i" -lt $(($2 - 1)) ]; do
		echo "	n++;"
		i=$((i + 1))
	done
	echo "	return n;"
	echo "}"
}

# copy_steps STEPDIR...: a tree of those steps only, in $tmp/tree, with
# the allowlist's entries for them.
copy_steps() {
	rm -rf "$tmp/tree"
	mkdir -p "$tmp/tree/mk"
	: >"$tmp/tree/$ALLOW"
	for d in "$@"; do
		cp -R "$d" "$tmp/tree/"
		[ ! -f "$ALLOW" ] ||
			grep "^step$(num "$d") " "$ALLOW" >>"$tmp/tree/$ALLOW" || true
	done
}

self_test() {
	strip_all
	# 1. A carried file changed by one line fails, says which file and
	# how to fix it; allowlisted with the entry the failure prints, it
	# passes; a second change (a fix forgotten in the later step) fails
	# again, and so does the entry once the file is carried as is. On a
	# copy of the last pair of steps with a carried .c file equal to the
	# previous step's copy.
	pair=
	set -- $(steps)
	while [ $# -ge 2 ]; do
		for f in "$2"/*.c; do
			b=${f##*/}
			[ "$b" != "step$(num "$2").c" ] && [ -f "$1/$b" ] &&
				grep -q '^[[:space:]]*return -1;$' "$f" &&
				cmp -s "$tmp/s/$1/$b" "$tmp/s/$2/$b" &&
				pair="$1 $2 $b"
		done
		shift
	done
	if [ -z "$pair" ]; then
		echo "self-test: FAIL no carried .c file equal to its previous copy to change"
		st_fail=1
	else
		set -- $pair
		copy_steps "$1" "$2"
		f="$tmp/tree/$2/$3"
		run "$tmp/out0"
		base=$(tail -n1 "$tmp/out0" | cut -d' ' -f2)
		expect "$2/$3 as it is passes" "$base" "!FAIL $2/$3 " "$tmp/out0"
		cp "$f" "$tmp/orig"
		awk '!done && /^[ \t]*return -1;$/ { sub(/-1/, "-2"); done = 1 } 1' \
			"$tmp/orig" >"$f"
		run "$tmp/out1"
		expect "$2/$3 with one line changed fails" 1 \
			"FAIL $2/$3 differs from $1/$3 \\(\\+1 -1 lines" "$tmp/out1"
		expect "the failure says how to see the difference" 1 \
			"see:  scripts/homework.sh strip $1/$3 \\| diff -u - $2/$3" "$tmp/out1"
		grep -A1 "in $ALLOW:\$" "$tmp/out1" | grep "^ *step[0-9]* $3 " |
			head -n1 | sed 's/^ *//; s/<.*>/the self-test says so/' \
			>>"$tmp/tree/$ALLOW"
		run "$tmp/out2"
		expect "allowlisted as the failure says, it passes" "$base" \
			"!FAIL $2/$3 " "$tmp/out2"
		echo "/* a fix made in $1 and not copied forward */" >>"$f"
		run "$tmp/out3"
		expect "a second change to an allowlisted file fails" 1 \
			"FAIL $2/$3: its allowlisted difference from $1/$3 changed" "$tmp/out3"
		cp "$tmp/orig" "$f"
		run "$tmp/out4"
		expect "an entry for a file carried as is fails" 1 \
			"\"step$(num "$2") $3\" is allowlisted, but" "$tmp/out4"
	fi

	# 2. A function of 61 lines fails, one of 60 does not: on a copy of
	# the last step.
	for last in $(steps); do :; done
	main="$last/step$(num "$last").c"
	copy_steps "$last"
	long_function check_steps_sixty 60 >>"$tmp/tree/$main"
	long_function check_steps_sixty_one 61 >>"$tmp/tree/$main"
	run "$tmp/out5"
	expect "a function of 61 lines fails" 1 \
		"FAIL $main:[0-9]+: check_steps_sixty_one\\(\\) is 61 lines, over 60" \
		"$tmp/out5"
	expect "a function of 60 lines does not" 1 "!check_steps_sixty\\(\\)" "$tmp/out5"

	# 3. Each rule, on a file made to break it (and not to break it).
	self_test_rules
	if [ "$st_fail" -eq 0 ]; then
		echo "check-steps --self-test: ok (a carried file changed by one line, a function of 61 lines and each rule's fixture fail)"
		return 0
	fi
	echo "self-test: FAILED"
	return 1
}

# The rules on a file whose lines say which rule they break: "want RULE".
self_test_rules() {
	mkdir -p "$tmp/rules-fixture"
	f="$tmp/rules-fixture/fixture.c"
	ref="DESIGN"".md"
	cat >"$f" <<EOC
/* A fixture for scripts/check-steps.sh --self-test (see $ref); want doc */
#include <stdio.h>

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n == -1)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fixture(const char *p, char *buf, size_t size, int fds[2],
		   struct ops *ops, struct err *e)
{
	int fd = open(p, O_RDONLY); /* want cloexec */
	int ok = open(p, O_RDONLY | O_CLOEXEC);
	int ml = openat(AT_FDCWD, p, O_RDONLY | O_DIRECTORY |
			O_CLOEXEC);
	FILE *f1 = fopen(p, "r"); /* want cloexec */
	FILE *f2 = fopen(p, "re");
	int s = socket(AF_NETLINK, SOCK_RAW, 0); /* want cloexec */
	int n;

	pipe(fds); /* want cloexec */
	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	snprintf(buf, size, "%s", p); /* want snprintf */
	(void)snprintf(buf, size, "%s", p); /* want snprintf */
	if (p)
		snprintf(buf, size, "%s", p); /* want snprintf */
	sprintf(buf, "%s", p); /* want snprintf */
	n = snprintf(buf, size, "%s", p);
	if ((size_t)snprintf(buf, size, "%s", p) >= size)
		return -1;
	write(1, buf, 1); /* want write */
	/* allow-write: the self-test's excused line */
	write(1, buf, 1);
	ops->write(1, buf, 1);
	syscall(436, 3, ~0U, 0); /* want syscall */
	exit(1); /* want exit */
	_exit(1);
	if (mount(p, p, NULL, 0, NULL) < 0) /* want cmp */
		return -1;
	if (mount(p, p, NULL, 0, NULL) == -1)
		goto out;
	if (fixture_helper(p) < 0)
		goto out;
	if (strcmp(e->call, "write gid_map") == 0) /* want decide */
		return -1;
	if (strcmp(p, "write gid_map") == 0)
		return -1;
	int fd2 __attribute__((cleanup(closep))) = -1; /* want cleanup */
	/* open(2) in a comment is not a call, nor "write(" in a string */
	fixture_helper("write(1, p, 1); open(p, 0)");
	msg("%s", p); /* want print */
	n += 0; /* allow-exit: nothing to excuse here; want marker */
	goto fail;
fail: /* want label */
out:
	return n + fd + fd2 + ok + ml + s + (f1 != f2);
}

static int child(void *arg)
{
	msg("%s", (char *)arg);
	return 0;
}

static int give_up(struct err *e)
{
	report(e);
	return 125;
}

static int exec_it(char **argv)
{
	execvp(argv[0], argv);
	perror(argv[0]);
	return 127;
}

static int records(FILE *f, int fd)
{
	fprintf(f, "pid=%d\\n", 1);
	fprintf(stderr, "oops\\n"); /* want print */
	dprintf(fd, "pid=%d\\n", 1);
	dprintf(STDERR_FILENO, "oops\\n"); /* want print */
	if (fork() == 0)
		_exit(exec_it(NULL));
	return 0;
}

int main(void)
{
	static char stack[4096];

	msg("main may print");
	if (clone(child, stack + sizeof(stack), SIGCHLD, NULL) == -1)
		return give_up(NULL);
	exit(0);
}
EOC
	awk '{ while (match($0, /want [a-z]+/)) { print FILENAME ":" NR, substr($0, RSTART + 5, RLENGTH - 5); $0 = substr($0, RSTART + RLENGTH) } }' \
		"$f" | sort >"$tmp/want"
	set +e
	"$self" --rules "$f" >"$tmp/rules-out" 2>&1
	rc=$?
	set -e
	sed -n 's/^  FAIL \([^:]*:[0-9]*\): .*/\1/p' "$tmp/rules-out" >"$tmp/where"
	# The rule of each failure is in the hint line after its group.
	awk '/^  FAIL / { sub(/^  FAIL /, ""); sub(/: .*/, ""); w[++n] = $0; next }
	     /^       [a-z]+: / { r = $1; sub(/:$/, "", r); for (i = m + 1; i <= n; i++) print w[i], r; m = n }' \
		"$tmp/rules-out" | sort >"$tmp/have"
	if [ "$rc" -eq 1 ] && cmp -s "$tmp/want" "$tmp/have"; then
		echo "self-test: ok   each rule fails where it should and nowhere else ($(wc -l <"$tmp/want") lines)"
	else
		echo "self-test: FAIL the rules on a fixture (exit $rc, want 1); want vs have:"
		diff "$tmp/want" "$tmp/have" | sed 's/^/    /'
		st_fail=1
	fi
}

# ----------------------------------------------------------------- main ---
case "$mode" in
rules)
	rules "$@"
	[ "$nrules" -eq 0 ] || exit 1
	exit 0
	;;
self-test)
	self_test
	exit
	;;
esac

check_steps
rules
summary="$nsteps steps; functions $(count adds) added, $(count changes) changed, $(count keeps) kept; carried files $nsame as is, $nlessons allowlisted"
if [ "$fails" -eq 0 ] && [ "$nrules" -eq 0 ]; then
	echo "check-steps: ok: $summary"
	exit 0
fi
echo "check-steps: FAILED: $ndrift carried files differ, $nlong functions over $LIMIT lines, $nrules rule failures, $((fails - ndrift - nlong)) allowlist errors ($summary)"
exit 1
