#!/bin/sh
# make doctor: can this machine run the namespace workshop?
#
#   scripts/doctor.sh            every check, one line each: ok, warn or FAIL,
#                                and under each problem a one-line fix
#   scripts/doctor.sh --quiet    only the problems (warn and FAIL), and not the
#                                build products (binaries, rootfs) that make is
#                                about to build: what `make demo` runs first
#
# Exit status 1 when something essential for the current user is missing
# (a FAIL): a C compiler, Criterion, busybox-static, a namespace type the
# steps use, namespaces the kernel or a policy refuses to create, user
# namespaces for an unprivileged user. A warning never changes the status.
# It changes nothing on the machine, and it is fast: few forks (each one
# is costly on a loaded workshop VM), no network.
#
# For tests, the machine can be described instead of looked at:
#   DOCTOR_PROC_SYS=DIR   read the sysctls from DIR (a fake /proc/sys tree);
#                         the live tries (unshare) are skipped then
#   DOCTOR_KERNEL=X.Y     pretend to run on Linux X.Y
#   SUDO_UID=UID          whose rootless runs to check the path for (sudo
#                         sets it; default: the checkout's owner)
set -u

quiet=0
case "${1-}" in
-q | --quiet) quiet=1 ;;
-h | --help)
	sed -n '2,23s/^# \{0,1\}//p' "$0"
	exit 0
	;;
"") ;;
*)
	echo "doctor: unknown option $1 (usage: scripts/doctor.sh [--quiet])" >&2
	exit 2
	;;
esac

