/*++
/* NAME
/*	filterd-release 8
/* SUMMARY
/*	release or requeue quarantined mail; list and show the quarantine
/* SYNOPSIS
/*	filterd-release [-c file | -s socket] [--requeue]
/*		[--requested-by addr] mail_id[pt] [secret_id [recipient...]]
/*	filterd-release [-c file | -s socket] [--requeue]
/*		[--requested-by addr] -
/*	filterd-release [-c file] --list [--recipient addr] [--since date]
/*		[--category c] [--sort score|time] [--json]
/*	filterd-release [-c file] --show mail_id[pt]
/* DESCRIPTION
/*	filterd-release takes the arguments of amavisd-new's
/*	amavisd-release, so that scripts switch by changing the name, and
/*	sends one AM.PDP request (request=release, or request=requeue with
/*	--requeue) per message to filterd's pdp_socket (-s socket; else
/*	pdp_socket of the configuration file -c file, which must set one;
/*	else /run/filterd/pdp.sock).
/*
/*	The quarantine id is given as amavisd-release takes it:
/*	"spam/U/UM3XM3XDbN52.gz" or "V/virus-VXm3XDbN52Zz.gz" (a gzipped
/*	local file: quar_type=Z and mail_file), "virus-VXm3XDbN52Zz" or a
/*	path with a '/' (a local file: quar_type=F and mail_file), a bare
/*	mail_id (the server finds the quarantine), or "mail_id[pt]" (with
/*	partition_tag=pt). A second argument with an '@' is a recipient,
/*	and the secret is then empty. Each recipient given replaces the
/*	message's blocked recipients. With "-", each line of standard input
/*	holds the same fields, separated by white space; empty lines and
/*	lines starting with '#' are skipped; the requests share one
/*	connection.
/*
/*	requested_by is the invoking user's name@myhostname (myhostname of
/*	the configuration), unless --requested-by addr.
/*
/*	One line per recipient goes to standard output: the server's
/*	setreply, "CODE X.Y.Z text", decoded, after the recipient when the
/*	request named the recipients and the server answered one line for
/*	each. Nothing from the server reaches the terminal unescaped:
/*	control characters and bytes that are not UTF-8 are shown as \xNN.
/*
/*	--list lists the quarantined mail recorded in SQL (sql.storage, else
/*	sql.lookup, of -c file): mail_id[pt], arrival time (UTC), category,
/*	spam score, envelope sender, recipients and subject, one message a
/*	line, or a JSON array with --json. --sort score (the default) puts
/*	the lowest spam score first, the likeliest false positives;
/*	--sort time the newest first. --recipient addr keeps the messages
/*	for addr (case aside); --since keeps those that arrived at or after
/*	a date (YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], UTC; or Nd, Nh: N days,
/*	hours ago); --category keeps one category, by content code (V B U
/*	S Y M H O T C) or name (virus banned unchecked spam spammy bad-mime
/*	bad-header oversized mta-err clean).
/*
/*	--show prints the envelope, the header fields and the text parts
/*	of a quarantined message without releasing it: from the SQL
/*	quarantine or from the local file (plain or gzipped) that
/*	msgs.quar_loc names under quarantine_dir; a local file id
/*	("V/virus-ID.gz") is read directly, and without SQL a bare mail_id
/*	is looked for under quarantine_dir. Header fields are decoded (RFC
/*	2047), text parts decoded to UTF-8; control characters are escaped.
/* DIAGNOSTICS
/*	Exit status 0 when every recipient got a 2xx reply (or --list and
/*	--show succeeded); 75 (EX_TEMPFAIL) when one got a 4xx and none a
/*	5xx, when fewer replies came than recipients were named, or when
/*	the socket or the database cannot be reached; 1 when
/*	one got a 5xx, or on bad input, a usage error or a message that is
/*	not there. With "-", the worst over all lines.
/* SEE ALSO
/*	filterd(8), filterd.conf(5), amavisd-release(1)
/*--*/

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <gmime/gmime.h>
#include <math.h>
#include <mysql.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "db/db.h"
#include "pdp/pdp_client.h"
#include "pdp/pdp_proto.h"
#include "quarantine/quar_read.h"
#include "tools/nanny_view.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/safe.h"
#include "util/stream.h"
#include "util/xalloc.h"

#define REL_EX_OK 0
#define REL_EX_FAIL 1
#define REL_EX_TEMPFAIL 75

#define REL_DEFAULT_SOCKET "/run/filterd/pdp.sock"
#define REL_TIMEOUT 600 /* seconds per read or write (next hop timeouts) */
#define REL_REPLY_LINES 10000 /* lines of one response */
#define REL_STDIN_LINE 65536

/* What the command line asks for. */
struct rel_opts {
	const char *conf_file;
	const char *socket;
	const char *request; /* "release" or "requeue" */
	const char *requested_by;
	const char *recipient; /* --list */
	const char *category;  /* --list: one content code */
	long long since;       /* --list: time_num >= since; -1: any */
	int sort_time;	       /* --list --sort time */
	int json;
};

