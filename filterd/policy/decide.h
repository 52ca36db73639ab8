#ifndef FILTERD_DECIDE_H
#define FILTERD_DECIDE_H

/*++
/* NAME
/*	decide 3h
/* SUMMARY
/*	per-recipient destiny from the content category and the bank
/* DESCRIPTION
/*	decide_run() gives each recipient of a checked message its destiny
/*	(PASS, DISCARD, BOUNCE, REJECT). CLEAN and SPAMMY mail passes; the
/*	blocking categories take the bank's final_*_destiny once banks carry
/*	them (content-checks work). Returns 0.
/*--*/

struct txn;

int decide_run(struct txn *t);

#endif