case $0 in */*) cd "${0%/*}/.." || exit 2 ;; *) cd .. || exit 2 ;; esac
repo=$PWD
uid=$(id -u)

if [ -t 1 ] && [ -z "${NO_COLOR-}" ]; then
	esc=$(printf '\033')
	c_ok="${esc}[32m" c_warn="${esc}[33m" c_fail="${esc}[1;31m" c_dim="${esc}[2m" c_off="${esc}[0m"
else
	c_ok='' c_warn='' c_fail='' c_dim='' c_off=''
fi

n_ok=0 n_warn=0 n_fail=0

# report ok|warn|FAIL WHAT MESSAGE [FIX]
report() {
	case "$1" in
	ok)
		n_ok=$((n_ok + 1))
		[ "$quiet" = 1 ] && return 0
		col=$c_ok
		;;
	warn) n_warn=$((n_warn + 1)) col=$c_warn ;;
	*) n_fail=$((n_fail + 1)) col=$c_fail ;;
	esac
	printf '%s%-4s%s  %-16s %s\n' "$col" "$1" "$c_off" "$2" "$3"
	[ -n "${4-}" ] && printf '%22s %sfix: %s%s\n' "" "$c_dim" "$4" "$c_off"
	return 0
}

have() { command -v "$1" >/dev/null 2>&1; }

# The sysctls looked at below, in one grep: "path:value" lines. (dash's
# read(1) reads a byte at a time, and /proc/sys files answer a read at a
# non-zero offset with EOF: it would see "9" of 96364.)
procsys=${DOCTOR_PROC_SYS:-/proc/sys}
live=1 # try unshare for real; not against a fake /proc/sys
[ -n "${DOCTOR_PROC_SYS-}" ] && live=0
sysctls=$(cd "$procsys" 2>/dev/null && grep -s -H . user/max_user_namespaces \
	kernel/unprivileged_userns_clone kernel/apparmor_restrict_unprivileged_userns)
# sysctl NAME: its value in $sv (empty when the file does not exist).
sysctl() {
	sv=''
	for l in $sysctls; do
		case $l in "$1:"*) sv=${l#*:} ;; esac
	done
}

# One dpkg-query for every package looked at below.
pkgs=$(dpkg-query -W -f='${Package} ${Version} ${Status}\n' \
	libcriterion-dev busybox-static 2>/dev/null)
# pkg NAME: the installed version in $pv, or empty.
pkg() {
	pv=''
	while read -r p v st; do
		case "$p $st" in "$1 "*" installed") pv=$v ;; esac
	done <<EOF
$pkgs
EOF
}

krel=${DOCTOR_KERNEL:-$(uname -r)}
if [ "$quiet" = 0 ]; then
	PRETTY_NAME='an unknown distribution'
	[ -r /etc/os-release ] && while IFS='=' read -r k v; do
		[ "$k" = PRETTY_NAME ] && PRETTY_NAME=${v#\"} && PRETTY_NAME=${PRETTY_NAME%\"}
	done </etc/os-release
	echo "doctor: can this machine run the namespace workshop? (Linux $krel, $PRETTY_NAME)"
fi

# ------------------------------------------------------------- who ---
if [ "$uid" = 0 ]; then
	report ok root "running as root: every step, the demo and every test can run"
else
	report warn root "uid $uid, not root: only step06 and step07 --net none run (rootless); steps 01-05, veth networking, the demo and most tests need root" \
		"sudo make demo, sudo make test, sudo ./stepNN"
fi

# ---------------------------------------------------------- kernel ---
kmaj=${krel%%.*}
krest=${krel#*.}
kmin=${krest%%[!0-9]*}
kver=$((kmaj * 1000 + ${kmin:-0}))
if [ "$kver" -ge 4006 ]; then
	report ok kernel "Linux $krel (user namespaces need >= 3.8, cgroup namespaces >= 4.6)"
elif [ "$kver" -ge 3008 ]; then
	report warn kernel "Linux $krel: user namespaces yes, cgroup namespaces (>= 4.6) no: step08 fails" \
		"upgrade the kernel (every distribution kernel since 2016 has them)"
else
	report FAIL kernel "Linux $krel is older than 3.8: no usable user namespaces" \
		"upgrade the kernel to 4.6 or later"
fi

# ------------------------------------------------------ namespaces ---
# Each type the kernel has is a file in /proc/self/ns; its link names the
# namespace this shell is in ("pid:[4026531836]"). One readlink for all.
links=$(readlink /proc/$$/ns/* 2>/dev/null)
for ns in cgroup ipc mnt net pid time user uts; do
	case $ns in
	cgroup) used="step08" ;;
	ipc | uts) used="step04" ;;
	mnt) used="step03" ;;
	net) used="step05, set_ns -n" ;;
	pid) used="step02" ;;
	time) used="set_ns -T only" ;;
	user) used="step06; step07 makes one even as root" ;;
	esac
	link=''
	for l in $links; do
		case $l in "$ns:["*) link=$l ;; esac
	done
	if [ -n "$link" ]; then
		report ok "namespace $ns" "$link, for $used"
	else
		case $ns in
		cgroup) report warn "namespace $ns" "not in this kernel (Linux >= 4.6, CONFIG_CGROUPS): step08 fails" \
			"a kernel >= 4.6" ;;
		time) report warn "namespace $ns" "not in this kernel (Linux >= 5.6): only set_ns -T needs it" \
			"nothing to do for the steps" ;;
		*) report FAIL "namespace $ns" "/proc/self/ns/$ns is missing: the kernel was built without it, and $used needs it" \
			"use a distribution kernel (Debian, Ubuntu and Fedora have every namespace)" ;;
		esac
	fi
done

# Can we really make them? Inside an unprivileged container (docker run
# without --privileged) or under a seccomp policy, clone(2) says EPERM.
if [ "$live" = 0 ]; then
	report ok "create as root" "not tried: DOCTOR_PROC_SYS=$procsys describes another machine"
elif [ "$uid" = 0 ] && have unshare; then
	if err=$(unshare --user --pid --mount --uts --ipc --net --fork true 2>&1); then
		report ok "create as root" "unshare --user --pid --mount --uts --ipc --net works"
	else
		report FAIL "create as root" "unshare of the namespaces fails: ${err:-refused}" \
			"are you inside a container? run the workshop in a VM (or docker run --privileged)"
	fi
fi

# -------------------------------------------------- user namespaces ---
sysctl user/max_user_namespaces
if [ "$sv" = 0 ]; then
	report FAIL max_user_ns "user.max_user_namespaces=0: no user namespaces at all, and step06/step07 make one even as root" \
		"sudo sysctl -w user.max_user_namespaces=15000"
elif [ -n "$sv" ]; then
	report ok max_user_ns "user.max_user_namespaces=$sv"
fi
sysctl kernel/unprivileged_userns_clone # Debian's own patch
if [ "$sv" = 0 ]; then
	report FAIL userns_clone "kernel.unprivileged_userns_clone=0: only root may make user namespaces; rootless step06/step07 and their tests fail" \
		"sudo sysctl -w kernel.unprivileged_userns_clone=1"
elif [ -n "$sv" ]; then
	report ok userns_clone "kernel.unprivileged_userns_clone=$sv (Debian): unprivileged users may make user namespaces"
fi
# Ubuntu >= 23.10 (24.04 LTS included) sets it to 1: an unprivileged
# process still gets its user namespace, but AppArmor moves it to a profile
# without capabilities there, so the uid map, mounts and pivot_root fail.
# Root (CAP_SYS_ADMIN) is not restricted.
sysctl kernel/apparmor_restrict_unprivileged_userns
restricted=0
if [ "$sv" = 1 ]; then
	restricted=1
	aa_what="kernel.apparmor_restrict_unprivileged_userns=1 (Ubuntu >= 23.10): as root every step works; rootless runs (./step06 or ./step07 as a user, the demo's rootless part, the rootless tests) fail: AppArmor takes away the capabilities their user namespace gives"
	aa_fix="sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (until reboot), or an AppArmor profile that allows userns for $repo/step0[6-8] (docs/06-userns.md)"
	if [ "$uid" = 0 ]; then
		report warn apparmor_userns "$aa_what" "$aa_fix"
	else
		report FAIL apparmor_userns "$aa_what" "$aa_fix"
	fi
elif [ -n "$sv" ]; then
	report ok apparmor_userns "kernel.apparmor_restrict_unprivileged_userns=$sv"
fi
# The ground truth: an unprivileged user maps itself to root in a new user
# namespace, as step06 does. Root tries as nobody, as the rootless tests do.
if [ "$live" = 0 ]; then
	report ok rootless "not tried: DOCTOR_PROC_SYS=$procsys describes another machine"
elif ! have unshare; then
	report warn rootless "unshare is missing: cannot try a rootless user namespace" "sudo make deps (util-linux)"
elif [ "$uid" != 0 ]; then
	if err=$(unshare --user --map-root-user true 2>&1); then
		report ok rootless "uid $uid can make a user namespace and be root in it (unshare -Ur)"
	else
		report FAIL rootless "uid $uid cannot map itself to root in a new user namespace: ${err:-refused}" \
			"see the sysctl lines above; else look for AppArmor/SELinux denials in dmesg"
	fi
elif ! have setpriv; then
	report warn rootless "setpriv is missing: cannot try a rootless user namespace" "sudo make deps (util-linux)"
elif err=$(cd / && setpriv --reuid 65534 --regid 65534 --clear-groups \
	unshare --user --map-root-user true 2>&1); then
	report ok rootless "uid 65534 can make a user namespace and be root in it (unshare -Ur)"
else
	# Root itself is not affected: every step runs; the rootless parts
	# of the demo and of the tests are.
	report warn rootless "uid 65534 cannot map itself to root in a new user namespace: ${err:-refused}; as root every step works, but rootless step06/step07, the demo's rootless part and the rootless tests fail" \
		"see the sysctl lines above; else look for AppArmor/SELinux denials in dmesg"
fi

# ----------------------------------------------------- propagation ---
if have findmnt; then
	prop=$(findmnt -no PROPAGATION / 2>/dev/null)
	case "$prop" in
	shared*) report ok "propagation /" "shared (systemd's default): mounts would leak between namespaces, so step03 on first make / private inside their own (MS_REC|MS_PRIVATE)" ;;
	private*) report ok "propagation /" "private: mounts do not propagate; step03 on make / private inside their namespace anyway" ;;
	"") report warn "propagation /" "findmnt says nothing about /" ;;
	*) report ok "propagation /" "$prop: step03 on make / private inside their mount namespace" ;;
	esac
else
	report warn "propagation /" "findmnt is missing" "sudo make deps (util-linux)"
fi

# ------------------------------------------------------------ path ---
# The container's root is rootfs/ of this checkout. Steps 01-05 run as root
# with CAP_DAC_OVERRIDE: any path works. From step06 on the child lives in a
# new user namespace, where host root keeps uid 0 but has no capability over
# a file whose owner the namespace does not map (user_namespaces(7)): a home
# directory, 0700 (Debian) or 0750 (Ubuntu) and owned by its user, is closed
# to it. So the runtime takes rootfs/ with open_tree(2) before clone (Linux
# >= 5.2); before 5.2 every directory above rootfs/ must let it through.
# Rootless, the caller's own uid is mapped: it reaches what it reaches
# outside, and no more.
rootfs_path=$repo/rootfs
# One stat for every directory from / down to rootfs/ (one per line, so
# that a blank in a name is kept).
chain=$rootfs_path d=$rootfs_path
while [ "$d" != / ] && [ -n "$d" ]; do
	d=${d%/*}
	[ -z "$d" ] && d=/
	chain="$d
$chain"
done
old_ifs=$IFS
IFS='
'
# shellcheck disable=SC2086 # one path per line
stats=$(stat -L -c '%u %g %a %n' $chain 2>/dev/null)
IFS=$old_ifs

# blocked UID "GIDS": can UID, in groups GIDS, not search some directory of
# the chain? The first such one in $bad, as "DIR (owner O, mode M)".
blocked() {
	bad=''
	while read -r o g m n; do
		[ -n "$n" ] || continue
		if [ "$1" = "$o" ]; then
			bit=64 # u+x
		else
			case " $2 " in *" $g "*) bit=8 ;; *) bit=1 ;; esac
		fi
		if [ $((0$m & bit)) = 0 ]; then
			bad="$n (owner $o, mode $m)"
			return 0
		fi
	done <<EOF
$stats
EOF
	return 1
}

if [ "$kver" -ge 5002 ]; then
	if blocked 0 0; then
		report ok "path as root" "$bad is closed to root inside a user namespace; steps 06-08 take rootfs/ before they enter theirs (open_tree, Linux >= 5.2)"
	else
		report ok "path as root" "$rootfs_path: reachable in every step"
	fi
elif blocked 0 0; then
	if [ "$uid" = 0 ]; then level=FAIL; else level=warn; fi
	report "$level" "path as root" "$bad: root inside the user namespace of steps 06-08 cannot search it, and Linux < 5.2 has no open_tree to take rootfs/ before" \
		"move the checkout out of the home directory (sudo mv $repo /opt/), or chmod o+x each directory above rootfs/"
else
	report ok "path as root" "$rootfs_path: reachable in every step"
fi

# Whose rootless runs: ours, or the user behind sudo, or the checkout's owner.
ruser=$uid
if [ "$uid" = 0 ]; then
	ruser=${SUDO_UID-}
	if [ -z "$ruser" ] || [ "$ruser" = 0 ]; then
		ruser=$(stat -c %u "$repo" 2>/dev/null)
	fi
fi
if [ -n "$ruser" ] && [ "$ruser" != 0 ]; then
	rgroups=$(id -G "$ruser" 2>/dev/null)
	if blocked "$ruser" "$rgroups"; then
		report warn "path rootless" "$bad: uid $ruser cannot search it, so ./step06 and ./step07 run as uid $ruser cannot reach rootfs/" \
			"run rootless from a checkout of your own (git clone into your home), or let uid $ruser search it (chmod o+x)"
	else
		report ok "path rootless" "uid $ruser reaches $rootfs_path: ./step06 and ./step07 work as that user"
	fi
fi

# A checkout on a noexec mount (a hardened /tmp, some home directories):
# nothing in it runs, neither the steps nor busybox inside the container.
if have findmnt; then
	mnt=$(findmnt -no TARGET,OPTIONS -T "$repo" 2>/dev/null)
	mopts=${mnt##* }
	mnt=${mnt%% *}
	case ",$mopts," in
	*,noexec,*) report FAIL "path exec" "$repo is on $mnt, mounted noexec: neither the steps nor the container's busybox can run from it" \
		"clone the repository onto another file system (your home, /opt), or sudo mount -o remount,exec $mnt" ;;
	*) report ok "path exec" "programs may run from $repo (on ${mnt:-/})" ;;
	esac
fi

# --------------------------------------------------------- cgroups ---
# The file system type of /sys/fs/cgroup tells the layout: cgroup2fs is v2;
# a tmpfs holds v1 hierarchies, and a cgroup2 at unified/ makes it hybrid.
cg=/sys/fs/cgroup
fs_root='' fs_unified='' v1=''
while read -r path type; do
	case $path in
	"$cg") fs_root=$type ;;
	"$cg/unified") fs_unified=$type ;;
	*) [ "$type" = cgroupfs ] && v1="$v1 ${path##*/}" ;;
	esac
