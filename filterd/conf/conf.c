/*++
/* NAME
/*	conf 3
/* SUMMARY
/*	load and check the configuration
/* DESCRIPTION
/*	See conf.h. Values are checked by validation callbacks while
/*	libconfuse parses, so that an error names the file and line where
/*	the bad value stands; cross references (a listener's bank) are
/*	checked after parsing, against the line of the listen section.
/*--*/

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "conf_params.h"
#include "db/dsn.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/re.h"
#include "util/xalloc.h"

#define CONF_MAX_SOURCES 64
#define CONF_MAX_DEPTH 8 /* include()s within include()s */

/* From the copy's line flat_line on, the lines of files[file] from line. */
struct conf_seg {
	int flat_line;
	int file;
	int line;
};

/*
 * State of one conf_load() call. libconfuse gives its callbacks no user
 * context, so it lives here; only the master loads configuration, one
 * load at a time, and conf_load() resets it on entry and exit.
 *
 * Every file is read by us first, and libconfuse parses one memfd copy
 * of them all: comments blanked (libconfuse 3.3 miscounts lines after
 * them and rejects them inside lists), each include("FILE") replaced by
 * FILE's text on lines of its own. libconfuse's own include() is not
 * used: after an error inside an included file it keeps that file on its
 * include stack, and after ten such refused reloads it refuses every
 * include() ("includes nested too deeply") until filterd restarts. segs
 * map the copy's lines back to the real files for messages.
 */
static struct {
	char first_error[1024];
	char database_at[4200]; /* file:line of the last clamav database = */
	int database_line;	/* its line, until the section closes */
	char *files[CONF_MAX_SOURCES]; /* real names, in the order read */
	int n_files;
	struct conf_seg *segs;
	size_t n_segs;
	int flat_fd;	    /* the copy, when flat_path[0] */
	char flat_path[40]; /* its /proc/self/fd path */
	cfg_t *root; /* the file being parsed, for sections without a name */
} conf_state;

/* conf_place - "file:line" of line of name (the copy: its real place) */
static void
conf_place(const char *name, int line, char *out, size_t size)
{
	const struct conf_seg *seg = NULL;

	if (name && conf_state.flat_path[0] &&
	    strcmp(name, conf_state.flat_path) == 0)
		for (size_t i = 0; i < conf_state.n_segs; i++)
			if (conf_state.segs[i].flat_line <= line)
				seg = conf_state.segs + i;
	if (seg)
		snprintf(out, size, "%s:%d", conf_state.files[seg->file],
			 seg->line + line - seg->flat_line);
	else
		snprintf(out, size, "%s:%d", name ? name : "(defaults)", line);
}

/* conf_set_error - keep the first error */
static void conf_set_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void
conf_set_error(const char *fmt, ...)
{
	va_list ap;

	if (conf_state.first_error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(conf_state.first_error, sizeof(conf_state.first_error), fmt,
		  ap);
	va_end(ap);
}

/* conf_errfunc - keep the first libconfuse error as "file:line: text" */
static void
conf_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	char text[768];
	char at[4200];

	vsnprintf(text, sizeof(text), fmt, ap);
	/* A section such as sql {} exists before the parse: no file name. */
	if (cfg && !cfg->filename && conf_state.root &&
	    conf_state.root->filename && cfg->line > 0)
		conf_place(conf_state.root->filename, cfg->line, at,
			   sizeof(at));
	else if (cfg && cfg->filename)
		conf_place(cfg->filename, cfg->line, at, sizeof(at));
	else
		at[0] = 0;
	conf_set_error("%s%s%s", at, at[0] ? ": " : "", text);
}

/* conf_strip_comments - blank #, // and C comments outside quotes */
void
conf_strip_comments(char *text)
{
	char quote = 0;

	for (char *p = text; *p; p++) {
		if (quote) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == quote)
				quote = 0;
		} else if (*p == '"' || *p == '\'') {
			quote = *p;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (*p && *p != '\n')
				*p++ = ' ';
			if (*p == 0)
				break;
		} else if (p[0] == '/' && p[1] == '*') {
			char *end = strstr(p + 2, "*/");
			char *stop = end ? end + 2 : p + strlen(p);

			for (; p < stop; p++)
				if (*p != '\n')
					*p = ' ';
			p--;
		}
	}
}

/*
 * conf_unclosed_quote - the line of a quote that does not close on its
 * line, or 0. libconfuse lets a string run over lines, so a missing quote
 * is reported where the next quote closes it, some lines on, as some
 * other error; no value of ours spans lines, so this is the error.
 */
static int
conf_unclosed_quote(const char *text)
{
	char quote = 0;
	int line = 1;

	for (const char *p = text; *p; p++) {
		if (quote && *p == '\\' && p[1] && p[1] != '\n')
			p++;
		else if (*p == '\n' && quote)
			return line;
		else if (quote && *p == quote)
			quote = 0;
		else if (!quote && (*p == '"' || *p == '\''))
			quote = *p;
		if (*p == '\n')
			line++;
	}
	return quote ? line : 0;
}

/* What libconfuse's lexer passes over between words ('+' of "+=" too). */
#define CONF_BLANK " \t\r*+"

/* conf_word_char - is c part of a word for libconfuse's lexer? */
static int
conf_word_char(char c)
{
	return c && !isspace((unsigned char)c) && !strchr("\"'(),={}+*", c);
}

/* conf_skip_arg - past one argument (quoted or bare) at p, or p */
static const char *
conf_skip_arg(const char *p)
{
	if (*p == '"' || *p == '\'') {
		char q = *p++;

		/* Closed on its line: conf_unclosed_quote() ran first. */
		for (; *p != q; p++)
			if (*p == '\\')
				p++;
		return p + 1;
	}
	while (conf_word_char(*p))
		p++;
	return p;
}

/*
 * conf_read_text - FILE's text with comments blanked, into *textp (the
 * caller frees it); 0, or -1 with why "FILE[:line]: reason".
 */
static int
conf_read_text(const char *real, char **textp, char *why, size_t whysize)
{
	FILE *fp;
	char *text = NULL;
	size_t size = 0;
	ssize_t n;
	int line;

	if ((fp = fopen(real, "r")) == NULL) {
		snprintf(why, whysize, "%s: cannot open: %s", real,
			 strerror(errno));
		return -1;
	}
	/* Up to the first NUL, which is its end when the file has none. */
	errno = 0;
	n = getdelim(&text, &size, 0, fp);
	if (n < 0 && ferror(fp)) {
		snprintf(why, whysize, "%s: cannot read: %s", real,
			 strerror(errno));
		fclose(fp);
		free(text);
		return -1;
	}
	fclose(fp);
	if (n > 0 && text[n - 1] == 0) {
		line = 1;
		for (ssize_t k = 0; k < n - 1; k++)
			line += text[k] == '\n';
		snprintf(why, whysize,
			 "%s:%d: a NUL byte: the file is not text", real, line);
		free(text);
		return -1;
	}
	if (n < 0) {
		free(text);
		text = xstrdup("");
	}
	conf_strip_comments(text);
	if ((line = conf_unclosed_quote(text)) > 0) {
		snprintf(why, whysize,
			 "%s:%d: unclosed quote: the string opened on this "
			 "line does not end on it",
			 real, line);
		free(text);
		return -1;
	}
	*textp = text;
	return 0;
}

/* The copy being made: its text, and the line its end is on. */
struct conf_flat {
	struct buf out;
	int line;
	int placed; /* the error in why names its file and line */
};

/* conf_flat_add - n bytes of a file to the copy */
static void
conf_flat_add(struct conf_flat *f, const char *s, size_t n)
{
	buf_append(&f->out, s, n);
	for (size_t i = 0; i < n; i++)
		f->line += s[i] == '\n';
}

