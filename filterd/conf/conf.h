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
/*	returns NULL with "file:line: message" in errbuf. A file (or an
/*	included one) that holds a NUL byte is not text: it is refused at
/*	the NUL's line, never read up to it.
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
/*	clamav.database_at and listens[].where say where a value stands
/*	("file:line"), for the errors found after loading: a signature
/*	database that is not there (checks_create()), a listen address this
/*	user cannot bind (filterd -t).
/*
/*	conf_protocol_name() names a listener's protocol ("smtp",
/*	"lmtp", "am.pdp"). A pdp_socket is the last listener, with
/*	unix_socket set, addr its path and the bank named by pdp_bank.
/*
/*	conf_print_defaults() and conf_print_changed() write the parameter
/*	table with its documentation and defaults (filterd -d), or the
/*	top-level values that differ from their defaults (filterd -n).
/*--*/

#include <stddef.h>
#include <stdio.h>

#include "conf_bank_keys.h"
#include "util/inet.h"

enum conf_protocol {
	CONF_PROTO_SMTP,
	CONF_PROTO_LMTP,
	CONF_PROTO_AMPDP, /* quarantine release (pdp/pdp_server.h) */
};

struct conf_strlist {
	char **v;
	size_t n;
};

struct re;

struct conf_relist {
	struct re **v;
	size_t n;
};

/* Where blocked mail is kept. */
enum conf_quarantine {
	CONF_Q_NONE,
	CONF_Q_LOCAL,
	CONF_Q_SQL,
};

/* What happens to a recipient of mail in a blocking category. */
enum conf_destiny {
	CONF_D_PASS,
	CONF_D_DISCARD,
	CONF_D_BOUNCE,
	CONF_D_REJECT,
	CONF_D_TEMPFAIL,
};

/*
 * The keys a policy bank may set (conf_params.h has their table: name,
 * type, built-in value, documentation). Overlaying banks copies a key
 * from the bank that sets it, so this struct holds values only.
 */
struct conf_bank_values {
	struct conf_strlist forward; /* next hops, tried in order */
	struct conf_strlist notify;  /* next hops for DSNs and notices */
	struct conf_strlist release; /* next hops for quarantine release */
	struct conf_strlist requeue; /* next hops for a requeue (AM.PDP) */
	int auth_required_release;   /* AM.PDP: secret_id required */
	int originating;
	double spam_tag_level;
	double spam_tag2_level;
	double spam_kill_level;
	double spam_dsn_cutoff_level;
	double penpals_bonus_score;
	char *spam_subject_tag;
	int final_virus_destiny; /* enum conf_destiny */
	int final_banned_destiny;
	int final_spam_destiny;
	int final_unchecked_destiny;
	int bypass_virus_checks;
	int bypass_spam_checks;
	int bypass_banned_checks;
	struct conf_relist banned_filename;
	struct conf_relist banned_type;
	int virus_quarantine; /* enum conf_quarantine */
	int banned_quarantine;
	int spam_quarantine;
	int unchecked_quarantine;
	int banned_double_extension;
	int milter_hold; /* milter: hold quarantined mail, not discard */
};

/* Bank keys by number; bit CONF_BANK_BIT(k) of conf_bank.set says "set". */
enum conf_bank_key {
#define CONF_BANK_ENUM(key, name, type, builtin, doc) CONF_BANK_##key,
	CONF_BANK_KEYS(CONF_BANK_ENUM)
#undef CONF_BANK_ENUM
		CONF_BANK_CLIENT_NETWORKS,
	CONF_BANK_KEY_COUNT,
};

#define CONF_BANK_BIT(k) (1u << (k))

struct conf_bank {
	char *name;
	unsigned set;
	struct conf_bank_values v;
	struct cidr *client_networks; /* selects the bank; not overlaid */
	size_t n_client_networks;
};

#define CONF_MAX_LISTENS 64    /* a child holds a copy of each */
#define CONF_UNIX_PATH_MAX 108 /* sun_path */

struct conf_listen {
	char *addr; /* as written: "127.0.0.1:10024" */
	char host[256];
	char port[16];
	enum conf_protocol protocol;
	int unix_socket; /* addr is the path of a unix socket (pdp_socket) */
	const struct conf_bank *bank;
	char *where; /* "file:line" of the listen section; default: "" */
};

/* {daemon_name} or {daemon_port} of a milter connection, and its bank. */
struct conf_milter_map {
	char *key;
	const struct conf_bank *bank;
};

/* The milter front end (milter/milter.h); socket "": none. */
struct conf_milter {
	char *socket; /* "inet:PORT@HOST", "inet6:...", "unix:/path" */
	char *where;  /* "file:line" of the section; default: "" */
	const struct conf_bank *bank;
	int max_connections;
	int timeout; /* seconds of MTA silence (smfi_settimeout) */
	struct conf_milter_map *daemon_banks;
	size_t n_daemon_banks;
	const struct conf_bank *auth_bank; /* {auth_authen} set; NULL: none */
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
	int forward_cache_time;
	struct cidr *mynetworks;
	size_t n_mynetworks;
	struct conf_strlist local_domains;
	char *virus_scanned_header;
	int max_mime_depth;
	int max_mime_parts;
	long max_header_field_size;
	long max_header_fields;
	int max_archive_depth;
	int max_archive_files;
	long max_decoded_size;
	long spam_max_size;
	struct conf_strlist spam_rules;
	char *rules_cache_dir;	  /* compiled rule databases; "": none */
	int rules_cache_readonly; /* -t: read the cache, write nothing */
	struct {
		int enabled;	   /* false: no virus check, by choice */
		char *database;	   /* signature directory */
		char *database_at; /* "file:line" where set; NULL: default */
		long max_filesize;
		long max_scansize;
		int max_recursion;
		int max_files;
		int max_scantime;
		int disable_cache;
	} clamav;
	char *quarantine_dir;
	int quarantine_gzip;
	struct {
		struct conf_strlist storage; /* DSNs, tried in order */
		struct conf_strlist lookup;
		int retry_interval; /* seconds before a failed DSN again */
		int connect_timeout;
		int log_failure_tempfail; /* log rows failing: 4xx, else pass */
		int penpals_halflife;	  /* days */
	} sql;
	struct {
		char *address; /* empty: no spamd */
		int timeout;
		char *user;
	} spamd;
	char *pdp_socket;	  /* AM.PDP unix socket path, "" for none */
	char *pdp_group;	  /* its group, "" for the user's */
	struct cidr *pdp_clients; /* who may use an inet am.pdp listener */
	size_t n_pdp_clients;
	int pdp_timeout; /* seconds: a request line, a request, between */
	struct conf_listen *listens;
	size_t n_listens; /* at most CONF_MAX_LISTENS */
	struct conf_bank *banks;
	size_t n_banks;
	struct conf_milter milter;
};

struct conf *conf_load(const char *file, char *errbuf, size_t errsize);
void conf_free(struct conf **cp);
const struct conf_bank *conf_bank_find(const struct conf *c, const char *name);
const char *conf_protocol_name(enum conf_protocol p);
const char *conf_milter_socket_why(const char *spec);
void conf_print_defaults(FILE *fp);
int conf_print_changed(const char *file, FILE *fp);

#endif
