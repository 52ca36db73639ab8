/*++
/* NAME
/*	test_decide 1
/* SUMMARY
/*	unit tests for policy/decide.c: the destiny table
/* DESCRIPTION
/*	Each row builds a checked message by hand: a content category, the
/*	bank's destiny for it, the spam score and levels, the recipients
/*	and (for local_domains) a small configuration file. decide_run()
/*	must give every recipient the row's outcome and reply, or fail the
/*	message with TXN_ERR_SCAN (TEMPFAIL); recipients that pass get the
/*	exact X-Spam-* fields and subject tag when they are local, and
/*	recipients with the same fields share one list. rcpt_class()
/*	is then checked, after marking a DSN sent or suppressed when the
/*	row says so.
/*
/*	In the category x destiny rows, the three final_*_destiny keys of
/*	the other categories get a different destiny, so a row only passes
/*	when decide_run() reads the right key.
/*--*/

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "policy/decide.h"
#include "policy/lookup.h"
#include "txn/txn.h"
#include "util/buf.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))
#define MAX_RCPTS 4
#define NO_FIELDS NULL

#define STARS8 "********"
#define STARS64 STARS8 STARS8 STARS8 STARS8 STARS8 STARS8 STARS8 STARS8

/* What happens to the recipients after decide_run() (the NOTIFY stage). */
enum mark {
	MARK_NONE,
	MARK_DSN_SENT,
	MARK_DSN_SUPPRESSED,
};

struct decide_case {
	const char *name;
	enum txn_ccat ccat;
	enum conf_destiny destiny; /* final_<ccat>_destiny */
	int scanned;		   /* spam_scanned */
	double score;
	const char *hits;
	int levels; /* use these levels, not the built-ins */
	double tag_level, tag2_level;
	const char *subject;	      /* spam_subject_tag; NULL: "" */
	const char *local_domains;    /* a config file line; NULL: built-in */
	const char *rcpts[MAX_RCPTS]; /* none: a@example.net, b@example.net */
	enum mark mark;

	/* want */
	enum txn_error err; /* TXN_ERR_SCAN: decide_run() returns -1 */
	enum rcpt_state state_want;
	int code; /* 0: no reply recorded */
	const char *dsn;
	const char *text;   /* in the reply text, or in error_text */
	const char *why;    /* in the reply text too */
	const char *fields; /* local copies: "Name: value" lines, LF-joined */
	const char *tag;    /* local copies' subject tag */
	int local[MAX_RCPTS];
	int status; /* rcpt_class() of every recipient */
};

/* Reasons decide.c gives for each category (virus etc. below). */
#define WHY_VIRUS "VIRUS: Eicar-Test-Signature"
#define WHY_BANNED "BANNED: application/zip,invoice.zip,invoice.pdf.exe"
#define WHY_UNCHECKED "UNCHECKED: MIME nesting too deep"
#define WHY_SPAM "SPAM, score=12.500"

/* Spam fields at the built-in levels (2.0, 6.31). */
#define F_SPAM                                                                 \
	"X-Spam-Flag: YES\nX-Spam-Score: 12.500\nX-Spam-Level: "               \
	"************\nX-Spam-Status: Yes, score=12.500 tagged_above=2 "       \
	"required=6.31\r\n tests=[BODY_RULE=12.5]"
#define F_SPAMMY                                                               \
	"X-Spam-Flag: YES\nX-Spam-Score: 7.000\nX-Spam-Level: *******\n"       \
	"X-Spam-Status: Yes, score=7.000 tagged_above=2 required=6.31\r\n "    \
	"tests=[BODY_RULE=7]"

/*
 * The matrix: category c (score s, hits h) with destiny d. DISCARD,
 * BOUNCE and REJECT record a reply; TEMPFAIL fails the message.
 */
#define ROW_PASS(c, s, h, f)                                                   \
	{                                                                      \
		.name = #c " pass", .ccat = c, .destiny = CONF_D_PASS,         \
		.scanned = 1, .score = s, .hits = h,                           \
		.state_want = RCPT_PENDING, .fields = f, .local = {1, 1},      \
		.status = 4                                                    \
	}
#define ROW_DISCARD(c, s, h, w)                                                \
	{                                                                      \
		.name = #c " discard", .ccat = c, .destiny = CONF_D_DISCARD,   \
		.scanned = 1, .score = s, .hits = h,                           \
		.state_want = RCPT_DISCARDED, .code = 250, .dsn = "2.7.0",     \
		.text = "Ok, discarded, id=", .why = w, .local = {1, 1},       \
		.status = 2                                                    \
	}
#define ROW_BOUNCE(c, s, h, w)                                                 \
	{                                                                      \
		.name = #c " bounce", .ccat = c, .destiny = CONF_D_BOUNCE,     \
		.scanned = 1, .score = s, .hits = h,                           \
		.state_want = RCPT_BOUNCING, .code = 554, .dsn = "5.7.0",      \
		.text = "Bounce, id=", .why = w, .local = {1, 1}, .status = 4  \
	}
