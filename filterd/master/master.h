#ifndef FILTERD_MASTER_H
#define FILTERD_MASTER_H

/*++
/* NAME
/*	master 3h
/* SUMMARY
/*	the master process: listeners and the prefork pool
/* SYNOPSIS
/*	#include "master/master.h"
/* DESCRIPTION
/*	master_run() takes ownership of a loaded configuration, prepares
/*	run_dir, tmp_dir and quarantine_dir, binds every listener (before
/*	any child exists, with a large backlog), and then keeps the pool: at
/*	least min_servers children, more (up to max_servers) while none is
/*	idle, fewer when many idle, each dead child replaced (with a
/*	throttle when children die young). It never parses mail.
/*
/*	run_dir is the master's (root's when started as root; the children
/*	write nothing there); tmp_dir and quarantine_dir are the children's
/*	user's. None of them may be a symbolic link: the master sets owners
/*	through descriptors opened with O_NOFOLLOW. Each child works in a
/*	private directory under tmp_dir that the master removes, with all
/*	in it, when it reaps the child (childdir.h); at start it removes
/*	those an earlier run left. tmp_dir is locked (flock) against a
/*	second master. When it reaps a child that had a message in hand,
/*	it also removes the quarantine copy the child may have been writing
/*	under a temporary name (quar_local_leftover(), quar.h).
/*
/*	The master's pid is in run_dir/filterd.pid while it runs (a new
/*	file renamed into place: a symbolic link there is replaced), and
/*	the master holds a POSIX write lock (fcntl F_SETLK) on that file
/*	from then until it exits: the lock's holder, as F_GETLK reports
/*	it, is the live master, which neither a stale file nor anything a
/*	child (which never inherits the descriptor) can fake. filterd-nanny
/*	--kill-stuck takes the master from there, never from the
/*	scoreboard.
/*
/*	SIGHUP re-reads the configuration file. A bad file is logged and
/*	ignored (the running pool keeps going), and so is a reload that
/*	cannot be carried out: a signature database that does not load, a
/*	directory that cannot be made, a new listener that cannot be bound,
/*	a new run_dir (the pid file and the scoreboard, which the children
/*	have mapped, stay where they are: a restart moves them; a new
/*	tmp_dir or quarantine_dir is taken, old children finishing in the
/*	old one).
/*	Such a rejected reload changes nothing: every listener, child,
/*	counter and the generation stay as they were. A good one starts a
/*	new generation: listeners that are still configured keep their
/*	socket (no connection attempt is refused during a reload), removed
/*	ones are closed, old children are told (SIGUSR1) to finish the
/*	session in hand and exit, new ones start with the new
/*	configuration.
/*
/*	With ready_fd >= 0 (a daemon, see filterd(8)), master_run() writes
/*	one byte to it and closes it once every listener is bound, the
/*	engines are loaded, the pid file is written and the signal handlers
/*	are in place, then points standard output and error at /dev/null
/*	and logs to syslog only; a failure before that exits 1 with the
/*	reason on standard error (msg_fatal). With ready_fd -1 it logs to
/*	standard error too, for good.
/*
/*	SIGTERM or SIGINT drains: listeners close, children finish the
/*	message in hand (bounded by child_timeout) and exit, then the
/*	master exits. master_run() returns the exit status.
/*
/* PROCESS
/*	master.
/*--*/

struct conf;

int master_run(struct conf *conf, const char *conf_file, int ready_fd);

#endif
