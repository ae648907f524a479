#!/bin/bash
# compat-control.sh - Xen's xenstore-control (from Debian's xen-utils-4.17,
# fetched by fetch-test-xenstore.sh) against xsdbd: the CONTROL commands
# help, check, print, log, logfile, quota, quota-soft, memreport and the
# answers to bad commands.
#
# Expected texts are what Xen's C xenstored 4.17 answers. Prints TAP.

top_srcdir=${XSDB_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/xsdbd-env.sh
. "$top_srcdir/tests/xsdbd-env.sh"

command -v xenstore-write >/dev/null ||
    tap_bail "xenstore-write not found (Debian package xenstore-utils)"
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

help_text=$(printf '%s\n' \
    'check	' \
    'log	on|off' \
    'live-update	[-c <cmdline>] [-F] [-t <timeout>] <file>' \
    '    Default timeout is 60 seconds.' \
    'logfile	<file>' \
    'memreport	[<file>]' \
    'print	<string>' \
    'quota	[set <name> <val>|<domid>]' \
    'quota-soft	[set <name> <val>]' \
    'help	')
unsupported="Command not supported. Valid commands are:
$help_text
[3]"

quota_text() # nodes
{
	printf '%s\n' \
	    'Quota settings:' \
	    "nodes            : $(printf '%8d' "$1") Nodes per domain" \
	    'watches          :      128 Watches per domain' \
	    'transactions     :       10 Transactions per domain' \
	    'outstanding      :       20 Outstanding requests per domain' \
	    'transaction-nodes:     1024 Max. number of accessed nodes per transaction' \
	    'memory           :  2621440 Total Xenstore memory per domain (error level)' \
	    'node-size        :     2048 Max. size of a node' \
	    'path-max         :     2048 Max. length of a node path' \
	    'permissions      :        5 Max. number of permissions per node' \
	    '[0]'
}

quota_soft_text() # memory
{
	printf '%s\n' \
	    'Quota settings:' \
	    "memory           : $(printf '%8d' "$1") Total Xenstore memory per domain (warning level)" \
	    '[0]'
}

xsdb_start
tap_plan 21

tap_is "help" "$(res "$ctl" help)" "$help_text
[0]"
tap_is "check" "$(res "$ctl" check)" "OK
[0]"
tap_is "print" "$(res "$ctl" print hello-from-compat)" "OK
[0]"
tap_is "quota" "$(res "$ctl" quota)" "$(quota_text 1000)"
tap_is "quota set nodes" "$(res "$ctl" quota set nodes 2000)" "OK
[0]"
tap_is "quota after set" "$(res "$ctl" quota)" "$(quota_text 2000)"
tap_is "quota set back" "$(res "$ctl" quota set nodes 1000)" "OK
[0]"
tap_is "quota set of an unknown name" "$(res "$ctl" quota set bogus 3)" \
    "$unsupported"
tap_is "quota-soft" "$(res "$ctl" quota-soft)" "$(quota_soft_text 2097152)"
tap_is "quota-soft set memory" \
    "$(res "$ctl" quota-soft set memory 3000000; res "$ctl" quota-soft)" \
    "OK
[0]$(quota_soft_text 3000000)"
"$ctl" quota-soft set memory 2097152 >/dev/null 2>&1
# The figures depend on the store; the names and layout do not.
tap_is "quota of domain 0" \
    "$(res "$ctl" quota 0 | sed 's/: *[0-9][0-9]*$/: N/')" \
    "Domain 0:
nodes           : N
watches         : N
transactions    : N
outstanding     : N
memory          : N
[0]"
tap_is "quota of a domain that does not exist" "$(res "$ctl" quota 7)" \
    "Error 2 when trying to execute command.
[3]"

trace=$XSDB_RUNDIR/ctl-trace
tap_is "logfile, log on, log off" \
    "$(res "$ctl" logfile "$trace"; res "$ctl" log on;
      xenstore-write /compat-control/traced 1;
      res "$ctl" log off)" \
    "OK
[0]OK
[0]OK
[0]"
tap_run "the trace file shows the write" \
    grep -q 'WRITE (/compat-control/traced 1' "$trace"
xenstore-rm /compat-control

tap_is "memreport to a file" \
    "$(res "$ctl" memreport "$XSDB_RUNDIR/memreport")" "OK
[0]"
tap_run "memreport wrote the file" test -s "$XSDB_RUNDIR/memreport"

tap_is "an unknown command" "$(res "$ctl" nope)" "$unsupported"
tap_is "check with an argument" "$(res "$ctl" check extra)" "$unsupported"
tap_is "log without on or off" "$(res "$ctl" log maybe)" "$unsupported"
tap_is "print without a string" "$(res "$ctl" print)" "$unsupported"

xsdb_finish
tap_end
