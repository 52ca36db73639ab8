/*++
/* NAME
/*	mime_parse 3
/* SUMMARY
/*	the MIME tree of a spooled message (GMime)
/*--*/

#include <errno.h>
#include <gmime/gmime.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mime_bounds.h"
#include "mime_embedded.h"
#include "mime_names.h"
#include "mime_parse.h"
#include "mime_raw.h"
#include "mime_tnef.h"
#include "spool/spool.h"
#include "txn/txn.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/xalloc.h"

/*
 * State of one parse, and the data of GMime's warning callback. GMime
 * copies the parser options, callback data included, into the header
 * lists of the message it makes and warns through them whenever it
 * decodes a value again, long after the parse: so this lives in the
 * txn's pool and the options in txn->mime, both as long as the message.
 */
struct mime_walk {
	struct txn *t;
	struct mime_summary *m;
	struct mime_part **tail;
	struct buf text;
	int views;
	int stop; /* max_mime_parts reached: no more parts */
	/* The boundaries of the multiparts of the message being walked
	 * (GMime's strings, as long as the message), and the longest. */
	GHashTable *boundaries;
	size_t boundary_max;
	/* What GMime would build of the attached messages, all of them
	 * counted together before it is given one (mime_bounds.h). */
	struct mime_bounds *bounds;
	/* Files embedded in text parts: the reader (made once) and the
	 * block at hand (NULL: none, or left out). */
	struct mime_embedded *embedded;
	struct mime_part *block;
	int block_depth;
	int block_attached;
	const char *limit; /* the last limit reached (mime_limit) */
};

/* What makes MIME ambiguous, in our words (never the message's). */
static const struct {
	GMimeParserWarning code;
	const char *what;
} mime_ambiguities[] = {
	{GMIME_CRIT_CONFLICTING_HEADER, "conflicting header"},
	{GMIME_CRIT_CONFLICTING_PARAMETER, "conflicting parameter"},
	{GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY, "multipart without a boundary"},
	{GMIME_CRIT_NESTING_OVERFLOW, "nesting overflow"},
	{GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT,
	 "part without headers or content"},
};

static const char *const mime_archive_types[] = {
	"application/zip",
	"application/x-zip-compressed",
	"application/x-rar",
	"application/x-rar-compressed",
	"application/vnd.rar",
	"application/x-7z-compressed",
	"application/x-tar",
	"application/gzip",
	"application/x-gzip",
	"application/x-bzip2",
	"application/x-xz",
	"application/java-archive",
	"application/vnd.ms-cab-compressed",
	"application/x-iso9660-image"};

static const char *const mime_archive_exts[] = {
	".zip", ".rar", ".7z",	".tar", ".tgz", ".gz",
	".bz2", ".xz",	".jar", ".cab", ".iso", ".tbz2"};

/* mime_init - GMime, once per process tree */
void
mime_init(void)
{
	g_mime_init();
}

/* mime_ends_with - does name end in ext (case aside), after something? */
static int
mime_ends_with(const char *name, const char *ext)
{
	size_t nl = strlen(name), el = strlen(ext);

	return nl > el && g_ascii_strcasecmp(name + nl - el, ext) == 0;
}

/* mime_is_archive - by declared type (may be NULL) or file name */
int
mime_is_archive(const char *type, const char *name)
{
	for (size_t i = 0; type && i < G_N_ELEMENTS(mime_archive_types); i++)
		if (strcmp(type, mime_archive_types[i]) == 0)
			return 1;
	for (size_t i = 0; name && i < G_N_ELEMENTS(mime_archive_exts); i++)
		if (mime_ends_with(name, mime_archive_exts[i]))
			return 1;
	return 0;
}

/* The head of a part looked at to tell whether it is a mail message. */
#define MIME_MAIL_HEAD 4096

/* Header fields that say "a mail message" when it starts with them. */
static const char *const mime_mail_fields[] = {
	"From",		"Received",   "Return-Path", "MIME-Version",
	"Content-Type", "Message-ID", "Date",	     "Subject",
	"To",		"Sender",     "Reply-To",    "Delivered-To"};

/* mime_blank - does a blank line start at buf[i]? */
static int
mime_blank(const char *buf, size_t len, size_t i)
{
	return buf[i] == '\n' ||
	       (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n');
}

/* mime_next_line - where the line after the one at i starts */
static size_t
mime_next_line(const char *buf, size_t len, size_t i)
{
	const char *lf = memchr(buf + i, '\n', len - i);

	return lf ? (size_t)(lf - buf) + 1 : len;
}

/*
 * mime_is_mail - does head start as a mail message does: an optional
 * mbox "From " line, then header fields (a cut last line aside) up to
 * a blank line or the end of head, one of them a mail's?
 */
int
mime_is_mail(const char *head, size_t len)
{
	size_t i = 0;
	int fields = 0, mail = 0;

	if (len >= 5 && memcmp(head, "From ", 5) == 0)
		i = mime_next_line(head, len, 0);
	while (i < len && !mime_blank(head, len, i)) {
		size_t end = mime_next_line(head, len, i), n = i, nl;

		if (head[i] == ' ' || head[i] == '\t') {
			if (fields == 0)
				return 0;
			i = end;
			continue;
		}
		while (n < end && head[n] > ' ' && head[n] < 127 &&
		       head[n] != ':')
			n++;
		nl = n - i;
		/* White space before the colon: RFC 5322's obsolete syntax. */
		while (n < end && (head[n] == ' ' || head[n] == '\t'))
			n++;
		/* Not a field: fine only where head cut the last line. */
		if (nl == 0 || n >= end || head[n] != ':')
			return head[end - 1] != '\n' && fields > 0 ? mail : 0;
		fields++;
		for (size_t k = 0; k < G_N_ELEMENTS(mime_mail_fields); k++)
			if (strlen(mime_mail_fields[k]) == nl &&
			    g_ascii_strncasecmp(head + i, mime_mail_fields[k],
						nl) == 0)
				mail = 1;
		i = end;
	}
	return mail;
}

/*
 * mime_ambiguity - what makes MIME ambiguous in a warning, in our words,
 * or NULL. Two different Subject: fields make a bad header, not
 * ambiguous MIME: only the fields that shape the MIME structure count.
 */
static const char *
mime_ambiguity(GMimeParserWarning code, const gchar *item)
{
	if (code == GMIME_CRIT_CONFLICTING_HEADER &&
	    (item == NULL || (g_ascii_strncasecmp(item, "Content-", 8) != 0 &&
			      g_ascii_strcasecmp(item, "MIME-Version") != 0)))
		return NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(mime_ambiguities); i++)
		if (code == mime_ambiguities[i].code)
			return mime_ambiguities[i].what;
	return NULL;
}

/* mime_warning - GMime says the message is odd */
static void
mime_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
	     gpointer data)
{
	struct mime_walk *w = data;
	const char *what = mime_ambiguity(code, item);

	w->m->malformed = 1;
	if (what == NULL)
		return;
	/* Where, for mime_readings(): the name is message text, kept to
	 * find its bytes again, never shown. */
	if ((code == GMIME_CRIT_CONFLICTING_HEADER ||
	     code == GMIME_CRIT_CONFLICTING_PARAMETER) &&
	    item && *item && offset >= 0 &&
	    w->m->n_conflicts < MIME_READINGS_MAX) {
		struct mime_conflict *c = pool_alloc(w->t->pool, sizeof(*c));

		c->offset = (off_t)offset;
		c->name = pool_strdup(w->t->pool, item);
		c->param = code == GMIME_CRIT_CONFLICTING_PARAMETER;
		c->next = w->m->conflicts;
		w->m->conflicts = c;
		w->m->n_conflicts++;
	}
	/* Parsers could disagree on what is in it (amavis: CC_UNCHECKED,3). */
	if (w->m->ambiguous == NULL)
		w->m->ambiguous = pool_printf(
			w->t->pool, "ambiguous MIME (%s at offset %lld)", what,
			(long long)offset);
}

/*
 * mime_warning_attached - GMime says an attached message is odd: its
 * offsets are not the spool's, so there is no other reading to make,
 * but mail programs may read it otherwise all the same
 */
static void
mime_warning_attached(gint64 offset, GMimeParserWarning code, const gchar *item,
		      gpointer data)
{
	struct mime_walk *w = data;
	const char *what = mime_ambiguity(code, item);

	(void)offset;
	w->m->malformed = 1;
	if (what && w->m->ambiguous == NULL)
		w->m->ambiguous = pool_printf(
			w->t->pool,
			"ambiguous MIME (%s in an attached message)", what);
}

/* The Content-Transfer-Encoding names GMime knows, exactly. */
static const struct {
	const char *name;
	GMimeContentEncoding encoding;
} mime_encodings[] = {
	{"7bit", GMIME_CONTENT_ENCODING_7BIT},
	{"8bit", GMIME_CONTENT_ENCODING_8BIT},
	{"7-bit", GMIME_CONTENT_ENCODING_7BIT},
	{"8-bit", GMIME_CONTENT_ENCODING_8BIT},
	{"binary", GMIME_CONTENT_ENCODING_BINARY},
	{"base64", GMIME_CONTENT_ENCODING_BASE64},
	{"quoted-printable", GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE},
	{"uuencode", GMIME_CONTENT_ENCODING_UUENCODE},
	{"x-uuencode", GMIME_CONTENT_ENCODING_UUENCODE},
	{"x-uue", GMIME_CONTENT_ENCODING_UUENCODE},
};

/* mime_encoding_named - the encoding called s[0..len), or -1 */
static int
mime_encoding_named(const char *s, size_t len)
{
	for (size_t i = 0; i < G_N_ELEMENTS(mime_encodings); i++)
		if (strlen(mime_encodings[i].name) == len &&
		    g_ascii_strncasecmp(s, mime_encodings[i].name, len) == 0)
			return (int)mime_encodings[i].encoding;
	return -1;
}