/* The content codes of msgs.content and their names. */
static const struct rel_category {
	char code;
	const char *name;
} rel_categories[] = {
	{'V', "virus"},	     {'B', "banned"},	 {'U', "unchecked"},
	{'S', "spam"},	     {'Y', "spammy"},	 {'M', "bad-mime"},
	{'H', "bad-header"}, {'O', "oversized"}, {'T', "mta-err"},
	{'C', "clean"},
};

#define REL_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* usage - say how to call us; exit 1 */
static void
usage(void)
{
	fprintf(stderr,
		"usage: filterd-release [-c file | -s socket] [--requeue] "
		"[--requested-by addr]\n"
		"           mail_id[pt] [secret_id [recipient...]]\n"
		"       filterd-release [-c file | -s socket] [--requeue] "
		"[--requested-by addr] -\n"
		"       filterd-release [-c file] --list [--recipient addr] "
		"[--since date]\n"
		"           [--category c] [--sort score|time] [--json]\n"
		"       filterd-release [-c file] --show mail_id[pt]\n");
	exit(REL_EX_FAIL);
}

/* rel_worse - the worse of two exit statuses: 1, then 75, then 0 */
static int
rel_worse(int a, int b)
{
	if (a == REL_EX_FAIL || b == REL_EX_FAIL)
		return REL_EX_FAIL;
	if (a == REL_EX_TEMPFAIL || b == REL_EX_TEMPFAIL)
		return REL_EX_TEMPFAIL;
	return REL_EX_OK;
}

/* rel_print - one line of untrusted text on f, escaped */
static void
rel_print(FILE *f, const char *prefix, const char *text)
{
	size_t len = strlen(text), size = 4 * len + sizeof(SAFE_TRUNCATED);
	char *out = xmalloc(size);

	safe_log_text(out, size, text, len);
	fprintf(f, "%s%s\n", prefix, out);
	free(out);
}

/* rel_safe - untrusted text escaped into b */
static void
rel_safe(struct buf *b, const char *text)
{
	size_t len = strlen(text), size = 4 * len + sizeof(SAFE_TRUNCATED);
	char *out = xmalloc(size);

	safe_log_text(out, size, text, len);
	buf_puts(b, out);
	free(out);
}

/* rel_connect - a stream on the AM.PDP socket, or NULL with a message */
static struct stream *
rel_connect(const char *path)
{
	struct sockaddr_un sun;
	struct stream *s;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "filterd-release: socket path too long\n");
		exit(REL_EX_FAIL);
	}
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		struct buf b;

		buf_init(&b, 256);
		buf_puts(&b, "cannot reach filterd at ");
		rel_safe(&b, path);
		buf_printf(&b,
			   ": %s (is filterd running, with pdp_socket "
			   "there?)",
			   strerror(e));
		fprintf(stderr, "filterd-release: %s\n", b.data);
		buf_release(&b);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	s = stream_open(fd, 8192);
	stream_set_timeout(s, REL_TIMEOUT);
	return s;
}

/*
 * rel_request - send r over s, print one line per setreply; the exit
 * status it earns
 */
static int
rel_request(struct stream *s, const struct rel_opts *o, const char *who,
	    const struct pdp_client_req *r)
{
	char *line, err[256];
	struct buf req, tmp, replies;
	int rc = REL_EX_OK, too_long, n = 0, lines = 0;
	ssize_t got;

	buf_init(&req, 1024);
	buf_init(&tmp, 256);
	buf_init(&replies, 1024);
	pdp_client_request(&req, o->request, who, r);
	stream_write(s, req.data, req.len);
	if (stream_flush(s) < 0) {
		fprintf(stderr,
			"filterd-release: %s: cannot send the request: "
			"%s\n",
			r->mail_id, stream_strerror(s));
		rc = REL_EX_TEMPFAIL;
		goto done;
	}

	/*
	 * Read the whole response first: a recipient goes in front of its
	 * line only when there is one line per recipient named.
	 */
	line = xmalloc(PDP_LINE_MAX + 1);
	for (;;) {
		char *name, *value, *code, *xcode, *text;

		got = stream_get_line(s, line, PDP_LINE_MAX + 1, &too_long);
		if (got < 0) {
			fprintf(stderr,
				"filterd-release: %s: the connection "
				"ended before the reply did (%s)\n",
				r->mail_id, stream_strerror(s));
			rc = rel_worse(rc, REL_EX_TEMPFAIL);
			break;
		}
		if (too_long || ++lines > REL_REPLY_LINES) {
			fprintf(stderr, "filterd-release: %s: reply too long\n",
				r->mail_id);
			rc = rel_worse(rc, REL_EX_TEMPFAIL);
			break;
		}
		if (got == 0)
			break;
		if (pdp_parse_line(line, &name, &value, err, sizeof(err)) < 0) {
			fprintf(stderr,
				"filterd-release: %s: bad reply line: "
				"%s\n",
				r->mail_id, err);
			rc = rel_worse(rc, REL_EX_TEMPFAIL);
			continue;
		}
		if (strcmp(name, "setreply") != 0)
			continue;
		if (pdp_split_reply(value, &code, &xcode, &text) < 0) {
			rel_print(stderr,
				  "filterd-release: bad setreply: ", value);
			rc = rel_worse(rc, REL_EX_TEMPFAIL);
			continue;
		}
		switch (pdp_reply_class(code)) {
		case 2:
			break;
		case 5:
			rc = rel_worse(rc, REL_EX_FAIL);
			break;
		default:
			rc = rel_worse(rc, REL_EX_TEMPFAIL);
		}
		buf_printf(&replies, "%s%s%s%s%s", code, *xcode ? " " : "",
			   xcode, *text ? " " : "", text);
		buf_append(&replies, "", 1);
		n++;
	}
	free(line);
	if (n == 0 && rc == REL_EX_OK) {
		fprintf(stderr,
			"filterd-release: %s: no setreply in the "
			"reply\n",
			r->mail_id);
		rc = REL_EX_TEMPFAIL;
	}
	/* Exit 0 says each recipient named got a 2xx: it cannot say so
	 * when some got no reply of its own (amavis answers one setreply
	 * per recipient). */
	if (n > 0 && (size_t)n < r->nrcpt) {
		fprintf(stderr,
			"filterd-release: %s: %d replies for %zu "
			"recipients named\n",
			r->mail_id, n, r->nrcpt);
		rc = rel_worse(rc, REL_EX_TEMPFAIL);
	}
	for (size_t off = 0, i = 0; off < replies.len; i++) {
		const char *one = replies.data + off;

		buf_reset(&tmp);
		if ((size_t)n == r->nrcpt) {
			rel_safe(&tmp, r->rcpts[i]);
			buf_puts(&tmp, ": ");
		}
		buf_append(&tmp, "", 1);
		rel_print(stdout, tmp.data, one);
		off += strlen(one) + 1;
	}
	fflush(stdout);
done:
	buf_release(&req);
	buf_release(&tmp);
	buf_release(&replies);
	return rc;
}

