#!/bin/bash
# compat-inspect.sh - xsdb-inspect's tree listing against Debian's
# xenstore-ls for the same tree: `xsdb-inspect ls -r`, without its two
# generation columns, must read as `xenstore-ls -f -p`, while xsdbd runs
# and after it has stopped. Every command's --json output must parse.
# Prints TAP.
#
# Values hold no '"': xenstore-ls prints it bare, xsdb-inspect escapes it.

top_srcdir=${XSDB_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/xsdbd-env.sh
. "$top_srcdir/tests/xsdbd-env.sh"

unset COLUMNS

if [ -n "${XSDB_TEST_SOCKET:-}" ]; then
	echo "1..0 # SKIP needs a database of its own"
	exit 0
fi
for tool in xenstore-ls xenstore-write xenstore-chmod; do
	command -v "$tool" >/dev/null ||
	    tap_bail "$tool not found (Debian package xenstore-utils)"
done
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || tap_bail "no $PYTHON"
INSPECT=${XSDB_TOP_BUILDDIR:-}/tools/xsdb-inspect
[ -x "$INSPECT" ] || tap_bail "no tool at $INSPECT"

# The listing of xsdb-inspect without the gen and cgen columns.
listing()
{
	"$INSPECT" --db "$XSDB_RUNDIR/db" ls -r "$1" |
	    sed 's/^ *[0-9][0-9]* *[0-9][0-9]*  //'
}

# Every command's JSON parses; one test per command.
json_all()
{
	for cmd in summary "ls -r /" "node /vm/1/name" domains watches top \
	    usage check; do
		# shellcheck disable=SC2086
		if _out=$("$INSPECT" --db "$XSDB_RUNDIR/db" --json $cmd |
		    "$PYTHON" -m json.tool 2>&1 >/dev/null); then
			tap_ok "$1: $cmd --json parses"
		else
			tap_fail "$1: $cmd --json parses" "$_out"
		fi
	done
}

xsdb_start
tap_plan 24

long=/long/$(printf 'x%.0s' $(seq 1 300))/$(printf 'y%.0s' $(seq 1 300))
xenstore-write /vm/1/name "guest one" /vm/1/uuid 1234-abcd /vm/2/name two \
    /local/domain/1/name "with space" /local/domain/1/device/vif/0/state 4 \
    /esc 'tab\there' /nl 'a\nb' /bs 'back\\slash' /empty "" "$long" deep ||
    tap_bail "xenstore-write failed"
xenstore-chmod /vm/1 n1 r2 w3 && xenstore-chmod /local/domain/1 b1 &&
    xenstore-chmod -r /local/domain/1/device n1 r0 ||
    tap_bail "xenstore-chmod failed"

want_all=$(xenstore-ls -f -p /)
want_vm=$(xenstore-ls -f -p /vm)
want_dev=$(xenstore-ls -f -p /local/domain/1/device)
nodes=$(printf '%s\n' "$want_all" | wc -l)
nodes=$((nodes + 1))

tap_is "running: ls -r / reads as xenstore-ls -f -p /" "$(listing /)" \
    "$want_all"
tap_is "running: ls -r /vm reads as xenstore-ls -f -p /vm" \
    "$(listing /vm)" "$want_vm"
tap_is "running: a subtree with recursive permissions" \
    "$(listing /local/domain/1/device)" "$want_dev"
tap_is "running: check finds nothing" \
    "$("$INSPECT" --db "$XSDB_RUNDIR/db" check; echo "[$?]")" \
    "no problems found in $nodes nodes
[0]"
json_all running

xsdb_finish

tap_is "stopped: ls -r / reads as xenstore-ls -f -p /" "$(listing /)" \
    "$want_all"
tap_is "stopped: ls -r /vm reads as xenstore-ls -f -p /vm" \
    "$(listing /vm)" "$want_vm"
tap_is "stopped: check finds nothing" \
    "$("$INSPECT" --db "$XSDB_RUNDIR/db" check; echo "[$?]")" \
    "no problems found in $nodes nodes
[0]"
json_all stopped

tap_end
