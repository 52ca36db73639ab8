#ifndef FILTERD_QUAR_ENV_H
#define FILTERD_QUAR_ENV_H

/*++
/* NAME
/*	quar_env 3h
/* SUMMARY
/*	envelope addresses in a quarantined copy: written and read back
/* SYNOPSIS
/*	#include "quarantine/quar_env.h"
/*
/*	int quar_env_addr_ok(const char *addr);
/*	void quar_env_put(struct buf *out, const char *addr);
/*	int quar_env_list(struct pool *p, const char *value,
/*			  char ***addrs_r, size_t *n_r,
/*			  char *why, size_t whysize);
/*	char *quar_env_one(struct pool *p, const char *value, int strict);
/* DESCRIPTION
/*	The X-Envelope-From, X-Envelope-To and X-Envelope-To-Blocked
/*	fields in front of a quarantined copy hold addresses as amavisd-new
/*	writes them: "<addr>", several separated by commas (and folding
/*	white space). An address keeps its RFC 5321 form as received: a
/*	quoted local part may hold '<', '>', ',' and spaces, and inside
/*	quotes a backslash takes the next byte along. One scan reads an
/*	address from '<' to the '>' outside quotes, the scan SMTP's
/*	cmd_parse_path() does, so the RECORD stage (quar.c) and the release
/*	(pdp_release.c) agree on what each field holds.
/*
/*	quar_env_addr_ok() says whether addr is written by quar_env_put()
/*	so that quar_env_list() gives it back unchanged: no control byte,
/*	at most QUAR_ENV_ADDR_MAX bytes, and the scan of "<addr>" ends at
/*	its last byte. 1 yes, 0 no.
/*
/*	quar_env_put() appends "<addr>" to out; the caller has checked
/*	addr with quar_env_addr_ok() (a panic otherwise: it would not read
/*	back).
/*
/*	quar_env_list() reads a field's value (unfolded: no CR, LF) into
/*	an array of addresses, in pool memory (array and strings); returns
/*	0, or -1 with the reason in why when the value is not a list of
/*	"<addr>" separated by commas and white space. An empty value is an
/*	empty list.
/*
/*	quar_env_one() reads one address: "<addr>" or a bare addr, white
/*	space around taken off; the result in pool memory ("" for "<>"),
/*	or NULL when the value is not one address. With strict (an address
/*	a client typed), neither form may hold a space, '<' or '>' outside
/*	quotes.
/* PROCESS
/*	children, milter process, filterd-release.
/*--*/

#include <stddef.h>

#define QUAR_ENV_ADDR_MAX 1000 /* bytes of one address */

struct buf;
struct pool;

int quar_env_addr_ok(const char *addr);
void quar_env_put(struct buf *out, const char *addr);
int quar_env_list(struct pool *p, const char *value, char ***addrs_r,
		  size_t *n_r, char *why, size_t whysize);
char *quar_env_one(struct pool *p, const char *value, int strict);

#endif
