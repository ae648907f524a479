#!/bin/bash
# compat-dump.sh - xenstore-dump and xenstore-restore against the real
# daemon: dumps live and offline (beside the running daemon), subtrees,
# the text form, restores into fresh daemons and database directories
# that dump again to the same bytes, refusal to write over data without
# --force, and clean errors for bad files and bad usage. Prints TAP.
#
# The same was checked by hand against Xen's C xenstored 4.17 (dump,
# restore into a fresh one, dump again: the same bytes; DIRECTORY_PART
# for a directory of 400 long names), which these scripts cannot start.

top_srcdir=${XSDB_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/xsdbd-env.sh
. "$top_srcdir/tests/xsdbd-env.sh"

command -v xenstore-write >/dev/null ||
    tap_bail "xenstore-write not found (Debian package xenstore-utils)"
[ -n "${XSDB_TOP_BUILDDIR:-}" ] ||
    tap_bail "XSDB_TOP_BUILDDIR is not set (run through make check)"
dump=$XSDB_TOP_BUILDDIR/tools/xenstore-dump
restore=$XSDB_TOP_BUILDDIR/tools/xenstore-restore
[ -x "$dump" ] && [ -x "$restore" ] || tap_bail "the tools are not built"

# Daemons started here besides the one of xsdbd-env.sh, stopped at exit.
extra_pids=
# shellcheck disable=SC2317
stop_extra()
{
	for _p in $extra_pids; do
		kill -TERM "$_p" 2>/dev/null && xsdb_wait_gone "$_p"
	done
	extra_pids=
}
trap '_rc=$?; stop_extra; (exit $_rc); xsdb_cleanup' EXIT

# Start a fresh xsdbd in directory $1 (its socket is $1/socket).
start_fresh()
{
	mkdir -p "$1" || tap_bail "mkdir $1"
	"$XSDB_TOP_BUILDDIR/src/xsdbd" --db "$1/db" --socket "$1/socket" \
	    --pid-file "$1/pid" --xen=none >"$1/daemon.log" 2>&1 ||
	    tap_bail "xsdbd did not start in $1: $(cat "$1/daemon.log")"
	extra_pids="$extra_pids $(cat "$1/pid")"
}

# Start xsdbd with the simulated Xen in directory $1 ($1/sim).
start_sim()
{
	mkdir -p "$1/sim" || tap_bail "mkdir $1"
	"$XSDB_TOP_BUILDDIR/src/xsdbd" --db "$1/db" --socket "$1/socket" \
	    --pid-file "$1/pid" --xen="sim:$1/sim" >"$1/daemon.log" 2>&1 ||
	    tap_bail "xsdbd did not start in $1: $(cat "$1/daemon.log")"
	extra_pids="$extra_pids $(cat "$1/pid")"
}

# The records of a stream other than nodes, one line each, read by a
# reader written from the design independently of lib/stream.c.
records()
{
	/usr/bin/python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"xenstore"
ver, flags = struct.unpack(">II", b[8:16])
e = ">" if flags & 1 else "<"
off = 16
while True:
    t, ln = struct.unpack(e + "II", b[off:off + 8])
    body = b[off + 8:off + 8 + ln]
    if t == 0:
        print("END", ver, len(b) - off - 8)
        break
    if t == 2:
        cid, ct, f, dom, tdom, ev = struct.unpack(e + "IHHHHI", body[:16])
        print("CONNECTION", cid, "ring" if ct == 0 else "socket", dom, tdom)
    elif t in (3, 8):
        cid, pl, tl = struct.unpack(e + "IHH", body[:8])
        h = 8 if t == 3 else 12
        depth = "" if t == 3 else " depth %d" % struct.unpack(e + "H", body[8:10])
        print("WATCH", cid, body[h:h + pl - 1].decode(),
              body[h + pl:h + pl + tl - 1].decode() + depth)
    elif t == 7:
        dom, n, feat = struct.unpack(e + "HHI", body[:8])
        print("DOMAIN", dom, "features", feat, "quotas", n)
    elif t != 5:
        print("TYPE", t)
    off += 8 + (ln + 7) // 8 * 8
PY
}

# Output (stdout then stderr) and exit status of a command, as one text.
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

# ok if files $2 and $3 have the same bytes.
tap_same()
{
	if cmp -s "$2" "$3"; then
		tap_ok "$1"
	else
		tap_fail "$1" "$(cmp "$2" "$3" 2>&1)"
	fi
}

xsdb_start
tap_plan 45
d=$XSDB_RUNDIR

# A store with escaped values, permissions and a directory too long for
# one DIRECTORY reply (DIRECTORY_PART).
xenstore-write /local/domain/7/name guest7 /vm/u 'x\000y\377"q\\z\tw' \
    /vm/v "" /cd/sub/a 1 /cd/sub/b/c 2 >/dev/null || tap_bail "write"
xenstore-chmod /local/domain/7 n7 r0 || tap_bail "chmod"
xenstore-chmod /cd/sub b3 r0 w5 || tap_bail "chmod"
names=
for i in $(seq 1 300); do
	names="$names /cd/wide/child-with-a-rather-long-name-$i v$i"
done
# shellcheck disable=SC2086
xenstore-write $names || tap_bail "write wide"

# Live dumps.
tap_run "live dump in stream form" "$dump" -o "$d/live.xs"
tap_is "the stream starts with its header" \
    "$(head -c 12 "$d/live.xs" | od -An -c | tr -s ' ')" \
    " x e n s t o r e \\0 \\0 \\0 002"
tap_run "live dump in text form" "$dump" --format text -o "$d/live.txt"
tap_is "escaped values and permissions in text" \
    "$(grep -e '^/vm/u ' -e '^/cd/sub ' -e '^/local/domain/7 ' "$d/live.txt")" \
    '/local/domain/7 = "" (n7,r0)
/vm/u = "x\0y\xff\"q\\z\tw" (n0)
/cd/sub = "" (b3,r0,w5)'
tap_is "every node, parents first" \
    "$(wc -l <"$d/live.txt") $(grep -c '^/cd/wide/' "$d/live.txt") $(head -1 "$d/live.txt")" \
    '316 300 / = "" (n0)'
"$dump" -o - >"$d/live-stdout.xs"
tap_same "standard output by default" "$d/live.xs" "$d/live-stdout.xs"
tap_is "subtree" "$("$dump" -p /cd/sub -f text)" \
    '/cd/sub = "" (b3,r0,w5)
/cd/sub/a = "1" (n0)
/cd/sub/b = "" (n0)
/cd/sub/b/c = "2" (n0)'

# Offline dumps, beside the running daemon.
tap_run "offline dump while the daemon runs" "$dump" --db "$d/db" \
    -o "$d/off.xs"
"$dump" --db "$d/db" -f text >"$d/off.txt"
tap_is "offline text: special nodes, then the same nodes as live" \
    "$(head -2 "$d/off.txt"; grep -v '^@' "$d/off.txt" | cmp - "$d/live.txt" &&
    echo same)" \
    '@introduceDomain = "" (n0)
