# numamma — NUMA memory profiler and placement engine.
#
#   make              build ./numamma
#   make demo         profile the bundled example and print its report
#   make check        run every test; the last line is "N passed, N failed, N skipped"
#   make check-vm     run only the tests that boot the 4-node QEMU guest
#   make check-asan   the sanitizer build's tests alone (part of make check)
#   make install      install under $(DESTDIR)$(PREFIX)
#
# V=1 shows the full commands.  Local overrides go in config.mak.
-include config.mak

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
CC         ?= cc
PKG_CONFIG ?= pkg-config
VERSION    := 0.1.0

PKGS     := libunwind-ptrace libunwind-generic libelf sqlite3
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 \
            -D_GNU_SOURCE -Iinclude -DNUMAMMA_VERSION='"$(VERSION)"' \
            $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# A struct cleared per allocator call (an event of 100 bytes) was a
# `rep stos`, whose start-up cost was 6% of numamma's cpu on a C++
# std::map program: stores unrolled up to 256 bytes, memset beyond.
# (gcc's option; a compiler without it keeps its own choice.)
MEMSET_STRATEGY := -mmemset-strategy=unrolled_loop:256:noalign,libcall:-1:noalign
MEMSET_FLAG := $(shell $(CC) $(MEMSET_STRATEGY) -x c -c -o /dev/null /dev/null 2>/dev/null && \
                 echo $(MEMSET_STRATEGY))
CFLAGS   += $(MEMSET_FLAG)
# A profile starts numamma and forks it twice: linked with shared
# libraries, that is fifteen objects to map, 2,000 symbols to look up and
# their page tables copied at each fork, about 1 ms of every profile.  The
# libraries are linked statically when all their archives are installed
# (DYNAMIC=1 links the shared ones).  libunwind's archives are not
# position-independent, hence -no-pie.  libsupc++ is the C++ runtime's
# demangler (src/symbols/demangle.c).
STATIC_LIBS := unwind-ptrace unwind-generic unwind-x86_64 unwind dw elf sqlite3 deflate z lzma bz2 supc++
static_missing := $(if $(DYNAMIC),all,$(foreach l,$(STATIC_LIBS),\
                  $(if $(filter /%,$(shell $(CC) -print-file-name=lib$(l).a)),,$(l))))
ifeq ($(strip $(static_missing)),)
LDFLAGS  += -no-pie
LDLIBS   += -Wl,-Bstatic $(addprefix -l,$(STATIC_LIBS)) -Wl,-Bdynamic -lZydis -lpthread -lm
else
LDLIBS   += $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lunwind-x86_64 \
            -lZydis -ldw -ldeflate -lz -lsupc++ -lpthread -lm
endif

ifneq ($(V),1)
Q = @
quiet_cc = @echo "  CC      $@";
quiet_ld = @echo "  LD      $@";
quiet_ar = @echo "  AR      $@";
endif

ALL_SRCS := $(sort $(shell find src -name '*.c'))
LIB_SRCS := $(filter-out src/cmd/main.c,$(ALL_SRCS))
WATCHDOG_OBJS := watchdog/watch.o watchdog/repair.o
# agent/cfi.o too: numamma builds the FDE tables the agent searches.
LIB_OBJS := $(LIB_SRCS:.c=.o) src/intercept/agent_blob.o src/store/schema_image.o \
            $(WATCHDOG_OBJS) src/trace/watchdog_blob.o src/trace/clone_handoff.o agent/cfi.o
UNIT_SRCS := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(UNIT_SRCS:.c=)

all: numamma

libnumamma.a: $(LIB_OBJS)
	$(quiet_ar)rm -f $@ && $(AR) rcs $@ $^

numamma: src/cmd/main.o libnumamma.a
	$(quiet_ld)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

%.o: %.c
	$(quiet_cc)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# The agent (agent/): freestanding position-independent code injected into
