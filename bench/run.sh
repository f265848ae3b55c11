#!/bin/bash
# bench/run.sh — `sudo make bench`: what does each step cost to start?
#
# Latency: every step runs /bin/true RUNS times (bench/bench.c: median, p95,
# peak RSS), beside the tools people compare runtimes with, where installed:
# /bin/true alone, unshare(1), bwrap, crun, nsenter(1). Missing peers and
# steps not built are rows that say so, not failures.
# Scale: 1, 10 and 50 step05 containers at once, each with a veth pair:
# distinct addresses that answer ping; then 500 runs in a row leave no link,
# mount, cgroup or state file behind and do not slow down.
# Terminal (--tty): step07 -t on a pty made by the benchmark: output
# throughput of a 64 MiB cat beside script(1), start-up with -t beside
# without (bench/ptybench.c).
# Costs (--costs, not part of make bench): what each kind of namespace, a
# veth pair and its deletion cost, measured with unshare(1) and ip(8).
#
# Writes docs/bench-results.md, docs/bench-latency.svg (with gnuplot) and the
# results between the bench markers of docs/benchmarks.md; raw data in
# bench/results/. See docs/benchmarks.md for what is measured and how.
#
#   bench/run.sh [--latency | --scale | --tty | --costs] [-n RUNS] [-w WARMUP]
#
# Environment: STEPS_DIR (the binaries, default: the repository root, as for
# the tests), ROOTFS (default: STEPS_DIR/rootfs, the one the steps use), CC.
set -eu

usage() {
	sed -n 's/^#   //p' "$0"
}

REPO=$(cd "$(dirname "$0")/.." && pwd)
STEPS_DIR=${STEPS_DIR:-$REPO}
ROOTFS=${ROOTFS:-$STEPS_DIR/rootfs}
RESULTS=$REPO/bench/results
DOCS=$REPO/docs
BENCH=$RESULTS/bench
RUNS=200
WARMUP=10
DO_LATENCY=1
DO_SCALE=1
DO_COSTS=0
DO_TTY=1

while [ $# -gt 0 ]; do
	case $1 in
	--latency) DO_LATENCY=1 DO_SCALE=0 DO_COSTS=0 DO_TTY=0 ;;
	--scale) DO_LATENCY=0 DO_SCALE=1 DO_COSTS=0 DO_TTY=0 ;;
	--tty) DO_LATENCY=0 DO_SCALE=0 DO_COSTS=0 DO_TTY=1 ;;
	--costs) DO_LATENCY=0 DO_SCALE=0 DO_COSTS=1 DO_TTY=0 ;;
	-n) RUNS=${2:?-n needs a number}; shift ;;
	-w) WARMUP=${2:?-w needs a number}; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# bench splits a command on blanks; '...' keeps a path with blanks whole.
q() {
	case $1 in *"'"*) die "cannot quote a path with a ' in it: $1" ;; esac
	printf "'%s'" "$1"
}

# A row of a command list: LABEL<TAB>COMMAND, or LABEL<TAB>!why-not-run.
row() { printf '%s\t%s\n' "$2" "$3" >>"$1"; }
norow() { printf '%s\t!%s\n' "$2" "$3" >>"$1"; }

[ "$(id -u)" = 0 ] || die "needs root for the namespaces of every step: sudo make bench"

# Everything this script starts in the background, by PID, for the trap.
BG_PIDS=()
CRUN_IDS=()
cleanup() {
	local id
	stop_targets
	forget_image
	for id in "${CRUN_IDS[@]}"; do
		crun delete -f "$id" >/dev/null 2>&1 || :
	done
	rm -rf "$WORK"
}

