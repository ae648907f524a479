#!/bin/bash
# Scenario e: with a guest up (e1, left running for scenario d), the
# tools of xsdb read the live host as xenstore-ls does: xenstore-dump over
# the socket, and with xsdbd also xenstore-dump and xsdb-inspect of its
# database (/var/run/xsdb) and xsdb-inspect's integrity check. Each
# listing, brought to the form of `xenstore-ls -f -p /`, must hold the
# same paths, values and permissions.
set -u
. /mnt/xsdb/lib.sh
. /mnt/xsdb/config

unset COLUMNS
start_guest e1

# The listings, sorted: xenstore-ls; xenstore-dump's text form without
# "/" and the special paths, with xenstore-ls's spacing; xsdb-inspect ls
# without its generation columns. The xsdb tools write '"' in a value as
# '\"', xenstore-ls writes it bare.
want() { xenstore-ls -f -p / | sort; }
from_dump()
{
	xenstore-dump -f text "$@" | grep -v -e '^/ = ' -e '^@' |
	    sed -e 's/" (\([^)]*\))$/"   (\1)/' -e 's/\\"/"/g' | sort
}
from_inspect()
{
	xsdb-inspect ls -r / | sed -e 's/^ *[0-9][0-9]* *[0-9][0-9]*  //' \
	    -e 's/\\"/"/g' | sort
}

# Compare listing $2 (named $1) with the one of xenstore-ls.
same()
{
	if [ "$2" != "$ls" ]; then
		diff <(printf '%s\n' "$ls") <(printf '%s\n' "$2") | head -40
		return 1
	fi
	note "$1: the same $(printf '%s\n' "$2" | wc -l) nodes as xenstore-ls"
}

# The store may change between two reads (a guest or the toolstack
# writing): read everything between two equal listings, three tries.
for try in 1 2 3; do
	ls=$(want)
	live=$(from_dump) || fail "xenstore-dump failed"
	if [ "$DAEMON" = xsdbd ]; then
		db=$(from_dump -d /var/run/xsdb) ||
		    fail "xenstore-dump -d /var/run/xsdb failed"
		insp=$(from_inspect) || fail "xsdb-inspect ls -r / failed"
	fi
	[ "$(want)" = "$ls" ] && break
	note "the store changed while it was read; again"
done
n=$(printf '%s\n' "$ls" | wc -l)
note "xenstore-ls -f -p /: $n nodes"
printf '%s\n' "$ls" | grep -q "^/local/domain/$guest_id/device/vif/0/state = \"4\"" ||
    fail "the guest's vif is not in the listing"
bad=
same "xenstore-dump (socket)" "$live" || bad="$bad xenstore-dump"
if [ "$DAEMON" = xsdbd ]; then
	same "xenstore-dump -d /var/run/xsdb" "$db" ||
	    bad="$bad xenstore-dump-d"
	same "xsdb-inspect ls -r /" "$insp" || bad="$bad xsdb-inspect-ls"
	check=$(xsdb-inspect check 2>&1)
	printf '%s\n' "$check"
	[ "$check" = "no problems found in $((n + 1)) nodes" ] ||
	    bad="$bad xsdb-inspect-check"
else
	note "xsdb-inspect reads xsdbd's database only: not run"
fi
xenstore-dump -o /tmp/store.xs && [ -s /tmp/store.xs ] ||
    bad="$bad xenstore-dump-stream"
[ -z "$bad" ] || fail "differs from xenstore-ls or finds problems:$bad"