done <<EOF
$(stat -fc '%n %T' $cg $cg/unified $cg/memory $cg/pids $cg/cpu 2>/dev/null)
EOF
if [ "$fs_root" = cgroup2fs ]; then
	ctrl=''
	[ -r $cg/cgroup.controllers ] && read -r ctrl <$cg/cgroup.controllers
	miss=''
	for c in memory pids cpu; do
		case " $ctrl " in *" $c "*) ;; *) miss="$miss $c" ;; esac
	done
	if [ -z "$miss" ]; then
		report ok cgroup "v2 (unified), controllers: ${ctrl:-none}"
	else
		report warn cgroup "v2 (unified), controllers: ${ctrl:-none}; step08 lacks:$miss" \
			"on a host you own: a kernel with them; in a systemd slice: Delegate=yes"
	fi
elif [ "$fs_root" = tmpfs ]; then
	layout="v1 (legacy)"
	[ "$fs_unified" = cgroup2fs ] && layout="hybrid (v1 controllers, an empty v2 at $cg/unified)"
	miss=''
	for c in memory pids cpu; do
		case "$v1 " in *" $c "*) ;; *) miss="$miss $c" ;; esac
	done
	if [ -z "$miss" ]; then
		report ok cgroup "$layout; v1 hierarchies$v1: step08 limits through them (its v2-only tests are skipped)"
	else
		report warn cgroup "$layout; v1 hierarchies:${v1:- none}; step08 lacks:$miss" \
			"boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2), or mount the missing v1 hierarchies"
	fi
