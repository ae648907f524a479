#!/bin/bash
# tests/xen/build-image.sh - build, once, the Xen host that check-xen.sh
# boots in QEMU: Debian's Xen 4.17 hypervisor and a Debian 12 dom0 disk.
#
#   build-image.sh [-f]     -f: rebuild even when up to date
#
# The cache ($XSDB_XEN_CACHE, default /var/cache/xsdb-xen) then holds:
#
#   xen          the hypervisor from xen-hypervisor-4.17-amd64, gunzipped:
#                a multiboot ELF that QEMU's -kernel starts
#   vmlinuz      the Debian kernel (dom0's, and the guests')
#   initrd.img   dom0's initramfs (virtio disk and ext4 only)
#   root.img     dom0's root file system (ext4), opened read-only by
#                QEMU's -snapshot, so each boot starts from the same disk
#   domU-modules the guests' netfront and blkfront modules
#   stamp        the digest of this script when all the above was made
#
# Nothing of a test is baked into the image: dom0 mounts the 9p share of a
# boot (tag xsdb) on /mnt/xsdb before xen.service and runs the share's
# "setup" script there, then runs its "run" script once xen.service is up
# (see boot.sh). So only a change to this script rebuilds the image, which
# takes a few minutes and needs root and the Debian mirror of the host's
# apt sources ($XSDB_XEN_MIRROR overrides it). The debootstrap tree is
# removed once the disk is made: the cache stays under 1.5 GB.
set -eu

cache=${XSDB_XEN_CACHE:-/var/cache/xsdb-xen}
suite=bookworm
here=$(cd "$(dirname "$0")" && pwd)
force=
[ "${1:-}" = -f ] && force=1

die()
{
	echo "build-image: $*" >&2
	exit 1
}

