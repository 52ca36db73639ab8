/*++
/* NAME
/*	mime_raw 3
/* SUMMARY
/*	what the checks can see of a message GMime is not given
/* DESCRIPTION
/*	See mime_raw.h.
/*--*/

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "mime_names.h"
#include "mime_parse.h"
#include "mime_raw.h"
#include "spool/spool.h"
#include "txn/txn.h"
#include "util/buf.h"
#include "util/pool.h"

/* mime_raw_pread - the whole message into buf (t->size bytes); 0 or -1 */
static int
mime_raw_pread(struct txn *t, char *buf)
{
	int fd = spool_fd(t->spool);
	off_t off = 0;

	while (off < t->size) {
		ssize_t n = pread(fd, buf + off, (size_t)(t->size - off), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			txn_set_error(t, TXN_ERR_PARSE, "spool: %s",
				      n == 0 ? "short read" : strerror(errno));
			return -1;
		}
		off += n;
	}
	return 0;
}

/*
 * mime_raw_field - one field of the header section, [p, end) without
 * its last line ending, folded lines included: "Name: value\n" into
 * out, unfolded. A line GMime drops (its name is empty or holds blanks
 * or controls, or no colon follows it) gives nothing.
 */
static void
mime_raw_field(struct buf *out, const char *p, const char *end)
{
	const char *c = p, *name_end, *v;

	while (c < end && (unsigned char)*c > 0x20 && *c != 0x7f && *c != ':')
		c++;
	name_end = c;
	while (c < end && (*c == ' ' || *c == '\t'))
		c++;
	if (name_end == p || c == end || *c != ':')
		return;
	buf_append(out, p, (size_t)(name_end - p));
	buf_puts(out, ": ");
	for (v = c + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	/* Folding: the line breaks go, the blanks that follow stay. */
	while (v < end) {
		const char *lf = memchr(v, '\n', (size_t)(end - v));
		const char *e = lf ? lf : end;

		if (lf && e > v && e[-1] == '\r')
			e--;
		buf_append(out, v, (size_t)(e - v));
		v = lf ? lf + 1 : end;
	}
	buf_puts(out, "\n");
}

/* mime_raw_views - the spam views of the raw message */
int
mime_raw_views(struct txn *t, struct mime_summary *m)
{
	char *msg = pool_alloc(t->pool, (size_t)t->size + 1);
	const char *p = msg, *end, *field = NULL, *body;
	struct buf out;

	if (mime_raw_pread(t, msg) < 0)
		return -1;
	end = msg + t->size;
	body = end;
	buf_init(&out, 4096);
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		const char *next = lf ? lf + 1 : end;
		int blank = next - p <= 2 &&
			    (*p == '\n' || (*p == '\r' && next - p == 2));

		/* A line that does not continue a field ends the one before. */
		if (blank || (*p != ' ' && *p != '\t')) {
			if (field) {
				const char *fe = p;

				if (fe > field && fe[-1] == '\n')
					fe--;
				if (fe > field && fe[-1] == '\r')
					fe--;
				mime_raw_field(&out, field, fe);
			}
			field = blank ? NULL : p;
		}
		if (blank) {
			body = next;
			break;
		}
		p = next;
	}
	if (field)
		mime_raw_field(&out, field, end);
	m->headers = pool_memdup(t->pool, out.data, out.len);
	m->headers_len = out.len;
	buf_release(&out);
	m->text = pool_memdup(t->pool, body, (size_t)(end - body));
	m->text_len = (size_t)(end - body);
	return 0;
}

/* The fields that name a part's file (mime_names' list). */
enum mime_raw_kind {
	MIME_RAW_NONE,
	MIME_RAW_TYPE,	      /* Content-Type: its type, and names */
	MIME_RAW_DISPOSITION, /* Content-Disposition: names */
	MIME_RAW_TEXT,	      /* the first of mime_names_fields */
};