else
	report warn cgroup "no cgroup file system at $cg (${fs_root:-nothing mounted}): step08 cannot limit anything" \
		"mount -t cgroup2 none $cg"
fi

# -------------------------------------------------------- packages ---
cc_cmd=${CC:-cc}
if have "$cc_cmd"; then
	report ok "C compiler" "$cc_cmd $("$cc_cmd" -dumpfullversion -dumpversion 2>/dev/null)"
else
	report FAIL "C compiler" "$cc_cmd not found: nothing can be built" "sudo make deps (build-essential)"
fi
pkg libcriterion-dev
if [ -n "$pv" ]; then
	report ok Criterion "libcriterion-dev $pv"
elif [ -r /usr/include/criterion/criterion.h ]; then
	report ok Criterion "/usr/include/criterion/criterion.h (not from the Debian package)"
else
	report FAIL Criterion "libcriterion-dev is missing: make test cannot build the suites" "sudo make deps"
fi
# busybox (dynamic) and busybox-static both install /bin/busybox; only the
# static one runs in a rootfs that has no libc. ldd when dpkg cannot tell.
# Elsewhere (Fedora, Arch) it is /usr/sbin or /usr/bin; BUSYBOX= names one.
pkg busybox-static
bb=${BUSYBOX-}
if [ -z "$bb" ]; then
	for b in /bin/busybox /usr/bin/busybox /usr/sbin/busybox; do
		[ -x "$b" ] && bb=$b && break
	done
