# tests/xsdbd-env.sh - shell helpers for script tests, to be sourced.
# shellcheck shell=bash
#
# Starts the built xsdbd on a private store and socket in a mktemp -d
# directory, stops it at exit, and prints TAP.
#
#   xsdb_start          start xsdbd; sets XSDB_RUNDIR, XSDB_SOCKET,
#                       XSDB_PID and exports XENSTORED_PATH
#   xsdb_stop           SIGTERM the daemon and wait until it is gone
#   xsdb_kill           SIGKILL the daemon and wait until it is gone
#   xsdb_finish         one last test: the daemon stops on SIGTERM and no
#                       sanitizer report was written (count it in the plan)
#   tap_plan N          print the plan
#   tap_ok NAME / tap_fail NAME [DETAIL]
#   tap_is NAME GOT WANT    compare two texts exactly
#   tap_run NAME CMD...     ok if CMD exits 0
#   tap_end             exit status: 1 if any test failed or the count
#                       differs from the plan
#
# Environment:
#   XSDB_TOP_BUILDDIR   build tree (exported by tests/Makefile.am); the
#                       daemon is $XSDB_TOP_BUILDDIR/src/xsdbd
#   XSDB_TEST_SOCKET    use the daemon already listening there instead of
#                       starting one (for developing tests against another
#                       xenstored); nothing is started or stopped
#   XSDB_DAEMON_ARGS    extra arguments for xsdbd

tap_count=0
tap_failed=0
tap_planned=0

# Print the TAP plan.
tap_plan()
{
	tap_planned=$1
	echo "1..$1"
}

# One passing test.
tap_ok()
{
	tap_count=$((tap_count + 1))
	echo "ok $tap_count - $1"
}