/* conf_flat_seg - from the copy's current line on, file's line line */
static void
conf_flat_seg(const struct conf_flat *f, int file, int line)
{
	conf_state.segs = xrealloc(conf_state.segs,
				   (conf_state.n_segs + 1) *
					   sizeof(*conf_state.segs));
	conf_state.segs[conf_state.n_segs++] = (struct conf_seg){f->line, file,
								 line};
}

/*
 * conf_include_arg - the file name of the include( whose '(' is at *pp:
 * its grammar is '(' ARG ')', ARG a quoted string without escapes or a
 * run of characters libconfuse's lexer takes for a word. *pp and *line
 * are left past the ')'. 0, or -1 with what is wrong in why.
 */
static int
conf_include_arg(const char **pp, int *line, char *name, size_t size, char *why,
		 size_t whysize)
{
	const char *q = *pp + 1, *arg, *end;
	int n = 0;

	for (;; q++) {
		while (isspace((unsigned char)*q))
			*line += *q++ == '\n';
		if (*q == ')' && n == 0)
			break;
		if ((end = conf_skip_arg(q)) == q)
			goto unclosed;
		arg = q;
		n++;
		for (q = end; isspace((unsigned char)*q); q++)
			*line += *q == '\n';
		if (*q == ')')
			break;
		if (*q != ',')
			goto unclosed;
	}
	*pp = q + 1;
	if (n != 1) {
		snprintf(why, whysize, "include takes one file name");
		return -1;
	}
	if (*arg == '"' || *arg == '\'') {
		arg++;
		end--;
	}
	if (memchr(arg, '\\', (size_t)(end - arg)) ||
	    memmem(arg, (size_t)(end - arg), "${", 2)) {
		snprintf(why, whysize,
			 "include: write the file name without \\ or ${}");
		return -1;
	}
	if (end == arg || (size_t)(end - arg) >= size) {
		snprintf(why, whysize, "include: %s file name",
			 end == arg ? "an empty" : "too long a");
		return -1;
	}
	memcpy(name, arg, (size_t)(end - arg));
	name[end - arg] = 0;
	return 0;
unclosed:
	snprintf(why, whysize,
		 "include( is not closed: write "
		 "include(\"FILE\")");
	return -1;
}

/*
 * conf_flatten - add FILE to the copy, each include("NAME") in it (NAME
 * relative to FILE's directory unless absolute) replaced by NAME's text,
 * on lines of its own. 0, or -1 with why; f->placed says whether why
 * names the file and line where it is (else the includer says where).
 *
 * An include( is found wherever libconfuse's lexer would find one: the
 * word "include" after any non-word character (what it passes over
 * included), then '(' after blanks.
 */
static int
conf_flatten(struct conf_flat *f, const char *real, int depth, char *why,
	     size_t whysize)
{
	char *text, path[4096], name[4096], sub[2048];
	const char *p, *q, *from;
	int idx = conf_state.n_files, line = 1, n;

	if (idx == CONF_MAX_SOURCES) {
		snprintf(why, whysize, "%.1500s: too many included files (%d)",
			 real, idx);
		return -1;
	}
	if (conf_read_text(real, &text, why, whysize) < 0)
		return -1;
	conf_state.files[conf_state.n_files++] = xstrdup(real);
	conf_flat_seg(f, idx, 1);
	for (from = p = text; *p; p++) {
		int at = line; /* the line of "include" */

		if (*p == '"' || *p == '\'') {
			p = conf_skip_arg(p) - 1;
			continue;
		}
		if (*p == '\n')
			line++;
		if (strncmp(p, "include", 7) != 0 ||
		    (p > text && conf_word_char(p[-1])))
			continue;
		for (q = p + 7;
		     isspace((unsigned char)*q) || *q == '*' || *q == '+'; q++)
			line += *q == '\n';
		if (*q != '(') {
			line = at;
			continue;
		}
		if (conf_include_arg(&q, &line, name, sizeof(name), sub,
				     sizeof(sub)) < 0) {
			snprintf(why, whysize, "%.1500s:%d: %s", real, at, sub);
			goto placed;
		}
		if (name[0] == '/')
			n = snprintf(path, sizeof(path), "%s", name);
		else {
			char *dir = xstrdup(real);

			n = snprintf(path, sizeof(path), "%s/%s", dirname(dir),
				     name);
			free(dir);
		}
		if (n < 0 || (size_t)n >= sizeof(path)) {
			snprintf(why, whysize,
				 "%.1500s:%d: include: too long a file name",
				 real, at);
			goto placed;
		}
		if (depth == CONF_MAX_DEPTH) {
			snprintf(
				why, whysize,
				"%.1500s:%d: include: %.1500s: includes nested "
				"deeper than %d (does it include itself?)",
				real, at, path, CONF_MAX_DEPTH);
			goto placed;
		}
		conf_flat_add(f, from, (size_t)(p - from));
		conf_flat_add(f, "\n", 1);
		if (conf_flatten(f, path, depth + 1, sub, sizeof(sub)) < 0) {
			if (f->placed)
				snprintf(why, whysize, "%s", sub);
			else
				snprintf(why, whysize,
					 "%.1500s:%d: include: %s", real, at,
					 sub);
			goto placed;
		}
		conf_flat_add(f, "\n", 1);
		conf_flat_seg(f, idx, line);
		from = q;
		p = q - 1;
	}
	conf_flat_add(f, from, strlen(from));
	free(text);
	return 0;
placed:
	f->placed = 1;
	free(text);
	return -1;
}

/* conf_flat_open - the copy of FILE and what it includes; its path, or
 * NULL with why */
