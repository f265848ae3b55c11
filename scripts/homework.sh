#!/bin/sh
# Exercise skeletons from the marked solution (docs/homework.md).
#
#   scripts/homework.sh make [DIR [NN]]        what `make homework` runs: DIR/stepNN-*/
#                                              (default homework/) for every step;
#                                              refuses if DIR exists, unless FORCE=1.
#                                              With NN (make homework STEP=NN): that
#                                              step alone, beside what DIR holds; FORCE=1
#                                              overwrites that step and nothing else
#   scripts/homework.sh skeleton STEPDIR OUT   one step's skeleton into OUT
#   scripts/homework.sh strip FILE             FILE without any marker line
#   scripts/homework.sh blocks STEPDIR         the code of each of the step's blocks,
#                                              after a line "@@ FILE:LINE" (scripts/kit.py)
#   scripts/homework.sh lint [STEPDIR]...      check the markers (default: every step)
#
# The markers, in stepNN-*/ only around code that step NN adds:
#
#	/* stepNN { what to write: which call, which flags, which error;
#	 * the comment may go on over several lines */
#	...the solution...
#	/* } stepNN */
#
# In step NN's skeleton the block becomes the begin comment, reworded
# "/* TODO stepNN:" and the text. An end marker may say what the skeleton
# keeps in the block's place, so that it still compiles and behaves as step
# NN-1 did:
#
#	/* } stepNN, skeleton: return 0; */
#
# or, over several lines, one line of code per comment line:
#
#	/* } stepNN, skeleton:
#	 * if (mknod(...) == -1)
#	 *	return -1;
#	 */
set -eu

die() {
	echo "homework: $*" >&2
	exit 2
}

# The awk program. MODE: skeleton (drop step STEP's blocks, keep the code
# of others), strip (keep every block's code, drop the markers), lint
# (only check). Errors name FILE:LINE; foreign markers are warned about
# when STEP is set. Writes to stdout; counts blocks of STEP in "nblocks",
# reported on stderr as "blocks N" when COUNT=1.
AWK_PROG='
function fail(msg) {
	printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
	bad = 1
}
function indent_of(s) {
	match(s, /^[ \t]*/)
	return substr(s, 1, RLENGTH)
}
function num_after(s, re) {
	sub(re, "", s)
	return substr(s, 1, 2)
}
# One line of the skeleton text of an end marker: drop the comment
# continuation " * " (one space after the star at most) and indent it
# like the marker.
function stub_line(s) {
	if (s ~ /^[ \t]*\*[ \t]?/ && s !~ /^[ \t]*\*\//) {
		sub(/^[ \t]*\*/, "", s)
		sub(/^ /, "", s)
	} else
		sub(/^[ \t]*/, "", s)
	if (s ~ /^[ \t]*$/)
		return
	emit(end_indent s)
}
function emit(s) {
	if (mode != "lint" && mode != "blocks")
		print s
}
BEGIN {
	BEGIN_RE = "^[ \t]*/[*][ \t]*step[0-9][0-9][ \t]*[{]"
	END_RE = "^[ \t]*/[*][ \t]*[}][ \t]*step[0-9][0-9]"
	state = 0 # 0 code, 1 begin comment, 2 block, 3 end comment
	nblocks = 0
}
FNR == 1 && NR != 1 && state != 0 {
	fail("unterminated step" cur " block (begun in an earlier file)")
	state = 0
}
state == 1 {
	if (ours)
		emit($0)
	if ($0 ~ /[*]\//)
		state = 2
	next
}
state == 3 {
	if ($0 ~ /[*]\//) {
		line = $0
		sub(/[*]\/.*/, "", line)
		if (ours)
			stub_line(line)
		state = 0
	} else if (ours)
		stub_line($0)
	next
}
$0 ~ BEGIN_RE {
	if (state == 2) {
		fail("step" num_after($0, "^[ \t]*/[*][ \t]*step") \
		     " block begins inside the step" cur " block begun at line " \
		     begun " (blocks do not nest)")
		next
	}
	cur = num_after($0, "^[ \t]*/[*][ \t]*step")
	begun = FNR
	ours = step != "" && cur == step
	if (step != "" && !ours && mode == "lint")
		printf "%s:%d: warning: a step%s marker in step%s: only the code step%s adds is marked here\n", \
			FILENAME, FNR, cur, step, step > "/dev/stderr"
	text = $0
	sub(/^[ \t]*\/[*][ \t]*step[0-9][0-9][ \t]*[{][ \t]*/, "", text)
	if (text ~ /^([*]\/)?[ \t]*$/)
		fail("step" cur " block without a text: say what to write")
	if (ours) {
		nblocks++
		emit(indent_of($0) "/* TODO step" cur ":")
		emit(indent_of($0) " * " text)
		if (mode == "blocks")
			printf "@@ %s:%d\n", FILENAME, FNR
	}
	state = $0 ~ /[*]\// ? 2 : 1
	next
}
$0 ~ END_RE {
	n = num_after($0, "^[ \t]*/[*][ \t]*[}][ \t]*step")
	if (state != 2) {
		fail("end of a step" n " block that never began")
		next
	}
	if (n != cur) {
		fail("step" n " end marker closes the step" cur " block begun at line " begun)
		state = 0
		next
	}
	end_indent = indent_of($0)
	rest = $0
	sub(/^[ \t]*\/[*][ \t]*[}][ \t]*step[0-9][0-9][ \t]*/, "", rest)
	if (rest ~ /^[*]\//) {
		state = 0
		next
	}
	if (rest !~ /^,?[ \t]*skeleton:/) {
		fail("end marker: \"/* } step" n " */\" or \"/* } step" n ", skeleton: CODE */\"")
		state = 0
		next
	}
	sub(/^,?[ \t]*skeleton:[ \t]*/, "", rest)
	if (rest ~ /[*]\//) {
		sub(/[ \t]*[*]\/.*/, "", rest)
		if (ours && rest != "")
			emit(end_indent rest)
		state = 0
	} else {
		if (ours && rest != "")
			emit(end_indent rest)
		state = 3
	}
	next
}
/\/[*][ \t]*([}][ \t]*)?step[0-9][0-9][ \t]*[{}]/ {
	fail("a marker must be alone on its line")
}
state == 2 {
	if (mode == "blocks" && ours)
		print
	else if (!ours)
		emit($0)
	next
}
{ emit($0) }
END {
	if (state != 0)
		fail("step" cur " block begun at line " begun " never ends")
	if (count)
		printf "blocks %d\n", nblocks > "/dev/stderr"
	exit bad
}'

