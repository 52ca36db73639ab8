/*++
/* NAME
/*	decide 3
/* SUMMARY
/*	per-recipient destiny from the content category and the bank
/*--*/

#include "decide.h"
#include "txn/txn.h"

/* decide_run - every recipient of CLEAN or SPAMMY mail passes */
int
decide_run(struct txn *t)
{
	for (size_t i = 0; i < t->n_rcpts; i++)
		t->rcpts[i].destiny = TXN_D_PASS;
	return 0;
}
