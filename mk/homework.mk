# Homework: exercise skeletons, hand-out kits, and their grading by the test
# suites in a sandbox. Included by the Makefile; docs/homework.md is the guide.
#
#   make homework [STEP=05] [HOMEWORK=dir] [FORCE=1]   homework/stepNN-*/ skeletons
#                                            (STEP: that one; FORCE: overwrite it)
#   make kit STEP=05 [KIT_DIR=.]             kit-step05.tar.gz: what a student gets
#   make grade STEP=05 [HOMEWORK=dir]        build a skeleton, run its step's suite
#   make grade SUBMISSIONS=dir [STEP=05]     grades.tsv and per-student grades
#   make check-homework [STEP=05]            skeletons compile, fail their own suite,
#                                            pass the previous one; solutions pass;
#                                            the sandbox, the reports and the kits hold

HOMEWORK ?= homework
KIT_DIR  ?= .
# Skeletons and students' code are built with the repository's flags, less
# the warnings that a function still to be written sets off (unused
# parameters, helpers not called yet, a label whose goto is a TODO).
HOMEWORK_CFLAGS ?= -Wno-unused-function -Wno-unused-variable \
	-Wno-unused-parameter -Wno-unused-but-set-variable \
	-Wno-unused-but-set-parameter -Wno-unused-const-variable \
	-Wno-unused-label
HOMEWORK_ENV = MAKE="$(MAKE)" TEST_BIN="$(TEST_BIN)" TEST_JOBS="$(TEST_JOBS)" \
	HOMEWORK_CFLAGS="$(HOMEWORK_CFLAGS)" OUT="$(BUILD)/homework" \
	STEPS="$(patsubst step%,%,$(STEP))" \
	$(if $(GRADE_TIME),GRADE_TIME="$(GRADE_TIME)") \
	$(if $(GRADE_PIDS),GRADE_PIDS="$(GRADE_PIDS)") \
	$(if $(GRADE_MEMORY),GRADE_MEMORY="$(GRADE_MEMORY)") \
	$(if $(GRADE_RUN_TIMEOUT),GRADE_RUN_TIMEOUT="$(GRADE_RUN_TIMEOUT)") \
	$(if $(GRADE_JOBS),GRADE_JOBS="$(GRADE_JOBS)")

.PHONY: homework kit grade check-homework

homework:
	@FORCE="$(FORCE)" scripts/homework.sh make "$(HOMEWORK)" $(patsubst step%,%,$(STEP))

kit:
	@test -n "$(STEP)" || { echo "usage: make kit STEP=05" >&2; exit 2; }
	@scripts/kit.py make $(patsubst step%,%,$(STEP)) "$(KIT_DIR)"

grade:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory rootfs test-build
	@$(HOMEWORK_ENV) scripts/grade.sh \
		$(if $(SUBMISSIONS),batch "$(SUBMISSIONS)",grade "$(HOMEWORK)")

check-homework:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory rootfs test-build
	@$(HOMEWORK_ENV) scripts/grade.sh check
