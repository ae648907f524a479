#!/bin/bash
# compat-pyxs.sh - Debian's python3-pyxs against xsdbd: starts the daemon
# and runs compat_pyxs.py with /usr/bin/python3, which prints TAP; one more
# test checks that the daemon stops cleanly.

top_srcdir=${XSDB_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/xsdbd-env.sh
. "$top_srcdir/tests/xsdbd-env.sh"

[ -x /usr/bin/python3 ] || tap_bail "/usr/bin/python3 not found"
xsdb_start
/usr/bin/python3 "$top_srcdir/tests/compat_pyxs.py" "$XSDB_SOCKET" 1 |
    tee "$XSDB_RUNDIR/pyxs.tap"
[ "${PIPESTATUS[0]}" -eq 0 ] || tap_failed=1
tap_count=$(grep -cE '^(not )?ok ' "$XSDB_RUNDIR/pyxs.tap")
tap_planned=$((tap_count + 1))
xsdb_finish
tap_end
