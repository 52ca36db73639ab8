/*++
/* NAME
/*	scan_run 3
/* SUMMARY
/*	run the content checks on one message
/*--*/

#include <time.h>

#include "scan_run.h"
#include "txn/txn.h"

/* scan_run - no scanner backends exist yet: the category stays CLEAN */
int
scan_run(struct txn *t)
{
	t->ccat = TXN_CCAT_CLEAN;
	clock_gettime(CLOCK_MONOTONIC, &t->t_scan);
	return 0;
}
