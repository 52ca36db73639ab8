#ifndef FILTERD_SERVER_SKEL_H
#define FILTERD_SERVER_SKEL_H

/*++
/* NAME
/*	server_skel 3h
/* SUMMARY
/*	the child process skeleton: privileges, accept loop, retirement
/* SYNOPSIS
/*	#include "master/server_skel.h"
/* DESCRIPTION
/*	skel_child_main() is what a child runs after fork(); it never
/*	returns. It drops privileges (to conf->user when started as root,
/*	verifying that root cannot be regained), arranges to die with the
/*	master, then accepts connections on the listeners one at a time and
/*	hands each to the protocol code (session_run), reporting busy and
/*	idle to the master over the status pipe (status.h).
/*
/*	conf->tmp_dir names the child's private directory (childdir.h):
/*	the skeleton makes it (mode 0700, after the change of user), points
/*	TMPDIR at it (libclamav's per-scan directories) and makes it the
/*	working directory. The master removes it when it reaps the child.
/*
/*	A child exits when told to stop (SIGTERM, a drain: at once when
/*	idle, after the transaction in hand when busy, the session then
/*	closed with 421), when retired (SIGUSR1, a reload: at the end of
/*	the session in hand, which is bounded: session.h), after
/*	max_requests messages (at the end of the session in hand, however
/*	many it carries), or when the master goes away (as SIGTERM).
/*	A child that will accept nothing more (retired, or max_requests
/*	reached in a session) closes its copies of the listening sockets
/*	at once, so that a listener a reload removed refuses connections.
/*	The master forks with SIGUSR1 and SIGTERM blocked: a child told to
/*	retire or stop before its handlers are in place is not killed.
/*	A message is bounded by child_timeout (SIGALRM, default action): a
/*	child killed that way drops its connection, so the front MTA keeps
/*	the message and retries. The protocol code never forks or loops on
/*	accept() (STYLE rule 3).
/*
/*	skel_become_worker() is what the skeleton does first, for the
/*	milter process too (milter.h), which runs libmilter's loop instead
/*	of ours: the change of user, the death signal (exiting at once when
/*	master, the pid the caller had as parent before, is gone already)
/*	and the private directory.
/* PROCESS
/*	children; milter (skel_become_worker).
/*--*/

#include <stddef.h>
#include <sys/types.h>

struct conf;
struct sb_slot;
struct scoreboard;
struct checks;

struct skel_child {
	const struct conf *conf;
	const int *listen_fds;	     /* parallel to conf->listens */
	int status_fd;		     /* write end of the status pipe */
	struct sb_slot *slot;	     /* this child's scoreboard slot */
	const struct checks *checks; /* built in the master */
	struct scoreboard *sb;	     /* the pool's (slots of siblings) */
};

void skel_child_main(const struct skel_child *args) __attribute__((noreturn));
void skel_become_worker(const struct conf *c, pid_t master);

#endif
