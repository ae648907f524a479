#!/bin/sh
# make check-xen: the scenarios with xsdbd as dom0's xenstored.
exec "$(dirname "$0")/check-xen.sh" xsdbd
