/*
 * control.c - the CONTROL (DEBUG) request and its commands.
 *
 * STUB: this file only lets the daemon link; the commands are written
 * separately.
 */
#include "config.h"

#include <errno.h>

#include "xsdbd.h"

/* CONTROL: not served by the stub. */
int
op_control(struct request *req)
{
	return ENOSYS;
}
