#ifndef FILTERD_STATUS_H
#define FILTERD_STATUS_H

/*++
/* NAME
/*	status 3h
/* SUMMARY
/*	child to master status messages
/* DESCRIPTION
/*	Children tell the master when they become busy or idle, over one
/*	pipe shared by all children. A message is a fixed-size record,
/*	smaller than PIPE_BUF, so each write is atomic.
/*
/*	status_send() writes one record for the child pid (errors are
/*	ignored: a master that is gone is noticed elsewhere). status_recv()
/*	reads as many whole records as are waiting into out[0..max) and
/*	returns their number, 0 when none, -1 at EOF or error.
/*--*/

#include <sys/types.h>

enum status_state {
	STATUS_IDLE,
	STATUS_BUSY,
};

struct status_msg {
	pid_t pid;
	int state;
};

void status_send(int fd, pid_t pid, enum status_state state);
int status_recv(int fd, struct status_msg *out, int max);

#endif