/* rel_split - split line at white space into at most max fields */
static size_t
rel_split(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *f = strtok_r(line, " \t\r\n", &save); f && n < max;
	     f = strtok_r(NULL, " \t\r\n", &save))
		fields[n++] = f;
	return n;
}

/*
 * rel_alive - may s carry the next request? Not when the server closed
 * it (a child at max_requests, an idle timeout) or said something
 * unasked: then a new connection takes the request.
 */
static int
rel_alive(struct stream *s)
{
	struct pollfd p = {stream_fd(s), POLLIN | POLLRDHUP, 0};

	if (stream_pending(s) > 0)
		return 0;
	return poll(&p, 1, 0) == 0;
}

/* rel_stdin - one request per line of standard input; the worst status */
static int
rel_stdin(const struct rel_opts *o, const char *who, const char *path)
{
	char *line = xmalloc(REL_STDIN_LINE), *fields[1024], err[256];
	struct stream *s = NULL;
	struct pdp_client_req r;
	int rc = REL_EX_OK, lineno = 0;
	size_t n;

	while (fgets(line, REL_STDIN_LINE, stdin) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(stdin)) {
			int c;

			fprintf(stderr, "filterd-release: line %d: too long\n",
				lineno);
			rc = rel_worse(rc, REL_EX_FAIL);
			while ((c = getchar()) != EOF && c != '\n')
				;
			continue;
		}
		n = rel_split(line, fields, REL_NELEM(fields));
		if (n == 0 || fields[0][0] == '#')
			continue;
		if (n == REL_NELEM(fields)) {
			fprintf(stderr,
				"filterd-release: line %d: more than "
				"%zu fields\n",
				lineno, REL_NELEM(fields) - 1);
			rc = rel_worse(rc, REL_EX_FAIL);
			continue;
		}
		if (pdp_client_build(fields, n, &r, err, sizeof(err)) < 0) {
			fprintf(stderr, "filterd-release: line %d: %s\n",
				lineno, err);
			rc = rel_worse(rc, REL_EX_FAIL);
			continue;
		}
		if (s != NULL && !rel_alive(s))
			stream_close(&s); /* the server closed it meanwhile */
		if (s == NULL && (s = rel_connect(path)) == NULL) {
			rc = rel_worse(rc, REL_EX_TEMPFAIL);
			break;
		}
		rc = rel_worse(rc, rel_request(s, o, who, &r));
		if (stream_error(s) != STREAM_OK)
			stream_close(&s); /* the next line reconnects */
	}
	if (s)
		stream_close(&s);
	free(line);
	return rc;
}

/* rel_requested_by - the invoking user's name@myhostname */
static char *
rel_requested_by(const struct conf *conf)
{
	struct passwd *pw = getpwuid(getuid());
	const char *user = pw ? pw->pw_name : "unknown";
	char *who = xmalloc(strlen(user) + strlen(conf->myhostname) + 2);

	sprintf(who, "%s@%s", user, conf->myhostname);
	return who;
}

/* rel_category_code - a category name or code as its content code */
static char
rel_category_code(const char *s)
{
	for (size_t i = 0; i < REL_NELEM(rel_categories); i++)
		if (strcasecmp(s, rel_categories[i].name) == 0 ||
		    (s[0] == rel_categories[i].code && s[1] == 0))
			return rel_categories[i].code;
	return 0;
}

