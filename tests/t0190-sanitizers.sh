#!/bin/bash
# numamma built with AddressSanitizer and UndefinedBehaviorSanitizer: the
# unit tests (the ELF, maps, policy and ring-record decoders' fuzz runs
# among them) and the fast behaviour tests run clean, with no sanitizer
# report.  The build is a copy of the sources in the scratch folder, so
# the tree's own build is untouched (make check-asan runs just this).
. "$(dirname "$0")/lib.sh"

echo 'int main(void) { return 0; }' | cc -fsanitize=address,undefined -x c -o "$TMPD/probe" - 2>/dev/null ||
	skip "the compiler cannot build with -fsanitize=address,undefined here"
build=${ASAN_BUILD:-$TMPD/asan}
mkdir -p "$build"
(cd "$TOP" && git ls-files -co --exclude-standard 2>/dev/null || find Makefile src include agent tools tests -type f) |
	grep -Ev '\.(o|d|a)$' | (cd "$TOP" && xargs cp --parents -t "$build" 2>/dev/null)
[[ -f $build/Makefile ]] || fail "cannot copy the sources"
cat >"$build/config.mak" <<'MAK'
CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
MAK
units=$(cd "$build" && ls tests/unit/test-*.c | sed 's/\.c$//')
nice make -C "$build" -j2 numamma $units >"$TMPD/build.log" 2>&1 ||
	fail "the sanitizer build failed: $(tail -20 "$TMPD/build.log")"

# Leaks are not crashes: numamma keeps some state to the end on purpose.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98
(cd "$build" && tests/run-tests $units) >"$TMPD/units.log" 2>&1
tail -1 "$TMPD/units.log"
grep -q " 0 failed" "$TMPD/units.log" || fail "unit tests under the sanitizers: $(grep -A12 '^FAIL' "$TMPD/units.log")"
NUMAMMA=$build/numamma "$TOP/tests/run-tests" \
	"$TOP"/tests/t0100-*.sh "$TOP"/tests/t0103-*.sh "$TOP"/tests/t0112-*.sh "$TOP"/tests/t0117-*.sh \
	"$TOP"/tests/t0120-*.sh "$TOP"/tests/t0142-*.sh "$TOP"/tests/t0600-*.sh >"$TMPD/behaviour.log" 2>&1
tail -1 "$TMPD/behaviour.log"
grep -q " 0 failed" "$TMPD/behaviour.log" ||
	fail "behaviour tests under the sanitizers: $(grep -A12 '^FAIL' "$TMPD/behaviour.log")"
! grep -q "runtime error:\|ERROR: AddressSanitizer" "$TMPD/units.log" "$TMPD/behaviour.log" ||
	fail "a sanitizer report: $(grep -m3 "runtime error:\|ERROR: AddressSanitizer" "$TMPD"/*.log)"