/* mime_lwsp - white space of a raw header value, folding included */
static int
mime_lwsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * mime_encoding_exact - the encoding a raw Content-Transfer-Encoding
 * value names, white space around it aside; -1 for anything else
 */
static int
mime_encoding_exact(const char *raw)
{
	size_t len = strlen(raw);

	while (len > 0 && mime_lwsp(raw[len - 1]))
		len--;
	while (len > 0 && mime_lwsp(*raw))
		raw++, len--;
	return mime_encoding_named(raw, len);
}

/*
 * mime_encoding_first - the encoding the first token of a raw value
 * names (quotes and what follows the token aside: "base64;",
 * "\"base64\""), as lenient mail programs read it; -1 when none
 */
static int
mime_encoding_first(const char *raw)
{
	size_t len = 0;

	while (mime_lwsp(*raw))
		raw++;
	if (*raw == '"' || *raw == '\'')
		raw++;
	while (g_ascii_isalnum(raw[len]) || raw[len] == '-')
		len++;
	return mime_encoding_named(raw, len);
}

/* mime_identity - content as it is stored */
static int
mime_identity(int encoding)
{
	switch (encoding) {
	case GMIME_CONTENT_ENCODING_DEFAULT:
	case GMIME_CONTENT_ENCODING_7BIT:
	case GMIME_CONTENT_ENCODING_8BIT:
	case GMIME_CONTENT_ENCODING_BINARY:
		return 1;
	default:
		return 0;
	}
}

/*
 * Lenient base64, as mail programs decode it: what is not in the
 * alphabet is skipped; padding ends a group, whose whole bytes count;
 * an incomplete last group gives its whole bytes too (GMime's decoder
 * drops it). Also what makes a reading unsure, for the walk.
 */
struct mime_b64 {
	guint32 bits;  /* of the group at hand */
	int n;	       /* its characters, 0..3 */
	int gmime;     /* characters and padding mod 4: GMime's group */
	int padded;    /* padding since the last character */
	int after_pad; /* a character after padding: readers differ */
	int lone;      /* a group of one character: no whole byte */
};

/* mime_b64_flush - the whole bytes of the group at hand, into out */
static size_t
mime_b64_flush(struct mime_b64 *s, unsigned char *out)
{
	size_t n = 0;

	if (s->n == 1)
		s->lone = 1;
	if (s->n >= 2)
		out[n++] = (unsigned char)(s->bits >> (s->n == 2 ? 4 : 10));
	if (s->n == 3)
		out[n++] = (unsigned char)(s->bits >> 2);
	s->n = 0;
	s->bits = 0;
	return n;
}

/* mime_b64_step - decode len bytes into out (3 * len / 4 + 2 bytes) */
static size_t
mime_b64_step(struct mime_b64 *s, const unsigned char *in, size_t len,
	      unsigned char *out)
{
	const signed char *v = base64_value;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int r;

		/* Whole groups of four, the common case, without the state. */
		while (s->n == 0 && !s->padded && i + 4 <= len &&
		       (v[in[i]] | v[in[i + 1]] | v[in[i + 2]] |
			v[in[i + 3]]) >= 0) {
			guint32 bits = (guint32)v[in[i]] << 18 |
				       (guint32)v[in[i + 1]] << 12 |
				       (guint32)v[in[i + 2]] << 6 |
				       (guint32)v[in[i + 3]];

			out[o++] = (unsigned char)(bits >> 16);
			out[o++] = (unsigned char)(bits >> 8);
			out[o++] = (unsigned char)bits;
			i += 4;
		}
		if (i >= len)
			break;
		if ((r = v[in[i]]) == -2) {
			o += mime_b64_flush(s, out + o);
			s->padded = 1;
			s->gmime = (s->gmime + 1) % 4;
			continue;
		}
		if (r < 0)
			continue;
		if (s->padded)
			s->after_pad = 1;
		s->padded = 0;
		s->gmime = (s->gmime + 1) % 4;
		s->bits = s->bits << 6 | (guint32)r;
		if (++s->n == 4) {
			out[o++] = (unsigned char)(s->bits >> 16);
			out[o++] = (unsigned char)(s->bits >> 8);
			out[o++] = (unsigned char)s->bits;
			s->n = 0;
			s->bits = 0;
		}
	}
	return o;
}

/*
 * Quoted-printable the RFC's way (RFC 2045 6.7), as Dovecot, Python's
 * quopri and MimeKit decode it: trailing white space on a line is
 * deleted (rule 3), so "=" followed by blanks and a line break is a
 * soft line break too; "=" followed by what is neither two hex digits
 * nor a line break is taken as text (rule 4). GMime keeps the blanks
 * and "= " CR LF as text, and so does libclamav's mail parser: a virus
 * split there is whole only in this reading. Whatever we decode
 * otherwise than GMime sets otherwise.
 *
 * Blanks are held back until the line goes on (then they are text) or
 * ends (then they go). A run of them may be as long as the part: the
 * first MIME_QP_KEEP are kept, a longer run is read again from the
 * stored content, whose offsets are kept instead.
 */
#define MIME_QP_KEEP 64

enum mime_qp_state {
	MIME_QP_TEXT, /* text */
	MIME_QP_EQ,   /* after "=", and maybe blanks and a CR */
	MIME_QP_HEX,  /* after "=" and a hex digit */
};

/* A run of blanks in the stored content. */
struct mime_qp_run {
	gint64 at;  /* stream offset of its first byte */
	size_t len; /* its bytes */
	char head[MIME_QP_KEEP];
};

struct mime_qp {
	enum mime_qp_state state;
	char hex;		   /* MIME_QP_HEX: the digit after "=" */
	struct mime_qp_run blanks; /* held back: at the end of the line? */
	int cr;			   /* held back: a CR after them */
	/* Output due before the next byte is looked at: pre, run, post. */
	char pre[2], post[2];
	size_t pre_len, pre_pos, post_len, post_pos;
	struct mime_qp_run run;
	size_t run_pos;
	int otherwise; /* decoded otherwise than GMime decodes it */
};

/* mime_qp_due - is output due? */
static int
mime_qp_due(const struct mime_qp *q)
{
	return q->pre_pos < q->pre_len || q->run_pos < q->run.len ||
	       q->post_pos < q->post_len;
}

/*
 * mime_qp_release - what is held back is text after all, after pre
 * (NULL for none): out with it, in order
 */
static void
mime_qp_release(struct mime_qp *q, const char *pre, size_t pre_len)
{
	if (pre_len > 0)
		memcpy(q->pre, pre, pre_len);
	q->pre_len = pre_len;
	q->pre_pos = 0;
	q->run = q->blanks;
	q->run_pos = 0;
	q->post[0] = '\r';
	q->post_len = q->cr ? 1 : 0;
	q->post_pos = 0;
	q->blanks.len = 0;
	q->cr = 0;
}

/* mime_qp_literal - "=" (and a digit) that does not encode: text */
static void
mime_qp_literal(struct mime_qp *q)
{
	char pre[2] = {'=', q->hex};

	mime_qp_release(q, pre, q->state == MIME_QP_HEX ? 2 : 1);
	q->state = MIME_QP_TEXT;
	/* GMime takes the two bytes after "=" as text; readers differ. */
	q->otherwise = 1;
}

/* mime_qp_eol - a line break ends the line: blanks held back go */
static void
mime_qp_eol(struct mime_qp *q)
{
	if (q->blanks.len)
		q->otherwise = 1;
	q->blanks.len = 0;
	q->cr = 0;
}

/* mime_qp_blank - hold a blank back */
static void
mime_qp_blank(struct mime_qp *q, char c, gint64 at)
{
	if (q->blanks.len == 0)
		q->blanks.at = at;
	if (q->blanks.len < MIME_QP_KEEP)
		q->blanks.head[q->blanks.len] = c;
	q->blanks.len++;
}

/*
 * mime_qp_byte - byte c of the stored content, at stream offset at,
 * with room for one byte at *out: 1 when it was taken (writing at most
 * that byte, *wrote set), 0 when output is due first and c must be
 * looked at again
 */
static int
mime_qp_byte(struct mime_qp *q, char c, gint64 at, char *out, int *wrote)
{
	int blank = c == ' ' || c == '\t';

	*wrote = 0;
	switch (q->state) {
	case MIME_QP_HEX:
		if (!g_ascii_isxdigit(c)) {
			mime_qp_literal(q);
			return 0;
		}
		*out = (char)(g_ascii_xdigit_value(q->hex) << 4 |
			      g_ascii_xdigit_value(c));
		*wrote = 1;
		q->state = MIME_QP_TEXT;
		return 1;
	case MIME_QP_EQ:
		if (c == '\n') {
			/* A soft line break, blanks before it or not. */
			mime_qp_eol(q);
			q->state = MIME_QP_TEXT;
			return 1;
		}
		if (q->cr || (!blank && c != '\r' &&
			      (q->blanks.len || !g_ascii_isxdigit(c)))) {
			mime_qp_literal(q);
			return 0;
		}
		if (c == '\r')
			q->cr = 1;
		else if (blank)
			mime_qp_blank(q, c, at);
		else {
			q->hex = c;
			q->state = MIME_QP_HEX;
		}
		return 1;
	default:
		break;
	}
	if (c == '\n') {
		q->post[0] = '\r';
		q->post[q->cr] = '\n';
		q->post_len = (size_t)q->cr + 1;
		q->post_pos = 0;
		mime_qp_eol(q);
		return 1;
	}
	/* A CR followed by other than LF, or more: text so far. */
	if (q->cr || ((q->blanks.len) && !blank && c != '\r')) {
		mime_qp_release(q, NULL, 0);
		return 0;
	}
	if (blank)
		mime_qp_blank(q, c, at);
	else if (c == '\r')
		q->cr = 1;
	else if (c == '=')
		q->state = MIME_QP_EQ;
	else {
		*out = c;
		*wrote = 1;
	}
	return 1;
}

