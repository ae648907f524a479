#!/bin/sh
# make check-xen: the scenarios with Xen's C xenstored, the reference.
exec "$(dirname "$0")/check-xen.sh" xenstored
