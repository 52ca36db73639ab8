#ifndef FILTERD_SCAN_RUN_H
#define FILTERD_SCAN_RUN_H

/*++
/* NAME
/*	scan_run 3h
/* SUMMARY
/*	run the content checks on one message
/* DESCRIPTION
/*	scan_run() runs every configured scanner on the spooled message and
/*	combines their results into txn->ccat (the highest category wins)
/*	and the trace header fields. It sets txn->t_scan when done.
/*	A scanner that cannot give an answer makes the message UNCHECKED
/*	or, where the bank says so, fails the stage (TXN_ERR_SCAN): a
/*	message is never passed as clean unchecked.
/*
/*	Scanners are backends (struct scanner): the engine or rule set is
/*	built once in the master (parent_init, before fork) and used by the
/*	children. None is configured until the content-checks work lands:
/*	then every message is CLEAN and carries no scan header.
/* PROCESS
/*	children, milter process.
/*--*/

struct txn;

int scan_run(struct txn *t);

#endif
