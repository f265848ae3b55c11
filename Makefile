# The namespace workshop. `make help` lists the targets.
#
#   make                 every step binary at the root (./step01 ... ./set_ns) and rootfs/
#   make stepNN          one step: `make step05 && sudo ./step05`
#   sudo make test       every Criterion suite;  make test STEP=05  one suite
#   make diff STEP=05    the lesson: diff -u of step04 against step05
#   make SANITIZE=1 test build with ASan and UBSan into build/sanitize/bin, test that
#   make bench           start-up latency beside unshare(1), bwrap and crun
#   make docs            regenerate the diffs in docs/;  make check-docs  verify the docs
#   make homework        exercise skeletons;  make grade STEP=05  grade one
#   make doctor          preflight check;  sudo make demo  a guided tour
#   make check-steps     carried files unchanged, functions <= 60 lines, HACKING.md's rules

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror
LDFLAGS ?=
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
BUILD   ?= build/sanitize
# Sanitized binaries live apart, so that ./stepNN stays the plain build.
BIN     ?= build/sanitize/bin
# LeakSanitizer cannot attach to non-dumpable processes (set_ns, anything in
# a new user namespace): leaks are checked by `make valgrind` instead.
export ASAN_OPTIONS  ?= detect_leaks=0:exitcode=86
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1:exitcode=87
endif
BUILD   ?= build

# Where the step sources are and where their binaries go: the grader points
# these at a student's homework (see docs/homework.md).
SRC     ?= .
BIN     ?= .

# A step exists once its directory has its main file, stepNN-*/stepNN.c.
STEP_DIRS := $(sort $(notdir $(patsubst %/,%,$(dir $(wildcard $(SRC)/step[0-9][0-9]-*/step[0-9][0-9].c)))))
STEPS     := $(foreach d,$(STEP_DIRS),$(firstword $(subst -, ,$(d))))
# set_ns (step07 on) is built from the last step that has one: each later
# step's copy adds what that step's containers have (cgroups, seccomp).
HAS_SETNS := $(lastword $(sort $(wildcard $(SRC)/step[0-9][0-9]-*/set_ns.c)))
BINARIES  := $(addprefix $(BIN)/,$(STEPS) $(if $(HAS_SETNS),set_ns))

# STEP=05 -> step05
STEP_NAME = $(if $(STEP),step$(patsubst step%,%,$(STEP)))

.PHONY: all rootfs deps test test-build diff clean format format-check help \
	bench docs check-docs examples

all: $(BINARIES) rootfs $(if $(filter-out .,$(BIN)),$(BIN)/rootfs)

# Binaries built elsewhere find the rootfs beside them.
ifneq ($(BIN),.)
$(BIN)/rootfs: | rootfs/bin/busybox
	@mkdir -p $(BIN)
	ln -sfn $(abspath rootfs) $@
endif

# Libraries a step links beyond libc: step10 reads .tar.gz images (zlib).
LDLIBS_step10 := -lz

# One rule per step: every .c of the directory but set_ns.c is the runtime.
define step_rule
$(BIN)/$(1): $$(wildcard $(SRC)/$(2)/*.c $(SRC)/$(2)/*.h)
	@mkdir -p $(BIN)
	$$(CC) $$(CPPFLAGS) $$(CFLAGS) -o $$@ $$(filter-out %/set_ns.c,$$(wildcard $(SRC)/$(2)/*.c)) $$(LDFLAGS) $$(LDLIBS_$(1))
ifneq ($(BIN),.)
$(1): $(BIN)/$(1)
endif
endef
$(foreach d,$(STEP_DIRS),$(eval $(call step_rule,$(firstword $(subst -, ,$(d))),$(d))))

# set_ns reads the records state.c writes, opens a pty as tty.c does,
# takes the target's privileges (harden.c), relays signals (init.c) and,
# from step08 and step09 on, joins cgroups (cgroup.c) and installs the
# filter (seccomp.c): the same code as the runtime's.
SETNS_SRCS = $(HAS_SETNS) $(wildcard $(addprefix $(dir $(HAS_SETNS)),\
	state.c err.c tty.c harden.c init.c cgroup.c seccomp.c))
$(BIN)/set_ns: $(SETNS_SRCS) $(wildcard $(dir $(HAS_SETNS))*.h)
	@mkdir -p $(BIN)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(SETNS_SRCS) $(LDFLAGS)

rootfs: rootfs/bin/busybox
rootfs/bin/busybox: scripts/mkrootfs.sh
	scripts/mkrootfs.sh rootfs

deps:
	@scripts/deps.sh install

# ---------------------------------------------------------------- tests ----
TEST_SRCS := $(wildcard tests/*.c)
TEST_BIN  := $(BUILD)/tests/suite
TEST_JOBS ?= $(shell nproc 2>/dev/null || echo 2)

$(TEST_BIN): $(TEST_SRCS) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(TEST_SRCS) -lcriterion $(LDFLAGS)

# Static helpers that the suites copy into containers, to make system calls
# no busybox applet makes; they run only inside containers. Never
# sanitized: a static binary cannot carry ASan's runtime.
HELPERS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,\
	$(wildcard tests/helpers/*.c))
$(BUILD)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -static -o $@ $<

test-build: $(TEST_BIN) $(HELPERS)

# The suites are named stepNN (and stepNN_*); STEP=05 keeps one step's.
TEST_FILTER = $(if $(STEP),--filter='$(STEP_NAME)*/*')
test:
	@scripts/deps.sh check
	@$(if $(wildcard scripts/doctor.sh),scripts/doctor.sh --quiet)
	@$(MAKE) --no-print-directory all test-build
	$(if $(filter-out .,$(BIN)),STEPS_DIR=$(BIN)) timeout 900 $(TEST_BIN) \
		--jobs=$(TEST_JOBS) $(TEST_FILTER) $(TEST_ARGS)

# ---------------------------------------------------------------- lesson ---
diff:
	@test -n "$(STEP)" || { echo "usage: make diff STEP=05" >&2; exit 2; }
	@scripts/stepdiff.sh $(STEP_NAME)

# ----------------------------------------------------------------- bench ---
bench: all
	bench/run.sh $(BENCH_ARGS)

# ------------------------------------------------------------------ docs ---
# The diffs embedded in docs/NN-*.md come from the sources: `make docs`
# regenerates them, `make check-docs` fails when they (or a runnable block,
# a transcript's commands, a translation) went stale.
docs:
	@scripts/docs.sh update
check-docs: all examples
	@scripts/docs.sh check

# The small programs the chapters show (docs/examples/*.c), built into
# build/examples/ and run by the chapters' transcripts.
EXAMPLES = $(patsubst docs/examples/%.c,build/examples/%,$(wildcard docs/examples/*.c))
examples: $(EXAMPLES)
build/examples/%: docs/examples/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDFLAGS)

# ------------------------------------------------------------------ style --
FORMAT_SRCS = $(wildcard step*/*.c step*/*.h tests/*.c tests/*.h bench/*.c docs/examples/*.c)
format:
	clang-format -i $(FORMAT_SRCS)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_SRCS) && echo "format-check: ok"

clean:
	rm -rf $(BUILD) build bench/results $(addprefix ./,$(STEPS) set_ns)

help:
	@sed -n 's/^#   //p' Makefile

# Homework, reliability tooling, doctor and demo.
-include mk/homework.mk mk/reliability.mk mk/experience.mk mk/check.mk
