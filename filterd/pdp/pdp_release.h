#ifndef FILTERD_PDP_RELEASE_H
#define FILTERD_PDP_RELEASE_H

/*++
/* NAME
/*	pdp_release 3h
/* SUMMARY
/*	release or requeue one quarantined message (AM.PDP)
/* SYNOPSIS
/*	#include "pdp/pdp_release.h"
/*
/*	void pdp_release(struct session_ctx *ctx,
/*			 const struct conf_bank *bank, const char *peer,
/*			 const struct pdp_request *req, struct buf *out);
/* DESCRIPTION
/*	pdp_release() does what amavisd-new's AM.PDP server does for
/*	request=release and request=requeue (Amavis/In/AMPDP.pm), and
/*	appends the response attributes (without the final empty line)
/*	to out:
/* .IP \(bu
/*	checks the request: mail_id of amavis' form, partition_tag a
/*	number, quar_type F, Z or Q, mail_file relative, of a safe
/*	charset and without "..";
/* .IP \(bu
/*	checks secret_id: a non-empty one always (mail_id must be the
/*	first 12 characters of base64url(md5(secret)), txn/mailid.h), an
/*	empty one is refused when the bank sets auth_required_release;
/* .IP \(bu
/*	finds the message: with sql.storage, its msgs row (which gives
/*	the partition, quar_type and quar_loc when the request does not;
/*	refused when several partitions hold the mail_id and none is
/*	named); then the quarantine table's chunks (Q) or the file under
/*	quarantine_dir (F plain, Z gzip; found by its name when neither
/*	mail_file nor SQL names it);
/* .IP \(bu
/*	makes the copy that goes out: amavis' X-Envelope-From/-To/-To-
/*	Blocked, X-Quarantine-ID and Return-Path fields are taken off
/*	wherever they are, but only the leading block of them (the lines
/*	before any other field, which the quarantine wrote) is read: the
/*	first of each there gives sender and recipients (X-Envelope-To
/*	when there is no X-Envelope-To-Blocked; Return-Path when there is
/*	no X-Envelope-From; addresses read by quar_env.h) and the stored
/*	X-Quarantine-ID, which must be the requested mail_id (and must be
/*	there when the client named the mail_file); as are X-Spam-*,
/*	X-CRM114-* and X-Amavis-(Hold|Alert|Modified|PenPals|PolicyBank|
/*	OS-Fingerprint); Received, Resent-From (requested_by, else
/*	postmaster@myhostname), Resent-Date and Resent-Message-ID
/*	<ORIG-NEW@myhostname> are put in front;
/* .IP \(bu
/*	sends it, not checked again, to the recipients (the request's, or
/*	X-Envelope-To-Blocked) with the sender (the request's, or
/*	X-Envelope-From) through reinject_run(): for release the bank's
/*	release hops, then notify, then forward; for requeue the requeue
/*	hops. One setreply= line per recipient carries its next hop's
/*	reply;
/* .IP \(bu
/*	marks released recipients (2xx) msgrcpt.rs = 'R' when sql.storage
/*	is set (a failure is logged only), and logs one line
/*	"(rel-NEWID) Quarantined message release (requested_by): ...".
/* .PP
/*	A request that cannot be done (bad secret, nothing found, SQL or
/*	file error) is answered as amavis does: "setreply=450 4.5.0
/*	Failure: reason", return_value=tempfail, exit_code=75; one with
/*	bad attributes gets one setreply= line with a 5xx. A blocked
/*	recipient that cannot be read is such a failure; an empty list of
/*	them: "setreply=250 2.5.0 No recipients, nothing to do".
/*
/*	pdp_mail_id_ok() and pdp_mail_file_ok() are the checks of those
/*	two attributes, for tests.
/* PROCESS
/*	children.
/*--*/

#include <stddef.h>

struct buf;
struct conf_bank;
struct session_ctx;

/* One request's attributes, decoded; NULL when not given. */
struct pdp_request {
	const char *request; /* "release", "requeue", ... */
	const char *mail_id;
	const char *secret_id;
	const char *partition_tag;
	const char *quar_type;
	const char *mail_file;
	const char *sender;
	const char *requested_by;
	const char **recipients; /* in the order given */
	size_t n_recipients;
};

void pdp_release(struct session_ctx *ctx, const struct conf_bank *bank,
		 const char *peer, const struct pdp_request *req,
		 struct buf *out);
int pdp_mail_id_ok(const char *id);
int pdp_mail_file_ok(const char *path);

#endif
