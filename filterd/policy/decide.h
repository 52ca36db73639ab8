#ifndef FILTERD_DECIDE_H
#define FILTERD_DECIDE_H

/*++
/* NAME
/*	decide 3h
/* SUMMARY
/*	per-recipient destiny and header fields, amavis semantics
/* DESCRIPTION
/*	decide_run() turns the content category of a checked message and
/*	the bank's settings into each recipient's destiny, recorded as its
/*	outcome through rcpt_policy() (txn/rcpt.h):
/*
/*	VIRUS, BANNED, UNCHECKED, SPAM: final_virus_destiny,
/*	final_banned_destiny, final_unchecked_destiny, final_spam_destiny;
/*	SPAMMY and CLEAN: PASS. A message may fall in several categories
/*	(spam that also holds something that could not be checked): the
/*	destiny is that of the highest one that does not pass (amavisd-new's
/*	blocking category), and the recipient's category is that one, or,
/*	when everything passes, the highest. PASS leaves the recipient
/*	PENDING, to be forwarded; DISCARD makes it DISCARDED (250 2.7.0,
/*	nothing forwarded); REJECT makes it REJECTED (554 5.7.0 with the
/*	reason);
/*	BOUNCE makes it BOUNCING, for the NOTIFY stage (dsn.c) to tell the
/*	sender (or decide, as amavis does, that nobody is to be told).
/*	TEMPFAIL fails the message with a 4xx: it is never passed unchecked.
/*
/*	For recipients that pass, it sets the header fields of their copy:
/*	X-Spam-Flag, X-Spam-Score, X-Spam-Level and X-Spam-Status when the
/*	spam checks ran, the recipient is local (local_domains; all when the
/*	list is empty) and the score reaches spam_tag_level; and the subject
/*	tag (spam_subject_tag) at spam_tag2_level. Recipients with the same
/*	fields share one list, so the forwarder sends one copy per kind.
/*
/*	Returns 0, or -1 with TXN_ERR_SCAN for TEMPFAIL.
/*
/*	decide_local() tells whether an address is in local_domains.
/*
/*	decide_bypasses() tells whether recipient rc bypasses a check: its
/*	SQL policy's bypass_*_checks when set ('N' overrides the bank's
/*	bypass, 'Y' the bank's check), else the bank's. decide_wanted()
/*	tells whether some recipient of t does not bypass it (amavisd-new:
/*	a check runs when any recipient wants it; the others ignore what
/*	it finds); with no recipients, whether the bank does not. Before
/*	the LOOKUP stage no recipient has its SQL policy yet: the answer
/*	is then the bank's.
/* PROCESS
/*	children, milter process.
/*--*/

struct txn;
struct txn_rcpt;
struct conf;

/* The checks a recipient may bypass (bypass_*_checks). */
enum decide_check {
	DECIDE_CHECK_VIRUS,
	DECIDE_CHECK_BANNED,
	DECIDE_CHECK_SPAM,
};

int decide_run(struct txn *t);
int decide_local(const struct conf *c, const char *addr);
int decide_bypasses(const struct txn *t, const struct txn_rcpt *rc,
		    enum decide_check check);
int decide_wanted(const struct txn *t, enum decide_check check);

#endif