/* rel_category_name - the name of a content code, or "" */
static const char *
rel_category_name(const char *code)
{
	for (size_t i = 0; i < REL_NELEM(rel_categories); i++)
		if (code[0] == rel_categories[i].code && code[1] == 0)
			return rel_categories[i].name;
	return "";
}

/* rel_since - --since as an epoch time, or exit 1 */
static long long
rel_since(const char *s)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	char unit;
	long long num;

	if (sscanf(s, "%lld%c%n", &num, &unit, &n) == 2 && s[n] == 0 &&
	    num >= 0 && num < 100000 && (unit == 'd' || unit == 'h'))
		return (long long)time(NULL) -
		       num * (unit == 'd' ? 86400 : 3600);
	n = 0;
	if ((sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && s[n] == 0) ||
	    (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) ==
		     5 &&
	     s[n] == 0) ||
	    (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
		    &n) == 6 &&
	     s[n] == 0)) {
		if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 &&
		    mi < 60 && sec < 61) {
			memset(&tm, 0, sizeof(tm));
			tm.tm_year = y - 1900;
			tm.tm_mon = mo - 1;
			tm.tm_mday = d;
			tm.tm_hour = h;
			tm.tm_min = mi;
			tm.tm_sec = sec;
			return (long long)timegm(&tm);
		}
	}
	fprintf(stderr, "filterd-release: --since: want YYYY-MM-DD, "
			"YYYY-MM-DDTHH:MM[:SS] (UTC), Nd or Nh\n");
	exit(REL_EX_FAIL);
}

/* rel_db - the SQL storage (else lookup) of conf, or NULL */
static struct db *
rel_db(const struct conf *conf)
{
	const struct conf_strlist *dsns = conf->sql.storage.n
						  ? &conf->sql.storage
						  : &conf->sql.lookup;
	struct db *db;

	if (dsns->n == 0)
		return NULL;
	db = db_create(dsns, 0, conf->sql.connect_timeout);
	/* On a Galera cluster, list what another node just quarantined. */
	db_sync_reads(db, 1);
	return db;
}

/* One message of --list. */
struct rel_entry {
	char *pt, *mail_id, *time_num, *sender, *subject, *content, *score;
	struct buf rcpts; /* NUL-separated */
	size_t nrcpt;
};

struct rel_list {
	struct rel_entry *v;
	size_t n, size;
};

/* rel_list_row - collect one row (one recipient) of the --list query */
static int
rel_list_row(void *ctx, const char *const *v, size_t n)
{
	struct rel_list *l = ctx;
	struct rel_entry *e;

	if (n != 8)
		return 1;
	e = l->n ? &l->v[l->n - 1] : NULL;
	if (e == NULL || strcmp(e->pt, v[0]) != 0 ||
	    strcmp(e->mail_id, v[1]) != 0) {
		if (l->n == l->size) {
			l->size = l->size ? 2 * l->size : 64;
			l->v = xrealloc(l->v, l->size * sizeof(*l->v));
		}
		e = &l->v[l->n++];
		e->pt = xstrdup(v[0]);
		e->mail_id = xstrdup(v[1]);
		e->time_num = xstrdup(v[2] ? v[2] : "0");
		e->sender = xstrdup(v[3] ? v[3] : "");
		e->subject = xstrdup(v[4] ? v[4] : "");
		e->content = xstrdup(v[5] ? v[5] : "");
		e->score = v[6] ? xstrdup(v[6]) : NULL;
		buf_init(&e->rcpts, 64);
		e->nrcpt = 0;
	}
	if (v[7]) {
		buf_append(&e->rcpts, v[7], strlen(v[7]) + 1);
		e->nrcpt++;
	}
	return 0;
}

/* rel_iso - an epoch time as YYYY-MM-DDTHH:MM:SSZ */
static const char *
rel_iso(const char *time_num, char *buf, size_t size)
{
	time_t t = (time_t)strtoll(time_num, NULL, 10);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "?");
	return buf;
}