build_bench() {
	${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g \
		-o "$BENCH" "$REPO/bench/bench.c"
}

# ------------------------------------------------------------ targets ----

# The host PID of the first child of PARENT: unshare -f and the steps fork
# the process that becomes PID 1 of the new PID namespace.
first_child() {
	local parent=$1 pid i
	for i in $(seq 100); do
		pid=
		read -r pid _ <"/proc/$parent/task/$parent/children" 2>/dev/null || :
		if [ -n "$pid" ]; then
			echo "$pid"
			return 0
		fi
		kill -0 "$parent" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# Long-running targets for nsenter -a and set_ns -a. Each sets TARGET to the
# host PID to join, or leaves it empty; the process this script started
# (whose PID is in BG_PIDS) and the one to join are stopped by stop_targets.
TARGET=
JOINED=()

# New pid, mount, uts, ipc and net namespaces and no user namespace (so
# nsenter -a and set_ns -a skip the user namespace, their caller's).
start_unshare_target() {
	TARGET=
	have unshare || return 0
	unshare -fpmuin --mount-proc --kill-child sleep 600 \
		</dev/null >/dev/null 2>&1 &
	BG_PIDS+=($!)
	TARGET=$(first_child $!) || TARGET=
	[ -n "$TARGET" ] && JOINED+=("$TARGET")
	sleep 0.2 # let it mount /proc and exec sleep before it is joined
}

# The container `docker exec` joins: stepNN --name, its PID 1 read from the
# state file (HACKING.md), else the runtime's first child. step07's has the
# hardening set_ns takes from PID 1; step09's the seccomp filter too.
start_step_target() {
	local step=$1 name=bench-$$-$1 runtime i pid=
	TARGET=
	[ -x "$STEPS_DIR/$step" ] || return 0
	"$STEPS_DIR/$step" -q --name "$name" sleep 600 \
		</dev/null >"$WORK/$step-target.log" 2>&1 &
	runtime=$!
	BG_PIDS+=("$runtime")
	for i in $(seq 100); do
		pid=$(sed -n 's/^pid=//p' "/run/nsworkshop/$name.state" 2>/dev/null) || :
		[ -n "$pid" ] && break
		kill -0 "$runtime" 2>/dev/null || break
		sleep 0.05
	done
	[ -n "$pid" ] || pid=$(first_child "$runtime") || return 0
	sleep 0.2 # let PID 1 reach its exec of sleep before it is joined
	kill -0 "$pid" 2>/dev/null || return 0
	TARGET=$pid
	JOINED+=("$TARGET")
}

# True while PID exists and is not a zombie waiting for this script.
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# Up to 2 s for every PID given to be gone.
wait_gone() {
	local i p
	for i in $(seq 40); do
		for p in "$@"; do
			if alive "$p"; then
				sleep 0.05
				continue 2
			fi
		done
		return 0
	done
	return 1
}

# Stop what this script started, by PID. SIGTERM to the runtimes first;
# unshare -f ignores it while it waits for its child, and a PID 1 ignores
# every signal it has no handler for, SIGKILL aside: so the joined PIDs
# still there 2 s later get SIGKILL, which their runtimes then report.
stop_targets() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null || :
	done
	if ! wait_gone "${JOINED[@]}"; then
		for p in "${JOINED[@]}"; do
			if alive "$p"; then
				kill -KILL "$p" 2>/dev/null || :
			fi
		done
	fi
	if ! wait_gone "${BG_PIDS[@]}"; then
		for p in "${BG_PIDS[@]}"; do
			if alive "$p"; then
				kill -KILL "$p" 2>/dev/null || :
			fi
		done
	fi
	for p in "${BG_PIDS[@]}"; do
		wait "$p" 2>/dev/null || :
	done
	BG_PIDS=()
	JOINED=()
}

# ---------------------------------------------------------------- crun ----

# An OCI bundle equivalent to step05 --net none: new pid, mount, uts, ipc
# and network namespaces, the same rootfs, /proc, a tmpfs /dev and /tmp.
# With USERNS, also a user namespace, root inside = uid 100000 outside.
crun_bundle() {
	local dir=$1 userns=$2 ns maps=
	ns='{"type": "pid"}, {"type": "mount"}, {"type": "uts"},
      {"type": "ipc"}, {"type": "network"}'
	if [ "$userns" = 1 ]; then
		ns="$ns, {\"type\": \"user\"}"
		maps='"uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],'
	fi
	mkdir -p "$dir"
	cat >"$dir/config.json" <<EOF
{
  "ociVersion": "1.0.0",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": ["/bin/true"],
    "env": ["PATH=/bin:/sbin"],
    "cwd": "/"
  },
  "root": {"path": "$ROOTFS", "readonly": false},
  "hostname": "container",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "mode=755"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "nodev"]}
  ],
  "linux": {
    $maps
    "namespaces": [$ns]
  }
}
EOF
}

# crun refuses a hybrid cgroup host (v1 controllers, plus a cgroup2 at
# /sys/fs/cgroup/unified that holds a controller, hugetlb here): "cgroups in
# hybrid mode not supported, drop all controllers from cgroupv2", whatever
# the --cgroup-manager. Dropping the controller would change the host; so on
# a hybrid host the bench runs in a private mount namespace where an empty
# tmpfs hides /sys/fs/cgroup/unified, and crun sees a v1 host. Nothing else
# measured uses that directory (step08 puts its limits in the v1
# hierarchies), and the host's mounts are private already, so the steps see
# the same mount table but for that one tmpfs; no timed run pays for it.
cgroup_layout() {
	local t
	t=$(stat -fc %T /sys/fs/cgroup 2>/dev/null || echo none)
	if [ "$t" = cgroup2fs ]; then
		echo unified
	elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		echo hybrid
	else
		echo legacy
	fi
}

run_bench() {
	if [ "$(cgroup_layout)" = hybrid ] && have crun; then
		unshare --mount --propagation private -- /bin/sh -c \
			'mount -t tmpfs -o size=4k,mode=0555 crun-sees-v1 /sys/fs/cgroup/unified && exec "$@"' \
			sh "$BENCH" "$@"
	else
		"$BENCH" "$@"
	fi
}

