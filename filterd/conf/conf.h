#ifndef FILTERD_CONF_H
#define FILTERD_CONF_H

/*++
/* NAME
/*	conf 3h
/* SUMMARY
/*	the validated, read-only configuration
/* SYNOPSIS
/*	#include "conf/conf.h"
/* DESCRIPTION
/*	conf_load() reads FILE (or, with FILE null, nothing: the embedded
/*	defaults) with libconfuse against the one parameter table in
/*	conf_params.c, checks every value, and returns a plain struct conf
/*	that the caller owns and releases with conf_free(). On error it
/*	returns NULL with "file:line: message" in errbuf.
/*
/*	The master loads the configuration before forking; children see it
/*	only as const struct conf * (STYLE rule 7). Nothing in a struct conf
/*	changes after conf_load() returns.
/*
/*	Policy banks are kept as written (struct conf_bank): a key a bank
/*	does not set is marked unset, so that policy/bank.c can overlay
/*	banks the amavis way. banks[0] is always "default", with every key
/*	set (from the file or from the built-in defaults).
/*
/*	conf_print_defaults() and conf_print_changed() write the parameter
/*	table with its documentation and defaults (filterd -d), or the
/*	top-level values that differ from their defaults (filterd -n).
/*--*/

#include <stddef.h>
#include <stdio.h>

#include "util/inet.h"

enum conf_protocol {
	CONF_PROTO_SMTP,
	CONF_PROTO_LMTP,
};

/* Bits of conf_bank.set: which keys a bank gives. */
#define CONF_BANK_FORWARD (1u << 0)
#define CONF_BANK_NOTIFY (1u << 1)
#define CONF_BANK_RELEASE (1u << 2)
#define CONF_BANK_ORIGINATING (1u << 3)
#define CONF_BANK_CLIENT_NETWORKS (1u << 4)

struct conf_strlist {
	char **v;
	size_t n;
};

struct conf_bank {
	char *name;
	unsigned set;
	struct conf_strlist forward; /* next hops, tried in order */
	struct conf_strlist notify;  /* next hops for notifications, DSNs */
	struct conf_strlist release; /* next hops for quarantine release */
	int originating;
	struct cidr *client_networks;
	size_t n_client_networks;
};

struct conf_listen {
	char *addr; /* as written: "127.0.0.1:10024" */
	char host[256];
	char port[16];
	enum conf_protocol protocol;
	const struct conf_bank *bank;
};

struct conf {
	char *file;
	char *syslog_ident;
	int syslog_facility;
	char *user;
	char *run_dir;
	char *tmp_dir;
	char *myhostname;
	int min_servers;
	int max_servers;
	int max_requests;
	int child_timeout;
	long message_size_limit;
	int max_recipients;
	int smtpd_timeout;
	int command_line_limit;
	int listen_backlog;
	int forward_connect_timeout;
	int forward_timeout;
	int forward_data_timeout;
	struct cidr *mynetworks;
	size_t n_mynetworks;
	struct conf_listen *listens;
	size_t n_listens;
	struct conf_bank *banks;
	size_t n_banks;
};

struct conf *conf_load(const char *file, char *errbuf, size_t errsize);
void conf_free(struct conf **cp);
const struct conf_bank *conf_bank_find(const struct conf *c, const char *name);
void conf_print_defaults(FILE *fp);
int conf_print_changed(const char *file, FILE *fp);

#endif
