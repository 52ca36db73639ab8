/*++
/* NAME
/*	scan_run 3
/* SUMMARY
/*	run the content checks on one message
/* DESCRIPTION
/*	The checks run in a fixed order (virus, banned, spam), each timed
/*	and shown on the scoreboard; their verdicts combine into one
/*	content category in amavis' precedence: VIRUS > BANNED > UNCHECKED
/*	> SPAM > SPAMMY > CLEAN. A check the bank bypasses does not run.
/*--*/

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checks.h"
#include "scan_banned.h"
#include "scan_clamav.h"
#include "scan_run.h"
#include "scan_spam.h"
#include "spool/spool.h"
#include "txn/txn.h"
#include "util/msg.h"

/* scan_run_unchecked - note why the message is not fully checked */
static void
scan_run_unchecked(struct txn *t, const char *why)
{
	if (t->unchecked == NULL)
		t->unchecked = pool_strdup(t->pool, why);
}

/* scan_run_virus - libclamav over the spool file */
static void
scan_run_virus(struct txn *t)
{
	const char *virname;
	char err[512];
	int fd = spool_fd(t->spool);
	enum scan_verdict v;

	(void)lseek(fd, 0, SEEK_SET);
	v = scan_clamav(t->checks->clamav, fd, &virname, err, sizeof(err));
	t->virus_scanned = v == SCAN_CLEAN || v == SCAN_INFECTED;
	if (v == SCAN_INFECTED)
		t->virus = pool_strdup(t->pool, virname);
	else if (v != SCAN_CLEAN) {
		msg_warn("%s: virus scan: %s", t->id, err);
		scan_run_unchecked(t, err);
	}
}

/* scan_run_banned - names and types of parts and archive members */
static void
scan_run_banned(struct txn *t)
{
	const char *desc;

	/* Run even without banned rules: the archive walk finds bombs. */
	switch (scan_banned(t, t->checks, t->cctx->re, &desc)) {
	case SCAN_INFECTED:
		t->banned = desc;
		break;
	case SCAN_CLEAN:
		break;
	default:
		scan_run_unchecked(t, desc ? desc : "banned check failed");
		break;
	}
}

/* scan_run_virus_wanted - a virus engine, and the bank does not bypass */
static int
scan_run_virus_wanted(const struct txn *t)
{
	return t->checks->clamav && !t->bank.v.bypass_virus_checks;
}

static int
scan_run_banned_wanted(const struct txn *t)
{
	return !t->bank.v.bypass_banned_checks;
}

static int
scan_run_spam_wanted(const struct txn *t)
{
	return !t->bank.v.bypass_spam_checks;
}

/* The checks, in order: whether each runs, how it is timed and shown. */
static const struct {
	int (*wanted)(const struct txn *);
	void (*run)(struct txn *);
	enum sb_state state;
	enum sb_hist hist;
	size_t ms_offset;
} scan_run_checks[] = {
	{scan_run_virus_wanted, scan_run_virus, SB_VIRUS, SB_H_VIRUS,
	 offsetof(struct txn, ms_virus)},
	{scan_run_banned_wanted, scan_run_banned, SB_VIRUS, SB_H_BANNED,
	 offsetof(struct txn, ms_banned)},
	{scan_run_spam_wanted, scan_spam, SB_SPAM, SB_H_SPAM,
	 offsetof(struct txn, ms_spam)},
};

/* scan_run_category - the one content category */
static enum txn_ccat
scan_run_category(const struct txn *t)
{
	const struct conf_bank_values *v = &t->bank.v;

	if (t->virus)
		return TXN_CCAT_VIRUS;
	if (t->banned)
		return TXN_CCAT_BANNED;
	if (t->unchecked)
		return TXN_CCAT_UNCHECKED;
	if (t->spam_scanned && t->spam_score >= v->spam_kill_level)
		return TXN_CCAT_SPAM;
	if (t->spam_scanned && t->spam_score >= v->spam_tag2_level)
		return TXN_CCAT_SPAMMY;
	return TXN_CCAT_CLEAN;
}

/* scan_run - run the checks and combine their verdicts */
int
scan_run(struct txn *t)
{
	if (t->checks) {
		if (t->mime.unchecked)
			scan_run_unchecked(t, t->mime.unchecked);
		for (size_t i = 0;
		     i < sizeof(scan_run_checks) / sizeof(*scan_run_checks);
		     i++) {
			struct timespec a, b;
			long ms;

			if (!scan_run_checks[i].wanted(t))
				continue;
			sb_slot_state(t->slot, scan_run_checks[i].state);
			clock_gettime(CLOCK_MONOTONIC, &a);
			scan_run_checks[i].run(t);
			clock_gettime(CLOCK_MONOTONIC, &b);
			ms = txn_ms(&a, &b);
			*(long *)((char *)t +
				  scan_run_checks[i].ms_offset) = ms;
			if (t->slot)
				sb_hist_add(&t->slot->c,
					    scan_run_checks[i].hist, ms);
		}
		if (t->virus_scanned)
			txn_add_header(t, "X-Virus-Scanned",
				       t->conf->virus_scanned_header);
	}
	t->ccat = scan_run_category(t);
	clock_gettime(CLOCK_MONOTONIC, &t->t_scan);
	return 0;
}
