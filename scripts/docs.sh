#!/bin/bash
# Keep the docs honest.
#   scripts/docs.sh update   regenerate the diffs embedded in docs/NN-*.md
#                            and docs/zh/NN-*.md (between <!-- diff:begin
#                            stepNN [FILE...] --> and <!-- diff:end -->) from
#                            the sources; FILE... keeps only those files;
#                            and the files shown whole (<!-- file:begin PATH
#                            --> ... <!-- file:end -->)
#   scripts/docs.sh translated docs/zh/X.md
#                            record that the translation matches docs/X.md now
#   scripts/docs.sh record docs/X.md [NAME]
#                            re-run the transcripts of docs/X.md (or only the
#                            one called NAME) and write what they print now
#                            into it and into docs/zh/X.md
#   scripts/docs.sh check    fail when an embedded diff no longer matches the
#                            sources, when a ```sh runnable block fails (in
#                            English or Chinese), when a transcript's command
#                            fails or prints something else than shown, when
#                            the Chinese transcripts differ from the English
#                            ones, or when a chapter changed in one language
#                            only; then check that this checker can fail
#   scripts/docs.sh selftest run the checker on broken transcripts
#
# Transcripts: lines "$ command" inside <!-- transcript:begin NAME --> and
# <!-- transcript:end -->, each followed by what it prints (stdout and
# stderr, as a terminal shows them). Every command runs on its own, from the
# repository root, with "sudo" a no-op (CI is root) wherever it appears —
# also inside `timeout 3 sudo …` or `script -qc "sudo …"`. A command must
# exit 0, unless the next line is "$ echo $?" followed by its status. Its
# output must match after normalising what varies from run to run (see
# normalise). A command whose output shows a shell prompt ("/ # ") is an
# interactive session: shown, not run.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

mode=${1:-check}
fail=0
say() { printf 'check-docs: %s\n' "$*" >&2; }

# stepdiff.sh output limited to the files named (basenames), or all of it.
step_diff() {
	local step=$1
	shift
	if [ $# = 0 ]; then
		scripts/stepdiff.sh "$step"
		return
	fi
	scripts/stepdiff.sh "$step" | awk -v want=" $* " '
		/^--- / { hdr = $0; keep = -1; next }
		/^\+\+\+ / {
			n = split($2, p, "/"); f = p[n]
			if (f == "null") { split(hdr, h, " "); n = split(h[2], p, "/"); f = p[n] }
			keep = index(want, " " f " ") > 0
			if (keep) print hdr
		}
		keep == 1 { print }'
}

# Print FILE with every diff block replaced by the current diff.
render_diffs() {
	local file=$1 line inblock=0 args
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ $line =~ ^'<!-- diff:begin '(step[0-9][0-9])(( [^ ]+)*)' -->' ]]; then
			args=${BASH_REMATCH[2]}
			printf '%s\n```diff\n' "$line"
			# shellcheck disable=SC2086 # a list of file names
			step_diff "${BASH_REMATCH[1]}" $args
			printf '```\n'
			inblock=1
		elif [[ $line =~ ^'<!-- file:begin '([^ ]+)' -->' ]]; then
			# a source file shown whole (docs/examples/*.c)
			printf '%s\n```%s\n' "$line" "${BASH_REMATCH[1]##*.}"
			cat "${BASH_REMATCH[1]}"
			printf '```\n'
			inblock=1
		elif [[ $line == '<!-- diff:end -->' || $line == '<!-- file:end -->' ]]; then
			printf '%s\n' "$line"
			inblock=0
		elif [ $inblock = 0 ]; then
			printf '%s\n' "$line"
		fi
	done <"$file"
}

# Every embedded diff is folded: the prose leads, and a student can keep
# from reading the solution. The line before the block (blank lines aside)
# is a <summary>.
check_details() {
	local file=$1
	awk -v f="$file" '
		/^<!-- diff:begin / { if (prev !~ /<summary>/) { printf "check-docs: %s:%d: a diff outside <details><summary>…</summary>\n", f, NR; bad = 1 } }
		NF { prev = $0 }
		END { exit bad }' "$file" >&2 || fail=1
}