/* mime_qp_end - the stored content has ended */
static void
mime_qp_end(struct mime_qp *q)
{
	switch (q->state) {
	case MIME_QP_HEX:
		/* "=" and one digit: text (GMime drops them). */
		mime_qp_literal(q);
		break;
	case MIME_QP_EQ:
		/* A soft line break at the end (blanks: GMime keeps them). */
		mime_qp_eol(q);
		break;
	default:
		/* The last line's trailing blanks go; a CR stays. */
		q->post[0] = '\r';
		q->post_len = q->cr ? 1 : 0;
		q->post_pos = 0;
		mime_qp_eol(q);
		break;
	}
	q->state = MIME_QP_TEXT;
}

/*
 * A part's decoded content: GMime's decoders, but our lenient base64
 * (GMime's drops an incomplete last group) and the RFC's
 * quoted-printable (GMime keeps blanks before a soft line break).
 */
struct mime_decoder {
	GMimeStream *raw;      /* the content as stored */
	GMimeStream *filtered; /* GMime's decoder on it; NULL for ours */
	int encoding;	       /* ours: base64 or quoted-printable */
	struct mime_b64 b64;
	struct mime_qp qp;
	int end; /* ours: the stored content is read */
	unsigned char out[3 * 4096 / 4 + 4]; /* base64 decoded, not yet read */
	size_t out_len, out_pos;
	char in[4096]; /* quoted-printable: stored, not yet looked at */
	size_t in_len, in_pos;
	gint64 in_at; /* stream offset of in[0] */
};

/* mime_decoder_open - decode p's content; 0, or -1 when it has none */
static int
mime_decoder_open(struct mime_decoder *d, const struct mime_part *p)
{
	GMimeDataWrapper *content;
	GMimeFilter *filter;

	memset(d, 0, sizeof(*d));
	/* A file decoded from text: a window on the summary's file. */
	if (p->embedded) {
		if (p->content == NULL)
			return -1;
		d->filtered = g_mime_stream_substream(
			p->content, p->content_off,
			p->content_off + p->content_len);
		return 0;
	}
	if (!GMIME_IS_PART(p->object) ||
	    (content = g_mime_part_get_content(GMIME_PART(p->object))) ==
		    NULL ||
	    (d->raw = g_mime_data_wrapper_get_stream(content)) == NULL)
		return -1;
	g_object_ref(d->raw);
	g_mime_stream_reset(d->raw);
	d->encoding = p->encoding;
	if (p->encoding == GMIME_CONTENT_ENCODING_BASE64 ||
	    p->encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE)
		return 0;
	d->filtered = g_mime_stream_filter_new(d->raw);
	filter = g_mime_filter_basic_new(p->encoding, FALSE);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(d->filtered), filter);
	g_object_unref(filter);
	return 0;
}

/* mime_decoder_close - release what open took */
static void
mime_decoder_close(struct mime_decoder *d)
{
	if (d->filtered)
		g_object_unref(d->filtered);
	if (d->raw)
		g_object_unref(d->raw);
	d->filtered = d->raw = NULL;
}

/*
 * mime_stream_read - up to size bytes of s into buf: how many, or -1
 * when the spool cannot be read. A bounded stream says -1 at its end
 * too: only a read that fails before the end is an error.
 */
static ssize_t
mime_stream_read(GMimeStream *s, char *buf, size_t size)
{
	size_t got = 0;

	while (got < size && !g_mime_stream_eos(s)) {
		gssize n = g_mime_stream_read(s, buf + got, size - got);

		if (n < 0)
			return g_mime_stream_eos(s) ? (ssize_t)got : -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/*
 * mime_stream_pread - size bytes of s at stream offset at, all of them,
 * leaving its position where it was; 0, or -1
 */
static int
mime_stream_pread(GMimeStream *s, gint64 at, char *buf, size_t size)
{
	gint64 was = g_mime_stream_tell(s);
	ssize_t n;

	if (was < 0 || g_mime_stream_seek(s, at, GMIME_STREAM_SEEK_SET) != at)
		return -1;
	n = mime_stream_read(s, buf, size);
	if (g_mime_stream_seek(s, was, GMIME_STREAM_SEEK_SET) != was ||
	    n != (ssize_t)size)
		return -1;
	return 0;
}

/* mime_qp_drain - due output into buf[*got..size); 0, or -1 */
static int
mime_qp_drain(struct mime_decoder *d, char *buf, size_t size, size_t *got)
{
	struct mime_qp *q = &d->qp;

	while (*got < size && mime_qp_due(q)) {
		if (q->pre_pos < q->pre_len) {
			buf[(*got)++] = q->pre[q->pre_pos++];
		} else if (q->run_pos < q->run.len) {
			size_t k = MIN(size - *got, q->run.len - q->run_pos);

			/* A long run is read again where it is stored. */
			if (q->run.len <= MIME_QP_KEEP)
				memcpy(buf + *got, q->run.head + q->run_pos, k);
			else if (mime_stream_pread(
					 d->raw, q->run.at + (gint64)q->run_pos,
					 buf + *got, k) < 0)
				return -1;
			q->run_pos += k;
			*got += k;
		} else {
			buf[(*got)++] = q->post[q->post_pos++];
		}
	}
	return 0;
}

/* mime_qp_read - up to size bytes of RFC quoted-printable: how many, -1 */
static ssize_t
mime_qp_read(struct mime_decoder *d, char *buf, size_t size)
{
	size_t got = 0;

	while (got < size) {
		int wrote;

		if (mime_qp_due(&d->qp)) {
			if (mime_qp_drain(d, buf, size, &got) < 0)
				return -1;
			continue;
		}
		if (d->in_pos == d->in_len) {
			ssize_t n;

			if (d->end)
				break;
			if ((d->in_at = g_mime_stream_tell(d->raw)) < 0 ||
			    (n = mime_stream_read(d->raw, d->in,
						  sizeof(d->in))) < 0)
				return -1;
			d->in_pos = 0;
			d->in_len = (size_t)n;
			if (n == 0) {
				mime_qp_end(&d->qp);
				d->end = 1;
			}
			continue;
		}
		/* Plain text, nothing held back: as it is (a NUL is looked at
		 * byte by byte: strchr finds the terminator). */
		if (d->qp.state == MIME_QP_TEXT && d->qp.blanks.len == 0 &&
		    !d->qp.cr) {
			size_t k = 0;

			while (k < size - got && d->in_pos + k < d->in_len &&
			       !strchr("= \t\r\n", d->in[d->in_pos + k]))
				k++;
			memcpy(buf + got, d->in + d->in_pos, k);
			d->in_pos += k;
			got += k;
			if (k > 0)
				continue;
		}
		if (mime_qp_byte(&d->qp, d->in[d->in_pos],
				 d->in_at + (gint64)d->in_pos, buf + got,
				 &wrote))
			d->in_pos++;
		got += (size_t)wrote;
	}
	return (ssize_t)got;
}

/* mime_decoder_read - up to size decoded bytes: how many, or -1 */
static ssize_t
mime_decoder_read(struct mime_decoder *d, char *buf, size_t size)
{
	size_t got = 0;

	if (d->filtered)
		return mime_stream_read(d->filtered, buf, size);
	if (d->encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE)
		return mime_qp_read(d, buf, size);
	while (got < size) {
		unsigned char in[4096];
		ssize_t n;

		if (d->out_pos < d->out_len) {
			size_t k = MIN(size - got, d->out_len - d->out_pos);

			memcpy(buf + got, d->out + d->out_pos, k);
			d->out_pos += k;
			got += k;
			continue;
		}
		if (d->end)
			break;
		if ((n = mime_stream_read(d->raw, (char *)in, sizeof(in))) < 0)
			return -1;
		d->out_pos = 0;
		d->out_len = mime_b64_step(&d->b64, in, (size_t)n, d->out);
		if (n == 0) {
			d->out_len += mime_b64_flush(&d->b64, d->out);
			d->end = 1;
		}
	}
	return (ssize_t)got;
}

/*
 * mime_part_copy - p decoded into fd from off on, at most max bytes
 * (longer content is cut there); fed to b as well when not NULL, up to
 * the first bound it passes (the copy stops there); 0, or -1 with errno
 */
static int
mime_part_copy(const struct mime_part *p, int fd, off_t off, long max,
	       struct mime_bounds *b, long *size)
{
	struct mime_decoder d;
	char chunk[65536];
	long left = max;
	int err;

	*size = 0;
	if (mime_decoder_open(&d, p) < 0) {
		errno = EINVAL;
		return -1;
	}
	/* Bounded: a decoding bomb stops at max bytes. */
	while (left > 0) {
		size_t want = left < (long)sizeof(chunk) ? (size_t)left
							 : sizeof(chunk);
		ssize_t n = mime_decoder_read(&d, chunk, want);

		if (n <= 0) {
			if (n < 0)
				goto fail;
			break;
		}
		for (ssize_t done = 0, w; done < n; done += w)
			if ((w = pwrite(fd, chunk + done, (size_t)(n - done),
					off + *size + done)) < 0)
				goto fail;
		left -= n;
		*size += n;
		if (b &&
		    mime_bounds_feed(b, chunk, (size_t)n) != MIME_BOUNDS_OK)
			break;
	}
	mime_decoder_close(&d);
	return 0;
fail:
	err = errno ? errno : EIO;
	mime_decoder_close(&d);
	errno = err;
	return -1;
}

/*
 * mime_limit - a limit was reached (the first one is named): what is
 * past it is left out, not what comes after it
 */
static void
mime_limit(struct mime_walk *w, const char *why)
{
	w->limit = why;
	if (w->m->unchecked == NULL)
		w->m->unchecked = why;
}

/* mime_too_deep - a part past max_mime_depth is left out */
static void
mime_too_deep(struct mime_walk *w)
{
	mime_limit(w, pool_printf(w->t->pool, "MIME nesting deeper than %d",
				  w->t->conf->max_mime_depth));
}

/* mime_undecoded - a part cannot be decoded for sure (the first reason) */
static void
mime_undecoded(struct mime_walk *w, const char *what)
{
	w->m->decoded_otherwise = 1;
	if (w->m->undecoded == NULL)
		w->m->undecoded = pool_printf(w->t->pool, "%s (MIME part %zu)",
					      what, w->m->n_parts);
}

/* mime_walk_names - every file name obj declares (mime_names.h) */
static void
mime_walk_names(struct mime_walk *w, GMimeObject *obj, struct mime_part *p)
{
	p->n_names = mime_names(w->t->pool, obj, &p->names);
	p->name = p->n_names ? p->names[0] : NULL;
}

/*
 * mime_walk_encoding - how p's content is decoded: as lenient mail
 * programs read its Content-Transfer-Encoding, which GMime may not
 */
static void
mime_walk_encoding(struct mime_walk *w, GMimeObject *obj, struct mime_part *p)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int gmime = p->is_leaf ? (int)g_mime_part_get_content_encoding(
					 GMIME_PART(obj))
			       : GMIME_CONTENT_ENCODING_DEFAULT;
	int ours = gmime, odd = 0;

	for (int i = 0; hl && i < g_mime_header_list_get_count(hl); i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *raw = g_mime_header_get_raw_value(h);

		if (g_ascii_strcasecmp(g_mime_header_get_name(h),
				       "Content-Transfer-Encoding") != 0 ||
		    raw == NULL)
			continue;
		/* The last one counts, as for GMime. */
		if ((ours = mime_encoding_exact(raw)) < 0) {
			odd = 1;
			ours = mime_encoding_first(raw);
		}
	}
	p->encoding = gmime;
	if (odd)
		w->m->decoded_otherwise = 1;
	if (ours < 0) {
		mime_undecoded(w, "unknown Content-Transfer-Encoding");
	} else if (!p->is_leaf) {
		/* RFC 2045 forbids it; GMime ignores it, others may not. */
		if (!mime_identity(ours))
			mime_undecoded(w, "encoded MIME container");
	} else if (ours != gmime &&
		   !(mime_identity(ours) && mime_identity(gmime))) {
		p->encoding = ours;
		p->as_stored = mime_identity(gmime);
	}
}

/* mime_name_ends - does a name of p end in ext (case aside)? */
static int
mime_name_ends(const struct mime_part *p, const char *ext)
{
	for (size_t i = 0; i < p->n_names; i++)
		if (mime_ends_with(p->names[i], ext))
			return 1;
	return 0;
}

/*
 * mime_walk_is_message - is leaf part p a message to open: one GMime
 * did not (message/rfc822 with an encoding), named .eml, or content
 * that starts as mail does?
 */
static int
mime_walk_is_message(const struct mime_part *p)
{
	static const char *const types[] = {"message/rfc822", "message/rfc2822",
					    "message/global", "message/news"};
	char head[MIME_MAIL_HEAD];

	for (size_t i = 0; i < G_N_ELEMENTS(types); i++)
		if (strcmp(p->type, types[i]) == 0)
			return 1;
	if (mime_name_ends(p, ".eml"))
		return 1;
	return mime_is_mail(head, mime_part_head(p, head, sizeof(head)));
}

static void mime_walk_object(struct mime_walk *w, GMimeObject *obj, int depth,
			     int attached);

/*
 * mime_holds_delimiter - does text (may be NULL) hold a line that
 * starts as a delimiter of boundary b does: "--" and b?
 */
static int
mime_holds_delimiter(const char *text, const char *b)
{
	size_t bl = strlen(b);

	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');

		if (strncmp(l, "--", 2) == 0 && strncmp(l + 2, b, bl) == 0)
			return 1;
		l = nl ? nl + 1 : NULL;
	}
	return 0;
}

