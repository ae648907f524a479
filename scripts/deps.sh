#!/bin/sh
# Install the Debian 12 packages needed to build xsdb and run its tests,
# make check-xen included.
set -e
PKGS="build-essential autoconf automake pkg-config liblmdb-dev lmdb-utils
libevent-dev check libxen-dev xenstore-utils python3 python3-pyxs mandoc
clang libclang-rt-14-dev"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# make check-xen: QEMU, and what builds its Xen host image (tests/xen).
XEN_PKGS="qemu-system-x86 debootstrap busybox-static cpio e2fsprogs gzip
util-linux"
xen_missing=""
for p in $XEN_PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		xen_missing="$xen_missing $p"
done
if [ -n "$missing$xen_missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
fi
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	apt-get install -y $missing
fi
if [ -n "$xen_missing" ]; then
	# shellcheck disable=SC2086
	apt-get install -y --no-install-recommends $xen_missing
fi
