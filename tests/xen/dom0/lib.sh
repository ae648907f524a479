# tests/xen/dom0/lib.sh - helpers of the dom0 scenarios, sourced.
# shellcheck shell=bash
#
# A scenario prints what it does, "TIME ..." lines for the host's test log,
# and exits 0 when it passes; fail() prints "FAIL: reason" and exits 1.
# Every wait polls a condition under a deadline.

share=/mnt/xsdb
guests=/var/lib/xsdb-guests
xsctl=/usr/lib/xen-4.17/bin/xenstore-control
# The two frontends of every guest: its vif and its disk xvda.
devs="vif/0 vbd/51712"

# Seconds since the epoch, with nanoseconds.
now()
{
	date +%s.%N
}

# Seconds from $1 to $2, two decimals.
elapsed()
{
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

fail()
{
	echo "FAIL: $*"
	exit 1
}

note()
{
	echo "== $*"
}

# A figure for the host's test log.
timing()
{
	echo "TIME $*"
}

# Poll the command until it succeeds, every 0.2 s, for at most $1
# seconds. (Under TCG every process dom0 starts costs: the conditions
# polled start one or two.)
wait_until()
{
	local deadline
	deadline=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# Every path of the store under $1 (default /), one a line.
paths()
{
	xenstore-ls -f "${1:-/}" | sed 's/ = ".*$//'
}

# The pid of dom0's xenstored, from the pid file of /etc/init.d/xen.
daemon_pid()
{
	cat /run/xenstore.pid 2>/dev/null
}

# True while process $1 lives (a zombie counts as gone).
alive()
{
	[ -r "/proc/$1/stat" ] &&
	    [ "$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# Write the configuration of guest $1: PV, 128 MB, a vif on xenbr0 and a
# raw file as xvda.
guest_config()
{
	local kernel
	kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
	truncate -s 8M "$guests/$1.img"
	cat >"$guests/$1.cfg" <<EOF
name = "$1"
type = "pv"
kernel = "$kernel"
ramdisk = "$guests/initrd.gz"
extra = "console=hvc0 quiet"
memory = 128
vcpus = 1
vif = [ "bridge=xenbr0" ]
disk = [ "format=raw, vdev=xvda, access=rw, target=$guests/$1.img" ]
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
EOF
}

# True when device $2 of domain $1 is Connected (4) on both ends.
dev_connected()
{
	local fe=/local/domain/$1/device/$2 be
	[ "$(xenstore-read "$fe/state" 2>/dev/null)" = 4 ] || return 1
	be=$(xenstore-read "$fe/backend" 2>/dev/null) || return 1
	[ "$(xenstore-read "$be/state" 2>/dev/null)" = 4 ]
}

# The state nodes of both ends of the devices $2... of domain $1.
state_nodes()
{
	local id=$1 d be
	shift
	for d in "$@"; do
		be=$(xenstore-read "/local/domain/$id/device/$d/backend") ||
		    return 1
		echo "/local/domain/$id/device/$d/state $be/state"
	done
}

# True when all the state nodes $@ read 4 (Connected), in one request
# each and one process.
all_connected()
{
	[ "$(xenstore-read "$@" 2>/dev/null | tr -d '\n')" = \
	    "$(printf '4%.0s' "$@")" ]
}

# True when all the devices $2... of domain $1 are connected.
guest_connected()
{
	local nodes
	nodes=$(state_nodes "$@" 2>/dev/null) || return 1
	# shellcheck disable=SC2086
	all_connected $nodes
}

# The states of domain $1's devices, both ends, for a failure's message.
show_devices()
{
	local fe be
	for fe in $(xenstore-list "/local/domain/$1/device" 2>/dev/null); do
		for n in $(xenstore-list "/local/domain/$1/device/$fe" \
		    2>/dev/null); do
			be=$(xenstore-read \
			    "/local/domain/$1/device/$fe/$n/backend" 2>/dev/null) ||
			    continue
			echo "   device/$fe/$n state" \
			    "$(xenstore-read "/local/domain/$1/device/$fe/$n/state" \
			    2>/dev/null) backend $be state" \
			    "$(xenstore-read "$be/state" 2>/dev/null)"
		done
	done
}

# The paths that still belong to domain $1: its home, its backend
# directories in dom0 and libxl's record of it.
domain_paths()
{
	paths / | grep -E "^/local/domain/$1(/|\$)|^/local/domain/0/backend/[^/]+/$1(/|\$)|^/libxl/$1(/|\$)"
}

# True when domain $1 is neither in Xen nor in the store.
domain_gone()
{
	! xl list "$1" >/dev/null 2>&1 && [ -z "$(domain_paths "$1")" ]
}

# Create guest $1 with xl and wait until both its frontends are connected;
# sets guest_id, prints the times.
start_guest()
{
	local t0 t1 t2 nodes
	guest_config "$1"
	t0=$(now)
	timeout 120 xl create -q "$guests/$1.cfg" ||
	    fail "xl create $1 failed or took over 120 s"
	t1=$(now)
	guest_id=$(xl domid "$1") || fail "xl domid $1"
	nodes=$(state_nodes "$guest_id" $devs) ||
	    fail "domain $guest_id has no vif/0 or vbd/51712"
	# shellcheck disable=SC2086
	if ! wait_until 60 all_connected $nodes; then
		show_devices "$guest_id"
		fail "the frontends of $1 (domain $guest_id) are not" \
		    "connected 60 s after xl create returned"
	fi
	t2=$(now)
	timing "$1 (domain $guest_id): xl create returned after" \
	    "$(elapsed "$t0" "$t1") s; both frontends connected" \
	    "$(elapsed "$t0" "$t2") s after xl create started"
	echo "create-to-connected $(elapsed "$t0" "$t2")" >>"$share/results/times"
}

# Shut guest $1 (domain $2) down with xl shutdown -w, then wait until the
# domain and every node it owned are gone.
stop_guest()
{
	local t0 t1
	t0=$(now)
	timeout 60 xl shutdown -w "$1" ||
	    fail "xl shutdown -w $1 failed or took over 60 s"
	t1=$(now)
	if ! wait_until 30 domain_gone "$2"; then
		xl list
		echo "paths left:"
		domain_paths "$2"
		fail "domain $2 or its nodes still there 30 s after" \
		    "xl shutdown -w"
	fi
	timing "$1 (domain $2): xl shutdown -w took $(elapsed "$t0" "$t1") s;" \
	    "domain and nodes gone $(elapsed "$t0" "$(now)") s after it started"
}

# Hot-plug a second vif into guest $1 (domain $2) and wait until it is
# connected on both ends: the guest's own xenbus ring must work for that.
hotplug_vif()
{
	local before after dev
	before=$(xenstore-list "/local/domain/$2/device/vif" 2>/dev/null)
	timeout 60 xl network-attach "$1" bridge=xenbr0 ||
	    fail "xl network-attach $1 failed or took over 60 s"
	after=$(xenstore-list "/local/domain/$2/device/vif" 2>/dev/null)
	dev=$(printf '%s\n' "$after" | grep -vxF "$before" | head -n 1)
	[ -n "$dev" ] || fail "no new vif under /local/domain/$2/device/vif"
	if ! wait_until 60 dev_connected "$2" "vif/$dev"; then
		show_devices "$2"
		fail "hot-plugged vif/$dev of $1 not connected within 60 s"
	fi
	note "hot-plugged vif/$dev of $1 is connected on both ends"
}