/*
 * mime_outside_marked - does s (a preamble or epilogue, NULL: none) hold
 * a line libclamav's mail parser unpacks from there: an encoded file
 * (begin, =ybegin, BinHex) or a quoted message (an mbox From line or a
 * header field)? "This is a multi-part message in MIME format." is not.
 */
static int
mime_outside_marked(const char *s)
{
	static const char *const starts[] = {
		"begin", "=ybegin", "(This file must be converted",
		"From ", ">From ",  NULL};

	for (const char *l = s; l && *l;
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t n = 0;

		for (int i = 0; starts[i]; i++)
			if (g_ascii_strncasecmp(l, starts[i],
						strlen(starts[i])) == 0)
				return 1;
		while (g_ascii_isalnum(l[n]) || l[n] == '-')
			n++;
		if (n > 0 && l[n] == ':')
			return 1;
	}
	return 0;
}

/*
 * mime_walk_boundary - multipart mp (obj) is walked: its boundary is
 * one the delimiter lines are checked for (mime_walk_delimiters), and
 * a delimiter line of it in its preamble or epilogue, where GMime
 * leaves it as text, is one that other parsers take for a delimiter
 * (libclamav's mail parser reads a part after the close delimiter):
 * what is after it is a part to them and to no check of ours.
 */
static void
mime_walk_boundary(struct mime_walk *w, GMimeObject *obj, GMimeMultipart *mp)
{
	const char *b = g_mime_object_get_content_type_parameter(obj,
								 "boundary");
	const char *where = NULL;

	if (b == NULL || *b == '\0')
		return;
	if (w->boundaries == NULL)
		w->boundaries = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_add(w->boundaries, (gpointer)b);
	w->boundary_max = MAX(w->boundary_max, strlen(b));
	/* What libclamav's mail parser unpacks there (a quoted message,
	 * uuencode) is in no part of ours (test_attack16b). */
	if (mime_outside_marked(g_mime_multipart_get_prologue(mp)) ||
	    mime_outside_marked(g_mime_multipart_get_epilogue(mp)))
		w->m->outside_text = 1;
	if (mime_holds_delimiter(g_mime_multipart_get_prologue(mp), b))
		where = "preamble";
	else if (mime_holds_delimiter(g_mime_multipart_get_epilogue(mp), b))
		where = "epilogue";
	if (where == NULL)
		return;
	w->m->malformed = 1;
	if (w->m->ambiguous == NULL)
		w->m->ambiguous = pool_printf(
			w->t->pool,
			"ambiguous MIME (a delimiter line in the %s of MIME "
			"part %zu)",
			where, w->m->n_parts);
}

/* A line of a message, as mime_walk_delimiters reads it. */
struct mime_delim_line {
	char *head;  /* its first keep bytes, and room for a NUL */
	size_t keep; /* "--", the longest boundary, "--" */
	size_t len;  /* its bytes so far, LF aside */
	char last;   /* the last of them */
	int other;   /* not a delimiter line: something else past keep */
};

/*
 * mime_delim_padded - the line has ended: is it a delimiter line of a
 * boundary in set, padded: blanks after the boundary (or its "--")
 * beyond the CR of its CR LF?
 */
static int
mime_delim_padded(struct mime_delim_line *l, GHashTable *set)
{
	size_t n = MIN(l->len, l->keep), k = n, pad;
	char *h = l->head;

	if (l->other || l->len < 3 || h[0] != '-' || h[1] != '-')
		return 0;
	while (k > 2 &&
	       (h[k - 1] == ' ' || h[k - 1] == '\t' || h[k - 1] == '\r'))
		k--;
	pad = (n - k) + (l->len - n);
	if (pad == 0 || (pad == 1 && l->last == '\r'))
		return 0;
	h[k] = '\0';
	if (g_hash_table_contains(set, h + 2))
		return 1;
	if (k < 5 || h[k - 1] != '-' || h[k - 2] != '-')
		return 0;
	h[k - 2] = '\0';
	return g_hash_table_contains(set, h + 2);
}

/* mime_delim_add - n more bytes of the line, up to its LF */
static void
mime_delim_add(struct mime_delim_line *l, const char *s, size_t n)
{
	for (size_t i = 0; i < n && !l->other; i++, l->len++) {
		/* Only lines that begin with "--" are looked at further. */
		if (l->len == 2 && (l->head[0] != '-' || l->head[1] != '-'))
			l->other = 1;
		else if (l->len < l->keep)
			l->head[l->len] = s[i];
		else if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			l->other = 1;
		l->last = s[i];
	}
}

/*
 * mime_walk_delimiters - is a line of the message in fd [start, end)
 * a delimiter line of one of its multiparts followed by blanks (RFC
 * 2046 5.1.1: transport padding, spaces and tabs)? GMime reads it as a
 * delimiter, as the RFC says; libclamav's mail parser does not when
 * they are tabs, and takes what follows for the part before it. So
 * the message is malformed: both readings are scanned (scan_run.c).
 * Nothing else than this reading is hidden there (no part a check of
 * ours would not see), so it is not ambiguous.
 */