static const char *
conf_flat_open(const char *file, char *why, size_t whysize)
{
	struct conf_flat f = {.line = 1};
	int fd;

	buf_init(&f.out, 4096);
	if (conf_flatten(&f, file, 0, why, whysize) < 0) {
		buf_release(&f.out);
		return NULL;
	}
	fd = memfd_create("filterd-conf", MFD_CLOEXEC);
	if (fd < 0 || write(fd, f.out.data, f.out.len) != (ssize_t)f.out.len) {
		snprintf(why, whysize, "%s: cannot copy: %s", file,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		buf_release(&f.out);
		return NULL;
	}
	buf_release(&f.out);
	conf_state.flat_fd = fd;
	snprintf(conf_state.flat_path, sizeof(conf_state.flat_path),
		 "/proc/self/fd/%d", fd);
	return conf_state.flat_path;
}

/* conf_flat_close - forget the copy and its map */
static void
conf_flat_close(void)
{
	if (conf_state.flat_path[0])
		close(conf_state.flat_fd);
	conf_state.flat_path[0] = 0;
	for (int i = 0; i < conf_state.n_files; i++)
		free(conf_state.files[i]);
	conf_state.n_files = 0;
	free(conf_state.segs);
	conf_state.segs = NULL;
	conf_state.n_segs = 0;
}

/* conf_source_line - where WORD (with "TITLE", for a section) stands */
static int
conf_source_line(int fd, const char *word, const char *title, int last)
{
	struct stat st;
	size_t wlen = strlen(word);
	char *text, *line;
	int n = 1, found = 0;

	if (fstat(fd, &st) < 0)
		return 0;
	text = xmalloc((size_t)st.st_size + 1);
	if (pread(fd, text, (size_t)st.st_size, 0) != st.st_size) {
		free(text);
		return 0;
	}
	text[st.st_size] = 0;
	/* The copies have no comments left: no match can be in one. */
	for (line = text; line; n++) {
		char *next = strchr(line, '\n');
		char *p = line;

		if (next)
			*next++ = 0;
		while ((p = strstr(p, word)) != NULL) {
			const char *after = p + wlen +
					    strspn(p + wlen, CONF_BLANK);
			int token = (p == line ||
				     strchr(CONF_BLANK "{}", p[-1]));

			p += wlen;
			if (!token)
				continue;
			if (title ? (*after == '"' &&
				     strncmp(after + 1, title, strlen(title)) ==
					     0 &&
				     after[1 + strlen(title)] == '"')
				  : *after == '=') {
				found = n;
				if (!last)
					goto done;
			}
		}
		line = next;
	}
done:
	free(text);
	return found;
}

/* conf_where - "file:line" of WORD ["TITLE"] in the copy, or of line
 * fallback of name (when name is not NULL) where it is not there */
static void
conf_where(const char *name, const char *word, const char *title, int fallback,
	   char *out, size_t size)
{
	int line = conf_state.flat_path[0]
			   ? conf_source_line(conf_state.flat_fd, word, title,
					      title == NULL)
			   : 0;

	if (line)
		conf_place(conf_state.flat_path, line, out, size);
	else if (name && out[0] == 0)
		conf_place(name, fallback, out, size);
}

/* conf_include - include() where conf_flatten() did not take it: never,
 * as it takes every one libconfuse's lexer sees; refused, should it be */
int
conf_include(cfg_t *cfg, cfg_opt_t *opt, int argc, const char **argv)
{
	(void)opt;
	(void)argc;
	(void)argv;
	cfg_error(cfg, "include( where it is not read: write "
		       "include(\"FILE\") at the start of a line");
	return 1;
}

/* conf_doc - the documentation row of an option */
static const struct conf_param_doc *
conf_doc(const char *section, const char *name)
{
	for (const struct conf_param_doc *d = conf_param_docs; d->name; d++)
		if (strcmp(d->name, name) == 0 &&
		    ((section == NULL && d->section == NULL) ||
		     (section && d->section &&
		      strcmp(section, d->section) == 0)))
			return d;
	return NULL;
}

/*
 * conf_check_int - an integer within its documented range; cfg is the
 * section the option is in (libconfuse names the top level "root").
 */
static int
conf_check_int(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *section = strcmp(cfg_name(cfg), "root") ? cfg_name(cfg)
							    : NULL;
	const struct conf_param_doc *d = conf_doc(section, opt->name);
	long v = cfg_opt_getnint(opt, 0);

	if (d && d->min <= d->max && (v < d->min || v > d->max)) {
		cfg_error(cfg, "parameter %s: %ld is out of range %ld..%ld",
			  opt->name, v, d->min, d->max);
		return -1;
	}
	return 0;
}

/* conf_check_facility - a syslog facility name */
static int
conf_check_facility(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (msg_facility_code(v) < 0) {
		cfg_error(cfg, "parameter %s: unknown facility \"%s\"",
			  opt->name, v);
		return -1;
	}
	return 0;
}

/* conf_check_networks - every entry an address/bits */
static int
conf_check_networks(cfg_t *cfg, cfg_opt_t *opt)
{
	for (unsigned i = 0; i < cfg_opt_size(opt); i++) {
		struct cidr net;
		const char *why;
		const char *v = cfg_opt_getnstr(opt, i);

		if (cidr_parse(v, &net, &why) < 0) {
			cfg_error(cfg, "parameter %s: \"%s\": %s", opt->name, v,
				  why);
			return -1;
		}
	}
	return 0;
}

/* conf_port_why - why a numeric port is out of range, or NULL */
static const char *
conf_port_why(const char *port)
{
	if (strlen(port) > 5 || atol(port) < 1 || atol(port) > 65535)
		return "port out of range 1..65535";
	return NULL;
}

/*
 * conf_check_database - keep the line of a clamav database. libconfuse
 * gives an option inside a section its line but not its file: the line
 * is kept until the section closes (conf_check_clamav).
 */
static int
conf_check_database(cfg_t *cfg, cfg_opt_t *opt)
{
	(void)opt;
	conf_state.database_line = cfg->line;
	return 0;
}

/*
 * conf_check_clamav - at a clamav section's end, the file:line of the
 * database it set, if it set one: the last one set is the one in effect.
 * It is an absolute path: the daemon reads it from "/", -t from where
 * the admin stands.
 */
static int
conf_check_clamav(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, 0);
	const char *v = sec ? cfg_getstr(sec, "database") : NULL;
	int line = conf_state.database_line;

	conf_state.database_line = 0;
	if (line <= 0)
		return 0;
	conf_place(cfg->filename, line, conf_state.database_at,
		   sizeof(conf_state.database_at));
	if (v && v[0] && v[0] != '/') {
		conf_set_error("%s: clamav database \"%.200s\" is not an "
			       "absolute path",
			       conf_state.database_at, v);
		return -1;
	}
	return 0;
}

/* conf_check_hops - every entry a host:port */
static int
conf_check_hops(cfg_t *cfg, cfg_opt_t *opt)
{
	char host[256], port[16];

	if (cfg_opt_size(opt) == 0) {
		cfg_error(cfg, "parameter %s: empty list", opt->name);
		return -1;
	}
	for (unsigned i = 0; i < cfg_opt_size(opt); i++) {
		const char *v = cfg_opt_getnstr(opt, i);

		if (inet_split_hostport(v, host, sizeof(host), port,
					sizeof(port)) < 0) {
			cfg_error(cfg,
				  "parameter %s: \"%s\" is not host:port or "
				  "[host]:port",
				  opt->name, v);
			return -1;
		}
		if (conf_port_why(port)) {
			cfg_error(cfg, "parameter %s: \"%s\": %s", opt->name, v,
				  conf_port_why(port));
			return -1;
		}
	}
	return 0;
}

