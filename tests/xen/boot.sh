#!/bin/bash
# tests/xen/boot.sh - boot the Xen host of build-image.sh in QEMU with a
# share, until its run script is done, and never for longer than a limit.
#
#   boot.sh [-s SECS] [-t SECS] SHARE
#                               run SHARE/run in dom0, then stop
#   boot.sh -i SHARE            a root shell on the serial console
#                               (Ctrl-a x quits QEMU)
#
# SHARE, a host directory, is dom0's /mnt/xsdb (9p, read-write). dom0
# runs SHARE/setup before Xen's services start and SHARE/run once they
# are up (see build-image.sh); run writes SHARE/started first, and
# SHARE/done when it has finished and its results are on the share. The console of Xen, dom0 and the run
# script goes to SHARE/serial.log.
#
# QEMU emulates the CPU (TCG): no nested virtualization is needed. SMAP
# and SMEP are off because Xen 4.17's dom0 crashes at its first exception
# bounce under TCG's emulation of them. XSAVE is off, so that Xen and
# the kernels save and restore the FPU and SSE registers with FXSAVE:
# with XSAVE, once guests come and go, programs in dom0 crashed at random
# (corrupted return addresses, "bad opcode" in awk, faults in libc's
# string functions), with Xen's xenstored as with xsdbd.
#
# Exit status: 0 once SHARE/done is there (QEMU is then stopped if dom0
# does not power off within 20 s); 124 when QEMU was killed because
# SHARE/started did not appear within the start-up limit (-s, 180 s by
# default: dom0 hung on its way up, say in /etc/init.d/xen waiting for a
# xenstored that never daemonizes) or SHARE/done within the whole limit
# (-t, 900 s); 125 when QEMU stopped without SHARE/done; 126 when QEMU or
# the image is missing.
set -u

cache=${XSDB_XEN_CACHE:-/var/cache/xsdb-xen}
limit=900
startup=180
interactive=
while getopts is:t: o; do
	case $o in
	i) interactive=1 ;;
	s) startup=$OPTARG ;;
	t) limit=$OPTARG ;;
	*) sed -n '4,8p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 1 ] || { sed -n '4,8p' "$0" >&2; exit 2; }
share=$(cd "$1" && pwd) || exit 2

qemu=qemu-system-x86_64
if ! command -v "$qemu" >/dev/null; then
	echo "boot: $qemu not found (Debian package qemu-system-x86;" \
	    "scripts/deps.sh installs it)" >&2
	exit 126
fi
for f in xen vmlinuz initrd.img root.img; do
	if [ ! -f "$cache/$f" ]; then
		echo "boot: $cache/$f is missing: run build-image.sh" >&2
		exit 126
	fi
done

xen_args="console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M"
xen_args="$xen_args dom0_max_vcpus=2 loglvl=all guest_loglvl=all noreboot"
dom0_args="root=/dev/vda rw console=hvc0 earlyprintk=xen net.ifnames=0"
dom0_args="$dom0_args systemd.show_status=1"
cmd=("$qemu" -accel tcg,thread=multi -cpu max,-smap,-smep,-xsave
    -m 3072 -smp 2 -nographic -no-reboot -snapshot -net none
    -kernel "$cache/xen" -append "$xen_args"
    -initrd "$cache/vmlinuz $dom0_args,$cache/initrd.img"
    -drive "file=$cache/root.img,if=virtio,format=raw"
    -virtfs "local,path=$share,mount_tag=xsdb,security_model=none,id=xsdb")

if [ -n "$interactive" ]; then
	rm -f "$share/run"
	exec "${cmd[@]}"
fi

rm -f "$share/started" "$share/done" "$share/serial.log"
start=$(date +%s)
"${cmd[@]}" </dev/null >"$share/serial.log" 2>&1 &
qpid=$!
# Wait for QEMU to stop by itself, for the run to be done, or for the
# limit, whichever comes first.
status=
why=
done_at=
while kill -0 "$qpid" 2>/dev/null; do
	now=$(date +%s)
	if [ -z "$done_at" ] && [ -f "$share/done" ]; then
		done_at=$now
	fi
	if [ -n "$done_at" ] && [ $((now - done_at)) -ge 20 ]; then
		break
	fi
	if [ $((now - start)) -ge "$limit" ]; then
		status=124
		why="no result after $limit s"
		break
	fi
	if [ ! -f "$share/started" ] && [ $((now - start)) -ge "$startup" ]
	then
		status=124
		why="dom0 did not start the run script within $startup s"
		break
	fi
	sleep 0.5
done
if kill -0 "$qpid" 2>/dev/null; then
	kill -TERM "$qpid" 2>/dev/null
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.5
	done
	kill -KILL "$qpid" 2>/dev/null
fi
wait "$qpid" 2>/dev/null
qrc=$?
elapsed=$(($(date +%s) - start))
if [ "$status" = 124 ]; then
	echo "boot: $why: QEMU killed (serial log $share/serial.log)" >&2
	exit 124
fi
if [ ! -f "$share/done" ]; then
	echo "boot: QEMU stopped (status $qrc) after ${elapsed} s without" \
	    "a result (serial log $share/serial.log)" >&2
	exit 125
fi
echo "boot: done in ${elapsed} s" >&2
exit 0