static void
mime_walk_delimiters(struct mime_walk *w, int fd, off_t start, off_t end)
{
	struct mime_delim_line l = {0};
	size_t size = 65536;
	char *chunk;

	/* Malformed already: both readings will be scanned. */
	if (w->boundaries == NULL || w->m->malformed || w->m->failed)
		return;
	l.keep = w->boundary_max + 4;
	l.head = xmalloc(l.keep + 1);
	chunk = xmalloc(size);
	for (off_t off = start; off < end && !w->m->malformed;) {
		size_t want = end - off < (off_t)size ? (size_t)(end - off)
						      : size;
		ssize_t n = pread(fd, chunk, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->m->failed = pool_printf(
				w->t->pool, "cannot read the message: %s",
				n == 0 ? "short read" : strerror(errno));
			break;
		}
		for (const char *p = chunk, *e = chunk + n; p < e;) {
			const char *lf = memchr(p, '\n', (size_t)(e - p));

			mime_delim_add(&l, p, (size_t)((lf ? lf : e) - p));
			if (lf == NULL)
				break;
			if (mime_delim_padded(&l, w->boundaries))
				w->m->malformed = 1;
			l.len = 0;
			l.other = 0;
			p = lf + 1;
		}
		off += n;
	}
	if (l.len > 0 && mime_delim_padded(&l, w->boundaries))
		w->m->malformed = 1;
	free(chunk);
	free(l.head);
}

/*
 * mime_walk_message - the parts of msg, whose bytes are [start, end)
 * of fd, depth-first from depth; attached: decoded from a part. Then
 * its delimiter lines, for its own boundaries only, when the count of
 * its lines (mime_bounds: dash_padded) saw one that may be padded.
 */
static void
mime_walk_message(struct mime_walk *w, GMimeMessage *msg, int fd, off_t start,
		  off_t end, int depth, int attached, int dash_padded)
{
	GHashTable *outer = w->boundaries;
	size_t outer_max = w->boundary_max;
	struct mime_part **top;

	if (g_mime_message_get_mime_part(msg) == NULL)
		return;
	w->boundaries = NULL;
	w->boundary_max = 0;
	top = w->tail;
	mime_walk_object(w, g_mime_message_get_mime_part(msg), depth, attached);
	/* Its top part's names the message's header gives (mime_names.h). */
	if (*top && (*top)->object == g_mime_message_get_mime_part(msg)) {
		(*top)->n_names = mime_names_message(
			w->t->pool, msg, &(*top)->names, (*top)->n_names);
		(*top)->name = (*top)->n_names ? (*top)->names[0] : NULL;
	}
	/* The closer look, only where the count saw a "--" line padded. */
	if (dash_padded)
		mime_walk_delimiters(w, fd, start, end);
	if (w->boundaries)
		g_hash_table_destroy(w->boundaries);
	w->boundaries = outer;
	w->boundary_max = outer_max;
}

/*
 * mime_attached_file - the summary's temporary file for attached
 * messages (unlinked at once) and their parser options; 0, or -1 with
 * mime.failed set
 */
static int
mime_attached_file(struct mime_walk *w)
{
	struct mime_summary *m = w->m;
	int fd;

	if ((fd = txn_temp_file(w->t, "msg")) < 0) {
		m->failed = pool_printf(w->t->pool,
					"cannot make a temporary file: %s",
					strerror(errno));
		return -1;
	}
	m->attached = g_mime_stream_fs_new(fd); /* owns fd */
	m->attached_options = g_mime_parser_options_new();
	g_mime_parser_options_set_warning_callback(m->attached_options,
						   mime_warning_attached, w);
	return 0;
}

/*
 * mime_attached_bounds - a count for the next attached message: the
 * attached messages together are bounded as one message is; past a
 * bound it is left out, UNCHECKED. 0, or -1 when one was passed
 */
static int
mime_attached_bounds(struct mime_walk *w)
{
	if (w->bounds == NULL) {
		w->bounds = pool_alloc(w->t->pool, sizeof(*w->bounds));
		mime_bounds_init(w->bounds, w->t->conf);
		return 0;
	}
	return mime_bounds_next(w->bounds) == MIME_BOUNDS_OK ? 0 : -1;
}

/* mime_attached_over - an attached message passed a bound: left out */
static void
mime_attached_over(struct mime_walk *w)
{
	mime_limit(w, pool_printf(w->t->pool, "attached messages: %s",
				  mime_bounds_why(w->bounds, w->t->pool)));
}

/*
 * mime_fd_copy - what is left of in (read from its offset) into out from
 * off on, at most max bytes, fed to b up to the first bound it passes;
 * 0, or -1 with errno
 */
static int
mime_fd_copy(int in, int out, off_t off, long max, struct mime_bounds *b,
	     long *size)
{
	char chunk[65536];
	long left = max;

	*size = 0;
	while (left > 0) {
		size_t want = left < (long)sizeof(chunk) ? (size_t)left
							 : sizeof(chunk);
		ssize_t n = read(in, chunk, want);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return n < 0 ? -1 : 0;
		}
		for (ssize_t done = 0, wr; done < n; done += wr)
			if ((wr = pwrite(out, chunk + done, (size_t)(n - done),
					 off + *size + done)) < 0)
				return -1;
		left -= n;
		*size += n;
		if (mime_bounds_feed(b, chunk, (size_t)n) != MIME_BOUNDS_OK)
			break;
	}
	return 0;
}

/*
 * mime_walk_attached - leaf part p (or, when p is NULL, the file on fd:
 * an archive member) holds a message: decode it into the summary's
 * temporary file, count what GMime would build of it, parse it, walk
 * its parts one level deeper
 */
static void
mime_walk_attached(struct mime_walk *w, const struct mime_part *p, int fd,
		   int depth)
{
	const struct conf *c = w->t->conf;
	struct mime_summary *m = w->m;
	long left = c->max_decoded_size - m->attached_size, size;
	long max = left < LONG_MAX ? left + 1 : left;
	off_t off = m->attached_size;
	struct mime_attached *a;
	GMimeStream *sub;
	GMimeParser *parser;
	GMimeMessage *msg;
	int out, rc;

	if (depth + 1 > c->max_mime_depth) {
		mime_too_deep(w);
		return;
	}
	if (m->attached == NULL && mime_attached_file(w) < 0)
		return;
	if (mime_attached_bounds(w) < 0) {
		mime_attached_over(w);
		return;
	}
	/* One byte over what is left tells that it is over. */
	out = GMIME_STREAM_FS(m->attached)->fd;
	rc = p ? mime_part_copy(p, out, off, max, w->bounds, &size)
	       : mime_fd_copy(fd, out, off, max, w->bounds, &size);
	if (rc < 0) {
		m->failed = pool_printf(w->t->pool,
					"cannot decode an attached message: %s",
					strerror(errno));
		return;
	}
	/* GMime builds the whole tree first: never past a bound. */
	if (mime_bounds_end(w->bounds) != MIME_BOUNDS_OK) {
		mime_attached_over(w);
		return;
	}
	if (size > left) {
		mime_limit(w, "attached messages exceed max_decoded_size");
		return;
	}
	m->attached_size += size;
	sub = g_mime_stream_substream(m->attached, off, off + size);
	parser = g_mime_parser_new_with_stream(sub);
	g_mime_parser_set_persist_stream(parser, TRUE);
	msg = g_mime_parser_construct_message(parser, m->attached_options);
	g_object_unref(parser);
	g_object_unref(sub);
	/* Nothing there a mail program could show either. */
	if (msg == NULL)
		return;
	a = pool_alloc(w->t->pool, sizeof(*a));
	a->message = msg;
	a->next = m->attached_messages;
	m->attached_messages = a;
	mime_walk_message(w, msg, GMIME_STREAM_FS(m->attached)->fd, off,
			  off + size, depth + 1, 1, w->bounds->dash_padded);
}

/*
 * mime_file_begin - a file decoded from the content at hand (text,
 * TNEF) begins: a part of its own one level below w->block_depth, its
 * names name and other (may be NULL, or ""), its content to go into
 * the summary's temporary file; what: how it was found
 */
static int
mime_file_begin(struct mime_walk *w, const char *what, const char *name,
		const char *other)
{
	const struct conf *c = w->t->conf;
	struct mime_part *p;

	w->block = NULL;
	if (w->block_depth + 1 > c->max_mime_depth) {
		mime_too_deep(w);
		return 0;
	}
	if ((int)w->m->n_parts >= c->max_mime_parts) {
		mime_limit(w, pool_printf(w->t->pool, "more than %d MIME parts",
					  c->max_mime_parts));
		w->stop = 1;
		return 1;
	}
	if (w->m->attached == NULL && mime_attached_file(w) < 0)
		return 1;
	p = pool_alloc(w->t->pool, sizeof(*p));
	p->type = "application/octet-stream";
	p->depth = w->block_depth + 1;
	p->names = pool_alloc(w->t->pool, 2 * sizeof(*p->names));
	p->names[0] = p->name = pool_strdup(w->t->pool, name);
	p->n_names = *name ? 1 : 0;
	if (other && *other) {
		p->names[p->n_names++] = pool_strdup(w->t->pool, other);
		if (!*name)
			p->name = p->names[0];
	}
	p->is_leaf = 1;
	p->is_archive = 0;
	for (size_t i = 0; i < p->n_names && !p->is_archive; i++)
		p->is_archive = mime_is_archive(NULL, p->names[i]);
	p->attached = w->block_attached;
	p->encoding = GMIME_CONTENT_ENCODING_BINARY;
	p->embedded = what;
	p->content = w->m->attached;
	p->content_off = w->m->attached_size;
	*w->tail = p;
	w->tail = &p->next;
	w->m->n_parts++;
	w->block = p;
	return 0;
}

/*
 * mime_embed_begin - a file begins in the text at hand; the name as a
 * reader splitting lines at LF only reads it is one of its names too
 */
static int
mime_embed_begin(void *ctx, enum mime_embedded_kind kind, const char *name)
{
	struct mime_walk *w = ctx;

	return mime_file_begin(w, mime_embedded_kind_name(kind), name,
			       w->embedded->also);
}

/*
 * mime_embed_data - decoded bytes of the file at hand, into the
 * summary's file: within max_decoded_size with attached messages
 */