/* conf_destiny_code - a destiny name to its code, or -1 */
static int
conf_destiny_code(const char *name)
{
	static const char *const names[] = {"pass", "discard", "bounce",
					    "reject", "tempfail"};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcasecmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

/* conf_check_destiny - a destiny name */
static int
conf_check_destiny(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (conf_destiny_code(v) < 0) {
		cfg_error(cfg,
			  "parameter %s: \"%s\" is not pass, discard, bounce, "
			  "reject or tempfail",
			  opt->name, v);
		return -1;
	}
	return 0;
}

/* conf_quarantine_code - a quarantine method name to its code, or -1 */
static int
conf_quarantine_code(const char *name)
{
	static const char *const names[] = {"none", "local", "sql"};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcasecmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

/* conf_check_quarantine - a quarantine method name */
static int
conf_check_quarantine(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (conf_quarantine_code(v) < 0) {
		cfg_error(cfg, "parameter %s: \"%s\" is not local, sql or none",
			  opt->name, v);
		return -1;
	}
	return 0;
}

/* conf_check_dsns - every entry a mysql:// DSN */
static int
conf_check_dsns(cfg_t *cfg, cfg_opt_t *opt)
{
	struct db_dsn dsn;
	char err[256];

	for (unsigned i = 0; i < cfg_opt_size(opt); i++)
		if (db_dsn_parse(cfg_opt_getnstr(opt, i), &dsn, err,
				 sizeof(err)) < 0) {
			cfg_error(cfg, "parameter %s: %s", opt->name, err);
			return -1;
		}
	return 0;
}

/* conf_check_regexes - every entry compiles */
static int
conf_check_regexes(cfg_t *cfg, cfg_opt_t *opt)
{
	char err[512];

	for (unsigned i = 0; i < cfg_opt_size(opt); i++) {
		struct re *re = re_compile(cfg_opt_getnstr(opt, i), err,
					   sizeof(err));

		if (re == NULL) {
			cfg_error(cfg, "parameter %s: %s", opt->name, err);
			return -1;
		}
		re_free(&re);
	}
	return 0;
}

/* conf_check_listen - the title is an address, the protocol known */
static int
conf_check_listen(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);
	const char *proto = cfg_getstr(sec, "protocol");
	char host[256], port[16], where[4200] = "", why[300];

	if (inet_split_hostport(cfg_title(sec), host, sizeof(host), port,
				sizeof(port)) < 0)
		snprintf(why, sizeof(why), "not ADDR:PORT or [ADDR]:PORT");
	else if (conf_port_why(port))
		snprintf(why, sizeof(why), "%s", conf_port_why(port));
	else if (strcmp(proto, "smtp") != 0 && strcmp(proto, "lmtp") != 0 &&
		 strcmp(proto, "am.pdp") != 0)
		snprintf(why, sizeof(why),
			 "protocol \"%.200s\" is not smtp, lmtp or am.pdp",
			 proto);
	else
		return 0;
	/* libconfuse is at the closing brace: name the listen line. */
	conf_where(cfg->filename, "listen", cfg_title(sec), cfg->line, where,
		   sizeof(where));
	conf_set_error("%s: listen \"%s\": %s", where, cfg_title(sec), why);
	return -1;
}

/*
 * conf_milter_socket_why - what is wrong with a libmilter socket
 * specification, or NULL: "inet:PORT@HOST", "inet6:PORT@HOST",
 * "unix:/path" or "local:/path" (smfi_setconn(3))
 */
const char *
conf_milter_socket_why(const char *spec)
{
	const char *at, *colon = strchr(spec, ':');
	char port[16];

	if (colon == NULL)
		return "not inet:PORT@ADDR, inet6:PORT@ADDR or unix:/path";
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0)
		return colon[1] == '/' && strlen(colon + 1) < 100
			       ? NULL
			       : "a unix socket needs an absolute path of "
				 "fewer than 100 bytes";
	if (strncmp(spec, "inet:", 5) != 0 && strncmp(spec, "inet6:", 6) != 0)
		return "not inet:PORT@ADDR, inet6:PORT@ADDR or unix:/path";
	if ((at = strchr(colon, '@')) == NULL || at[1] == 0)
		return "inet sockets are inet:PORT@ADDR";
	if ((size_t)(at - colon - 1) >= sizeof(port))
		return "bad port";
	memcpy(port, colon + 1, (size_t)(at - colon - 1));
	port[at - colon - 1] = 0;
	return conf_port_why(port);
}

/* conf_check_milter_socket - the socket is one libmilter understands */
static int
conf_check_milter_socket(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	const char *why;

	if (v == NULL || *v == 0 || (why = conf_milter_socket_why(v)) == NULL)
		return 0;
	cfg_error(cfg, "parameter socket: \"%s\": %s", v, why);
	return -1;
}

/* conf_strlist - copy a list option */
static void
conf_strlist(cfg_t *sec, const char *name, struct conf_strlist *out)
{
	out->n = cfg_size(sec, name);
	out->v = xcalloc(out->n + 1, sizeof(char *));
	for (size_t i = 0; i < out->n; i++)
		out->v[i] = xstrdup(cfg_getnstr(sec, name, (unsigned)i));
}

/* conf_networks - parse a checked list of networks */
static struct cidr *
conf_networks(cfg_t *sec, const char *name, size_t *n)
{
	struct cidr *nets;
	const char *why;

	*n = cfg_size(sec, name);
	nets = xcalloc(*n + 1, sizeof(*nets));
	for (size_t i = 0; i < *n; i++)
		if (cidr_parse(cfg_getnstr(sec, name, (unsigned)i), nets + i,
			       &why) < 0)
			msg_panic("conf_networks: unchecked value");
	return nets;
}

/* conf_relist - compile a checked list of patterns */
static void
conf_relist(cfg_t *sec, const char *name, struct conf_relist *out)
{
	char err[512];

	out->n = cfg_size(sec, name);
	out->v = xcalloc(out->n + 1, sizeof(*out->v));
	for (size_t i = 0; i < out->n; i++)
		if ((out->v[i] = re_compile(cfg_getnstr(sec, name, (unsigned)i),
					    err, sizeof(err))) == NULL)
			msg_panic("conf_relist: unchecked pattern: %s", err);
}

/* conf_key_read - one bank key from a section into its field */
static void
conf_key_read(cfg_t *sec, const struct conf_bank_key_def *k, void *field)
{
	switch (k->type) {
	case CONF_BANK_HOPS:
		conf_strlist(sec, k->name, field);
		break;
	case CONF_BANK_REGEXES:
		conf_relist(sec, k->name, field);
		break;
	case CONF_BANK_BOOL:
		*(int *)field = cfg_getbool(sec, k->name);
		break;
	case CONF_BANK_FLOAT:
		*(double *)field = cfg_getfloat(sec, k->name);
		break;
	case CONF_BANK_STR:
		*(char **)field = xstrdup(cfg_getstr(sec, k->name));
		break;
	case CONF_BANK_DESTINY:
		*(int *)field = conf_destiny_code(cfg_getstr(sec, k->name));
		break;
	case CONF_BANK_QUARANTINE:
		*(int *)field = conf_quarantine_code(cfg_getstr(sec, k->name));
		break;
	}
}

/* conf_key_builtin - a key's built-in value into its field */
static void
conf_key_builtin(const struct conf_bank_key_def *k, void *field)
{
	switch (k->type) {
	case CONF_BANK_HOPS: {
		struct conf_strlist *l = field;

		l->n = k->builtin[0] != 0;
		l->v = xcalloc(2, sizeof(char *));
		if (l->n)
			l->v[0] = xstrdup(k->builtin);
		break;
	}
	case CONF_BANK_REGEXES: {
		struct conf_relist *l = field;

		l->n = 0;
		l->v = xcalloc(1, sizeof(*l->v));
		break;
	}
	case CONF_BANK_BOOL:
		*(int *)field = strcmp(k->builtin, "true") == 0;
		break;
	case CONF_BANK_FLOAT:
		*(double *)field = strtod(k->builtin, NULL);
		break;
	case CONF_BANK_STR:
		*(char **)field = xstrdup(k->builtin);
		break;
	case CONF_BANK_DESTINY:
		*(int *)field = conf_destiny_code(k->builtin);
		break;
	case CONF_BANK_QUARANTINE:
		*(int *)field = conf_quarantine_code(k->builtin);
		break;
	}
}

