#!/bin/sh
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
# in SANDBOX_SHOW (space-separated; "PATH" read-only, "PATH:rw" writable,
# "PATH:copy" a copy on the sandbox's tmpfs, not a mount point: the rootfs,
# which the step03 suite looks for in the mount table), each at its own
# place. Nothing else of the host is visible: not the repository, not its
# build/, not another checkout.
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
set -eu
# The system's tools only, and no lookup through shims: every command here
# is paid on every graded run.
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
CG_DIRS=""  # every directory made: limits, leftovers, clean-up
CG_PROCS="" # the cgroup.procs files the sandbox starts in
CG_BINDS="" # "DIR:NAME", shown inside as /sys/fs/cgroup/NAME

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
	id=$1
	layout=$(cg_layout)
	if [ "$layout" = v2 ]; then
		CG_V2=1
		top=/sys/fs/cgroup/nsworkshop-grade
		mkdir -p "$top"
		for d in /sys/fs/cgroup "$top"; do
			for c in pids memory cpu; do
				grep -qw "$c" "$d/cgroup.subtree_control" ||
					echo "+$c" >"$d/cgroup.subtree_control" 2>/dev/null || true
			done
		done
		mkdir "$top/$id" "$top/$id/run" || return 1
		CG_DIRS=$top/$id
		CG_PROCS=$top/$id/run/cgroup.procs
		CG_BINDS=$top/$id:
		[ ! -e "$top/$id/pids.max" ] || echo "$SANDBOX_PIDS" >"$top/$id/pids.max"
		[ ! -e "$top/$id/memory.max" ] || echo "$SANDBOX_MEMORY" >"$top/$id/memory.max"
		[ ! -e "$top/$id/memory.swap.max" ] || echo 0 >"$top/$id/memory.swap.max"
		return 0
	fi
	while read -r m p; do
		[ -n "$m" ] || continue
		d=$m${p%/}/nsworkshop-grade-$id
		mkdir "$d" || return 1
		CG_DIRS="$CG_DIRS $d"
		CG_PROCS="$CG_PROCS $d/cgroup.procs"
		CG_BINDS="$CG_BINDS $d:${m##*/}"
		[ ! -e "$d/pids.max" ] || echo "$SANDBOX_PIDS" >"$d/pids.max"
		[ ! -e "$d/memory.limit_in_bytes" ] || echo "$SANDBOX_MEMORY" >"$d/memory.limit_in_bytes"
	done <<EOT
$layout
EOT
	[ -n "$CG_DIRS" ]
}

# The limits the sandbox reached, one line each: pids.events' "max", an
# OOM kill in memory.events (v2) or memory.oom_control (v1).
cg_limits() {
	set --
	for d in $CG_DIRS; do
		for f in pids.events memory.events memory.oom_control; do
			[ ! -r "$d/$f" ] || set -- "$@" "$d/$f"
		done
	done
	[ $# -gt 0 ] || return 0
	awk -v pids="$SANDBOX_PIDS" -v mem="$SANDBOX_MEMORY" '
		FILENAME ~ /pids.events$/ && $1 == "max" && $2 > 0 { l["pids " pids] = 1 }
		FILENAME ~ /memory/ && $1 == "oom_kill" && $2 > 0 { l["memory " mem] = 1 }
		END { for (k in l) print k }' "$@"
}

# Kill every process of the cgroups and remove them, deepest first.
cg_cleanup() {
	[ -n "$CG_DIRS" ] || return 0
	for d in $CG_DIRS; do
		[ ! -e "$d/cgroup.kill" ] || echo 1 >"$d/cgroup.kill" 2>/dev/null || true
	done
	i=0
	while [ $i -lt 50 ]; do
		pids=$(find $CG_DIRS -name cgroup.procs -exec cat {} + 2>/dev/null)
		[ -n "$pids" ] || break
		kill -9 $pids 2>/dev/null || true
		sleep 0.1
		i=$((i + 1))
	done
	find $CG_DIRS -depth -type d -exec rmdir {} + 2>/dev/null || true
	for d in $CG_DIRS; do
		[ ! -d "$d" ] || echo "sandbox: could not remove the cgroup $d" >&2
	done
	[ -z "$CG_V2" ] || rmdir /sys/fs/cgroup/nsworkshop-grade 2>/dev/null || true
	CG_DIRS=""
}

# ------------------------------------------------- the supervisor's view --
# What the sandbox whose PID 1 is host PID $1 holds: its mount points, its
# network links, every process below its PID 1 (zombies aside: reaped,
# they are gone).
snapshot() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v top="$1" '
		FILENAME ~ /mountinfo$/ { print "mount " $5 " (" $(NF - 2) ")"; next }
		FILENAME ~ /net\/dev$/ { if (FNR > 2) { sub(/:.*/, "", $1); print "link " $1 }; next }
		{
			# "PID (COMM) STATE PPID ...": COMM may hold anything
			i = index($0, " ("); j = 0
			for (k = length($0) - 1; k > i; k--)
				if (substr($0, k, 2) == ") ") { j = k; break }
			if (!i || !j) next
			pid = substr($0, 1, i - 1)
			split(substr($0, j + 2), f, " ")
			comm[pid] = substr($0, i + 2, j - i - 2); st[pid] = f[1]; ppid[pid] = f[2]
		}
		END {
			for (p in ppid) {
				if (st[p] == "Z" || p == top) continue
				for (a = ppid[p]; a > 1 && a != top && (a in ppid); a = ppid[a]) ;
				if (a == top) print "process " comm[p]
			}
		}' - "/proc/$1/mountinfo" "/proc/$1/net/dev" | sort
}

