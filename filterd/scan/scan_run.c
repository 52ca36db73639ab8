/*++
/* NAME
/*	scan_run 3
/* SUMMARY
/*	run the content checks on one message
/* DESCRIPTION
/*	The checks run in a fixed order (virus, banned, spam), each timed
/*	and shown on the scoreboard; what they find (txn->virus, banned,
/*	unchecked, spam_score) is for decide.c to turn into each
/*	recipient's category, in amavis' precedence: VIRUS > BANNED >
/*	UNCHECKED > SPAM > SPAMMY > CLEAN. A check runs when some recipient does not
/*	bypass it (decide_wanted: its SQL policy's bypass_*_checks, else
/*	the bank's; amavisd-new's rule); decide.c then ignores what it
/*	found for the recipients who bypass it.
/*
/*	What cannot be checked and what failed are told apart. Content
/*	that cannot be checked (over a scan limit, an encrypted or broken
/*	archive, ambiguous MIME, MIME over its limits) is UNCHECKED, with a
/*	reason in our own words: the bank's final_unchecked_destiny decides,
/*	and a passed copy carries "X-Amavis-Alert: UNCHECKED, <reason>". A
/*	check that failed (a libclamav error, a spool that cannot be read, a
/*	part that cannot be decoded, a temporary file that cannot be made or
/*	written) decides nothing about the content: the message fails
/*	(TXN_ERR_SCAN, 451 4.3.0), whatever the bank says, and is retried.
/*	The spam checks never fail the message: spamd degrades on its own.
/*
/*	The virus check uses the MIME tree filterd has already parsed when
/*	it can: libclamav scans the raw message without its own mail parser
/*	(signatures on the message as a whole), then each leaf part as a
/*	file, from the spool when the part is stored as is, else decoded
/*	into a temporary file. libclamav's mail parser does more than MIME
/*	for text (uuencode, BinHex, quoted messages) and for links (phishing
/*	URL checks in any text, when the engine has phishing lists:
/*	scan_clamav_phishing, as any real database does). A message scanned
/*	by such an engine, with text libclamav would unpack
/*	(scan_clamav_text_marked), with encoded content in any raw line
/*	(uuencode, yEnc, BinHex: scan_clamav_raw_marked; that parser unpacks
/*	it wherever it stands), whose MIME was not parsed cleanly, or with a
/*	part decoded otherwise than GMime would (an odd
/*	Content-Transfer-Encoding, base64 cut short, quoted-printable with
/*	blanks before a soft line break: mail programs differ) is scanned
/*	whole with libclamav's own mail parser first, then part by part as
/*	we read it all the same (a part whose encoding GMime did not know,
/*	also as stored): libclamav's mail parser reads one part of a
/*	multipart/signed or /parallel and skips parts of a disposition it
/*	does not know (test_attack16b), and what one parser misses the
/*	other still sees. That parser leaves out the files it takes out of
/*	the message whose bytes are those of a part (scan_clamav_skip: the
/*	same size and SHA-256; only while libclamav's clean cache is off),
/*	so each part is scanned once, as a file of its own at the top with
/*	a scan's full limits, as on the other path (a signature that needs
/*	the mail container does not match such a part: test_attack16d).
/*	Files embedded in text (uuencode, yEnc:
/*	mime_parse.h) are scanned as files of their own. A
/*	part no reading is sure for (mime.undecoded) makes the message
/*	UNCHECKED; an attached message that cannot be decoded (mime.failed)
/*	fails it.
/*
/*	Ambiguous MIME also sets txn->defang: the copy that goes on is
/*	defanged (amavisd-new 2.13 does the same). So does MIME whose
/*	structure was not all parsed (mime.unparsed: past the bounds of
/*	mime_bounds, or parts left out at max_mime_parts, max_mime_depth,
/*	max_decoded_size): parts no check saw, whose names were not
/*	checked, are never passed on for a mail program to open as they
/*	are.
/*--*/

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checks.h"
#include "mime/mime_parse.h"
#include "policy/decide.h"
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

/* scan_run_fail - a check failed: the message fails, to be retried */
static int
scan_run_fail(struct txn *t, const char *check, const char *why)
{
	msg_warn("%s: %s failed: %s", t->id, check, why);
	txn_set_error(t, TXN_ERR_SCAN, "%s: %s", check, why);
	return -1;
}

