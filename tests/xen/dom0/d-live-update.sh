#!/bin/bash
# Scenario d: `xenstore-control live-update` of dom0's xenstored, with its
# own binary, while a guest is up (e1 of scenario e, else a guest of its
# own). The daemon keeps its pid, the guest's nodes are unchanged, a vif
# hot-plugged afterwards connects and `xl shutdown -w` removes the guest.
set -u
. /mnt/xsdb/lib.sh

if id=$(xl domid e1 2>/dev/null); then
	name=e1
	guest_connected "$id" $devs || fail "guest e1 is not connected"
else
	start_guest d1
	name=d1
	id=$guest_id
fi
pid=$(daemon_pid) || fail "no /run/xenstore.pid"
alive "$pid" || fail "xenstored (pid $pid) is not running"
exe=$(readlink "/proc/$pid/exe")
before=$(xenstore-ls -f "/local/domain/$id") || fail "xenstore-ls before"
note "xenstored pid $pid ($exe); $(printf '%s\n' "$before" | wc -l)" \
    "nodes under /local/domain/$id"

t0=$(now)
out=$(timeout 120 "$xsctl" live-update "$exe" 2>&1)
rc=$?
[ -n "$out" ] && printf '%s\n' "$out"
[ $rc = 0 ] || fail "xenstore-control live-update exited with status $rc"
timing "live update: xenstore-control returned after $(elapsed "$t0" "$(now)") s"
wait_until 30 xenstore-read -s / >/dev/null 2>&1 ||
    fail "no answer from xenstored within 30 s of the update"
[ "$(daemon_pid)" = "$pid" ] && alive "$pid" ||
    fail "the daemon's pid changed: $pid before, $(daemon_pid) after"
[ "$(readlink "/proc/$pid/exe")" = "$exe" ] ||
    fail "pid $pid runs $(readlink "/proc/$pid/exe"), not $exe"

after=$(xenstore-ls -f "/local/domain/$id" 2>&1)
if [ "$before" != "$after" ]; then
	diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | head -40
	fail "the nodes of domain $id changed across the update"
fi
note "the same process serves; the nodes of domain $id are unchanged"
hotplug_vif "$name" "$id"
stop_guest "$name" "$id"
