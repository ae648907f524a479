#!/bin/bash
# compat-pyxs.sh - Debian's python3-pyxs against xsdbd: starts the daemon
# and runs compat_pyxs.py with /usr/bin/python3, which prints TAP.

top_srcdir=${XSDB_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/xsdbd-env.sh
. "$top_srcdir/tests/xsdbd-env.sh"

[ -x /usr/bin/python3 ] || tap_bail "/usr/bin/python3 not found"
xsdb_start
/usr/bin/python3 "$top_srcdir/tests/compat_pyxs.py" "$XSDB_SOCKET"
