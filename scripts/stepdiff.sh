#!/bin/sh
# The lesson of a step: what it adds to the previous one.
#   usage: scripts/stepdiff.sh stepNN
set -eu
n=${1#step}
cur=$(ls -d step"$n"-* 2>/dev/null | head -n1)
prev=$(ls -d step"$(printf '%02d' $((1${n} - 101)))"-* 2>/dev/null | head -n1)
[ -n "$cur" ] || { echo "diff: no directory step$n-*" >&2; exit 2; }
[ -n "$prev" ] || { echo "diff: step$n is the first step" >&2; exit 2; }
# Compare file by file, pairing stepNN.c with the previous stepMM.c, so the
# diff shows what changed rather than one file removed and one added.
# The previous step's homework markers are not part of this lesson.
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
rc=0
for f in "$cur"/*; do
	base=$(basename "$f")
	old="$prev/$base"
	case "$base" in "step$n".*) old="$prev/$(basename "$prev" | cut -d- -f1).${base#*.}" ;; esac
	[ -e "$old" ] || old=/dev/null
	# labels instead of timestamps: the same diff on every checkout
	scripts/homework.sh strip "$old" >"$tmp"
	diff -u --label "$old" --label "$f" "$tmp" "$f" || rc=$?
done
for f in "$prev"/*; do
	base=$(basename "$f")
	case "$base" in step*.*) continue ;; esac
	[ -e "$cur/$base" ] || diff -u --label "$f" --label /dev/null "$f" /dev/null || rc=$?
done
[ "$rc" -le 1 ]
