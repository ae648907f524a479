#!/bin/bash
# bench.sh - `make bench`: run every xsbench workload against xsdbd and,
# when given, against a reference daemon and a daemon without a store (the
# ceiling); print one table; then preload 1,000,000 nodes into xsdbd and
# report time, database size, peak RSS and the time from start to first
# answer with that store.
#
# Environment (make variables of the same names are passed through):
#   XSDB_TOP_BUILDDIR  build tree: src/xsdbd and tests/xsbench
#   REF_SOCKET         socket of a reference daemon (e.g. Xen's xenstored)
#   NULL_SOCKET        socket of a daemon that answers without storing
#   BENCH_DURATION     seconds per workload and daemon (default 2)
#   BENCH_REPEAT       runs per workload and daemon; the best counts
#                      (default 1; more evens out a busy machine)
#   BENCH_PRELOAD      nodes to preload (default 1000000; 0 skips)
#   BENCH_WORKLOADS    workloads to run (default "read write dir txn watch")
#   XSDB_TEST_SOCKET   use this running daemon instead of starting xsdbd
#                      (then there is no restart, and RSS only with
#                      XSDB_TEST_PID)
#   TMPDIR             where xsdbd's store goes if it is a tmpfs; else
#                      /dev/shm when that is a writable tmpfs

