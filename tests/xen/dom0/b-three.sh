#!/bin/bash
# Scenario b: three guests created at once, all connected, then destroyed;
# the store then has the same paths as before (the node count, and the
# paths themselves).
set -u
. /mnt/xsdb/lib.sh

before=$(paths / | sort)
note "$(printf '%s\n' "$before" | wc -l) nodes before"
for g in b1 b2 b3; do
	guest_config $g
done
t0=$(now)
pids=
for g in b1 b2 b3; do
	timeout 180 xl create -q "$guests/$g.cfg" &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p" || fail "an xl create failed or took over 180 s"
done
t1=$(now)
ids=
for g in b1 b2 b3; do
	ids="$ids $(xl domid $g)" || fail "xl domid $g"
done
note "domains$ids"
for id in $ids; do
	if ! wait_until 60 guest_connected "$id" $devs; then
		show_devices "$id"
		fail "domain $id not connected 60 s after the xl creates"
	fi
done
timing "three guests: xl create (in parallel) took $(elapsed "$t0" "$t1") s;" \
    "all connected $(elapsed "$t0" "$(now)") s after the start"
during=$(paths / | wc -l)
note "$during nodes with the three guests up"
for g in b1 b2 b3; do
	timeout 60 xl destroy $g || fail "xl destroy $g failed or took over 60 s"
done
for id in $ids; do
	wait_until 30 domain_gone "$id" ||
	    fail "domain $id or its nodes still there 30 s after xl destroy"
done
after=$(paths / | sort)
n0=$(printf '%s\n' "$before" | wc -l)
n1=$(printf '%s\n' "$after" | wc -l)
note "$n1 nodes after ($n0 before, $during with the guests)"
if [ "$before" != "$after" ]; then
	diff <(printf '%s\n' "$before") <(printf '%s\n' "$after")
	fail "the store's paths differ from before ($n0 before, $n1 after)"
fi
[ "$during" -gt "$n0" ] || fail "the guests added no node?"