/* A leaf part's content for libclamav: a window on the spool or a file. */
struct scan_run_part {
	int fd;	   /* spool, or a temporary file with the decoded content */
	off_t off; /* where the content starts in fd */
	off_t len;
};

/* One reading of the message: its bytes, its parts as GMime read them. */
struct scan_run_msg {
	int fd; /* the spool, or a copy read otherwise (ambiguous MIME) */
	const struct mime_summary *m;
	struct scan_run_part *cs; /* one per part, fd -1 until opened */
};

/* What the virus scans of one message came to. */
struct scan_run_av {
	enum scan_verdict v; /* CLEAN, UNCHECKED, then INFECTED or ERROR */
	const char *virname; /* INFECTED: pool copy */
	char why[512];	     /* UNCHECKED (the first reason), ERROR */
};

/*
 * scan_run_part_open - where part p's content is, decoding it into a
 * temporary file when it is encoded; 0, or -1 with av->why set
 */
static int
scan_run_part_open(struct txn *t, const struct scan_run_msg *rm,
		   const struct mime_part *p, size_t i, struct scan_run_av *av)
{
	struct scan_run_part *c = rm->cs + i;
	long max = t->conf->clamav.max_filesize;
	off_t start, end;
	long size;

	if (mime_part_span(p, t->size, &start, &end) == 0) {
		*c = (struct scan_run_part){rm->fd, start, end - start};
		return 0;
	}
	/* One byte over the limit lets libclamav see it is over. */
	c->fd = mime_part_content(
		t, p, max > 0 && max < LONG_MAX ? max + 1 : LONG_MAX, &size);
	c->off = 0;
	c->len = size;
	if (c->fd < 0) {
		snprintf(av->why, sizeof(av->why),
			 "cannot decode MIME part %zu: %s", i + 1,
			 strerror(errno));
		av->v = SCAN_ERROR;
		return -1;
	}
	return 0;
}

/* scan_run_part_close - drop a temporary file */
static void
scan_run_part_close(const struct scan_run_msg *rm, size_t i)
{
	struct scan_run_part *c = rm->cs + i;

	if (c->fd >= 0 && c->fd != rm->fd)
		close(c->fd);
	c->fd = -1;
}

/*
 * scan_run_textish - a part type libclamav's mail parser may read as
 * text (for uuencode, quoted messages): text/*, and any type of a
 * top-level name no standard has (plain/text, foo/bar: test_attack16b)
 */
static int
scan_run_textish(const char *type)
{
	static const char *const binary[] = {
		"image/",	"audio/",     "video/",
		"application/", "font/",      "model/",
		"message/",	"multipart/", NULL};

	if (strncmp(type, "text/", 5) == 0)
		return 1;
	for (int i = 0; binary[i]; i++)
		if (strncmp(type, binary[i], strlen(binary[i])) == 0)
			return 0;
	return 1;
}

/* scan_run_unread - a marker check could not read what: -1, av set */
static int
scan_run_unread(struct scan_run_av *av, const char *what)
{
	snprintf(av->why, sizeof(av->why), "cannot read %s: %s", what,
		 errno ? strerror(errno) : "short read");
	av->v = SCAN_ERROR;
	return -1;
}

/*
 * scan_run_parts_plain - can the parts filterd parsed stand in for
 * libclamav's mail parser? Parsed cleanly, every part decoded as GMime
 * decodes it (mime.decoded_otherwise: a mail program may read it
 * otherwise), no text outside the parts, an engine without phishing
 * lists, no text that libclamav would unpack further.
 * Opens the text parts' content as it looks (kept for the scan). 1 or
 * 0, or -1 with av->why set when a part cannot be read.
 */
static int
scan_run_parts_plain(struct txn *t, const struct scan_run_msg *rm,
		     struct scan_run_av *av)
{
	const struct mime_summary *m = rm->m;
	size_t i = 0;
	int marked;