/* How many kinds there are: the last of mime_names_fields, plus one. */
#define MIME_RAW_KINDS (MIME_RAW_TEXT + MIME_NAMES_FIELDS)

/* mime_raw_field_name - the field name of a kind */
static const char *
mime_raw_field_name(int kind)
{
	switch (kind) {
	case MIME_RAW_TYPE:
		return "Content-Type";
	case MIME_RAW_DISPOSITION:
		return "Content-Disposition";
	default:
		return mime_names_fields[kind - MIME_RAW_TEXT];
	}
}

/* Where the pass is in a line. */
enum mime_raw_state {
	MIME_RAW_BOL,	 /* at its start */
	MIME_RAW_CR,	 /* after a CR at its start: a blank line? */
	MIME_RAW_DASH,	 /* after a '-' at its start: a "--" line? */
	MIME_RAW_NAME,	 /* in a field name that may be one of ours */
	MIME_RAW_BLANKS, /* after such a name, before the colon */
	MIME_RAW_VALUE,	 /* in the value of one of ours */
	MIME_RAW_SKIP,	 /* in anything else, to its end */
};

/* The pass under way. */
struct mime_raw_scan {
	struct txn *t;
	struct mime_summary *m;
	struct mime_part **tail;
	GMimeParserOptions *opts;
	struct mime_part *part; /* the header section's, or NULL */
	size_t names_cap;	/* of part->names */
	int typed;		/* part has its type from a Content-Type */
	enum mime_raw_state st;
	unsigned cand;		    /* bit per kind still matching the name */
	size_t npos;		    /* name bytes matched so far */
	enum mime_raw_kind pending; /* the name matched, colon to come */
	enum mime_raw_kind kind;    /* the field whose value is in value */
	struct buf value;	    /* unfolded, at most max_value bytes */
	size_t max_value;
	long fields; /* fields of ours read so far */
	int stop;    /* max_mime_parts or max_header_fields reached */
};

/* mime_raw_part - the header section's part, made at its first field */
static struct mime_part *
mime_raw_part(struct mime_raw_scan *s)
{
	struct mime_part *p;

	if (s->part)
		return s->part;
	if ((long)s->m->n_parts >= (long)s->t->conf->max_mime_parts) {
		s->stop = 1;
		return NULL;
	}
	p = pool_alloc(s->t->pool, sizeof(*p));
	p->type = "text/plain"; /* GMime's default */
	s->names_cap = 4;
	p->names = pool_alloc(s->t->pool, s->names_cap * sizeof(*p->names));
	*s->tail = p;
	s->tail = &p->next;
	s->m->n_parts++;
	s->typed = 0;
	return s->part = p;
}

/* mime_raw_name - one more name of p (none empty, none twice in a row) */
static void
mime_raw_name(struct mime_raw_scan *s, struct mime_part *p, const char *v)
{
	if (v == NULL || *v == '\0' ||
	    (p->n_names && strcmp(p->names[p->n_names - 1], v) == 0))
		return;
	if (p->n_names + 1 >= s->names_cap) {
		const char **n = pool_alloc(s->t->pool,
					    2 * s->names_cap * sizeof(*n));

		memcpy(n, p->names, p->n_names * sizeof(*n));
		p->names = n;
		s->names_cap *= 2;
	}
	p->names[p->n_names++] = pool_strdup(s->t->pool, v);
	p->name = p->names[0];
}

/*
 * mime_raw_params - the values of the parameters that name a file in
 * list (mime_names_keys), as names of p; and those of their RFC 2231
 * pieces out of order in the field's value, as mime_names() reads them
 */
