#!/bin/sh
# sudo make demo: a guided tour of the finished container (step07 and set_ns).
#
# `make demo` runs this after installing what is missing, building and
# making the rootfs. It checks the machine (scripts/doctor.sh --quiet), then
# shows, one namespace at a time, a short explanation, the real command
# (after "$ ") and its real output. With a terminal on stdin it ends in a
# shell inside the final container; otherwise it exits 0, so a test can run it.
#
#   STEPS_DIR=DIR   run the binaries in DIR (default: the repository root),
#                   like the test suites; DIR holds step07, set_ns and rootfs/
#   DEMO_NAME=NAME  the --name of the demo's containers (default: demo-web)
#   NO_COLOR=1      no colours (there are none when stdout is not a terminal)
#
# Every container it starts is stopped when it ends, however it ends: it
# leaves no process, veth link (nsw*), /run/nsworkshop record or temporary
# directory behind. Only the final interactive container outlives the
# script's own cleanup, and it cleans up after itself when you `exit`.
set -u

case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
repo=$(cd "$here/.." && pwd) || exit 1
# STEPS_DIR is relative to where we were started, as in the test harness.
steps=$(cd "${STEPS_DIR:-$repo}" 2>/dev/null && pwd) || {
	echo "demo: STEPS_DIR=${STEPS_DIR-} is not a directory" >&2
	exit 1
}
name=${DEMO_NAME:-demo-web}

if [ -t 1 ] && [ -z "${NO_COLOR-}" ]; then
	esc=$(printf '\033')
	c_head="${esc}[1;36m" c_cmd="${esc}[1m" c_note="${esc}[33m" c_off="${esc}[0m"
else
	c_head='' c_cmd='' c_note='' c_off=''
fi

die() {
	echo "demo: $*" >&2
	exit 1
}

if [ "$(id -u)" != 0 ]; then
	die "the tour needs root (veth networking, a uid map of 65536 ids): sudo make demo
      without root, step06 and step07 --net none work: ./step07 --net none"
fi
for f in step07 set_ns; do
	[ -x "$steps/$f" ] || die "$steps/$f is not built: run make first (sudo make demo does it)"
done
[ -x "$steps/rootfs/bin/busybox" ] || die "$steps/rootfs is missing: run make rootfs"

# The machine first: stop with the doctor's advice if something essential
# is missing; its warnings are printed and the tour goes on.
"$repo/scripts/doctor.sh" --quiet || die "the machine is not ready: see the doctor's advice above"

# ------------------------------------------------------------ cleanup ---
# The rootless part runs a copy of step07 and rootfs/ as nobody, from a
# directory where nobody may execute. Hardened machines mount /tmp noexec:
# try $TMPDIR, /tmp, /var/tmp and /dev/shm, and keep the first where a copy
# of step07 really runs as uid 65534.
tmp='' tried='' rootless_skip='' tmp_note=''
for base in ${TMPDIR:+"$TMPDIR"} /tmp /var/tmp /dev/shm; do
	d=$(mktemp -d "$base/nsw-demo-XXXXXX" 2>/dev/null) || {
		tried="$tried $base"
		continue
	}
	chmod 755 "$d"
	if cp "$steps/step07" "$d/" && setpriv --reuid 65534 --regid 65534 \
		--clear-groups "$d/step07" --help >/dev/null 2>&1; then
		tmp=$d
		break
	fi
	rm -rf "$d"
	tried="$tried $base"
done
if [ -z "$tmp" ]; then
	rootless_skip="uid 65534 may execute in none of:$tried (noexec mounts, or closed to it)"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/nsw-demo-XXXXXX") || die "mktemp failed"
elif [ -n "$tried" ]; then
	tmp_note="(temporary files in $tmp: uid 65534 may not execute in$tried)"
fi
# AppArmor on Ubuntu >= 23.10 lets nobody make a user namespace but takes
# its capabilities away (make doctor explains it).
if [ -z "$rootless_skip" ] && ! (cd / && setpriv --reuid 65534 --regid 65534 \
	--clear-groups unshare --user --map-root-user true) >/dev/null 2>&1; then
	rootless_skip="uid 65534 cannot make a user namespace here (make doctor says why)"
fi
bgs=''      # runtimes started in the background (bg_start)
detached='' # "container-PID:supervisor-PID" of step07 -d

# Wait up to $2 tenths of a second for process $1 to be gone (a zombie counts).
wait_gone() {
	i=0
	while [ "$i" -lt "$2" ]; do
		st=''
		[ -r "/proc/$1/stat" ] && read -r st <"/proc/$1/stat" 2>/dev/null
		case $st in '' | *") Z "* | *") X "*) return 0 ;; esac
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

