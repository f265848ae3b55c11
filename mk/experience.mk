# mk/experience.mk — the first run (issue 11). Included by the Makefile
# after its own rules (it uses `all`, which builds the binaries and rootfs/):
#
#   make doctor          preflight: root, kernel, each namespace type, the
#                        user-namespace sysctls, propagation of /, the cgroup
#                        layout and controllers, packages, the build; each
#                        problem with a one-line fix (scripts/doctor.sh)
#   sudo make demo       installs what is missing, builds, makes rootfs/, runs
#                        the doctor, then tours the finished container and
#                        ends in a shell inside it (scripts/demo.sh)
#
# The demo's steps run one after the other in the recipe, not as
# prerequisites, so that `make -j demo` cannot build before the packages are
# installed. The demo runs the binaries `all` built: those at the root, or
# in BIN (make SANITIZE=1 demo: build/sanitize/bin); STEPS_DIR=DIR in the
# environment points it at other binaries, as it does the suites.

.PHONY: doctor demo

doctor:
	@scripts/doctor.sh

demo:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory all
	@$(if $(filter-out .,$(BIN)),STEPS_DIR=$(BIN)) scripts/demo.sh
