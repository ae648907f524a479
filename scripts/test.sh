#!/bin/sh
# Install what is needed, build, and run the whole test suite twice: with
# warnings as errors, then under AddressSanitizer and
# UndefinedBehaviorSanitizer; then make check-xen in the build without
# sanitizers.
# Ends with automake's test summaries.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
cd "$top"
./autogen.sh
jobs=$(nproc)

run_suite() {
	dir=$1
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" --enable-werror "$@" &&
		make -j"$jobs" && make -j"$jobs" check) || {
		find "$dir/tests" -name '*.log' -newer "$dir/Makefile" \
			-exec grep -l -E '^(not ok|FAIL|ERROR)' {} + 2>/dev/null |
			while read -r f; do echo "=== $f"; tail -40 "$f"; done
		return 1
	}
}

status=0
run_suite "$top/build-asan" --enable-sanitizers || status=1
run_suite "$top/build-check" || status=1
# The same daemon on a real Xen host in QEMU, with Xen's own xenstored as
# the reference (tests/xen/README).
if [ -f "$top/build-check/Makefile" ]; then
	(cd "$top/build-check" && make check-xen) || {
		for f in "$top"/build-check/tests/xen/*.log; do
			[ -f "$f" ] && grep -q -E '^(not ok|Bail out)' "$f" &&
				{ echo "=== $f"; cat "$f"; }
		done
		status=1
	}
else
	status=1
fi
exit $status
