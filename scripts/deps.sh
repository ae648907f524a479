#!/bin/sh
# Install the Debian 12 packages needed to build xsdb and run its tests.
set -e
PKGS="build-essential autoconf automake pkg-config liblmdb-dev lmdb-utils
libevent-dev check libxen-dev xenstore-utils python3 python3-pyxs mandoc
clang libclang-rt-14-dev"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	# shellcheck disable=SC2086
	apt-get install -y $missing
fi