static int
mime_embed_data(void *ctx, const char *buf, size_t len)
{
	struct mime_walk *w = ctx;
	struct mime_summary *m = w->m;
	struct mime_part *p = w->block;
	int fd;

	if (p == NULL)
		return 0;
	if ((long)len > w->t->conf->max_decoded_size - m->attached_size) {
		mime_limit(w, "files in text exceed max_decoded_size");
		w->block = NULL;
		return 1;
	}
	fd = GMIME_STREAM_FS(m->attached)->fd;
	for (size_t done = 0; done < len;) {
		ssize_t n = pwrite(fd, buf + done, len - done,
				   m->attached_size + (off_t)done);

		if (n < 0) {
			m->failed = pool_printf(
				w->t->pool,
				"cannot write a file decoded from "
				"text: %s",
				strerror(errno));
			w->block = NULL;
			return 1;
		}
		done += (size_t)n;
	}
	m->attached_size += (long)len;
	p->content_len += (long)len;
	return 0;
}

/* mime_embed_end - the file at hand ends; why: it was cut short */
static int
mime_embed_end(void *ctx, const char *why)
{
	struct mime_walk *w = ctx;

	w->block = NULL;
	if (why)
		mime_undecoded(w, why);
	return 0;
}

/*
 * mime_embed_open - ready to read text for embedded files, each a part
 * one level below depth
 */
static void
mime_embed_open(struct mime_walk *w, int depth, int attached)
{
	static const struct mime_embedded_sink sink = {
		mime_embed_begin, mime_embed_data, mime_embed_end, NULL};
	struct mime_embedded_sink s = sink;

	if (w->embedded == NULL)
		w->embedded = pool_alloc(w->t->pool, sizeof(*w->embedded));
	s.ctx = w;
	mime_embedded_init(w->embedded, &s);
	w->block = NULL;
	w->block_depth = depth;
	w->block_attached = attached;
}

/*
 * mime_embed_close - the text read to its end (n 0) or not (n < 0: it
 * cannot be read; what: which text); then the n_files parts decoded
 * from it, from *first on, that are mail are opened as attached
 * messages (Thunderbird shows a uuencoded .eml as one): after the
 * reading, as their walk reads text for files again
 */
static void
mime_embed_close(struct mime_walk *w, ssize_t n, const char *what,
		 struct mime_part **first, size_t n_files)
{
	struct mime_part *q;

	if (n < 0) {
		if (w->m->failed == NULL)
			w->m->failed = pool_printf(
				w->t->pool, "cannot read %s: %s", what,
				strerror(errno ? errno : EIO));
	} else if (n == 0) {
		(void)mime_embedded_end(w->embedded);
	}
	w->block = NULL;
	q = n_files ? *first : NULL;
	for (size_t i = 0; i < n_files && q; i++) {
		/* Appended after the files: the next is still a file. */
		struct mime_part *next = q->next;

		if (w->stop || w->m->failed)
			break;
		if (mime_walk_is_message(q))
			mime_walk_attached(w, q, -1, q->depth);
		q = next;
	}
}

/*
 * mime_walk_embedded_fd - the files embedded in the text on fd (read
 * from its offset: an archive member), each a part one level below
 * depth
 */
static void
mime_walk_embedded_fd(struct mime_walk *w, int fd, int depth)
{
	struct mime_part **first = w->tail;
	size_t n_parts = w->m->n_parts;
	char chunk[16384];
	ssize_t n;

	mime_embed_open(w, depth, 1);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || mime_embedded_feed(w->embedded, chunk, (size_t)n))
			break;
	}
	mime_embed_close(w, n, "a file to read for embedded files", first,
			 w->m->n_parts - n_parts);
}

/*
 * mime_walk_has_embedded - is leaf part p to be read for embedded
 * files: text, or a part whose decoded head has a begin line
 */
static int
mime_walk_has_embedded(const struct mime_part *p)
{
	char head[MIME_MAIL_HEAD];

	if (strncmp(p->type, "text/", 5) == 0)
		return 1;
	return mime_embedded_head(head, mime_part_head(p, head, sizeof(head)));
}

/* mime_tnef_one - a file of a TNEF stream: a part, its content */
static int
mime_tnef_one(void *ctx, const char *name, const char *other, const char *data,
	      size_t len)
{
	struct mime_walk *w = ctx;
	int r;

	if ((r = mime_file_begin(w, "TNEF", name, other)) != 0)
		return r;
	if (len && (r = mime_embed_data(w, data, len)) != 0)
		return r;
	w->block = NULL;
	return 0;
}

/*
 * mime_walk_tnef - Outlook's TNEF in leaf part p (or, when p is NULL,
 * the file on fd, read from its offset): read whole, within
 * max_decoded_size; each file in it a part one level below depth
 */
static void
mime_walk_tnef(struct mime_walk *w, const struct mime_part *p, int fd,
	       int depth)
{
	static const struct mime_tnef_sink sink = {mime_tnef_one, NULL};
	struct mime_tnef_sink s = sink;
	long max = w->t->conf->max_decoded_size;
	struct mime_decoder d;
	struct buf in;
	char chunk[16384];
	const char *why;
	ssize_t n;

	if (p && mime_decoder_open(&d, p) < 0)
		return;
	buf_init(&in, sizeof(chunk));
	for (;;) {
		n = p ? mime_decoder_read(&d, chunk, sizeof(chunk))
		      : read(fd, chunk, sizeof(chunk));
		if (n < 0 && !p && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((long)(in.len + (size_t)n) > max) {
			n = -2;
			break;
		}
		buf_append(&in, chunk, (size_t)n);
	}
	if (p)
		mime_decoder_close(&d);
	if (n == -2) {
		mime_limit(w, "Outlook TNEF exceeds max_decoded_size");
	} else if (n < 0) {
		if (w->m->failed == NULL)
			w->m->failed = pool_printf(
				w->t->pool, "cannot read Outlook TNEF: %s",
				strerror(errno ? errno : EIO));
	} else {
		s.ctx = w;
		w->block = NULL;
		w->block_depth = depth;
		w->block_attached = 1;
		if (mime_tnef_read(in.data, in.len,
				   (size_t)w->t->conf->max_archive_files, &s,
				   &why) < 0)
			mime_undecoded(w, why);
		w->block = NULL;
	}
	buf_release(&in);
}

/*
 * mime_walk_is_tnef - is leaf part p Outlook's TNEF: declared so,
 * named winmail.dat, or starting with its signature
 */
static int
mime_walk_is_tnef(const struct mime_part *p)
{
	char head[4];

	if (strcmp(p->type, "application/ms-tnef") == 0 ||
	    strcmp(p->type, "application/vnd.ms-tnef") == 0)
		return 1;
	for (size_t i = 0; i < p->n_names; i++)
		if (g_ascii_strcasecmp(p->names[i], "winmail.dat") == 0)
			return 1;
	return mime_tnef_head(head, mime_part_head(p, head, sizeof(head)));
}

/*
 * mime_walk_content - leaf part p's content, decoded once for all that
 * reads it: whether base64 or quoted-printable decode as GMime does
 * (our readers decode them leniently: what differs is noted), the
 * decoded, UTF-8 text for the spam views (a text part, when there are
 * views: no more than fits), and the files embedded in it (uuencode,
 * yEnc, ...: in text, or in a part whose decoded head has a begin
 * line), each a part after it, one level deeper
 */
static void
mime_walk_content(struct mime_walk *w, struct mime_part *p, int depth)
{
	size_t max = (size_t)w->t->conf->spam_max_size, room = 0;
	int check = p->encoding == GMIME_CONTENT_ENCODING_BASE64 ||
		    p->encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
	int embedded = w->m->failed == NULL && mime_walk_has_embedded(p);
	int embed = embedded; /* still fed */
	struct mime_part **first = w->tail;
	size_t n_parts = w->m->n_parts;
	GMimeStream *mem = NULL, *filtered = NULL;
	GByteArray *bytes = NULL;
	struct mime_decoder d;
	char chunk[16384];
	ssize_t n;

	if (w->views && p->is_text)
		room = !p->attached	   ? SIZE_MAX
		       : w->text.len < max ? max - w->text.len
					   : 0;
	if ((!check && !embedded && room == 0) || mime_decoder_open(&d, p) < 0)
		return;
	if (room) {
		GMimeContentType *ct = g_mime_object_get_content_type(
			GMIME_OBJECT(p->object));
		const char *charset = g_mime_content_type_get_parameter(
			ct, "charset");

		mem = g_mime_stream_mem_new();
		filtered = g_mime_stream_filter_new(mem);
		if (charset && g_ascii_strcasecmp(charset, "utf-8") != 0) {
			GMimeFilter *f = g_mime_filter_charset_new(charset,
								   "UTF-8");

			if (f) {
				g_mime_stream_filter_add(
					GMIME_STREAM_FILTER(filtered), f);
				g_object_unref(f);
			}
		}
		bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	}
	if (embedded)
		mime_embed_open(w, depth, p->attached);
	while ((n = mime_decoder_read(&d, chunk, sizeof(chunk))) > 0) {
		if (room && bytes->len < room)
			g_mime_stream_write(filtered, chunk, (size_t)n);
		if (embed && mime_embedded_feed(w->embedded, chunk, (size_t)n))
			embed = 0;
		/* The views are full and nothing else reads on. */
		if (!check && !embed && (room == 0 || bytes->len >= room))
			break;
	}
	if (room) {
		g_mime_stream_flush(filtered);
		buf_append(&w->text, bytes->data, MIN(bytes->len, room));
		buf_puts(&w->text, "\n");
		g_object_unref(filtered);
		g_object_unref(mem);
	}
	if (n < 0) {
		if (w->m->failed == NULL)
			w->m->failed = pool_printf(
				w->t->pool, "cannot read MIME part %zu: %s",
				n_parts, strerror(errno ? errno : EIO));
	} else if (check &&
		   p->encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE) {
		/* Blanks before a line break, "=" as text: GMime differs. */
		if (d.qp.otherwise)
			w->m->decoded_otherwise = 1;
	} else if (check && d.b64.after_pad) {
		mime_undecoded(w, "base64 with data after its padding");
	} else if (check && d.b64.lone) {
		mime_undecoded(w, "base64 ending in a lone character");
	} else if (check && d.b64.gmime != 0) {
		/* GMime drops the last group; we decode its whole bytes. */
		w->m->decoded_otherwise = 1;
	}
	mime_decoder_close(&d);
	/* A reader the sink stopped is not ended (it would say cut short). */
	if (embedded)
		mime_embed_close(
			w, embed ? n : 1,
			pool_printf(w->t->pool, "MIME part %zu", n_parts),
			first, w->m->n_parts - n_parts);
}

/*
 * mime_walk_object - one object of the tree, depth-first; attached: in
 * a message decoded from a part
 */
static void
mime_walk_object(struct mime_walk *w, GMimeObject *obj, int depth, int attached)
{
	const struct conf *c = w->t->conf;
	struct mime_part *p;
	char *type;

	if (w->stop || w->m->failed)
		return;
	/* Too deep: this one is left out, its siblings are walked. */
	if (depth > c->max_mime_depth) {
		mime_too_deep(w);
		return;
	}
	if ((int)w->m->n_parts >= c->max_mime_parts) {
		mime_limit(w, pool_printf(w->t->pool, "more than %d MIME parts",
					  c->max_mime_parts));
		w->stop = 1;
		return;
	}
	p = pool_alloc(w->t->pool, sizeof(*p));
	type = g_mime_content_type_get_mime_type(
		g_mime_object_get_content_type(obj));
	p->type = pool_strdup(w->t->pool, type ? type : "text/plain");
	g_free(type);
	for (char *q = (char *)p->type; *q; q++)
		*q = (char)g_ascii_tolower(*q);
	p->depth = depth;
	p->object = obj;
	p->attached = attached;
	p->is_leaf = GMIME_IS_PART(obj);
	*w->tail = p;
	w->tail = &p->next;
	w->m->n_parts++;
	mime_walk_names(w, obj, p);
	mime_walk_encoding(w, obj, p);

	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(
			GMIME_MESSAGE_PART(obj));

		if (inner && g_mime_message_get_mime_part(inner))
			mime_walk_object(w, g_mime_message_get_mime_part(inner),
					 depth + 1, attached);
	} else if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);

		mime_walk_boundary(w, obj, mp);
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			mime_walk_object(w, g_mime_multipart_get_part(mp, i),
					 depth + 1, attached);
	} else if (p->is_leaf) {
		p->is_text = strncmp(p->type, "text/", 5) == 0 &&
			     p->name == NULL;
		p->is_archive = mime_is_archive(p->type, NULL);
		for (size_t i = 0; i < p->n_names && !p->is_archive; i++)
			p->is_archive = mime_is_archive(NULL, p->names[i]);
		/* Files a mail program shows as attachments of the text;
		 * a part of another type that is such text, as file(1)
		 * tells it and amavisd-new decodes it: read with the rest. */
		mime_walk_content(w, p, depth);
		/* Outlook's winmail.dat: the files Outlook shows. */
		if (w->m->failed == NULL && !w->stop && mime_walk_is_tnef(p))
			mime_walk_tnef(w, p, -1, depth);
		if (w->m->failed == NULL && mime_walk_is_message(p))
			mime_walk_attached(w, p, -1, depth);
	}
}