# When a chapter shows a step's diff in parts, every file of the diff must
# be in one of them.
check_diff_parts() {
	local file=$1 step files shown f
	for step in $(sed -n 's/^<!-- diff:begin \(step[0-9][0-9]\) [^ ].* -->$/\1/p' "$file" | sort -u); do
		files=$(scripts/stepdiff.sh "$step" | sed -n 's|^+++ \(.*\)|\1|p' | awk -F/ '{print $NF}')
		shown=" $(sed -n "s/^<!-- diff:begin $step \(.*\) -->\$/\1/p" "$file" | tr '\n' ' ') "
		[[ $shown == *' all '* ]] && continue
		for f in $files; do
			[ "$f" = null ] && continue
			[[ $shown == *" $f "* ]] && continue
			say "$file: $step's $f is in none of the chapter's diff blocks"
			fail=1
		done
	done
}

# sudo as a no-op, for every child process: a function would not reach
# `timeout 3 sudo …` or `script -qc "sudo …"`.
# (not under /tmp, which transcripts see replaced, below)
mkdir -p build
shim=$(mktemp -d "$PWD/build/check-docs-shim.XXXXXX")
chmod 755 "$shim"
privtmp=""
trap 'rm -rf "$shim" ${privtmp:+"$privtmp"}' EXIT
cat >"$shim/sudo" <<'EOF'
#!/bin/bash
# check-docs: CI is root; drop sudo and its usual options. Like sudo, close
# every descriptor above 2 (closefrom).
for fd in $(ls /proc/$$/fd); do
	[ "$fd" -gt 2 ] && eval "exec $fd>&-"
done
while [ $# -gt 0 ]; do
	case "$1" in
	-E | -n | -H | --preserve-env) shift ;;
	--) shift; break ;;
	*) break ;;
	esac
done
exec "$@"
EOF
chmod 755 "$shim/sudo"
export PATH="$shim:$PATH"
if [ "$(id -u)" != 0 ] && [ "$mode" != selftest ]; then
	say "run me as root: the transcripts were recorded as root"
	[ "$mode" = check ] && exit 1
fi

# Every ```sh runnable block, run from the repository root with a time
# limit. The same block in two languages runs once.
declare -A ran_block=()
run_blocks() {
	local file=$1 n=0 block="" in=0 line key out
	while IFS= read -r line || [ -n "$line" ]; do
		if [ $in = 0 ] && [[ $line =~ ^'```sh runnable' ]]; then
			in=1
			block=""
		elif [ $in = 1 ] && [[ $line == '```' ]]; then
			in=0
			n=$((n + 1))
			key=$(printf '%s' "$block" | sha256sum | cut -c1-16)
			if [ -n "${ran_block[$key]:-}" ]; then
				[ "${ran_block[$key]}" = ok ] || { say "$file: runnable block $n failed (see above)"; fail=1; }
				continue
			fi
			if out=$(timeout 120 bash -e -c "$block" </dev/null 2>&1); then
				ran_block[$key]=ok
			else
				ran_block[$key]=failed
				say "$file: runnable block $n failed:"
				printf '%s\n--- output ---\n%s\n' "$block" "$out" | sed 's/^/    /' >&2
				fail=1
			fi
		elif [ $in = 1 ]; then
			# a prompt is part of the text, not of the command
			block+="${line#\$ }"$'\n'
		fi
	done <"$file"
}