@releaseDomain = "" (n0)
same'
tap_is "offline subtree" "$("$dump" --db "$d/db" -p /cd/sub/b -f text)" \
    '/cd/sub/b = "" (n0)
/cd/sub/b/c = "2" (n0)'
tap_is "the daemon still serves" "$(xenstore-read /local/domain/7/name)" \
    guest7

# Restore into a fresh daemon: the same bytes again.
start_fresh "$d/b"
tap_run "restore into a fresh daemon" "$restore" --socket "$d/b/socket" \
    "$d/live.xs"
XENSTORED_PATH=$d/b/socket "$dump" -o "$d/b.xs"
tap_same "dumped again: the same bytes" "$d/live.xs" "$d/b.xs"
tap_is "no restore over existing data" \
    "$(res "$restore" --socket "$d/b/socket" "$d/live.xs")" \
    "xenstore-restore: the store already holds /local/domain/7: not \
restoring over existing data (--force writes over it)
[1]"
XENSTORED_PATH=$d/b/socket xenstore-write /cd/sub/a changed
tap_run "--force writes over it" "$restore" --force \
    --socket "$d/b/socket" - <"$d/live.xs"
XENSTORED_PATH=$d/b/socket "$dump" -o "$d/b2.xs"
tap_same "forced: the same bytes" "$d/live.xs" "$d/b2.xs"
tap_run "small batches" "$restore" --force --batch 3 \
    --socket "$d/b/socket" "$d/live.xs"