fi
if [ -z "$bb" ] || [ ! -x "$bb" ]; then
	report FAIL busybox-static "${bb:-/bin/busybox} is missing: make rootfs has nothing to copy" \
		"sudo make deps, or make rootfs BUSYBOX=/path/to/a/static/busybox"
elif [ -n "$pv" ] || LC_ALL=C ldd "$bb" 2>&1 | grep -Eq 'not a dynamic executable|statically linked'; then
	report ok busybox-static "$bb${pv:+ $pv} is static: it runs in a rootfs with no libc"
else
	report FAIL busybox-static "$bb is dynamic (Debian's busybox package): it cannot run in the rootfs" \
		"sudo apt-get install busybox-static (it replaces busybox), or make rootfs BUSYBOX=/path/to/a/static/busybox"
fi
if have ip; then
	report ok iproute2 "ip: the demo and the tests look at veth links with it"
else
	report warn iproute2 "ip is missing: the demo and step05 on's tests use it on the host" "sudo make deps"
fi
if have ping; then
	report ok ping "ping: from the host to a container over its veth"
else
	report warn ping "ping is missing: the demo and the veth tests ping the container" "sudo make deps"
fi
if have setpriv && have unshare && have findmnt; then
	report ok util-linux "unshare, setpriv, findmnt"
else
	report warn util-linux "unshare, setpriv or findmnt is missing" "sudo make deps"
fi

# ------------------------------------------------- build products ---
# `make` builds them: --quiet is for callers that are about to.
if [ "$quiet" = 0 ]; then
	if [ -x rootfs/bin/busybox ]; then
		set -- rootfs/bin/*
		report ok rootfs "$repo/rootfs ($# applets in bin/)"
	else
		report warn rootfs "$repo/rootfs is not built yet" "make rootfs (or make)"
	fi
	built='' missing=''
	for d in step[0-9][0-9]-*/; do
		s=${d%%-*}
		[ -f "$d$s.c" ] || continue
		if [ -x "$s" ]; then built="$built $s"; else missing="$missing $s"; fi
	done
	if [ -n "$(ls step[0-9][0-9]-*/set_ns.c 2>/dev/null)" ]; then
		if [ -x set_ns ]; then built="$built set_ns"; else missing="$missing set_ns"; fi
	fi
	if [ -z "$missing" ]; then
		report ok binaries "built:$built"
	else
		report warn binaries "not built yet:$missing" "make"
	fi
fi

# --------------------------------------------------------- summary ---
if [ "$n_fail" -gt 0 ]; then
	echo "doctor: ${c_fail}$n_fail essential problem(s)${c_off}: fix the FAIL lines above, then run make doctor again"
	exit 1
fi
[ "$quiet" = 1 ] || echo "doctor: ready ($n_ok ok, $n_warn warning(s))"
exit 0