# What is in AFTER ($2) and not in BEFORE ($1), what went ("gone: "), and
# the cgroups left below the sandbox's (a step08-PID of a killed runtime).
leftovers() {
	find $CG_DIRS -mindepth 1 -type d 2>/dev/null | awk -v dirs="$CG_DIRS" '
		FILENAME == ARGV[1] { before[$0] = 1; next }
		FILENAME == ARGV[2] { if (!($0 in before)) print; else seen[$0] = 1; next }
		{
			n = split(dirs, d, " ")
			for (i = 1; i <= n; i++)
				if (index($0, d[i] "/") == 1) $0 = substr($0, length(d[i]) + 2)
			if ($0 != "run" && $0 != "nsworkshop") print "cgroup " $0
		}
		END { for (k in before) if (!(k in seen)) print "gone: " k }' "$1" "$2" -
}

# The host PID of the sandbox's PID 1: the child of unshare, itself the
# child of timeout ($1).
sandbox_pid1() {
	p=$1
	for gen in 1 2; do
		c=""
		# (the file ends without a newline: read says EOF, yet fills c)
		read -r c _ <"/proc/$p/task/$p/children" 2>/dev/null || true
		[ -n "$c" ] || return 1
		p=$c
	done
	echo "$p"
}

# Wait for FILE to exist while job $2 lives.
await() {
	while [ ! -e "$1" ]; do
		kill -0 "$2" 2>/dev/null || [ -e "$1" ] || return 1
		sleep 0.02
	done
}

cmd_run() {
	dir=$1
	shift
	[ "${1:-}" = -- ] && shift
	[ $# -gt 0 ] || die "usage: sandbox.sh run DIR -- COMMAND..."
	[ "$(id -u)" = 0 ] || die "the sandbox needs root (namespaces, mounts, cgroups)"
	command -v unshare >/dev/null || die "no unshare(1): install util-linux"
	dir=$(cd "$dir" && pwd -P)
	case "$dir" in *[[:space:]]*) die "$dir: a path with spaces" ;; esac
	# Each shown path, resolved: it is mounted at its real place.
	rm -rf "$dir/status" "$dir/leftovers" "$dir/limits" "$dir/ready" \
		"$dir/done" "$dir/go" "$dir/end" "$dir/root" "$dir/show"
	mkdir "$dir/root"
	mkfifo "$dir/go" "$dir/end"
	for s in $SANDBOX_SHOW "$dir:rw"; do
		p=${s%:*}
		[ "$p" != "$s" ] || p=$s
		[ -e "$p" ] || continue
		if [ -d "$p" ]; then
			r=$(cd "$p" && pwd -P)
		else
			r=$(cd "${p%/*}" && pwd -P)/${p##*/}
		fi
		case "$r" in *[[:space:]]*) die "$r: a path with spaces cannot be shown" ;; esac
		echo "$r${s#"$p"}" >>"$dir/show"
	done
	trap 'cg_cleanup' EXIT
	trap 'exit 2' INT TERM
	cg_setup $$ || die "cannot make a cgroup for the sandbox"

	# Into the cgroup first, so that everything the sandbox starts is in it.
	# shellcheck disable=SC2016 # $$ and $1 are the inner shell's
	sh -c 'while [ "$1" != -- ]; do echo $$ >"$1" || exit 2; shift; done
		shift; exec "$@"' launch $CG_PROCS -- \
		timeout -s KILL "$SANDBOX_TIME" \
		unshare --mount --propagation private --net --uts --ipc \
		--pid --fork --kill-child --mount-proc \
		/bin/sh "$0" inner "$dir" "$CG_BINDS" -- "$@" &
	job=$!
	if ! await "$dir/ready" $job; then
		wait $job || true
		die "the sandbox did not start (see the messages above)"
	fi
	pid1=$(sandbox_pid1 $job) || die "cannot find the sandbox's PID 1"
	snapshot "$pid1" >"$dir/before"
	# (a FIFO: the open waits for the reader; in a subshell in case it died)
	(echo go >"$dir/go") &
	rc=0
	if await "$dir/done" $job; then
		# Let what the runs ended settle (a container dying of its
		# runtime's PDEATHSIG, a veth going with its namespace), then look.
		i=0
		while [ $i -lt 10 ]; do
			snapshot "$pid1" >"$dir/after"
			cmp -s "$dir/before" "$dir/after" && break
			sleep 0.1
			i=$((i + 1))
		done
		leftovers "$dir/before" "$dir/after" >"$dir/leftovers"
		(echo end >"$dir/end") &
		wait $job || true
	else
		wait $job || rc=$?
		echo timeout >"$dir/status"
		: >"$dir/leftovers"
	fi
	cg_limits >"$dir/limits"
	cg_cleanup
	trap - EXIT
	# a writer left waiting on a FIFO whose reader died
	kill $(jobs -p) 2>/dev/null || true
	[ -n "${SANDBOX_KEEP:-}" ] || rm -rf "$dir/go" "$dir/end" "$dir/ready" "$dir/done" "$dir/before" \
		"$dir/after" "$dir/root" "$dir/show"
	[ "$rc" = 0 ] || return 124
}

