# mk/reliability.mk — the reliability and security tooling (issue 10;
# docs/reliability.md). Included at the end of the top-level Makefile: it
# uses STEPS, STEP_DIRS, HAS_SETNS, SRC, BIN and the `all` and `test` rules.
#
#   make test-sanitize   = make SANITIZE=1 test: every step, set_ns and the
#                          suites with ASan and UBSan (build/sanitize/bin)
#   sudo make valgrind   each runtime and set_ns once under memcheck, running
#                          /bin/true: no error, no descriptor left open
#   make lint            cppcheck and clang-tidy over step*/*.c and tests/*.c
#   make fuzz            libFuzzer on the option parsing of the last step and
#                          of set_ns, FUZZ_TIME seconds each (fuzz/fuzz.mk)
#
# The reliability suites themselves (reliability_*) run in `make test`.
# CI runs `make test`, `make test-sanitize` and `make lint`; valgrind and
# fuzz are for a person with time (neither is needed to pass).

.PHONY: test-sanitize valgrind lint lint-cppcheck lint-clang-tidy

# ------------------------------------------------------------ sanitizers ---
# The Makefile's SANITIZE=1 builds apart (BUILD, BIN = build/sanitize/...)
# and exports ASAN_OPTIONS=detect_leaks=0: LeakSanitizer ptrace-attaches to
# the process, which fails in processes that are not dumpable (set_ns) or
# that are in a new user namespace; leaks are valgrind's job here.
test-sanitize:
	@$(MAKE) --no-print-directory SANITIZE=1 test

# -------------------------------------------------------------- valgrind ---
# --trace-children=no: valgrind follows clone(2) without CLONE_VM as it does
# fork, so the child's code up to its execve is checked too (its log is
# build/valgrind/STEP.1.log: PID 1 in its namespace); COMMAND is not.
# mk/valgrind.supp: mount(2) with a NULL filesystem type (MS_BIND,
# MS_REMOUNT, MS_PRIVATE) is legal, memcheck reads it as a string anyway.
# An error fails the target; so does a descriptor open at exit that the
# runtime did not inherit (--track-fds=yes lists those with a stack).
VALGRIND       ?= valgrind
VALGRIND_FLAGS ?= -q --error-exitcode=1 --track-fds=yes --trace-children=no \
		  --suppressions=mk/valgrind.supp
VALGRIND_LOGS  := build/valgrind

valgrind: all
	@command -v $(VALGRIND) >/dev/null || \
		{ echo "valgrind: not installed (scripts/deps.sh all)" >&2; exit 1; }
	@test "$$(id -u)" = 0 || \
		{ echo "valgrind: the steps need root: sudo make valgrind" >&2; exit 1; }
	@mkdir -p $(VALGRIND_LOGS); rm -f $(VALGRIND_LOGS)/*.log
	@fail=0; \
	for s in $(STEPS) $(if $(HAS_SETNS),set_ns); do \
		if [ $$s = set_ns ]; then args="/proc/self/ns/uts /bin/true"; \
		else args="-q /bin/true"; fi; \
		$(VALGRIND) $(VALGRIND_FLAGS) \
			--log-file=$(VALGRIND_LOGS)/$$s.%p.log $(BIN)/$$s $$args \
			</dev/null >/dev/null 2>$(VALGRIND_LOGS)/$$s.stderr; \
		rc=$$?; \
		if [ $$rc -ne 0 ]; then \
			echo "valgrind: $$s exited $$rc:"; \
			cat $(VALGRIND_LOGS)/$$s.stderr; fail=1; fi; \
		if ! awk -f mk/valgrind-check.awk $(VALGRIND_LOGS)/$$s.*.log; \
		then fail=1; else echo "valgrind: $$s clean"; fi; \
	done; \
	exit $$fail

# ------------------------------------------------------------------ lint ---
LINT_SRCS := $(wildcard $(SRC)/step*/*.c) $(wildcard tests/*.c)
LINT_STEP_SRCS := $(wildcard $(SRC)/step*/*.c)
LINT_TEST_SRCS := $(wildcard tests/*.c)
LINT_JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# cppcheck: warnings (real bugs), portability, performance; style is
# clang-format's. mk/criterion.cfg teaches it Criterion's macros, without
# which it skips every suite; mk/cppcheck-suppressions.xml lists each
# false positive with its reason.
CPPCHECK_FLAGS ?= -q --enable=warning,portability,performance \
		  --error-exitcode=1 --inline-suppr -D_GNU_SOURCE --std=c11 \
		  --library=mk/criterion.cfg \
		  --suppress-xml=mk/cppcheck-suppressions.xml

# clang-tidy: the checks of .clang-tidy (each justified there), every
# warning an error. The suites may call system() (cert-env33-c): they run
# cp, rm and ping on the host; a runtime never does.
CLANG_TIDY      ?= clang-tidy
CLANG_TIDY_ARGS ?= -- -std=c11 -D_GNU_SOURCE

lint: lint-cppcheck lint-clang-tidy
	@echo "lint: clean"

lint-cppcheck:
	cppcheck $(CPPCHECK_FLAGS) $(LINT_SRCS)

# Its stderr only counts the warnings it hid (system headers, NOLINT).
lint-clang-tidy:
	@command -v $(CLANG_TIDY) >/dev/null || \
		{ echo "lint: clang-tidy not installed (scripts/deps.sh all)" >&2; exit 1; }
	@s=0; \
	printf '%s\n' $(LINT_STEP_SRCS) | xargs -P $(LINT_JOBS) -I{} \
		$(CLANG_TIDY) --quiet {} $(CLANG_TIDY_ARGS) 2>/dev/null || s=1; \
	printf '%s\n' $(LINT_TEST_SRCS) | xargs -P $(LINT_JOBS) -I{} \
		$(CLANG_TIDY) --quiet --checks=-cert-env33-c {} \
		$(CLANG_TIDY_ARGS) 2>/dev/null || s=1; \
	if [ $$s = 0 ]; then echo "clang-tidy: clean"; else \
		echo "clang-tidy: findings above" >&2; fi; exit $$s

# ------------------------------------------------------------------ fuzz ---
include fuzz/fuzz.mk