crun_rows() {
	local list=$1 plain=nsw-bench-$$ user=nsw-bench-$$-user
	local crun="crun --cgroup-manager=disabled run --bundle"
	local l1="crun run (pid,mnt,uts,ipc,net)" l2="crun run (+user)"
	if ! have crun; then
		norow "$list" "$l1" "not installed"
		norow "$list" "$l2" "not installed"
	elif [ ! -x "$ROOTFS/bin/busybox" ]; then
		norow "$list" "$l1" "no rootfs (make rootfs)"
		norow "$list" "$l2" "no rootfs (make rootfs)"
	elif [[ $ROOTFS == *[\"\\]* ]]; then
		norow "$list" "$l1" "rootfs path cannot go in JSON as is"
		norow "$list" "$l2" "rootfs path cannot go in JSON as is"
	else
		crun_bundle "$WORK/crun" 0
		crun_bundle "$WORK/crun-user" 1
		CRUN_IDS+=("$plain" "$user")
		row "$list" "$l1" "$crun $(q "$WORK/crun") $plain"
		row "$list" "$l2" "$crun $(q "$WORK/crun-user") $user"
	fi
}

# -------------------------------------------------------------- latency ----

peer_rows() {
	local list=$1 l
	row "$list" "/bin/true" "/bin/true"
	for l in "unshare -fpmui --mount-proc" "unshare -Urfpmuin --mount-proc"; do
		if have unshare; then
			row "$list" "$l" "$l /bin/true"
		else
			norow "$list" "$l" "not installed"
		fi
	done
	l="bwrap --unshare-all"
	if ! have bwrap; then
		norow "$list" "$l" "not installed"
	elif [ ! -x "$ROOTFS/bin/busybox" ]; then
		norow "$list" "$l" "no rootfs (make rootfs)"
	else
		row "$list" "$l" "bwrap --unshare-all --bind $(q "$ROOTFS") / --proc /proc --dev /dev /bin/true"
	fi
}

step_rows() {
	local list=$1 n bin
	local why
	for n in 01 02 03 04 05 06 07 08 09 10; do
		bin=$STEPS_DIR/step$n
		[ "$n" = 10 ] && [ ! -x "$bin" ] && continue # a bonus step to come
		why=
		if [ ! -x "$bin" ]; then
			why="not built"
		elif [ "$n" -ge 03 ] && [ ! -x "$STEPS_DIR/rootfs/bin/busybox" ]; then
			why="no rootfs (make rootfs)"
		fi
		if [ "$n" = 05 ] && [ -n "$why" ]; then
			norow "$list" "step05 (--net veth)" "$why"
			norow "$list" "step05 --net none" "$why"
		elif [ "$n" = 05 ]; then
			row "$list" "step05 (--net veth)" "$(q "$bin") -q /bin/true"
			row "$list" "step05 --net none" "$(q "$bin") -q --net none /bin/true"
		elif [ -n "$why" ]; then
			norow "$list" "step$n" "$why"
		else
			row "$list" "step$n" "$(q "$bin") -q /bin/true"
		fi
	done
}

# step10's own costs: a start from an image tarball already in the cache,
# and a 50 MB write into the container's layer (a tmpfs under overlayfs)
# beside the same write, by the same busybox, to a tmpfs of the host; each
# beside the same command without the write, whose time it subtracts.
overlay_rows() {
	local list=$1 bin=$STEPS_DIR/step10 why= l bb shm
	local labels=("step10 --image (cached)" "step10 sh -c true"
		"step10 sh -c dd 50 MB to /" "busybox sh -c true"
		"busybox sh -c dd 50 MB to /dev/shm")
	[ -x "$bin" ] || return 0 # no step10 yet: no rows
	if [ ! -x "$ROOTFS/bin/busybox" ]; then
		why="no rootfs (make rootfs)"
	elif [ ! -d /dev/shm ] || ! tar -C "$ROOTFS" -czf "$WORK/image.tar.gz" .; then
		why="no /dev/shm or tar failed"
	fi
	if [ -n "$why" ]; then
		for l in "${labels[@]}"; do norow "$list" "$l" "$why"; done
		return 0
	fi
	IMAGE_SHA=$(sha256sum "$WORK/image.tar.gz" | cut -d' ' -f1)
	bb=$(q "$ROOTFS/bin/busybox")
	shm=/dev/shm/nsw-bench-$$
	row "$list" "${labels[0]}" "$(q "$bin") -q --image $(q "$WORK/image.tar.gz") /bin/true"
	row "$list" "${labels[1]}" "$(q "$bin") -q --net none /bin/sh -c true"
	row "$list" "${labels[2]}" "$(q "$bin") -q --net none /bin/sh -c 'dd if=/dev/zero of=/big bs=1M count=50 2>/dev/null'"
	row "$list" "${labels[3]}" "$bb sh -c true"
	row "$list" "${labels[4]}" "$bb sh -c '$bb dd if=/dev/zero of=$shm bs=1M count=50 2>/dev/null; rm -f $shm'"
}

# The image the rows above unpacked into the store, and its index entry.
forget_image() {
	local store=/var/lib/nsworkshop/images
	[ -n "${IMAGE_SHA:-}" ] || return 0
	rm -rf "${store:?}/$IMAGE_SHA"
	grep -lx "$IMAGE_SHA" "$store"/index/* 2>/dev/null | xargs -r rm -f
}

# docker exec: nsenter -a and set_ns -a joining the same targets.
exec_rows() {
	local list=$1 kind why set_ns=$STEPS_DIR/set_ns
	for kind in unshare step07 step09; do
		case $kind in
		unshare) start_unshare_target ;;
		*) start_step_target "$kind" ;;
		esac
		if [ -z "$TARGET" ]; then
			why="target did not start"
			if [ "$kind" != unshare ] && [ ! -x "$STEPS_DIR/$kind" ]; then
				why="no target: $kind not built"
			elif [ "$kind" = unshare ] && ! have unshare; then
				why="no target: unshare not installed"
			fi
			norow "$list" "nsenter -a ($kind target)" "$why"
			norow "$list" "set_ns -a ($kind target)" "$why"
			continue
		fi
		say "$kind target: PID $TARGET"
		if have nsenter; then
			row "$list" "nsenter -a ($kind target)" "nsenter -a -t $TARGET /bin/true"
		else
			norow "$list" "nsenter -a ($kind target)" "not installed"
		fi
		if [ -x "$set_ns" ]; then
			row "$list" "set_ns -a ($kind target)" "$(q "$set_ns") -q -t $TARGET -a /bin/true"
		else
			norow "$list" "set_ns -a ($kind target)" "not built"
		fi
	done
}

# The median (ms) of LABEL in the raw file, or nothing.
median_of() {
	awk -F'\t' -v l="$1" '$1 == l && $2 == "" && $3 > 0 { printf "%.3f", $5 / 1e6 }' "$RAW"
}
rss_of() {
	awk -F'\t' -v l="$1" '$1 == l && $2 == "" && $3 > 0 { print $7 }' "$RAW"
}

# One line of the targets table: NAME, label A, label B, goal (max A/B).
target() {
	local name=$1 a=$2 b=$3 goal=$4 ma mb
	ma=$(median_of "$a")
	mb=$(median_of "$b")
	if [ -z "$ma" ] || [ -z "$mb" ]; then
		printf '| %s | %s / %s | — | %s | n/a (%s) |\n' "$name" "$a" "$b" \
			"${goal:-info}" "$([ -z "$ma" ] && echo "$a" || echo "$b") has no figure"
		return
	fi
	awk -v n="$name" -v a="$a" -v b="$b" -v ma="$ma" -v mb="$mb" -v g="$goal" 'BEGIN {
		r = ma / mb
		res = g == "" ? "info" : (r <= g + 1e-9 ? "PASS" : "MISS")
		printf "| %s | %s ms / %s ms | %.2f | %s | %s |\n", n, ma, mb, r,
			(g == "" ? "—" : "≤ " g), res
	}'
}

# A write's cost: (A - A0) / (B - B0), each the median of its row.
write_target() {
	local name=$1 a=$2 a0=$3 b=$4 b0=$5 goal=$6 m
	m=$(for l in "$a" "$a0" "$b" "$b0"; do median_of "$l"; printf ' '; done)
	awk -v n="$name" -v m="$m" -v g="$goal" 'BEGIN {
		split(m, v, " ")
		if (v[1] == "" || v[2] == "" || v[3] == "" || v[4] == "" || v[3] - v[4] <= 0) {
			printf "| %s | — | — | ≤ %s | n/a (no figure) |\n", n, g
			exit
		}
		r = (v[1] - v[2]) / (v[3] - v[4])
		printf "| %s | %.3f ms / %.3f ms | %.2f | ≤ %s | %s |\n", n,
			v[1] - v[2], v[3] - v[4], r, g, (r <= g + 1e-9 ? "PASS" : "MISS")
	}'
}

# Peak RSS of every step and set_ns row against bwrap's.
rss_target() {
	local b worst
	b=$(rss_of "bwrap --unshare-all")
	worst=$(awk -F'\t' '(($1 ~ /^step[0-9]/ && $1 !~ / sh -c /) || $1 ~ /^set_ns/) && $2 == "" && $3 > 0 \
		{ if ($7 > m) { m = $7; l = $1 } } END { if (m) print m "\t" l }' "$RAW")
	if [ -z "$b" ] || [ -z "$worst" ]; then
		echo "| peak RSS: largest step / bwrap | — | — | ≤ 1 | n/a (no figure) |"
		return
	fi
	awk -F'\t' -v b="$b" -v w="$worst" 'BEGIN {
		split(w, f, "\t")
		r = f[1] / b
		printf "| peak RSS: largest step (%s) / bwrap | %d KiB / %d KiB | %.2f | ≤ 1 | %s |\n",
			f[2], f[1], b, r, (r <= 1 ? "PASS" : "MISS")
	}'
}

targets_table() {
	echo "| target (issues 9, 17) | figures | ratio | goal | result |"
	echo "|---|--:|--:|--:|---|"
	target "step04 / unshare -fpmui" "step04" "unshare -fpmui --mount-proc" 1.0
	target "step07 / bwrap" "step07" "bwrap --unshare-all" 0.9
	target "step09 / step08: the seccomp filter" "step09" "step08" 1.05
	target "step09 / bwrap" "step09" "bwrap --unshare-all" 0.9
	target "set_ns -a / nsenter -a, unshare target" \
		"set_ns -a (unshare target)" "nsenter -a (unshare target)" 1.0
	target "set_ns -a / nsenter -a, step07 target" \
		"set_ns -a (step07 target)" "nsenter -a (step07 target)" 1.0
	target "set_ns -a / nsenter -a, step09 target (filter)" \
		"set_ns -a (step09 target)" "nsenter -a (step09 target)" 1.0
	target "step05 veth / step04: a net ns and a veth pair" \
		"step05 (--net veth)" "step04" ""
	target "step05 veth / step05 none: the veth pair" \
		"step05 (--net veth)" "step05 --net none" ""
	if [ -x "$STEPS_DIR/step10" ]; then
		target "step10 / step09: the overlay, a tmpfs layer (issue 19)" \
			"step10" "step09" 1.15
		target "step10 --image, cached / step10 from the rootfs directory" \
			"step10 --image (cached)" "step10" 1.2
		write_target "50 MB written: in step10's layer / on the host's tmpfs" \
			"step10 sh -c dd 50 MB to /" "step10 sh -c true" \
			"busybox sh -c dd 50 MB to /dev/shm" "busybox sh -c true" 1.2
	fi
	rss_target
}

# hyperfine -N times the way bench does: /bin/true alone with each, one
# right after the other, as a check of the harness.
hyperfine_check() {
	local json=$WORK/hyperfine.json raw=$WORK/check.tsv ours med
	have hyperfine || { echo "hyperfine not installed: no cross-check."; return 0; }
	"$BENCH" -s -n "$RUNS" -w "$WARMUP" -r "$raw" -- /bin/true /bin/true \
		>/dev/null 2>&1 || { echo "bench failed on /bin/true: no cross-check."; return 0; }
	ours=$(awk -F'\t' '{ printf "%.3f", $5 / 1e6 }' "$raw")
	hyperfine -N -w "$WARMUP" -r "$RUNS" --export-json "$json" /bin/true \
		>/dev/null 2>&1 || { echo "hyperfine failed: no cross-check."; return 0; }
	med=$(sed -n 's/.*"median": *\([0-9.eE+-]*\).*/\1/p' "$json" | head -n 1)
	awk -v h="$med" -v b="$ours" 'BEGIN {
		printf "Harness check, `/bin/true` alone, %s: bench %.3f ms, `hyperfine -N` %.3f ms.\n",
			"one right after the other", b, h * 1000
	}'
}

# A horizontal bar per row with a figure: the steps in blue, the others
# (the floor and the peers) in grey.
plot() {
	local data=$WORK/plot.tsv n
	have gnuplot || { say "gnuplot not installed: no plot"; return 0; }
	awk -F'\t' '$2 == "" && $3 > 0 {
		printf "%s\t%.3f\t%d\n", $1, $5 / 1e6, ($1 ~ /^(step|set_ns)/) ? 4485828 : 10921638
	}' "$RAW" >"$data"
	n=$(wc -l <"$data")
	[ "$n" -gt 0 ] || return 0
	gnuplot <<GNUPLOT
set terminal svg size 900,$((120 + 26 * n)) dynamic font "sans,12"
set output "$DOCS/bench-latency.svg"
set datafile separator "\t"
set title "/bin/true from start to exit: median of $RUNS runs (Linux $(uname -r), $(nproc) CPUs)" noenhanced
set xlabel "ms"
set xrange [0:*]
set offsets 0, graph 0.08, 0, 0
set yrange [$n - 0.5:-0.5]
set ytics nomirror noenhanced
set grid xtics
set style fill solid 0.85 noborder
set lmargin 34
unset key
plot "$data" using (\$2 / 2):0:(\$2 / 2):(0.38):3:yticlabels(1) with boxxyerror lc rgb variable, \
     "" using 2:0:(sprintf(" %.1f", \$2)) with labels left
GNUPLOT
	say "plot: docs/bench-latency.svg"
}

latency() {
	local a=$WORK/peers.list c=$WORK/crun.list s=$WORK/steps.list opts
	LOAD=$(cut -d' ' -f1 /proc/loadavg)
	RAW=$RESULTS/latency.tsv
	opts=(-n "$RUNS" -w "$WARMUP" -r "$RAW" -T "$RESULTS/latency-times.tsv")
	: >"$RAW"
	: >"$RESULTS/latency-times.tsv"
	: >"$a"
	: >"$c"
	: >"$s"
	peer_rows "$a"
	crun_rows "$c"
	step_rows "$s"
	overlay_rows "$s"
	exec_rows "$s"
	cat "$a" "$c" "$s" >"$WORK/all.list"
	# Failed rows show in the table; bench exits 1 for them, 125 on misuse.
	run_bench "${opts[@]}" -f "$WORK/all.list" >/dev/null || [ $? = 1 ]
	stop_targets
	{
		echo "### Start-up latency and peak RSS"
		echo
		echo "$(date -u +%Y-%m-%dT%H:%MZ) · Linux $(uname -r) · $(nproc) CPUs" \
			"($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1))" \
			"· load $LOAD before, $(cut -d' ' -f1 /proc/loadavg) after" \
			"· cgroups $(cgroup_layout) · $HARNESS"
		echo
		"$BENCH" -p "$RAW"
		echo
		hyperfine_check
		echo
		echo "### Targets"
		echo
		targets_table
		echo
		echo "<details><summary>Commands</summary>"
		echo
		echo '```'
		sed "s|$STEPS_DIR/|./|g; s|$WORK/|\$TMP/|g" "$WORK/all.list"
		echo '```'
		echo
		echo "</details>"
	} >"$RESULTS/latency.md"
	cat "$RESULTS/latency.md"
	plot
}

# ---------------------------------------------------------------- scale ----

# What a run could leave on the host: links, mounts (mount point, type,
# source), cgroup directories, state files.
snapshot() {
	local d=$1 f
	mkdir -p "$d"
	ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
		sort >"$d/links"
	awk '{ for (i = 7; $i != "-"; i++) ; print $5, $(i + 1), $(i + 2) }' \
		/proc/self/mountinfo | sort >"$d/mounts"
	find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null | sort >"$d/cgroups"
	for f in /run/nsworkshop/*; do
		case $f in *.lock | */\*) ;; *) echo "$f" ;; esac
	done | sort >"$d/state"
}

