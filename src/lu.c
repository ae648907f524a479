/*
 * lu.c - live update.
 */
#include "config.h"

#include <stdlib.h>

#include "xsdbd.h"

/* Free what a transaction kept for a live update. */
void
lu_txn_free(struct txn *t)
{
	free(t->lu);
	t->lu = NULL;
}
