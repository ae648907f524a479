#!/bin/bash
# compat-test-xenstore.sh - Xen's own test-xenstore (from Debian's
# xen-utils-4.17, fetched by fetch-test-xenstore.sh) against xsdbd, each of
# its tests run on its own with -i 100 and reported as one TAP line.
#
# test-xenstore stops at its first failure and, given an unknown test
# name, runs nothing and still exits 0: so each run must exit 0 and print
# its own "NAME: avg: ..." line to pass.

top_srcdir=${XSDB_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/xsdbd-env.sh
. "$top_srcdir/tests/xsdbd-env.sh"

iterations=${XSDB_TEST_XENSTORE_ITERATIONS:-100}

bin=$("$top_srcdir/tests/fetch-test-xenstore.sh") ||
    tap_bail "cannot fetch test-xenstore"
prog=$bin/test-xenstore

list=$("$prog" -l 2>&1) || tap_bail "test-xenstore -l failed: $list"
names=()
while IFS= read -r line; do
	# "ta rmw x  : Read-modify-write transaction abort"
	name=${line%%:*}
	name=${name%"${name##*[! ]}"}
	[ -n "$name" ] && names+=("$name")
done <<<"$list"
[ ${#names[@]} -gt 0 ] || tap_bail "test-xenstore lists no tests"

xsdb_start
tap_plan $((${#names[@]} + 1))

for name in "${names[@]}"; do
	out=$("$prog" -t "$name" -i "$iterations" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] &&
	    printf '%s\n' "$out" | grep -q "^$name *: avg: "; then
		tap_ok "test-xenstore -t '$name' -i $iterations (${out#*: })"
	else
		tap_fail "test-xenstore -t '$name' -i $iterations" \
		    "exit $rc: $out"
	fi
done

xsdb_finish
tap_end
