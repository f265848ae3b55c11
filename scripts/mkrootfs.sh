#!/bin/sh
# Build a minimal root filesystem from Debian's busybox-static: one static
# binary and a symlink per applet. Nothing is downloaded.
#   usage: scripts/mkrootfs.sh DIR
set -eu

dir=${1:?usage: mkrootfs.sh DIR}
busybox=/bin/busybox

# busybox (the dynamic package) and busybox-static both install /bin/busybox;
# only the static one runs inside a rootfs that has no libc.
if [ ! -x "$busybox" ] ||
	! LC_ALL=C ldd "$busybox" 2>&1 | grep -q 'not a dynamic executable'; then
	echo "rootfs: needs a static /bin/busybox: install the Debian package busybox-static (sudo make deps)" >&2
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