top_srcdir=${XSDB_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/xsdbd-env.sh
. "$top_srcdir/tests/xsdbd-env.sh"

duration=${BENCH_DURATION:-2}
repeat=${BENCH_REPEAT:-1}
preload=${BENCH_PRELOAD:-1000000}
workloads=${BENCH_WORKLOADS:-read write dir txn watch}
xsbench=${XSDB_TOP_BUILDDIR:-.}/tests/xsbench

# Print an error and fail.
die()
{
	echo "bench: $*" >&2
	exit 1
}

[ -x "$xsbench" ] || die "no $xsbench (make -C tests xsbench)"
for s in ${REF_SOCKET:+"$REF_SOCKET"} ${NULL_SOCKET:+"$NULL_SOCKET"}; do
	[ -S "$s" ] || die "$s is not a socket"
done

# The store goes on tmpfs when the temporary directory is not one: on a
# host it lives in /var/run, a tmpfs, and on a disk file system the
# figures would include the kernel writing dirty pages back to the disk,
# which the daemon does not ask for (it does not fsync without --sync).
if [ "$(stat -f -c %T "${TMPDIR:-/tmp}" 2>/dev/null)" != tmpfs ] &&
    [ -d /dev/shm ] && [ -w /dev/shm ] &&
    [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
	TMPDIR=/dev/shm
	export TMPDIR
fi

failed=0

# ops/s of the best of $repeat runs, "n/a" if the daemon lacks what the
# workload needs, "error" (with the message on stderr) if a run failed.
run()
{
	_sock=$1
	shift
	_best=
	_i=0
	while [ $_i -lt "$repeat" ]; do
		_i=$((_i + 1))
		if ! _out=$("$xsbench" -s "$_sock" "$@" -d "$duration"); then
			echo "bench: xsbench -s $_sock $* failed" >&2
			echo error
			return
		fi
		case $_out in
		*unsupported*)
			echo n/a
			return
			;;
		esac
		_r=$(echo "$_out" | sed -n 's/.* ops_s=\([0-9]*\).*/\1/p')
		if [ -z "$_best" ] || [ "$_r" -gt "$_best" ]; then
			_best=$_r
		fi
	done
	echo "$_best"
}

# a / b with two decimals, or "-".
ratio()
{
	if [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ]; then
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
	else
		echo -
	fi
}

# Peak resident set of a process, from /proc/PID/status.
vmhwm()
{
	sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null
}

# Every workload with 1 and 16 connections, 1 and 8 requests in flight.
workload_table()
{
	echo "xsbench: best of $repeat x $duration s per workload and daemon; xsdbd on" \
	    "$XSDB_SOCKET${REF_SOCKET:+, reference on $REF_SOCKET}${NULL_SOCKET:+, ceiling on $NULL_SOCKET}"
	echo "xsdbd's store: $XSDB_RUNDIR/db ($(stat -f -c %T "$XSDB_RUNDIR" \
	    2>/dev/null))"
	echo "c = connections, p = requests in flight per connection;" \
	    "watch counts events delivered to 100 watchers"
	printf '%-20s %12s %12s %7s %10s\n' workload "xsdbd ops/s" \
	    "ref ops/s" ratio "% ceiling"
	for w in $workloads; do
		for c in 1 16; do
			for p in 1 8; do
				mine=$(run "$XSDB_SOCKET" -w "$w" -c $c -p $p)
				ref=-
				ceil=-
				[ -n "${REF_SOCKET:-}" ] &&
				    ref=$(run "$REF_SOCKET" -w "$w" -c $c -p $p)
				[ -n "${NULL_SOCKET:-}" ] &&
				    ceil=$(run "$NULL_SOCKET" -w "$w" -c $c -p $p)
				for r in "$mine" "$ref" "$ceil"; do
					[ "$r" = error ] && failed=$((failed + 1))
				done
				pct=$(ratio "$mine" "$ceil")
				[ "$pct" != - ] && pct=$(awk -v r="$pct" \
				    'BEGIN { printf "%.0f%%", r * 100 }')
				printf '%-20s %12s %12s %7s %10s\n' \
				    "$w c=$c p=$p" "$mine" "$ref" \
				    "$(ratio "$mine" "$ref")" "$pct"
			done
		done
	done
}

# Preload nodes, report time, size and RSS; restart and time the first
# answer with that store.
preload_and_restart()
{
	out=$("$xsbench" -s "$XSDB_SOCKET" -w preload -n "$preload" -c 4 \
	    -p 64) || { failed=$((failed + 1)); return; }
	secs=$(echo "$out" | sed -n 's/.* secs=\([0-9.]*\).*/\1/p')
	rate=$(echo "$out" | sed -n 's/.* ops_s=\([0-9]*\).*/\1/p')
	echo "preload: $preload nodes in $secs s ($rate writes/s," \
	    "4 connections x 64 in flight)"
	pid=${XSDB_PID:-${XSDB_TEST_PID:-}}
	[ -n "$pid" ] &&
	    echo "xsdbd peak RSS (VmHWM) after the preload: $(vmhwm "$pid")"
	[ -z "${XSDB_TEST_SOCKET:-}" ] || return
	echo "database on disk: $(du -sk "$XSDB_RUNDIR/db" | cut -f1) kB" \
	    "(apparent size $(du -sk --apparent-size "$XSDB_RUNDIR/db" |
	    cut -f1) kB)"
	xsdb_stop || die "xsdbd did not stop"
	# The daemon's own messages go to its log, not into the report.
	# shellcheck disable=SC2086
	out=$("$xsbench" -s "$XSDB_SOCKET" -w startup -- "$XSDB_DAEMON" \
	    --db "$XSDB_RUNDIR/db" --socket "$XSDB_SOCKET" \
	    --pid-file "$XSDB_RUNDIR/pid" --xen=none ${XSDB_DAEMON_ARGS:-} \
	    2>>"$XSDB_RUNDIR/daemon.log") ||
	    die "restart failed: $(tail -5 "$XSDB_RUNDIR/daemon.log")"
	XSDB_PID=$(cat "$XSDB_RUNDIR/pid")
	echo "restart with $preload nodes: first answer after" \
	    "$(echo "$out" | sed -n 's/.* ms=//p') ms"
	"$xsbench" -s "$XSDB_SOCKET" -w read -d 1 >/dev/null ||
	    die "xsdbd does not answer after the restart"
	echo "xsdbd peak RSS (VmHWM) after the restart and 1 s of reads:" \
	    "$(vmhwm "$XSDB_PID")"
}

xsdb_start
workload_table
if [ "$preload" -gt 0 ]; then
	echo
	preload_and_restart
fi
[ "$failed" -eq 0 ] || die "$failed runs failed"
