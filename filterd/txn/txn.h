#ifndef FILTERD_TXN_H
#define FILTERD_TXN_H

/*++
/* NAME
/*	txn 3h
/* SUMMARY
/*	one message and the stage driver that carries it through the pipeline
/* SYNOPSIS
/*	#include "txn/txn.h"
/* DESCRIPTION
/*	struct txn is everything filterd knows about one message: envelope,
/*	client, policy bank, spool file, check results, per-recipient
/*	outcomes and timings. A front end (smtp/session.c now, the milter
/*	front end later) fills in the envelope and spools the message, then
/*	calls txn_run() with the stages it wants; txn_run() calls one
/*	function per stage in data-flow order. No stage calls the next, and
/*	no stage keeps state outside the txn and the const configuration:
/*	several txns may be in flight in one process (milter threads).
/*
/*	Memory: every string hanging off a txn comes from txn->pool and is
/*	released by txn_free(), which also removes the spool file.
/*
/*	Failure: a stage that cannot do its job sets txn->error (and
/*	txn->error_text, a pool string) and returns -1; txn_run() then stops
/*	and the front end maps the error to a temporary failure. Per-recipient
/*	results (next hop replies, policy rejects) are in rcpts[i].reply.
/*	Nothing here ever turns an error into success.
/*
/*	What happened to each recipient is recorded by rcpt.c alone,
/*	through explicit transitions (rcpt.h); everyone else reads
/*	txn_rcpt.state and rcpt_class(), so there is one truth about it.
/*
/*	txn_create() makes a txn for one message on behalf of a session;
/*	it takes a fresh mail_id (amavis style: 12 base64url characters of
/*	md5(secret), with the 12-character secret_id).
/*
/*	txn_temp_file() makes a file for a stage's scratch data (a decoded
/*	part, an archive member, another reading of the message) in tmp_dir,
/*	named after the mail_id and tag, and unlinks it at once: it returns
/*	the descriptor, which the caller closes (that frees the file), or -1
/*	with errno set.
/* PROCESS
/*	children and (later) the milter process.
/*--*/

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "conf/conf.h"
#include "master/scoreboard.h"
#include "mime/mime_parse.h"
#include "policy/bank.h"
#include "rcpt.h"
#include "util/pool.h"

struct spool;
struct reinject;
struct checks;
struct checks_ctx;
struct db;
struct lookup_policy;

enum txn_stage {
	TXN_STAGE_SPOOL,   /* front end: receive into the spool file */
	TXN_STAGE_PARSE,   /* header summary and MIME tree */
	TXN_STAGE_LOOKUP,  /* per-recipient policy from SQL */
	TXN_STAGE_SCAN,	   /* scanners: virus, banned, spam */
	TXN_STAGE_DECIDE,  /* per-recipient destiny from bank + results */
	TXN_STAGE_RECORD,  /* quarantine and SQL records */
	TXN_STAGE_FORWARD, /* reinjection to the bank's next hops */
	TXN_STAGE_NOTIFY,  /* DSNs for recipients refused for good */
	TXN_STAGE_LOG,	   /* the summary log line */
	TXN_STAGE_COUNT,
};

#define TXN_REFS_MAX 20 /* message ids kept from In-Reply-To/References */

#define TXN_STAGES_ALL ((1u << TXN_STAGE_COUNT) - 1)
#define TXN_STAGE_BIT(s) (1u << (s))

/* What went wrong with a message as a whole: each maps to a 4xx or 5xx. */
enum txn_error {
	TXN_OK = 0,
	TXN_ERR_SIZE,	 /* over message_size_limit: 552 5.3.4 */
	TXN_ERR_SPOOL,	 /* cannot write or read the spool: 451 4.3.0 */
	TXN_ERR_PARSE,	 /* cannot parse for checking: 451 4.3.0 */
	TXN_ERR_SCAN,	 /* a check failed to run: 451 4.3.0 */
	TXN_ERR_RECORD,	 /* quarantine or SQL failed: 451 4.3.0 */
	TXN_ERR_FORWARD, /* no next hop took it: 451 4.4.x */
	TXN_ERR_TIMEOUT, /* child_timeout: 451 4.4.2 */
};

/* Content category, in amavis precedence order (highest first). */
enum txn_ccat {
	TXN_CCAT_CLEAN = 0,
	TXN_CCAT_SPAMMY,
	TXN_CCAT_SPAM,
	TXN_CCAT_UNCHECKED,
	TXN_CCAT_BANNED,
	TXN_CCAT_VIRUS,
};

/* Why the copy that goes on is defanged (txn.defang; copy.h). */
enum txn_defang {
	TXN_DEFANG_NONE = 0,  /* it is not */
	TXN_DEFANG_AMBIGUOUS, /* MIME parsers would read it differently */
	TXN_DEFANG_UNPARSED,  /* parts of its MIME were never checked */
};

/* An SMTP reply: code, enhanced status, text (pool strings). */
struct txn_reply {
	int code;	 /* 0: none yet */
	const char *dsn; /* "2.0.0" */
	const char *text;
};

/* A header field added on forwarding ("Name: value", no CRLF). */
struct txn_header {
	struct txn_header *next;
	const char *line;
};

