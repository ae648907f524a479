#!/bin/bash
# Scenario c: SIGKILL of dom0's xenstored with a guest up, and a restart
# with the command line (and XENSTORED_ROOTDIR) it runs with. The
# guest's nodes must be unchanged, a vif hot-plugged afterwards must
# connect (the guest's xenbus ring still works), `xl shutdown -w` must
# work, and the guest's destruction must remove all its nodes.
set -u
. /mnt/xsdb/lib.sh

start_guest c1
id=$guest_id
pid=$(daemon_pid) || fail "no /run/xenstore.pid"
alive "$pid" || fail "xenstored (pid $pid) is not running"
# Its command line, less what a live update (scenario d) adds: -U makes
# a daemon take over state handed to it, which a restart has none of.
argv=()
while IFS= read -r -d '' a; do
	case $a in
	-U|--live-update|--lu-state=*) ;;
	*) argv+=("$a") ;;
	esac
done <"/proc/$pid/cmdline"
rootdir=$(tr '\0' '\n' <"/proc/$pid/environ" | sed -n 's/^XENSTORED_ROOTDIR=//p')
note "xenstored pid $pid: ${argv[*]} (XENSTORED_ROOTDIR=$rootdir)"
before=$(xenstore-ls -f "/local/domain/$id") || fail "xenstore-ls before"
note "$(printf '%s\n' "$before" | wc -l) nodes under /local/domain/$id"

kill -KILL "$pid"
wait_until 10 eval '! alive '"$pid" || fail "pid $pid survived SIGKILL"
t0=$(now)
env ${rootdir:+XENSTORED_ROOTDIR="$rootdir"} "${argv[@]}" ||
    fail "the restart exited with status $?"
wait_until 30 xenstore-read -s / >/dev/null 2>&1 ||
    fail "the restarted daemon does not answer within 30 s"
timing "restart after SIGKILL: serving $(elapsed "$t0" "$(now)") s after" \
    "the start"
note "restarted as pid $(daemon_pid)"

after=$(xenstore-ls -f "/local/domain/$id" 2>&1)
if [ "$before" != "$after" ]; then
	diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | head -40
	fail "the nodes of domain $id changed across the restart"
fi
note "the nodes of domain $id are unchanged"
hotplug_vif c1 "$id"

# The socket clients of the killed daemon lost their connections, as
# with any xenstored: xenconsoled, which maps the guests' consoles and
# lets go of one when its guest dies, and xl's process that waits for the
# guest's death to destroy it. xenconsoled is restarted with its command
# line, as an administrator would after restarting xenstored; the
# guest's destruction is then xl destroy's. `xl shutdown -w` must work,
# and every node of the guest must go.
cpid=$(cat /run/xenconsoled.pid) || fail "no /run/xenconsoled.pid"
cargv=()
while IFS= read -r -d '' a; do
	cargv+=("$a")
done <"/proc/$cpid/cmdline"
kill -TERM "$cpid"
wait_until 10 eval '! alive '"$cpid" || fail "xenconsoled survived SIGTERM"
"${cargv[@]}" || fail "xenconsoled did not start again"
note "xenconsoled restarted: ${cargv[*]}"
t0=$(now)
timeout 60 xl shutdown -w c1 || fail "xl shutdown -w c1 failed or took over 60 s"
timing "c1 (domain $id): xl shutdown -w took $(elapsed "$t0" "$(now)") s"
if ! wait_until 10 eval '! xl list '"$id"' >/dev/null 2>&1'; then
	note "domain $id shut down, not destroyed (its xl process is gone):" \
	    "xl destroy"
	timeout 60 xl destroy c1 || fail "xl destroy c1 failed"
fi
if ! wait_until 30 domain_gone "$id"; then
	xl list
	echo "paths left:"
	domain_paths "$id"
	fail "domain $id or its nodes still there 30 s after its destruction"
fi
note "domain $id and all its nodes are gone"