/* conf_strlist_release - free a copied list of strings */
static void
conf_strlist_release(struct conf_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* conf_key_free - release a key's value */
static void
conf_key_free(const struct conf_bank_key_def *k, void *field)
{
	switch (k->type) {
	case CONF_BANK_HOPS:
		conf_strlist_release(field);
		break;
	case CONF_BANK_REGEXES: {
		struct conf_relist *l = field;

		for (size_t i = 0; i < l->n; i++)
			re_free(&l->v[i]);
		free(l->v);
		break;
	}
	case CONF_BANK_STR:
		free(*(char **)field);
		break;
	default:
		break;
	}
}

/* conf_bank_read - copy one bank section, noting which keys it sets */
static void
conf_bank_read(cfg_t *sec, struct conf_bank *b)
{
	b->name = xstrdup(cfg_title(sec));
	for (unsigned i = 0; conf_bank_key_defs[i].name; i++) {
		const struct conf_bank_key_def *k = conf_bank_key_defs + i;

		if (cfg_size(sec, k->name) == 0)
			continue;
		b->set |= CONF_BANK_BIT(i);
		conf_key_read(sec, k, (char *)&b->v + k->offset);
	}
	if (cfg_size(sec, "client_networks")) {
		b->set |= CONF_BANK_BIT(CONF_BANK_CLIENT_NETWORKS);
		b->client_networks = conf_networks(sec, "client_networks",
						   &b->n_client_networks);
	}
}

/* conf_bank_dup_hops - a copy of a list of next hops */
static void
conf_bank_dup_hops(struct conf_strlist *to, const struct conf_strlist *from)
{
	to->n = from->n;
	to->v = xcalloc(from->n + 1, sizeof(char *));
	for (size_t i = 0; i < from->n; i++)
		to->v[i] = xstrdup(from->v[i]);
}

/* conf_banks - the default bank first, then the others in file order */
static void
conf_banks(cfg_t *cfg, struct conf *c)
{
	size_t n = cfg_size(cfg, "bank");
	cfg_t *def = cfg_gettsec(cfg, "bank", "default");
	struct conf_bank *d;
	size_t k = 1;

	c->banks = xcalloc(n + 1, sizeof(*c->banks));
	d = c->banks;
	if (def)
		conf_bank_read(def, d);
	else
		d->name = xstrdup("default");
	for (size_t i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(cfg, "bank", (unsigned)i);

		if (sec != def)
			conf_bank_read(sec, c->banks + k++);
	}
	c->n_banks = k;

	/* The default bank answers every key: built-ins fill the gaps. */
	for (unsigned i = 0; conf_bank_key_defs[i].name; i++) {
		const struct conf_bank_key_def *kd = conf_bank_key_defs + i;

		if (d->set & CONF_BANK_BIT(i))
			continue;
		if (i == CONF_BANK_NOTIFY)
			conf_bank_dup_hops(&d->v.notify, &d->v.forward);
		else if (i == CONF_BANK_RELEASE)
			conf_bank_dup_hops(&d->v.release, &d->v.notify);
		else
			conf_key_builtin(kd, (char *)&d->v + kd->offset);
		d->set |= CONF_BANK_BIT(i);
	}
}

/* conf_bank_find - a bank by name, or NULL */
const struct conf_bank *
conf_bank_find(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_banks; i++)
		if (strcmp(c->banks[i].name, name) == 0)
			return c->banks + i;
	return NULL;
}

/* conf_listen_addr - the address inet_listen() binds for l; 0 or -1 */
static int
conf_listen_addr(const struct conf_listen *l, struct sockaddr_storage *ss)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res;

	if (getaddrinfo(l->host, l->port, &hints, &res) != 0)
		return -1; /* -t and the start say why */
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/*
 * conf_listen_unmap - ss as IPv4 when it is an IPv4-mapped IPv6 address
 * ([::ffff:a.b.c.d]:P is the socket of a.b.c.d:P), else as it is
 */
static void
conf_listen_unmap(const struct sockaddr_storage *ss,
		  struct sockaddr_storage *out)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;
	struct sockaddr_in *o4 = (void *)out;

	*out = *ss;
	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return;
	memset(out, 0, sizeof(*out));
	o4->sin_family = AF_INET;
	o4->sin_port = s6->sin6_port;
	memcpy(&o4->sin_addr, s6->sin6_addr.s6_addr + 12, 4);
}

/*
 * conf_listen_collide_as - a and b (no IPv4-mapped address) cannot both
 * be bound: one port, and the same address, or a wildcard of the family
 * of the other (an IPv6 wildcard takes IPv4 too: inet_listen() sets
 * IPV6_V6ONLY off)
 */
static int
conf_listen_collide_as(const struct sockaddr_storage *a,
		       const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;
	int a_any6 = a->ss_family == AF_INET6 &&
		     IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr);
	int b_any6 = b->ss_family == AF_INET6 &&
		     IN6_IS_ADDR_UNSPECIFIED(&b6->sin6_addr);
	in_port_t ap = a->ss_family == AF_INET6 ? a6->sin6_port : a4->sin_port;
	in_port_t bp = b->ss_family == AF_INET6 ? b6->sin6_port : b4->sin_port;

	if (ap != bp)
		return 0;
	if (a->ss_family != b->ss_family)
		return a_any6 || b_any6;
	if (a->ss_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr ||
		       a4->sin_addr.s_addr == htonl(INADDR_ANY) ||
		       b4->sin_addr.s_addr == htonl(INADDR_ANY);
	return a_any6 || b_any6 ||
	       memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) ==
		       0;
}

/*
 * conf_listen_collide - a and b cannot both be bound; an IPv4-mapped IPv6
 * address is compared as the IPv4 address it is (one socket)
 */
static int
conf_listen_collide(const struct sockaddr_storage *a,
		    const struct sockaddr_storage *b)
{
	struct sockaddr_storage ua, ub;

	conf_listen_unmap(a, &ua);
	conf_listen_unmap(b, &ub);
	return conf_listen_collide_as(&ua, &ub);
}

/* conf_listens_apart - no two listeners need one socket; 0 or -1 */
static int
conf_listens_apart(const struct conf *c)
{
	struct sockaddr_storage *ss = xcalloc(c->n_listens, sizeof(*ss));
	int *ok = xcalloc(c->n_listens, sizeof(*ok)), rc = 0;

	for (size_t i = 0; i < c->n_listens; i++)
		ok[i] = conf_listen_addr(c->listens + i, ss + i) == 0;
	for (size_t i = 0; rc == 0 && i < c->n_listens; i++)
		for (size_t j = 0; rc == 0 && j < i; j++)
			if (ok[i] && ok[j] &&
			    conf_listen_collide(ss + i, ss + j)) {
				conf_set_error(
					"%s: listen \"%s\": collides "
					"with listen \"%s\"%s%s: both "
					"cannot be bound",
					c->listens[i].where, c->listens[i].addr,
					c->listens[j].addr,
					c->listens[j].where[0] ? " at " : "",
					c->listens[j].where);
				rc = -1;
			}
	free(ss);
	free(ok);
	return rc;
}

/* conf_protocol_name - a listener's protocol as written */
const char *
conf_protocol_name(enum conf_protocol p)
{
	return p == CONF_PROTO_LMTP    ? "lmtp"
	       : p == CONF_PROTO_AMPDP ? "am.pdp"
				       : "smtp";
}

/* conf_protocol - the protocol of a checked listen section */
static enum conf_protocol
conf_protocol(const char *name)
{
	if (strcmp(name, "lmtp") == 0)
		return CONF_PROTO_LMTP;
	if (strcmp(name, "am.pdp") == 0)
		return CONF_PROTO_AMPDP;
	return CONF_PROTO_SMTP;
}

/*
 * conf_pdp_socket - pdp_socket as one more listener (the last), served
 * by the pool like the others; its bank is pdp_bank. 0 or -1.
 */
static int
conf_pdp_socket(cfg_t *cfg, struct conf *c)
{
	struct conf_listen *l = c->listens + c->n_listens;
	const char *bank = cfg_getstr(cfg, "pdp_bank");
	char where[4200] = "";

	conf_where(NULL, "pdp_socket", NULL, 0, where, sizeof(where));
	if (c->pdp_socket[0] != '/' ||
	    strlen(c->pdp_socket) >= CONF_UNIX_PATH_MAX) {
		conf_set_error("%s: parameter pdp_socket: \"%s\": not an "
			       "absolute path shorter than %d bytes",
			       where[0] ? where : c->file, c->pdp_socket,
			       CONF_UNIX_PATH_MAX);
		return -1;
	}
	if (c->n_listens >= CONF_MAX_LISTENS) {
		conf_set_error("%s: pdp_socket: more than %d listeners",
			       where[0] ? where : c->file, CONF_MAX_LISTENS);
		return -1;
	}
	/* The bank first: conf_free() frees only the n_listens counted. */
	if ((l->bank = conf_bank_find(c, bank)) == NULL) {
		conf_where(NULL, "pdp_bank", NULL, 0, where, sizeof(where));
		conf_set_error("%s: parameter pdp_bank: no bank \"%s\" is "
			       "defined",
			       where[0] ? where : c->file, bank);
		return -1;
	}
	l->addr = xstrdup(c->pdp_socket);
	l->where = xstrdup(where);
	l->unix_socket = 1;
	l->protocol = CONF_PROTO_AMPDP;
	c->n_listens++;
	return 0;
}

