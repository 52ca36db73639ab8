#ifndef FILTERD_SCAN_RESULT_H
#define FILTERD_SCAN_RESULT_H

/*++
/* NAME
/*	scan_result 3h
/* SUMMARY
/*	what one check says about a message
/* DESCRIPTION
/*	SCAN_CLEAN: nothing found. SCAN_INFECTED: the check found what it
/*	looks for (a virus, a banned part). SCAN_UNCHECKED: the check could
/*	not look at everything (a limit). SCAN_ERROR: the check failed to
/*	run. A message is never passed as clean on UNCHECKED or ERROR: the
/*	bank's final_unchecked_destiny decides.
/*--*/

enum scan_verdict {
	SCAN_CLEAN,
	SCAN_INFECTED,
	SCAN_UNCHECKED,
	SCAN_ERROR,
};

#endif
