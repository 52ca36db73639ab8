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
/*
/*	The virus check uses the MIME tree filterd has already parsed when
/*	it can: libclamav scans the raw message without its own mail parser
/*	(signatures on the message as a whole), then each leaf part as a
/*	file, from the spool when the part is stored as is, else decoded
/*	into a temporary file. libclamav's mail parser does more than MIME
/*	for text (uuencode, BinHex, quoted messages) and for HTML (phishing
/*	URL checks): a message with an HTML part, with text libclamav would
/*	unpack (scan_clamav_text_marked), or whose MIME was not parsed
/*	cleanly is scanned whole with libclamav's own mail parser, as before.
/*--*/

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checks.h"
#include "mime/mime_parse.h"
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

/* A leaf part's content for libclamav: a window on the spool or a file. */
struct scan_run_part {
	int fd;	   /* spool, or a temporary file with the decoded content */
	off_t off; /* where the content starts in fd */
	off_t len;
};

/*
 * scan_run_part_open - where part p's content is, decoding it into a
 * temporary file when it is encoded; 0, or -1 when it cannot be had
 */
static int
scan_run_part_open(struct txn *t, const struct mime_part *p,
		   struct scan_run_part *c)
{
	off_t start, end;
	long size;

	if (mime_part_span(p, t->size, &start, &end) == 0) {
		*c = (struct scan_run_part){spool_fd(t->spool), start,
					    end - start};
		return 0;
	}
	/* One byte over the limit lets libclamav see it is over. */
	c->fd = mime_part_content(t, p, t->conf->clamav.max_filesize + 1,
				  &size);
	c->off = 0;
	c->len = size;
	return c->fd < 0 ? -1 : 0;
}

/* scan_run_part_close - drop a temporary file */
static void
scan_run_part_close(struct txn *t, struct scan_run_part *c)
{
	if (c->fd >= 0 && c->fd != spool_fd(t->spool))
		close(c->fd);
	c->fd = -1;
}

/*
 * scan_run_parts_plain - can the parts filterd parsed stand in for
 * libclamav's mail parser? Parsed cleanly, no HTML, no text that
 * libclamav would unpack further. Opens the text parts' content as it
 * looks (kept in cs for the scan).
 */
static int
scan_run_parts_plain(struct txn *t, struct scan_run_part *cs)
{
	const struct mime_summary *m = &t->mime;
	size_t i = 0;

	if (m->message == NULL || m->unchecked || m->malformed)
		return 0;
	for (const struct mime_part *p = m->parts; p; p = p->next, i++) {
		if (!p->is_leaf || strncmp(p->type, "text/", 5) != 0)
			continue;
		if (strcmp(p->type, "text/html") == 0 ||
		    scan_run_part_open(t, p, cs + i) < 0 ||
		    scan_clamav_text_marked(cs[i].fd, cs[i].off, cs[i].len) !=
			    0)
			return 0;
	}
	return 1;
}

/* scan_run_virus_parts - the raw message, then each leaf part */
static enum scan_verdict
scan_run_virus_parts(struct txn *t, struct scan_run_part *cs,
		     const char **virname, char *err, size_t errsize)
{
	const struct cl_engine *e = t->checks->clamav;
	enum scan_verdict v;
	size_t i = 0;

	v = scan_clamav_span(e, spool_fd(t->spool), 0, t->size, 0, virname, err,
			     errsize);
	for (const struct mime_part *p = t->mime.parts; p && v == SCAN_CLEAN;
	     p = p->next, i++) {
		if (!p->is_leaf)
			continue;
		if (cs[i].fd < 0 && scan_run_part_open(t, p, cs + i) < 0) {
			snprintf(err, errsize, "cannot decode MIME part %zu",
				 i + 1);
			return SCAN_ERROR;
		}
		v = scan_clamav_span(e, cs[i].fd, cs[i].off, cs[i].len, 1,
				     virname, err, errsize);
		scan_run_part_close(t, cs + i);
	}
	return v;
}

/* scan_run_virus - libclamav over the message and its parts */
static void
scan_run_virus(struct txn *t)
{
	const char *virname;
	char err[512];
	size_t n = t->mime.n_parts;
	struct scan_run_part *cs = pool_alloc(t->pool, (n + 1) * sizeof(*cs));
	enum scan_verdict v;

	for (size_t i = 0; i < n; i++)
		cs[i].fd = -1;
	if (scan_run_parts_plain(t, cs)) {
		v = scan_run_virus_parts(t, cs, &virname, err, sizeof(err));
	} else {
		v = scan_clamav_span(t->checks->clamav, spool_fd(t->spool), 0,
				     t->size, 1, &virname, err, sizeof(err));
	}
	for (size_t i = 0; i < n; i++)
		scan_run_part_close(t, cs + i);
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
