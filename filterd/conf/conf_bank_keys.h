#ifndef FILTERD_CONF_BANK_KEYS_H
#define FILTERD_CONF_BANK_KEYS_H

/*++
/* NAME
/*	conf_bank_keys 3h
/* SUMMARY
/*	the one list of policy bank keys
/* DESCRIPTION
/*	CONF_BANK_KEYS(X) lists every key a policy bank may set. From it come
/*	the fields of struct conf_bank_values (conf.h, by hand, checked by
/*	the offsetof in conf_params.c), the libconfuse options of a bank
/*	section, conf_bank_key_defs[] (name, type, field offset, built-in
/*	value, documentation), the reading and checking of values (conf.c)
/*	and the overlay of banks (policy/bank.c).
/*--*/

#include <stddef.h>

/*
 * Policy bank keys: X(KEY, name, type, built-in value, documentation).
 * This one list makes the libconfuse bank section, the documentation,
 * the reading and checking of values and the overlay (conf.c, bank.c).
 * A built-in value is what the "default" bank has when no file sets the
 * key ("" for lists: empty; notify and release default to the lists
 * above them).
 */
#define CONF_BANK_KEYS(X)                                                      \
	X(FORWARD, forward, HOPS, "127.0.0.1:10025",                           \
	  "next hops \"host:port\" for passed mail, tried in order")           \
	X(NOTIFY, notify, HOPS, "", "next hops for DSNs and notices")          \
	X(RELEASE, release, HOPS, "",                                          \
	  "next hops for mail released from quarantine")                       \
	X(REQUEUE, requeue, HOPS, "127.0.0.1:25",                              \
	  "next hops for mail requeued from quarantine (AM.PDP requeue): "     \
	  "the front MTA, so that it is checked again")                        \
	X(AUTH_REQUIRED_RELEASE, auth_required_release, BOOL, "true",          \
	  "an AM.PDP release or requeue through a listener of this bank "      \
	  "needs the secret_id (a secret_id given is always checked)")         \
	X(ORIGINATING, originating, BOOL, "false",                             \
	  "mail from our own users (outbound): true or false")                 \
	X(SPAM_TAG_LEVEL, spam_tag_level, FLOAT, "2.0",                        \
	  "spam score from which X-Spam-* header fields are added")            \
	X(SPAM_TAG2_LEVEL, spam_tag2_level, FLOAT, "6.31",                     \
	  "spam score from which mail is SPAMMY: X-Spam-Flag YES, subject "    \
	  "tag")                                                               \
	X(SPAM_KILL_LEVEL, spam_kill_level, FLOAT, "6.31",                     \
	  "spam score from which mail is SPAM: final_spam_destiny applies")    \
	X(SPAM_DSN_CUTOFF_LEVEL, spam_dsn_cutoff_level, FLOAT, "10",           \
	  "no DSN for spam scoring this much or more")                         \
	X(PENPALS_BONUS_SCORE, penpals_bonus_score, FLOAT, "0",                \
	  "score taken off replies to mail the recipient sent (pen pals; "     \
	  "needs sql.storage); 0: off")                                        \
	X(SPAM_SUBJECT_TAG, spam_subject_tag, STR, "",                         \
	  "text put before the Subject of SPAMMY mail (e.g. \"***SPAM*** \")") \
	X(FINAL_VIRUS_DESTINY, final_virus_destiny, DESTINY, "discard",        \
	  "pass, discard, bounce or reject mail with a virus")                 \
	X(FINAL_BANNED_DESTINY, final_banned_destiny, DESTINY, "discard",      \
	  "pass, discard, bounce or reject mail with a banned part")           \
	X(FINAL_SPAM_DESTINY, final_spam_destiny, DESTINY, "pass",             \
	  "pass, discard, bounce or reject SPAM (at spam_kill_level)")         \
	X(FINAL_UNCHECKED_DESTINY, final_unchecked_destiny, DESTINY, "pass",   \
	  "pass (with X-Amavis-Alert), discard, bounce, reject or tempfail "   \
	  "mail whose content cannot be checked (limits, encrypted or broken " \
	  "archives, ambiguous MIME); a failed check is always a tempfail. "   \
	  "Passed mail whose MIME was ambiguous or not parsed in full is "     \
	  "defanged")                                                          \
	X(BYPASS_VIRUS_CHECKS, bypass_virus_checks, BOOL, "false",             \
	  "skip the virus check, unless a recipient's SQL policy says "        \
	  "bypass_virus_checks = 'N' (it runs when any recipient wants it)")   \
	X(BYPASS_SPAM_CHECKS, bypass_spam_checks, BOOL, "false",               \
	  "skip the spam check, unless a recipient's SQL policy says "         \
	  "bypass_spam_checks = 'N' (it runs when any recipient wants it)")    \
	X(BYPASS_BANNED_CHECKS, bypass_banned_checks, BOOL, "false",           \
	  "skip the banned-attachment check, unless a recipient's SQL "        \
	  "policy says bypass_banned_checks = 'N' (it runs when any "          \
	  "recipient wants it)")                                               \
	X(BANNED_FILENAME, banned_filename, REGEXES, "",                       \
	  "PCRE2 patterns: a part or archive member whose file name matches "  \
	  "is banned")                                                         \
	X(BANNED_TYPE, banned_type, REGEXES, "",                               \
	  "PCRE2 patterns: a part whose declared or detected MIME type "       \
	  "matches is banned")                                                 \
	X(VIRUS_QUARANTINE, virus_quarantine, QUARANTINE, "local",             \
	  "where blocked mail with a virus is kept: local, sql or none")       \
	X(BANNED_QUARANTINE, banned_quarantine, QUARANTINE, "local",           \
	  "where blocked mail with a banned part is kept: local, sql or none") \
	X(SPAM_QUARANTINE, spam_quarantine, QUARANTINE, "local",               \
	  "where blocked SPAM is kept: local, sql or none")                    \
	X(UNCHECKED_QUARANTINE, unchecked_quarantine, QUARANTINE, "none",      \
	  "where blocked UNCHECKED mail is kept: local, sql or none")          \
	X(BANNED_DOUBLE_EXTENSION, banned_double_extension, BOOL, "false",     \
	  "ban names like invoice.pdf.exe (a document extension, then an "     \
	  "executable one)")                                                   \
	X(MILTER_HOLD, milter_hold, BOOL, "false",                             \
	  "milter front end: quarantined mail is held in the MTA's hold "      \
	  "queue (smfi_quarantine) instead of discarded")

enum conf_bank_type {
	CONF_BANK_HOPS,
	CONF_BANK_BOOL,
	CONF_BANK_FLOAT,
	CONF_BANK_STR,
	CONF_BANK_DESTINY,
	CONF_BANK_REGEXES,
	CONF_BANK_QUARANTINE,
};

struct conf_bank_key_def {
	const char *name;
	enum conf_bank_type type;
	size_t offset; /* in struct conf_bank_values */
	const char *builtin;
	const char *doc;
};

/* The table made from CONF_BANK_KEYS (conf_params.c). */
extern const struct conf_bank_key_def conf_bank_key_defs[];

#endif
