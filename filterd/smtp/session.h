#ifndef FILTERD_SESSION_H
#define FILTERD_SESSION_H

/*++
/* NAME
/*	session 3h
/* SUMMARY
/*	one SMTP or LMTP client connection
/* SYNOPSIS
/*	#include "smtp/session.h"
/* DESCRIPTION
/*	session_run() serves one connection, accepted by the skeleton, until
/*	QUIT, a lost connection, a timeout, or a stop request. It owns fd
/*	(closes it). For each message it builds a struct txn, streams DATA
/*	into a spool file (never the whole message in memory), runs the
/*	pipeline (txn_run) and only then replies: 250 means a next hop
/*	has the message (reply.c has the one mapping). An LMTP listener
/*	replies once per recipient.
/*
/*	Every reply line goes through one writer that makes it one line of
/*	printable ASCII of at most 512 octets with its CR LF (safe_reply_text,
/*	util/safe.h), whatever its arguments hold. After 20 errors of the
/*	client's own (syntax, sequence, unknown commands or parameters; not
/*	refused messages or recipients) the session ends with 421.
/*
/*	*stop is set by the skeleton's signal handler (SIGTERM: a drain, or
/*	the master lost): the session finishes the transaction in hand,
/*	then answers the next command other than QUIT with 421 and closes.
/*	An idle session (no transaction open) closes at once. Reaching
/*	max_requests does not end a session: the skeleton ends the child
/*	once the session is over; ctx->last_session() is called when the
/*	count is reached, so that the child accepts nothing more.
/*
/*	*retire is set by the skeleton on a reload (SIGUSR1): the session
/*	goes on, as amavisd-new's children finish their connection, but for
/*	at most smtpd_timeout seconds more: the first command (not QUIT)
/*	after that, between transactions or in an open one (after MAIL or
/*	RCPT: nothing is accepted yet, the client retries it all; never
/*	inside DATA, which session_dispatch() reads to its end), is
/*	answered with 421 and the session closes, so that an old configuration (and the old child)
/*	does not serve a client that keeps its connection busy for ever.
/*
/*	smtpd_timeout bounds each read of a command or of data, and
/*	also the session between steps of a message: a session may wait
/*	for commands for at most smtpd_timeout seconds since it started,
/*	since its last message reached end of data (whatever its reply),
/*	or since a MAIL or RCPT was taken. Once a transaction has been
/*	given up (RSET, HELO, a lost DATA) only a message reaching end of
/*	data moves the clock again; NOOP, RSET, HELO, VRFY and refused
/*	commands never do. So a client that keeps a child busy without
/*	sending a message gets 421 4.4.2 and is cut off within
/*	child_timeout (the alarm set at MAIL, for one transaction) plus
/*	twice smtpd_timeout, while a live client sending recipients slowly,
/*	and a session that carries messages (Postfix's connection cache:
/*	RSET, then MAIL at once), go on, as amavisd-new's do.
/*
/*	ctx->messages counts the transactions that reached end of data;
/*	when ctx->messages reaches ctx->max_messages, session_run() calls
/*	ctx->last_session (the child accepts nothing more) and the session
/*	goes on; the skeleton ends the child after it.
/* PROCESS
/*	children.
/*--*/

#include <signal.h>

struct conf;
struct conf_listen;
struct reinject;
struct sb_slot;
struct scoreboard;
struct checks;
struct checks_ctx;
struct db;

struct session_ctx {
	const struct conf *conf;
	const struct conf_listen *listen;
	struct reinject *rj;
	volatile sig_atomic_t *stop;
	volatile sig_atomic_t *retire; /* a reload: see session_run(), or NULL */
	void (*last_session)(void);    /* max_messages reached: no accepts */
	unsigned long messages;
	unsigned long max_messages;  /* retire after this many (>= 1) */
	struct sb_slot *slot;	     /* scoreboard slot, or NULL */
	struct scoreboard *sb;	     /* the pool's scoreboard, or NULL */
	const struct checks *checks; /* engines built in the master */
	struct checks_ctx *cctx;     /* this child's matching state */
	struct db *storage;	     /* sql.storage, or NULL */
	struct db *lookup;	     /* sql.lookup, or NULL */
};

void session_run(struct session_ctx *ctx, int fd);

#endif
