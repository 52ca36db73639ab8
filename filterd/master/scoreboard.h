#ifndef FILTERD_SCOREBOARD_H
#define FILTERD_SCOREBOARD_H

/*++
/* NAME
/*	scoreboard 3h
/* SUMMARY
/*	shared-memory scoreboard and counters of the pool
/* SYNOPSIS
/*	#include "master/scoreboard.h"
/* DESCRIPTION
/*	One file, run_dir/scoreboard, mapped shared. The master creates it
/*	before the first fork (sb_create); children inherit the mapping and
/*	each writes only its own slot, with plain stores: no lock is ever
/*	taken on the mail path. Readers (filterd-nanny, filterd-snmp) map
/*	it with sb_open() and never write, except the nanny's --reap.
/*
/*	The layout is fixed and versioned: struct sb_header, then n_slots
/*	struct sb_slot. A reader refuses a file whose magic, version or
/*	sizes differ from its own (SB_VERSION changes with the layout).
/*
/*	Counters are per child (in its slot) and summed by readers. When a
/*	child is gone, sb_slot_release() adds its counters to the header's
/*	"retired" set and frees the slot, inside a sequence counter that
/*	sb_sum() checks, so a sum never counts a child twice or not at all
/*	and a counter never goes backwards.
/*
/*	A new child's slot is reserved before fork (sb_slot_reserve: the
/*	slot is made ready and marked taken with pid -1) and given its pid
/*	after (sb_slot_born), so the child never races the master on it.
/*	sb_slot_release() also frees a reserved slot whose fork failed.
/*
/*	Times are milliseconds of CLOCK_REALTIME (sb_now_ms()).
/*
/*	sb_count_pdp() counts the live children whose slot says they serve
/*	an AM.PDP connection (pdp = 1, set and cleared by the child).
/*
/*	Trust: every child maps the whole file read-write, so a child
/*	that runs hostile code can write any byte of it: the header
/*	(master_pid, master_start, child_timeout, fold_seq, counters) and
/*	every slot. Readers may show what it says, but nothing that acts
/*	on processes as root may rest on it: filterd-nanny --kill-stuck
/*	takes the master from the lock on run_dir/filterd.pid (master.h),
/*	child_timeout and user from the configuration file, and signals a
/*	slot's pid only when the kernel says it is a child of that master
/*	running as user (a process the child could signal itself). A
/*	child can thus lie about itself and its siblings (which it can
/*	kill anyway), never get another process signalled. A forged odd
/*	fold_seq only makes sb_sum() give up after a bounded number of
/*	tries (counters, not processes).
/*
/*	All sb_slot_* and sb_hist_add calls accept a NULL slot (a process
/*	without a scoreboard, such as a unit test) and then do nothing.
/* PROCESS
/*	master (create, claim, release), children (their slot), nanny and
/*	snmp (read).
/*--*/

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SB_MAGIC 0x42534446u /* "FDSB" */
#define SB_VERSION 3
#define SB_SLOTS 1024 /* twice the children a pool may have, and more */

/* What a child is doing. */
enum sb_state {
	SB_FREE = 0,
	SB_IDLE,      /* waiting for a connection */
	SB_GREETING,  /* connected, between messages */
	SB_RECEIVING, /* MAIL .. end of DATA */
	SB_PARSING,
	SB_VIRUS,
	SB_SPAM,
	SB_SQL,
	SB_FORWARDING,
	SB_REPLYING,
	SB_STATE_COUNT,
};

/* Content categories, in txn_ccat order. */
enum sb_ccat {
	SB_CCAT_CLEAN,
	SB_CCAT_SPAMMY,
	SB_CCAT_SPAM,
	SB_CCAT_UNCHECKED,
	SB_CCAT_BANNED,
	SB_CCAT_VIRUS,
	SB_CCAT_COUNT,
};

enum sb_action {
	SB_ACT_PASSED,
	SB_ACT_DISCARDED,
	SB_ACT_BOUNCED,
	SB_ACT_REJECTED,
	SB_ACT_QUARANTINED,
	SB_ACT_TEMPFAILED,
	SB_ACT_COUNT,
};

