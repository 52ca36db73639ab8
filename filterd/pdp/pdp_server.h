#ifndef FILTERD_PDP_SERVER_H
#define FILTERD_PDP_SERVER_H

/*++
/* NAME
/*	pdp_server 3h
/* SUMMARY
/*	the AM.PDP service: one connection, many requests
/* SYNOPSIS
/*	#include "pdp/pdp_server.h"
/*
/*	void pdp_serve(struct session_ctx *ctx, int fd);
/* DESCRIPTION
/*	pdp_serve() serves one connection accepted on a listener whose
/*	protocol is am.pdp (pdp_socket, or an inet listener) as
/*	amavisd-new's AM.PDP server does (README.protocol): requests of
/*	"name=value" lines (CR LF or LF), each ended by an empty line,
/*	request= first, until the client closes, pdp_timeout passes
/*	waiting for a line, or the child is told to stop (even in the
/*	middle of a request: a half-read request holds nothing). It owns
/*	fd and closes it. A request not complete within pdp_timeout of
/*	its first line gets "setreply=421 4.4.2" and the connection ends.
/*
/*	At most half of max_servers children (at least one) serve AM.PDP
/*	at once, counted in the scoreboard: a client beyond that gets one
/*	"setreply=421 4.3.2" line and is disconnected, so that release
/*	clients can never hold every child while the front MTA waits.
/*
/*	A client of an inet listener whose address is not in pdp_clients
/*	gets one "setreply=554 5.7.1" line and is disconnected; what it
/*	sent meanwhile is read and dropped for about a second, a few KB at
/*	most, so that the reply is not lost to a reset.
/*
/*	Each request gets one response ended by an empty line. A request
/*	that cannot be read (a line over PDP_LINE_MAX bytes, read to its
/*	end; a line without '='; a bad %XX; request= not first; too many
/*	attributes) or that names an unknown request gets one setreply=
/*	line with a 5xx and the reason, and the connection goes on.
/*	release and requeue are done by pdp_release() (pdp_release.h).
/*
/*	Nothing a client sends is logged but through msg_*, which makes
/*	it safe (util/msg.h).
/* PROCESS
/*	children (server_skel dispatches by the listener's protocol).
/*--*/

struct session_ctx;

void pdp_serve(struct session_ctx *ctx, int fd);

#endif
