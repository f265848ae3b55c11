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
#                                           the previous step's; the solution passes
#
# Environment (the make targets set it): STEPS ("05" or "01 02"; default:
# every step), MAKE, TEST_BIN (the Criterion runner), TEST_JOBS,
# HOMEWORK_CFLAGS (added to the repository's flags for skeletons and
# submissions), OUT (where builds and logs go; default build/homework).
set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd)
MAKE=${MAKE:-make}
TEST_BIN=${TEST_BIN:-build/tests/suite}
TEST_JOBS=${TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
HOMEWORK_CFLAGS=${HOMEWORK_CFLAGS:--Wno-unused-function -Wno-unused-variable -Wno-unused-parameter -Wno-unused-but-set-variable -Wno-unused-but-set-parameter -Wno-unused-const-variable -Wno-unused-label}
OUT=${OUT:-build/homework}
STEPS=${STEPS:-}

die() {
	echo "grade: $*" >&2
	exit 2
}

abspath() {
	(cd "$1" && pwd)
}

step_of() {
	basename "$1" | sed -n 's/^step\([0-9][0-9]\)-.*/\1/p'
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

# How many tests the suites of step N hold (stepNN and stepNN_*).
suite_size() {
	"$TEST_BIN" --list 2>&1 |
		awk -v s="step$1" '$1 ~ ("^" s "(_[A-Za-z0-9_]*)?:$") { n += $2 } END { print n + 0 }'
}

# build SRCDIR BINDIR EXTRA_CFLAGS: the Makefile's own rule for step NN
# (make SRC=... BIN=... BIN/stepNN), and set_ns when SRCDIR has one.
# The rootfs goes beside the binaries, as the suites expect.
build() {
	src=$(abspath "$1") bin=$2 extra=$3
	name=$(basename "$src")
	n=$(step_of "$name")
	rm -rf "$bin"
	mkdir -p "$bin/src"
	bin=$(abspath "$bin")
	ln -s "$src" "$bin/src/$name"
	ln -s "$ROOT/rootfs" "$bin/rootfs"
	set -- "$bin/step$n"
	if [ -f "$src/set_ns.c" ]; then
		set -- "$@" "$bin/set_ns" HAS_SETNS="$bin/src/$name/set_ns.c"
	fi
	# The environment's CFLAGS is the base the Makefile adds its flags
	# to; MAKEFLAGS is cleared so that the variables of the `make grade`
	# command line (STEP=, HOMEWORK=) do not reach this make.
	CFLAGS="-O2 -g $extra" MAKEFLAGS='' MFLAGS='' \
		$MAKE --no-print-directory -C "$ROOT" SRC="$bin/src" BIN="$bin" "$@" \
		>"$bin/build.log" 2>&1
}

# The repository's own binaries of every step, built once into REF: some
# suites use another step as a helper (step07's set_ns tests enter a step06
# container), so each STEPS_DIR gets them beside the binaries under test.
REF="$OUT/reference"
build_reference() {
	mkdir -p "$REF"
	ln -sfn "$ROOT/rootfs" "$REF/rootfs"
	set --
	for d in $(STEPS='' steps_in .); do
		set -- "$@" "$(abspath "$REF")/step$(step_of "$d")"
	done
	[ -n "$(ls step07-*/set_ns.c 2>/dev/null)" ] && set -- "$@" "$(abspath "$REF")/set_ns"
	[ $# -gt 0 ] || return 0 # a students' kit has no solutions
	CFLAGS="-O2 -g" MAKEFLAGS='' MFLAGS='' $MAKE --no-print-directory -C "$ROOT" \
		BIN="$(abspath "$REF")" "$@" >"$OUT/reference.log" 2>&1 ||
		die "the repository's own steps do not build: $OUT/reference.log"
}

# add_reference BINDIR: link every reference binary BINDIR does not have.
add_reference() {
	for r in "$REF"/step[0-9][0-9] "$REF"/set_ns; do
		[ -e "$r" ] && [ ! -e "$1/$(basename "$r")" ] && ln -s "$(abspath "$REF")/$(basename "$r")" "$1/"
	done
	true
}

# run_suite N STEPS_DIR LOG: prints "PASSING TESTED" (Criterion's synthesis).
run_suite() {
	STEPS_DIR=$2 "$TEST_BIN" --jobs="$TEST_JOBS" --color=never \
		--filter="step$1*/*" >"$3" 2>&1 </dev/null || true
	r=$(sed -n 's/.*Synthesis: Tested: \([0-9]*\) | Passing: \([0-9]*\).*/\2 \1/p' "$3" | tail -n1)
	echo "${r:-0 0}"
}

need_tools() {
	[ -x "$TEST_BIN" ] || die "no test runner $TEST_BIN: run make test-build"
	[ -x rootfs/bin/busybox ] || die "no rootfs/: run make rootfs"
	[ "$(id -u)" = 0 ] ||
		echo "grade: not root: the tests that need root are skipped and not counted; run it with sudo" >&2
}

# score LABEL N SRCDIR BINDIR: build, run, print "LABEL: P/T checks passed";
# returns 0 on full marks. VERBOSE=1 adds the failed tests.
score() {
	label=$1 n=$2 src=$3 bin=$4
	if [ -z "$src" ]; then
		echo "$label: 0/$(suite_size "$n") checks passed (missing)"
		return 1
	fi
	if ! build "$src" "$bin" "$HOMEWORK_CFLAGS"; then
		echo "$label: 0/$(suite_size "$n") checks passed (does not compile: $bin/build.log)"
		[ "${VERBOSE:-0}" = 1 ] && grep -E 'error|warning' "$bin/build.log" | head -n 20 | sed 's/^/    /'
		return 1
	fi
	add_reference "$bin"
	set -- $(run_suite "$n" "$bin" "$bin/suite.log")
	pass=$1 tested=$2
	skipped=$(($(suite_size "$n") - tested))
	extra=""
	[ "$skipped" -gt 0 ] && extra=" ($skipped skipped)"
	echo "$label: $pass/$tested checks passed$extra"
	if [ "${VERBOSE:-0}" = 1 ] && [ "$pass" -lt "$tested" ]; then
		sed -n 's/^\[FAIL\] \([^:]*::[^:]*\).*/    failed: \1/p' "$bin/suite.log"
		echo "    details: $bin/suite.log"
	fi
	[ "$tested" -gt 0 ] && [ "$pass" -eq "$tested" ]
}

cmd_grade() {
	hw=${1:-homework}
	[ -d "$hw" ] || die "no $hw/: make one with: make homework"
	need_tools
	list=$(steps_in "$hw")
	[ -n "$list" ] || die "no step${STEPS:+ $STEPS} in $hw/ (make homework writes them)"
	build_reference
	rc=0
	for d in $list; do
		n=$(step_of "$d")
		VERBOSE=${VERBOSE:-1} score "step$n" "$n" "$d" "$OUT/grade/step$n" || rc=1
	done
	return $rc
}

cmd_batch() {
	subs=${1:?usage: grade.sh batch SUBMISSIONS}
	[ -d "$subs" ] || die "no directory $subs"
	need_tools
	steps=$(steps_in . | while read -r d; do step_of "$d"; done)
	mkdir -p "$OUT"
	build_reference
	tsv="$OUT/grades.tsv"
	printf 'student\tstep\tpassed\ttested\n' >"$tsv"
	for s in "$subs"/*/; do
		s=${s%/}
		who=$(basename "$s")
		tree=$s
		# A submission may be the homework/ tree itself or hold it.
		[ -d "$s/homework" ] && [ -z "$(steps_in "$s")" ] && tree=$s/homework
		for n in $steps; do
			line=$(VERBOSE=0 score "$who step$n" "$n" "$(step_dir "$tree" "$n")" \
				"$OUT/batch/$who/step$n") || true
			echo "$line"
			printf '%s\tstep%s\t%s\n' "$who" "$n" \
				"$(echo "$line" | sed -n 's/.*: \([0-9]*\)\/\([0-9]*\) checks.*/\1\t\2/p')" >>"$tsv"
		done
	done
	echo "grade: $tsv" >&2
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
	elif ! build "$w/skel/$d" "$w/bin-skel" "$HOMEWORK_CFLAGS"; then
		compiles="NO" own="-" ok=0
	else
		add_reference "$w/bin-skel"
		compiles="yes ($blocks TODOs)" own_ran=1
		set -- $(run_suite "$n" "$w/bin-skel" "$w/own.log")
		if [ "$2" -gt 0 ] && [ "$1" -lt "$2" ]; then
			own="$1/$2 fails"
		else
			own="$1/$2 PASSES" ok=0
		fi
	fi

	# 2. The skeleton does what step N-1 did: suite N-1 against it, built
	# under step N-1's name (PROG "stepMM", binary stepMM).
	m=$(printf '%02d' $((1$n - 101)))
	prev="-"
	if [ "$n" != 01 ] && [ -n "$(step_dir . "$m")" ] && [ -n "$own_ran" ]; then
		cp -R "$w/skel/$d" "$w/as-prev"
		for f in "$w/as-prev"/*.c "$w/as-prev"/*.h; do
			[ -f "$f" ] && sed -i "s/\"step$n\"/\"step$m\"/g" "$f"
		done
		mkdir -p "$w/prev-src"
		mv "$w/as-prev" "$w/prev-src/$d"
		if build "$w/prev-src/$d" "$w/bin-prev" "$HOMEWORK_CFLAGS" &&
			mv "$w/bin-prev/step$n" "$w/bin-prev/step$m"; then
			add_reference "$w/bin-prev"
			set -- $(run_suite "$m" "$w/bin-prev" "$w/prev.log")
			if [ "$2" -gt 0 ] && [ "$1" -eq "$2" ]; then
				prev="step$m $1/$2 passes"
			else
				prev="step$m $1/$2 FAILS" ok=0
			fi
		else
			prev="step$m: NO BUILD" ok=0
		fi
	fi

	# 3. The solution passes its own suite.
	if build "$d" "$w/bin-solution" "" && add_reference "$w/bin-solution"; then
		set -- $(run_suite "$n" "$w/bin-solution" "$w/solution.log")
		if [ "$2" -gt 0 ] && [ "$1" -eq "$2" ]; then
			sol="$1/$2 passes"
		else
			sol="$1/$2 FAILS" ok=0
		fi
	else
		sol="NO BUILD" ok=0
	fi
	verdict=ok
	[ "$ok" = 1 ] || verdict="FAIL ($w)"
	printf '%-7s %-17s %-14s %-22s %-13s %s\n' "step$n" "$compiles" "$own" "$prev" "$sol" "$verdict"
	[ "$ok" = 1 ]
}

cmd_check() {
	need_tools
	start=$(date +%s)
	scripts/homework.sh lint $(steps_in .) >/dev/null || die "fix the markers first (scripts/homework.sh lint)"
	list=$(steps_in .)
	[ -n "$list" ] || die "no step${STEPS:+ $STEPS} here"
	mkdir -p "$OUT/check"
	build_reference
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
		"$TEST_BIN" --list 2>&1 | awk -v s="step$n" '
			$1 ~ /^step[0-9][0-9](_[A-Za-z0-9_]*)?:$/ { in_step = ($1 ~ ("^" s "(_|:)")); next }
			in_step { print $NF }' |
			while read -r t; do
				grep -q "\`$t\`" docs/homework.md ||
					echo "check-homework: warning: docs/homework.md does not describe step$n's test $t" >&2
			done
	done
	echo "check-homework: $([ $rc = 0 ] && echo ok || echo FAILED) in $(($(date +%s) - start)) s"
	return $rc
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
grade) cmd_grade "$@" ;;
batch) cmd_batch "$@" ;;
check) cmd_check "$@" ;;
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
