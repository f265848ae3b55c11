#!/bin/sh
# Build a minimal root filesystem from a static busybox: one static binary
# and a symlink per applet. Nothing is downloaded.
#   usage: scripts/mkrootfs.sh DIR
#   BUSYBOX=/path/to/a/static/busybox   the binary to use (default: the first
#       busybox on PATH, /bin, /usr/bin or /usr/sbin: Debian's busybox-static,
#       Fedora's and Arch's busybox packages)
#   make rootfs BUSYBOX=...   passes it on
set -eu

dir=${1:?usage: mkrootfs.sh DIR}

busybox=${BUSYBOX-}
if [ -z "$busybox" ]; then
	for b in "$(command -v busybox 2>/dev/null || true)" /bin/busybox \
		/usr/bin/busybox /usr/sbin/busybox; do
		[ -n "$b" ] && [ -x "$b" ] && busybox=$b && break
	done
fi
case $busybox in
"") echo "rootfs: no busybox found: install busybox-static (sudo make deps), or make rootfs BUSYBOX=/path/to/a/static/busybox" >&2
	exit 1 ;;
/*) ;;
*) busybox=$PWD/$busybox ;;
esac

# Only a static busybox runs inside a rootfs that has no libc (Debian's
# busybox package is dynamic, busybox-static is not). ldd says so where it
# exists; else file(1); with neither we trust the caller.
static=unknown
if command -v ldd >/dev/null 2>&1; then
	if LC_ALL=C ldd "$busybox" 2>&1 | grep -Eq 'not a dynamic executable|statically linked'; then
		static=yes
	else
		static=no
	fi
elif command -v file >/dev/null 2>&1; then
	case $(file -L "$busybox") in *static*) static=yes ;; *) static=no ;; esac
fi
if [ ! -x "$busybox" ] || [ "$static" = no ]; then
	echo "rootfs: $busybox is not a static executable: install busybox-static (sudo make deps), or make rootfs BUSYBOX=/path/to/a/static/busybox" >&2
	exit 1
fi

tmp="$dir.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp"
cd "$tmp"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root run var
chmod 1777 tmp
chmod 0700 root
cp "$busybox" bin/busybox
chmod 0755 bin/busybox

# One relative link per applet, where busybox itself would install it
# ("bin/ls", "sbin/ip", "usr/bin/env"), so the tree can be moved or copied.
for applet in $(bin/busybox --list-full); do
	case "$applet" in
	bin/busybox) continue ;;
	bin/*) target=busybox ;;
	sbin/*) target=../bin/busybox ;;
	usr/*/*) target=../../bin/busybox ;;
	*) continue ;;
	esac
	[ -e "$applet" ] || ln -s "$target" "$applet"
done

cat > etc/passwd <<'EOT'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOT
cat > etc/group <<'EOT'
root:x:0:
nogroup:x:65534:
EOT
echo container > etc/hostname
cat > etc/hosts <<'EOT'
127.0.0.1	localhost
::1	localhost
EOT
echo 'export PS1="\u@\h:\w\$ "' > etc/profile

cd - >/dev/null
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "rootfs: $dir ($(ls "$dir/bin" | wc -l) applets in bin/, from $busybox)"
