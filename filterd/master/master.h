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
/*	run_dir and tmp_dir, binds every listener (before any child
/*	exists, with a large backlog), and then keeps the pool: at least
/*	min_servers children, more (up to max_servers) while none is idle,
/*	fewer when many idle, each dead child replaced (with a throttle when
/*	children die young). It never parses mail.
/*
/*	The master's pid is in run_dir/filterd.pid while it runs.
/*
/*	SIGHUP re-reads the configuration file. A bad file is logged and
/*	ignored (the running pool keeps going). A good one starts a new
/*	generation: listeners that are still configured keep their socket
/*	(no connection attempt is refused during a reload), old children are
/*	told to finish the message in hand and exit, new ones start with
/*	the new configuration.
/*
/*	SIGTERM or SIGINT drains: listeners close, children finish the
/*	message in hand (bounded by child_timeout) and exit, then the
/*	master exits. master_run() returns the exit status.
/* PROCESS
/*	master.
/*--*/

struct conf;

int master_run(struct conf *conf, const char *conf_file);

#endif
