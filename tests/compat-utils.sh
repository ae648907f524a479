#!/bin/bash
# compat-utils.sh - Debian's xenstore-utils (xenstore-write, -read, -ls,
# -list, -rm, -exists, -chmod, -watch) against xsdbd through XENSTORED_PATH.
#
# Every expected text below is what Xen's C xenstored 4.17 gives for the
# same commands: output (stdout, then stderr) followed by "[exit status]".
# Prints TAP.

top_srcdir=${XSDB_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/xsdbd-env.sh
. "$top_srcdir/tests/xsdbd-env.sh"

# The width xenstore-ls pads to comes from the terminal; there is none here.
unset COLUMNS

for tool in xenstore-write xenstore-read xenstore-ls xenstore-list \
    xenstore-rm xenstore-exists xenstore-chmod xenstore-watch; do
	command -v "$tool" >/dev/null ||
	    tap_bail "$tool not found (Debian package xenstore-utils)"
done

# Output of a command (stdout then stderr) and its exit status, as one text.
res()
{
	_o=$("$@" 2>&1)
	_rc=$?
	if [ -n "$_o" ]; then
		printf '%s\n[%d]' "$_o" "$_rc"
	else
		printf '[%d]' "$_rc"
	fi
}

# Append the next line from fd 3 to $got, giving up after 10 s.
read_line()
{
	if IFS= read -t 10 -r _line <&3; then
		got="$got$_line
"
	else
		got="$got(no more output)
"
	fi
}

xsdb_start
tap_plan 35

p=/compat-utils

# write, read
tap_is "write several keys" \
    "$(res xenstore-write $p/a hello $p/b/c world $p/b/d "with space")" "[0]"
tap_is "read one key" "$(res xenstore-read $p/a)" "hello
[0]"
tap_is "read several keys" "$(res xenstore-read $p/a $p/b/c)" "hello
world
[0]"
tap_is "read -p prints paths" "$(res xenstore-read -p $p/a $p/b/c)" \
    "$p/a: hello
$p/b/c: world
[0]"
tap_is "read -R prints raw" "$(res xenstore-read -R $p/b/d)" "with space
[0]"
tap_is "read of an implicit directory is empty" "$(res xenstore-read $p/b)" \
    "[0]"
tap_is "read of a missing node" "$(res xenstore-read $p/nope)" \
    "xenstore-read: couldn't read path $p/nope
[1]"
tap_is "write to a bad path" "$(res xenstore-write /bad//path x)" \
    "xenstore-write: could not write path /bad//path
[1]"
tap_is "write an empty value" "$(res xenstore-write $p/e "")" "[0]"
xenstore-write $p/esc 'x\ny\001z'
tap_is "read escapes unprintable bytes" "$(res xenstore-read $p/esc)" \
    'x\ny\001z
[0]'
tap_is "read -R gives the bytes" \
    "$(xenstore-read -R $p/esc | od -An -tx1 | tr -d ' \n')" "780a79017a"

# list, ls
tap_is "list children" "$(res xenstore-list $p)" "a
b
e
esc
[0]"
tap_is "list -p prints full paths" "$(res xenstore-list -p $p/b)" "$p/b/c
$p/b/d
[0]"
tap_is "list of a missing node" "$(res xenstore-list $p/nope)" \
    "xenstore-list: could not list path $p/nope
[1]"
tap_is "ls a subtree" "$(res xenstore-ls $p)" 'a = "hello"
b = ""
 c = "world"
 d = "with space"
e = ""
esc = "x\ny\001z"
[0]'
tap_is "ls -f prints full paths" "$(res xenstore-ls -f $p/b)" \
    "$p/b/c = \"world\"
$p/b/d = \"with space\"
[0]"
tap_is "ls of a missing node" "$(res xenstore-ls $p/nope)" \
    "xenstore-ls: xs_directory ($p/nope): No such file or directory
[1]"
long=$(printf '%0300d' 0 | tr 0 v)
xenstore-write $p/long/v "$long"
tap_is "ls cuts long values" "$(res xenstore-ls $p/long)" \
    "v = \"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\\...\"
[0]"
tap_is "ls -f keeps long values whole" "$(res xenstore-ls -f $p/long)" \
    "$p/long/v = \"$long\"
[0]"
xenstore-rm $p/long

# exists
tap_is "exists on a node" "$(res xenstore-exists $p/b/c)" "[0]"
tap_is "exists on a missing node" "$(res xenstore-exists $p/nope)" "[1]"

# chmod and permissions in ls -p
tap_is "chmod one node" "$(res xenstore-chmod $p/a n0 r1 w2)" "[0]"
tap_is "chmod -r a subtree" "$(res xenstore-chmod -r $p/b b0 r3)" "[0]"
tap_is "chmod with a bad permission" "$(res xenstore-chmod $p/a x9)" \
    "xenstore-chmod: Invalid permission specification: 'x'
[1]"
tap_is "ls -p shows permissions" "$(res xenstore-ls -p $p)" \
    'a = "hello"  . . . . . . . . . . . . . . . . . . . . . . . .  (n0,r1,w2)
b = "" . . . . . . . . . . . . . . . . . . . . . . . . . . .  (b0,r3)
 c = "world" . . . . . . . . . . . . . . . . . . . . . . . .  (b0,r3)
 d = "with space"  . . . . . . . . . . . . . . . . . . . . .  (b0,r3)
e = "" . . . . . . . . . . . . . . . . . . . . . . . . . . .  (n0)
esc = "x\ny\001z"  . . . . . . . . . . . . . . . . . . . . .  (n0)
[0]'
tap_is "ls -f -p shows permissions" "$(res xenstore-ls -f -p $p/b)" \
    "$p/b/c = \"world\"   (b0,r3)
$p/b/d = \"with space\"   (b0,r3)
[0]"

# rm
tap_is "rm a subtree" "$(res xenstore-rm $p/b; res xenstore-exists $p/b/c)" \
    "[0][1]"
tap_is "rm of a missing node succeeds" "$(res xenstore-rm $p/nope)" "[0]"
tap_is "rm below a missing node fails" "$(res xenstore-rm $p/nope/x)" \
    "xenstore-rm: could not remove path $p/nope/x
[1]"
xenstore-write $p/t/x/y 1 $p/t/z 2
tap_is "rm -t keeps a parent that has other children" \
    "$(res xenstore-rm -t $p/t/x/y; res xenstore-list $p/t)" "[0]z
[0]"
tap_is "rm -t removes parents left empty" \
    "$(res xenstore-rm -t $p/t/z; res xenstore-exists $p/t; res xenstore-exists $p)" \
    "[0][1][0]"

# watch: initial event, then one per change, read through a fifo so that
# each step waits for the previous event rather than for time to pass
mkfifo "$XSDB_RUNDIR/watch.fifo"
xenstore-watch -n 5 $p/w >"$XSDB_RUNDIR/watch.fifo" 2>&1 &
wpid=$!
exec 3<"$XSDB_RUNDIR/watch.fifo"
got=
read_line
xenstore-write $p/w/x 1
read_line
xenstore-write $p/w 2
read_line
xenstore-chmod $p/w/x r0
read_line
xenstore-rm $p/w
read_line
wait $wpid
got="${got}[$?]"
exec 3<&-
tap_is "watch -n 5: initial event, write, write, chmod, rm" "$got" \
    "$p/w
$p/w/x
$p/w
$p/w/x
$p/w
[0]"

xenstore-write $p/r/a/b 1 $p/r/c 2
xenstore-watch -n 2 $p/r/a/b >"$XSDB_RUNDIR/watch.fifo" 2>&1 &
wpid=$!
exec 3<"$XSDB_RUNDIR/watch.fifo"
got=
read_line
xenstore-write $p/r/c 3
xenstore-rm $p/r
read_line
wait $wpid
got="${got}[$?]"
exec 3<&-
tap_is "watch on a node removed with its parent" "$got" "$p/r/a/b
$p/r/a/b
[0]"

tap_is "rm the test tree" "$(res xenstore-rm $p; res xenstore-exists $p)" \
    "[0][1]"

xsdb_finish
tap_end
