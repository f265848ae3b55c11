#!/bin/bash
# A sandbox for one graded run (docs/homework.md, "The sandbox").
#
#   scripts/sandbox.sh run DIR -- COMMAND [ARG]...
#
# Runs COMMAND, as root, in new mount (private propagation), network, UTS,
# IPC and PID namespaces made by unshare(1) (--pid --fork --kill-child
# --mount-proc: when its PID 1 ends, the kernel kills everything in it), in
# a root of its own: the host's /usr and /etc read-only, a minimal /dev, its
# own /proc and /sys (of its network namespace), an empty /tmp, /var/tmp,
# /run and /root on tmpfs, and of the rest of the host only the paths listed
# in SANDBOX_SHOW (space-separated; "PATH" read-only, "PATH:rw" writable),
# each at its own place. Nothing else of the host is visible: not the
# repository, not its build/, not another checkout.
#
# Limits: SANDBOX_TIME seconds (timeout(1) kills it; default 600), a cgroup
# (v2, or v1's pids, memory and cpu hierarchies) with pids.max SANDBOX_PIDS
# (default 1000) and SANDBOX_MEMORY bytes (default 2 GiB), removed after.
# Inside, /sys/fs/cgroup shows that cgroup only (step08 makes its own below
# it). COMMAND runs in DIR with GRADE_SANDBOX=1 in its environment.
#
# A supervisor outside (this script) compares the sandbox's mounts, network
# links and processes once it is set up and once COMMAND has returned, then
# ends it. DIR (writable inside, at its own place) receives:
#   status     COMMAND's exit status, or "timeout"
#   leftovers  one line per thing COMMAND left behind (empty: nothing)
#   limits     one line per limit it reached ("pids 1000")
# Exits 0 when COMMAND ran (whatever its status), 124 on the time limit, 2
# when the sandbox could not be made.
#
# Every graded run pays for this script, and a command costs a fork and an
# exec: bash's builtins wait (read -t on FIFOs) and read /proc, and
# `mount -a -T FSTAB` makes a list of mounts in one command.
set -euo pipefail
shopt -s globstar nullglob
# The system's tools only, found at once (no shims of version managers).
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

die() {
	echo "sandbox: $*" >&2
	exit 2
}

SANDBOX_TIME=${SANDBOX_TIME:-600}
SANDBOX_PIDS=${SANDBOX_PIDS:-1000}
SANDBOX_MEMORY=${SANDBOX_MEMORY:-2147483648}
SANDBOX_SHOW=${SANDBOX_SHOW:-}

# ------------------------------------------------------------ cgroups ----
# v2 when /sys/fs/cgroup is a cgroup2 mount (a hybrid host counts as v1, as
# in step08). v2: nsworkshop-grade/ID at the root, its limits on ID, the
# processes in ID/run: ID itself holds none, so that step08 inside can
# enable controllers in it ("no internal processes", cgroups(7)). v1: ID
# below our own cgroup in each hierarchy of pids, memory and cpu (from
# /proc/self/cgroup), so that a grader that is itself limited stays so.
CG_V2=""
CG_DIRS=()  # every directory made: limits, leftovers, clean-up
CG_PROCS=() # the cgroup.procs files the sandbox starts in
CG_BINDS=() # "DIR NAME": shown inside as /sys/fs/cgroup/NAME

# "v2", or one line "MOUNTPOINT OURPATH" per v1 hierarchy of pids, memory
# or cpu.
cg_layout() {
	awk '
	FILENAME == "/proc/self/cgroup" {
		i = index($0, ":"); rest = substr($0, i + 1)
		j = index(rest, ":")
		path[substr(rest, 1, j - 1)] = substr(rest, j + 1)
		next
	}
	{
		for (i = 7; $i != "-"; i++) ;
		if ($5 == "/sys/fs/cgroup" && $(i + 1) == "cgroup2") { v2 = 1; exit }
		if ($(i + 1) != "cgroup") next
		n = split($NF, o, ",")
		for (j = 1; j <= n; j++)
			if (o[j] == "pids" || o[j] == "memory" || o[j] == "cpu")
				mnt[$5] = $NF
	}
	END {
		if (v2) { print "v2"; exit }
		for (m in mnt) {
			# /proc/self/cgroup names a hierarchy by its controllers
			n = split(mnt[m], o, ",")
			for (k in path)
				for (j = 1; j <= n; j++)
					if (("," k ",") ~ ("," o[j] ",") && !(m in done)) {
						print m, path[k]; done[m] = 1
					}
		}
	}' /proc/self/cgroup /proc/self/mountinfo
}

