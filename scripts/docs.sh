#!/bin/bash
# Keep the docs honest.
#   scripts/docs.sh update   regenerate the diffs embedded in docs/NN-*.md
#                            and docs/zh/NN-*.md (between <!-- diff:begin
#                            stepNN --> and <!-- diff:end -->) from the sources
#   scripts/docs.sh translated docs/zh/X.md
#                            record that the translation matches docs/X.md now
#   scripts/docs.sh check    fail when an embedded diff no longer matches the
#                            sources, when a ```sh runnable block fails, when
#                            a transcript's commands no longer run, or when a
#                            chapter changed in one language only
set -uo pipefail
cd "$(dirname "$0")/.."

mode=${1:-check}
fail=0
say() { printf 'check-docs: %s\n' "$*" >&2; }

# Print FILE with every diff block replaced by the current diff.
render_diffs() {
	local file=$1 line step inblock=0
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ $line =~ ^'<!-- diff:begin '(step[0-9][0-9])' -->' ]]; then
			step=${BASH_REMATCH[1]}
			printf '%s\n```diff\n' "$line"
			scripts/stepdiff.sh "$step"
			printf '```\n'
			inblock=1
		elif [[ $line == '<!-- diff:end -->' ]]; then
			printf '%s\n' "$line"
			inblock=0
		elif [ $inblock = 0 ]; then
			printf '%s\n' "$line"
		fi
	done <"$file"
}

# Every ```sh runnable block, run from the repository root with a time limit.
run_blocks() {
	local file=$1 n=0 block="" in=0 line
	while IFS= read -r line || [ -n "$line" ]; do
		if [ $in = 0 ] && [[ $line =~ ^'```sh runnable' ]]; then
			in=1
			block=""
		elif [ $in = 1 ] && [[ $line == '```' ]]; then
			in=0
			n=$((n + 1))
			# CI runs as root, where sudo may not be installed
			local shim='command -v sudo >/dev/null || sudo() { "$@"; }'
			if ! out=$(timeout 60 bash -e -c "$shim"$'\n'"$block" </dev/null 2>&1); then
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

# A transcript shows commands as "$ command" lines: each must still run
# (with "sudo" dropped: CI is root). Output varies (PIDs, inodes): it is
# not compared.
run_transcripts() {
	local file=$1 in=0 line cmd
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ $line =~ ^'<!-- transcript:begin' ]]; then
			in=1
		elif [[ $line =~ ^'<!-- transcript:end' ]]; then
			in=0
		elif [ $in = 1 ] && [[ $line =~ ^'$ '(.*)$ ]]; then
			cmd=${BASH_REMATCH[1]}
			cmd=${cmd#sudo }
			# interactive shells and background jobs are shown, not run
			case "$cmd" in
			*'&' | ./step0[0-9] | *' -d '* | 'ping '* | *'read '*) continue ;;
			esac
			if ! timeout 30 bash -c 'command -v sudo >/dev/null || sudo() { "$@"; }'$'\n'"$cmd" </dev/null >/dev/null 2>&1; then
				local rc=$?
				# a transcript may show a failing command on purpose:
				# then the next lines say so with "rc=" or "echo $?"
				grep -qF -- "$cmd" "$file" && [[ $cmd == *'echo $?'* || $cmd == *'||'* ]] && continue
				[ $rc -lt 124 ] && [[ $cmd == *'; echo'* ]] && continue
				say "$file: transcript command fails now (status $rc): $cmd"
				fail=1
			fi
		fi
	done <"$file"
}

# The hash of a chapter's prose: generated diff blocks left out, so that a
# change of the sources alone does not call for a new translation.
hash_of() {
	sed '/^<!-- diff:begin /,/^<!-- diff:end -->/d' "$1" | sha256sum | cut -c1-16
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

chapters=$(ls docs/[0-9][0-9]-*.md 2>/dev/null)
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
	en="docs/$(basename "$zh")"
	line="<!-- source: $(basename "$en") $(hash_of "$en") -->"
	if head -n1 "$zh" | grep -q '^<!-- source: '; then
		sed -i "1s/^<!-- source: .* -->\$/$line/" "$zh"
	else
		sed -i "1i $line" "$zh"
	fi
	echo "docs: $zh marked as translating $en"
	;;
check)
	for f in $chapters; do
		if ! render_diffs "$f" | cmp -s - "$f"; then
			say "$f: an embedded diff no longer matches the sources (run: make docs)"
			fail=1
		fi
		run_blocks "$f"
		run_transcripts "$f"
	done
	for f in README.md docs/README.md docs/production.md; do
		[ -e "$f" ] && run_blocks "$f"
	done
	[ -e docs/production.md ] && run_transcripts docs/production.md
	if [ -d docs/zh ]; then
		for f in $chapters docs/README.md docs/production.md docs/glossary.md docs/homework.md; do
			[ -e "$f" ] && check_translation "$f"
		done
	fi
	[ $fail = 0 ] && echo "check-docs: ok"
	exit $fail
	;;
*)
	echo "usage: scripts/docs.sh update|check|translated FILE" >&2
	exit 2
	;;
esac