	/*
	 * libclamav checks links against phishing lists in any text of a
	 * message, HTML or not, and only in its mail parser; without lists
	 * an HTML part is a file like any other (it normalises HTML and
	 * decodes its data: URIs when it scans it as one, test_virus_html200).
	 */
	if (m->message == NULL || m->unchecked || m->malformed ||
	    m->ambiguous || m->decoded_otherwise || m->outside_text ||
	    scan_clamav_phishing(t->checks->clamav))
		return 0;
	/* Encoded content in any line of the message, as it stands. */
	errno = 0;
	if ((marked = scan_clamav_raw_marked(rm->fd, 0, t->size)) != 0)
		return marked > 0 ? 0 : scan_run_unread(av, "the message");
	for (const struct mime_part *p = m->parts; p; p = p->next, i++) {
		const struct scan_run_part *c = rm->cs + i;

		/* Text, or a type libclamav's mail parser reads as text. */
		if (!p->is_leaf || !scan_run_textish(p->type))
			continue;
		if (scan_run_part_open(t, rm, p, i, av) < 0)
			return -1;
		errno = 0;
		if ((marked = scan_clamav_text_marked(c->fd, c->off, c->len)) >
		    0)
			return 0;
		if (marked < 0) {
			char what[64];

			snprintf(what, sizeof(what), "MIME part %zu", i + 1);
			return scan_run_unread(av, what);
		}
	}
	return 1;
}

/*
 * scan_run_span - one libclamav scan into the message's verdict; 1 when
 * the scans are done (INFECTED or ERROR), else 0. Content over a limit
 * is UNCHECKED and the scans go on: the rest may hold a virus.
 */
static int
scan_run_span(struct txn *t, struct scan_run_av *av, int fd, off_t off,
	      off_t len, int parse_mail, struct scan_clamav_skip *skip)
{
	const char *virname;
	char why[512];
	enum scan_verdict v;

	v = scan_clamav_span(t->checks->clamav, fd, off, len, parse_mail, skip,
			     &virname, why, sizeof(why));
	switch (v) {
	case SCAN_CLEAN:
		return 0;
	case SCAN_UNCHECKED:
		if (av->v == SCAN_CLEAN) {
			av->v = SCAN_UNCHECKED;
			snprintf(av->why, sizeof(av->why), "%s", why);
		}
		return 0;
	case SCAN_INFECTED:
		av->v = SCAN_INFECTED;
		av->virname = pool_strdup(t->pool, virname);
		return 1;
	default:
		av->v = SCAN_ERROR;
		snprintf(av->why, sizeof(av->why), "%s", why);
		return 1;
	}
}

/*
 * scan_run_parts_skip - note each leaf part's bytes (and, for a part GMime
 * reads as stored, those too) for libclamav's mail parser to leave out:
 * they are scanned as files of their own after it. 0, or -1 with av set
 * when a part cannot be decoded.
 */
static int
scan_run_parts_skip(struct txn *t, const struct scan_run_msg *rm,
		    struct scan_clamav_skip *skip, struct scan_run_av *av)
{
	size_t i = 0;

	for (const struct mime_part *p = rm->m->parts; p; p = p->next, i++) {
		const struct scan_run_part *c = rm->cs + i;
		int was_open = c->fd >= 0;
		off_t start, end;

		if (!p->is_leaf)
			continue;
		if (!was_open && scan_run_part_open(t, rm, p, i, av) < 0)
			return -1;
		/* Bytes that cannot be noted are scanned by both. */
		(void)scan_clamav_skip_add(skip, c->fd, c->off, c->len);
		if (p->as_stored &&
		    mime_part_stored(p, t->size, &start, &end) == 0)
			(void)scan_clamav_skip_add(skip, rm->fd, start,
						   end - start);
		if (!was_open)
			scan_run_part_close(rm, i);
	}
	return 0;
}

/*
 * scan_run_virus_parts - each leaf part as a file of its own; a part
 * GMime reads as stored and we decode (an odd encoding) both ways
 */
static void
scan_run_virus_parts(struct txn *t, const struct scan_run_msg *rm,
		     struct scan_run_av *av)
{
	size_t i = 0;

	for (const struct mime_part *p = rm->m->parts; p; p = p->next, i++) {
		const struct scan_run_part *c = rm->cs + i;
		off_t start, end;
		int done;

		if (!p->is_leaf)
			continue;
		if (c->fd < 0 && scan_run_part_open(t, rm, p, i, av) < 0)
			return;
		done = scan_run_span(t, av, c->fd, c->off, c->len, 1, NULL);
		scan_run_part_close(rm, i);
		if (!done && p->as_stored &&
		    mime_part_stored(p, t->size, &start, &end) == 0)
			done = scan_run_span(t, av, rm->fd, start, end - start,
					     1, NULL);
		if (done)
			return;
	}
}

