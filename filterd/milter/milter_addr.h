#ifndef FILTERD_MILTER_ADDR_H
#define FILTERD_MILTER_ADDR_H

/*++
/* NAME
/*	milter_addr 3h
/* SUMMARY
/*	an envelope address of a milter event in the form the MTA keeps
/* SYNOPSIS
/*	#include "milter/milter_addr.h"
/* DESCRIPTION
/*	The MAIL and RCPT events give the address as the client wrote it:
/*	in angle brackets, with an RFC 821 source route, with its local
/*	part quoted or not. Postfix keeps (and hands the SMTP hop) another
/*	form: the source route dropped, the local part unquoted inside and
/*	quoted again only where RFC 5321 needs it (quote_821_local), and
/*	smfi_delrcpt() is compared with that form (cleanup_del_rcpt()
/*	internalizes its argument, then strcmp()s the stored recipient).
/*	A milter that worked on the raw form would look up, record and
/*	remove another address than the one the MTA delivers to.
/*
/*	milter_addr() makes that form, the one the milter front end uses
/*	for lookups, records and smfi_delrcpt(): arg is the event's
/*	argument (angle brackets optional). It returns the address in
/*	pool (freed with it), "" for the null sender <>, or NULL when arg
/*	is not an address (unbalanced quotes, a bad route) or the result
/*	is longer than MILTER_ADDR_MAX octets (RFC 5321 4.5.3.1.3: a path
/*	of 256 with its brackets): the caller refuses it for good.
/*
/*	Case is kept as written (Postfix keeps it; lookups fold it).
/*	Runs in the milter process, any thread.
/*--*/

#include "util/pool.h"

#define MILTER_ADDR_MAX 254

const char *milter_addr(struct pool *pool, const char *arg);

#endif