# What varies from run to run, replaced by a placeholder in what a
# transcript shows and in what the command prints now:
# - PIDs (after "PID on host:", "pid=", "/proc/", "nsw", "stepNN-",
#   "cgroup.procs:", in /proc/PID/status lines, a cgroup's
#   stepNN-PIDNS-PID), the sizes in an OOM kill's line, any other number
#   of 3 digits or more that stands alone (PIDs wrap to 3 digits on a young
#   machine), numbers of 4 digits or more outside hex words (inode numbers,
#   sizes, terminal devices); exit statuses ("status: 137", "exit 125")
#   and the small PIDs inside a PID namespace stay;
# - the /30 taken from the pool (10.201.X.(4n+2) is a container's address,
#   whichever subnet it got), MAC and link-local
#   addresses (and whether IPv6 duplicate address detection is done: "tentative"),
#   interface indexes (eth0@ifN), dates, kernel log timestamps,
#   ping's times, bash's `time`, whole seconds after "after", mktemp names,
#   32-digit hex names (the host's own cgroups), addresses (0x and 8 or
#   more hex digits: strace), the directory of a rootfs;
# - the mount and device IDs that start a /proc/PID/mountinfo line;
# - the host's hostname, a line of its own (the transcripts were recorded
#   on a machine called vm);
# - runs of blanks (column widths follow the width of a PID), a CR (script),
#   bash's notice of a background job it saw killed.
normalise() {
	NSW_HOST=$(cat /proc/sys/kernel/hostname) perl -ne '
		s/\r//g;
		s/^(?:vm|\Q$ENV{NSW_HOST}\E)$/HOST/;
		next if /^bash: line \d+: +\d+ Killed/;
		s/^\[\s*\d+\.\d+\] /[T] /;
		s/^\d+ \d+ \d+:\d+ /M M D:D /;
		s/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?/DATE/g;
		s/\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d+ +(\d\d:\d\d|\d{4})\b/DATE/g;
		s/\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b/MAC/g;
		s/\bfe80::[0-9a-f:]+/fe80::X/g;
		s/ tentative\b//;
		s/\@if\d+/\@ifN/g;
		s/\b10\.201\.\d+\.(\d+)/"10.201.X.(4n+" . ($1 % 4) . ")"/ge;
		s/\b\d+(\.\d+)?\s?ms\b/T ms/g;
		s{= [\d.]+/[\d.]+/[\d.]+/\S+ ms}{= T ms}g;
		s/\b\d+m\d+\.\d+s\b/TIME/g;
		s/\bafter \d+s\b/after Ns/g;
		s{/tmp/tmp\.\w+}{/tmp/TMP}g;
		s/\b[0-9a-f]{32}\b/HASH/g;
		s/\b0x[0-9a-f]{8,}\b/0xADDR/g;
		s{(?<![\w/.-])/(?:[\w.+-]+/)*rootfs\b}{DIR/rootfs}g;
		s/\b(step\d\d)-\d+-\d+\b/$1-N-N/g;
		s/\b(total-vm|anon-rss|file-rss|shmem-rss):\d+kB/$1:NkB/g;
		s/(PID on host: |pid=|cgroup\.procs:|\/proc\/|\bnsw|\bstep\d\d-|Killed process |container: |\bP?Pid:\s+|NSpid:\s+|\) = )\d+/$1N/g;
		s/(status:? |exit |rc=)?(?<![\w.:\/-])(\d{3,})(?![\w.])/defined $1 ? "$1$2" : "N"/ge;
		s/(?<![0-9a-fA-F])\d{4,}(?![0-9a-fA-F])/N/g;
		s/[ \t]+/ /g; s/^ //; s/ $//;
		print;
	'
}

