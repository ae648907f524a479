#!/bin/bash
# Scenario a: one PV guest made by `xl create` with a vif and a disk. Both
# frontends reach Connected (4) on both ends; `xl shutdown -w` removes it
# and every node it owned: nothing under /local/domain/ID, no backend
# directory for it, no /libxl/ID, no /vm entry.
set -u
. /mnt/xsdb/lib.sh

start_guest a1
id=$guest_id
vm=$(xenstore-read "/local/domain/$id/vm") || fail "no /local/domain/$id/vm"
note "domain $id, vm $vm; its nodes:"
xenstore-ls -f "/local/domain/$id" | grep -E '/(name|state|backend) ='
[ -n "$(domain_paths "$id" | grep '^/local/domain/0/backend/vif/')" ] ||
    fail "no vif backend directory for domain $id"
[ -n "$(domain_paths "$id" | grep '^/local/domain/0/backend/vbd/')" ] ||
    fail "no vbd backend directory for domain $id"
stop_guest a1 "$id"
if paths / | grep -qxF "$vm"; then
	fail "$vm is still in the store"
fi
note "domain $id and all its nodes are gone"
