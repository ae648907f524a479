#!/bin/bash
# daemon-memory.sh - the store does not stay in xsdbd's memory: after
# 300,000 nodes are written, the resident part of the daemon's mapping
# of its data file falls under 8 MB once it is idle (it lets go of the
# pages it read a second after the last request, and every few thousand
# busy turns), while the file holds tens of megabytes. Prints TAP.

top_srcdir=${XSDB_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/xsdbd-env.sh
. "$top_srcdir/tests/xsdbd-env.sh"

if [ -n "${XSDB_TEST_SOCKET:-}" ]; then
	echo "1..0 # SKIP needs a daemon of its own"
	exit 0
fi
XSBENCH=${XSDB_TOP_BUILDDIR:-.}/tests/xsbench
[ -x "$XSBENCH" ] || tap_bail "no $XSBENCH"

nodes=300000
limit_kb=8192

# Resident kB of the daemon's mapping of its data file (0 if none).
map_rss()
{
	awk '/\/data\.mdb$/ { f = 1; next }
	    f && /^Rss:/ { print $2; f = 0; n++ }
	    END { if (n == 0) print 0 }' "/proc/$XSDB_PID/smaps" |
	    awk '{ s += $1 } END { print s }'
}

tap_plan 4
xsdb_start
tap_run "write $nodes nodes" "$XSBENCH" -s "$XSDB_SOCKET" -w preload \
    -n "$nodes" -c 4
size_kb=$(du -k "$XSDB_RUNDIR/db/data.mdb" | cut -f1)
if [ "$size_kb" -gt $((4 * limit_kb)) ]; then
	tap_ok "the data file holds $size_kb kB"
else
	tap_fail "the data file holds $size_kb kB, not over $((4 * limit_kb))"
fi

# Idle, the mapping's resident part goes under the limit (polled, with
# a deadline: the daemon trims a second after its last request).
deadline=$((SECONDS + 20))
rss=$(map_rss)
while [ "$rss" -ge "$limit_kb" ] && [ "$SECONDS" -lt "$deadline" ]; do
	sleep 0.1
	rss=$(map_rss)
done
if [ "$rss" -lt "$limit_kb" ]; then
	tap_ok "idle, $rss kB of the data file are resident in the daemon"
else
	tap_fail "idle, $rss kB of the data file stay resident in the daemon"
fi
xsdb_finish
tap_end
