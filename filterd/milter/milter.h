#ifndef FILTERD_MILTER_H
#define FILTERD_MILTER_H

/*++
/* NAME
/*	milter 3h
/* SUMMARY
/*	the milter front end: the checks before the MTA's queue
/* SYNOPSIS
/*	#include "milter/milter.h"
/* DESCRIPTION
/*	milter_main() is what the milter process runs after the master
/*	forked it (once the engines are built, so libclamav and the rules
/*	are shared like the children's); it never returns. It drops
/*	privileges like a child (skel_become_worker), makes its private
/*	tmp_dir, opens conf->milter.socket and hands control to libmilter
/*	(smfi_main), which runs one thread per MTA connection.
/*
/*	Each connection takes one of args->n_slots workers: a scoreboard
/*	slot (so the nanny and SNMP show it beside the children), a checks
/*	context and SQL handles of its own. Past that (max_connections), a
/*	connection gets a tempfail at connect, not a thread of work.
/*
/*	A message is spooled as it arrives, headers and body, in the spool
/*	format of the SMTP hop, with message_size_limit enforced while it
/*	streams (552 5.3.4); at end of message txn_run() carries it through
/*	every stage but FORWARD and NOTIFY, and milter_verdict() maps the
/*	outcome to one milter answer (milter_verdict.h).
/*
/*	libmilter owns SIGTERM, SIGHUP and SIGINT (its signal thread), and
/*	its stop leaves the messages in flight unserved (its worker pool
/*	ends with the listener): SIGTERM is only the abrupt stop of a
/*	process whose master is gone (the MTA tempfails what it had). The
/*	master retires the process with SIGUSR1 (a drain, or a reload
/*	replacing it): new connections and new messages get a tempfail,
/*	the messages in hand finish (child_timeout at most), then
/*	smfi_stop() and exit. A reload's new process binds an inet socket
/*	once the old one let go of it (a unix socket it replaces at once).
/*	The master restarts a milter process that died.
/*
/*	milter_socket_check() is filterd -t's look at the socket: an inet
/*	one's address and port as a listener's (inet_listen_check), a unix
/*	one's directory exists and milter_socket_user() says yes. 0, or -1
/*	with the reason in err.
/*
/*	milter_socket_user() says whether the user can make a unix socket
/*	where the configuration puts it (write and search on its
/*	directory, asked by a process that became the user; an inet
/*	socket: yes). filterd checks it at start and on a reload (a no
/*	refuses the start, rejects the reload), and the milter process
/*	itself before it listens (a no is fatal at once, said in the log;
/*	other failures to listen are said after a second and every 10 s
/*	while it tries again, and a retirement meanwhile ends it).
/* PROCESS
/*	milter; master (milter_socket_check for filterd -t,
/*	milter_socket_user at start and reload).
/*--*/

#include <stddef.h>

struct conf;
struct checks;
struct sb_slot;

struct milter_args {
	const struct conf *conf;
	const struct checks *checks; /* built in the master */
	struct sb_slot **slots;	     /* one per connection served at once */
	size_t n_slots;
};

void milter_main(const struct milter_args *args) __attribute__((noreturn));
int milter_socket_check(const struct conf *c, char *err, size_t errsize);
int milter_socket_user(const struct conf *c, char *err, size_t errsize);

#endif