/* rel_list_print - the messages, as text lines or a JSON array */
static void
rel_list_print(const struct rel_list *l, int json)
{
	struct buf b, id;
	char when[32];

	buf_init(&b, 4096);
	if (json)
		buf_puts(&b, "[");
	for (size_t i = 0; i < l->n; i++) {
		const struct rel_entry *e = &l->v[i];
		double score = e->score ? strtod(e->score, NULL) : NAN;
		const char *r = e->rcpts.data;

		rel_iso(e->time_num, when, sizeof(when));
		if (json) {
			buf_puts(&b, i ? ",\n {" : "\n {");
			buf_init(&id, 64);
			buf_printf(&id, "%s[%s]", e->mail_id, e->pt);
			buf_puts(&b, "\"id\":");
			nanny_view_json_string(&b, id.data);
			buf_release(&id);
			buf_puts(&b, ",\"mail_id\":");
			nanny_view_json_string(&b, e->mail_id);
			buf_puts(&b, ",\"partition_tag\":");
			nanny_view_json_string(&b, e->pt);
			buf_printf(&b, ",\"time\":\"%s\",\"time_num\":%lld",
				   when, strtoll(e->time_num, NULL, 10));
			buf_puts(&b, ",\"sender\":");
			nanny_view_json_text(&b, e->sender);
			buf_puts(&b, ",\"recipients\":[");
			for (size_t k = 0; k < e->nrcpt; k++) {
				if (k)
					buf_puts(&b, ",");
				nanny_view_json_text(&b, r);
				r += strlen(r) + 1;
			}
			buf_puts(&b, "],\"subject\":");
			nanny_view_json_text(&b, e->subject);
			buf_puts(&b, ",\"content\":");
			nanny_view_json_string(&b, e->content);
			buf_puts(&b, ",\"category\":");
			nanny_view_json_string(&b,
					       rel_category_name(e->content));
			if (isfinite(score))
				buf_printf(&b, ",\"score\":%.3f}", score);
			else
				buf_puts(&b, ",\"score\":null}");
			continue;
		}
		/* Rows are data too: another writer may have put anything. */
		rel_safe(&b, e->mail_id);
		buf_puts(&b, "[");
		rel_safe(&b, e->pt);
		buf_printf(&b, "]  %s  %-10s  ", when,
			   *rel_category_name(e->content)
				   ? rel_category_name(e->content)
				   : "-");
		if (isfinite(score))
			buf_printf(&b, "%8.3f  <", score);
		else
			buf_puts(&b, "       -  <");
		rel_safe(&b, e->sender);
		buf_puts(&b, "> ->");
		for (size_t k = 0; k < e->nrcpt; k++) {
			buf_puts(&b, k ? ", <" : " <");
			rel_safe(&b, r);
			buf_puts(&b, ">");
			r += strlen(r) + 1;
		}
		buf_puts(&b, "  ");
		rel_safe(&b, e->subject);
		buf_puts(&b, "\n");
	}
	if (json)
		buf_puts(&b, l->n ? "\n]\n" : "]\n");
	fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
}

/* rel_list - --list: quarantined mail from SQL; the exit status */
static int
rel_list(const struct conf *conf, const struct rel_opts *o)
{
	struct db_param p[4];
	struct rel_list l = {NULL, 0, 0};
	struct buf q;
	size_t n = 0;
	char err[1024], cat[2] = {0, 0};
	struct db *db = rel_db(conf);
	MYSQL *c;
	int rc = REL_EX_OK;

	if (db == NULL) {
		fprintf(stderr, "filterd-release: --list needs SQL: sql { "
				"storage } in the configuration (-c file)\n");
		return REL_EX_FAIL;
	}
	if ((c = db_connection(db, err, sizeof(err))) == NULL) {
		rel_print(stderr,
			  "filterd-release: cannot reach the database: ", err);
		db_free(&db);
		return REL_EX_TEMPFAIL;
	}
	memset(p, 0, sizeof(p));
	buf_init(&q, 2048);
	buf_puts(&q, "SELECT m.partition_tag, m.mail_id, m.time_num, s.email, "
		     "m.subject, m.content, m.spam_level, a.email "
		     "FROM msgs m "
		     "LEFT JOIN maddr s ON s.partition_tag = m.partition_tag "
		     "AND s.id = m.sid "
		     "LEFT JOIN msgrcpt r ON r.partition_tag = m.partition_tag "
		     "AND r.mail_id = m.mail_id "
		     "LEFT JOIN maddr a ON a.partition_tag = r.partition_tag "
		     "AND a.id = r.rid "
		     "WHERE m.quar_type IN ('F', 'Z', 'B', 'Q', 'M', 'L') "
		     "AND m.quar_loc IS NOT NULL AND m.quar_loc <> ''");
	if (o->since >= 0) {
		buf_puts(&q, " AND m.time_num >= ?");
		p[n].type = DB_INT;
		p[n++].i = o->since;
	}
	if (o->category) {
		cat[0] = o->category[0];
		buf_puts(&q, " AND m.content = ?");
		p[n].type = DB_STR;
		p[n++].p = cat;
	}
	if (o->recipient) {
		buf_puts(&q, " AND EXISTS (SELECT 1 FROM msgrcpt r2 JOIN maddr "
			     "a2 ON a2.partition_tag = r2.partition_tag AND "
			     "a2.id = r2.rid WHERE r2.partition_tag = "
			     "m.partition_tag AND r2.mail_id = m.mail_id AND "
			     "LOWER(CONVERT(a2.email USING utf8mb4)) = "
			     "LOWER(CONVERT(? USING utf8mb4)))");
		p[n].type = DB_STR;
		p[n++].p = o->recipient;
	}
	if (o->sort_time)
		buf_puts(&q, " ORDER BY m.time_num DESC");
	else
		buf_puts(&q, " ORDER BY m.spam_level IS NULL, m.spam_level, "
			     "m.time_num DESC");
	buf_puts(&q, ", m.partition_tag, m.mail_id, r.rseqnum");
	if (db_select(c, q.data, p, n, rel_list_row, &l, err, sizeof(err)) !=
	    0) {
		rel_print(stderr, "filterd-release: --list: ", err);
		rc = REL_EX_TEMPFAIL;
	} else {
		rel_list_print(&l, o->json);
	}
	for (size_t i = 0; i < l.n; i++) {
		struct rel_entry *e = &l.v[i];

		free(e->pt);
		free(e->mail_id);
		free(e->time_num);
		free(e->sender);
		free(e->subject);
		free(e->content);
		free(e->score);
		buf_release(&e->rcpts);
	}
	free(l.v);
	buf_release(&q);
	db_free(&db);
	return rc;
}

