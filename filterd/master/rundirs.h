#ifndef FILTERD_MASTER_RUNDIRS_H
#define FILTERD_MASTER_RUNDIRS_H

/*++
/* NAME
/*	rundirs 3h
/* SUMMARY
/*	the directories filterd runs in: made at start, checked by -t
/* SYNOPSIS
/*	#include "master/rundirs.h"
/* DESCRIPTION
/*	rundirs_make() makes run_dir (owned by the master: the children
/*	write nothing there), tmp_dir and quarantine_dir (owned by
/*	conf->user, for the children) and their parents where missing,
/*	setting owners through descriptors opened with O_NOFOLLOW: a
/*	symbolic link in place of one of them is refused, never followed.
/*	0, or -1 with the reason in err.
/*
/*	A directory with the sticky bit (/tmp, set by mistake) is refused
/*	by both: its owner and mode would change.
/*
/*	Modes: run_dir 0750, owner root, group that of rundirs_group();
/*	tmp_dir 0700 and quarantine_dir 0750 when made, and an existing
/*	one loses any access of others (an admin's group bits stay).
/*
/*	rundirs_group() gives the group of run_dir, the scoreboard and the
/*	pid file, whose members may read them (filterd-nanny, filterd-snmp)
/*	and reach a pdp_socket made in run_dir: pdp_group, else the group
/*	of user; (gid_t)-1 when not root or user is empty (nothing is
/*	given). 0, or -1 with the reason in err.
/*
/*	rundirs_check() checks, for filterd -t, what rundirs_make() and the
/*	children will need, and makes nothing: conf->user exists (as
/*	root), run_dir, tmp_dir and quarantine_dir are directories, not
/*	symbolic links, or can be made where they are missing, and the
/*	children (conf->user, in a process that became that user) can
/*	enter the parents of tmp_dir and quarantine_dir. 0, or -1 with
/*	every problem found in err, one a line.
/*
/*	rundirs_open() opens dir as a directory, never through a symbolic
/*	link, and fstat()s it into *st: the descriptor (the caller closes
/*	it), or -1 with the reason in err.
/* PROCESS
/*	master; rundirs_check() in filterd -t.
/*--*/

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct conf;

int rundirs_make(const struct conf *c, char *err, size_t errsize);
int rundirs_check(const struct conf *c, char *err, size_t errsize);
int rundirs_open(const char *dir, struct stat *st, char *err, size_t errsize);
int rundirs_group(const struct conf *c, gid_t *gid, char *err, size_t errsize);

#endif
