#ifndef FILTERD_NANNY_VIEW_H
#define FILTERD_NANNY_VIEW_H

/*++
/* NAME
/*	nanny_view 3h
/* SUMMARY
/*	what filterd-nanny prints: table, JSON, Prometheus text
/* SYNOPSIS
/*	#include "tools/nanny_view.h"
/* DESCRIPTION
/*	Formatting of a scoreboard snapshot (sb_view.h), kept apart from
/*	filterd-nanny's main so that it can be tested without processes.
/*	Every function appends to a caller-owned struct buf.
/*
/*	nanny_view_table() prints the amavisd-nanny style table: one row
/*	per child (slot, pid, state, mail_id, queue ID, time in the message
/*	or, when none is in hand, in the state, and a bar of that time
/*	against child_timeout), then a summary (children by state, busy
/*	ratio, stuck children, POOL EXHAUSTED when max_servers children
/*	are all busy, the main counters).
/*
/*	nanny_view_bar() appends "[" width cells "]": one cell of the
/*	state's letter per width-th of child_timeout elapsed (dots while
/*	idle, as amavisd-nanny does), full once child_timeout has passed.
/*
/*	nanny_view_elapsed() appends a duration as [Nd]h:mm:ss.
/*
/*	nanny_view_json() appends one JSON object (one line, then a
/*	newline) with the header, every child, the derived gauges
/*	("exhausted": max_servers children, all busy), every
/*	counter and every histogram (raw per-bucket counts with their
/*	upper bounds in ms; "le": null for the last, unbounded, bucket).
/*
/*	nanny_view_json_string() appends s as a JSON string: quotes,
/*	backslashes, control characters and every byte above 0x7e are
/*	escaped as \uXXXX (bytes, not characters: a queue ID comes from the
/*	front MTA and need not be UTF-8), so the output is always valid
/*	ASCII JSON.
/*
/*	nanny_view_json_text() is the same for text (subjects, addresses):
/*	a well-formed UTF-8 character becomes one \uXXXX (a surrogate pair
/*	past U+FFFF), any other byte above 0x7e stays \u00XX.
/*
/*	nanny_view_prometheus() appends the Prometheus text exposition
/*	format: counters named *_total, gauges for the pool, histograms in
/*	seconds as cumulative _bucket{le=...}, _sum and _count.
/*
/*	nanny_view_state_letter() is the one-character code of a state.
/* PROCESS
/*	filterd-nanny.
/*--*/

#include <stdint.h>

#include "master/sb_view.h"
#include "util/buf.h"

#define NANNY_VIEW_BAR_WIDTH 20

char nanny_view_state_letter(enum sb_state st);
void nanny_view_bar(struct buf *b, int64_t elapsed_ms, unsigned timeout_s,
		    char fill, unsigned width);
void nanny_view_elapsed(struct buf *b, int64_t ms);
void nanny_view_json_string(struct buf *b, const char *s);
void nanny_view_json_text(struct buf *b, const char *s);
void nanny_view_table(struct buf *b, const struct sb_view *v);
void nanny_view_json(struct buf *b, const struct sb_view *v);
void nanny_view_prometheus(struct buf *b, const struct sb_view *v);

#endif