# transform MODE STEP FILE... (output on stdout)
transform() {
	mode=$1 step=$2
	shift 2
	awk -v mode="$mode" -v step="$step" -v count="${COUNT:-0}" "$AWK_PROG" "$@"
}

# The step number of a step directory: step05-netns -> 05.
step_of() {
	basename "$1" | sed -n 's/^step\([0-9][0-9]\)-.*/\1/p'
}

# Every step of the repository: a directory stepNN-*/ with its stepNN.c.
steps() {
	for d in step[0-9][0-9]-*/; do
		d=${d%/}
		n=$(step_of "$d")
		[ -n "$n" ] && [ -f "$d/step$n.c" ] && echo "$d"
	done
}

# skeleton STEPDIR OUT: copy STEPDIR to OUT with step NN's blocks replaced
# by their TODOs. Prints the number of blocks.
skeleton() {
	src=$1 out=$2
	n=$(step_of "$src")
	[ -n "$n" ] || die "$src: not a stepNN-* directory"
	mkdir -p "$out"
	total=0
	for f in "$src"/*; do
		[ -f "$f" ] || continue
		base=$(basename "$f")
		case "$base" in
		*.c | *.h)
			err=$(COUNT=1 transform skeleton "$n" "$f" 2>&1 >"$out/$base") ||
				{ printf '%s\n' "$err" | grep -v '^blocks ' >&2; exit 1; }
			b=$(printf '%s\n' "$err" | sed -n 's/^blocks //p')
			total=$((total + ${b:-0}))
			;;
		*) cp -p "$f" "$out/$base" ;;
		esac
	done
	echo "$total"
}

readme() {
	cat <<'EOT'
Each stepNN-*/ here is the workshop's step NN with the code that step adds
replaced by TODO comments: `grep -rn 'TODO step05' step05-netns` lists them.
Fill them in, then, from the repository's root:

    sudo make grade STEP=05      build this step05 and run step05's test suite

Each failed check says what it checks, what the runtime did (its exit
status, decoded, and the last lines of its stderr) and a hint: the TODO or
the section of the chapter to reread. docs/homework.md says what each suite
checks.
EOT
}

