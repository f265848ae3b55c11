#!/bin/sh
# Run step NN's suite against step NN-1's binary (renamed), to show that the
# suite can fail: every test that checks what step NN adds must fail.
#   usage: scripts/against-previous.sh 05
set -eu
n=$(printf '%02d' "$((1$1 - 100))")
prev=$(printf '%02d' "$((1$1 - 101))")
dir=$(mktemp -d /tmp/nsw-prev-XXXXXX)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
cp "step$prev" "$dir/step$n"
ln -s "$(pwd)/rootfs" "$dir/rootfs"
STEPS_DIR=$dir build/tests/suite --filter="step$n*/*" --jobs=2 2>&1 |
	grep -E '^\[(FAIL|PASS)|Synthesis' || true