static void
mime_raw_params(struct mime_raw_scan *s, struct mime_part *p,
		GMimeParamList *list)
{
	for (size_t k = 0; mime_names_keys[k]; k++) {
		for (int i = 0; list && i < g_mime_param_list_length(list);
		     i++) {
			GMimeParam *pa = g_mime_param_list_get_parameter_at(
				list, i);

			if (g_ascii_strcasecmp(g_mime_param_get_name(pa),
					       mime_names_keys[k]) == 0)
				mime_raw_name(s, p, g_mime_param_get_value(pa));
		}
		mime_raw_name(s, p,
			      mime_names_2231(s->t->pool, s->value.data,
					      mime_names_keys[k]));
	}
}

/* mime_raw_field_end - a field of ours has ended: its type and names */
static void
mime_raw_field_end(struct mime_raw_scan *s)
{
	enum mime_raw_kind kind = s->kind;
	struct mime_part *p;

	s->kind = MIME_RAW_NONE;
	if (kind == MIME_RAW_NONE)
		return;
	/* No more fields than GMime would be given, nor parts. */
	if (++s->fields > s->t->conf->max_header_fields) {
		s->stop = 1;
		return;
	}
	if ((p = mime_raw_part(s)) == NULL)
		return;
	/* GMime's own parameter parser: RFC 2231, encoded words. */
	if (kind == MIME_RAW_TYPE) {
		GMimeContentType *ct = g_mime_content_type_parse(s->opts,
								 s->value.data);
		char *type;

		if (ct == NULL)
			return;
		type = g_mime_content_type_get_mime_type(ct);
		if (type && !s->typed) {
			for (char *q = type; *q; q++)
				*q = (char)g_ascii_tolower(*q);
			p->type = pool_strdup(s->t->pool, type);
			s->typed = 1;
		}
		g_free(type);
		mime_raw_params(s, p, g_mime_content_type_get_parameters(ct));
		g_object_unref(ct);
	} else if (kind == MIME_RAW_DISPOSITION) {
		GMimeContentDisposition *cd = g_mime_content_disposition_parse(
			s->opts, s->value.data);

		if (cd == NULL)
			return;
		mime_raw_params(s, p,
				g_mime_content_disposition_get_parameters(cd));
		g_object_unref(cd);
	} else {
		/* Content-Name and the like: the value is the name. */
		mime_raw_name(s, p, mime_names_text(s->t->pool, s->value.data));
	}
}

/* mime_raw_value - more of the value under way: no CR, at most max */
static void
mime_raw_value(struct mime_raw_scan *s, const char *p, size_t len)
{
	const char *end = p + len;

	while (p < end && s->value.len < s->max_value) {
		const char *cr = memchr(p, '\r', (size_t)(end - p));
		size_t n = (size_t)((cr ? cr : end) - p);

		if (n > s->max_value - s->value.len)
			n = s->max_value - s->value.len;
		buf_append(&s->value, p, n);
		p = cr ? cr + 1 : end;
	}
}

/* mime_raw_matched - the kind whose whole name was matched, or none */
static enum mime_raw_kind
mime_raw_matched(const struct mime_raw_scan *s)
{
	for (int k = MIME_RAW_TYPE; k < MIME_RAW_KINDS; k++)
		if ((s->cand & (1u << k)) &&
		    strlen(mime_raw_field_name(k)) == s->npos)
			return (enum mime_raw_kind)k;
	return MIME_RAW_NONE;
}

/* mime_raw_start - a field of ours begins: its value follows */
static void
mime_raw_start(struct mime_raw_scan *s, enum mime_raw_kind kind)
{
	s->kind = kind;
	buf_reset(&s->value);
	s->st = MIME_RAW_VALUE;
}