static int conf_inet_listens(cfg_t *cfg, struct conf *c);

/* conf_listens - listeners, each with its bank resolved */
static int
conf_listens(cfg_t *cfg, struct conf *c)
{
	if (conf_inet_listens(cfg, c) < 0)
		return -1;
	return c->pdp_socket[0] ? conf_pdp_socket(cfg, c) : 0;
}

/* conf_inet_listens - the listen sections (room left for pdp_socket) */
static int
conf_inet_listens(cfg_t *cfg, struct conf *c)
{
	size_t n = cfg_size(cfg, "listen");

	c->n_listens = n ? n : 1;
	c->listens = xcalloc(c->n_listens + 1, sizeof(*c->listens));
	if (n == 0) {
		/* Embedded default: one SMTP listener, the default bank. */
		c->listens[0].addr = xstrdup("127.0.0.1:10024");
		strcpy(c->listens[0].host, "127.0.0.1");
		strcpy(c->listens[0].port, "10024");
		c->listens[0].bank = c->banks;
		c->listens[0].where = xstrdup("");
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(cfg, "listen", (unsigned)i);
		struct conf_listen *l = c->listens + i;

		if (i == CONF_MAX_LISTENS) {
			char where[4200] = "";

			conf_where(sec->filename, "listen", cfg_title(sec),
				   sec->line, where, sizeof(where));
			conf_set_error("%s: listen \"%s\": more than %d "
				       "listeners",
				       where, cfg_title(sec), CONF_MAX_LISTENS);
			return -1;
		}
		const char *bank = cfg_getstr(sec, "bank");

		char where[4200] = "";

		l->addr = xstrdup(cfg_title(sec));
		conf_where(sec->filename, "listen", l->addr, sec->line, where,
			   sizeof(where));
		l->where = xstrdup(where);
		(void)inet_split_hostport(l->addr, l->host, sizeof(l->host),
					  l->port, sizeof(l->port));
		l->protocol = conf_protocol(cfg_getstr(sec, "protocol"));
		if ((l->bank = conf_bank_find(c, bank)) == NULL) {
			conf_set_error("%s: listen \"%s\": no bank \"%s\" is "
				       "defined",
				       where, l->addr, bank);
			return -1;
		}
	}
	return conf_listens_apart(c);
}

/* conf_milter_bank - a bank named in the milter section, or an error */
static const struct conf_bank *
conf_milter_bank(struct conf *c, const char *key, const char *name)
{
	const struct conf_bank *b = conf_bank_find(c, name);

	if (b == NULL)
		conf_set_error("%s: milter %s: no bank \"%s\" is defined",
			       c->milter.where, key, name);
	return b;
}

/*
 * conf_milter - the milter section, its banks resolved; the auth bank
 * defaults to the first bank with originating = true
 */
static int
conf_milter(cfg_t *cfg, struct conf *c)
{
	cfg_t *sec = cfg_getsec(cfg, "milter");
	struct conf_milter *m = &c->milter;
	const char *auth = cfg_getstr(sec, "auth_bank");
	char where[4200] = "";
	size_t n = cfg_size(sec, "daemon_banks");

	m->socket = xstrdup(cfg_getstr(sec, "socket"));
	conf_where(NULL, "socket", NULL, 0, where, sizeof(where));
	m->where = xstrdup(where[0] ? where : c->file);
	m->max_connections = (int)cfg_getint(sec, "max_connections");
	m->timeout = (int)cfg_getint(sec, "timeout");
	if ((m->bank = conf_milter_bank(c, "bank", cfg_getstr(sec, "bank"))) ==
	    NULL)
		return -1;
	m->daemon_banks = xcalloc(n + 1, sizeof(*m->daemon_banks));
	for (size_t i = 0; i < n; i++) {
		const char *e = cfg_getnstr(sec, "daemon_banks", (unsigned)i);
		const char *eq = strchr(e, '=');

		if (eq == NULL || eq == e || eq[1] == 0) {
			conf_set_error("%s: milter daemon_banks: \"%s\" is "
				       "not NAME=BANK",
				       m->where, e);
			return -1;
		}
		m->daemon_banks[i].key = xstrndup(e, (size_t)(eq - e));
		m->n_daemon_banks = i + 1;
		if ((m->daemon_banks[i].bank = conf_milter_bank(
			     c, "daemon_banks", eq + 1)) == NULL)
			return -1;
	}
	if (*auth)
		return (m->auth_bank = conf_milter_bank(c, "auth_bank",
							auth)) == NULL
			       ? -1
			       : 0;
	for (size_t i = 1; i < c->n_banks && m->auth_bank == NULL; i++)
		if ((c->banks[i].set & CONF_BANK_BIT(CONF_BANK_ORIGINATING)) &&
		    c->banks[i].v.originating)
			m->auth_bank = c->banks + i;
	return 0;
}

/* conf_init_cfg - a libconfuse context with every check attached */
static cfg_t *
conf_init_cfg(void)
{
	cfg_t *cfg = cfg_init(conf_params, CFGF_NONE);

	cfg_set_error_function(cfg, conf_errfunc);
	for (const struct conf_param_doc *d = conf_param_docs; d->name; d++)
		if (d->min <= d->max) {
			char path[128];

			snprintf(path, sizeof(path), "%s%s%s",
				 d->section ? d->section : "",
				 d->section ? "|" : "", d->name);
			cfg_set_validate_func(cfg, path, conf_check_int);
		}
	cfg_set_validate_func(cfg, "syslog_facility", conf_check_facility);
	cfg_set_validate_func(cfg, "mynetworks", conf_check_networks);
	cfg_set_validate_func(cfg, "pdp_clients", conf_check_networks);
	cfg_set_validate_func(cfg, "bank|client_networks", conf_check_networks);
	for (unsigned i = 0; conf_bank_key_defs[i].name; i++) {
		static const cfg_validate_callback_t checks[] = {
			[CONF_BANK_HOPS] = conf_check_hops,
			[CONF_BANK_DESTINY] = conf_check_destiny,
			[CONF_BANK_REGEXES] = conf_check_regexes,
			[CONF_BANK_QUARANTINE] = conf_check_quarantine,
		};
		const struct conf_bank_key_def *k = conf_bank_key_defs + i;
		char path[64];

		if (k->type >= sizeof(checks) / sizeof(*checks) ||
		    checks[k->type] == NULL)
			continue;
		snprintf(path, sizeof(path), "bank|%s", k->name);
		cfg_set_validate_func(cfg, path, checks[k->type]);
	}
	cfg_set_validate_func(cfg, "listen", conf_check_listen);
	cfg_set_validate_func(cfg, "milter|socket", conf_check_milter_socket);
	cfg_set_validate_func(cfg, "clamav|database", conf_check_database);
	cfg_set_validate_func(cfg, "clamav", conf_check_clamav);
	cfg_set_validate_func(cfg, "sql|storage", conf_check_dsns);
	cfg_set_validate_func(cfg, "sql|lookup", conf_check_dsns);
	return cfg;
}

