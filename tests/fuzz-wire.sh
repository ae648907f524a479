#!/bin/sh
# fuzz-wire.sh - run the libFuzzer target of the wire parser
# (tests/fuzz/fuzz_wire.c over lib/wire.c, lib/path.c and lib/perm.c) for a
# short fixed time, from the corpus in tests/fuzz/corpus-wire. Prints TAP.
# Needs clang with libFuzzer: without it both tests are skipped.
#
#   XSDB_FUZZ_SECONDS   how long the fuzzer runs (5)
#   FUZZ_CC             the compiler (clang)
#   XSDB_FUZZ_KEEP=DIR  copy the inputs found to DIR (to grow the corpus)

top_srcdir=${XSDB_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
secs=${XSDB_FUZZ_SECONDS:-5}
cc=${FUZZ_CC:-clang}

echo "1..2"
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "ok 1 build the wire fuzzer # SKIP no $cc"
	echo "ok 2 run the wire fuzzer # SKIP no $cc"
	exit 0
fi
work=$(mktemp -d /tmp/xsdb-fuzz.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT

if "$cc" -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=all -Wall -Wextra -Wno-unused-parameter -Werror \
    -I"$top_srcdir/lib" -o "$work/fuzz-wire" \
    "$top_srcdir/tests/fuzz/fuzz_wire.c" "$top_srcdir/lib/wire.c" \
    "$top_srcdir/lib/path.c" "$top_srcdir/lib/perm.c" \
    >"$work/cc.log" 2>&1; then
	echo "ok 1 build the wire fuzzer"
else
	if grep -q -- "-lclang_rt.fuzzer\|fuzzer.*not found\|unsupported option" \
	    "$work/cc.log"; then
		echo "ok 1 build the wire fuzzer # SKIP $cc has no libFuzzer"
	else
		echo "not ok 1 build the wire fuzzer"
		sed 's/^/# /' "$work/cc.log"
	fi
	echo "ok 2 run the wire fuzzer # SKIP not built"
	exit 0
fi

# New inputs go to a scratch directory; the corpus is only read.
mkdir "$work/new"
if "$work/fuzz-wire" -max_total_time="$secs" -timeout=10 \
    -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$work/" \
    "$work/new" \
    "$top_srcdir/tests/fuzz/corpus-wire" >"$work/run.log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/run.log")
	echo "ok 2 run the wire fuzzer for $secs s ($runs inputs)"
	if [ -n "${XSDB_FUZZ_KEEP:-}" ]; then
		mkdir -p "$XSDB_FUZZ_KEEP" && cp "$work"/new/* "$XSDB_FUZZ_KEEP"/
	fi
else
	echo "not ok 2 run the wire fuzzer"
	tail -40 "$work/run.log" | sed 's/^/# /'
	cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* . 2>/dev/null
fi
exit 0