# the traced program, linked into one segment and embedded in numamma.  A
# dynamic relocation would need a loader it does not have: the build fails.
AGENT_CFLAGS := -std=gnu11 -O2 -ffreestanding -nostdlib -fPIC -fno-stack-protector \
                -mgeneral-regs-only -fvisibility=hidden -fno-builtin \
                -fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables \
                -fcf-protection=none -Wall -Wextra -Wshadow -Iinclude
AGENT_OBJS := agent/entry.o agent/core.o agent/cfi.o agent/agent.o

agent/%.o: agent/%.c
	$(quiet_cc)$(CC) $(AGENT_CFLAGS) -MMD -MP -c -o $@ $<

agent/%.o: agent/%.S
	$(quiet_cc)$(CC) -c -o $@ $<

agent/agent.elf: $(AGENT_OBJS) agent/agent.lds
	$(quiet_ld)$(LD) -pie --no-dynamic-linker -z noexecstack -T agent/agent.lds -o $@.tmp $(AGENT_OBJS)
	$(Q)if readelf -rW $@.tmp | grep -q R_X86_64; then \
		echo "agent/agent.elf: dynamic relocations left:" >&2; readelf -rW $@.tmp >&2; exit 1; fi
	$(Q)mv $@.tmp $@

agent/agent.bin: agent/agent.elf
	$(Q)objcopy -O binary -j .text -j .rodata $< $@

# The watchdog (watchdog/): numamma's front process once it has cloned the
# tracer, exec'd from a memfd: a static program without libc, stripped.
# Its loop and repair are linked into numamma too, which runs them in
# place where the watchdog cannot be exec'd (WATCHDOG_OBJS, above).

watchdog/%.o: watchdog/%.c
	$(quiet_cc)$(CC) $(AGENT_CFLAGS) -MMD -MP -c -o $@ $<

watchdog/watchdog.elf: watchdog/start.o $(WATCHDOG_OBJS)
	$(quiet_ld)$(LD) -static -nostdlib -e _start -z noexecstack --build-id=none -s -o $@ $^

src/trace/watchdog_blob.o: src/trace/watchdog_blob.S watchdog/watchdog.elf
	$(quiet_cc)$(CC) -c -o $@ $<

src/trace/clone_handoff.o: src/trace/clone_handoff.S
	$(quiet_cc)$(CC) -c -o $@ $<

# Entry offsets, from the linked blob.
agent/agent_syms.h: agent/agent.elf
	$(Q)nm $< | awk '$$3 == "agent_entry" { e = $$1 } $$3 == "agent_ctl" { c = $$1 } \
		$$3 == "agent_loader_trap" { l = $$1 } $$3 == "agent_region_trap" { r = $$1 } \
		$$3 == "agent_call_trap" { p = $$1 } \
		END { printf "#define AGENT_SYM_ENTRY 0x%s\n#define AGENT_SYM_CTL 0x%s\n", e, c; \
		      printf "#define AGENT_SYM_LOADER_TRAP 0x%s\n", l; \
		      printf "#define AGENT_SYM_REGION_TRAP 0x%s\n", r; \
		      printf "#define AGENT_SYM_CALL_TRAP 0x%s\n", p }' > $@

src/intercept/agent_blob.o: src/intercept/agent_blob.S agent/agent.bin
	$(quiet_cc)$(CC) -c -o $@ $<

src/intercept/agent_host.o: agent/agent_syms.h

# The empty profile, made once here rather than at each run (where the
# program waited for it at its exec): src/store/schema.c.
tools/schema-image: tools/schema-image.c src/store/schema.o
	$(quiet_ld)$(CC) $(CFLAGS) -Isrc/store $(LDFLAGS) -o $@ $^ $(LDLIBS)

src/store/schema.img: tools/schema-image
	$(Q)rm -f $@ && tools/schema-image $@

src/store/schema_image.o: src/store/schema_image.S src/store/schema.img
	$(quiet_cc)$(CC) -c -o $@ $<

