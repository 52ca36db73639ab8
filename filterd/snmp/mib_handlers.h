#ifndef FILTERD_MIB_HANDLERS_H
#define FILTERD_MIB_HANDLERS_H

/*++
/* NAME
/*	mib_handlers 3h
/* SUMMARY
/*	net-snmp handler for FILTERD-MIB, fed from the scoreboard
/* SYNOPSIS
/*	#include "snmp/mib_handlers.h"
/* DESCRIPTION
/*	mib_handlers_register() registers one read-only handler for the
/*	whole FILTERD-MIB subtree (mib_view.h has the OIDs) with the
/*	net-snmp agent library; call it after init_agent() and before
/*	init_snmp(). The handler answers GET, GETNEXT (GETBULK arrives as
/*	GETNEXT) and AgentX's inclusive GETNEXT from a snapshot of the
/*	scoreboard at sb_path, taken once per request PDU: the file is
/*	mapped read-only and mapped again when a restarted master replaced
/*	it. While the file is missing or of another version the subtree
/*	has no instances (GET: noSuchInstance); that is logged once per
/*	change of the reason.
/*
/*	The returned context lives as long as the process: net-snmp keeps
/*	a pointer to it in the registration.
/* DIAGNOSTICS
/*	mib_handlers_register() returns NULL when net-snmp refuses the
/*	registration.
/* PROCESS
/*	filterd-snmp.
/*--*/

struct mib_handlers;

struct mib_handlers *mib_handlers_register(const char *sb_path);

#endif