# What AFTER has that BEFORE had not. A new cgroup with processes in it
# belongs to whoever else runs on the machine; an empty one was left behind.
leftovers() {
	local b=$1 a=$2 cg
	comm -13 "$b/links" "$a/links" | sed 's/^/new link: /'
	comm -13 "$b/mounts" "$a/mounts" | sed 's/^/new mount: /'
	comm -13 "$b/state" "$a/state" | sed 's/^/state file: /'
	comm -13 "$b/cgroups" "$a/cgroups" | while read -r cg; do
		[ -s "$cg/cgroup.procs" ] || echo "cgroup: $cg"
	done
}

# What BEFORE had and AFTER has not: worse than a leak if the runs did it
# (a host link or mount removed), but also what other users of the machine
# remove in the meantime; shown, not failed.
vanished() {
	local b=$1 a=$2
	comm -23 "$b/links" "$a/links" | sed 's/^/link gone: /'
	comm -23 "$b/mounts" "$a/mounts" | sed 's/^/mount gone: /'
}

# A network namespace is freed by a kernel worker (cleanup_net) after its
# last process exits, and its veth pair with it: give it up to 5 s.
settle() {
	local b=$1 a=$2 i
	for i in $(seq 25); do
		snapshot "$a"
		[ -z "$(leftovers "$b" "$a")" ] && return 0
		sleep 0.2
	done
	return 1
}