tests/unit/test-%: tests/unit/test-%.c $(wildcard tests/unit/*.h agent/*.c agent/*.h) libnumamma.a
	$(quiet_ld)$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< libnumamma.a $(LDLIBS)

-include $(ALL_SRCS:.c=.d) agent/core.d agent/cfi.d agent/agent.d \
         watchdog/start.d watchdog/watch.d watchdog/repair.d

# Build dependencies: installed with apt-get when root, otherwise named.
DEB_PKGS := build-essential pkg-config libnuma-dev libpfm4-dev libunwind-dev \
            libelf-dev libdw-dev libsqlite3-dev libzydis-dev libbz2-dev libdeflate-dev sqlite3 numactl \
            python3 xz-utils openmpi-bin libopenmpi-dev chromium \
            libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0 linux-perf rustc gfortran
deps:
	$(Q)sh tests/ensure-deps $(DEB_PKGS)

demo: deps
	$(Q)$(MAKE) --no-print-directory all bench/demo-app
	$(Q)sh bench/demo.sh

# The allocation, fidelity and attach tests run twice: with the agent
# (the default) and with the trap path (--intercept=trap); not t0606,
# a tracer's SIGKILL, which only the agent survives (ATTACH MODE in the
# man page).
TRAP_TESTS = $(filter-out tests/t0101-docs.sh tests/t0606-attach-kill-tracer.sh,$(wildcard tests/t010*.sh tests/t011*.sh \
	       tests/t012[2-5]*.sh tests/t013[12]*.sh tests/t014[6-9]*.sh tests/t015[034567]*.sh tests/t0159*.sh tests/t016[012]*.sh tests/t0315*.sh tests/t06*.sh))

# The clock sampler's tests run again with its events opened per thread,
# as where perf refuses events on every cpu (not root, no CAP_PERFMON).
THREAD_EVENT_TESTS = tests/t0306-clock-blocks.sh tests/t0308-clock-cpu-wide.sh \
		     tests/t0314-clock-short-lived-blocks.sh tests/t0315-clock-thread-locals.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BINS)
	$(Q)tests/run-tests tests/unit/test-* tests/t*.sh tests/vm/t*.sh \
		NUMAMMA_TEST_EVENTS=thread $(THREAD_EVENT_TESTS) NUMAMMA_TEST_EVENTS= \
		NUMAMMA_INTERCEPT=trap $(TRAP_TESTS)

# ASan + UBSan: a sanitizer build of a copy of the sources runs the unit
# tests and the fast behaviour tests (also part of make check).
check-asan: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run-tests tests/t0190-sanitizers.sh

-include tests/vm.mk

# The writer's throughput: built against the library, as the tests are.
bench/ingest-bench: bench/ingest-bench.c libnumamma.a
	$(quiet_ld)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< libnumamma.a $(LDLIBS)

bench/%: bench/%.c
	$(quiet_cc)$(CC) -O2 -g -pthread -o $@ $< -lm

install: numamma
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 numamma $(DESTDIR)$(BINDIR)/numamma
	install -m 644 man/numamma.1 $(DESTDIR)$(MANDIR)/man1/numamma.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/numamma $(DESTDIR)$(MANDIR)/man1/numamma.1

clean:
	rm -f numamma libnumamma.a $(ALL_SRCS:.c=.o) $(ALL_SRCS:.c=.d) $(UNIT_BINS) tests/unit/*.d
	rm -f agent/*.o agent/*.d agent/agent.elf agent/agent.bin agent/agent_syms.h src/intercept/agent_blob.o
	rm -f watchdog/*.o watchdog/*.d watchdog/watchdog.elf src/trace/watchdog_blob.o src/trace/clone_handoff.o
	rm -f tools/schema-image src/store/schema.img src/store/schema_image.o
	rm -rf tests/out

.PHONY: all deps demo check check-asan install uninstall clean
