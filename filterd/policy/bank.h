#ifndef FILTERD_BANK_H
#define FILTERD_BANK_H

/*++
/* NAME
/*	bank 3h
/* SUMMARY
/*	choose a message's policy banks and overlay them
/* SYNOPSIS
/*	#include "policy/bank.h"
/* DESCRIPTION
/*	bank_select() chooses the banks for one message the amavis way: the
/*	default bank, then the bank of the listener the message arrived on,
/*	then the first bank (in configuration order) whose client_networks
/*	holds the client address (XFORWARD ADDR, else the peer). Each bank
/*	overlays the ones before it: a key it leaves unset keeps the value
/*	from below. The result is a struct bank_view whose pointers borrow
/*	from the const configuration (valid as long as it is).
/*
/*	bank_select_banks() does the same with a list of banks in place
/*	of the listener's, overlaid in order (a bank repeated next to
/*	itself counts once): the milter front end's listener bank, daemon
/*	bank and authenticated-client bank.
/*
/*	view->path names the banks above default, "/"-separated
/*	("AUTHENTICATED/HOSTING"), or "default" when none applies; it is
/*	what the log line and (later) msgs.policy show.
/* PROCESS
/*	children, milter process.
/*--*/

#include "conf/conf.h"

struct bank_view {
	char path[256];
	struct conf_bank_values v; /* borrowed from the configuration */
};

void bank_select_banks(const struct conf *c,
		       const struct conf_bank *const *banks, size_t n,
		       const char *client_addr, struct bank_view *view);
void bank_select(const struct conf *c, const struct conf_bank *listener_bank,
		 const char *client_addr, struct bank_view *view);

#endif
