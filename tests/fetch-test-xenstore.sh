#!/bin/sh
# fetch-test-xenstore.sh - make Xen's test-xenstore and xenstore-control
# available without installing the hypervisor tools.
#
# Downloads Debian's xen-utils-4.17 with `apt-get download` (after an
# `apt-get update` if the first try fails), unpacks it with `dpkg -x` into a
# cache directory and prints the directory that holds the programs
# (.../usr/lib/xen-4.17/bin). Later runs reuse the cache.
#
# test-xenstore needs only libxenstore.so.4 (Debian libxenstore4, pulled in
# by xenstore-utils); xenstore-control also needs libxenctrl and libxenguest
# (libxenmisc4.17). Both come from the system's library path, so no
# LD_LIBRARY_PATH is needed.
#
# Environment: XSDB_TEST_CACHE, the cache directory (default
# /var/cache/xsdb-tests, or ~/.cache/xsdb-tests when that is not writable).

set -u

pkg=xen-utils-4.17

# Print an error and fail.
die()
{
	echo "fetch-test-xenstore: $*" >&2
	exit 1
}

cache=${XSDB_TEST_CACHE:-}
if [ -z "$cache" ]; then
	cache=/var/cache/xsdb-tests
	if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
		cache=${XDG_CACHE_HOME:-$HOME/.cache}/xsdb-tests
	fi
fi
mkdir -p "$cache" || die "cannot create $cache"
bin=$cache/root/usr/lib/xen-4.17/bin

# Two tests may ask at once: one downloads, the other waits for it.
exec 9>"$cache/.lock" || die "cannot open $cache/.lock"
flock 9 || die "cannot lock $cache/.lock"

if [ -x "$bin/test-xenstore" ] && [ -x "$bin/xenstore-control" ]; then
	echo "$bin"
	exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found"
command -v dpkg >/dev/null || die "dpkg not found"

debs=$cache/debs
mkdir -p "$debs" || die "cannot create $debs"
rm -f "$debs/$pkg"_*.deb
if ! (cd "$debs" && apt-get download "$pkg") >"$cache/download.log" 2>&1; then
	# The package lists may be missing or stale.
	(apt-get update && cd "$debs" && apt-get download "$pkg") \
	    >>"$cache/download.log" 2>&1 ||
	    die "apt-get download $pkg failed: $(tail -5 "$cache/download.log")"
fi
deb=
for f in "$debs/$pkg"_*.deb; do
	[ -f "$f" ] && deb=$f
done
[ -n "$deb" ] || die "no $pkg package in $debs"

rm -rf "$cache/root.tmp"
dpkg -x "$deb" "$cache/root.tmp" || die "dpkg -x $deb failed"
[ -x "$cache/root.tmp/usr/lib/xen-4.17/bin/test-xenstore" ] ||
    die "$deb holds no usr/lib/xen-4.17/bin/test-xenstore"
rm -rf "$cache/root"
mv "$cache/root.tmp" "$cache/root" || die "cannot move $cache/root.tmp"
echo "$bin"