# The first URI of the host's apt sources for the main archive
# (security=0) or the security archive (security=1), deb822 or one-line.
apt_uri()
{
	cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
	    2>/dev/null |
	    awk -v sec="$1" '
		/^URIs:/ { u = $2 }
		/^deb / { for (i = 2; i <= NF; i++)
			if ($i ~ /:\/\//) { u = $i; break } }
		u != "" {
			if ((u ~ /-security/) == sec) { print u; exit }
			u = ""
		}'
}

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot)"
for tool in debootstrap mke2fs chroot sha256sum; do
	command -v "$tool" >/dev/null ||
	    die "$tool not found (scripts/deps.sh installs it)"
done

mkdir -p "$cache"
# One build at a time: a second caller waits, then finds it up to date.
exec 9>"$cache/.lock"
flock 9

digest=$(sha256sum <"$0" | cut -d' ' -f1)
if [ -z "$force" ] && [ "$(cat "$cache/stamp" 2>/dev/null)" = "$digest" ] &&
    [ -f "$cache/xen" ] && [ -f "$cache/vmlinuz" ] &&
    [ -f "$cache/initrd.img" ] && [ -f "$cache/root.img" ]; then
	echo "build-image: $cache is up to date"
	exit 0
fi

mirror=${XSDB_XEN_MIRROR:-$(apt_uri 0)}
security=${XSDB_XEN_SECURITY:-$(apt_uri 1)}
[ -n "$mirror" ] || die "no Debian mirror in the apt sources; set XSDB_XEN_MIRROR"
echo "build-image: building in $cache from $mirror (a few minutes)"
start=$(date +%s)

root=$cache/rootfs
# Unmount what a chroot step mounted, deepest first.
unmount_root()
{
	for m in dev/pts dev sys proc; do
		if mountpoint -q "$root/$m" 2>/dev/null; then
			umount -l "$root/$m" || true
		fi
	done
}
# Never remove the tree while the host's /dev is bound into it.
remove_root()
{
	unmount_root
	for m in dev sys proc; do
		! mountpoint -q "$root/$m" 2>/dev/null ||
		    die "$root/$m is still mounted; not removing $root"
	done
	rm -rf --one-file-system "$root"
}
trap unmount_root EXIT

rm -f "$cache/stamp"
remove_root
debootstrap --variant=minbase "$suite" "$root" "$mirror" \
    >"$cache/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $cache/debootstrap.log"

{
	echo "deb $mirror $suite main"
	echo "deb $mirror $suite-updates main"
	[ -z "$security" ] || echo "deb $security $suite-security main"
} >"$root/etc/apt/sources.list"
echo 'Acquire::Check-Valid-Until "false";' \
    >"$root/etc/apt/apt.conf.d/99xsdb"
# Packages configured in the chroot start no service.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
# dom0's initramfs needs only the virtio disk and ext4: a short list
# rather than the host's drivers or all of them.
mkdir -p "$root/etc/initramfs-tools/conf.d"
echo MODULES=list >"$root/etc/initramfs-tools/conf.d/xsdb"
printf '%s\n' virtio_pci virtio_blk ext4 \
    >>"$root/etc/initramfs-tools/modules"

mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
export DEBIAN_FRONTEND=noninteractive
# dom0: the kernel, Xen's tools and libraries (xen-utils-4.17 brings
# libxenctrl, libxenevtchn, libxengnttab), the runtime libraries of xsdbd
# (liblmdb0, libevent), xenstore-utils for the scenarios, and what the
# hotplug scripts use (iproute2 for the bridge, util-linux for loop).
chroot "$root" apt-get update >"$cache/apt.log" 2>&1 ||
    die "apt-get update failed in the chroot; see $cache/apt.log"
chroot "$root" apt-get install -y --no-install-recommends \
    linux-image-amd64 initramfs-tools systemd-sysv udev kmod \
    xen-utils-4.17 xen-utils-common xenstore-utils \
    liblmdb0 libevent-2.1-7 iproute2 procps util-linux \
    >>"$cache/apt.log" 2>&1 ||
    die "apt-get install failed in the chroot; see $cache/apt.log"
# The hypervisor of the same Xen release, unpacked on the host.
rm -rf "$cache/xdeb" && mkdir -p "$cache/xdeb"
chroot "$root" sh -c 'cd /tmp && apt-get download xen-hypervisor-4.17-amd64' \
    >>"$cache/apt.log" 2>&1 ||
    die "cannot download xen-hypervisor-4.17-amd64; see $cache/apt.log"
dpkg-deb -x "$root"/tmp/xen-hypervisor-4.17-amd64_*.deb "$cache/xdeb"
zcat "$cache"/xdeb/boot/xen-4.17-amd64.gz >"$cache/xen.tmp"
mv "$cache/xen.tmp" "$cache/xen"
rm -rf "$cache/xdeb" "$root"/tmp/*.deb
chroot "$root" apt-get clean
unmount_root
rm -f "$root/usr/sbin/policy-rc.d"

# ---- dom0's configuration ----
echo xsdb-dom0 >"$root/etc/hostname"
echo '127.0.1.1 xsdb-dom0' >>"$root/etc/hosts"
chroot "$root" passwd -d root >/dev/null
echo '/dev/vda / ext4 rw,noatime 0 1' >"$root/etc/fstab"
printf '%s\n' xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-blkback \
    xen-netback loop bridge 9p 9pnet_virtio \
    >"$root/etc/modules-load.d/xsdb.conf"
# Guest consoles to /var/log/xen/console/guest-NAME.log; at power-off
# neither save leftover guests nor wait minutes for them.
echo 'XENCONSOLED_ARGS="--log=guest --log-dir=/var/log/xen/console"' \
    >>"$root/etc/default/xen"
sed -i -e 's/^XENDOMAINS_SAVE=.*/XENDOMAINS_SAVE=""/' \
    -e 's/^XENDOMAINS_STOP_MAXWAIT=.*/XENDOMAINS_STOP_MAXWAIT=10/' \
    "$root/etc/default/xendomains"
mkdir -p "$root/mnt/xsdb" "$root/var/log/xen/console"
# Units a boot needs nothing of.
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
    fstrim.timer systemd-timesyncd.service getty@tty1.service \
    getty-static.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done

# The share of a boot: mounted, and its setup script run, before Xen's
# services start, so that it can choose dom0's xenstored.
cat >"$root/etc/systemd/system/xsdb-setup.service" <<'EOF'
[Unit]
Description=Mount the test share on /mnt/xsdb and run its setup script
DefaultDependencies=no
After=local-fs.target systemd-modules-load.service
Before=xen.service xendomains.service xsdb-run.service
ConditionPathExists=/sys/bus/virtio

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'mountpoint -q /mnt/xsdb || mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 xsdb /mnt/xsdb; if [ -f /mnt/xsdb/setup ]; then exec /bin/bash /mnt/xsdb/setup; fi'
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
EOF
# Its run script, once Xen's services are up; output on the console.
cat >"$root/etc/systemd/system/xsdb-run.service" <<'EOF'
[Unit]
Description=Run the test share's run script
After=multi-user.target xen.service xsdb-setup.service
Requires=xsdb-setup.service
ConditionPathExists=/mnt/xsdb/run

[Service]
Type=oneshot
ExecStart=/bin/bash /mnt/xsdb/run
StandardOutput=tty
StandardError=tty
TTYPath=/dev/hvc0
TimeoutStartSec=infinity
# xl's per-guest processes outlive the script: they destroy the guests
# that shut down.
KillMode=process

[Install]
WantedBy=multi-user.target
EOF
# A root shell on the console only when the share has no run script
# (boot.sh -i).
mkdir -p "$root/etc/systemd/system/serial-getty@hvc0.service.d"
cat >"$root/etc/systemd/system/serial-getty@hvc0.service.d/xsdb.conf" <<'EOF'
[Unit]
After=xsdb-setup.service
ConditionPathExists=!/mnt/xsdb/run
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,38400,9600 %I $TERM
EOF
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
for u in xsdb-setup.service xsdb-run.service; do
	ln -sf "/etc/systemd/system/$u" \
	    "$root/etc/systemd/system/multi-user.target.wants/$u"
done

# ---- kernel, initramfs and the guests' modules ----
kver=$(ls "$root/lib/modules" | sort -V | tail -n 1)
[ -n "$kver" ] || die "no kernel in the chroot"
cp "$root/boot/vmlinuz-$kver" "$cache/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$cache/initrd.img"
rm -rf "$cache/domU-modules"
mkdir -p "$cache/domU-modules"
find "$root/lib/modules/$kver" \( -name 'xen-netfront.ko*' -o \
    -name 'xen-blkfront.ko*' \) -exec cp {} "$cache/domU-modules/" \;
[ "$(ls "$cache/domU-modules" | wc -l)" = 2 ] ||
    die "the guests' xen-netfront and xen-blkfront modules are missing"

# ---- the disk, made from the tree without a loop mount ----
rm -f "$cache/root.img.tmp"
mke2fs -q -t ext4 -L xsdb-dom0 -d "$root" "$cache/root.img.tmp" 3G
mv "$cache/root.img.tmp" "$cache/root.img"
remove_root
echo "$digest" >"$cache/stamp"
echo "build-image: done in $(($(date +%s) - start)) s (kernel $kver)"
