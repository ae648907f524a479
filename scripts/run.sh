#!/bin/sh
# Install what is needed, build, and start xsdbd in the foreground with its
# database and socket under build/run/. Clients reach it with
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
mkdir -p run
echo "xsdbd: socket $top/build/run/socket, database $top/build/run/db"
echo "try: XENSTORED_PATH=$top/build/run/socket xenstore-ls /"
exec ./src/xsdbd --no-fork --db "$top/build/run/db" \
	--socket "$top/build/run/socket" --xen=none "$@"
