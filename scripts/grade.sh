#!/bin/sh
# Grade homework with the workshop's own test suites (docs/homework.md).
#
#   scripts/grade.sh grade [HOMEWORK]       what `make grade` runs: build each step
#                                           of HOMEWORK (default homework/) and run
#                                           that step's suite against it
#   scripts/grade.sh batch SUBMISSIONS      `make grade SUBMISSIONS=dir`: one line per
#                                           student (a subdirectory) per step
#   scripts/grade.sh check                  `make check-homework`: every skeleton
#                                           compiles, fails its own suite and passes
#                                           the previous step's; the solution passes;
#                                           then scripts/check-grading.sh
#
# Each graded run, its build included, happens in a sandbox of its own
# (scripts/sandbox.sh) that shows the submission, the rootfs, the suite and
# the Makefile, and not the repository's step directories, build/ or the
# reference binaries. Its results are Criterion's JSON report, which
# scripts/results.py turns into grade.json and junit.xml.
#
# Environment (the make targets set it): STEPS ("05" or "01 02"; default:
# every step), MAKE, TEST_BIN (the Criterion runner), TEST_JOBS,
# HOMEWORK_CFLAGS (added to the repository's flags for skeletons and
# submissions), OUT (where builds and logs go; default build/homework),
# GRADE_TIME (seconds per graded run, default 600), GRADE_PIDS and
# GRADE_MEMORY (the sandbox's cgroup limits), GRADE_RUN_TIMEOUT (a cap on
# each run of a runtime, in seconds), GRADE_JOBS (students graded side by
# side by batch; default 1), GRADE_SANDBOX=0 (no sandbox: only to measure
# what it costs, on code one trusts).
set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
MAKE=${MAKE:-make}
TEST_BIN=${TEST_BIN:-build/tests/suite}
TEST_JOBS=${TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
HOMEWORK_CFLAGS=${HOMEWORK_CFLAGS:--Wno-unused-function -Wno-unused-variable -Wno-unused-parameter -Wno-unused-but-set-variable -Wno-unused-but-set-parameter -Wno-unused-const-variable -Wno-unused-label}
OUT=${OUT:-build/homework}
STEPS=${STEPS:-}
GRADE_TIME=${GRADE_TIME:-600}
# (the system's python3 first: a shim of a version manager costs a second)
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || echo python3)}
export MAKE TEST_BIN TEST_JOBS HOMEWORK_CFLAGS GRADE_TIME PYTHON STEPS
[ -z "${GRADE_RUN_TIMEOUT:-}" ] || export GRADE_RUN_TIMEOUT

die() {
	echo "grade: $*" >&2
	exit 2
}

abspath() {
	(cd "$1" && pwd -P)
}

case "${1:-}" in inside) ;; *)
	mkdir -p "$OUT"
	OUT=$(abspath "$OUT")
	export OUT
	;;
esac
case "$TEST_BIN" in /*) ;; *) TEST_BIN=$ROOT/$TEST_BIN ;; esac
REF="$OUT/reference"
TREE=${TREE:-$OUT/tree} # what a graded run sees of the repository (make_tree)

# step05-netns (or a path to it) -> 05; nothing for anything else. (No
# command: it is called in loops.)
step_of() {
	b=${1%/}
	b=${b##*/}
	case "$b" in
	step[0-9][0-9]-*) b=${b#step} && echo "${b%%-*}" ;;
	esac
}

# The step directories of a tree (stepNN-*/ with its stepNN.c), filtered
# by STEPS.
steps_in() {
	for d in "$1"/step[0-9][0-9]-*/; do
		d=${d%/}
		n=$(step_of "$d")
		[ -n "$n" ] && [ -f "$d/step$n.c" ] || continue
		if [ -n "$STEPS" ]; then
			case " $STEPS " in *" $n "*) ;; *) continue ;; esac
		fi
		echo "$d"
	done
}

# The step directory of step N in tree T, or nothing.
step_dir() {
	for d in "$1"/step"$2"-*/; do
		[ -f "$d/step$2.c" ] && echo "${d%/}" && return
	done
	true
}

# The tests of step M's suites (stepMM and stepMM_*), as SUITE::TEST.
suite_tests() {
	"$TEST_BIN" --list 2>&1 | awk -v s="step$1" '
		$1 ~ /^[A-Za-z0-9_]+:$/ {
			sub(/:$/, "", $1)
			suite = ($1 == s || index($1, s "_") == 1) ? $1 : ""
			next
		}
		suite != "" && NF { print suite "::" $NF }'
}