/* mime_raw_feed - the next len bytes of the message */
static void
mime_raw_feed(struct mime_raw_scan *s, const char *p, size_t len)
{
	const char *end = p + len;

	while (p < end && !s->stop) {
		const char *lf;
		char c = *p;

		switch (s->st) {
		case MIME_RAW_SKIP:
		case MIME_RAW_VALUE:
			lf = memchr(p, '\n', (size_t)(end - p));
			if (s->st == MIME_RAW_VALUE)
				mime_raw_value(s, p,
					       (size_t)((lf ? lf : end) - p));
			if (lf == NULL)
				return;
			p = lf + 1;
			s->st = MIME_RAW_BOL;
			continue;
		case MIME_RAW_BOL:
			/* A folded line: more of the field, blank and all. */
			if (c == ' ' || c == '\t') {
				s->st = s->kind ? MIME_RAW_VALUE
						: MIME_RAW_SKIP;
				continue;
			}
			mime_raw_field_end(s);
			/* A blank line ends a header section. */
			if (c == '\n') {
				s->part = NULL;
			} else if (c == '\r') {
				s->st = MIME_RAW_CR;
			} else if (c == '-') {
				s->st = MIME_RAW_DASH;
			} else {
				s->cand = ((1u << MIME_RAW_KINDS) - 1) &
					  ~(1u << MIME_RAW_NONE);
				s->npos = 0;
				s->st = MIME_RAW_NAME;
				continue;
			}
			break;
		case MIME_RAW_CR:
			if (c == '\n') {
				s->part = NULL;
				s->st = MIME_RAW_BOL;
				break;
			}
			s->st = MIME_RAW_SKIP;
			continue;
		case MIME_RAW_DASH:
			/* A "--" line: what follows is another section. */
			if (c == '-')
				s->part = NULL;
			if (c == '\n') {
				s->st = MIME_RAW_BOL;
				break;
			}
			s->st = MIME_RAW_SKIP;
			continue;
		case MIME_RAW_NAME:
			if (c == ':' || c == ' ' || c == '\t') {
				s->pending = mime_raw_matched(s);
				if (s->pending == MIME_RAW_NONE)
					s->st = MIME_RAW_SKIP;
				else if (c == ':')
					mime_raw_start(s, s->pending);
				else
					s->st = MIME_RAW_BLANKS;
				break;
			}
			for (int k = MIME_RAW_TYPE; k < MIME_RAW_KINDS; k++)
				if (s->npos >= strlen(mime_raw_field_name(k)) ||
				    g_ascii_tolower(c) !=
					    g_ascii_tolower(mime_raw_field_name(
						    k)[s->npos]))
					s->cand &= ~(1u << k);
			s->npos++;
			if (s->cand == 0)
				s->st = MIME_RAW_SKIP;
			if (c == '\n')
				s->st = MIME_RAW_BOL;
			break;
		case MIME_RAW_BLANKS:
			if (c == ':')
				mime_raw_start(s, s->pending);
			else if (c == '\n')
				s->st = MIME_RAW_BOL;
			else if (c != ' ' && c != '\t')
				s->st = MIME_RAW_SKIP;
			break;
		}
		p++;
	}
}

/* mime_raw_piece - spool_read_all's callback: until the scan stops */
static int
mime_raw_piece(void *ctx, const char *data, size_t len)
{
	struct mime_raw_scan *s = ctx;

	mime_raw_feed(s, data, len);
	return s->stop;
}

/* mime_raw_parts - the parts' types and names from the raw message */
int
mime_raw_parts(struct txn *t, struct mime_summary *m)
{
	struct mime_raw_scan s = {0};
	char err[512];
	int ret;

	s.t = t;
	s.m = m;
	s.tail = &m->parts;
	while (*s.tail)
		s.tail = &(*s.tail)->next;
	s.opts = g_mime_parser_options_new();
	s.st = MIME_RAW_BOL;
	s.max_value = (size_t)t->conf->max_header_field_size;
	buf_init(&s.value, 256);
	if ((ret = spool_read_all(t->spool, MIME_RAW_CHUNK, mime_raw_piece, &s,
				  err, sizeof(err))) < 0)
		txn_set_error(t, TXN_ERR_PARSE, "%s", err);
	else if (!s.stop)
		mime_raw_field_end(&s);
	buf_release(&s.value);
	g_mime_parser_options_free(s.opts);
	return ret;
}
