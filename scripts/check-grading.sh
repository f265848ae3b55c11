#!/bin/sh
# The grading itself, checked: the last part of `make check-homework`
# (docs/homework.md, "check-homework"). As root.
#
#   1. A class of bad step03 submissions (tests/submissions/README), graded
#      by `grade.sh batch` in the sandbox, two at a time: the host keeps its
#      root, mounts, links, hostname and processes; each gets the score and
#      the message it should (the cheat 0).
#   2. Every grade.json and junit.xml written parses and holds its tests.
#   3. `make kit STEP=05`, unpacked elsewhere: it builds, holds no code of
#      step05's solution, grades its skeleton below full marks and, once the
#      solution is copied in, at full marks.
#   4. The kit's workflow parses as YAML, and what it runs is in the kit.
#   5. What only root may read in /etc reads as nothing in the sandbox.
#   6. The sandbox's cgroup v2 path, on a hybrid host's cgroup2 mount.
#
# Environment: OUT (grade.sh's; default build/homework), TEST_BIN, MAKE.
set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
OUT=${OUT:-build/homework}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)
W=$OUT/check-grading
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || echo python3)}
MAKE=${MAKE:-make}
export PYTHON
fail=0

say() {
	printf '%-10s %-34s %s\n' "$1" "$2" "$3"
}

bad() {
	say "$1" "$2" "FAIL: $3"
	fail=1
}

# What a submission could change on the host, and nothing that other work
# on the machine changes: the root mount and its inode, mounts of our
# sandboxes or our paths, links our leaking submission makes, the
# hostname, processes running a binary built here, our cgroups.
host_state() {
	awk '$5 == "/" { print "root mount", $3, $4, $9, $10 }' /proc/self/mountinfo
	echo "root inode $(stat -c %d:%i /)"
	[ -e /etc/debian_version ] || [ -e /etc/os-release ] && echo "/etc is the host's"
	grep -e nsw-sandbox -e "$W" /proc/self/mountinfo | awk '{ print "mount", $5 }'
	ls /sys/class/net | grep '^nswleak' | sed 's/^/link /'
	ls -d /etc/nsw-hostile /usr/nsw-hostile /root/nsw-hostile 2>/dev/null | sed 's/^/file /'
	echo "hostname $(hostname)"
	for e in /proc/[0-9]*/exe; do
		l=$(readlink "$e" 2>/dev/null) || continue
		case "$l" in "$W"/*) echo "process $l" ;; esac
	done
	# a sandbox's cgroup once its supervisor (the ID) is gone: a leftover;
	# those of gradings running beside this check are not
	# (v1: nsworkshop-grade-ID; v2: nsworkshop-grade/ID)
	for c in $(find /sys/fs/cgroup -maxdepth 4 -path '*/nsworkshop-grade*' \
		\( -name 'nsworkshop-grade-*' -o -path '*/nsworkshop-grade/*' \) \
		-prune 2>/dev/null); do
		id=${c##*/}
		id=${id#nsworkshop-grade-}
		[ -d "/proc/$id" ] || echo "cgroup $c"
	done
	true
}

