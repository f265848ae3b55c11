#!/bin/sh
# Install (or check) the Debian/Ubuntu packages this repository needs.
#   scripts/deps.sh install   what `sudo make deps` runs: install what is missing
#   scripts/deps.sh check     what `make test` and `make demo` run: install what
#                             is missing when root, else say what to run
set -eu

# Needed to build, test and run every step.
PACKAGES="build-essential libcriterion-dev busybox-static iproute2 iputils-ping util-linux procps python3"
# Peers for `make bench`, tools for `make lint`/`make valgrind`: nice to have.
OPTIONAL="bubblewrap crun hyperfine gnuplot-nox strace cppcheck clang-tidy clang-format valgrind libcap2-bin"

mode=${1:-install}
[ "$mode" = all ] && PACKAGES="$PACKAGES $OPTIONAL"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
	for p in $PACKAGES; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$st" in *" installed") ;; *) missing="$missing $p" ;; esac
	done
else
	echo "deps: this is not a Debian/Ubuntu (apt-based) system; install by hand:$PACKAGES" >&2
	exit 1
fi

if [ -z "$missing" ]; then
	[ "$mode" = check ] || echo "deps: all packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing; run: sudo make deps" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the list is intended
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: installed$missing"
