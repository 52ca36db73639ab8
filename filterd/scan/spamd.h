#ifndef FILTERD_SPAMD_H
#define FILTERD_SPAMD_H

/*++
/* NAME
/*	spamd 3h
/* SUMMARY
/*	client for SpamAssassin's spamd (SPAMC/1.5)
/* SYNOPSIS
/*	#include "scan/spamd.h"
/* DESCRIPTION
/*	spamd_check() asks spamd at address ("host:port", "[v6addr]:port"
/*	or an absolute unix socket path) about the message of size bytes in
/*	the spool file fd. It sends a SYMBOLS request (with "User: user"
/*	unless user is NULL or empty), streams the message with pread() in
/*	64 KiB chunks (never the whole message in memory; fd's offset is
/*	not changed), reads the reply and fills *res. timeout (seconds)
/*	bounds the connect and each wait for the socket.
/*
/*	spamd_parse_reply() parses a complete reply of len bytes:
/*	"SPAMD/1.1 0 EX_OK", header lines up to an empty line ("Spam: True
/*	; 15.2 / 5.0" is required, "Content-length" optional), then the
/*	comma-separated symbol names. Lines may end in CR LF or LF.
/*
/*	struct spamd_result is caller-owned: spamd_result_init() before
/*	use, spamd_result_release() after; it may be reused. symbols holds
/*	the symbol names as spamd gives them ("BAYES_99,HTML_MESSAGE"; ""
/*	for none), NUL-terminated.
/* DIAGNOSTICS
/*	Both return 0 or -1 with a reason in errbuf: connect failure,
/*	timeout, I/O error, a reply that is too long (SPAMD_REPLY_MAX),
/*	malformed or truncated, or a non-zero spamd status ("spamd: 76
/*	Bad header line: ..."). The caller logs the reason and keeps its
/*	built-in score: spamd being down never fails the mail.
/* PROCESS
/*	children.
/*--*/

#include <stddef.h>
#include <sys/types.h>

#include "util/buf.h"

#define SPAMD_REPLY_MAX 65536
#define SPAMD_CHUNK 65536

struct spamd_result {
	double score;
	double threshold;
	int is_spam;
	struct buf symbols;
};

void spamd_result_init(struct spamd_result *res);
void spamd_result_release(struct spamd_result *res);
int spamd_check(const char *address, int timeout, int fd, off_t size,
		const char *user, struct spamd_result *res, char *errbuf,
		size_t errsize) __attribute__((warn_unused_result));
int spamd_parse_reply(const char *reply, size_t len, struct spamd_result *res,
		      char *errbuf, size_t errsize)
	__attribute__((warn_unused_result));

#endif