cmd=${1:-make}
[ $# -gt 0 ] && shift
case "$cmd" in
make)
	out=${1:-homework}
	only=${2:-}
	list=$(steps)
	[ -n "$list" ] || die "no step directories here"
	if [ -n "$only" ]; then
		only=${only#step}
		only=$(printf '%02d' "${only#0}" 2>/dev/null) || die "STEP=$2: a step number"
		d=$(printf '%s\n' $list | grep "^step$only-" || true)
		[ -n "$d" ] || die "no step $only here"
		if [ -e "$out/$d" ]; then
			[ "${FORCE:-0}" = 1 ] ||
				die "$out/$d exists and may hold your work: move it away, or overwrite it (and only it) with: make homework STEP=$only FORCE=1"
			rm -rf "$out/$d"
		fi
		mkdir -p "$out"
		tmp="$out/.$d.tmp.$$"
		trap 'rm -rf "$tmp"' EXIT
		b=$(skeleton "$d" "$tmp")
		mv "$tmp" "$out/$d"
		trap - EXIT
		[ -e "$out/README" ] || readme >"$out/README"
		echo "homework: wrote $out/$d: $b TODO blocks (grade it with: sudo make grade STEP=$only)"
		exit 0
	fi
	if [ -e "$out" ]; then
		[ "${FORCE:-0}" = 1 ] ||
			die "$out/ exists and may hold your work: move it away, or overwrite it with: make homework FORCE=1 (or one step: make homework STEP=NN)"
		# FORCE deletes a homework tree, never a repository or a home.
		[ -d "$out" ] && [ ! -e "$out/.git" ] && [ ! -e "$out/Makefile" ] &&
			[ "$(cd "$out" && pwd)" != "$HOME" ] && [ "$(cd "$out" && pwd)" != / ] ||
			die "$out does not look like a homework tree: not deleting it"
		rm -rf "$out"
	fi
	tmp="$out.tmp.$$"
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp"
	for d in $list; do
		b=$(skeleton "$d" "$tmp/$d")
		if [ "$b" -eq 0 ]; then
			echo "homework: $out/$d: no homework markers yet, copied as it is" >&2
		else
			echo "homework: $out/$d: $b TODO blocks"
		fi
	done
	readme >"$tmp/README"
	mv "$tmp" "$out"
	trap - EXIT
	echo "homework: wrote $out/ (grade a step with: sudo make grade STEP=NN)"
	;;
blocks)
	[ $# -eq 1 ] || die "usage: homework.sh blocks STEPDIR"
	n=$(step_of "$1")
	[ -n "$n" ] || die "$1: not a stepNN-* directory"
	for f in "$1"/*.c "$1"/*.h; do
		[ -f "$f" ] && transform blocks "$n" "$f"
	done
	true
	;;
skeleton)
	[ $# -eq 2 ] || die "usage: homework.sh skeleton STEPDIR OUT"
	skeleton "$1" "$2" >/dev/null
	;;
strip)
	[ $# -ge 1 ] || die "usage: homework.sh strip FILE..."
	transform strip "" "$@"
	;;
lint)
	[ $# -gt 0 ] || set -- $(steps)
	rc=0
	for d in "$@"; do
		d=${d%/}
		n=$(step_of "$d")
		[ -n "$n" ] || die "$d: not a stepNN-* directory"
		total=0
		for f in "$d"/*.c "$d"/*.h; do
			[ -f "$f" ] || continue
			err=$(COUNT=1 transform lint "$n" "$f" 2>&1 >/dev/null) || rc=1
			b=$(printf '%s\n' "$err" | sed -n 's/^blocks //p')
			printf '%s\n' "$err" | grep -v '^blocks \|^$' >&2 || true
			total=$((total + ${b:-0}))
		done
		echo "$d: $total blocks"
	done
	exit $rc
	;;
*)
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
	exit 2
	;;
esac