forget_pids() {
	local keep=() p g
	for p in "${BG_PIDS[@]}"; do
		for g in "$@"; do
			[ "$p" = "$g" ] && continue 2
		done
		keep+=("$p")
	done
	BG_PIDS=("${keep[@]}")
}

# N containers started at once; each prints its eth0 address, then waits
# on a FIFO until the host has pinged every address.
at_once() {
	local n=$1 i t hold t0 t1 pids=() ready addr ok_ping=0 ok_exit=0 out
	out=$WORK/at$n
	mkdir -p "$out"
	mkfifo "$out/hold"
	exec {hold}<>"$out/hold" # a writer that never blocks, closed to release
	t0=$EPOCHREALTIME
	for ((i = 0; i < n; i++)); do
		"$STEP05" -q sh -c 'ip -o -4 addr show dev eth0; read x; exit 0' \
			<"$out/hold" >"$out/$i.out" 2>"$out/$i.err" {hold}>&- &
		pids+=($!)
	done
	BG_PIDS+=("${pids[@]}")
	# Ready: every container printed its line, or is gone (builtins only:
	# the poll must not steal the CPUs the containers start on).
	for ((t = 0; t < 6000; t++)); do
		ready=0
		for ((i = 0; i < n; i++)); do
			if [ -s "$out/$i.out" ] || ! kill -0 "${pids[i]}" 2>/dev/null; then
				ready=$((ready + 1))
			fi
		done
		[ "$ready" = "$n" ] && break
		sleep 0.01
	done
	t1=$EPOCHREALTIME
	awk '{ for (i = 1; i < NF; i++) if ($i == "inet") { sub(/\/.*/, "", $(i + 1)); print $(i + 1) } }' \
		"$out"/*.out >"$out/addrs" 2>/dev/null || :
	while read -r addr; do
		ping -c 1 -W 1 -q "$addr" >/dev/null 2>&1 && ok_ping=$((ok_ping + 1))
	done <"$out/addrs"
	exec {hold}>&-
	for ((i = 0; i < n; i++)); do
		if wait "${pids[i]}"; then
			ok_exit=$((ok_exit + 1))
		fi
	done
	forget_pids "${pids[@]}"
	awk -v n="$n" -v t0="$t0" -v t1="$t1" -v got="$(wc -l <"$out/addrs")" \
		-v uniq="$(sort -u "$out/addrs" | wc -l)" -v ping="$ok_ping" -v ok="$ok_exit" 'BEGIN {
		ms = (t1 - t0) * 1000
		printf "| %d | %.0f ms | %.1f ms | %d/%d | %d/%d | %d/%d |\n",
			n, ms, ms / n, uniq, n, ping, n, ok, n
	}'
	[ "$(sort -u "$out/addrs" | wc -l)" = "$n" ] && [ "$ok_ping" = "$n" ] &&
		[ "$ok_exit" = "$n" ] || SCALE_OK=0
	[ "$ok_exit" = "$n" ] || sed "s/^/    /" "$out"/*.err | head -n 5 >&2
}

# 500 runs of step05 in a row, each round followed by a /bin/true: if the
# machine gets busier meanwhile, both slow down, and the ratio of the two in
# the same round does not move; if step05 piles something up (links,
# namespaces, lock files), only step05 slows down.
sequential() {
	local n=500 k=50 times=$RESULTS/scale-times.tsv label="step05 x500"
	: >"$times"
	"$BENCH" -n "$n" -w 0 -T "$times" -- "$label" "$(q "$STEP05") -q /bin/true" \
		/bin/true /bin/true >/dev/null 2>&1 || :
	awk -F'\t' -v n="$n" -v k="$k" -v s="$label" '
		function median(a, m,   i, j, t) {
			for (i = 2; i <= m; i++)	# insertion sort: m is 50
				for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
					t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
				}
			return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
		}
		$1 == s && $4 != "ok" { failed++ }
		$4 == "ok" { t[$1, $2] = $3 }
		END {
			for (i = 0; i < n; i++) {
				if (!((s, i) in t) || !(("/bin/true", i) in t))
					continue
				if (i < k) { f[++nf] = t[s, i]; fr[nf] = t[s, i] / t["/bin/true", i] }
				if (i >= n - k) { l[++nl] = t[s, i]; lr[nl] = t[s, i] / t["/bin/true", i] }
			}
			if (!nf || !nl) { print "500 runs in a row: no figure (every run failed): MISS."; exit 1 }
			mf = median(f, nf) / 1e6; ml = median(l, nl) / 1e6
			drift = median(lr, nl) / median(fr, nf)
			ok = drift <= 1.10 && !failed
			printf "%d runs in a row of `step05 -q /bin/true`, each round with a `/bin/true`: %d failed; " \
				"median of the first %d %.3f ms, of the last %d %.3f ms (× %.2f); " \
				"against `/bin/true` in the same rounds, × %.2f (goal ≤ 1.10): %s.\n",
				n, failed, k, mf, k, ml, ml / mf, drift, (ok ? "PASS" : "MISS")
			exit !ok
		}' "$times" || SCALE_OK=0
}

scale_report() {
	local b=$WORK/before a=$WORK/after n leaks gone
	STEP05=$STEPS_DIR/step05
	{
		echo "### Scale: step05 with veth"
		echo
		echo "$(date -u +%Y-%m-%dT%H:%MZ) · Linux $(uname -r) · $(nproc) CPUs" \
			"· load $(cut -d' ' -f1 /proc/loadavg) before"
		echo
		if [ ! -x "$STEP05" ]; then
			echo "step05 not built: scale mode skipped."
			say "scale: step05 not built, skipped"
			return 0
		fi
		if [ ! -x "$STEPS_DIR/rootfs/bin/busybox" ] || ! have ip || ! have ping; then
			echo "Needs the rootfs (make rootfs), ip and ping: scale mode skipped."
			return 0
		fi
		snapshot "$b"
		echo "| containers at once | all ready after | per container | distinct addresses | answer ping from the host | exit 0 |"
		echo "|--:|--:|--:|--:|--:|--:|"
		for n in 1 10 50; do
			say "scale: $n at once"
			at_once "$n"
		done
		echo
		say "scale: 500 in a row"
		sequential
		echo
		echo "Load average after: $(cut -d' ' -f1 /proc/loadavg)."
		echo
		if settle "$b" "$a"; then
			echo "Left on the host after all of them (links, mounts, cgroups, /run/nsworkshop): nothing. PASS."
			gone=$(vanished "$b" "$a")
			if [ -n "$gone" ]; then
				echo
				echo "Gone from the host meanwhile (another user of the machine, or a bug):"
				echo
				echo '```'
				echo "$gone" | head -n 20
				echo '```'
			fi
		else
			SCALE_OK=0
			leaks=$(leftovers "$b" "$a")
			echo "Left on the host after all of them: MISS"
			echo
			echo '```'
			echo "$leaks" | head -n 20
			echo '```'
		fi
	}
}

scale() {
	SCALE_OK=1
	scale_report >"$RESULTS/scale.md"
	cat "$RESULTS/scale.md"
}

# ---------------------------------------------------------------- costs ----

# The price of each ingredient, from differences between rows that differ
# by one flag. The ip(8) rows run inside a new network namespace: the veth
# pair they make is never on the host.
cost_rows() {
	local list=$1 f d=$WORK/ip
	row "$list" "/bin/true" "/bin/true"
	if ! have unshare; then
		norow "$list" "unshare" "not installed"
		return 0
	fi
	row "$list" "unshare" "unshare /bin/true"
	for f in -f -fp "-fp --mount-proc" -m -u -i -n -U -C; do
		row "$list" "unshare $f" "unshare $f /bin/true"
	done
	have ip || return 0
	mkdir -p "$d"
	printf 'link set lo up\n' >"$d/lo"
	printf 'link add name va type veth peer name vb\n' >"$d/add"
	printf 'link add name va type veth peer name vb\nlink del va\n' >"$d/del"
	row "$list" "unshare -n ip: lo up" "unshare -n ip -b $(q "$d/lo")"
	row "$list" "unshare -n ip: veth pair" "unshare -n ip -b $(q "$d/add")"
	row "$list" "unshare -n ip: veth pair, deleted" "unshare -n ip -b $(q "$d/del")"
}

# One line: WHAT costs row A minus row B.
difference() {
	local what=$1 a=$2 b=$3 ma mb
	ma=$(median_of "$a")
	mb=$(median_of "$b")
	[ -n "$ma" ] && [ -n "$mb" ] || return 0
	awk -v w="$what" -v a="$a" -v b="$b" -v ma="$ma" -v mb="$mb" 'BEGIN {
		printf "| %s | `%s` − `%s` | %.2f ms |\n", w, a, b, ma - mb
	}'
}

costs() {
	local list=$WORK/costs.list
	RAW=$RESULTS/costs.tsv
	LOAD=$(cut -d' ' -f1 /proc/loadavg)
	: >"$RAW"
	: >"$list"
	cost_rows "$list"
	"$BENCH" -n "$RUNS" -w "$WARMUP" -r "$RAW" -f "$list" >/dev/null || [ $? = 1 ]
	{
		echo "### What the ingredients cost"
		echo
		echo "$(date -u +%Y-%m-%dT%H:%MZ) · Linux $(uname -r) · $(nproc) CPUs" \
			"· load $LOAD before, $(cut -d' ' -f1 /proc/loadavg) after · $HARNESS"
		echo
		"$BENCH" -p "$RAW"
		echo
		echo "| ingredient | rows | median difference |"
		echo "|---|---|--:|"
		difference "exec of unshare itself" "unshare" "/bin/true"
		difference "fork and wait (unshare -f)" "unshare -f" "unshare"
		difference "PID namespace" "unshare -fp" "unshare -f"
		difference "mount /proc in it" "unshare -fp --mount-proc" "unshare -fp"
		difference "mount namespace" "unshare -m" "unshare"
		difference "UTS namespace" "unshare -u" "unshare"
		difference "IPC namespace" "unshare -i" "unshare"
		difference "network namespace" "unshare -n" "unshare"
		difference "user namespace" "unshare -U" "unshare"
		difference "cgroup namespace" "unshare -C" "unshare"
		difference "a veth pair, created" "unshare -n ip: veth pair" "unshare -n ip: lo up"
		difference "the veth pair, deleted by RTM_DELLINK" \
			"unshare -n ip: veth pair, deleted" "unshare -n ip: veth pair"
	} >"$RESULTS/costs.md"
	cat "$RESULTS/costs.md"
}

# ------------------------------------------------------------------ tty ----

# step07 -t on a terminal (bench/ptybench.c: each run on a pty of its own,
# made with forkpty, read as fast as it comes). Output: `cat` of a 64 MiB
# file inside `step07 -t` against `script -qc 'cat FILE'` on the host (two
# ptys each way: the bench's and the inner one). Start-up: `step07 -t
# /bin/true` against `step07 /bin/true`, both on a pty.
tty_ratio() {
	local what=$1 a=$2 b=$3 col=$4 goal=$5 cmp=$6
	awk -F'\t' -v w="$what" -v a="$a" -v b="$b" -v c="$col" -v g="$goal" \
		-v cmp="$cmp" '
		$1 == a { va = $c } $1 == b { vb = $c }
		END {
			if (!va || !vb) { printf "| %s | — | — | %s %s | n/a (no figure) |\n", w, cmp, g; exit }
			r = va / vb
			ok = cmp == "≥" ? r >= g : r <= g + 1e-9
			unit = c == 2 ? " ms" : " MiB/s"
			fa = c == 2 ? va / 1e6 : va; fb = c == 2 ? vb / 1e6 : vb
			printf "| %s | %.1f%s / %.1f%s | %.2f | %s %s | %s |\n", w, fa, unit, fb, unit,
				r, cmp, g, (ok ? "PASS" : "MISS")
		}' "$RESULTS/tty.tsv"
}

tty_bench() {
	local pb=$RESULTS/ptybench root=$WORK/tty-rootfs s07=$STEPS_DIR/step07
	{
		echo "### step07 -t on a terminal"
		echo
		if [ ! -x "$s07" ] || [ ! -x "$ROOTFS/bin/busybox" ] || ! have script; then
			echo "Needs step07, the rootfs and script(1): skipped."
			return 0
		fi
		if ! "$s07" --help | grep -q -- '--tty'; then
			echo "This step07 has no -t: skipped."
			return 0
		fi
		${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g \
			-o "$pb" "$REPO/bench/ptybench.c"
		# A copy of the rootfs with the file: the container's / is
		# read-only, and the real rootfs is not ours to fill.
		cp -a "$ROOTFS" "$root"
		awk 'BEGIN { for (i = 0; i < 1048576; i++) printf "%063d\n", i }' >"$root/big"
		echo "$(date -u +%Y-%m-%dT%H:%MZ) · Linux $(uname -r) · $(nproc) CPUs" \
			"· load $(cut -d' ' -f1 /proc/loadavg) before · harness: bench/ptybench.c" \
			"(forkpty, the master read in 64 KiB reads; median of 5 runs for the" \
			"output, of $RUNS for the start-up)"
		echo
		: >"$RESULTS/tty.tsv"
		"$pb" -n 5 -w 1 -- \
			"step07 -t: cat 64 MiB" \
			"$(q "$s07") -q --net none -t --rootfs $(q "$root") cat /big" \
			"script -qc 'cat 64 MiB'" "script -qc 'cat $root/big' /dev/null" \
			>>"$RESULTS/tty.tsv"
		"$pb" -n "$RUNS" -w "$WARMUP" -- \
			"step07 -t /bin/true" "$(q "$s07") -q --net none -t /bin/true" \
			"step07 /bin/true" "$(q "$s07") -q --net none /bin/true" \
			>>"$RESULTS/tty.tsv"
		echo "| command | median | bytes read | MiB/s | failed runs |"
		echo "|---|--:|--:|--:|--:|"
		awk -F'\t' '{ printf "| `%s` | %.1f ms | %d | %s | %d |\n", $1, $2 / 1e6, $3,
			($3 > 0 ? $4 : "—"), $5 }' "$RESULTS/tty.tsv"
		echo
		echo "| target (issue 16) | figures | ratio | goal | result |"
		echo "|---|--:|--:|--:|---|"
		tty_ratio "output: step07 -t / script" "step07 -t: cat 64 MiB" \
			"script -qc 'cat 64 MiB'" 4 0.8 "≥"
		tty_ratio "start-up: step07 -t / step07" "step07 -t /bin/true" \
			"step07 /bin/true" 2 1.1 "≤"
	} >"$RESULTS/tty.md"
	cat "$RESULTS/tty.md"
}

# --------------------------------------------------------------- output ----

# docs/bench-results.md, and the same between the markers of benchmarks.md.
publish() {
	local body=$WORK/body.md doc=$DOCS/benchmarks.md part
	: >"$body"
	for part in latency scale tty costs; do
		[ -f "$RESULTS/$part.md" ] || continue
		cat "$RESULTS/$part.md" >>"$body"
		echo >>"$body"
	done
	{
		echo "# Benchmark results"
		echo
		echo "<!-- Written by bench/run.sh (sudo make bench); do not edit. -->"
		echo "See [benchmarks.md](benchmarks.md) for what is measured and how."
		echo
		cat "$body"
	} >"$DOCS/bench-results.md"
	say "results: docs/bench-results.md"
	if grep -q '^<!-- bench:begin -->' "$doc" 2>/dev/null &&
		grep -q '^<!-- bench:end -->' "$doc"; then
		awk -v body="$body" '
			/^<!-- bench:end -->/ { skip = 0 }
			!skip { print }
			/^<!-- bench:begin -->/ {
				while ((getline line < body) > 0) print line
				skip = 1
			}' "$doc" >"$WORK/doc.md"
		cat "$WORK/doc.md" >"$doc"
		say "refreshed: docs/benchmarks.md"
	fi
}

mkdir -p "$RESULTS"
WORK=$(mktemp -d /tmp/nsw-bench.XXXXXX)
trap cleanup EXIT
trap 'exit 130' INT TERM
build_bench
HARNESS="harness: bench/bench.c (posix_spawnp + wait4, CLOCK_MONOTONIC, $RUNS runs after $WARMUP warm-up)"
say "$HARNESS"
if [ "$DO_LATENCY" = 1 ]; then
	latency
fi
SCALE_OK=1
if [ "$DO_SCALE" = 1 ]; then
	scale
fi
if [ "$DO_TTY" = 1 ]; then
	tty_bench
fi
if [ "$DO_COSTS" = 1 ]; then
	costs
fi
publish
# Targets missed are reported, not failed; a scale check that fails (an
# address that does not answer, a leak, a slowdown) is a bug: exit 1.
[ "$SCALE_OK" = 1 ]