# ------------------------------------------------- 1. bad submissions ----
# Each is the step03 solution with one file added (or one change).
make_submissions() {
	subs=$W/class
	rm -rf "$W"
	mkdir -p "$subs"
	for b in segv hang fork leak cheat hostile bomb; do
		mkdir -p "$subs/$b"
		cp -R step03-mountns "$subs/$b/"
		cp "tests/submissions/$b.c" "$subs/$b/step03-mountns/"
	done
	# the cheat: the reference's path (not in the sandbox), else a copy of
	# another build it carries
	sed -i "s|\"/nonexistent\"|\"$OUT/reference/step03\"|" "$subs/cheat/step03-mountns/cheat.c"
	cp "$OUT/reference/step03" "$subs/cheat/step03-mountns/helper.bin"
	# No CLONE_NEWNS: the given code refuses to mount (nonewns); and with
	# that refusal taken out too (noguard), the runtime mounts and pivots
	# in the mount namespace it was started in.
	for b in nonewns noguard; do
		mkdir -p "$subs/$b"
		cp -R step03-mountns "$subs/$b/"
		f=$subs/$b/step03-mountns/step03.c
		sed -i 's/^#define CLONE_FLAGS (CLONE_NEWNS | CLONE_NEWPID)$/#define CLONE_FLAGS CLONE_NEWPID/' "$f"
		! cmp -s "$f" step03-mountns/step03.c || {
			echo "check-grading: cannot take CLONE_NEWNS out of step03.c: update make_submissions" >&2
			return 1
		}
	done
	f=$subs/noguard/step03-mountns/rootfs.c
	sed -i 's/if (refuse_runtime_mount_ns(e) == -1)/if (0 \&\& refuse_runtime_mount_ns(e) == -1)/' "$f"
	! cmp -s "$f" step03-mountns/rootfs.c || {
		echo "check-grading: cannot take the refusal out of rootfs.c: update make_submissions" >&2
		return 1
	}
	# a good one, so that a class is not all failures
	mkdir -p "$subs/good"
	cp -R step03-mountns "$subs/good/"
}

# expect WHO: the grade of WHO is what it should be.
expect() {
	who=$1
	g=$W/out/batch/$who/step03/grade.json
	[ "$who" != slow ] || g=$W/out-slow/batch/hang/step03/grade.json
	[ "$who" != bomb ] || g=$W/out-bomb/batch/bomb/step03/grade.json
	[ -f "$g" ] || { bad "$who" "-" "no grade.json"; return; }
	got=$($PYTHON - "$g" "$who" <<'EOT'
import json, sys
r = json.load(open(sys.argv[1])); who = sys.argv[2]
tests = {t["name"]: t for t in r["tests"]}
text = " ".join(t["message"] for t in r["tests"]) + " " + r["message"]
fails = [n for n, t in tests.items() if t["status"] not in ("passed", "skipped")]
score = "%d/%d" % (r["score"], r["max"])
ok, why = True, ""

def all_but_cleans_up(left):
    """Every check passed but the sandbox's own, which names what was LEFT."""
    t = tests.get("sandbox::cleans_up", {})
    return t.get("status") == "failed" and left in t.get("message", "") \
        and r["score"] == r["max"] - 1

if who == "good":
    ok = r["score"] == r["max"] and r["max"] > 0
    why = "full marks"
elif who == "nonewns":
    ok = r["score"] < r["max"] // 2 and "still in the runtime's mount namespace" in text
    why = "refused by the given check, and said so"
elif who == "noguard":
    ok = r["score"] < r["max"] and "step03::namespaces_are_new_for_mnt_and_pid_only" in fails
    why = "below full marks; namespaces_are_new_for_mnt_and_pid_only fails"
elif who == "leak":
    ok = all_but_cleans_up("link nswleak")
    why = "all but cleans_up, which names the veth left behind"
elif who == "hang":
    ok = r["timed_out"] > 0 and r["score"] <= 1 and "timed out after" in text
    why = "timed-out checks, each saying so"
elif who == "segv":
    ok = r["crashed"] > 0 and r["score"] <= 1 and "killed by SIGSEGV" in text
    why = "crashed checks, each saying killed by SIGSEGV"
elif who == "fork":
    # how many checks still pass depends on which forks the limit refuses
    # (the runtime's or the suite's): the limit is what must show
    ok = "pids 100" in r["limits"] and "limit: pids 100" in r["message"]
    why = "the pids limit (100) reached, and said"
elif who == "slow":
    ok = r["status"] == "timed out" and r["score"] == 0 and "time limit (6 s)" in r["message"]
    why = "0: the graded run's time limit (6 s) ended it"
elif who == "hostile":
    ok = all_but_cleans_up("process sleep")
    why = "all but cleans_up, which names the process left behind"
elif who == "bomb":
    ok = r["score"] == 0 and "pids 100" in r["limits"] and "limit: pids 100" in r["message"]
    why = "0: the pids limit (100) held it, and said"
elif who == "cheat":
    ok = r["score"] == 0 and r["status"] == "another program ran" and "helper.bin" in r["message"]
    why = "0, another program ran (helper.bin)"
print(("ok" if ok else "FAIL") + "\t" + score + "\t" + why + ("" if ok else ": " + r["status"] + "; " + r["message"][:200] + "; failed: " + " ".join(fails)))
EOT
)
	case "$got" in
	ok*) say "$who" "$(echo "$got" | cut -f2)" "ok: $(echo "$got" | cut -f3)" ;;
	*) bad "$who" "$(echo "$got" | cut -f2)" "$(echo "$got" | cut -f3-)" ;;
	esac
}