/* scan_run_virus_reading - libclamav over one reading of the message */
static void
scan_run_virus_reading(struct txn *t, int fd, const struct mime_summary *m,
		       struct scan_run_av *av)
{
	size_t n = m->n_parts;
	struct scan_run_msg rm = {
		fd, m, pool_alloc(t->pool, (n + 1) * sizeof(*rm.cs))};
	struct scan_clamav_skip skip;
	int plain;

	memset(&skip, 0, sizeof(skip));
	for (size_t i = 0; i < n; i++)
		rm.cs[i].fd = -1;
	plain = scan_run_parts_plain(t, &rm, av);
	if (plain > 0) {
		/* The message as a whole without the mail parser, then parts. */
		if (!scan_run_span(t, av, fd, 0, t->size, 0, NULL))
			scan_run_virus_parts(t, &rm, av);
	} else if (plain == 0 &&
		   (m->message == NULL ||
		    scan_run_parts_skip(t, &rm, &skip, av) == 0)) {
		/*
		 * libclamav's reading, then GMime's parts all the same: its
		 * mail parser reads one part of a multipart/signed or
		 * /parallel and skips parts of a disposition it does not
		 * know, whose files nothing else would scan (test_attack16b).
		 * It leaves out the files whose bytes are those parts: each
		 * is scanned once, as a file of its own, as on the other path.
		 */
		if (!scan_run_span(t, av, fd, 0, t->size, 1, &skip) &&
		    m->message)
			scan_run_virus_parts(t, &rm, av);
	}
	scan_clamav_skip_free(&skip);
	for (size_t i = 0; i < n; i++)
		scan_run_part_close(&rm, i);
}

/* scan_run_virus - libclamav over the message and its parts */
static int
scan_run_virus(struct txn *t)
{
	struct scan_run_av av = {SCAN_CLEAN, NULL, ""};

	scan_run_virus_reading(t, spool_fd(t->spool), &t->mime, &av);
	t->virus_scanned = av.v == SCAN_CLEAN || av.v == SCAN_INFECTED;
	switch (av.v) {
	case SCAN_ERROR:
		return scan_run_fail(t, "virus scan", av.why);
	case SCAN_INFECTED:
		t->virus = av.virname;
		break;
	case SCAN_UNCHECKED:
		scan_run_unchecked(t, av.why);
		break;
	default:
		break;
	}
	return 0;
}

/* scan_run_banned - names and types of parts and archive members */
static int
scan_run_banned(struct txn *t)
{
	const char *desc;

	/* Run even without banned rules: the archive walk finds bombs. */
	switch (scan_banned(t, &t->mime, t->checks, t->cctx->re, &desc)) {
	case SCAN_INFECTED:
		t->banned = desc;
		break;
	case SCAN_CLEAN:
		break;
	case SCAN_UNCHECKED:
		scan_run_unchecked(t, desc);
		break;
	default:
		return scan_run_fail(t, "banned check", desc);
	}
	return 0;
}

/* scan_run_spam - the spam checks: spamd degrades, nothing fails */
static int
scan_run_spam(struct txn *t)
{
	scan_spam(t);
	return 0;
}

/* scan_run_virus_wanted - a virus engine, and a recipient who wants it */
static int
scan_run_virus_wanted(const struct txn *t)
{
	return t->checks->clamav && decide_wanted(t, DECIDE_CHECK_VIRUS);
}

/* scan_run_banned_wanted - a recipient does not bypass banned checks */
static int
scan_run_banned_wanted(const struct txn *t)
{
	return decide_wanted(t, DECIDE_CHECK_BANNED);
}

/* scan_run_spam_wanted - a recipient does not bypass spam checks */
static int
scan_run_spam_wanted(const struct txn *t)
{
	return decide_wanted(t, DECIDE_CHECK_SPAM);
}

/*
 * scan_run_reading - another reading of ambiguous MIME (mime_readings):
 * what the virus and banned checks find there counts as found in the
 * message; 1 when something was, -1 when a check failed, else 0
 */