#define ROW_REJECT(c, s, h, w)                                                 \
	{                                                                      \
		.name = #c " reject", .ccat = c, .destiny = CONF_D_REJECT,     \
		.scanned = 1, .score = s, .hits = h,                           \
		.state_want = RCPT_REJECTED, .code = 554, .dsn = "5.7.0",      \
		.text = "Reject, id=", .why = w, .local = {1, 1}, .status = 5  \
	}
#define ROW_TEMPFAIL(c, s, h, w)                                               \
	{                                                                      \
		.name = #c " tempfail", .ccat = c, .destiny = CONF_D_TEMPFAIL, \
		.scanned = 1, .score = s, .hits = h, .err = TXN_ERR_SCAN,      \
		.text = w, .status = 4                                         \
	}
/* CLEAN and SPAMMY pass whatever the bank says. */
#define ROW_ALWAYS(c, d, s, h, f)                                              \
	{                                                                      \
		.name = #c " with destiny " #d, .ccat = c, .destiny = d,       \
		.scanned = 1, .score = s, .hits = h,                           \
		.state_want = RCPT_PENDING, .fields = f, .local = {1, 1},      \
		.status = 4                                                    \
	}

static const struct decide_case decide_cases[] = {
	/* Every blocking category with every destiny. */
	ROW_PASS(TXN_CCAT_VIRUS, 0.5, "R=0.5", NO_FIELDS),
	ROW_DISCARD(TXN_CCAT_VIRUS, 0.5, "R=0.5", WHY_VIRUS),
	ROW_BOUNCE(TXN_CCAT_VIRUS, 0.5, "R=0.5", WHY_VIRUS),
	ROW_REJECT(TXN_CCAT_VIRUS, 0.5, "R=0.5", WHY_VIRUS),
	ROW_TEMPFAIL(TXN_CCAT_VIRUS, 0.5, "R=0.5", WHY_VIRUS),
	ROW_PASS(TXN_CCAT_BANNED, 0.5, "R=0.5", NO_FIELDS),
	ROW_DISCARD(TXN_CCAT_BANNED, 0.5, "R=0.5", WHY_BANNED),
	ROW_BOUNCE(TXN_CCAT_BANNED, 0.5, "R=0.5", WHY_BANNED),
	ROW_REJECT(TXN_CCAT_BANNED, 0.5, "R=0.5", WHY_BANNED),
	ROW_TEMPFAIL(TXN_CCAT_BANNED, 0.5, "R=0.5", WHY_BANNED),
	ROW_PASS(TXN_CCAT_UNCHECKED, 0.5, "R=0.5", NO_FIELDS),
	ROW_DISCARD(TXN_CCAT_UNCHECKED, 0.5, "R=0.5", WHY_UNCHECKED),
	ROW_BOUNCE(TXN_CCAT_UNCHECKED, 0.5, "R=0.5", WHY_UNCHECKED),
	ROW_REJECT(TXN_CCAT_UNCHECKED, 0.5, "R=0.5", WHY_UNCHECKED),
	ROW_TEMPFAIL(TXN_CCAT_UNCHECKED, 0.5, "R=0.5", WHY_UNCHECKED),
	ROW_PASS(TXN_CCAT_SPAM, 12.5, "BODY_RULE=12.5", F_SPAM),
	ROW_DISCARD(TXN_CCAT_SPAM, 12.5, "BODY_RULE=12.5", WHY_SPAM),
	ROW_BOUNCE(TXN_CCAT_SPAM, 12.5, "BODY_RULE=12.5", WHY_SPAM),
	ROW_REJECT(TXN_CCAT_SPAM, 12.5, "BODY_RULE=12.5", WHY_SPAM),
	ROW_TEMPFAIL(TXN_CCAT_SPAM, 12.5, "BODY_RULE=12.5", WHY_SPAM),
	ROW_ALWAYS(TXN_CCAT_CLEAN, CONF_D_PASS, 0.5, "R=0.5", NO_FIELDS),
	ROW_ALWAYS(TXN_CCAT_CLEAN, CONF_D_DISCARD, 0.5, "R=0.5", NO_FIELDS),
	ROW_ALWAYS(TXN_CCAT_CLEAN, CONF_D_BOUNCE, 0.5, "R=0.5", NO_FIELDS),
	ROW_ALWAYS(TXN_CCAT_CLEAN, CONF_D_REJECT, 0.5, "R=0.5", NO_FIELDS),
	ROW_ALWAYS(TXN_CCAT_CLEAN, CONF_D_TEMPFAIL, 0.5, "R=0.5", NO_FIELDS),
	ROW_ALWAYS(TXN_CCAT_SPAMMY, CONF_D_PASS, 7, "BODY_RULE=7", F_SPAMMY),
	ROW_ALWAYS(TXN_CCAT_SPAMMY, CONF_D_DISCARD, 7, "BODY_RULE=7", F_SPAMMY),
	ROW_ALWAYS(TXN_CCAT_SPAMMY, CONF_D_BOUNCE, 7, "BODY_RULE=7", F_SPAMMY),
	ROW_ALWAYS(TXN_CCAT_SPAMMY, CONF_D_REJECT, 7, "BODY_RULE=7", F_SPAMMY),
	ROW_ALWAYS(TXN_CCAT_SPAMMY, CONF_D_TEMPFAIL, 7, "BODY_RULE=7",
		   F_SPAMMY),

	/* A blocked copy gets no fields and no tag, even when spammy. */
	{.name = "spam discarded: no fields, no tag",
	 .ccat = TXN_CCAT_SPAM,
	 .destiny = CONF_D_DISCARD,
	 .scanned = 1,
	 .score = 12.5,
	 .hits = "BODY_RULE=12.5",
	 .subject = "***SPAM*** ",
	 .state_want = RCPT_DISCARDED,
	 .code = 250,
	 .dsn = "2.7.0",
	 .text = "discarded",
	 .why = WHY_SPAM,
	 .local = {1, 1},
	 .status = 2},

	/* Spam levels. */
	{.name = "below spam_tag_level: no fields",
	 .ccat = TXN_CCAT_CLEAN,
	 .scanned = 1,
	 .score = 1.999,
	 .hits = "R=1.999",
	 .state_want = RCPT_PENDING,
	 .local = {1, 1},
	 .status = 4},
	{.name = "at spam_tag_level: fields, flag NO",
	 .ccat = TXN_CCAT_CLEAN,
	 .scanned = 1,
	 .score = 2,
	 .hits = "R=2",
	 .subject = "***SPAM*** ",
	 .state_want = RCPT_PENDING,
	 .fields = "X-Spam-Flag: NO\nX-Spam-Score: 2.000\nX-Spam-Level: **\n"
		   "X-Spam-Status: No, score=2.000 tagged_above=2 "
		   "required=6.31\r\n tests=[R=2]",
	 .local = {1, 1},
	 .status = 4},
	{.name = "just below spam_tag2_level: flag NO, no tag",
	 .ccat = TXN_CCAT_CLEAN,
	 .scanned = 1,
	 .score = 6.3,
	 .hits = "R=6.3",
	 .subject = "***SPAM*** ",
	 .state_want = RCPT_PENDING,
	 .fields = "X-Spam-Flag: NO\nX-Spam-Score: 6.300\nX-Spam-Level: "
		   "******\nX-Spam-Status: No, score=6.300 tagged_above=2 "
		   "required=6.31\r\n tests=[R=6.3]",
	 .local = {1, 1},
	 .status = 4},
	{.name = "at spam_tag2_level: flag YES and the subject tag",
	 .ccat = TXN_CCAT_SPAMMY,
	 .scanned = 1,
	 .score = 6.31,
	 .hits = "R=6.31",
	 .subject = "***SPAM*** ",
	 .state_want = RCPT_PENDING,
	 .fields = "X-Spam-Flag: YES\nX-Spam-Score: 6.310\nX-Spam-Level: "
		   "******\nX-Spam-Status: Yes, score=6.310 tagged_above=2 "
		   "required=6.31\r\n tests=[R=6.31]",
	 .tag = "***SPAM*** ",
	 .local = {1, 1},
	 .status = 4},
	{.name = "spam passed with the subject tag",
	 .ccat = TXN_CCAT_SPAM,
	 .destiny = CONF_D_PASS,
	 .scanned = 1,
	 .score = 12.5,
	 .hits = "BODY_RULE=12.5",
	 .subject = "[SPAM] ",
	 .state_want = RCPT_PENDING,
	 .fields = F_SPAM,
	 .tag = "[SPAM] ",
	 .local = {1, 1},
	 .status = 4},
	{.name = "tag levels from the bank; hits folded; stars capped at 64",
	 .ccat = TXN_CCAT_SPAM,
	 .destiny = CONF_D_PASS,
	 .scanned = 1,
	 .score = 2000,
	 .hits = "GTUBE=1000,SPAMD=1000",
	 .levels = 1,
	 .tag_level = -999,
	 .tag2_level = 5,
	 .subject = "***SPAM*** ",
	 .state_want = RCPT_PENDING,
	 .fields = "X-Spam-Flag: YES\nX-Spam-Score: 2000.000\nX-Spam-Level: "
		   "" STARS64 "\nX-Spam-Status: Yes, score=2000.000 "
		   "tagged_above=-999 required=5\r\n tests=[GTUBE=1000,\r\n "
		   "SPAMD=1000]",
	 .tag = "***SPAM*** ",
	 .local = {1, 1},
	 .status = 4},
	{.name = "64.9: 64 stars, whole points only",
	 .ccat = TXN_CCAT_SPAM,
	 .scanned = 1,
	 .score = 64.9,
	 .hits = "",
	 .levels = 1,
	 .tag_level = 1,
	 .tag2_level = 64.95,
	 .state_want = RCPT_PENDING,
	 .fields = "X-Spam-Flag: NO\nX-Spam-Score: 64.900\nX-Spam-Level: "
		   "" STARS64
		   "\nX-Spam-Status: No, score=64.900 tagged_above=1 "
		   "required=64.95\r\n tests=[]",
	 .local = {1, 1},
	 .status = 4},
	{.name = "negative score above a low tag level: no stars",
	 .ccat = TXN_CCAT_CLEAN,
	 .scanned = 1,
	 .score = -1.5,
	 .hits = "ALL_TRUSTED=-1.5",
	 .levels = 1,
	 .tag_level = -999,
	 .tag2_level = 6.31,
	 .state_want = RCPT_PENDING,
	 .fields = "X-Spam-Flag: NO\nX-Spam-Score: -1.500\nX-Spam-Level: \n"
		   "X-Spam-Status: No, score=-1.500 tagged_above=-999 "
		   "required=6.31\r\n tests=[ALL_TRUSTED=-1.5]",
	 .local = {1, 1},
	 .status = 4},
	{.name = "spam checks did not run: no fields, whatever the level",
	 .ccat = TXN_CCAT_CLEAN,
	 .scanned = 0,
	 .score = 0,
	 .levels = 1,
	 .tag_level = -999,
	 .tag2_level = -999,
	 .subject = "***SPAM*** ",
	 .state_want = RCPT_PENDING,
	 .local = {1, 1},
	 .status = 4},

	/* Local and non-local recipients (decide_local). */
	{.name = "empty local_domains: every recipient is local",
	 .ccat = TXN_CCAT_SPAMMY,
	 .scanned = 1,
	 .score = 7,
	 .hits = "BODY_RULE=7",
	 .subject = "***SPAM*** ",
	 .local_domains = "local_domains = {}",
	 .rcpts = {"a@example.com", "b@elsewhere.example", "postmaster"},
	 .state_want = RCPT_PENDING,
	 .fields = F_SPAMMY,
	 .tag = "***SPAM*** ",
	 .local = {1, 1, 1},
	 .status = 4},
	{.name = "exact domain, case-insensitive, not its subdomains",
	 .ccat = TXN_CCAT_SPAMMY,
	 .scanned = 1,
	 .score = 7,
	 .hits = "BODY_RULE=7",
	 .subject = "***SPAM*** ",
	 .local_domains = "local_domains = {\"example.com\"}",
	 .rcpts = {"a@example.com", "b@sub.example.com", "C@EXAMPLE.COM",
		   "d@example.com.evil"},
	 .state_want = RCPT_PENDING,
	 .fields = F_SPAMMY,
	 .tag = "***SPAM*** ",
	 .local = {1, 0, 1, 0},
	 .status = 4},
	{.name = "dot domain: the domain and its subdomains",
	 .ccat = TXN_CCAT_SPAMMY,
	 .scanned = 1,
	 .score = 7,
	 .hits = "BODY_RULE=7",
	 .subject = "***SPAM*** ",
	 .local_domains = "local_domains = {\".example.com\"}",
	 .rcpts = {"a@example.com", "b@Deep.Sub.Example.COM",
		   "c@badexample.com", "d@example.org"},
	 .state_want = RCPT_PENDING,
	 .fields = F_SPAMMY,
	 .tag = "***SPAM*** ",
	 .local = {1, 1, 0, 0},
	 .status = 4},
	{.name = "several domains; an address without a domain is not local",
	 .ccat = TXN_CCAT_CLEAN,
	 .scanned = 1,
	 .score = 3,
	 .hits = "R=3",
	 .local_domains = "local_domains = {\"example.net\", \".example.org\"}",
	 .rcpts = {"postmaster", "a@mx.example.org", "b@EXAMPLE.NET",
		   "c@mx.example.net"},
	 .state_want = RCPT_PENDING,
	 .fields = "X-Spam-Flag: NO\nX-Spam-Score: 3.000\nX-Spam-Level: ***\n"
		   "X-Spam-Status: No, score=3.000 tagged_above=2 "
		   "required=6.31\r\n tests=[R=3]",
	 .local = {0, 1, 1, 0},
	 .status = 4},
	{.name = "non-local recipients of blocked mail are refused too",
	 .ccat = TXN_CCAT_VIRUS,
	 .destiny = CONF_D_REJECT,
	 .local_domains = "local_domains = {\"example.com\"}",
	 .rcpts = {"a@example.com", "b@elsewhere.example"},
	 .state_want = RCPT_REJECTED,
	 .code = 554,
	 .dsn = "5.7.0",
	 .text = "Reject, id=",
	 .why = WHY_VIRUS,
	 .local = {1, 0},
	 .status = 5},

	/* rcpt_class after the NOTIFY stage. */
	{.name = "bounce, DSN sent: 2",
	 .ccat = TXN_CCAT_BANNED,
	 .destiny = CONF_D_BOUNCE,
	 .mark = MARK_DSN_SENT,
	 .state_want = RCPT_BOUNCING,
	 .code = 554,
	 .dsn = "5.7.0",
	 .text = "Bounce, id=",
	 .why = WHY_BANNED,
	 .local = {1, 1},
	 .status = 2},
	{.name = "bounce, DSN suppressed: 2",
	 .ccat = TXN_CCAT_VIRUS,
	 .destiny = CONF_D_BOUNCE,
	 .mark = MARK_DSN_SUPPRESSED,
	 .state_want = RCPT_BOUNCING,
	 .code = 554,
	 .dsn = "5.7.0",
	 .text = "Bounce, id=",
	 .why = WHY_VIRUS,
	 .local = {1, 1},
	 .status = 2},
	{.name = "discard stays 2 after the NOTIFY stage",
	 .ccat = TXN_CCAT_VIRUS,
	 .destiny = CONF_D_DISCARD,
	 .mark = MARK_DSN_SUPPRESSED,
	 .state_want = RCPT_DISCARDED,
	 .code = 250,
	 .dsn = "2.7.0",
	 .text = "discarded",
	 .why = WHY_VIRUS,
	 .local = {1, 1},
	 .status = 2},
};