# Transcripts use fixed names in /tmp (/tmp/nsw-rootless, /tmp/c.pid): two
# checks on one machine (or a person trying the commands by hand) would
# collide. As root, each command sees a /tmp of this run's own, bound over
# /tmp in a mount namespace of its own; what a command leaves there is seen
# by the next command, as in a terminal. Not for a checkout under /tmp
# (a clone in mktemp -d): the bind would hide it, ./stepNN and the sudo
# shim with it; there the commands share the real /tmp.
privtmp=""
case "$(pwd -P)/" in
/tmp/*) in_tmp=1 ;;
*) in_tmp=0 ;;
esac
if [ $in_tmp = 0 ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	privtmp=$(mktemp -d /tmp/check-docs.XXXXXX)
	chmod 1777 "$privtmp"
fi

# Run one transcript command; its output (raw) in $run_out, status in $run_rc.
run_cmd() {
	local out
	out=$(mktemp)
	# a file, not a pipe: a process left in the background (a detached
	# container) must not hold the check until it ends
	if [ -n "$privtmp" ]; then
		timeout 90 unshare --mount --propagation private -- bash -c \
			'mount --bind "$1" /tmp || exit 124; exec bash -c "$2"' _ "$privtmp" "$1" </dev/null >"$out" 2>&1
	else
		timeout 90 bash -c "$1" </dev/null >"$out" 2>&1
	fi
	run_rc=$?
	run_out=$(cat "$out")
	rm -f "$out"
}

# Check (or, with record=1, rewrite) the transcripts of FILE; only the one
# called $only when set. Prints FILE as it should be on stdout.
record=0
only=""
transcripts() {
	local file=$1 line name="" in=0 cmd="" expect="" prev_rc=0 skip=0
	local -a lines=()
	mapfile -t lines <"$file"
	lines+=('<!-- EOF -->')
	flush() {
		# the command collected in $cmd and its shown output in $expect
		[ -n "$cmd" ] || return 0
		local shown=$expect
		if [ "$cmd" = 'echo $?' ]; then
			run_out=$prev_rc
			run_rc=0
		elif [ $skip = 1 ] || grep -qE '^[/~][^ ]* # ' <<<"$expect"; then
			# an interactive session: shown, not run
			run_out=${expect%$'\n'}
			run_rc=0
			[ -n "$expect" ] && printf '%s' "$expect"
			cmd=""
			expect=""
			return 0
		else
			run_cmd "$cmd"
		fi
		prev_rc=$run_rc
		if [ $run_rc -ne 0 ] && [ "$next_cmd" != 'echo $?' ]; then
			say "$file ($name): exit status $run_rc, not 0, and no \"\$ echo \$?\" shows it: $cmd"
			fail=1
		fi
		local a b
		a=$(printf '%s' "$shown" | normalise)
		b=$(printf '%s\n' "$run_out" | sed '${/^$/d}' | normalise)
		if [ $record = 1 ]; then
			# what still matches stays as it is: a smaller diff
			if [ "$a" = "$b" ]; then
				printf '%s' "$expect"
			elif [ -n "$run_out" ]; then
				printf '%s\n' "$run_out"
			fi
		else
			printf '%s' "$expect"
			# two processes writing to one terminal: their lines may
			# come in another order
			if [ "$a" != "$b" ] && [ "$(sort <<<"$a")" != "$(sort <<<"$b")" ]; then
				say "$file ($name): the output differs from the transcript: $cmd"
				diff -u --label shown --label now <(printf '%s' "$shown" | normalise) \
					<(printf '%s\n' "$run_out" | sed '${/^$/d}' | normalise) | sed 's/^/    /' >&2
				fail=1
			fi
		fi
		cmd=""
		expect=""
	}
	local i next_cmd
	for ((i = 0; i < ${#lines[@]}; i++)); do
		line=${lines[i]}
		[ "$line" = '<!-- EOF -->' ] && break
		if [[ $line =~ ^'<!-- transcript:begin '([^ ]+) ]]; then
			name=${BASH_REMATCH[1]}
			in=0
			[ -z "$only" ] || [ "$only" = "$name" ] && in=1
			prev_rc=0
			printf '%s\n' "$line"
			continue
		fi
		if [ $in = 1 ] && { [[ $line =~ ^'$ ' ]] || [[ $line == '```' ]] || [[ $line =~ ^'<!-- transcript:end' ]]; }; then
			next_cmd=""
			[[ $line =~ ^'$ '(.*)$ ]] && next_cmd=${BASH_REMATCH[1]}
			flush
			if [[ $line =~ ^'$ '(.*)$ ]]; then
				cmd=${BASH_REMATCH[1]}
				expect=""
			fi
			[[ $line =~ ^'<!-- transcript:end' ]] && in=0
			printf '%s\n' "$line"
			continue
		fi
		if [ $in = 1 ] && [ -n "$cmd" ]; then
			expect+="$line"$'\n'
			continue
		fi
		printf '%s\n' "$line"
	done
}

# A transcript is recorded and copied into the translation by its name: two
# with one name would both get the last one's output.
check_unique_names() {
	local file=$1 dup
	for dup in $(sed -n 's/^<!-- transcript:begin \([^ ]*\).*/\1/p' "$file" | sort | uniq -d); do
		say "$file: two transcripts are called $dup (record and the translation go by name)"
		fail=1
	done
}

# The transcripts of a Chinese chapter are the English ones.
transcript_bodies() {
	awk '/^<!-- transcript:begin /{t=1} t{print} /^<!-- transcript:end/{t=0}' "$1"
}
check_zh_transcripts() {
	local en=$1 zh="docs/zh/${1#docs/}"
	[ -e "$zh" ] || return 0
	if ! cmp -s <(transcript_bodies "$en") <(transcript_bodies "$zh"); then
		say "$zh: its transcripts differ from $en's (scripts/docs.sh record $en rewrites both)"
		diff -u --label "$en" --label "$zh" <(transcript_bodies "$en") <(transcript_bodies "$zh") | head -20 | sed 's/^/    /' >&2
		fail=1
	fi
}