tap_is "a subtree refuses only where it goes" \
    "$(printf '/other = "o" (n0)\n/other/x = "" (r2)\n' |
    res "$restore" --socket "$d/b/socket"; echo;
    XENSTORED_PATH=$d/b/socket "$dump" -p /other -f text)" \
    '[0]
/other = "o" (n0)
/other/x = "" (r2)'

# Progress, on a terminal only.
start_fresh "$d/t"
if command -v script >/dev/null; then
	tap_is "progress on a terminal" \
	    "$(script -qec "$restore --socket $d/t/socket $d/live.xs" /dev/null |
	    tr '\r' '\n' | grep . | tail -1)" \
	    "xenstore-restore: 316 of 316 nodes"
else
	tap_ok "progress on a terminal # SKIP no script(1)"
fi
tap_is "no progress elsewhere" \
    "$(res "$restore" --force --socket "$d/t/socket" "$d/live.xs")" "[0]"

# The text form back into a fresh daemon.
start_fresh "$d/c"
tap_run "restore text" "$restore" --socket "$d/c/socket" "$d/live.txt"
XENSTORED_PATH=$d/c/socket "$dump" -f text -o "$d/c.txt"
tap_same "text dumped again: the same bytes" "$d/live.txt" "$d/c.txt"

# Offline restore into a new directory, and a daemon started on it.
mkdir "$d/o"
tap_run "offline restore into a new directory" "$restore" --db "$d/o/db" \
    "$d/off.xs"
"$dump" --db "$d/o/db" -o "$d/o.xs"
tap_same "offline dump again: the same bytes" "$d/off.xs" "$d/o.xs"
tap_is "no offline restore over existing data" \
    "$(res "$restore" --db "$d/o/db" "$d/off.xs")" \
    "xenstore-restore: $d/o/db already holds /local/domain/7: not restoring \
over existing data (--force writes over it)
[1]"
tap_run "offline --force" "$restore" -f --db "$d/o/db" "$d/live.txt"
mv "$d/o" "$d/p"
start_fresh "$d/p"
XENSTORED_PATH=$d/p/socket "$dump" -o "$d/p.xs"
tap_same "a daemon on the restored directory serves the same" \
    "$d/live.xs" "$d/p.xs"

# An introduced domain with a persisted watch, in an offline dump.
start_sim "$d/s"
guest="$XSDB_TOP_BUILDDIR/tools/xsdb-sim-guest --sim $d/s/sim \
    --socket $d/s/socket --domid 3"
$guest --new || tap_bail "cannot introduce domain 3"
$guest write data/x hello || tap_bail "guest write"
mkfifo "$d/s/events" || tap_bail "mkfifo"
$guest --timeout 20000 watch data 2 >"$d/s/events" &
guest_pid=$!
# The first event comes once the watch is set (and persisted); the guest
# is then killed before it can take its watch away.
read -r first <"$d/s/events"
kill -KILL "$guest_pid" 2>/dev/null
wait "$guest_pid" 2>/dev/null
"$dump" --db "$d/s/db" -o "$d/s.xs"
tap_is "an offline dump holds the domain and its watch" \
    "$first
$(records "$d/s.xs")" \
    "data
CONNECTION 1 ring 3 32756
WATCH 1 data t
DOMAIN 3 features 15 quotas 0
END 2 0"
tap_is "a restore leaves them out, and says so" \
    "$(mkdir "$d/s2"; res "$restore" --db "$d/s2/db" "$d/s.xs")" \
    "xenstore-restore: 3 records other than committed nodes (connections, \
watches, transactions, domain data) were not restored
[0]"
"$dump" --db "$d/s2/db" -f text >"$d/s2.txt"
tap_is "with all the nodes" "$("$dump" --db "$d/s/db" -f text |
    cmp - "$d/s2.txt" && echo same)" same