struct txn_rcpt {
	const char *addr;   /* without angle brackets */
	const char *params; /* RCPT parameters to pass on (NOTIFY, ORCPT) */
	/* Its outcome: written by rcpt.c only (rcpt.h). */
	enum rcpt_state state;
	enum rcpt_by by;	/* who refused or deferred it */
	struct txn_reply reply; /* the reply that describes the outcome */
	const char *hop; /* next hop that answered for it, "smtp:[h]:p" */
	int local;	 /* in local_domains: gets X-Spam-* fields */
	/* What its copy gets on forwarding, besides txn->add_headers. */
	const struct txn_header *headers;
	const char *subject_tag;
	/* Its own view of the checks (decide.c), from its policy. */
	const struct lookup_policy *pol; /* SQL settings, or NULL */
	enum txn_ccat ccat;
	double score;
	double penpal;	   /* pen pal bonus (negative), or 0 */
	double dsn_cutoff; /* no DSN for spam at or above this score */
};

/* The client as the front MTA saw it (XFORWARD), else our peer. */
struct txn_client {
	const char *addr; /* numeric, never NULL */
	int port;
	const char *name;   /* XFORWARD NAME, may be NULL */
	const char *helo;   /* XFORWARD HELO, else our client's HELO */
	const char *proto;  /* XFORWARD PROTO */
	const char *ident;  /* XFORWARD IDENT: the front queue id */
	const char *source; /* XFORWARD SOURCE: LOCAL or REMOTE */
};

struct txn {
	struct pool *pool;
	const struct conf *conf;
	struct bank_view bank;
	char id[13]; /* mail_id */
	char secret_id[13];

	/* Envelope, as received. */
	struct txn_client client;
	const char *peer_addr; /* the front MTA */
	int peer_port;
	const char *sender; /* "" for the null sender */
	int body_8bitmime;  /* BODY=8BITMIME */
	int smtputf8;	    /* SMTPUTF8 */
	const char *ret;    /* RET= (DSN), or NULL */
	const char *envid;  /* ENVID= (DSN), or NULL */
	struct txn_rcpt *rcpts;
	size_t n_rcpts;
	size_t rcpt_cap;

	/* Checks: engines from the master, this process's matching state. */
	const struct checks *checks;
	struct checks_ctx *cctx;
	int one_reply;	    /* the front end answers once (SMTP): rcpt.h */
	struct db *storage; /* sql.storage of this process, or NULL */
	struct db *lookup;  /* sql.lookup of this process, or NULL */

	/* Records and quarantine. */
	time_t arrival;	      /* wall clock at MAIL FROM */
	int partition_tag;    /* ISO 8601 week of the arrival */
	char quar_type;	      /* ' ', 'F' (local file) or 'Q' (SQL) */
	const char *quar_loc; /* file name or "mail_id[pt]" */
	/* txn_quarantined(): the copy is kept (a file written, the SQL
	 * transaction committed), so that quar_loc is true. */
	int recorded; /* the msgs/msgrcpt rows are in SQL */

	/* Content. */
	struct spool *spool;
	off_t size;			/* bytes in the spool (CRLF form) */
	const char *message_id;		/* Message-ID header, or NULL */
	const char *precedence;		/* Precedence header, or NULL */
	const char *refs[TXN_REFS_MAX]; /* In-Reply-To, References ids */
	size_t n_refs;
	const char *from; /* From, Subject, Date: decoded, or NULL */
	const char *subject;
	const char *date;
	struct mime_summary mime;
	enum txn_ccat ccat;
	const char *virus; /* what the checks found, or NULL */
	const char *banned;
	const char *unchecked;
	enum txn_defang defang; /* forward a defanged copy, and why */
	int virus_scanned;	/* a virus scanner looked at it */
	int spam_scanned;	/* the spam checks looked at it */
	double spam_score;
	const char *spam_hits; /* "GTUBE=1000,..." */
	long ms_virus, ms_banned, ms_spam;
	struct txn_header *add_headers; /* prepended on forward, in order */
	struct txn_header **add_tail;

	/* Outcome. */
	enum txn_error error;
	const char *error_text;
	const char *hop;       /* next hop that took it, "[h]:p" */
	const char *queued_as; /* from the next hop's final reply */

	/* Where this process reports progress and counts (may be NULL). */
	struct sb_slot *slot;

	/* Timings (CLOCK_MONOTONIC), for the log and the scoreboard. */
	struct timespec t_start;   /* MAIL FROM */
	struct timespec t_data;	   /* end of data received */
	struct timespec t_scan;	   /* checks done */
	struct timespec t_forward; /* next hop replied */
};

struct txn *txn_create(const struct conf *conf, const char *peer_addr,
		       int peer_port);
void txn_free(struct txn **tp);

void txn_add_rcpt(struct txn *t, const char *addr, const char *params);
void txn_add_header(struct txn *t, const char *name, const char *value);
void txn_set_error(struct txn *t, enum txn_error err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int txn_temp_file(const struct txn *t, const char *tag);
long txn_ms(const struct timespec *from, const struct timespec *to);
const char *txn_ccat_name(enum txn_ccat c);
int txn_quarantined(const struct txn *t);

int txn_run(struct txn *t, unsigned stages, struct reinject *rj);

#endif