/* conf_sections - the clamav and spamd sections */
static void
conf_sections(cfg_t *cfg, struct conf *c)
{
	cfg_t *av = cfg_getsec(cfg, "clamav");
	cfg_t *sd = cfg_getsec(cfg, "spamd");
	cfg_t *sq = cfg_getsec(cfg, "sql");

	c->clamav.enabled = cfg_getbool(av, "enabled");
	c->clamav.database = xstrdup(cfg_getstr(av, "database"));
	if (cfg_getopt(av, "database")->flags & CFGF_MODIFIED) {
		const char *where = conf_state.database_at;

		c->clamav.database_at = xstrdup(where[0] ? where : c->file);
		if (c->clamav.enabled && c->clamav.database[0] == 0)
			conf_set_error("%s: clamav database is empty; to turn "
				       "virus checks off, set clamav { "
				       "enabled = false }",
				       c->clamav.database_at);
	}
	c->clamav.max_filesize = cfg_getint(av, "max_filesize");
	c->clamav.max_scansize = cfg_getint(av, "max_scansize");
	c->clamav.max_recursion = (int)cfg_getint(av, "max_recursion");
	c->clamav.max_files = (int)cfg_getint(av, "max_files");
	c->clamav.max_scantime = (int)cfg_getint(av, "max_scantime");
	c->clamav.disable_cache = cfg_getbool(av, "disable_cache");
	c->spamd.address = xstrdup(cfg_getstr(sd, "address"));
	c->spamd.timeout = (int)cfg_getint(sd, "timeout");
	c->spamd.user = xstrdup(cfg_getstr(sd, "user"));
	conf_strlist(sq, "storage", &c->sql.storage);
	conf_strlist(sq, "lookup", &c->sql.lookup);
	c->sql.retry_interval = (int)cfg_getint(sq, "retry_interval");
	c->sql.connect_timeout = (int)cfg_getint(sq, "connect_timeout");
	c->sql.penpals_halflife = (int)cfg_getint(sq, "penpals_halflife");
	c->sql.log_failure_tempfail = strcasecmp(cfg_getstr(sq, "log_failure"),
						 "pass") != 0;
	c->quarantine_dir = xstrdup(cfg_getstr(cfg, "quarantine_dir"));
	c->quarantine_gzip = cfg_getbool(cfg, "quarantine_gzip");
}

/* conf_from_cfg - the plain struct from a parsed context */
static struct conf *
conf_from_cfg(cfg_t *cfg, const char *file)
{
	struct conf *c = xcalloc(1, sizeof(*c));

	c->file = xstrdup(file ? file : "(embedded defaults)");
	c->syslog_ident = xstrdup(cfg_getstr(cfg, "syslog_ident"));
	c->syslog_facility = msg_facility_code(
		cfg_getstr(cfg, "syslog_facility"));
	c->user = xstrdup(cfg_getstr(cfg, "user"));
	c->run_dir = xstrdup(cfg_getstr(cfg, "run_dir"));
	c->tmp_dir = xstrdup(cfg_getstr(cfg, "tmp_dir"));
	c->myhostname = xstrdup(cfg_getstr(cfg, "myhostname"));
	if (c->myhostname[0] == 0) {
		char host[256] = "localhost";

		(void)gethostname(host, sizeof(host) - 1);
		free(c->myhostname);
		c->myhostname = xstrdup(host);
	}
	c->min_servers = (int)cfg_getint(cfg, "min_servers");
	c->max_servers = (int)cfg_getint(cfg, "max_servers");
	c->max_requests = (int)cfg_getint(cfg, "max_requests");
	c->child_timeout = (int)cfg_getint(cfg, "child_timeout");
	c->message_size_limit = cfg_getint(cfg, "message_size_limit");
	c->max_recipients = (int)cfg_getint(cfg, "max_recipients");
	c->smtpd_timeout = (int)cfg_getint(cfg, "smtpd_timeout");
	c->pdp_timeout = (int)cfg_getint(cfg, "pdp_timeout");
	c->command_line_limit = (int)cfg_getint(cfg, "command_line_limit");
	c->listen_backlog = (int)cfg_getint(cfg, "listen_backlog");
	c->forward_connect_timeout = (int)cfg_getint(cfg,
						     "forward_connect_timeout");
	c->forward_timeout = (int)cfg_getint(cfg, "forward_timeout");
	c->forward_data_timeout = (int)cfg_getint(cfg, "forward_data_timeout");
	c->forward_cache_time = (int)cfg_getint(cfg, "forward_cache_time");
	c->mynetworks = conf_networks(cfg, "mynetworks", &c->n_mynetworks);
	c->pdp_clients = conf_networks(cfg, "pdp_clients", &c->n_pdp_clients);
	c->pdp_socket = xstrdup(cfg_getstr(cfg, "pdp_socket"));
	c->pdp_group = xstrdup(cfg_getstr(cfg, "pdp_group"));
	conf_strlist(cfg, "local_domains", &c->local_domains);
	c->virus_scanned_header = xstrdup(
		cfg_getstr(cfg, "virus_scanned_header"));
	if (c->virus_scanned_header[0] == 0) {
		free(c->virus_scanned_header);
		c->virus_scanned_header = xmalloc(strlen(c->myhostname) + 16);
		sprintf(c->virus_scanned_header, "filterd at %s",
			c->myhostname);
	}
	c->max_mime_depth = (int)cfg_getint(cfg, "max_mime_depth");
	c->max_mime_parts = (int)cfg_getint(cfg, "max_mime_parts");
	c->max_header_field_size = cfg_getint(cfg, "max_header_field_size");
	c->max_header_fields = cfg_getint(cfg, "max_header_fields");
	c->max_archive_depth = (int)cfg_getint(cfg, "max_archive_depth");
	c->max_archive_files = (int)cfg_getint(cfg, "max_archive_files");
	c->max_decoded_size = cfg_getint(cfg, "max_decoded_size");
	c->spam_max_size = cfg_getint(cfg, "spam_max_size");
	conf_strlist(cfg, "spam_rules", &c->spam_rules);
	c->rules_cache_dir = xstrdup(cfg_getstr(cfg, "rules_cache_dir"));
	conf_sections(cfg, c);
	conf_banks(cfg, c);
	return c;
}

/* conf_parse - parse file (NULL: nothing) into cfg; CFG_SUCCESS or not */
static int
conf_parse(cfg_t *cfg, const char *file)
{
	const char *fdpath;
	char why[4200];
	int rc;

	if (file == NULL)
		return cfg_parse_buf(cfg, "");
	if ((fdpath = conf_flat_open(file, why, sizeof(why))) == NULL) {
		conf_set_error("%s", why);
		return CFG_FILE_ERROR;
	}
	conf_state.root = cfg;
	rc = cfg_parse(cfg, fdpath);
	conf_state.root = NULL;
	return rc;
}