/* rel_buf_sink - a piece of a quarantined copy into a buf */
static void
rel_buf_sink(void *ctx, const char *data, size_t len)
{
	buf_append(ctx, data, len);
}

/* rel_show_header - "Name: value" decoded and escaped into b */
static void
rel_show_header(struct buf *b, const char *indent, const char *name,
		const char *value)
{
	char *dec = g_mime_utils_header_decode_text(NULL, value ? value : "");

	buf_puts(b, indent);
	rel_safe(b, name);
	buf_puts(b, ": ");
	rel_safe(b, dec ? dec : "");
	buf_puts(b, "\n");
	g_free(dec);
}

/* rel_show_text - text line by line, escaped into b */
static void
rel_show_text(struct buf *b, const char *text)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		char *one = xmalloc(len + 1);

		memcpy(one, text, len);
		one[len] = 0;
		if (len && one[len - 1] == '\r')
			one[len - 1] = 0;
		buf_puts(b, "  ");
		rel_safe(b, one);
		buf_puts(b, "\n");
		free(one);
		text += nl ? len + 1 : len;
	}
}

/* The walk of --show over the parts. */
struct rel_show_ctx {
	struct buf *b;
	int part;
};

/* rel_show_part - print a text part, name the others */
static void
rel_show_part(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	struct rel_show_ctx *ctx = data;
	GMimeContentType *ct = g_mime_object_get_content_type(part);
	char *type = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	const char *name = NULL;

	(void)parent;
	if (GMIME_IS_MULTIPART(part)) {
		g_free(type);
		return;
	}
	ctx->part++;
	if (GMIME_IS_PART(part))
		name = g_mime_part_get_filename(GMIME_PART(part));
	buf_printf(ctx->b, "--- part %d: ", ctx->part);
	rel_safe(ctx->b, type ? type : "?");
	if (name) {
		buf_puts(ctx->b, ", ");
		rel_safe(ctx->b, name);
	}
	if (GMIME_IS_TEXT_PART(part) &&
	    !g_mime_part_is_attachment(GMIME_PART(part))) {
		char *text = g_mime_text_part_get_text(GMIME_TEXT_PART(part));

		buf_puts(ctx->b, "\n");
		rel_show_text(ctx->b, text ? text : "");
		g_free(text);
	} else {
		buf_puts(ctx->b, " (not shown)\n");
	}
	g_free(type);
}

/* rel_show_message - envelope, header fields and text parts of raw */
static void
rel_show_message(const char *where, const struct buf *raw)
{
	static const char *const envelope[] = {
		"X-Envelope-From", "X-Envelope-To", "X-Envelope-To-Blocked",
		"X-Quarantine-ID"};
	GMimeStream *ms = g_mime_stream_mem_new_with_buffer(raw->data,
							    raw->len);
	GMimeParser *p = g_mime_parser_new_with_stream(ms);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	struct rel_show_ctx ctx;
	GMimeHeaderList *hl;
	struct buf b;
	int count;

	buf_init(&b, 8192);
	buf_puts(&b, "Quarantine: ");
	rel_safe(&b, where);
	buf_puts(&b, "\n");
	if (m == NULL) {
		buf_puts(&b, "(not a message)\n");
		goto out;
	}
	hl = g_mime_object_get_header_list(GMIME_OBJECT(m));
	count = g_mime_header_list_get_count(hl);
	buf_puts(&b, "Envelope:\n");
	for (size_t e = 0; e < REL_NELEM(envelope); e++)
		for (int i = 0; i < count; i++) {
			GMimeHeader *h = g_mime_header_list_get_header_at(hl,
									  i);

			if (g_ascii_strcasecmp(g_mime_header_get_name(h),
					       envelope[e]) == 0)
				rel_show_header(&b, "  ", envelope[e],
						g_mime_header_get_value(h));
		}
	buf_puts(&b, "Header:\n");
	for (int i = 0; i < count; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		int skip = 0;

		for (size_t e = 0; e < REL_NELEM(envelope); e++)
			skip |= g_ascii_strcasecmp(name, envelope[e]) == 0;
		if (!skip)
			rel_show_header(&b, "  ", name,
					g_mime_header_get_value(h));
	}
	ctx.b = &b;
	ctx.part = 0;
	g_mime_message_foreach(m, rel_show_part, &ctx);
	g_object_unref(m);
out:
	g_object_unref(p);
	g_object_unref(ms);
	fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
}

