/*++
/* NAME
/*	conf_params 3
/* SUMMARY
/*	THE parameter table
/* DESCRIPTION
/*	Each option appears twice, side by side: once in the libconfuse
/*	table (type, default, flags) and once in conf_param_docs[] (range and
/*	documentation). filterd -d prints them together.
/*
/*	Bank keys come from one list, CONF_BANK_KEYS in conf_params.h, and
/*	have no defaults in the libconfuse table (CFGF_NODEFAULT): a bank
/*	that leaves a key unset takes it from the banks below it (policy/
/*	bank.c); the "default" bank takes the built-in value of the list.
/*--*/

#include <stddef.h>

#include "conf.h"
#include "conf_params.h"

static cfg_opt_t listen_opts[] = {
	CFG_STR("protocol", "smtp", CFGF_NONE),
	CFG_STR("bank", "default", CFGF_NONE),
	CFG_END(),
};

static cfg_opt_t clamav_opts[] = {
	CFG_BOOL("enabled", cfg_true, CFGF_NONE),
	CFG_STR("database", "/var/lib/clamav", CFGF_NONE),
	CFG_INT("max_filesize", 52428800, CFGF_NONE),
	CFG_INT("max_scansize", 104857600, CFGF_NONE),
	CFG_INT("max_recursion", 16, CFGF_NONE),
	CFG_INT("max_files", 10000, CFGF_NONE),
	CFG_INT("max_scantime", 120000, CFGF_NONE),
	CFG_BOOL("disable_cache", cfg_true, CFGF_NONE),
	CFG_END(),
};

static cfg_opt_t sql_opts[] = {
	CFG_STR_LIST("storage", "{}", CFGF_NONE),
	CFG_STR_LIST("lookup", "{}", CFGF_NONE),
	CFG_INT("retry_interval", 60, CFGF_NONE),
	CFG_INT("connect_timeout", 5, CFGF_NONE),
	CFG_STR("log_failure", "tempfail", CFGF_NONE),
	CFG_INT("penpals_halflife", 7, CFGF_NONE),
	CFG_END(),
};

static cfg_opt_t spamd_opts[] = {
	CFG_STR("address", "", CFGF_NONE),
	CFG_INT("timeout", 30, CFGF_NONE),
	CFG_STR("user", "", CFGF_NONE),
	CFG_END(),
};

static cfg_opt_t milter_opts[] = {
	CFG_STR("socket", "", CFGF_NONE),
	CFG_STR("bank", "default", CFGF_NONE),
	CFG_INT("max_connections", 20, CFGF_NONE),
	CFG_INT("timeout", 300, CFGF_NONE),
	CFG_STR_LIST("daemon_banks", "{}", CFGF_NONE),
	CFG_STR("auth_bank", "", CFGF_NONE),
	CFG_END(),
};

/* One libconfuse option per bank key, none with a default (overlay). */
#define CONF_BANK_OPT_HOPS(n) CFG_STR_LIST(#n, 0, CFGF_NODEFAULT),
#define CONF_BANK_OPT_REGEXES(n) CFG_STR_LIST(#n, 0, CFGF_NODEFAULT),
#define CONF_BANK_OPT_BOOL(n) CFG_BOOL(#n, cfg_false, CFGF_NODEFAULT),
#define CONF_BANK_OPT_FLOAT(n) CFG_FLOAT(#n, 0, CFGF_NODEFAULT),
#define CONF_BANK_OPT_STR(n) CFG_STR(#n, 0, CFGF_NODEFAULT),
#define CONF_BANK_OPT_DESTINY(n) CFG_STR(#n, 0, CFGF_NODEFAULT),
#define CONF_BANK_OPT_QUARANTINE(n) CFG_STR(#n, 0, CFGF_NODEFAULT),
#define CONF_BANK_OPT(key, name, type, builtin, doc) CONF_BANK_OPT_##type(name)

static cfg_opt_t bank_opts[] = {
	CONF_BANK_KEYS(CONF_BANK_OPT)
		CFG_STR_LIST("client_networks", 0, CFGF_NODEFAULT),
	CFG_END(),
};