/* Latency histograms. */
enum sb_hist {
	SB_H_TOTAL,
	SB_H_RECEIVE,
	SB_H_VIRUS,
	SB_H_BANNED,
	SB_H_SPAM,
	SB_H_FORWARD,
	SB_H_COUNT,
};

/* Bucket i counts durations <= sb_hist_bounds[i] ms; the last is +inf. */
#define SB_HIST_BUCKETS 16
extern const uint32_t sb_hist_bounds[SB_HIST_BUCKETS - 1];

struct sb_counters {
	uint64_t msgs_ccat[SB_CCAT_COUNT];
	uint64_t rcpts_ccat[SB_CCAT_COUNT];
	uint64_t msgs_action[SB_ACT_COUNT];
	uint64_t rcpts_action[SB_ACT_COUNT];
	uint64_t msgs_in; /* messages received to the end */
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t nexthop_failures;  /* a next hop given up on */
	uint64_t nexthop_failovers; /* delivered after such a failure */
	uint64_t sql_failures;
	uint64_t sql_failovers;
	uint64_t hist[SB_H_COUNT][SB_HIST_BUCKETS];
	uint64_t hist_sum_ms[SB_H_COUNT];
	/* Quarantine release over AM.PDP (pdp/pdp_release.c): requests
	 * that got a 2xx for some recipient, and those that did not. */
	uint64_t releases;
	uint64_t requeues;
	uint64_t release_failures; /* release or requeue: none got 2xx */
};

struct sb_slot {
	int32_t pid; /* 0: free */
	uint32_t generation;
	uint32_t state; /* enum sb_state */
	uint32_t pdp;	/* 1 while the child serves an AM.PDP connection */
	int64_t msg_start_ms; /* 0 when no message is in hand */
	int64_t state_start_ms;
	uint64_t bytes;	   /* of the message in hand, so far */
	uint64_t messages; /* messages this child finished */
	char mail_id[16];
	char queue_id[32]; /* the front MTA's (XFORWARD IDENT) */
	struct sb_counters c;
};

struct sb_header {
	uint32_t magic;
	uint32_t version;
	uint32_t n_slots;
	uint32_t slot_size;
	uint32_t header_size;
	int32_t master_pid;
	int64_t started_ms;
	uint32_t child_timeout; /* seconds, from the configuration */
	uint32_t min_servers;
	uint32_t max_servers;
	uint32_t fold_seq; /* odd while a child's counters move */
	uint64_t child_starts;
	uint64_t child_exits;
	uint64_t child_kills;	    /* children killed by a signal */
	struct sb_counters retired; /* of children that are gone */
	uint64_t master_start;	    /* /proc/PID/stat starttime, 0: none */
};

struct scoreboard;

struct scoreboard *sb_create(const char *path, char *errbuf, size_t errsize);
struct scoreboard *sb_open(const char *path, int writable, char *errbuf,
			   size_t errsize);
void sb_close(struct scoreboard **sbp);
struct sb_header *sb_header(struct scoreboard *sb);
struct sb_slot *sb_slot(struct scoreboard *sb, unsigned i);
int sb_slot_reserve(struct scoreboard *sb, unsigned generation);
void sb_slot_born(struct scoreboard *sb, unsigned i, pid_t pid);
void sb_slot_release(struct scoreboard *sb, unsigned i);
void sb_sum(struct scoreboard *sb, struct sb_counters *out);
unsigned sb_count_pdp(struct scoreboard *sb);
uint64_t sb_proc_start(pid_t pid);
int64_t sb_now_ms(void);
const char *sb_state_name(enum sb_state st);

void sb_slot_state(struct sb_slot *s, enum sb_state st);
void sb_slot_message(struct sb_slot *s, const char *mail_id,
		     const char *queue_id);
void sb_slot_message_done(struct sb_slot *s);
void sb_hist_add(struct sb_counters *c, enum sb_hist h, long ms);
void sb_counters_add(struct sb_counters *to, const struct sb_counters *from);

#endif
