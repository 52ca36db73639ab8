#ifndef FILTERD_DB_DSN_H
#define FILTERD_DB_DSN_H

/*++
/* NAME
/*	dsn 3h
/* SUMMARY
/*	MariaDB/MySQL data source names
/* SYNOPSIS
/*	#include "db/dsn.h"
/* DESCRIPTION
/*	db_dsn_parse() splits a data source name into a caller-owned struct
/*	db_dsn; nothing is allocated. Two forms:
/*
/*	    mysql://user:password@host:port/database
/*	    mysql://user:password@unix(/path/to/socket)/database
/*
/*	The scheme is case-insensitive. user is required; ":password" may
/*	be left out (no password, e.g. unix_socket authentication). In user
/*	and password any byte may be written %XX (percent-encoding, RFC
/*	3986); '@', '/', '?', '#', '%', white space and control characters
/*	must be, and so must ':' in the user. host is a name, an IPv4
/*	address or an IPv6 address in brackets ("[::1]"); ":port" may be
/*	left out (3306). The socket path is absolute, without ')'.
/*	database is a plain name: letters, digits, '_', '$', '-'. Options
/*	("?...") are not supported.
/*
/*	With a host, the connection is over TCP even for "localhost" (the
/*	client library would otherwise take localhost to mean its default
/*	socket); with unix(...), over that socket.
/*
/*	db_dsn_describe() writes the DSN back with the password masked
/*	("mysql://filterd:***@127.0.0.1:3306/filterd"), for log lines.
/*
/*	Pure functions: usable in any process.
/* DIAGNOSTICS
/*	db_dsn_parse() returns 0, or -1 with a reason in errbuf. The reason
/*	never quotes the DSN: it may hold a password.
/*--*/

#include <stddef.h>

#define DB_DSN_DEFAULT_PORT 3306

struct db_dsn {
	char host[256];	    /* empty with a socket */
	int port;	    /* 0 with a socket */
	char socket[108];   /* empty with a host (sun_path size) */
	char user[256];	    /* decoded */
	char password[256]; /* decoded; empty: none */
	char database[65];
};

int db_dsn_parse(const char *text, struct db_dsn *out, char *errbuf,
		 size_t errsize);
void db_dsn_describe(const struct db_dsn *dsn, char *buf, size_t size);

#endif
