#ifndef FILTERD_LOOKUP_H
#define FILTERD_LOOKUP_H

/*++
/* NAME
/*	lookup 3h
/* SUMMARY
/*	per-recipient policy and white/black lists from SQL (amavis tables)
/* SYNOPSIS
/*	#include "policy/lookup.h"
/* DESCRIPTION
/*	lookup_run() is the LOOKUP stage. When sql.lookup is set, each
/*	recipient's settings are read from amavisd-new's users and policy
/*	tables by the most specific key first (user+ext@sub.dom,
/*	user@sub.dom, @sub.dom, @.sub.dom, @.dom, @.), the first value that
/*	is not NULL winning per field; and the wblist entry for the envelope
/*	sender (then the From address) under that user: W/Y/T whitelist,
/*	B/N/F blacklist, a number moves the score, a space ends the search.
/*	Results go to txn->rcpts[i].pol (NULL when nothing matched); a
/*	recipient that occurs twice is looked up once per message, and no
/*	rule ever causes a query.
/*
/*	A lookup that cannot be made on any DSN fails the stage
/*	(TXN_ERR_RECORD, 451): policy that cannot be read is not guessed.
/*
/*	lookup_penpals() gives pen pals their bonus (amavis): when the bank's
/*	penpals_bonus_score is set and sql.storage too, a local recipient of
/*	mail that is not a virus and scores at least 1.0 is looked up in
/*	msgs/msgrcpt: did that recipient send, to this sender, a message
/*	whose Message-ID this one names in In-Reply-To or References, and
/*	was it passed? Then its score drops by the bonus, halved for every
/*	sql.penpals_halflife days since (rcpt.penpal). The query joins maddr
/*	by address, so it finds mail in earlier partitions too. An SQL
/*	failure only loses the bonus (logged).
/*
/*	lookup_keys() gives the keys of an address, most specific first, as
/*	pool strings; it returns their number (at most LOOKUP_KEYS_MAX).
/* PROCESS
/*	children, milter process.
/*--*/

#include <stddef.h>

#define LOOKUP_KEYS_MAX 16

struct txn;
struct pool;

/* One recipient's settings; -1 or NaN: not set by SQL. */
struct lookup_policy {
	long long user_id; /* users.id of the best match, or 0 */
	int virus_lover, spam_lover, unchecked_lover, banned_lover;
	int bypass_virus, bypass_spam, bypass_banned;
	double tag, tag2, kill, dsn_cutoff;
	const char *subject_tag; /* spam_subject_tag2, or NULL */
	int whitelisted, blacklisted;
	double wb_score; /* a numeric wblist entry */
};

int lookup_run(struct txn *t);
void lookup_penpals(struct txn *t);
size_t lookup_keys(struct pool *pool, const char *addr, const char **keys);

#endif
