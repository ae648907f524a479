#!/bin/sh
# Install what is needed, build, and start xsdbd in the foreground with its
# database and socket under build/run/, and a simulated Xen in
# build/run/sim so that guests can be played with xsdb-sim-guest. Clients
# reach it with
#   XENSTORED_PATH=$PWD/build/run/socket xenstore-ls /
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
cd "$top"
[ -x configure ] || ./autogen.sh
mkdir -p build
cd build
[ -f Makefile ] || ../configure
make -j"$(nproc)"
mkdir -p run/sim
echo "xsdbd: socket $top/build/run/socket, database $top/build/run/db"
echo "try: XENSTORED_PATH=$top/build/run/socket xenstore-ls /"
echo "a guest: build/tools/xsdb-sim-guest --sim $top/build/run/sim" \
	"--socket $top/build/run/socket --domid 5 --new"
exec ./src/xsdbd --no-fork --db "$top/build/run/db" \
	--socket "$top/build/run/socket" --xen="sim:$top/build/run/sim" "$@"
