#ifndef FILTERD_CHILDDIR_H
#define FILTERD_CHILDDIR_H

/*++
/* NAME
/*	childdir 3h
/* SUMMARY
/*	the private directory of each child under tmp_dir
/* SYNOPSIS
/*	#include "master/childdir.h"
/* DESCRIPTION
/*	Each child keeps everything it writes while it has a message in
/*	hand (the spool file, MIME part files, archive members, libclamav's
/*	per-scan directories) in a directory of its own, tmp_dir/child.PID,
/*	that the child makes after it changed user. Whatever way the child
/*	ends (exit, abort, SIGALRM, SIGKILL), the master removes that
/*	directory when it reaps the child, and at start it removes those an
/*	earlier run left behind: no file of a dead child stays in tmp_dir.
/*
/*	The removal runs as root over what an unprivileged process could
/*	write, so it follows no symbolic link: every step is relative to a
/*	directory descriptor opened with O_NOFOLLOW | O_DIRECTORY, and a
/*	symbolic link is removed, never entered (a link to /etc loses the
/*	link, not /etc). Trees deeper than CHILDDIR_MAX_DEPTH are left,
/*	with an error.
/*
/*	childdir_path() returns "parent/child.PID" in memory the caller
/*	frees with free().
/*
/*	childdir_remove() removes parent/child.PID and everything in it.
/*	It returns 0 when it is gone (also when it never existed), -1 with
/*	the reason in errbuf.
/*
/*	childdir_clean() removes every child.* entry of the directory open
/*	as parent_fd (the leftovers of an earlier run; nothing else is
/*	touched, so a tmp_dir shared with other files loses none of them).
/*	It returns how many it removed, or -1 with the reason of the first
/*	failure in errbuf (it goes on with the others).
/* PROCESS
/*	master.
/*--*/

#include <stddef.h>
#include <sys/types.h>

#define CHILDDIR_PREFIX "child."
#define CHILDDIR_MAX_DEPTH 64

char *childdir_path(const char *parent, pid_t pid);
int childdir_remove(const char *parent, pid_t pid, char *errbuf,
		    size_t errsize);
int childdir_clean(int parent_fd, char *errbuf, size_t errsize);

#endif
