/*
 * xsdbd.c - entry point of the daemon (being written).
 */
#include "config.h"

#include <stdio.h>

#include "xsdbd.h"

int
main(void)
{
	fprintf(stderr, "xsdbd: not yet\n");
	return 1;
}
