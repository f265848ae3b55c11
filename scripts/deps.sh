#!/bin/sh
# Install (or check) the packages this repository needs.
#   scripts/deps.sh install   what `sudo make deps` runs: install what is missing
#   scripts/deps.sh check     what `make test` and `make demo` run: install what
#                             is missing when root, else say what to run
#   scripts/deps.sh all       install the optional tools too (CI)
#
# Debian and Ubuntu (apt) are tested. On Fedora (dnf) and Arch Linux
# (pacman) it prints the packages and the command that installs them, and
# changes nothing: those lists are expected to work, untested (README.md).
#   DEPS_OS=fedora|arch       pretend to be on that distribution (tests)
set -eu

# Needed to build, test and run every step.
PACKAGES="build-essential libcriterion-dev zlib1g-dev busybox-static iproute2 iputils-ping util-linux procps python3"
# Peers for `make bench`, tools for `make lint`/`make valgrind`: nice to have.
OPTIONAL="bubblewrap crun hyperfine gnuplot-nox strace cppcheck clang-tidy clang-format valgrind libcap2-bin"

# The same needs, by the names other distributions give them. glibc-static:
# some tests build small static helpers that run inside the busybox rootfs
# (Debian's libc6-dev ships libc.a). Both distributions' busybox package
# is a static binary; scripts/mkrootfs.sh checks it (or takes BUSYBOX=).
FEDORA="gcc make glibc-static criterion-devel busybox iproute iputils util-linux procps-ng"
ARCH="base-devel criterion busybox iproute2 iputils util-linux procps-ng"

mode=${1:-install}
[ "$mode" = all ] && PACKAGES="$PACKAGES $OPTIONAL"

# Without dpkg we cannot ask the package manager cheaply: look for what the
# build, the rootfs and the suites use.
found() {
	command -v "${CC:-cc}" >/dev/null 2>&1 && command -v make >/dev/null 2>&1 &&
		[ -r /usr/include/criterion/criterion.h ] &&
		command -v ip >/dev/null 2>&1 && command -v ping >/dev/null 2>&1 &&
		command -v unshare >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1 &&
		{ [ -n "${BUSYBOX-}" ] || command -v busybox >/dev/null 2>&1; }
}

# other NAME CMD PACKAGES: a distribution we do not drive; say what to run.
other() {
	if [ -z "${DEPS_OS-}" ] && found; then
		[ "$mode" = check ] || echo "deps: $1: the compiler, Criterion, busybox, ip, ping and util-linux are there"
		exit 0
	fi
	echo "deps: this is $1, not Debian/Ubuntu: nothing was installed." >&2
	echo "deps: install these packages (expected to work, untested):" >&2
	echo "  sudo $2 $3" >&2
	echo "deps: a busybox that is not static: make rootfs BUSYBOX=/path/to/a/static/busybox" >&2
	exit 1
}

os=${DEPS_OS-}
if [ -z "$os" ] && ! command -v dpkg-query >/dev/null 2>&1; then
	os=unknown
	command -v dnf >/dev/null 2>&1 && os=fedora
	command -v pacman >/dev/null 2>&1 && os=arch
fi
case $os in
fedora) other "Fedora (dnf)" "dnf install -y" "$FEDORA" ;;
arch) other "Arch Linux (pacman)" "pacman -S --needed" "$ARCH" ;;
unknown)
	found && exit 0
	echo "deps: no apt, dnf or pacman here; install by hand the equivalents of:" >&2
	echo "  $PACKAGES" >&2
	echo "  (Fedora: $FEDORA; Arch: $ARCH)" >&2
	exit 1
	;;
esac

missing=""
for p in $PACKAGES; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in *" installed") ;; *) missing="$missing $p" ;; esac
done

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
