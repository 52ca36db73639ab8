#ifndef FILTERD_SB_VIEW_H
#define FILTERD_SB_VIEW_H

/*++
/* NAME
/*	sb_view 3h
/* SUMMARY
/*	a reader's snapshot of the scoreboard
/* SYNOPSIS
/*	#include "master/sb_view.h"
/* DESCRIPTION
/*	The readers of the scoreboard (filterd-nanny, filterd-snmp) look at
/*	it through this module, so that both show the same numbers.
/*
/*	sb_view_take() copies what a reader needs out of the shared map at
/*	one moment: the header, the counter sums (sb_sum: retired plus live
/*	children), one struct sb_view_child per live child (pid > 0; a slot
/*	reserved for a child being forked, pid -1, is not a child yet) and
/*	the derived gauges: children by state, busy (any state but idle),
/*	busy percentage, stuck (a message in hand for longer than
/*	child_timeout), exhausted (max_servers children, all busy: new
/*	connections wait in the listen backlog). Strings copied from the map are NUL-terminated
/*	whatever a child was writing meanwhile. The caller owns the view
/*	and releases it with sb_view_release().
/*
/*	A reader (struct sb_view_reader) keeps a scoreboard file mapped and
/*	maps it again when the file was replaced (a restarted master makes
/*	a new one), so long-running readers follow restarts.
/*	sb_view_reader_get() returns the current mapping, or NULL with a
/*	reason in errbuf when the file is missing or not of this version;
/*	the mapping stays valid until the next sb_view_reader_get() or
/*	sb_view_reader_close().
/*
/*	sb_view_pid_alive() says whether a process exists and is not a
/*	zombie (one that died but was not waited for is gone for readers).
/*	sb_view_master_alive() says whether the scoreboard's master runs:
/*	its pid is alive and started when the header says the master did
/*	(a pid reused by another process after the master died is not it).
/*
/*	The *_name() functions give the lower-case names used in JSON,
/*	Prometheus labels and SNMP (NULL for an out-of-range value).
/* PROCESS
/*	filterd-nanny, filterd-snmp.
/*--*/

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scoreboard.h"

struct sb_view_child {
	unsigned slot;
	pid_t pid;
	uint32_t generation;
	enum sb_state state;
	char mail_id[sizeof(((struct sb_slot *)0)->mail_id)];
	char queue_id[sizeof(((struct sb_slot *)0)->queue_id)];
	int64_t msg_ms;	  /* time in the message in hand; -1: none */
	int64_t state_ms; /* time in the current state */
	uint64_t bytes;
	uint64_t messages;
	int stuck; /* msg_ms > child_timeout */
};

struct sb_view {
	int64_t now_ms;
	struct sb_header hdr; /* a copy; hdr.retired is not summed here */
	int master_alive;
	struct sb_counters sum;
	struct sb_view_child *children; /* by slot */
	size_t n_children;
	unsigned by_state[SB_STATE_COUNT];
	unsigned busy;
	unsigned idle;
	unsigned stuck;
	unsigned busy_percent; /* 0..100, 0 without children */
	int exhausted;	       /* busy >= max_servers (> 0) */
};

struct sb_view_reader;

void sb_view_take(struct scoreboard *sb, int64_t now_ms, struct sb_view *v);
void sb_view_release(struct sb_view *v);
int sb_view_state_busy(enum sb_state st);
int sb_view_pid_alive(pid_t pid);
int sb_view_master_alive(const struct sb_header *h);
uint64_t sb_view_hist_count(const struct sb_counters *c, enum sb_hist h);

const char *sb_view_ccat_name(enum sb_ccat c);
const char *sb_view_action_name(enum sb_action a);
const char *sb_view_hist_name(enum sb_hist h);

struct sb_view_reader *sb_view_reader_open(const char *path, int writable);
struct scoreboard *sb_view_reader_get(struct sb_view_reader *r, char *errbuf,
				      size_t errsize);
void sb_view_reader_close(struct sb_view_reader **rp);

#endif
