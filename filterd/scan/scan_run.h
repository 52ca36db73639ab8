#ifndef FILTERD_SCAN_RUN_H
#define FILTERD_SCAN_RUN_H

/*++
/* NAME
/*	scan_run 3h
/* SUMMARY
/*	run the content checks on one message
/* DESCRIPTION
/*	scan_run() runs every configured scanner on the spooled message and
/*	notes what they found (txn->virus, banned, unchecked, spam_score:
/*	decide.c makes each recipient's category of it, and txn->ccat) and
/*	the trace header fields (X-Virus-Scanned when the virus scan saw
/*	everything, "X-Amavis-Alert: UNCHECKED, <reason>" when something was
/*	not checked; the reason is our own text, never the message's). It
/*	sets txn->defang for ambiguous MIME and for MIME whose structure
/*	was not all parsed (mime.unparsed), and txn->t_scan when done.
/*	Content that cannot be checked makes the message UNCHECKED, for the
/*	bank's final_unchecked_destiny to decide. A check that fails returns
/*	-1 with TXN_ERR_SCAN (451 4.3.0): a message is never passed as clean
/*	unchecked, nor passed at all on a failure.
/*
/*	The engines and rules are built once in the master, before fork
/*	(scan/checks.h), and only used here. Without them (txn->checks
/*	NULL) no check runs: nothing is found, and the message carries no
/*	scan header.
/* PROCESS
/*	children, milter process.
/*--*/

struct txn;

int scan_run(struct txn *t);

#endif
