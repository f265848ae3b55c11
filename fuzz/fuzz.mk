# fuzz/fuzz.mk — `make fuzz`: libFuzzer on the option parsing of the last
# step and of set_ns. Included by mk/reliability.mk.
#
#   make fuzz                 FUZZ_TIME seconds (default 60) for each target
#   make fuzz FUZZ_TIME=600   longer
#   make fuzz-build           only build build/fuzz/fuzz_stepNN, fuzz_set_ns
#
# How: parse_args() is static, so each harness #includes the step's main file
# with -Dmain=step_main (fuzz_step.c, fuzz_setns.c) and links the step's
# other files beside it; clang's -fsanitize=fuzzer supplies main(). ASan and
# UBSan abort on the first error; LeakSanitizer stays on (parsing runs in one
# dumpable process). A crash leaves build/fuzz/crash-* (libFuzzer's
# -artifact_prefix), which `build/fuzz/fuzz_stepNN FILE` replays. New inputs
# go to build/fuzz/corpus-*; fuzz/corpus/ holds the seeds, fuzz/*.dict the
# option names. Not in `make test` nor in CI's default path: it is a bounded
# search, not a check.

FUZZ_CC    ?= clang
FUZZ_TIME  ?= 60
FUZZ_FLAGS ?= -g -O1 -fsanitize=fuzzer,address,undefined \
	      -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
	      -std=c11 -D_GNU_SOURCE
# -close_fd_mask=3: the parser's messages and --help would flood the log.
FUZZ_RUN   ?= -max_total_time=$(FUZZ_TIME) -close_fd_mask=3 -timeout=10 \
	      -print_final_stats=1

# The last step: the highest-numbered step directory.
FUZZ_STEP_DIR := $(lastword $(STEP_DIRS))
FUZZ_STEP     := $(firstword $(subst -, ,$(FUZZ_STEP_DIR)))
FUZZ_STEP_BIN := build/fuzz/fuzz_$(FUZZ_STEP)
FUZZ_SETNS    := $(firstword $(wildcard $(SRC)/step07-*/set_ns.c))
FUZZ_SETNS_BIN := build/fuzz/fuzz_set_ns

.PHONY: fuzz fuzz-build

fuzz-build: $(FUZZ_STEP_BIN) $(if $(FUZZ_SETNS),$(FUZZ_SETNS_BIN))

$(FUZZ_STEP_BIN): fuzz/fuzz_step.c $(wildcard $(SRC)/$(FUZZ_STEP_DIR)/*.c $(SRC)/$(FUZZ_STEP_DIR)/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -I$(SRC) -Dmain=step_main \
		-DSTEP_MAIN='"$(FUZZ_STEP_DIR)/$(FUZZ_STEP).c"' -o $@ $< \
		$(filter-out %/set_ns.c %/$(FUZZ_STEP).c,$(wildcard $(SRC)/$(FUZZ_STEP_DIR)/*.c)) \
		$(LDLIBS_$(FUZZ_STEP))

$(FUZZ_SETNS_BIN): fuzz/fuzz_setns.c $(FUZZ_SETNS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -I$(SRC) -Dmain=set_ns_main \
		-DSETNS_MAIN='"$(FUZZ_SETNS)"' -o $@ $< \
		$(dir $(FUZZ_SETNS))state.c $(dir $(FUZZ_SETNS))err.c

fuzz: fuzz-build
	@mkdir -p build/fuzz/corpus-$(FUZZ_STEP) build/fuzz/corpus-set_ns
	$(FUZZ_STEP_BIN) $(FUZZ_RUN) -dict=fuzz/step.dict \
		-artifact_prefix=build/fuzz/ \
		build/fuzz/corpus-$(FUZZ_STEP) fuzz/corpus/step
	$(if $(FUZZ_SETNS),$(FUZZ_SETNS_BIN) $(FUZZ_RUN) -dict=fuzz/set_ns.dict \
		-artifact_prefix=build/fuzz/ \
		build/fuzz/corpus-set_ns fuzz/corpus/set_ns)