# The hash of a chapter's prose: generated diff blocks (and make bench's
# tables) left out, so that a change of the sources alone does not call for
# a new translation.
hash_of() {
	sed -e '/^<!-- diff:begin /,/^<!-- diff:end -->/d' -e '/^<!-- bench:begin/,/^<!-- bench:end/d' "$1" | sha256sum | cut -c1-16
}

# docs/zh/X.md starts with <!-- source: X.md HASH -->, the hash of the
# English chapter it translates.
check_translation() {
	local en=$1 zh="docs/zh/${1#docs/}" want have
	[ -e "$zh" ] || { say "$en: no translation $zh"; fail=1; return; }
	want=$(hash_of "$en")
	have=$(sed -n '1s/^<!-- source: [^ ]* \([0-9a-f]*\) -->$/\1/p' "$zh")
	if [ "$have" != "$want" ]; then
		say "$en and $zh: changed in one language only (update the translation, then: scripts/docs.sh translated $zh)"
		fail=1
	fi
}

mark_translated() {
	local zh=$1 en line
	en="docs/$(basename "$zh")"
	line="<!-- source: $(basename "$en") $(hash_of "$en") -->"
	if head -n1 "$zh" | grep -q '^<!-- source: '; then
		sed -i "1s/^<!-- source: .* -->\$/$line/" "$zh"
	else
		sed -i "1i $line" "$zh"
	fi
}

# Documents with transcripts or runnable blocks, and with a translation.
chapters=$(ls docs/[0-9][0-9]-*.md 2>/dev/null)
documents="$chapters docs/namespaces.md docs/production.md"
translated_docs="$chapters docs/README.md docs/namespaces.md docs/production.md docs/glossary.md docs/benchmarks.md docs/homework.md docs/reliability.md"

# The checker must be able to fail: a wrong output, an unexpected status
# and a sudo hidden behind timeout each make it fail; a good transcript
# (with an expected failure shown) passes.
selftest() {
	local dir rc=0 out
	dir=$(mktemp -d)
	cat >"$dir/good.md" <<'EOF'
<!-- transcript:begin good -->
```console
$ echo "pid 12345 in 4026531840"; echo two
pid 67890 in 4026532001
two
$ sudo false
$ echo $?
1
$ timeout 3 sudo sh -c 'exit 3' || echo "exit status: $?"
exit status: 3
$ script -qc "sudo id -u" /dev/null
0
```
<!-- transcript:end -->
EOF
	printf '%s\n' '<!-- transcript:begin wrong -->' '```console' '$ echo 42' '43' '```' '<!-- transcript:end -->' >"$dir/wrong.md"
	printf '%s\n' '<!-- transcript:begin status -->' '```console' '$ echo shown; false' 'shown' '```' '<!-- transcript:end -->' >"$dir/status.md"
	# what the old checker let through: sudo missing behind timeout, the
	# status swallowed by || echo
	printf '%s\n' '<!-- transcript:begin sudo -->' '```console' \
		"\$ env PATH=/nonexistent /usr/bin/timeout 3 sudo sh -c 'exit 3' || echo \"exit status: \$?\"" \
		'exit status: 3' '```' '<!-- transcript:end -->' >"$dir/sudo.md"
	# two transcripts with one name: the translation would get one twice
	printf '%s\n' '<!-- transcript:begin twice -->' '```console' '$ echo 1' '1' '```' '<!-- transcript:end -->' \
		'<!-- transcript:begin twice -->' '```console' '$ echo 2' '2' '```' '<!-- transcript:end -->' >"$dir/twice.md"
	for f in good wrong status sudo twice; do
		out=$("$0" transcripts "$dir/$f.md" 2>&1 >/dev/null)
		local got=$?
		if { [ $f = good ] && [ $got != 0 ]; } || { [ $f != good ] && [ $got = 0 ]; }; then
			say "selftest: $f.md: check-docs exit status $got, which is wrong: $out"
			rc=1
		fi
	done
	[ -n "${KEEP:-}" ] && echo "$dir" || rm -rf "$dir"
	[ $rc = 0 ] && echo "check-docs: selftest ok (a wrong output, an unexpected status, a missing sudo and a name used twice fail)"
	return $rc
}