/* rel_show - --show: a quarantined message, not released; exit status */
static int
rel_show(const struct conf *conf, const char *arg)
{
	struct pdp_client_req r;
	struct quar_where w;
	struct buf raw, where;
	unsigned long chunks = 0;
	char err[1024];
	struct db *db = NULL;
	MYSQL *c = NULL;
	int rc = REL_EX_FAIL;

	if (pdp_client_parse_id(arg, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "filterd-release: --show: %s\n", err);
		return REL_EX_FAIL;
	}
	memset(&w, 0, sizeof(w));
	buf_init(&raw, 65536);
	buf_init(&where, 256);
	if (r.quar_type) {
		/* A local quarantine file, named: no SQL needed. */
		w.quar_type = r.quar_type;
		snprintf(w.quar_loc, sizeof(w.quar_loc), "%s", r.mail_file);
	} else if ((db = rel_db(conf)) != NULL) {
		if ((c = db_connection(db, err, sizeof(err))) == NULL) {
			rel_print(stderr,
				  "filterd-release: cannot reach the "
				  "database: ",
				  err);
			rc = REL_EX_TEMPFAIL;
			goto done;
		}
		if (quar_read_where(c, r.mail_id, r.pt[0] ? atoi(r.pt) : -1, &w,
				    err, sizeof(err)) < 0) {
			rel_print(stderr, "filterd-release: --show: ", err);
			rc = REL_EX_TEMPFAIL;
			goto done;
		}
		if (w.rows == 0) {
			fprintf(stderr,
				"filterd-release: %s: no such message "
				"in SQL\n",
				arg);
			goto done;
		}
		if (w.rows > 1) {
			fprintf(stderr,
				"filterd-release: %s: %d partitions hold "
				"this mail_id; give MAIL_ID[PT]\n",
				arg, w.rows);
			goto done;
		}
	} else if (quar_read_find(conf->quarantine_dir, r.mail_id, w.quar_loc,
				  sizeof(w.quar_loc), &w.quar_type)) {
		/* found by its name */
	} else {
		fprintf(stderr,
			"filterd-release: %s: no such message under "
			"%s (and no SQL configured)\n",
			arg, conf->quarantine_dir);
		goto done;
	}

	if (w.quar_type == 'Q') {
		if (quar_read_sql(c, r.mail_id, w.partition, rel_buf_sink, &raw,
				  &chunks, err, sizeof(err)) < 0) {
			rel_print(stderr, "filterd-release: --show: ", err);
			rc = REL_EX_TEMPFAIL;
			goto done;
		}
		if (raw.len == 0) {
			fprintf(stderr,
				"filterd-release: %s: the quarantine "
				"table holds nothing for it\n",
				arg);
			goto done;
		}
		buf_printf(&where, "%s[%d] (sql)", r.mail_id, w.partition);
	} else if (w.quar_type == 'F' || w.quar_type == 'Z') {
		if (quar_read_file(conf->quarantine_dir, w.quar_loc,
				   rel_buf_sink, &raw, err, sizeof(err)) < 0) {
			rel_print(stderr, "filterd-release: --show: ", err);
			goto done;
		}
		buf_printf(&where, "%s (file %s/%s)", r.mail_id,
			   conf->quarantine_dir, w.quar_loc);
	} else {
		fprintf(stderr, "filterd-release: %s: not quarantined\n", arg);
		goto done;
	}
	buf_append(&where, "", 1);
	rel_show_message(where.data, &raw);
	rc = REL_EX_OK;
done:
	buf_release(&raw);
	buf_release(&where);
	if (db)
		db_free(&db);
	return rc;
}

/*
 * rel_socket - -s socket, else the pdp_socket of -c file, else the
 * default; exits 75 when the file names none
 */
static const char *
rel_socket(const struct rel_opts *o, const struct conf *conf)
{
	if (o->socket)
		return o->socket;
	if (o->conf_file == NULL)
		return REL_DEFAULT_SOCKET;
	if (conf->pdp_socket[0] == 0) {
		rel_print(stderr,
			  "filterd-release: cannot reach filterd: no "
			  "pdp_socket in ",
			  o->conf_file);
		exit(REL_EX_TEMPFAIL);
	}
	return conf->pdp_socket;
}

/*
 * rel_operand_like - whether a is a mail_id or secret_id (12 characters
 * of amavis' alphabet A-Z a-z 0-9 - _, then perhaps "[pt]") that begins
 * with "-": amavisd-release has no options and takes it as it is, where
 * getopt would read options. One that begins a long option stays one.
 */
static int
rel_operand_like(const char *a, const struct option *longopts)
{
	const char *p = a + strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "abcdefghijklmnopqrstuvwxyz0123456789-_");

	if (a[0] != '-' || p - a != 12)
		return 0;
	if (*p == '[') {
		p += 1 + strspn(p + 1, "0123456789");
		if (*p++ != ']')
			return 0;
	}
	if (*p != 0)
		return 0;
	if (a[1] == '-')
		for (const struct option *o = longopts; o->name; o++)
			if (strncmp(o->name, a + 2, 10) == 0)
				return 0;
	return 1;
}

/*
 * rel_getopt_argv - a copy of argv for getopt_long() in which each
 * argument that is rel_operand_like() (and not the value of the option
 * before it) points past its leading "-"s, so getopt takes it for an
 * operand; rel_operands() then points the operands back.
 */
