# Homework: exercise skeletons and their grading by the test suites.
# Included by the Makefile; docs/homework.md is the guide.
#
#   make homework [HOMEWORK=dir] [FORCE=1]   write homework/stepNN-*/ skeletons
#   make grade STEP=05 [HOMEWORK=dir]        build a skeleton, run its step's suite
#   make grade SUBMISSIONS=dir [STEP=05]     one score line per student per step
#   make check-homework [STEP=05]            skeletons compile, fail their own suite,
#                                            pass the previous one; solutions pass

HOMEWORK ?= homework
# Skeletons and students' code are built with the repository's flags, less
# the warnings that a function still to be written sets off (unused
# parameters, helpers not called yet, a label whose goto is a TODO).
HOMEWORK_CFLAGS ?= -Wno-unused-function -Wno-unused-variable \
	-Wno-unused-parameter -Wno-unused-but-set-variable \
	-Wno-unused-but-set-parameter -Wno-unused-const-variable \
	-Wno-unused-label
HOMEWORK_ENV = MAKE="$(MAKE)" TEST_BIN="$(TEST_BIN)" TEST_JOBS="$(TEST_JOBS)" \
	HOMEWORK_CFLAGS="$(HOMEWORK_CFLAGS)" OUT="$(BUILD)/homework" \
	STEPS="$(patsubst step%,%,$(STEP))"

.PHONY: homework grade check-homework

homework:
	@FORCE="$(FORCE)" scripts/homework.sh make "$(HOMEWORK)"

grade:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory rootfs test-build
	@$(HOMEWORK_ENV) scripts/grade.sh \
		$(if $(SUBMISSIONS),batch "$(SUBMISSIONS)",grade "$(HOMEWORK)")

check-homework:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory rootfs test-build
	@$(HOMEWORK_ENV) scripts/grade.sh check