check_class() {
	make_submissions || { fail=1; return; }
	host_state >"$W/host.before"
	# Its own OUT (a teacher's build/homework/batch stays), the reference
	# binaries shared. A short cap on each run, for the one that hangs: 2 s
	# is far above what a run of step03 takes. 100 processes are plenty for
	# step03's suite (two tests at a time), and few enough that the fork
	# loop meets the limit within those 2 s on a loaded machine.
	mkdir -p "$W/out" "$W/out-slow" "$W/slow" "$W/out-bomb" "$W/bomb"
	mv "$W/class/bomb" "$W/bomb/" # graded alone, below
	ln -s "$OUT/reference" "$W/out/reference"
	ln -s "$OUT/reference" "$W/out-slow/reference"
	ln -s "$OUT/reference" "$W/out-bomb/reference"
	OUT=$W/out STEPS=03 GRADE_JOBS=2 GRADE_RUN_TIMEOUT=2 GRADE_TIME=300 GRADE_PIDS=100 \
		scripts/grade.sh batch "$W/class" >"$W/batch.out" 2>&1 ||
		{ cat "$W/batch.out"; fail=1; }
	# The hang again, under a 6-second limit for the whole graded run:
	# timeout(1) ends the sandbox, nothing is counted.
	mv "$W/class/hang" "$W/slow/"
	OUT=$W/out-slow STEPS=03 GRADE_TIME=6 \
		scripts/grade.sh batch "$W/slow" >"$W/slow.out" 2>&1 ||
		{ cat "$W/slow.out"; fail=1; }
	# The fork bomb, which only the pids limit bounds: the suite dies of it
	# (no fork left) or meets the time limit, long enough for the build
	# on a loaded machine.
	OUT=$W/out-bomb STEPS=03 GRADE_TIME=20 GRADE_PIDS=100 GRADE_RUN_TIMEOUT=2 \
		scripts/grade.sh batch "$W/bomb" >"$W/bomb.out" 2>&1 ||
		{ cat "$W/bomb.out"; fail=1; }
	host_state >"$W/host.after"
	say submission score verdict
	for who in good nonewns noguard leak hang segv fork cheat hostile slow bomb; do
		expect "$who"
	done
	# What the hostile one wrote: nothing, anywhere (the host's side is
	# in host_state), the grader's reports and the submission included.
	set -- $(find "$W/class/hostile" "$W/out/batch/hostile" -name nsw-hostile 2>/dev/null)
	if [ $# = 0 ] && [ -s "$W/out/batch/hostile/step03/grade.json" ]; then
		say hostile "wrote nothing" "ok: its sources, its build and the reports read-only to it"
	else
		bad hostile "wrote $#" "$*"
	fi
	if cmp -s "$W/host.before" "$W/host.after"; then
		say host "unchanged" "ok: root, mounts, links, hostname, processes, cgroups"
	else
		bad host "CHANGED" "$(diff "$W/host.before" "$W/host.after" | grep '^[<>]' | head -5 | tr '\n' ' ')"
	fi
	[ "$(wc -l <"$W/out/grades.tsv")" = 10 ] ||
		bad grades.tsv "$(($(wc -l <"$W/out/grades.tsv") - 1)) rows" "not one row per student"
}

# ------------------------------------------------------ 2. the reports ---
check_reports() {
	set -- $(find "$OUT/check" "$W/out/batch" "$W/out-slow/batch" "$W/out-bomb/batch" "$W/kit" -maxdepth 4 \
		\( -name grade.json -o -name junit.xml -o -name grades.json -o -name grades.xml \) \
		-not -path '*/unpacked/*' 2>/dev/null)
	if [ $# -gt 0 ] && $PYTHON scripts/results.py check "$@"; then
		say reports "$# files" "ok: grade.json, grades.json, junit.xml, grades.xml parse and hold their tests"
	else
		bad reports "$# files" "see the messages above"
	fi
}

# A report as Criterion 2.4.1 writes it, its messages unescaped: a quote,
# a pty's carriage return, a tab and a backslash in a runtime's stderr
# must still give a grade, the failed check's message whole.
check_raw_report() {
	r=$W/raw/run
	mkdir -p "$r"
	echo 0 >"$r/build.status"
	echo 0 >"$r/status"
	: >"$r/leftovers"
	printf 'step03::a\nstep03::b\n' >"$r/tests"
	printf '{\n  "id": "Criterion v2.4.1",\n  "test_suites": [\n    {\n      "name": "step03",\n      "tests": [\n        {\n          "name": "a",\n          "status": "FAILED",\n          "messages": [\n            "no "/dev/pts/0\r",\n            "  " at\t\\1"\n          ]\n        },\n        {\n          "name": "b",\n          "status": "PASSED",\n          "messages": []\n        }\n      ]\n    }\n  ]\n}\n' >"$r/criterion.json"
	# (it exits 1: not full marks)
	$PYTHON scripts/results.py grade "$r" --step 03 --student raw --out "$W/raw" >/dev/null || true
	if $PYTHON - "$W/raw/grade.json" 2>"$W/raw/check.err" <<'EOT'
import json, sys
r = json.load(open(sys.argv[1]))
t = {t["name"]: t for t in r["tests"]}
assert r["score"] == 2 and r["max"] == 3, r  # cleans_up too
assert 'no "/dev/pts/0\r' in t["step03::a"]["message"], t["step03::a"]
assert '" at\t\\1' in t["step03::a"]["message"], t["step03::a"]
EOT
	then
		say reports "raw 2.4.1 report" "ok: unescaped quote, CR, tab, backslash in a message: graded, message whole"
	else
		bad reports "raw 2.4.1 report" "scripts/results.py cannot read it ($W/raw)"
	fi
}

# ---------------------------------------------------------- 3. the kit ---
check_kit() {
	k=$W/kit
	rm -rf "$k"
	mkdir -p "$k/unpacked"
	if ! $PYTHON scripts/kit.py make 05 "$k" >"$k/make.log" 2>&1; then
		bad kit make "$(tail -n 3 "$k/make.log" | tr '\n' ' ')"
		return
	fi
	tar -xzf "$k/kit-step05.tar.gz" -C "$k/unpacked"
	top=$k/unpacked/kit-step05
	if $PYTHON scripts/kit.py check 05 "$top" >"$k/check.log"; then
		say kit "no solution" "ok: $(cat "$k/check.log" | sed 's/^kit: //')"
	else
		bad kit "SOLUTION IN IT" "$(head -n 3 "$k/check.log" | tr '\n' ' ')"
	fi
	[ ! -e "$top/step05-netns" ] && [ ! -e "$top/docs/06-userns.md" ] &&
		[ -d "$top/homework/step05-netns" ] && [ -f "$top/docs/zh/05-netns.md" ] ||
		bad kit layout "step05 solved, a later chapter, or the skeleton or zh chapter missing"
	if ! (cd "$top" && MAKEFLAGS='' $MAKE -j2 all test-build >"$k/build.log" 2>&1); then
		bad kit build "$(tail -n 3 "$k/build.log" | tr '\n' ' ')"
		return
	fi
	say kit builds "ok: make all test-build in the unpacked kit"
	(cd "$top" && MAKEFLAGS='' $MAKE --no-print-directory grade STEP=05 >"$k/skeleton.out" 2>&1) || true
	set -- $(sed -n 's/^step05: \([0-9]*\)\/\([0-9]*\) checks.*/\1 \2/p' "$k/skeleton.out")
	if [ $# = 2 ] && [ "$2" -gt 0 ] && [ "$1" -lt "$2" ]; then
		say kit "skeleton $1/$2" "ok: below full marks"
	else
		bad kit "skeleton ${1:-?}/${2:-?}" "$(head -n 3 "$k/skeleton.out" | tr '\n' ' ')"
	fi
	# the student's answer: the solution, copied in
	rm -rf "$top/homework/step05-netns"
	cp -R step05-netns "$top/homework/"
	(cd "$top" && MAKEFLAGS='' $MAKE --no-print-directory grade STEP=05 >"$k/solution.out" 2>&1) || true
	set -- $(sed -n 's/^step05: \([0-9]*\)\/\([0-9]*\) checks.*/\1 \2/p' "$k/solution.out")
	if [ $# = 2 ] && [ "$2" -gt 0 ] && [ "$1" -eq "$2" ]; then
		say kit "solution $1/$2" "ok: full marks"
	else
		bad kit "solution ${1:-?}/${2:-?}" "$(head -n 5 "$k/solution.out" | tr '\n' ' ')"
	fi
	cp "$top/build/homework/grade/step05/grade.json" "$k/grade.json" 2>/dev/null || true
	cp "$top/build/homework/grade/step05/junit.xml" "$k/junit.xml" 2>/dev/null || true
	check_workflow "$top"
}

# --------------------------------------------------- 4. the workflow ----
# YAML with perl's CPAN::Meta::YAML (YAML::Tiny, in perl's core modules);
# then each command it runs must be in the kit, and the per-test command
# must answer on the kit's own grade.
check_workflow() {
	top=$1
	y=$top/.github/workflows/classroom.yml
	if ! perl -MCPAN::Meta::YAML -e1 2>/dev/null; then
		say workflow "-" "skipped: no perl CPAN::Meta::YAML to parse YAML"
		return
	fi
	if ! perl -MCPAN::Meta::YAML -e '
		my $y = CPAN::Meta::YAML->read($ARGV[0]) or die CPAN::Meta::YAML->errstr . "\n";
		my $d = $y->[0];
		my $steps = $d->{jobs}{grade}{steps} or die "no jobs.grade.steps\n";
		ref $d->{on} eq "ARRAY" or die "no on: list\n";
		my @runners;
		for my $s (@$steps) {
			print "run\t$s->{run}\n" if $s->{run};
			print "run\t$s->{with}{command}\n" if $s->{with}{command};
			push @runners, $s->{id} if $s->{id};
		}
		my $last = $steps->[-1];
		$last->{with}{runners} eq join(",", @runners) or die "the reporter does not list every runner\n";
		for my $r (@runners) { $last->{env}{uc($r) . "_RESULTS"} or die "no ${r}_RESULTS\n" }
		print "runners\t" . scalar(@runners) . "\n";
	' "$y" >"$W/workflow.txt" 2>"$W/workflow.err"; then
		bad workflow YAML "$(cat "$W/workflow.err")"
		return
	fi
	missing=""
	while IFS="$(printf '\t')" read -r kind cmd; do
		[ "$kind" = run ] || continue
		cmd=${cmd#sudo }
		cmd=${cmd%% || *}
		set -- $cmd
		case "$1" in
		make) grep -q "^$2:" "$top/Makefile" "$top"/mk/*.mk || missing="$missing make-$2" ;;
		python3) [ -f "$top/$2" ] || missing="$missing $2" ;;
		sysctl) ;;
		*) [ -x "$top/$1" ] || missing="$missing $1" ;;
		esac
	done <"$W/workflow.txt"
	# one per-test command, for real, in the kit, on its grade
	c=$(grep -m1 'results.py passed' "$W/workflow.txt" | cut -f2)
	if [ -n "$missing" ]; then
		bad workflow "$(grep runners "$W/workflow.txt" | cut -f2) runners" "not in the kit:$missing"
	elif ! (cd "$top" && $c >/dev/null); then
		bad workflow "$(grep runners "$W/workflow.txt" | cut -f2) runners" "'$c' fails in the kit"
	else
		say workflow "$(grep runners "$W/workflow.txt" | cut -f2) runners" "ok: the YAML parses, what it runs is in the kit and answers"
	fi
}

# ------------------------------------------ 5. the host's secrets hidden --
# In the sandbox, what only root or a group may read in /etc reads as
# nothing (a submission could include it and read it in its feedback);
# the rest of /etc is there (the compiler needs it).
check_hidden() {
	mkdir -p "$W/hidden"
	scripts/sandbox.sh run "$W/hidden" -- sh -c \
		'cat /etc/shadow /etc/gshadow 2>/dev/null | wc -c >secrets; head -c 5 /etc/passwd >passwd' \
		>"$W/hidden.log" 2>&1 || true
	if [ -e /etc/shadow ] && [ "$(cat "$W/hidden/secrets" 2>/dev/null)" = 0 ] &&
		[ "$(cat "$W/hidden/passwd" 2>/dev/null)" = "root:" ]; then
		say secrets "/etc/shadow" "ok: empty in the sandbox, /etc/passwd readable"
	elif [ ! -e /etc/shadow ]; then
		say secrets "-" "skipped: no /etc/shadow here"
	else
		bad secrets "/etc/shadow" "readable in the sandbox ($W/hidden)"
	fi
}

# ------------------------------------------------ 6. cgroup v2 as well --
# A hybrid host grades with v1 controllers; its empty cgroup2 mount still
# takes the sandbox's v2 path (the cgroup, its run leaf, the bind, what is
# left, the clean-up), though not its limits, which need the controllers.
check_v2() {
	local u
	u=$(awk '$(NF - 2) == "cgroup2" && $5 != "/sys/fs/cgroup" { print $5; exit }' /proc/self/mountinfo)
	if [ -z "$u" ]; then
		say "cgroup v2" "-" "the sandbox's own path here: nothing more to try"
		return
	fi
	mkdir -p "$W/v2"
	SANDBOX_CGROUP2=$u scripts/sandbox.sh run "$W/v2" -- sh -c \
		'sleep 100 & mkdir -p /sys/fs/cgroup/nsworkshop/step08-7; grep -q "^0::/nsworkshop-grade/.*/run$" /proc/self/cgroup' \
		>"$W/v2.log" 2>&1 || true
	if [ "$(cat "$W/v2/status" 2>/dev/null)" = 0 ] &&
		grep -q '^process sleep$' "$W/v2/leftovers" &&
		grep -q '^cgroup nsworkshop/step08-7$' "$W/v2/leftovers" &&
		[ ! -e "$u/nsworkshop-grade" ]; then
		say "cgroup v2" "$u" "ok: run leaf, leftovers seen, all removed (limits: v1 here)"
	else
		bad "cgroup v2" "$u" "$(cat "$W/v2.log" "$W/v2/leftovers" 2>/dev/null | head -3 | tr '\n' ' ')"
	fi
}

start=$(date +%s)
echo
check_class
t1=$(date +%s)
check_kit
t2=$(date +%s)
check_reports
check_raw_report
check_hidden
check_v2
echo "check-grading: the class in $((t1 - start)) s, the kit in $((t2 - t1)) s"
echo "check-grading: $([ $fail = 0 ] && echo ok || echo FAILED) in $(($(date +%s) - start)) s (logs: $W)"
exit $fail