cg_setup() {
	local id=$1 layout m p d top c root=${SANDBOX_CGROUP2:-/sys/fs/cgroup}
	# (SANDBOX_CGROUP2=DIR: a cgroup2 mount to use as v2's root, whatever
	# /sys/fs/cgroup is: how the v2 path is tried on a hybrid host)
	if [[ -n ${SANDBOX_CGROUP2:-} ]]; then layout=v2; else layout=$(cg_layout); fi
	if [[ $layout == v2 ]]; then
		CG_V2=$root
		top=$root/nsworkshop-grade
		mkdir -p "$top/$id/run" || return 1
		for d in "$root" "$top" "$top/$id"; do
			for c in pids memory cpu; do
				grep -qw "$c" "$d/cgroup.subtree_control" ||
					echo "+$c" >"$d/cgroup.subtree_control" 2>/dev/null || true
			done
		done
		CG_DIRS=("$top/$id")
		CG_PROCS=("$top/$id/run/cgroup.procs")
		CG_BINDS=("$top/$id -")
		[[ ! -e $top/$id/pids.max ]] || echo "$SANDBOX_PIDS" >"$top/$id/pids.max"
		[[ ! -e $top/$id/memory.max ]] || echo "$SANDBOX_MEMORY" >"$top/$id/memory.max"
		[[ ! -e $top/$id/memory.swap.max ]] || echo 0 >"$top/$id/memory.swap.max"
		return 0
	fi
	while read -r m p; do
		[[ -n $m ]] || continue
		d=$m${p%/}/nsworkshop-grade-$id
		CG_DIRS+=("$d")
		CG_PROCS+=("$d/cgroup.procs")
		CG_BINDS+=("$d ${m##*/}")
	done <<<"$layout"
	((${#CG_DIRS[@]})) || return 1
	mkdir "${CG_DIRS[@]}" || return 1
	for d in "${CG_DIRS[@]}"; do
		[[ ! -e $d/pids.max ]] || echo "$SANDBOX_PIDS" >"$d/pids.max"
		[[ ! -e $d/memory.limit_in_bytes ]] || echo "$SANDBOX_MEMORY" >"$d/memory.limit_in_bytes"
	done
}

# The limits the sandbox reached, one line each: pids.events' "max", an
# OOM kill in memory.events (v2) or memory.oom_control (v1).
cg_limits() {
	local d key n
	for d in "${CG_DIRS[@]}"; do
		if [[ -r $d/pids.events ]]; then
			while read -r key n; do
				[[ $key != max || $n == 0 ]] || echo "pids $SANDBOX_PIDS"
			done <"$d/pids.events"
		fi
		for f in "$d/memory.events" "$d/memory.oom_control"; do
			[[ -r $f ]] || continue
			while read -r key n; do
				[[ $key != oom_kill || $n == 0 ]] || echo "memory $SANDBOX_MEMORY"
			done <"$f"
		done
	done
}

# Every directory below the cgroups, deepest first.
cg_subdirs() {
	local d sub
	for d in "${CG_DIRS[@]}"; do
		for sub in "$d"/**/; do
			[[ $sub == "$d/" ]] || echo "${sub%/}"
		done
	done | sort -r
}

# Kill every process of the cgroups and remove them, deepest first.
cg_cleanup() {
	((${#CG_DIRS[@]})) || return 0
	local d f i pids p
	for d in "${CG_DIRS[@]}"; do
		[[ ! -e $d/cgroup.kill ]] || echo 1 >"$d/cgroup.kill" 2>/dev/null || true
	done
	for ((i = 0; i < 50; i++)); do
		pids=()
		for d in "${CG_DIRS[@]}"; do
			for f in "$d"/cgroup.procs "$d"/**/cgroup.procs; do
				[[ -r $f ]] || continue
				while read -r p; do pids+=("$p"); done <"$f"
			done
		done
		((${#pids[@]})) || break
		kill -9 "${pids[@]}" 2>/dev/null || true
		sleep 0.1
	done
	# shellcheck disable=SC2046 # one cgroup a line, none with spaces
	rmdir $(cg_subdirs) "${CG_DIRS[@]}" 2>/dev/null || true
	for d in "${CG_DIRS[@]}"; do
		[[ ! -d $d ]] || echo "sandbox: could not remove the cgroup $d" >&2
	done
	[[ -z $CG_V2 ]] || rmdir "$CG_V2/nsworkshop-grade" 2>/dev/null || true
	CG_DIRS=()
}

# ------------------------------------------------- the supervisor's view --
# What the sandbox whose PID 1 is host PID $1 holds, one line each: its
# mount points, its network links, every process below its PID 1 (zombies
# aside: reaped, they are gone), the cgroups below the sandbox's (a
# step08-PID of a killed runtime). Builtins only: /proc is read, not run.
snapshot() {
	local pid1=$1 line f rest pid comm st pp a d
	local -A ppid=() name=() state=()
	while read -r _ _ _ _ line _; do
		echo "mount $line"
	done <"/proc/$pid1/mountinfo"
	{
		read -r _ && read -r _
		while read -r line _; do echo "link ${line%:}"; done
	} <"/proc/$pid1/net/dev"
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$f" || continue
		# "PID (COMM) STATE PPID ...": COMM may hold anything
		pid=${line%% *}
		rest=${line##*) }
		comm=${line#* (}
		comm=${comm%) *}
		st=${rest%% *}
		rest=${rest#* }
		pp=${rest%% *}
		ppid[$pid]=$pp state[$pid]=$st name[$pid]=$comm
	done
	for pid in "${!ppid[@]}"; do
		[[ ${state[$pid]} != Z && $pid != "$pid1" ]] || continue
		a=${ppid[$pid]}
		while [[ $a != "$pid1" && $a -gt 1 && -n ${ppid[$a]:-} ]]; do a=${ppid[$a]}; done
		[[ $a != "$pid1" ]] || echo "process ${name[$pid]}"
	done
	for d in "${CG_DIRS[@]}"; do
		for f in "$d"/**/; do
			f=${f%/}
			f=${f#"$d"}
			f=${f#/}
			[[ -z $f || $f == run || $f == nsworkshop ]] || echo "cgroup $f"
		done
	done
}

# What is in snapshot AFTER ($2) and not in BEFORE ($1), then what went
# ("gone: ").
differ() {
	local line
	local -A before=() after=()
	while IFS= read -r line; do before[$line]=1; done <<<"$1"
	while IFS= read -r line; do
		[[ -n $line ]] || continue
		after[$line]=1
		[[ -n ${before[$line]:-} ]] || echo "$line"
	done <<<"$2"
	for line in "${!before[@]}"; do
		[[ -z $line || -n ${after[$line]:-} ]] || echo "gone: $line"
	done
}

# The host PID of the sandbox's PID 1: the child of unshare, itself the
# child of timeout ($1).
sandbox_pid1() {
	local p=$1 c gen
	for gen in 1 2; do
		c=""
		# (the file ends without a newline: read says EOF, yet fills c)
		read -r c _ <"/proc/$p/task/$p/children" 2>/dev/null || true
		[[ -n $c ]] || return 1
		p=$c
	done
	echo "$p"
}

# Wait for a line on FD while job $2 lives (1 when it died first).
await() {
	local line
	until read -t 0.5 -r line <&"$1"; do
		kill -0 "$2" 2>/dev/null || read -t 0.1 -r line <&"$1" || return 1
	done
}

cmd_run() {
	local dir=$1 s p r show=() job pid1 rc=0 i left before
	shift
	[[ ${1:-} == -- ]] && shift
	(($#)) || die "usage: sandbox.sh run DIR -- COMMAND..."
	((EUID == 0)) || die "the sandbox needs root (namespaces, mounts, cgroups)"
	command -v unshare >/dev/null || die "no unshare(1): install util-linux"
	dir=$(cd "$dir" && pwd -P)
	[[ $dir != *[[:space:]]* ]] || die "$dir: a path with spaces"
	rm -rf "$dir/status" "$dir/leftovers" "$dir/limits" "$dir/root" "$dir/fifo"
	mkdir -p "$dir/root" "$dir/fifo"
	mkfifo "$dir/fifo/ready" "$dir/fifo/done" "$dir/fifo/go" "$dir/fifo/end"
	# Each shown path, resolved: it is mounted at its real place.
	for s in $SANDBOX_SHOW "$dir:rw"; do
		p=${s%:rw}
		[[ -e $p ]] || continue
		if [[ -d $p ]]; then r=$(cd "$p" && pwd -P); else r=$(cd "${p%/*}" && pwd -P)/${p##*/}; fi
		[[ $r != *[[:space:]]* ]] || die "$r: a path with spaces cannot be shown"
		show+=("$r${s#"$p"}")
	done
	trap 'cg_cleanup' EXIT
	trap 'exit 2' INT TERM
	cg_setup $$ || die "cannot make a cgroup for the sandbox"
	plan "$dir" "${show[@]}"

	# The supervisor holds every FIFO open both ways: no open blocks, and
	# a line written to one waits there for its reader.
	exec 3<>"$dir/fifo/ready" 4<>"$dir/fifo/done" 5<>"$dir/fifo/go" 6<>"$dir/fifo/end"
	# Into the cgroup first, so that everything the sandbox starts is in it.
	(
		for p in "${CG_PROCS[@]}"; do echo "$BASHPID" >"$p"; done
		exec 3>&- 4>&- 5>&- 6>&- timeout -s KILL "$SANDBOX_TIME" \
			unshare --mount --propagation private --net --uts --ipc \
			--pid --fork --kill-child --mount-proc \
			/bin/bash "$0" inner "$dir" -- "$@"
	) &
	job=$!
	await 3 $job || { wait $job || true; die "the sandbox did not start (see the messages above)"; }
	pid1=$(sandbox_pid1 $job) || die "cannot find the sandbox's PID 1"
	before=$(snapshot "$pid1")
	echo go >&5
	if await 4 $job; then
		# Let what the runs ended settle (a container dying of its
		# runtime's PDEATHSIG, a veth going with its namespace), then look.
		for ((i = 0; i < 10; i++)); do
			left=$(differ "$before" "$(snapshot "$pid1")")
			[[ -n $left ]] || break
			sleep 0.1
		done
		printf '%s' "${left:+$left$'\n'}" >"$dir/leftovers"
		echo end >&6
		wait $job || true
	else
		wait $job || rc=$?
		echo timeout >"$dir/status"
		: >"$dir/leftovers"
	fi
	exec 3>&- 4>&- 5>&- 6>&-
	cg_limits >"$dir/limits"
	cg_cleanup
	trap - EXIT
	rm -rf "$dir/fifo" "$dir/root" "$dir/plan"
	((rc == 0)) || return 124
}

# What only root or a group may read in the host's /etc (shadow, gshadow,
# private keys) is hidden: root in the sandbox reads any file, and a
# submission that includes /etc/shadow would find its lines in the
# compiler's errors, its own feedback. /dev/null over a file, an empty
# tmpfs over a directory; fstab(5) writes a space as \040.
hidden() {
	local new=$1 f
	while IFS= read -r f; do
		if [[ -d $f ]]; then
			echo "nsw-hidden $new${f// /\\040} tmpfs ro,mode=0700 0 0"
		else
			echo "/dev/null $new${f// /\\040} none bind,ro 0 0"
		fi
	done < <(find /etc -xdev \( -type d ! -perm -o=rx -prune -print \) -o \
		\( ! -type d ! -type l ! -perm -o=r -print \) 2>/dev/null)
}

# plan DIR SHOWN...: what the inside builds, written before it starts:
# DIR/plan/dirs and files (the mount points to make), fstab1 (/usr, /etc,
# /dev, /proc, /sys) and fstab2 (the cgroups and the shown paths), each
# mounted by one `mount -a -T`.
plan() {
	local dir=$1 new=$1/root s p b
	shift
	mkdir -p "$dir/plan"
	{
		echo usr etc dev/pts dev/shm dev/mqueue proc sys run var/lib root .old
		for s; do
			p=${s%:rw}
			if [[ -d $p ]]; then echo ".$p"; else echo ".${p%/*}"; fi
		done
	} >"$dir/plan/dirs"
	for s; do
		p=${s%:rw}
		[[ -d $p ]] || echo ".$p"
	done >"$dir/plan/files"
	{
		echo "/usr $new/usr none bind,ro 0 0"
		echo "/etc $new/etc none bind,ro 0 0"
		hidden "$new"
		for l in /bin /sbin /lib /lib32 /lib64 /libx32; do
			[[ -L $l || ! -d $l ]] || echo "$l $new$l none bind,ro 0 0"
		done
		echo "devpts $new/dev/pts devpts newinstance,ptmxmode=0666,mode=0620 0 0"
		echo "shm $new/dev/shm tmpfs mode=1777,nosuid,nodev 0 0"
		echo "mqueue $new/dev/mqueue mqueue defaults 0 0"
		echo "proc $new/proc proc nosuid,nodev,noexec 0 0"
		# a sysfs mounted in the sandbox shows its network namespace's links
		echo "sysfs $new/sys sysfs nosuid,nodev,noexec 0 0"
		[[ -n $CG_V2 ]] || echo "cgroup $new/sys/fs/cgroup tmpfs mode=0755 0 0"
	} >"$dir/plan/fstab1"
	{
		for b in "${CG_BINDS[@]}"; do
			if [[ ${b#* } == - ]]; then
				echo "${b% *} $new/sys/fs/cgroup none bind 0 0"
			else
				echo "${b% *} $new/sys/fs/cgroup/${b#* } none bind 0 0"
			fi
		done
		for s; do
			p=${s%:rw}
			if [[ $p == "$s" ]]; then
				echo "$p $new$p none bind,ro 0 0"
			else
				echo "$p $new$p none bind 0 0"
			fi
		done
	} >"$dir/plan/fstab2"
	for b in "${CG_BINDS[@]}"; do
		[[ ${b#* } == - ]] || echo "sys/fs/cgroup/${b#* }"
	done >"$dir/plan/cgdirs"
}

# ------------------------------------------------------------ inside ----
# PID 1 of the new namespaces: build the root in DIR/root as DIR/plan says,
# pivot into it, tell the supervisor, run COMMAND, tell it again, wait for
# the end.
cmd_inner() {
	local dir=$1 new=$1/root links=() l rc=0 line
	shift
	[[ ${1:-} == -- ]] && shift
	mount -t tmpfs -o mode=0755 nsw-sandbox "$new"
	cd "$new"
	mkdir -p -m 1777 tmp var/tmp
	# shellcheck disable=SC2046 # one path a line, none with spaces
	mkdir -p $(<"$dir/plan/dirs")
	[[ ! -s $dir/plan/files ]] || touch $(<"$dir/plan/files")
	# The host's character devices (cp makes the nodes, mknod(2) as root,
	# owned by root whoever owns the host's) and its links /bin ->
	# usr/bin... as they are (merged /usr or not).
	for l in /bin /sbin /lib /lib32 /lib64 /libx32; do
		[[ ! -L $l ]] || links+=("$l")
	done
	cp -a --no-preserve=ownership /dev/null /dev/zero /dev/full /dev/random \
		/dev/urandom /dev/tty /dev/fd /dev/stdin /dev/stdout /dev/stderr dev/
	((${#links[@]} == 0)) || cp -a "${links[@]}" .
	ln -s pts/ptmx dev/ptmx
	mount -a -T "$dir/plan/fstab1"
	[[ ! -s $dir/plan/cgdirs ]] || mkdir $(<"$dir/plan/cgdirs")
	mount -a -T "$dir/plan/fstab2"
	pivot_root . .old
	cd /
	umount -l /.old
	rmdir /.old
	ip link set lo up
	echo ready >"$dir/fifo/ready"
	read -r line <"$dir/fifo/go"
	cd "$dir"
	HOME=/root GRADE_SANDBOX=1 "$@" || rc=$?
	echo "$rc" >"$dir/status"
	echo done >"$dir/fifo/done"
	read -r line <"$dir/fifo/end"
}

cmd=${1:-}
(($#)) && shift
case "$cmd" in
run) cmd_run "$@" ;;
inner) cmd_inner "$@" ;;
*)
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
	exit 2
	;;
esac