# The repository's own binaries of every step, built once into REF, from
# which each graded run gets the steps before its own (prepare).
build_reference() {
	mkdir -p "$REF"
	set --
	for d in $(STEPS='' steps_in .); do
		set -- "$@" "$REF/step$(step_of "$d")"
	done
	[ $# -gt 0 ] || return 0 # a kit without solutions
	CFLAGS="-O2 -g" MAKEFLAGS='' MFLAGS='' $MAKE --no-print-directory -C "$ROOT" \
		BIN="$REF" "$@" >"$OUT/reference.log" 2>&1 ||
		die "the repository's own steps do not build: $OUT/reference.log"
}

# The part of the repository a graded run sees, copied once into OUT/tree:
# the Makefile and what it includes, the scripts, the rootfs. The rootfs
# is a plain directory there, not a mount point of its own in the sandbox
# (the step03 suite looks for the rootfs in the mount table).
make_tree() {
	# Without root there is no sandbox (nor anything to hide): the
	# repository itself, whose rootfs only root may copy whole.
	if [ "$(id -u)" != 0 ]; then
		TREE=$ROOT
		export TREE
		return 0
	fi
	t=$OUT/tree
	# again only when something in it changed
	[ ! -e "$t/.made" ] ||
		[ -n "$(find Makefile mk scripts rootfs fuzz/fuzz.mk -newer "$t/.made" 2>/dev/null | head -n 1)" ] ||
		return 0
	rm -rf "$t.new"
	mkdir -p "$t.new/fuzz"
	cp -a Makefile mk scripts rootfs "$t.new/"
	[ ! -f fuzz/fuzz.mk ] || cp fuzz/fuzz.mk "$t.new/fuzz/"
	: >"$t.new/.made"
	rm -rf "$t"
	mv "$t.new" "$t"
}

# prepare SRCDIR BINDIR M: the directory of one graded run: BINDIR/src/NAME,
# a link to SRCDIR, which the Makefile builds; the rootfs beside the
# binaries, as the suites expect; copies of the repository's binaries of
# the steps before M, which some suites use as helpers (step07's set_ns
# tests enter a step06 container). Never of step M or later: they hold
# its solution.
prepare() {
	src=$(abspath "$1") bin=$2 m=$3
	rm -rf "$bin"
	mkdir -p "$bin/src" "$bin/run"
	ln -s "$src" "$bin/src/$(basename "$src")"
	ln -s "$TREE/rootfs" "$bin/rootfs"
	set --
	for r in "$REF"/step[0-9][0-9]; do
		[ -f "$r" ] || continue
		k=${r##*/step}
		[ "$k" -ge "$m" ] || set -- "$@" "$r"
	done
	[ $# = 0 ] || cp "$@" "$bin/"
}

# build BINDIR EXTRA_CFLAGS: the Makefile's own rule for the step in
# BINDIR/src (make SRC=... BIN=... BIN/stepNN), set_ns when it has one.
build() {
	bin=$1 extra=$2
	name=$(basename "$(echo "$bin"/src/step[0-9][0-9]-*)")
	n=$(step_of "$name")
	set -- "$bin/step$n"
	if [ -f "$bin/src/$name/set_ns.c" ]; then
		set -- "$@" "$bin/set_ns" HAS_SETNS="$bin/src/$name/set_ns.c"
	fi
	# The environment's CFLAGS is the base the Makefile adds its flags
	# to; MAKEFLAGS is cleared so that the variables of the `make grade`
	# command line (STEP=, HOMEWORK=) do not reach this make.
	CFLAGS="-O2 -g $extra" MAKEFLAGS='' MFLAGS='' \
		$MAKE --no-print-directory -C "$ROOT" SRC="$bin/src" BIN="$bin" "$@" \
		>"$bin/build.log" 2>&1
}

# inside N BINDIR M [CFLAGS]: what runs in the sandbox. Build the step,
# then run step M's suite against it with Criterion's reporters. BINDIR/run
# gets build.status, criterion.json and .xml, and the harness's events.
cmd_inside() {
	n=$1 bin=$2 m=$3 flags=${4-$HOMEWORK_CFLAGS}
	run=$bin/run
	if ! build "$bin" "$flags"; then
		echo 1 >"$run/build.status"
		cp "$bin/build.log" "$run/build.log"
		return 0
	fi
	echo 0 >"$run/build.status"
	[ "$m" = "$n" ] || mv "$bin/step$n" "$bin/step$m"
	# In the sandbox, the build is read-only from here on (its run/ is a
	# mount of its own): a runtime cannot put another program in its
	# place for the runs that follow.
	[ "${GRADE_SANDBOX:-}" != 1 ] || mount -o remount,bind,ro "$bin"
	STEPS_DIR=$bin GRADE_EVENTS=$run/events \
		"$TEST_BIN" --jobs="$TEST_JOBS" --color=never --filter="step$m*/*" \
		--json="$run/criterion.json" --xml="$run/criterion.xml" \
		>"$run/suite.log" 2>&1 </dev/null || true
}

# graded N SRCDIR BINDIR M STUDENT [CFLAGS]: one graded run: prepare, then
# in the sandbox build SRCDIR and run step M's suite (M is N but for
# check-homework's "previous suite"), then the grade (BINDIR/grade.json,
# junit.xml) and its summary. Returns 0 on full marks. VERBOSE=1 adds each
# failed test, with what it checks, its message and a hint.
graded() {
	n=$1 src=$2 bin=$3 m=$4 who=$5
	[ $# -ge 6 ] && flags=$6 || flags=$HOMEWORK_CFLAGS
	if [ -z "$src" ]; then
		rm -rf "$bin"
		mkdir -p "$bin/run"
		suite_tests "$m" >"$bin/run/tests"
		$PYTHON scripts/results.py grade "$bin/run" --step "$m" \
			--student "$who" --out "$bin" --missing
		return 1
	fi
	prepare "$src" "$bin" "$m"
	bin=$(abspath "$bin")
	src=$(abspath "$src")
	suite_tests "$m" >"$bin/run/tests"
	set -- sh "$TREE/scripts/grade.sh" inside "$n" "$bin" "$m" "$flags"
	if [ "$(id -u)" != 0 ] || [ "${GRADE_SANDBOX:-1}" = 0 ]; then
		# No sandbox can be made (nothing that needs root runs either), or
		# none is wanted: to measure what it costs, on code one trusts.
		"$@" || true
	else
		SANDBOX_TIME=$GRADE_TIME SANDBOX_PIDS=${GRADE_PIDS:-1000} \
			SANDBOX_MEMORY=${GRADE_MEMORY:-2147483648} \
			SANDBOX_SHOW="$TREE $TEST_BIN ${TEST_BIN%/*}/helpers $src $bin:rw" \
			scripts/sandbox.sh run "$bin/run" -- "$@" || [ $? = 124 ] ||
			die "the sandbox failed (scripts/sandbox.sh)"
	fi
	[ ! -f "$bin/run/suite.log" ] || mv "$bin/run/suite.log" "$bin/suite.log"
	set -- --step "$m" --student "$who" --out "$bin" --time "$GRADE_TIME" \
		--details "$bin/{grade.json,junit.xml,suite.log}"
	[ "${VERBOSE:-0}" = 1 ] && set -- "$@" --verbose
	$PYTHON scripts/results.py grade "$bin/run" "$@"
}

need_tools() {
	[ -x "$TEST_BIN" ] || die "no test runner $TEST_BIN: run make test-build"
	[ -x rootfs/bin/busybox ] || die "no rootfs/: run make rootfs"
	command -v "$PYTHON" >/dev/null || die "no python3: run sudo make deps"
	[ "$(id -u)" = 0 ] ||
		echo "grade: not root: no sandbox, and the tests that need root are skipped and not counted; run it with sudo" >&2
}

# "SCORE MAX" of a graded run.
score_of() {
	$PYTHON -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r["score"], r["max"])' \
		"$1/grade.json" 2>/dev/null || echo "0 0"
}

cmd_grade() {
	hw=${1:-homework}
	[ -d "$hw" ] || die "no $hw/: make one with: make homework STEP=NN"
	need_tools
	list=$(steps_in "$hw")
	[ -n "$list" ] || die "no step${STEPS:+ $STEPS} in $hw/ (make homework STEP=NN writes one)"
	build_reference
	make_tree
	rc=0
	for d in $list; do
		n=$(step_of "$d")
		VERBOSE=${VERBOSE:-1} graded "$n" "$d" "$OUT/grade/step$n" "$n" "" || rc=1
	done
	return $rc
}

# student WHO TREE: every step of one student's tree (batch, one at a time
# or GRADE_JOBS side by side); the summary into OUT/batch/WHO/summary.
cmd_student() {
	who=$1 tree=$2
	# A submission may be the homework/ tree itself or hold it.
	[ -d "$tree/homework" ] && [ -z "$(steps_in "$tree")" ] && tree=$tree/homework
	mkdir -p "$OUT/batch/$who"
	for n in $(STEPS='' steps_in . | while read -r d; do step_of "$d"; done); do
		if [ -n "$STEPS" ]; then
			case " $STEPS " in *" $n "*) ;; *) continue ;; esac
		fi
		VERBOSE=0 graded "$n" "$(step_dir "$tree" "$n")" \
			"$OUT/batch/$who/step$n" "$n" "$who" || true
	done >"$OUT/batch/$who/summary"
	# The student's steps in one JSON and one JUnit file.
	$PYTHON scripts/results.py merge "$OUT/batch/$who/grades" \
		"$OUT/batch/$who"/step[0-9][0-9]/grade.json
}

cmd_batch() {
	subs=${1:?usage: grade.sh batch SUBMISSIONS}
	[ -d "$subs" ] || die "no directory $subs"
	need_tools
	build_reference
	make_tree
	rm -rf "$OUT/batch"
	for s in "$subs"/*/; do
		[ -d "$s" ] && printf '%s\n%s\n' "$(basename "$s")" "${s%/}"
	done | xargs -d '\n' -n 2 -P "${GRADE_JOBS:-1}" sh "$ROOT/scripts/grade.sh" student
	tsv="$OUT/grades.tsv"
	for s in "$subs"/*/; do
		[ -d "$s" ] && cat "$OUT/batch/$(basename "$s")/summary"
	done
	printf 'student\tstep\tscore\tmax\tcrashed\ttimed_out\tstatus\n' >"$tsv"
	$PYTHON - "$OUT"/batch/*/step[0-9][0-9]/grade.json >>"$tsv" <<'EOT'
import json, sys
for f in sys.argv[1:]:
    r = json.load(open(f))
    print("\t".join(str(x) for x in (r["student"], "step" + r["step"], r["score"],
          r["max"], r["crashed"], r["timed_out"], r["status"])))
EOT
	echo "grade: $tsv; per student: $OUT/batch/STUDENT/grades.json and grades.xml" >&2
}

# One row of the check-homework table for step directory D; returns 0 when
# the step is fit to hand out.
check_step() {
	d=$1
	n=$(step_of "$d")
	w="$OUT/check/step$n"
	rm -rf "$w"
	mkdir -p "$w"
	ok=1
	blocks=$(scripts/homework.sh skeleton "$d" "$w/skel/$d" 2>"$w/lint.log" &&
		grep -c 'TODO step'"$n"':' "$w/skel/$d"/*.[ch] 2>/dev/null |
		awk -F: '{ n += $NF } END { print n + 0 }') || blocks=ERR
	own_ran=""

	# 1. The skeleton compiles and fails its own suite.
	if [ "$blocks" = ERR ]; then
		compiles="bad markers" own="-" ok=0
	elif [ "$blocks" -eq 0 ]; then
		compiles="no markers" own="-" ok=0
	else
		graded "$n" "$w/skel/$d" "$w/bin-skel" "$n" "" >"$w/own.txt" || true
		set -- $(score_of "$w/bin-skel")
		if [ "$(cat "$w/bin-skel/run/build.status" 2>/dev/null)" != 0 ]; then
			compiles="NO" own="-" ok=0
		elif [ "$2" -gt 0 ] && [ "$1" -lt "$2" ]; then
			compiles="yes ($blocks TODOs)" own="$1/$2 fails" own_ran=1
		else
			compiles="yes ($blocks TODOs)" own="$1/$2 PASSES" ok=0 own_ran=1
		fi
	fi

	# 2. The skeleton does what step N-1 did: suite N-1 against it, built
	# under step N-1's name (PROG "stepMM", binary stepMM).
	m=$(printf '%02d' $((1$n - 101)))
	prev="-"
	if [ "$n" != 01 ] && [ -n "$(step_dir . "$m")" ] && [ -n "$own_ran" ]; then
		mkdir -p "$w/prev-src"
		cp -R "$w/skel/$d" "$w/prev-src/$d"
		for f in "$w/prev-src/$d"/*.c "$w/prev-src/$d"/*.h; do
			[ -f "$f" ] && sed -i "s/\"step$n\"/\"step$m\"/g" "$f"
		done
		graded "$n" "$w/prev-src/$d" "$w/bin-prev" "$m" "" >"$w/prev.txt" || true
		set -- $(score_of "$w/bin-prev")
		if [ "$2" -gt 0 ] && [ "$1" -eq "$2" ]; then
			prev="step$m $1/$2 passes"
		else
			prev="step$m $1/$2 FAILS" ok=0
		fi
	fi

	# 3. The solution passes its own suite (built with the repository's
	# flags alone).
	graded "$n" "$d" "$w/bin-solution" "$n" "" "" >"$w/solution.txt" || true
	set -- $(score_of "$w/bin-solution")
	if [ "$2" -gt 0 ] && [ "$1" -eq "$2" ]; then
		sol="$1/$2 passes"
	else
		sol="$1/$2 FAILS" ok=0
	fi
	verdict=ok
	[ "$ok" = 1 ] || verdict="FAIL ($w)"
	printf '%-7s %-17s %-14s %-22s %-13s %s\n' "step$n" "$compiles" "$own" "$prev" "$sol" "$verdict"
	[ "$ok" = 1 ]
}

cmd_check() {
	need_tools
	[ "$(id -u)" = 0 ] || die "check-homework grades in the sandbox: run it as root"
	start=$(date +%s)
	scripts/homework.sh lint $(steps_in .) >/dev/null || die "fix the markers first (scripts/homework.sh lint)"
	list=$(steps_in .)
	[ -n "$list" ] || die "no step${STEPS:+ $STEPS} here"
	mkdir -p "$OUT/check"
	build_reference
	make_tree
	printf '%-7s %-17s %-14s %-22s %-13s %s\n' step "skeleton builds" "own suite" "previous suite" solution verdict
	# CHECK_JOBS steps side by side (the suites allow it); rows print in order.
	printf '%s\n' $list | xargs -P "${CHECK_JOBS:-2}" -n 1 "$ROOT/scripts/grade.sh" check-step
	rc=0
	for d in $list; do
		w="$OUT/check/step$(step_of "$d")"
		cat "$w/row" 2>/dev/null || echo "$d: no result ($w)"
		[ "$(cat "$w/rc" 2>/dev/null)" = 0 ] || rc=1
	done
	# docs/homework.md describes every test of the steps that are homework.
	for d in $list; do
		n=$(step_of "$d")
		grep -q "TODO" "$OUT/check/step$n/row" 2>/dev/null || continue
		suite_tests "$n" | $PYTHON -c '
import sys
sys.path.insert(0, "scripts")
import results
desc, hint = results.descriptions(), results.hints()
for t in sys.stdin.read().split():
    if not results.lookup(desc, t):
        print("check-homework: warning: docs/homework.md does not describe " + t)
    if not results.lookup(hint, t):
        print("check-homework: warning: tests/hints.txt has no hint for " + t)' >&2
	done
	# The grading itself: the sandbox against bad submissions, the reports,
	# the kits, the workflow (scripts/check-grading.sh).
	if [ -z "$STEPS" ] || [ "${CHECK_GRADING:-}" = 1 ]; then
		OUT=$OUT scripts/check-grading.sh || rc=1
	fi
	echo "check-homework: $([ $rc = 0 ] && echo ok || echo FAILED) in $(($(date +%s) - start)) s"
	return $rc
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
grade) cmd_grade "$@" ;;
batch) cmd_batch "$@" ;;
check) cmd_check "$@" ;;
inside) cmd_inside "$@" ;;
student) cmd_student "$@" ;;
check-step)
	# one row of cmd_check, into $OUT/check/stepNN/{row,rc}
	w="$OUT/check/step$(step_of "$1")"
	if check_step "$1" >"$w.row"; then rc=0; else rc=1; fi
	mv "$w.row" "$w/row"
	echo $rc >"$w/rc"
	;;
*)
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
	exit 2
	;;
esac
