#!/bin/bash
# compat-lu.sh - the unchanged xenstore-control of Xen 4.17 (fetched by
# fetch-test-xenstore.sh) drives a live update of xsdbd: the daemon keeps
# its pid, its clients (a xenstore-watch across the update) and its
# nodes; a -c command line is taken; a binary that cannot be exec'ed is
# refused with Xen's texts and the daemon goes on. Prints TAP.

top_srcdir=${XSDB_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/xsdbd-env.sh
. "$top_srcdir/tests/xsdbd-env.sh"

command -v xenstore-watch >/dev/null ||
    tap_bail "xenstore-watch not found (Debian package xenstore-utils)"
bin=$("$top_srcdir/tests/fetch-test-xenstore.sh") ||
    tap_bail "cannot fetch xenstore-control"
ctl=$bin/xenstore-control

# Output of a command (stdout then stderr) and its exit status, as one text.
res()
{
	_o=$("$@" 2>&1)
	_rc=$?
	if [ -n "$_o" ]; then
		printf '%s\n[%d]' "$_o" "$_rc"
	else
		printf '[%d]' "$_rc"
	fi
}

# Append the next line of the watch to $got, waiting at most 10 s.
read_line()
{
	_l=
	IFS= read -r -t 10 _l <&3
	got="$got$_l
"
}

xsdb_start
[ -n "${XSDB_TEST_SOCKET:-}" ] && tap_bail "needs a daemon of its own"
tap_plan 11
pid=$XSDB_PID
p=/compat-lu

xenstore-write $p/a 1
mkfifo "$XSDB_RUNDIR/watch.fifo"
xenstore-watch -n 3 $p >"$XSDB_RUNDIR/watch.fifo" 2>&1 &
wpid=$!
exec 3<"$XSDB_RUNDIR/watch.fifo"
got=
read_line

tap_is "live-update BINARY" "$(res "$ctl" live-update "$XSDB_DAEMON")" \
    "[0]"
tap_is "the same process serves" "$(cat "$XSDB_RUNDIR/pid"):$(res \
    xenstore-read $p/a)" "$pid:1
[0]"

xenstore-write $p/b 2
read_line
tap_is "a watch set before the update fires after it" "$got" "$p
$p/b
"

# A command line of its own (the same options), with -t and -F.
cmdline="--db $XSDB_RUNDIR/db --socket $XSDB_SOCKET --pid-file $XSDB_RUNDIR/pid --xen=none"
tap_is "live-update -c CMDLINE -t 10 -F BINARY" \
    "$(res "$ctl" live-update -c "$cmdline" -t 10 -F "$XSDB_DAEMON")" "[0]"
xenstore-write $p/c 3
read_line
wait $wpid
got="${got}[$?]"
exec 3<&-
tap_is "the watch goes on across a second update" "$got" "$p
$p/b
$p/c
[0]"
tap_is "still the same process" "$(cat "$XSDB_RUNDIR/pid")" "$pid"

tap_is "a binary that does not exist" \
    "$(res "$ctl" live-update "$XSDB_RUNDIR/nonexistent")" \
    "Setting update binary failed:
File not accessible.
[3]"
tap_is "a file that is not executable" \
    "$(res "$ctl" live-update "$XSDB_RUNDIR/watch.fifo")" \
    "Setting update binary failed:
File not executable.
[3]"
printf '\177ELF-not-really' >"$XSDB_RUNDIR/bad-binary"
chmod 755 "$XSDB_RUNDIR/bad-binary"
tap_is "a binary that does not exec" \
    "$(res "$ctl" live-update "$XSDB_RUNDIR/bad-binary")" \
    "Starting live update failed:
Error activating new binary.
[3]"
tap_is "the daemon goes on" "$(cat "$XSDB_RUNDIR/pid"):$(res \
    xenstore-read $p/c)" "$pid:3
[0]"
xenstore-rm $p

xsdb_finish
tap_end
