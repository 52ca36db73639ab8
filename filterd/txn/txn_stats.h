#ifndef FILTERD_TXN_STATS_H
#define FILTERD_TXN_STATS_H

/*++
/* NAME
/*	txn_stats 3h
/* SUMMARY
/*	count a message's outcome in the scoreboard
/* DESCRIPTION
/*	txn_stats_account() adds one finished message to the counters of
/*	its process's scoreboard slot (nothing when txn->slot is NULL):
/*	messages and recipients by content category and by action, bytes
/*	in, and the total, receive and forward latency histograms. A
/*	message counts once for each action that any of its recipients
/*	got. A message whose copy was kept in quarantine (a local file
/*	written, or an SQL quarantine committed) also counts once as
/*	quarantined, and each recipient the policy blocked counts as
/*	quarantined besides its own action (discarded, bounced, ...).
/*	Scanners and the forwarder count their own figures (their
/*	latencies, bytes out, next-hop failures) where they happen.
/*--*/

struct txn;

void txn_stats_account(const struct txn *t);

#endif