cleanup() {
	exec 3>&- # a background container waiting on `read` gets EOF
	for d in $detached; do
		kill -KILL "${d%%:*}" 2>/dev/null
	done
	for p in $bgs; do
		wait_gone "$p" 20 || kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	# The supervisor of a detached container removes its veth link and
	# its record once the container is gone: wait for it.
	for d in $detached; do
		wait_gone "${d#*:}" 50
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ------------------------------------------------------------ showing ---
part() { printf '\n%s== %s ==%s\n' "$c_head" "$*" "$c_off"; }
note() { printf '%s%s%s\n' "$c_note" "$*" "$c_off"; }

# run CMD: show it, run it in this shell, fail the tour if it fails.
run() {
	printf '%s$ %s%s\n' "$c_cmd" "$1" "$c_off"
	eval "$1" 3>&- 2>&1 || die "this command failed (status $?): $1"
}

# try CMD: show it and run it; its failure is part of the lesson.
try() {
	printf '%s$ %s%s\n' "$c_cmd" "$1" "$c_off"
	eval "$1" 3>&- 2>&1
	return 0
}

# capture CMD: like run, and its stdout in $out.
capture() {
	printf '%s$ %s%s\n' "$c_cmd" "$1" "$c_off"
	out=$(eval "$1" 3>&- 2>"$tmp/err") || {
		cat "$tmp/err"
		die "this command failed: $1"
	}
	cat "$tmp/err"
	[ -n "$out" ] && echo "$out"
	return 0
}

# bg_start CMD PATTERN: run the container CMD in the background, as one
# would with `&` in a terminal, its stdin a FIFO that we hold open (so its
# `read x` waits); show what it printed once PATTERN (grep -E) appeared.
# Sets $bg (the runtime) and $child (the container's PID on the host, from
# the runtime's "child PID on host" line).
bg_start() {
	printf '%s$ %s &%s\n' "$c_cmd" "$1" "$c_off"
	rm -f "$tmp/fifo" "$tmp/bg.out"
	mkfifo "$tmp/fifo"
	: >"$tmp/bg.out"
	(eval "exec $1") <"$tmp/fifo" >"$tmp/bg.out" 2>&1 &
	bg=$!
	bgs="$bgs $bg"
	exec 3>"$tmp/fifo"
	i=0
	until grep -q 'child PID on host: [0-9]' "$tmp/bg.out" &&
		grep -Eq "$2" "$tmp/bg.out"; do
		if [ "$i" -ge 100 ] || ! kill -0 "$bg" 2>/dev/null; then
			cat "$tmp/bg.out"
			die "the container did not print /$2/ (see above)"
		fi
		sleep 0.05
		i=$((i + 1))
	done
	cat "$tmp/bg.out"
	child=$(sed -n 's/.*child PID on host: \([0-9][0-9]*\).*/\1/p' "$tmp/bg.out" | head -n1)
}

# bg_stop: press Enter for the container (its `read x` returns, it exits).
# The subshell ignores SIGPIPE, should the container be gone already.
bg_stop() {
	(trap '' PIPE && echo >&3) 2>/dev/null
	exec 3>&-
	wait "$bg" || die "the background container failed (status $?)"
	note "(we pressed Enter for its read: the container exited)"
}

# stop_detached PID: SIGKILL a step07 -d container, wait for its supervisor.
told_kill=''
stop_detached() {
	if [ -z "$told_kill" ]; then
		note "PID 1 of a namespace only gets the signals it has a handler for: a"
		note "plain sleep ignores SIGTERM (docker stop waits 10 s, then kills;"
		note "--init fixes that). SIGKILL from the host always works:"
		told_kill=1
	else
		note "Stop it, as before:"
	fi
	run "kill -KILL $1"
	for d in $detached; do
		[ "${d%%:*}" = "$1" ] && wait_gone "${d#*:}" 50
	done
}

# detach CMD: start a named container with step07 -d; $pid is its host PID.
detach() {
	capture "$1"
	pid=$out
	case $pid in '' | *[!0-9]*) die "step07 -d printed '$pid', not a PID" ;; esac
	sup=''
	[ -r "/run/nsworkshop/$name.state" ] &&
		sup=$(sed -n 's/^runtime=//p' "/run/nsworkshop/$name.state")
	detached="$detached $pid:${sup:-$pid}"
}

cd "$steps" || exit 1
if [ "$steps" != "$repo" ]; then
	note "(binaries from STEPS_DIR=$steps)"
fi
[ -z "$tmp_note" ] || note "$tmp_note"
printf '%sThe namespace workshop: a tour of the finished container (step07).%s\n' "$c_head" "$c_off"
echo "Each part says what to notice, then runs the real command (after \$ )."

# ---------------------------------------------------------------- PID ---
part "1. PID namespace: PID 1 inside, another PID on the host"
echo "clone(CLONE_NEWPID) starts the command as PID 1 of a new PID namespace:"
echo "it sees its own processes only (ps shows one: PID 1, our sh, which ran ps"
echo "in its own place). -q hides the runtime's line; --net none: no network yet."
run "./step07 -q --net none sh -c 'echo \$\$; ps'"
echo
echo "Without -q the runtime says which PID the host gave the same process. The"
echo "container waits on 'read' while we look at it from the host: NSpid lists"
echo "its PID in each namespace, the host's first."
bg_start "./step07 --net none sh -c 'echo \"PID inside: \$\$\"; read x'" 'PID inside: [0-9]'
run "grep NSpid /proc/$child/status"
bg_stop

