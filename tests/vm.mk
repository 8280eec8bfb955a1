# Included by the top-level Makefile.  `make check-vm` runs only the tests
# that boot the 4-node QEMU guest of tests/vm/run (see tests/vm/README.md).
check-vm: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run-tests tests/vm/t*.sh

.PHONY: check-vm