/* mime_is_member_mail - see mime_parse.h */
int
mime_is_member_mail(const char *name, const char *head, size_t len)
{
	return (name && mime_ends_with(name, ".eml")) ||
	       mime_is_mail(head, len);
}

/*
 * mime_open_file - mime_attach_file(), mime_embed_file() and
 * mime_tnef_file(): the file on fd is a message (embedded 0), text
 * holding files (1) or Outlook's TNEF (2)
 */
static int
mime_open_file(struct mime_summary *m, int fd, int depth,
	       struct mime_part **parts, const char **why, int embedded)
{
	struct mime_walk *w = m->walk;
	const char *ambiguous = m->ambiguous, *undecoded = m->undecoded;
	struct mime_part **tail;
	int views;

	*parts = NULL;
	*why = NULL;
	/* Parts named from raw headers: nothing to attach to. */
	if (w == NULL) {
		*why = "a message in an archive of a message not parsed";
		return 1;
	}
	if (m->failed) {
		*why = m->failed;
		return -1;
	}
	if (w->stop) {
		*why = m->unchecked;
		return 1;
	}
	tail = w->tail;
	views = w->views;
	w->tail = parts;
	w->views = 0;
	w->limit = NULL;
	if (embedded == 2)
		mime_walk_tnef(w, NULL, fd, depth);
	else if (embedded)
		mime_walk_embedded_fd(w, fd, depth);
	else
		mime_walk_attached(w, NULL, fd, depth);
	w->tail = tail;
	w->views = views;
	if (m->failed) {
		*why = m->failed;
		return -1;
	}
	if (w->limit) {
		*why = w->limit;
		return 1;
	}
	/* What makes the message UNCHECKED when the MIME tree has it (the
	 * checks read those before): it must here too. */
	if (ambiguous == NULL && m->ambiguous) {
		*why = m->ambiguous;
		return 1;
	}
	if (undecoded == NULL && m->undecoded) {
		*why = m->undecoded;
		return 1;
	}
	return 0;
}

/* mime_attach_file - see mime_parse.h */
int
mime_attach_file(struct mime_summary *m, int fd, int depth,
		 struct mime_part **parts, const char **why)
{
	return mime_open_file(m, fd, depth, parts, why, 0);
}

/* mime_embed_file - see mime_parse.h */
int
mime_embed_file(struct mime_summary *m, int fd, int depth,
		struct mime_part **parts, const char **why)
{
	return mime_open_file(m, fd, depth, parts, why, 1);
}

/* mime_tnef_file - see mime_parse.h */
int
mime_tnef_file(struct mime_summary *m, int fd, int depth,
	       struct mime_part **parts, const char **why)
{
	return mime_open_file(m, fd, depth, parts, why, 2);
}

/* mime_headers - the decoded header fields, one per line */
static void
mime_headers(struct mime_walk *w, GMimeMessage *msg)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	struct buf out;

	buf_init(&out, 2048);
	for (int i = 0; i < g_mime_header_list_get_count(hl); i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *v = g_mime_header_get_value(h);

		buf_printf(&out, "%s: %s\n", g_mime_header_get_name(h),
			   v ? v : "");
	}
	w->m->headers = pool_memdup(w->t->pool, out.data, out.len);
	w->m->headers_len = out.len;
	buf_release(&out);
}

/* mime_summary_fields - From, Subject and Date, decoded, for the records */
static void
mime_summary_fields(struct txn *t, GMimeMessage *msg)
{
	static const char *const names[] = {"From", "Subject", "Date"};
	const char **fields[] = {&t->from, &t->subject, &t->date};
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		const char *v = g_mime_header_list_get_header(hl, names[i])
					? g_mime_header_get_value(
						  g_mime_header_list_get_header(
							  hl, names[i]))
					: NULL;

		if (v)
			*fields[i] = pool_strdup(t->pool, v);
	}
}

/*
 * mime_read - the MIME tree of the message on fd into m; with views,
 * the decoded header fields and text for the spam rules too
 */
static void
mime_read(struct txn *t, int fd, struct mime_summary *m, int views)
{
	struct mime_walk *w = pool_alloc(t->pool, sizeof(*w));
	GMimeParserOptions *opts;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;

	*w = (struct mime_walk){
		.t = t, .m = m, .tail = &m->parts, .views = views};
	m->walk = w;
	buf_init(&w->text, views ? 4096 : 16);
	stream = g_mime_stream_fs_new(fd);
	g_mime_stream_fs_set_owner(GMIME_STREAM_FS(stream), FALSE);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_persist_stream(parser, TRUE);
	m->options = opts = g_mime_parser_options_new();
	g_mime_parser_options_set_warning_callback(opts, mime_warning, w);
	msg = g_mime_parser_construct_message(parser, opts);
	if (msg == NULL) {
		m->malformed = 1;
		m->unchecked = "no parsable message";
	} else {
		m->message = msg;
		if (views)
			mime_headers(w, msg);
		mime_walk_message(w, msg, fd, 0, t->size, 0, 0, m->dash_padded);
	}
	if (views) {
		m->text = pool_memdup(t->pool, w->text.data, w->text.len);
		m->text_len = w->text.len;
	}
	buf_release(&w->text);
	g_object_unref(parser);
	g_object_unref(stream);
}

/* mime_parse - the MIME tree of the spooled message */
int
mime_parse(struct txn *t)
{
	int fd = spool_fd(t->spool);
	int over;

	/* GMime builds the whole tree first: bound it before (mime_bounds.h). */
	if ((over = mime_bounds_spool(t)) < 0)
		return -1;
	/* Past a bound: the spam rules still read the raw message, */
	if (over > 0) {
		t->mime.unparsed = 1;
		/* And the banned check the names in its part headers. */
		if (mime_raw_parts(t, &t->mime) < 0)
			return -1;
		return t->size <= t->conf->spam_max_size
			       ? mime_raw_views(t, &t->mime)
			       : 0;
	}
	/* Everyone else reads the spool with pread: the offset is GMime's. */
	if (lseek(fd, 0, SEEK_SET) < 0) {
		txn_set_error(t, TXN_ERR_PARSE, "spool: %s", strerror(errno));
		return -1;
	}
	mime_read(t, fd, &t->mime, t->size <= t->conf->spam_max_size);
	/* A limit the walk reached left parts out (or GMime gave none). */
	if (t->mime.unchecked)
		t->mime.unparsed = 1;
	if (t->mime.message)
		mime_summary_fields(t, t->mime.message);
	return 0;
}