# One failing test, with an optional detail printed as TAP comments.
tap_fail()
{
	tap_count=$((tap_count + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_count - $1"
	if [ $# -gt 1 ] && [ -n "$2" ]; then
		printf '%s\n' "$2" | sed 's/^/# /'
	fi
}

# Compare GOT with WANT exactly; on a difference show both.
tap_is()
{
	if [ "$2" = "$3" ]; then
		tap_ok "$1"
	else
		tap_fail "$1" "$(printf 'got:\n%s\nwant:\n%s' "$2" "$3")"
	fi
}

# Run a command; ok if it exits 0, else show its output.
tap_run()
{
	_name=$1
	shift
	if _out=$("$@" 2>&1); then
		tap_ok "$_name"
	else
		tap_fail "$_name" "exit $?: $_out"
	fi
}

# Stop the test run at once: TAP "Bail out!" makes the driver report an
# error, so a missing prerequisite fails rather than skips.
tap_bail()
{
	echo "Bail out! $*"
	exit 1
}

# Exit status of the script from the results so far.
tap_end()
{
	if [ "$tap_count" -ne "$tap_planned" ]; then
		echo "# planned $tap_planned tests, ran $tap_count"
		exit 1
	fi
	[ "$tap_failed" -eq 0 ] || exit 1
	exit 0
}

# True while process $1 exists and is not a zombie. A daemonized xsdbd is
# not our child, and its parent may never reap it, so a zombie counts as
# gone.
xsdb_alive()
{
	[ -r "/proc/$1/stat" ] || return 1
	_state=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null) ||
	    return 1
	[ -n "$_state" ] && [ "$_state" != Z ]
}

# Wait until process $1 is gone, at most about 10 seconds.
xsdb_wait_gone()
{
	_i=0
	while xsdb_alive "$1"; do
		_i=$((_i + 1))
		[ $_i -le 1000 ] || return 1
		sleep 0.01
	done
	return 0
}

# Start xsdbd (or adopt XSDB_TEST_SOCKET). xsdbd daemonizes and returns only
# once its socket accepts, so no waiting is needed here.
xsdb_start()
{
	if [ -n "${XSDB_TEST_SOCKET:-}" ]; then
		XSDB_SOCKET=$XSDB_TEST_SOCKET
		XSDB_PID=
		XSDB_RUNDIR=${XSDB_RUNDIR:-$(mktemp -d "${TMPDIR:-/tmp}/xsdb-test.XXXXXX")}
		XENSTORED_PATH=$XSDB_SOCKET
		export XENSTORED_PATH
		trap xsdb_cleanup EXIT
		return 0
	fi
	[ -n "${XSDB_TOP_BUILDDIR:-}" ] ||
	    tap_bail "XSDB_TOP_BUILDDIR is not set (run through make check)"
	XSDB_DAEMON=$XSDB_TOP_BUILDDIR/src/xsdbd
	[ -x "$XSDB_DAEMON" ] || tap_bail "no daemon at $XSDB_DAEMON"
	if [ -z "${XSDB_RUNDIR:-}" ]; then
		XSDB_RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/xsdb-test.XXXXXX") ||
		    tap_bail "mktemp failed"
		trap xsdb_cleanup EXIT
	fi
	XSDB_SOCKET=$XSDB_RUNDIR/socket
	# A sanitizer build reports into the run directory, where
	# xsdb_finish looks, even after the daemon has left its terminal.
	# shellcheck disable=SC2086
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$XSDB_RUNDIR/sanitizer" \
	UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$XSDB_RUNDIR/sanitizer" \
	"$XSDB_DAEMON" --db "$XSDB_RUNDIR/db" --socket "$XSDB_SOCKET" \
	    --pid-file "$XSDB_RUNDIR/pid" --xen=none ${XSDB_DAEMON_ARGS:-} \
	    >"$XSDB_RUNDIR/daemon.log" 2>&1 ||
	    tap_bail "xsdbd did not start: $(cat "$XSDB_RUNDIR/daemon.log")"
	XSDB_PID=$(cat "$XSDB_RUNDIR/pid") ||
	    tap_bail "xsdbd wrote no pid file"
	XENSTORED_PATH=$XSDB_SOCKET
	export XENSTORED_PATH
}

# Stop the daemon with SIGTERM and wait until it has gone.
xsdb_stop()
{
	[ -n "${XSDB_PID:-}" ] || return 0
	kill -TERM "$XSDB_PID" 2>/dev/null
	xsdb_wait_gone "$XSDB_PID"
	_rc=$?
	XSDB_PID=
	return $_rc
}

# Kill the daemon with SIGKILL and wait until it has gone.
xsdb_kill()
{
	[ -n "${XSDB_PID:-}" ] || return 0
	kill -KILL "$XSDB_PID" 2>/dev/null
	xsdb_wait_gone "$XSDB_PID"
	_rc=$?
	XSDB_PID=
	return $_rc
}

# The last test of a script: xsdbd stops on SIGTERM, and a sanitizer build
# found nothing to report while it ran.
xsdb_finish()
{
	if [ -n "${XSDB_TEST_SOCKET:-}" ]; then
		tap_ok "xsdbd stops cleanly # SKIP not our daemon"
		return
	fi
	if ! xsdb_stop; then
		tap_fail "xsdbd stops cleanly" "still running after SIGTERM"
		return
	fi
	_reports=$(cat "$XSDB_RUNDIR"/sanitizer.* 2>/dev/null)
	if [ -n "$_reports" ]; then
		tap_fail "xsdbd stops cleanly" "$_reports"
	else
		tap_ok "xsdbd stops cleanly"
	fi
}

# EXIT trap: stop the daemon, remove the run directory.
xsdb_cleanup()
{
	_exit_rc=$?
	_pid=${XSDB_PID:-}
	if [ -n "$_pid" ] && ! xsdb_stop; then
		kill -KILL "$_pid" 2>/dev/null
	fi
	[ -n "${XSDB_RUNDIR:-}" ] && rm -rf "$XSDB_RUNDIR"
	exit $_exit_rc
}
