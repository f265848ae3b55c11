# mk/check.mk — the copy discipline of the steps and the rules of HACKING.md
# that a tool can check: scripts/check-steps.sh (plain sh, awk, diff).
# Included at the end of the top-level Makefile.
#
#   make check-steps   the script's self-test (on a temporary copy: a carried
#                      file changed by one line, a function of 61 lines and a
#                      fixture for each rule must fail), then each step
#                      against the previous one: the functions it adds,
#                      changes and keeps; a carried file that differs from
#                      the previous step's copy other than by homework markers
#                      fails unless mk/check-steps.allow names it as the
#                      step's lesson; a function over 60 lines fails; then
#                      the rules (check-rules)
#   make check-rules   the rules alone: O_CLOEXEC, snprintf checked, writes
#                      through write_all(), syscall() only in syscalls.h,
#                      exit() only in main(), helpers that do not print, ...
#
# CI runs check-steps before the suites.

.PHONY: check-steps check-rules

check-steps:
	@out=$$(scripts/check-steps.sh --self-test 2>&1) || \
		{ printf '%s\n' "$$out"; exit 1; }; \
		printf '%s\n' "$$out" | tail -n1
	@scripts/check-steps.sh

check-rules:
	@scripts/check-steps.sh --rules
