#ifndef FILTERD_MIB_VIEW_H
#define FILTERD_MIB_VIEW_H

/*++
/* NAME
/*	mib_view 3h
/* SUMMARY
/*	FILTERD-MIB objects as a sorted list of OIDs and values
/* SYNOPSIS
/*	#include "snmp/mib_view.h"
/* DESCRIPTION
/*	What filterd-snmp answers, without net-snmp: mib_view_build()
/*	turns a scoreboard snapshot (sb_view.h) into every instance of
/*	snmp-mib/FILTERD-MIB.txt (scalars with their .0, the rows of the
/*	process, histogram and bucket tables) with full OIDs, sorted in
/*	lexicographic OID order. The layout here and the MIB file must
/*	agree; the integration test checks that snmpwalk names every
/*	instance from the MIB.
/*
/*	mib_view_find() looks an OID up: MIB_VIEW_EXACT (GET), MIB_VIEW_NEXT
/*	(the first instance after oid: GETNEXT) or MIB_VIEW_NEXT_INCLUSIVE
/*	(oid itself if it is an instance, else the next: AgentX's include
/*	flag). It returns NULL when there is none; the pointer is valid
/*	until mib_view_release().
/*
/*	mib_view_oid_cmp() compares OIDs as SNMP orders them (<0, 0, >0).
/*
/*	Values: counters are 64 bits; Gauge32 values saturate at 2^32-1;
/*	TimeTicks wrap modulo 2^32 as RFC 2578 says; strings are printable
/*	ASCII (other bytes become '?', as DisplayString requires).
/*
/*	The caller owns a struct mib_view and releases it with
/*	mib_view_release().
/* PROCESS
/*	filterd-snmp.
/*--*/

#include <stddef.h>
#include <stdint.h>

#include "master/sb_view.h"

/* 1.3.6.1.3.7281: experimental, provisional (see snmp-mib/README.md). */
#define MIB_VIEW_ROOT 1, 3, 6, 1, 3, 7281
#define MIB_VIEW_ROOT_LEN 6
#define MIB_VIEW_OID_MAX 16

enum mib_view_type {
	MIB_VIEW_COUNTER64,
	MIB_VIEW_GAUGE32,
	MIB_VIEW_UNSIGNED32,
	MIB_VIEW_INTEGER,
	MIB_VIEW_TIMETICKS,
	MIB_VIEW_STRING,
};

enum mib_view_mode {
	MIB_VIEW_EXACT,
	MIB_VIEW_NEXT,
	MIB_VIEW_NEXT_INCLUSIVE,
};

struct mib_view_var {
	uint32_t oid[MIB_VIEW_OID_MAX];
	size_t len;
	enum mib_view_type type;
	uint64_t num; /* all but INTEGER and STRING */
	int64_t inum; /* INTEGER */
	char str[32]; /* STRING, NUL-terminated */
};

struct mib_view {
	struct mib_view_var *vars;
	size_t n;
	size_t size;
};

extern const uint32_t mib_view_root[MIB_VIEW_ROOT_LEN];

void mib_view_build(struct mib_view *mv, const struct sb_view *v);
void mib_view_release(struct mib_view *mv);
const struct mib_view_var *mib_view_find(const struct mib_view *mv,
					 const uint32_t *oid, size_t len,
					 enum mib_view_mode mode);
int mib_view_oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b,
		     size_t blen);

#endif