# ------------------------------------------------------------ inside ----
# PID 1 of the new namespaces: build the root in DIR/root, pivot into it,
# tell the supervisor, run COMMAND, tell it again, wait for the end. As
# few commands as will do: each is a fork and an exec, paid on every run.
cmd_inner() {
	dir=$1 binds=$2
	shift 2
	[ "${1:-}" = -- ] && shift
	new=$dir/root
	mount -t tmpfs -o mode=0755 nsw-sandbox "$new"
	cd "$new"
	# Mount points: the fixed ones, the cgroups', each shown path's.
	dirs="" files="" cgs=""
	for b in $binds; do
		[ -z "${b#*:}" ] || cgs="$cgs sys/fs/cgroup/${b#*:}"
	done
	while read -r s; do
		p=${s%:*}
		[ "$p" != "$s" ] || p=$s
		if [ -d "$p" ] && [ "${s#"$p"}" != :copy ]; then
			dirs="$dirs .$p"
		else
			dirs="$dirs .${p%/*}"
			[ "${s#"$p"}" = :copy ] || files="$files .$p"
		fi
	done <"$dir/show"
	mkdir -p -m 1777 tmp var/tmp
	mkdir -p usr etc dev/pts dev/shm dev/mqueue proc sys run var/lib root $dirs
	[ -z "$files" ] || touch $files
	# The host's character devices (cp makes the nodes, mknod(2) as root,
	# owned by root whoever owns the host's) and its links /bin ->
	# usr/bin... as they are (merged /usr or not).
	links=""
	for l in /bin /sbin /lib /lib32 /lib64 /libx32; do
		[ ! -L "$l" ] || links="$links $l"
	done
	cp -a --no-preserve=ownership /dev/null /dev/zero /dev/full /dev/random \
		/dev/urandom /dev/tty /dev/fd /dev/stdin /dev/stdout /dev/stderr dev/
	[ -z "$links" ] || cp -a $links .
	ln -s pts/ptmx dev/ptmx
	mount --bind -o ro /usr usr
	mount --bind -o ro /etc etc
	for l in /bin /sbin /lib /lib32 /lib64 /libx32; do
		[ -L "$l" ] || [ ! -d "$l" ] || { mkdir ".$l" && mount --bind -o ro "$l" ".$l"; }
	done
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts dev/pts
	mount -t tmpfs -o mode=1777,nosuid,nodev shm dev/shm
	mount -t mqueue mqueue dev/mqueue
	mount -t proc -o nosuid,nodev,noexec proc proc
	# A sysfs mounted here shows this network namespace's links.
	mount -t sysfs -o nosuid,nodev,noexec sysfs sys
	case "$binds" in
	*:) ;; # v2: the cgroup itself is /sys/fs/cgroup
	*)
		mount -t tmpfs -o mode=0755 cgroup sys/fs/cgroup
		mkdir $cgs
		;;
	esac
	for b in $binds; do
		mount --bind "${b%:*}" "sys/fs/cgroup/${b#*:}"
	done
	while read -r s; do
		p=${s%:*}
		[ "$p" != "$s" ] || p=$s
		case "${s#"$p"}" in
		:copy) cp -a "$p" ".$p" ;;
		:rw) mount --bind "$p" ".$p" ;;
		*) mount --bind -o ro "$p" ".$p" ;;
		esac
	done <"$dir/show"
	mkdir .old
	pivot_root . .old
	cd /
	umount -l /.old
	rmdir /.old
	ip link set lo up
	: >"$dir/ready"
	read -r _ <"$dir/go"
	cd "$dir"
	rc=0
	HOME=/root GRADE_SANDBOX=1 "$@" || rc=$?
	echo "$rc" >"$dir/status"
	: >"$dir/done"
	read -r _ <"$dir/end"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
run) cmd_run "$@" ;;
inner) cmd_inner "$@" ;;
*)
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
	exit 2
	;;
esac