#define CONF_BANK_DEF(key, name, type, builtin, doc)                           \
	{#name, CONF_BANK_##type, offsetof(struct conf_bank_values, name),     \
	 builtin, doc},

const struct conf_bank_key_def conf_bank_key_defs[] = {
	CONF_BANK_KEYS(CONF_BANK_DEF){0, 0, 0, 0, 0},
};

cfg_opt_t conf_params[] = {
	CFG_STR("syslog_ident", "filterd", CFGF_NONE),
	CFG_STR("syslog_facility", "mail", CFGF_NONE),
	CFG_STR("user", "filterd", CFGF_NONE),
	CFG_STR("run_dir", "/run/filterd", CFGF_NONE),
	CFG_STR("tmp_dir", "/var/lib/filterd/tmp", CFGF_NONE),
	CFG_STR("myhostname", "", CFGF_NONE),
	CFG_INT("min_servers", 2, CFGF_NONE),
	CFG_INT("max_servers", 10, CFGF_NONE),
	CFG_INT("max_requests", 100, CFGF_NONE),
	CFG_INT("child_timeout", 480, CFGF_NONE),
	CFG_INT("message_size_limit", 52428800, CFGF_NONE),
	CFG_INT("max_recipients", 1000, CFGF_NONE),
	CFG_INT("smtpd_timeout", 300, CFGF_NONE),
	CFG_INT("command_line_limit", 2048, CFGF_NONE),
	CFG_INT("listen_backlog", 1024, CFGF_NONE),
	CFG_INT("forward_connect_timeout", 10, CFGF_NONE),
	CFG_INT("forward_timeout", 300, CFGF_NONE),
	CFG_INT("forward_data_timeout", 300, CFGF_NONE),
	CFG_INT("forward_cache_time", 10, CFGF_NONE),
	CFG_STR_LIST("mynetworks", "{127.0.0.0/8, ::1/128}", CFGF_NONE),
	CFG_STR_LIST("local_domains", "{}", CFGF_NONE),
	CFG_STR("virus_scanned_header", "", CFGF_NONE),
	CFG_INT("max_mime_depth", 20, CFGF_NONE),
	CFG_INT("max_mime_parts", 1000, CFGF_NONE),
	CFG_INT("max_header_field_size", 262144, CFGF_NONE),
	CFG_INT("max_header_fields", 10000, CFGF_NONE),
	CFG_INT("max_archive_depth", 4, CFGF_NONE),
	CFG_INT("max_archive_files", 1000, CFGF_NONE),
	CFG_INT("max_decoded_size", 104857600, CFGF_NONE),
	CFG_INT("spam_max_size", 524288, CFGF_NONE),
	CFG_STR_LIST("spam_rules", "{}", CFGF_NONE),
	CFG_STR("rules_cache_dir", "/var/cache/filterd", CFGF_NONE),
	CFG_SEC("clamav", clamav_opts, CFGF_NONE),
	CFG_SEC("spamd", spamd_opts, CFGF_NONE),
	CFG_SEC("sql", sql_opts, CFGF_NONE),
	CFG_STR("quarantine_dir", "/var/lib/filterd/quarantine", CFGF_NONE),
	CFG_BOOL("quarantine_gzip", cfg_false, CFGF_NONE),
	CFG_STR("pdp_socket", "", CFGF_NONE),
	CFG_STR("pdp_group", "", CFGF_NONE),
	CFG_STR("pdp_bank", "default", CFGF_NONE),
	CFG_STR_LIST("pdp_clients", "{127.0.0.0/8, ::1/128}", CFGF_NONE),
	CFG_INT("pdp_timeout", 10, CFGF_NONE),
	CFG_SEC("milter", milter_opts, CFGF_NONE),
	CFG_SEC("listen", listen_opts,
		CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("bank", bank_opts,
		CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_FUNC("include", conf_include),
	CFG_END(),
};

#define NO_RANGE 1, 0

const struct conf_param_doc conf_param_docs[] = {
	{0, "syslog_ident", NO_RANGE,
	 "syslog ident, so that two instances on one host are told apart"},
	{0, "syslog_facility", NO_RANGE,
	 "syslog facility: mail, daemon, user or local0 .. local7"},
	{0, "user", NO_RANGE,
	 "unprivileged user the children run as when started as root; "
	 "empty: do not change user; a change takes a restart"},
	{0, "run_dir", NO_RANGE,
	 "directory for run-time state (pid file, scoreboard); owned by "
	 "root, not a symbolic link; a change takes a restart"},
	{0, "tmp_dir", NO_RANGE,
	 "spool directory for messages in flight, one child.PID directory "
	 "per child; on disk by default (a tmpfs is faster: size it at "
	 "max_servers x message_size_limit x 2, never on /run); not a "
	 "symbolic link; a change takes a restart"},
	{0, "myhostname", NO_RANGE,
	 "name in the greeting and in EHLO to next hops; empty: the host "
	 "name"},
	{0, "min_servers", 1, 1000, "children kept running at all times"},
	{0, "max_servers", 1, 1000,
	 "most children; match the front MTA's process limit for the "
	 "filter transport"},
	{0, "max_requests", 1, 1000000,
	 "messages a child handles before it retires (at the end of a "
	 "connection)"},
	{0, "child_timeout", 10, 86400,
	 "seconds a child may spend on one message; keep it below the front "
	 "MTA's data_done_timeout"},
	{0, "message_size_limit", 0, 2147483647,
	 "largest message in bytes (SIZE); 0: no limit; raise "
	 "clamav.max_filesize and max_scansize with it"},
	{0, "max_recipients", 1, 100000,
	 "recipients per message; more get 452 4.5.3"},
	{0, "smtpd_timeout", 1, 3600,
	 "seconds to wait for a client command or data before 421; also "
	 "the longest a session may go without a message moving forward "
	 "(MAIL or RCPT taken, end of data; NOOP, RSET and the like do "
	 "not count)"},
	{0, "command_line_limit", 512, 65536,
	 "longest SMTP command line (RFC 5321 512 plus room for MAIL "
	 "parameters and XFORWARD attributes)"},
	{0, "listen_backlog", 16, 65535, "listen(2) backlog of each listener"},
	{0, "forward_connect_timeout", 1, 600,
	 "seconds to connect to a next hop before trying the next one"},
	{0, "forward_timeout", 1, 3600,
	 "seconds to wait for a next hop's reply to a command"},
	{0, "forward_data_timeout", 1, 3600,
	 "seconds to wait for a next hop's reply to the final dot"},
	{0, "forward_cache_time", 0, 3600,
	 "seconds a next-hop session is kept open for the next message "
	 "(probed with RSET); 0: close after each message"},
	{0, "mynetworks", NO_RANGE,
	 "networks allowed to send XFORWARD (address/bits)"},
	{0, "local_domains", NO_RANGE,
	 "recipient domains that get X-Spam-* header fields (\"example.com\" "
	 "or \".example.com\" with subdomains); empty: every recipient"},
	{0, "virus_scanned_header", NO_RANGE,
	 "X-Virus-Scanned value; empty: \"filterd at <myhostname>\""},
	{0, "max_mime_depth", 1, 1000,
	 "MIME nesting deeper than this leaves a message UNCHECKED; the "
	 "parts left out were never checked, so a passed copy is defanged"},
	{0, "max_mime_parts", 1, 1000000,
	 "more MIME parts than this leave a message UNCHECKED; the parts "
	 "left out were never checked, so a passed copy is defanged. More "
	 "than twice this plus 1000 lines that begin with \"--\": not "
	 "parsed at all (the spam checks read it raw, the banned check the "
	 "names its raw part headers declare)"},
	{0, "max_header_field_size", 1024, 1073741824,
	 "a header field (with its continuation lines) longer than this, in "
	 "the message's header or a part's, leaves the message UNCHECKED "
	 "and defanged without parsing its MIME (the spam checks read it "
	 "raw, the banned check the names its raw part headers declare); "
	 "parsing costs up to 60 times a field's size (Postfix cuts "
	 "fields at header_size_limit, 102400)"},
	{0, "max_header_fields", 10, 10000000,
	 "more header fields than this, the message's and its parts' "
	 "together, leave the message UNCHECKED and defanged without "
	 "parsing its MIME (the spam checks read it raw, the banned check "
	 "the names its raw part headers declare; parsing keeps some 600 "
	 "bytes per field)"},
	{0, "max_archive_depth", 0, 100,
	 "archives nested deeper than this are not opened (UNCHECKED)"},
	{0, "max_archive_files", 1, 10000000,
	 "more archive members than this leave a message UNCHECKED"},
	{0, "max_decoded_size", 1024, 2147483647,
	 "decoded bytes per message (parts, archive members) before UNCHECKED"},
	{0, "spam_max_size", 1024, 2147483647,
	 "larger messages are not given to the spam checks (as amavis' "
	 "sa_mail_body_size_limit); also the bound of the raw views of a "
	 "message whose MIME is not parsed"},
	{0, "spam_rules", NO_RANGE,
	 "SpamAssassin-syntax rule files for the built-in spam checks"},
	{0, "rules_cache_dir", NO_RANGE,
	 "absolute path of the cache of compiled Vectorscan rule databases "
	 "(start and reload read them instead of compiling: seconds of CPU "
	 "with SpamAssassin's rules); the master's alone: made mode 0700 "
	 "when missing, refused (no cache) when writable by others; one per "
	 "instance; written, and files no longer used removed, when a start "
	 "or reload goes through; empty: no cache; "
	 "unused (a notice at start) by a build without Vectorscan"},
	{0, "clamav", NO_RANGE,
	 "clamav { database = DIR ... }: libclamav in process, on by "
	 "default; clamav { enabled = false } turns virus checks off"},
	{0, "spamd", NO_RANGE,
	 "spamd { address = \"host:port\" or \"/socket\" ... }: add "
	 "SpamAssassin's score; down or slow: logged, built-in score stands"},
	{"clamav", "enabled", NO_RANGE,
	 "false: no virus check, by choice (a notice at start); true: "
	 "every message is scanned with the signatures in database"},
	{"clamav", "database", NO_RANGE,
	 "signature directory (cl_load; Debian's freshclam writes "
	 "/var/lib/clamav). Set here, it must be an absolute path, exist, "
	 "be readable and hold signatures (libclamav loads more than 0), "
	 "or the configuration is in error; left at the default and "
	 "missing or empty: filterd runs without a virus check and warns "
	 "at start and on every reload (a reload that would lose a running "
	 "engine that way is rejected)"},
	{"clamav", "max_filesize", NO_RANGE,
	 "libclamav CL_ENGINE_MAX_FILESIZE: the message, each part and each "
	 "file unpacked from them is scanned up to this many bytes, the rest "
	 "is UNCHECKED; keep it at least message_size_limit (the default is "
	 "equal) so that what the hop accepts is scanned whole"},
	{"clamav", "max_scansize", NO_RANGE,
	 "libclamav CL_ENGINE_MAX_SCANSIZE: bytes one scan reads, the "
	 "message and all it unpacks to; past it the rest is UNCHECKED; keep "
	 "it at least twice message_size_limit (the default)"},
	{"clamav", "max_recursion", NO_RANGE,
	 "libclamav CL_ENGINE_MAX_RECURSION"},
	{"clamav", "max_files", NO_RANGE, "libclamav CL_ENGINE_MAX_FILES"},
	{"clamav", "max_scantime", NO_RANGE,
	 "libclamav CL_ENGINE_MAX_SCANTIME (ms)"},
	{"clamav", "disable_cache", NO_RANGE,
	 "libclamav's cache of clean files off (the default): it keeps as "
	 "clean a file whose scan it cut short without a word (its scan-size "
	 "budget in CAB, CHM, EGG), for later messages too; on, libclamav's "
	 "mail parser also scans the parts filterd scans"},
	{0, "sql", NO_RANGE,
	 "sql { storage = {DSN, ...} lookup = {DSN, ...} }: MariaDB/MySQL "
	 "records and quarantine; each list is tried in order"},
	{0, "quarantine_dir", NO_RANGE,
	 "directory of the local quarantine (one file per message)"},
	{0, "quarantine_gzip", NO_RANGE,
	 "gzip local quarantine files (amavis quar_type Z)"},
	{0, "pdp_socket", NO_RANGE,
	 "path of the AM.PDP unix socket for quarantine release and requeue "
	 "(amavisd-release, filterd-release); empty: none. Mode 0660, owner "
	 "user, group pdp_group"},
	{0, "pdp_group", NO_RANGE,
	 "group of pdp_socket: who may release mail; empty: user's group"},
	{0, "pdp_bank", NO_RANGE,
	 "policy bank of pdp_socket (its release, requeue and "
	 "auth_required_release keys)"},
	{0, "pdp_clients", NO_RANGE,
	 "networks allowed to use a listener with protocol = am.pdp; "
	 "others get one 5xx setreply line and are disconnected"},
	{0, "pdp_timeout", 1, 3600,
	 "seconds an AM.PDP client may take to send the next line of a "
	 "request, to send a whole request, and between requests; then it "
	 "is disconnected (amavisd-release sends a request at once)"},
	{"sql", "storage", NO_RANGE,
	 "DSNs for msgs, msgrcpt, maddr, quarantine: "
	 "mysql://user:password@host:port/db or "
	 "mysql://user:password@unix(/socket)/db"},
	{"sql", "lookup", NO_RANGE,
	 "DSNs for per-recipient policy lookups (users, policy, wblist)"},
	{"sql", "retry_interval", NO_RANGE,
	 "seconds before a DSN that failed is tried again (failback)"},
	{"sql", "connect_timeout", NO_RANGE, "seconds to connect to a DSN"},
	{"sql", "penpals_halflife", 1, 36500,
	 "days after which a pen pal's bonus is half (amavis: "
	 "$penpals_halflife, in seconds: 7 days)"},
	{"sql", "log_failure", NO_RANGE,
	 "when only the log rows cannot be written: tempfail (4xx) or pass "
	 "(and log loudly)"},
	{"spamd", "address", NO_RANGE, "spamd's host:port or unix socket"},
	{"spamd", "timeout", NO_RANGE, "seconds for the whole spamd exchange"},
	{"spamd", "user", NO_RANGE, "User: sent to spamd (empty: none)"},
	{0, "listen", NO_RANGE,
	 "listen \"ADDR:PORT\" { protocol = smtp|lmtp|am.pdp; bank = NAME }"},
	{0, "bank", NO_RANGE,
	 "bank NAME { ... }: a policy bank; keys it leaves unset come from "
	 "the default bank"},
	{0, "include", NO_RANGE,
	 "include(\"FILE\"): read FILE's text here, at the top level or "
	 "inside a section (relative to this file's directory; up to 8 "
	 "deep)"},
	{0, "milter", NO_RANGE,
	 "milter { socket = \"inet:PORT@ADDR\" or \"unix:/path\" ... }: the "
	 "before-queue front end (Postfix smtpd_milters, Sendmail); no "
	 "socket: none"},
	{"milter", "socket", NO_RANGE,
	 "where the milter process listens: inet:PORT@ADDR, inet6:PORT@ADDR "
	 "or unix:/path (local:/path); empty: no milter process"},
	{"milter", "bank", NO_RANGE,
	 "the policy bank of milter connections (as a listener's)"},
	{"milter", "max_connections", 1, 512,
	 "MTA connections served at once; more get a tempfail"},
	{"milter", "timeout", 1, 3600,
	 "seconds to wait for the MTA (libmilter smfi_settimeout)"},
	{"milter", "daemon_banks", NO_RANGE,
	 "{\"NAME=BANK\", ...}: a connection whose {daemon_name} or "
	 "{daemon_port} macro is NAME gets BANK over the milter bank"},
	{"milter", "auth_bank", NO_RANGE,
	 "bank over those when {auth_authen} is set (an authenticated "
	 "client); empty: the first bank with originating = true"},
	{"listen", "protocol", NO_RANGE,
	 "smtp, lmtp or am.pdp (quarantine release, clients in "
	 "pdp_clients only)"},
	{"listen", "bank", NO_RANGE, "the policy bank of this listener"},
	{"bank", "client_networks", NO_RANGE,
	 "client addresses (XFORWARD ADDR, else the peer) that select this "
	 "bank"},
	{0, 0, 0, 0, 0},
};