/* conf_load - read, check and convert the configuration */
struct conf *
conf_load(const char *file, char *errbuf, size_t errsize)
{
	cfg_t *cfg = conf_init_cfg();
	struct conf *c = NULL;
	int rc;

	conf_state.first_error[0] = 0;
	conf_state.database_at[0] = 0;
	conf_state.database_line = 0;
	rc = conf_parse(cfg, file);
	if (rc == CFG_SUCCESS) {
		c = conf_from_cfg(cfg, file);
		if (c->min_servers > c->max_servers) {
			char where[4200] = "";

			/* Name where they are set (max_servers if it is). */
			conf_where(NULL, "min_servers", NULL, 0, where,
				   sizeof(where));
			conf_where(NULL, "max_servers", NULL, 0, where,
				   sizeof(where));
			conf_set_error("%s: min_servers %d exceeds max_servers "
				       "%d",
				       where[0] ? where : c->file,
				       c->min_servers, c->max_servers);
		} else if (conf_listens(cfg, c) == 0)
			(void)conf_milter(cfg, c);
		if (conf_state.first_error[0])
			conf_free(&c);
	} else if (cfg->filename && cfg->line > 0) {
		/* libconfuse stops without a word at some errors ('' as a
		 * name): where its lexer stopped is the line. */
		char at[4200];

		conf_place(cfg->filename, cfg->line, at, sizeof(at));
		conf_set_error("%s: syntax error", at);
	} else {
		conf_set_error("%s: syntax error", file ? file : "(defaults)");
	}
	cfg_free(cfg);
	conf_flat_close();
	if (c == NULL)
		snprintf(errbuf, errsize, "%s", conf_state.first_error);
	return c;
}

/* conf_free - release everything conf_load() made */
void
conf_free(struct conf **cp)
{
	struct conf *c = *cp;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_banks; i++) {
		struct conf_bank *b = c->banks + i;

		free(b->name);
		for (unsigned k = 0; conf_bank_key_defs[k].name; k++)
			if (b->set & CONF_BANK_BIT(k))
				conf_key_free(
					conf_bank_key_defs + k,
					(char *)&b->v +
						conf_bank_key_defs[k].offset);
		free(b->client_networks);
	}
	free(c->banks);
	for (size_t i = 0; i < c->n_listens; i++) {
		free(c->listens[i].addr);
		free(c->listens[i].where);
	}
	free(c->listens);
	for (size_t i = 0; i < c->milter.n_daemon_banks; i++)
		free(c->milter.daemon_banks[i].key);
	free(c->milter.daemon_banks);
	free(c->milter.socket);
	free(c->milter.where);
	free(c->mynetworks);
	free(c->pdp_clients);
	free(c->pdp_socket);
	free(c->pdp_group);
	conf_key_free(conf_bank_key_defs + CONF_BANK_FORWARD,
		      &c->local_domains);
	conf_key_free(conf_bank_key_defs + CONF_BANK_FORWARD, &c->spam_rules);
	free(c->virus_scanned_header);
	free(c->clamav.database);
	free(c->clamav.database_at);
	free(c->spamd.address);
	conf_strlist_release(&c->sql.storage);
	conf_strlist_release(&c->sql.lookup);
	free(c->quarantine_dir);
	free(c->spamd.user);
	free(c->file);
	free(c->syslog_ident);
	free(c->user);
	free(c->run_dir);
	free(c->rules_cache_dir);
	free(c->tmp_dir);
	free(c->myhostname);
	free(c);
	*cp = NULL;
}

/*
 * conf_print_builtin - a bank key with the built-in value the default
 * bank gets when no file sets it (conf_banks()); another bank takes what
 * it leaves out from default
 */
static void
conf_print_builtin(FILE *fp, const struct conf_bank_key_def *k, int indent)
{
	switch (k->type) {
	case CONF_BANK_HOPS:
		if (k->builtin[0])
			fprintf(fp, "%*s%s = {\"%s\"}\n", indent, "", k->name,
				k->builtin);
		else
			fprintf(fp, "%*s# %s (built-in: the hops of %s)\n",
				indent, "", k->name,
				strcmp(k->name, "release") == 0 ? "notify"
								: "forward");
		break;
	case CONF_BANK_REGEXES:
		fprintf(fp, "%*s%s = {}\n", indent, "", k->name);
		break;
	case CONF_BANK_BOOL:
	case CONF_BANK_FLOAT:
		fprintf(fp, "%*s%s = %s\n", indent, "", k->name, k->builtin);
		break;
	default:
		fprintf(fp, "%*s%s = \"%s\"\n", indent, "", k->name,
			k->builtin);
		break;
	}
}

/* conf_print_opt - one option with its documentation */
static void
conf_print_opt(FILE *fp, cfg_opt_t *opt, const char *section, int indent)
{
	const struct conf_param_doc *d = conf_doc(section, opt->name);
	const struct conf_bank_key_def *k = NULL;
	const char *doc = d ? d->doc : "(undocumented)";

	for (unsigned i = 0; section && strcmp(section, "bank") == 0 &&
			     conf_bank_key_defs[i].name;
	     i++)
		if (strcmp(conf_bank_key_defs[i].name, opt->name) == 0)
			k = conf_bank_key_defs + i;
	if (k)
		doc = k->doc;
	fprintf(fp, "%*s# %s", indent, "", doc);
	if (d && d->min <= d->max)
		fprintf(fp, " [%ld..%ld]", d->min, d->max);
	fputc('\n', fp);
	if (k)
		conf_print_builtin(fp, k, indent);
	else if (opt->type == CFGT_SEC || opt->type == CFGT_FUNC ||
		 (opt->flags & CFGF_NODEFAULT))
		fprintf(fp, "%*s# %s (no default)\n", indent, "", opt->name);
	else
		cfg_opt_print_indent(opt, fp, indent);
}

/*
 * conf_print_defaults - every option, documented, with its default; then
 * the keys of each section (what filterd.conf(5) lists). A section's keys
 * are printed from an instance of it, parsed with nothing set, so that
 * they show their defaults (a section's template holds none).
 */
void
conf_print_defaults(FILE *fp)
{
	static const char *const sections[] = {"listen", "bank", "clamav",
					       "spamd",	 "sql",	 "milter"};
	cfg_t *cfg = conf_init_cfg();

	/* Each section once, so that its keys show their defaults. */
	if (cfg_parse_buf(cfg,
			  "listen \"127.0.0.1:10024\" {} bank default {}"
			  "clamav {} spamd {} sql {} milter {}") != CFG_SUCCESS)
		msg_panic("conf_print_defaults: defaults do not parse");
	for (cfg_opt_t *opt = cfg->opts; opt->name; opt++)
		conf_print_opt(fp, opt, NULL, 0);
	for (size_t s = 0; s < sizeof(sections) / sizeof(*sections); s++) {
		cfg_t *sec = cfg_getnsec(cfg, sections[s], 0);

		fprintf(fp, "\n# %s section keys:\n", sections[s]);
		for (cfg_opt_t *opt = sec->opts; opt->name; opt++)
			conf_print_opt(fp, opt, sections[s], 4);
	}
	cfg_free(cfg);
}

/* conf_opt_changed - set in the file (a single section: any key in it) */
static int
conf_opt_changed(cfg_opt_t *opt)
{
	if (opt->type == CFGT_FUNC)
		return 0;
	if (opt->type == CFGT_SEC && !(opt->flags & CFGF_MULTI)) {
		cfg_t *sec = cfg_opt_getnsec(opt, 0);

		for (cfg_opt_t *o = sec ? sec->opts : NULL; o && o->name; o++)
			if (o->flags & CFGF_MODIFIED)
				return 1;
		return 0;
	}
	return (opt->flags & CFGF_MODIFIED) != 0;
}

/* conf_print_changed - the top-level values that differ from defaults */
int
conf_print_changed(const char *file, FILE *fp)
{
	cfg_t *cfg = conf_init_cfg();
	int rc;

	conf_state.first_error[0] = 0;
	rc = conf_parse(cfg, file);
	if (rc == CFG_SUCCESS) {
		for (cfg_opt_t *opt = cfg->opts; opt->name; opt++)
			if (conf_opt_changed(opt))
				cfg_opt_print(opt, fp);
	} else {
		msg_error("%s", conf_state.first_error);
	}
	cfg_free(cfg);
	conf_flat_close();
	return rc == CFG_SUCCESS ? 0 : -1;
}