static int
scan_run_reading(struct txn *t, int fd, struct mime_summary *m, void *ctx)
{
	struct scan_run_av av = {SCAN_CLEAN, NULL, ""};
	const char *desc;

	(void)ctx;
	if (m->failed)
		return scan_run_fail(t, "MIME", m->failed);
	if (scan_run_virus_wanted(t)) {
		scan_run_virus_reading(t, fd, m, &av);
		if (av.v == SCAN_ERROR)
			return scan_run_fail(t, "virus scan", av.why);
		if (av.v == SCAN_INFECTED) {
			t->virus = av.virname;
			return 1;
		}
	}
	if (scan_run_banned_wanted(t)) {
		switch (scan_banned(t, m, t->checks, t->cctx->re, &desc)) {
		case SCAN_INFECTED:
			t->banned = desc;
			return 1;
		case SCAN_ERROR:
			return scan_run_fail(t, "banned check", desc);
		default:
			break;
		}
	}
	/* Limits reached there: the message is UNCHECKED already. */
	return 0;
}

/* scan_run_readings - the other readings of ambiguous MIME, if any */
static int
scan_run_readings(struct txn *t)
{
	if (t->mime.conflicts == NULL || t->virus || t->banned ||
	    (!scan_run_virus_wanted(t) && !scan_run_banned_wanted(t)))
		return 0;
	if (mime_readings(t, scan_run_reading, NULL) >= 0)
		return 0;
	return t->error ? -1
			: scan_run_fail(t, "ambiguous MIME", strerror(errno));
}

/* The checks, in order: whether each runs, how it is timed and shown. */
static const struct {
	int (*wanted)(const struct txn *);
	int (*run)(struct txn *); /* 0, or -1 with txn->error set */
	enum sb_state state;
	enum sb_hist hist;
	size_t ms_offset;
} scan_run_checks[] = {
	{scan_run_virus_wanted, scan_run_virus, SB_VIRUS, SB_H_VIRUS,
	 offsetof(struct txn, ms_virus)},
	{scan_run_banned_wanted, scan_run_banned, SB_VIRUS, SB_H_BANNED,
	 offsetof(struct txn, ms_banned)},
	{scan_run_spam_wanted, scan_run_spam, SB_SPAM, SB_H_SPAM,
	 offsetof(struct txn, ms_spam)},
};

/* scan_run - run the checks and note what they found */
int
scan_run(struct txn *t)
{
	const struct mime_summary *m = &t->mime;
	int rc = 0;

	/* Parsers may read it otherwise: whoever gets it, defanged. */
	if (m->ambiguous) {
		t->defang = TXN_DEFANG_AMBIGUOUS;
		msg_info("%s: defang: %s", t->id, m->ambiguous);
	} else if (m->unparsed) {
		/* Parts no check saw (banned names above all): the same. */
		t->defang = TXN_DEFANG_UNPARSED;
		msg_info("%s: defang: %s", t->id, m->unchecked);
	}
	if (t->checks) {
		if (m->ambiguous)
			scan_run_unchecked(t, m->ambiguous);
		if (m->unchecked)
			scan_run_unchecked(t, m->unchecked);
		if (m->undecoded)
			scan_run_unchecked(t, m->undecoded);
		if (m->failed)
			rc = scan_run_fail(t, "MIME", m->failed);
		for (size_t i = 0;
		     rc == 0 &&
		     i < sizeof(scan_run_checks) / sizeof(*scan_run_checks);
		     i++) {
			struct timespec a, b;
			long ms;

			if (!scan_run_checks[i].wanted(t))
				continue;
			sb_slot_state(t->slot, scan_run_checks[i].state);
			clock_gettime(CLOCK_MONOTONIC, &a);
			rc = scan_run_checks[i].run(t);
			clock_gettime(CLOCK_MONOTONIC, &b);
			ms = txn_ms(&a, &b);
			*(long *)((char *)t +
				  scan_run_checks[i].ms_offset) = ms;
			if (t->slot)
				sb_hist_add(&t->slot->c,
					    scan_run_checks[i].hist, ms);
		}
		if (rc == 0)
			rc = scan_run_readings(t);
		if (rc == 0 && t->virus_scanned)
			txn_add_header(t, "X-Virus-Scanned",
				       t->conf->virus_scanned_header);
		/* What was not checked, in our words (amavis' field). */
		if (rc == 0 && t->unchecked)
			txn_add_header(t, "X-Amavis-Alert",
				       pool_printf(t->pool, "UNCHECKED, %s",
						   t->unchecked));
	}
	clock_gettime(CLOCK_MONOTONIC, &t->t_scan);
	return rc;
}