# ------------------------------------------------------------- rootfs ---
part "2. mount namespace: its own root filesystem"
echo "CLONE_NEWNS gives it a private copy of the mount table; pivot_root makes"
echo "rootfs/ (busybox, from make rootfs) its /, with its own /proc, /dev, /tmp."
echo "Outside:"
run "ls -C /"
echo "Inside:"
run "./step07 -q --net none ls -C /"
echo "Its mount table (mount point, type, source): / is rootfs/; the last lines"
echo "are step07's hardening, as Docker's: masked and read-only /proc and /sys paths."
run "./step07 -q --net none awk '{ print \$5, \$(NF-2), \$4 }' /proc/self/mountinfo"

# ----------------------------------------------------------- hostname ---
part "3. UTS namespace: its own hostname"
echo "CLONE_NEWUTS: sethostname() inside changes the container's name only."
run "./step07 -q --net none --hostname demo hostname"
run "hostname"

# ------------------------------------------------------------ network ---
part "4. network namespace: eth0, and a veth pair to the host"
echo "CLONE_NEWNET starts with only a 'lo'. The runtime adds a veth pair: eth0"
echo "inside, nsw<PID> on the host, a /30 of 10.201.0.0/16. -d (detach) prints"
echo "the container's host PID, like docker run -d its ID."
detach "./step07 -q --name $name -d sleep 30"
echo "set_ns is this workshop's docker exec: it runs ip in the container."
capture "./set_ns --name $name ip -o -4 addr show eth0"
addr=$(echo "$out" | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p' | head -n1)
[ -n "$addr" ] || die "no IPv4 address on the container's eth0"
echo "The host's end of the pair:"
run "ip -br -4 addr show nsw$pid"
echo "The host reaches the container over it (and nowhere else: nothing is routed):"
run "ping -c1 -W2 $addr"
stop_detached "$pid"
echo "The runtime's supervisor removed the host's end with the container:"
try "ip -o link show nsw$pid"

# --------------------------------------------------------------- user ---
part "5. user namespace: root inside, an unprivileged uid outside"
echo "CLONE_NEWUSER and a uid map: as root, step07 maps container ids 0-65535"
echo "to host ids 100000-165535. uid 0 inside is uid 100000 on the host, which"
echo "owns nothing there."
bg_start "./step07 --net none sh -c 'id; cat /proc/self/uid_map; read x'" '^ *0 +100000 +65536'
run "grep Uid /proc/$child/status"
bg_stop
echo
echo "Rootless: a user namespace needs no privilege. As nobody (uid 65534),"
echo "from a world-readable copy of step07 and rootfs/, uid 0 inside is 65534"
echo "outside (an unprivileged user may map only its own uid)."
if [ -n "$rootless_skip" ]; then
	note "(skipped: $rootless_skip)"
else
	run "mkdir $tmp/rootfs && cp -a step07 $tmp/ && cp -a rootfs/. $tmp/rootfs/"
	run "cd $tmp"
	bg_start "setpriv --reuid 65534 --regid 65534 --clear-groups ./step07 --net none sh -c 'id; cat /proc/self/uid_map; read x'" '^ *0 +65534 +1( |$)'
	run "grep Uid /proc/$child/status"
	bg_stop
	run "cd -"
fi

# ------------------------------------------------------------- set_ns ---
part "6. set_ns: docker exec is setns(2)"
echo "docker exec finds the container's host PID (docker inspect), opens its"
echo "/proc/PID/ns/* files and calls setns() on them before exec. Our record of"
echo "a named container is /run/nsworkshop/NAME.state:"
detach "./step07 -q --name $name --hostname web -d sleep 30"
run "grep ^pid= /run/nsworkshop/$name.state"
echo "Join one namespace, the UTS one, and ask for the hostname:"
run "./set_ns /proc/$pid/ns/uts hostname"
echo "Join only its network namespace: the host's ip binary, the container's"
echo "interfaces (the story's ./set_ns /proc/PID/ns/net /bin/bash):"
run "./set_ns /proc/$pid/ns/net ip -br addr"
echo "Join all of them (-a): ps runs inside and sees PID 1, the container's sleep:"
run "./set_ns -t $pid -a ps"
stop_detached "$pid"

# ------------------------------------------------------------- finish ---
part "7. your turn"
if [ -t 0 ]; then
	cleanup
	trap - EXIT
	echo "A shell in the final container, hostname workshop. Try: ps, hostname,"
	echo "ip addr, ls /, id; from another terminal: sudo ./set_ns --name workshop."
	printf '%s$ %s%s\n' "$c_cmd" "./step07 --name workshop --hostname workshop" "$c_off"
	note "(exit leaves the container)"
	./step07 --name workshop --hostname workshop
	rc=$?
	[ "$rc" = 125 ] && exit 1
	exit 0
fi
echo "(stdin is not a terminal: skipping the interactive shell)"
echo "Run it yourself: sudo ./step07 --hostname workshop (exit leaves it)."
exit 0