case "$mode" in
update)
	for f in $chapters docs/zh/[0-9][0-9]-*.md; do
		[ -e "$f" ] || continue
		render_diffs "$f" >"$f.new" && mv "$f.new" "$f"
	done
	echo "docs: embedded diffs updated"
	;;
translated)
	# after updating docs/zh/X.md to match docs/X.md
	zh=${2:?usage: scripts/docs.sh translated docs/zh/X.md}
	mark_translated "$zh"
	echo "docs: $zh marked as translating docs/$(basename "$zh")"
	;;
transcripts)
	# check the transcripts of one file (the selftest's way in)
	check_unique_names "${2:?usage: scripts/docs.sh transcripts FILE}"
	transcripts "$2" >/dev/null
	exit $fail
	;;
record)
	en=${2:?usage: scripts/docs.sh record docs/X.md [NAME]}
	only=${3:-}
	record=1
	zh="docs/zh/${en#docs/}"
	check_unique_names "$en"
	[ $fail = 0 ] || exit 1
	in_sync=0
	[ -e "$zh" ] && [ "$(sed -n '1s/^<!-- source: [^ ]* \([0-9a-f]*\) -->$/\1/p' "$zh")" = "$(hash_of "$en")" ] && in_sync=1
	transcripts "$en" >"$en.new" && mv "$en.new" "$en"
	if [ -e "$zh" ]; then
		# the same transcript bodies, by name, into the translation
		awk -v src="$en" '
			BEGIN {
				while ((getline l < src) > 0) {
					if (l ~ /^<!-- transcript:begin /) { split(l, w, " "); nm = w[3]; body[nm] = l; inb = 1; continue }
					if (inb) body[nm] = body[nm] "\n" l
					if (l ~ /^<!-- transcript:end/) inb = 0
				}
			}
			/^<!-- transcript:begin / { split($0, w, " "); if (w[3] in body) { print body[w[3]]; skip = 1; next } }
			skip { if ($0 ~ /^<!-- transcript:end/) skip = 0; next }
			{ print }' "$zh" >"$zh.new" && mv "$zh.new" "$zh"
		# the prose did not change: a translation in step stays in step
		[ $in_sync = 1 ] && mark_translated "$zh"
	fi
	[ $fail = 0 ] && echo "docs: transcripts of $en recorded${only:+ ($only)}" ||
		echo "docs: recorded, but a command failed (above): check the transcript" >&2
	exit $fail
	;;
selftest)
	selftest
	;;
check)
	for f in $chapters; do
		for g in "$f" "docs/zh/${f#docs/}"; do
			[ -e "$g" ] || continue
			if ! render_diffs "$g" | cmp -s - "$g"; then
				say "$g: an embedded diff or file no longer matches the sources (run: make docs)"
				fail=1
			fi
		done
		check_diff_parts "$f"
		check_details "$f"
		[ -e "docs/zh/${f#docs/}" ] && check_details "docs/zh/${f#docs/}"
	done
	for f in $documents; do
		[ -e "$f" ] || continue
		run_blocks "$f"
		check_unique_names "$f"
		transcripts "$f" >/dev/null
		check_zh_transcripts "$f"
		[ -e "docs/zh/${f#docs/}" ] && run_blocks "docs/zh/${f#docs/}"
	done
	for f in README.md docs/README.md docs/zh/README.md; do
		[ -e "$f" ] && run_blocks "$f"
	done
	if [ -d docs/zh ]; then
		for f in $translated_docs; do
			[ -e "$f" ] && [ -e "docs/zh/${f#docs/}" ] && check_translation "$f"
		done
		for f in $chapters docs/README.md docs/namespaces.md docs/production.md docs/glossary.md; do
			[ -e "$f" ] && [ ! -e "docs/zh/${f#docs/}" ] && { say "$f: no translation docs/zh/${f#docs/}"; fail=1; }
		done
	fi
	selftest || fail=1
	[ $fail = 0 ] && echo "check-docs: ok"
	exit $fail
	;;
*)
	echo "usage: scripts/docs.sh update|check|record FILE [NAME]|translated FILE|selftest" >&2
	exit 2
	;;
esac