static char **
rel_getopt_argv(int argc, char **argv, const struct option *longopts)
{
	static const char *const valued[] = {"-c", "-s", NULL};
	char **av = xcalloc((size_t)argc + 1, sizeof(*av));

	for (int i = 0; i < argc; i++) {
		int value = 0;

		if (i > 0) {
			for (size_t v = 0; valued[v]; v++)
				value |= strcmp(argv[i - 1], valued[v]) == 0;
			for (const struct option *o = longopts; o->name; o++)
				value |= o->has_arg == required_argument &&
					 strncmp(argv[i - 1], "--", 2) == 0 &&
					 strcmp(argv[i - 1] + 2, o->name) == 0;
		}
		av[i] = argv[i];
		if (i > 0 && !value && rel_operand_like(argv[i], longopts))
			av[i] += strspn(argv[i], "-");
	}
	return av;
}

/* rel_operands - av's operands (from optind), each as argv gave it */
static void
rel_operands(int argc, char **argv, char **av)
{
	for (int k = optind; k < argc; k++)
		for (int i = 1; i < argc; i++)
			if (av[k] != argv[i] &&
			    av[k] == argv[i] + strspn(argv[i], "-"))
				av[k] = argv[i];
}

/* main - parse the command line; release, requeue, list or show */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"requeue", no_argument, NULL, 'Q'},
		{"requested-by", required_argument, NULL, 'R'},
		{"list", no_argument, NULL, 'L'},
		{"show", required_argument, NULL, 'S'},
		{"recipient", required_argument, NULL, 'r'},
		{"since", required_argument, NULL, 'i'},
		{"category", required_argument, NULL, 'C'},
		{"sort", required_argument, NULL, 'o'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct rel_opts o;
	const char *show = NULL;
	int list = 0, ch, rc, list_opts = 0;
	char err[1024], cat[2] = {0, 0}, *who, **orig;
	struct conf *conf;

	memset(&o, 0, sizeof(o));
	o.request = "release";
	o.since = -1;
	/* "-" alone is an argument, not an option: getopt leaves it; so
	 * are ids that begin with "-" (rel_operand_like). */
	orig = argv;
	argv = rel_getopt_argv(argc, orig, longopts);
	while ((ch = getopt_long(argc, argv, "c:s:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.conf_file = optarg;
			break;
		case 's':
			o.socket = optarg;
			break;
		case 'Q':
			o.request = "requeue";
			break;
		case 'R':
			if (!pdp_client_addr_ok(optarg)) {
				fprintf(stderr,
					"filterd-release: "
					"--requested-by: bad address\n");
				usage();
			}
			o.requested_by = optarg;
			break;
		case 'L':
			list = 1;
			break;
		case 'S':
			show = optarg;
			break;
		case 'r':
			o.recipient = optarg;
			list_opts = 1;
			break;
		case 'i':
			o.since = rel_since(optarg);
			list_opts = 1;
			break;
		case 'C':
			if ((cat[0] = rel_category_code(optarg)) == 0) {
				fprintf(stderr, "filterd-release: --category: "
						"unknown category\n");
				usage();
			}
			o.category = cat;
			list_opts = 1;
			break;
		case 'o':
			if (strcmp(optarg, "score") == 0)
				o.sort_time = 0;
			else if (strcmp(optarg, "time") == 0)
				o.sort_time = 1;
			else {
				fprintf(stderr, "filterd-release: --sort: "
						"score or time\n");
				usage();
			}
			list_opts = 1;
			break;
		case 'j':
			o.json = 1;
			list_opts = 1;
			break;
		default:
			usage();
		}
	}
	rel_operands(argc, orig, argv);
	if (list + (show != NULL) > 1 || ((list || show) && optind < argc) ||
	    (list_opts && !list)) {
		fprintf(stderr, "filterd-release: --list and --show take no "
				"other request; --recipient, --since, "
				"--category, --sort, --json go with --list\n");
		usage();
	}
	if (!list && !show && optind == argc)
		usage();
	if (!list && !show && strcmp(argv[optind], "-") == 0 &&
	    optind + 1 != argc) {
		fprintf(stderr, "filterd-release: \"-\" reads the requests "
				"from standard input: nothing after it\n");
		usage();
	}

	/* A server that closed the connection is an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	msg_open("filterd-release", LOG_MAIL, 1);
	if ((conf = conf_load(o.conf_file, err, sizeof(err))) == NULL) {
		rel_print(stderr, "filterd-release: ", err);
		free(argv);
		return REL_EX_FAIL;
	}
	if (list) {
		rc = rel_list(conf, &o);
	} else if (show) {
		g_mime_init();
		rc = rel_show(conf, show);
	} else {
		const char *path = rel_socket(&o, conf);
		struct pdp_client_req r;
		struct stream *s;

		who = o.requested_by ? xstrdup(o.requested_by)
				     : rel_requested_by(conf);
		if (strcmp(argv[optind], "-") == 0) {
			rc = rel_stdin(&o, who, path);
		} else if (pdp_client_build(argv + optind,
					    (size_t)(argc - optind), &r, err,
					    sizeof(err)) < 0) {
			fprintf(stderr, "filterd-release: %s\n", err);
			rc = REL_EX_FAIL;
		} else if ((s = rel_connect(path)) == NULL) {
			rc = REL_EX_TEMPFAIL;
		} else {
			rc = rel_request(s, &o, who, &r);
			stream_close(&s);
		}
		free(who);
	}
	conf_free(&conf);
	free(argv); /* rel_getopt_argv()'s copy */
	return rc;
}
