#ifndef FILTERD_SCAN_RESULT_H
#define FILTERD_SCAN_RESULT_H

/*++
/* NAME
/*	scan_result 3h
/* SUMMARY
/*	what one check says about a message
/* DESCRIPTION
/*	SCAN_CLEAN: nothing found. SCAN_INFECTED: the check found what it
/*	looks for (a virus, a banned part). SCAN_UNCHECKED: the content
/*	cannot be checked, or not all of it (a limit, an encrypted or broken
/*	archive): the message is UNCHECKED and the bank's
/*	final_unchecked_destiny decides. SCAN_ERROR: the check failed (an
/*	engine error, a file that cannot be read, made or written) and
/*	decided nothing: the message fails with TXN_ERR_SCAN and is retried.
/*	A message is never passed as clean on either.
/*--*/

enum scan_verdict {
	SCAN_CLEAN,
	SCAN_INFECTED,
	SCAN_UNCHECKED,
	SCAN_ERROR,
};

#endif