struct fixture {
	struct conf *conf; /* embedded defaults */
	char dir[64];	   /* for configuration files */
	struct buf fields;
};

/* setup - the embedded default configuration and a scratch directory */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512];

	if (f == NULL || (f->conf = conf_load(NULL, err, sizeof(err))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/filterd-test-decide-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	buf_init(&f->fields, 512);
	*state = f;
	return 0;
}

/* teardown - release it */
static int
teardown(void **state)
{
	struct fixture *f = *state;

	buf_release(&f->fields);
	conf_free(&f->conf);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* load_conf - a configuration file holding just text; NULL on error */
static struct conf *
load_conf(struct fixture *f, const char *text)
{
	char path[sizeof(f->dir) + 16], err[1024];
	struct conf *c;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/main.conf", f->dir);
	if ((fp = fopen(path, "w")) == NULL)
		return NULL;
	fprintf(fp, "%s\n", text);
	if (fclose(fp) != 0)
		return NULL;
	c = conf_load(path, err, sizeof(err));
	unlink(path);
	if (c == NULL)
		print_error("conf_load \"%s\": %s\n", text, err);
	return c;
}

/* other_destiny - a destiny that is not d (for the other categories) */
static enum conf_destiny
other_destiny(enum conf_destiny d)
{
	return d == CONF_D_REJECT ? CONF_D_DISCARD : CONF_D_REJECT;
}

/* make_txn - the row's message, checked, with the bank's values set */
static struct txn *
make_txn(const struct conf *conf, const struct decide_case *c)
{
	struct txn *t = txn_create(conf, "127.0.0.1", 1);
	struct conf_bank_values *v = &t->bank.v;
	enum conf_destiny other = other_destiny(c->destiny);
	static const char *const two[] = {"a@example.net", "b@example.net"};

	assert_non_null(t);
	*v = conf->banks[0].v;
	/* The row's category reads c->destiny; the others a different one. */
	v->final_virus_destiny = c->ccat == TXN_CCAT_VIRUS ? c->destiny : other;
	v->final_banned_destiny = c->ccat == TXN_CCAT_BANNED ? c->destiny
							     : other;
	v->final_unchecked_destiny = c->ccat == TXN_CCAT_UNCHECKED ? c->destiny
								   : other;
	v->final_spam_destiny = c->ccat == TXN_CCAT_SPAM ? c->destiny : other;
	if (c->ccat == TXN_CCAT_CLEAN || c->ccat == TXN_CCAT_SPAMMY)
		v->final_virus_destiny = v->final_banned_destiny =
			v->final_unchecked_destiny = v->final_spam_destiny =
				c->destiny;
	/* SPAMMY is at tag2 and under kill (built-in: both 6.31). */
	if (c->ccat == TXN_CCAT_SPAMMY)
		v->spam_kill_level = 10;
	if (c->levels) {
		v->spam_tag_level = c->tag_level;
		v->spam_tag2_level = c->tag2_level;
	}
	v->spam_subject_tag = (char *)(c->subject ? c->subject : "");

	if (c->rcpts[0] == NULL) {
		for (size_t i = 0; i < N_ELEMS(two); i++)
			txn_add_rcpt(t, two[i], NULL);
	} else {
		for (size_t i = 0; i < MAX_RCPTS && c->rcpts[i]; i++)
			txn_add_rcpt(t, c->rcpts[i], NULL);
	}
	/* What the checks found: the row's category, and no other. */
	t->ccat = c->ccat;
	t->virus = c->ccat == TXN_CCAT_VIRUS ? "Eicar-Test-Signature" : NULL;
	t->banned = c->ccat == TXN_CCAT_BANNED
			    ? "application/zip,invoice.zip,invoice.pdf.exe"
			    : NULL;
	t->unchecked = c->ccat == TXN_CCAT_UNCHECKED ? "MIME nesting too deep"
						     : NULL;
	t->spam_scanned = c->scanned;
	t->spam_score = c->score;
	t->spam_hits = c->hits;
	return t;
}

/* fields_text - a header list as "Name: value" lines joined by LF */
static const char *
fields_text(struct fixture *f, const struct txn_header *h)
{
	buf_reset(&f->fields);
	for (; h; h = h->next)
		buf_printf(&f->fields, "%s%s", f->fields.len ? "\n" : "",
			   h->line);
	return f->fields.data;
}

/* same - two optional strings are equal */
static int
same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* check_rcpt - one recipient after decide_run(); 0 or -1 (reported) */
static int
check_rcpt(struct fixture *f, const struct decide_case *c, const struct txn *t,
	   size_t i)
{
	const struct txn_rcpt *rc = t->rcpts + i;
	const char *fields = rc->headers ? fields_text(f, rc->headers) : NULL;
	int pass = !c->err && c->state_want == RCPT_PENDING;
	const char *want_fields = pass && c->local[i] ? c->fields : NULL;
	const char *want_tag = pass && c->local[i] ? c->tag : NULL;
	int rc_failed = 0;

	/* TEMPFAIL fails the message before any recipient is looked at. */
	if (!c->err && rc->local != c->local[i]) {
		print_error("%s: %s: local %d, want %d\n", c->name, rc->addr,
			    rc->local, c->local[i]);
		rc_failed = -1;
	}
	if (!c->err && rc->state != c->state_want) {
		print_error("%s: %s: state %s, want %s\n", c->name, rc->addr,
			    rcpt_state_name(rc->state),
			    rcpt_state_name(c->state_want));
		rc_failed = -1;
	}
	if (rc->reply.code != c->code ||
	    (c->code && (!same(rc->reply.dsn, c->dsn) ||
			 !strstr(rc->reply.text, c->text) ||
			 !strstr(rc->reply.text, c->why) ||
			 !strstr(rc->reply.text, t->id)))) {
		print_error(
			"%s: %s: reply %d %s %s, want %d %s \"%s\" \"%s\"\n",
			c->name, rc->addr, rc->reply.code,
			rc->reply.dsn ? rc->reply.dsn : "-",
			rc->reply.text ? rc->reply.text : "-", c->code,
			c->dsn ? c->dsn : "-", c->text ? c->text : "-",
			c->why ? c->why : "-");
		rc_failed = -1;
	}
	if (!same(fields, want_fields)) {
		print_error("%s: %s: fields\n[%s]\nwant\n[%s]\n", c->name,
			    rc->addr, fields ? fields : "(none)",
			    want_fields ? want_fields : "(none)");
		rc_failed = -1;
	}
	if (!same(rc->subject_tag, want_tag)) {
		print_error("%s: %s: subject tag \"%s\", want \"%s\"\n",
			    c->name, rc->addr,
			    rc->subject_tag ? rc->subject_tag : "(none)",
			    want_tag ? want_tag : "(none)");
		rc_failed = -1;
	}
	return rc_failed;
}

/* check_case - one row; 0 or -1 (reported) */
static int
check_case(struct fixture *f, const struct decide_case *c)
{
	struct conf *own = NULL;
	struct txn *t;
	int ret, failed = 0;

	if (c->local_domains && (own = load_conf(f, c->local_domains)) == NULL)
		return -1;
	t = make_txn(own ? own : f->conf, c);
	ret = decide_run(t);
	if (ret != (c->err ? -1 : 0) || t->error != c->err ||
	    (c->err && !strstr(t->error_text, c->text))) {
		print_error("%s: decide_run %d, error %d \"%s\"; want %d, "
			    "error %d \"%s\"\n",
			    c->name, ret, (int)t->error,
			    t->error_text ? t->error_text : "", c->err ? -1 : 0,
			    (int)c->err, c->err ? c->text : "");
		failed = -1;
	}
	for (size_t i = 0; i < t->n_rcpts; i++)
		if (check_rcpt(f, c, t, i) < 0)
			failed = -1;
	/* The forwarder sends one copy per list: same fields, same list. */
	for (size_t i = 0; i < t->n_rcpts; i++)
		for (size_t j = i + 1; j < t->n_rcpts; j++)
			if (t->rcpts[i].local == t->rcpts[j].local &&
			    t->rcpts[i].headers != t->rcpts[j].headers) {
				print_error("%s: %s and %s: separate lists\n",
					    c->name, t->rcpts[i].addr,
					    t->rcpts[j].addr);
				failed = -1;
			}
	/* The NOTIFY stage, then the one truth the front ends answer on. */
	for (size_t i = 0; i < t->n_rcpts; i++) {
		struct txn_rcpt *rc = t->rcpts + i;

		if (rc->state == RCPT_BOUNCING && c->mark == MARK_DSN_SENT)
			rcpt_bounced(rc);
		if (rc->state == RCPT_BOUNCING &&
		    c->mark == MARK_DSN_SUPPRESSED)
			rcpt_nobounce(rc);
		if (rcpt_class(t, rc) != c->status) {
			print_error("%s: %s: rcpt_class %d, want %d\n", c->name,
				    rc->addr, rcpt_class(t, rc), c->status);
			failed = -1;
		}
	}
	txn_free(&t);
	conf_free(&own);
	return failed;
}

/* test_table - the destiny table */
static void
test_table(void **state)
{
	struct fixture *f = *state;
	int failed = 0;

	for (size_t i = 0; i < N_ELEMS(decide_cases); i++)
		failed += check_case(f, decide_cases + i) < 0;
	assert_int_equal(failed, 0);
}

/* test_bounce_until_notified - BOUNCE is 4 until the DSN stage says */
static void
test_bounce_until_notified(void **state)
{
	struct fixture *f = *state;
	static const struct decide_case c = {
		.name = "bounce",
		.ccat = TXN_CCAT_SPAM,
		.destiny = CONF_D_BOUNCE,
		.scanned = 1,
		.score = 12.5,
	};
	struct txn *t = make_txn(f->conf, &c);

	assert_int_equal(decide_run(t), 0);
	assert_int_equal(rcpt_class(t, t->rcpts), 4);
	assert_int_equal(rcpt_class(t, t->rcpts + 1), 4);
	rcpt_bounced(t->rcpts);
	assert_int_equal(rcpt_class(t, t->rcpts), 2);
	assert_int_equal(rcpt_class(t, t->rcpts + 1), 4);
	rcpt_nobounce(t->rcpts + 1);
	assert_int_equal(rcpt_class(t, t->rcpts + 1), 2);
	txn_free(&t);
}

/*
 * test_blocking_category - several categories at once: the highest one
 * whose destiny does not pass decides, so what one check could not see
 * never lets through what another found (amavis' blocking category).
 */
static void
test_blocking_category(void **state)
{
	struct fixture *f = *state;
	static const struct decide_case c = {
		.name = "unchecked spam",
		.ccat = TXN_CCAT_UNCHECKED,
		.destiny = CONF_D_PASS,
		.scanned = 1,
		.score = 1000,
	};
	struct txn *t = make_txn(f->conf, &c);

	/* UNCHECKED passes (the row), SPAM is discarded. */
	t->bank.v.final_spam_destiny = CONF_D_DISCARD;
	assert_int_equal(decide_run(t), 0);
	assert_int_equal(t->rcpts[0].state, RCPT_DISCARDED);
	assert_int_equal(t->rcpts[0].ccat, TXN_CCAT_SPAM);
	assert_non_null(strstr(t->rcpts[0].reply.text, "SPAM, score=1000"));
	assert_int_equal(t->ccat, TXN_CCAT_SPAM);
	txn_free(&t);

	/* Everything passes: the highest category is the recipient's. */
	t = make_txn(f->conf, &c);
	t->bank.v.final_spam_destiny = CONF_D_PASS;
	assert_int_equal(decide_run(t), 0);
	assert_int_equal(t->rcpts[0].state, RCPT_PENDING);
	assert_int_equal(t->rcpts[0].ccat, TXN_CCAT_UNCHECKED);
	txn_free(&t);

	/* A virus passed on, a banned part in the same message is not. */
	t = make_txn(f->conf, &c);
	t->virus = "Eicar-Test-Signature";
	t->banned = "application/zip,a.zip,a.exe";
	t->spam_score = 0;
	t->bank.v.final_virus_destiny = CONF_D_PASS;
	t->bank.v.final_banned_destiny = CONF_D_REJECT;
	assert_int_equal(decide_run(t), 0);
	assert_int_equal(t->rcpts[0].state, RCPT_REJECTED);
	assert_int_equal(t->rcpts[0].ccat, TXN_CCAT_BANNED);
	txn_free(&t);
}

/* unset_policy - an SQL policy with nothing set (lookup_unset's) */
static void
unset_policy(struct lookup_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->virus_lover = p->spam_lover = p->unchecked_lover = -1;
	p->banned_lover = p->bypass_virus = p->bypass_spam = -1;
	p->bypass_banned = -1;
	p->tag = p->tag2 = p->kill = p->dsn_cutoff = NAN;
}

/*
 * test_blacklisted_lover - a blacklisted sender is spam (amavis): a spam
 * lover below tag2 still gets the copy flagged and tagged as spam.
 */
static void
test_blacklisted_lover(void **state)
{
	struct fixture *f = *state;
	static const struct decide_case c = {
		.name = "blacklisted",
		.ccat = TXN_CCAT_CLEAN,
		.destiny = CONF_D_DISCARD,
		.scanned = 1,
		.score = 0.5,
		.subject = "***SPAM*** ",
	};
	struct txn *t = make_txn(f->conf, &c);
	struct lookup_policy pol;

	unset_policy(&pol);
	pol.spam_lover = 1;
	pol.blacklisted = 1;
	t->bank.v.spam_tag_level = 0;
	t->rcpts[0].pol = &pol;
	assert_int_equal(decide_run(t), 0);
	assert_int_equal(t->rcpts[0].state, RCPT_PENDING);
	assert_int_equal(t->rcpts[0].ccat, TXN_CCAT_SPAM);
	assert_string_equal(t->rcpts[0].subject_tag, "***SPAM*** ");
	assert_non_null(t->rcpts[0].headers);
	assert_string_equal(t->rcpts[0].headers->line, "X-Spam-Flag: YES");
	/* The other recipient, not blacklisted, is clean and unflagged. */
	assert_int_equal(t->rcpts[1].ccat, TXN_CCAT_CLEAN);
	assert_null(t->rcpts[1].subject_tag);
	assert_string_equal(t->rcpts[1].headers->line, "X-Spam-Flag: NO");
	txn_free(&t);
}

/*
 * test_bypass_per_recipient - a check runs when some recipient does
 * not bypass it (its SQL 'N' over the bank's bypass, its 'Y' over the
 * bank's check), and only that recipient's outcome counts what it found
 */
static void
test_bypass_per_recipient(void **state)
{
	struct fixture *f = *state;
	static const struct decide_case c = {
		.name = "spam, bank bypasses",
		.ccat = TXN_CCAT_SPAM,
		.destiny = CONF_D_DISCARD,
		.scanned = 1,
		.score = 12.5,
	};
	struct lookup_policy opt_in, opt_out;
	struct txn *t = make_txn(f->conf, &c);

	unset_policy(&opt_in);
	unset_policy(&opt_out);
	opt_in.bypass_spam = opt_in.bypass_banned = opt_in.bypass_virus = 0;
	opt_out.bypass_spam = opt_out.bypass_banned = 1;
	opt_out.bypass_virus = 1;

	/* The bank bypasses: before LOOKUP nobody wants the checks. */
	t->bank.v.bypass_spam_checks = t->bank.v.bypass_banned_checks = 1;
	t->bank.v.bypass_virus_checks = 1;
	assert_false(decide_wanted(t, DECIDE_CHECK_SPAM));
	assert_false(decide_wanted(t, DECIDE_CHECK_BANNED));
	assert_false(decide_wanted(t, DECIDE_CHECK_VIRUS));
	/* A recipient whose policy sets nothing: the bank's still. */
	t->rcpts[0].pol = &opt_out;
	t->rcpts[1].pol = NULL;
	assert_false(decide_wanted(t, DECIDE_CHECK_SPAM));
	/* One recipient opts in: the checks run, for it alone. */
	t->rcpts[1].pol = &opt_in;
	assert_true(decide_wanted(t, DECIDE_CHECK_SPAM));
	assert_true(decide_wanted(t, DECIDE_CHECK_BANNED));
	assert_true(decide_wanted(t, DECIDE_CHECK_VIRUS));
	assert_true(decide_bypasses(t, t->rcpts, DECIDE_CHECK_SPAM));
	assert_false(decide_bypasses(t, t->rcpts + 1, DECIDE_CHECK_SPAM));
	assert_int_equal(decide_run(t), 0);
	assert_int_equal(t->rcpts[0].state, RCPT_PENDING);
	assert_int_equal(t->rcpts[1].state, RCPT_DISCARDED);
	txn_free(&t);

	/* The bank checks; every recipient opts out: nobody wants them. */
	t = make_txn(f->conf, &c);
	assert_true(decide_wanted(t, DECIDE_CHECK_SPAM));
	t->rcpts[0].pol = t->rcpts[1].pol = &opt_out;
	assert_false(decide_wanted(t, DECIDE_CHECK_SPAM));
	assert_false(decide_wanted(t, DECIDE_CHECK_BANNED));
	assert_false(decide_wanted(t, DECIDE_CHECK_VIRUS));
	txn_free(&t);

	/* No recipients: the bank's flags. */
	t = txn_create(f->conf, "127.0.0.1", 1);
	t->bank.v = f->conf->banks[0].v;
	t->bank.v.bypass_spam_checks = 1;
	assert_false(decide_wanted(t, DECIDE_CHECK_SPAM));
	assert_true(decide_wanted(t, DECIDE_CHECK_BANNED));
	txn_free(&t);
}

/* Built-in configuration: every recipient is local. */
static void
test_local_builtin(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(f->conf->local_domains.n, 0);
	assert_int_equal(decide_local(f->conf, "a@example.com"), 1);
	assert_int_equal(decide_local(f->conf, "postmaster"), 1);
	assert_int_equal(decide_local(f->conf, ""), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_bounce_until_notified),
		cmocka_unit_test(test_blocking_category),
		cmocka_unit_test(test_blacklisted_lover),
		cmocka_unit_test(test_bypass_per_recipient),
		cmocka_unit_test(test_local_builtin),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