/* mime_pread - len bytes at off, all of them; 0, or -1 (errno) */
static int
mime_pread(int fd, char *buf, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pread(fd, buf, len, off);

		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* mime_name_at - does name start at buf[i], followed by WSP* and one of end? */
static int
mime_name_at(const char *buf, size_t len, size_t i, const char *name,
	     const char *end)
{
	size_t nl = strlen(name);

	if (i + nl >= len || g_ascii_strncasecmp(buf + i, name, nl) != 0)
		return 0;
	for (i += nl; i < len && (buf[i] == ' ' || buf[i] == '\t'); i++)
		;
	return i < len && buf[i] != '\0' && strchr(end, buf[i]) != NULL;
}

/*
 * mime_places - where each occurrence of a conflicting header field
 * (in the header block around the conflict) or parameter (in the field
 * at the conflict) starts, as offsets in buf
 */
static size_t
mime_places(const char *buf, size_t len, size_t at,
	    const struct mime_conflict *c, size_t *pos, size_t max)
{
	size_t n = 0, start, end, i;

	while (at > 0 && buf[at - 1] != '\n')
		at--;
	/* The header block: back to a blank line, on to the next one. */
	for (start = at; start > 0;) {
		size_t prev = start - 1;

		while (prev > 0 && buf[prev - 1] != '\n')
			prev--;
		if (mime_blank(buf, len, prev))
			break;
		start = prev;
	}
	for (end = at; end < len && !mime_blank(buf, len, end);)
		end = mime_next_line(buf, len, end);
	if (!c->param) {
		for (i = start; i < end && n < max;
		     i = mime_next_line(buf, end, i))
			if (mime_name_at(buf, end, i, c->name, ":"))
				pos[n++] = i;
		return n;
	}
	/* The field at the conflict, from its first line: its name, then
	 * its parameters. */
	while (at > start && (buf[at] == ' ' || buf[at] == '\t')) {
		at--;
		while (at > start && buf[at - 1] != '\n')
			at--;
	}
	for (end = mime_next_line(buf, len, at);
	     end < len && (buf[end] == ' ' || buf[end] == '\t');)
		end = mime_next_line(buf, len, end);
	for (i = at; i < end && buf[i] != ':'; i++)
		;
	for (int quoted = 0; i < end && n < max; i++) {
		if (quoted) {
			if (buf[i] == '\\')
				i++;
			else if (buf[i] == '"')
				quoted = 0;
		} else if (buf[i] == '"') {
			quoted = 1;
		} else if (buf[i - 1] != '\0' &&
			   strchr("; \t\r\n", buf[i - 1]) &&
			   mime_name_at(buf, end, i, c->name, "=*")) {
			pos[n++] = i;
		}
	}
	return n;
}

/*
 * mime_variant - a copy of the spool in which every place but the
 * keep-th has its first letter changed, so that GMime sees one reading
 */
static int
mime_variant(struct txn *t, const off_t *place, size_t n, size_t keep)
{
	int in = spool_fd(t->spool);
	char chunk[65536];
	int fd, err;

	if ((fd = txn_temp_file(t, "read")) < 0)
		return -1;
	for (off_t off = 0; off < t->size;) {
		size_t want = t->size - off < (off_t)sizeof(chunk)
				      ? (size_t)(t->size - off)
				      : sizeof(chunk);

		if (mime_pread(in, chunk, want, off) < 0 ||
		    write(fd, chunk, want) != (ssize_t)want)
			goto fail;
		off += (off_t)want;
	}
	for (size_t i = 0; i < n; i++) {
		char c;

		if (i == keep)
			continue;
		if (mime_pread(in, &c, 1, place[i]) < 0)
			goto fail;
		c = c == 'X' || c == 'x' ? 'Y' : 'X';
		if (pwrite(fd, &c, 1, place[i]) != 1)
			goto fail;
	}
	if (lseek(fd, 0, SEEK_SET) == 0)
		return fd;
fail:
	err = errno ? errno : EIO;
	close(fd);
	errno = err;
	return -1;
}

/* mime_readings - see mime_parse.h */
int
mime_readings(struct txn *t,
	      int (*each)(struct txn *t, int fd, struct mime_summary *m,
			  void *ctx),
	      void *ctx)
{
	size_t made = 0;
	char *buf = NULL;
	int rc = 0;

	for (const struct mime_conflict *c = t->mime.conflicts;
	     c && rc == 0 && made < MIME_READINGS_MAX; c = c->next) {
		off_t from = c->offset > MIME_BLOCK_MAX
				     ? c->offset - MIME_BLOCK_MAX
				     : 0;
		size_t len = (size_t)(t->size - from), n;
		size_t pos[MIME_READINGS_MAX];
		off_t place[MIME_READINGS_MAX];

		if (c->offset < 0 || c->offset >= t->size)
			continue;
		if (len > 2 * MIME_BLOCK_MAX)
			len = 2 * MIME_BLOCK_MAX;
		if (buf == NULL)
			buf = xmalloc(2 * MIME_BLOCK_MAX);
		if (mime_pread(spool_fd(t->spool), buf, len, from) < 0) {
			rc = -1;
			break;
		}
		n = mime_places(buf, len, (size_t)(c->offset - from), c, pos,
				MIME_READINGS_MAX);
		for (size_t i = 0; i < n; i++)
			place[i] = from + (off_t)pos[i];
		for (size_t k = 0;
		     n > 1 && k < n && rc == 0 && made < MIME_READINGS_MAX;
		     k++, made++) {
			struct mime_summary m = {
				.dash_padded = t->mime.dash_padded};
			int fd = mime_variant(t, place, n, k);

			if (fd < 0) {
				rc = -1;
				break;
			}
			mime_read(t, fd, &m, 0);
			rc = each(t, fd, &m, ctx);
			mime_free(&m);
			close(fd);
		}
	}
	free(buf);
	return rc;
}

/* mime_free - release what GMime holds for a message, then its options */
void
mime_free(struct mime_summary *m)
{
	/* Attached messages first: their parts read the file. */
	for (struct mime_attached *a = m->attached_messages; a; a = a->next)
		g_object_unref(a->message);
	m->attached_messages = NULL;
	if (m->attached_options)
		g_mime_parser_options_free(m->attached_options);
	m->attached_options = NULL;
	if (m->attached)
		g_object_unref(m->attached);
	m->attached = NULL;
	if (m->message)
		g_object_unref(m->message);
	m->message = NULL;
	if (m->options)
		g_mime_parser_options_free(m->options);
	m->options = NULL;
}

/* mime_part_content - one part decoded into an unlinked temp file */
int
mime_part_content(struct txn *t, const struct mime_part *p, long max,
		  long *size)
{
	int fd, err;

	*size = 0;
	if ((fd = txn_temp_file(t, "part")) < 0)
		return -1;
	if (mime_part_copy(p, fd, 0, max, NULL, size) < 0 ||
	    lseek(fd, 0, SEEK_SET) < 0) {
		err = errno ? errno : EIO;
		close(fd);
		*size = 0;
		errno = err;
		return -1;
	}
	return fd;
}

/* mime_part_head - the first decoded bytes of a part, decoding no more */
size_t
mime_part_head(const struct mime_part *p, char *buf, size_t size)
{
	struct mime_decoder d;
	ssize_t got;

	if (mime_decoder_open(&d, p) < 0)
		return 0;
	got = mime_decoder_read(&d, buf, size);
	mime_decoder_close(&d);
	return got > 0 ? (size_t)got : 0;
}

/* mime_part_tail - the last decoded bytes of a part, writing nothing */
ssize_t
mime_part_tail(const struct mime_part *p, char *buf, size_t size)
{
	struct mime_decoder d;
	size_t at = 0, have = 0;
	char *tmp;
	ssize_t got;

	if (size == 0 || mime_decoder_open(&d, p) < 0)
		return -1;
	/* A ring of size bytes: at is where the next byte goes. */
	while ((got = mime_decoder_read(&d, buf + at, size - at)) > 0) {
		at = (at + (size_t)got) % size;
		have = have + (size_t)got < size ? have + (size_t)got : size;
	}
	mime_decoder_close(&d);
	if (got < 0)
		return -1;
	/* Oldest first: the bytes from at to the end came before. */
	if (have == size && at > 0) {
		tmp = xmalloc(at);
		memcpy(tmp, buf, at);
		memmove(buf, buf + at, size - at);
		memcpy(buf + size - at, tmp, at);
		free(tmp);
	}
	return (ssize_t)have;
}

/* mime_part_stored - where part content lies in the spool, as stored */
int
mime_part_stored(const struct mime_part *p, off_t size, off_t *start,
		 off_t *end)
{
	GMimeDataWrapper *content;
	GMimeStream *raw;

	if (!GMIME_IS_PART(p->object) || p->attached)
		return -1;
	/* No content at all: nothing, stored as is. */
	if ((content = g_mime_part_get_content(GMIME_PART(p->object))) ==
		    NULL ||
	    (raw = g_mime_data_wrapper_get_stream(content)) == NULL) {
		*start = *end = 0;
		return 0;
	}
	/* A persisted part is a bounded window on the spool stream. */
	*start = raw->bound_start;
	*end = raw->bound_end < 0 ? size : raw->bound_end;
	return *start >= 0 && *start <= *end && *end <= size ? 0 : -1;
}

/* mime_part_span - where unencoded part content lies in the spool */
int
mime_part_span(const struct mime_part *p, off_t size, off_t *start, off_t *end)
{
	if (!mime_identity(p->encoding))
		return -1;
	return mime_part_stored(p, size, start, end);
}