# Bad input: a clear error, nothing written.
printf 'xenstorX\0\0\0\2\0\0\0\0' >"$d/bad-ident"
tap_is "not a stream" "$(res "$restore" --socket "$d/c/socket" "$d/bad-ident")" \
    "xenstore-restore: $d/bad-ident: byte 0: not a xenstore stream (no \
\"xenstore\" ident)
[1]"
head -c 200 "$d/live.xs" >"$d/cut.xs"
tap_is "a stream cut short" \
    "$(res "$restore" --socket "$d/c/socket" "$d/cut.xs" |
    sed 's/byte [0-9]*/byte N/; s/length [0-9]*/length L/; s/([0-9]* /(K /')" \
    "xenstore-restore: $d/cut.xs: byte N: record length L runs past the end \
of the stream (K bytes left)
[1]"
printf '/zz = "new" (n0)\n/zz/y = "\\q" (n0)\n' >"$d/bad.txt"
tap_is "a bad text line" "$(res "$restore" --socket "$d/c/socket" "$d/bad.txt")" \
    "xenstore-restore: $d/bad.txt: line 2, column 10: unknown escape \\q
[1]"
printf '/zz/y = "" (n0)\n/zz = "" (n0)\n' >"$d/order.txt"
tap_is "a child before its parent" \
    "$(res "$restore" --socket "$d/c/socket" "$d/order.txt")" \
    "xenstore-restore: $d/order.txt: node /zz/y comes before its parent
[1]"
/usr/bin/python3 -c 'print("/v = \"" + "x" * 4094 + "\" (n0)")' >"$d/v.txt"
tap_is "a value no daemon could serve, offline too" \
    "$(res "$restore" --db "$d/v/db" "$d/v.txt"; [ -e "$d/v" ] || echo ' none')" \
    "xenstore-restore: $d/v.txt: /v: the node does not fit a WRITE and a \
SET_PERMS of 4096 bytes
[1] none"
XENSTORED_PATH=$d/c/socket "$dump" -f text -o "$d/c2.txt"
tap_same "bad files changed nothing" "$d/live.txt" "$d/c2.txt"
tap_is "an empty file restores nothing" \
    "$(res "$restore" --socket "$d/c/socket" /dev/null)" "[0]"

# Errors and usage.
tap_is "dump of a missing node" "$(res "$dump" -p /nope)" \
    "xenstore-dump: /nope: no such node
[1]"
tap_is "dump of a missing database" "$(res "$dump" --db "$d/none" -p /)" \
    "xenstore-dump: $d/none: there is no database in $d/none
[1]"
tap_is "no daemon there" "$(res "$dump" --socket "$d/none.sock")" \
    "xenstore-dump: cannot connect to $d/none.sock: No such file or directory
[1]"
tap_is "an output that cannot be written" \
    "$(res "$dump" -o "$d/none/out.xs")" \
    "xenstore-dump: $d/none/out.xs: No such file or directory
[1]"
tap_is "a missing input file" "$(res "$restore" "$d/none.xs")" \
    "xenstore-restore: $d/none.xs: No such file or directory
[1]"
tap_is "usage errors exit 2" \
    "$("$dump" --format xml 2>/dev/null; echo $?; "$dump" -p rel 2>/dev/null;
    echo $?; "$dump" --bogus 2>/dev/null; echo $?;
    "$dump" -s x -d y 2>/dev/null; echo $?;
    "$restore" --batch 0 2>/dev/null; echo $?; "$restore" a b 2>/dev/null;
    echo $?)" "2
2
2
2
2
2"
tap_is "usage message" "$("$dump" --format xml 2>&1 | head -1)" \
    'xenstore-dump: unknown format "xml" (stream or text)'
stop_extra
xsdb_finish
tap_end
