/*++
/* NAME
/*	copy 3
/* SUMMARY
/*	write one copy of a message for a next hop
/* DESCRIPTION
/*	See copy.h. The original goes by through a window on the spool
/*	(struct copy_in). In the header section, the first bytes of a line
/*	decide what happens to it and to its continuation lines (COPY_PEEK
/*	of them name any field we look for), and the rest of the line
/*	streams through in steps, however long it is. Every byte for the
/*	next hop goes through copy_put(), the one place that dot-stuffs.
/*
/*	The fields filterd adds are made in a small buffer by
/*	copy_header_field() and copy_field_text(): they are ours, and the
/*	buffer is as large as they are.
/*--*/

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "copy.h"
#include "txn/txn.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/stream.h"
#include "util/xalloc.h"

#define COPY_PEEK 64   /* bytes of a line that name its field */
#define COPY_B64_IN 57 /* octets per base64 line (76 characters) */

/* The spool, read through a window: buf[pos..len) ends at offset off. */
struct copy_in {
	int fd;
	off_t off;
	off_t end;
	size_t pos, len;
	const char *why; /* why reading failed */
	char buf[65536];
};

/* The next hop's side: SMTP DATA, dot-stuffed. */
struct copy_out {
	struct stream *s;
	int bol;     /* the next byte starts a line */
	int last_lf; /* the last byte written was LF (or none was) */
};

/* What happens to a line of the original header and its continuations. */
enum copy_mode {
	COPY_PASS,
	COPY_DROP,
	COPY_TAG,
};

/* A field under construction: its current line starts at out[line]. */
struct copy_fold {
	struct buf *out;
	size_t line;
	size_t min;    /* never fold before this offset (the name) */
	struct buf ws; /* white space not written yet */
	int fold;      /* the value folds before that white space */
};

/* copy_put - message bytes to the next hop, dot-stuffed */
static void
copy_put(struct copy_out *o, const char *p, size_t len)
{
	const char *end = p + len;

	if (len == 0)
		return;
	while (p < end) {
		const char *lf;

		if (o->bol && *p == '.')
			stream_write(o->s, ".", 1);
		lf = memchr(p, '\n', (size_t)(end - p));
		if (lf == NULL) {
			stream_write(o->s, p, (size_t)(end - p));
			o->bol = 0;
			break;
		}
		stream_write(o->s, p, (size_t)(lf + 1 - p));
		p = lf + 1;
		o->bol = 1;
	}
	o->last_lf = end[-1] == '\n';
}

/* copy_in_read - len bytes of the spool at off, or fewer: count, or -1 */
static ssize_t
copy_in_read(struct copy_in *in, char *buf, size_t len, off_t off)
{
	ssize_t n;

	do
		n = pread(in->fd, buf, len, off);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return n;
	in->why = n < 0 ? strerror(errno)
			: "the spool file is shorter than the message";
	return -1;
}

/* copy_in_fill - want bytes in the window (fewer at the end): count or -1 */
static ssize_t
copy_in_fill(struct copy_in *in, size_t want)
{
	if (in->len - in->pos >= want || in->off >= in->end)
		return (ssize_t)(in->len - in->pos);
	memmove(in->buf, in->buf + in->pos, in->len - in->pos);
	in->len -= in->pos;
	in->pos = 0;
	while (in->len < want && in->off < in->end) {
		size_t room = sizeof(in->buf) - in->len;
		ssize_t n;

		if ((off_t)room > in->end - in->off)
			room = (size_t)(in->end - in->off);
		n = copy_in_read(in, in->buf + in->len, room, in->off);
		if (n < 0)
			return -1;
		in->len += (size_t)n;
		in->off += n;
	}
	return (ssize_t)(in->len - in->pos);
}

/* copy_has_text - anything but white space in out[from..to)? */
static int
copy_has_text(const struct buf *out, size_t from, size_t to)
{
	for (; from < to; from++)
		if (out->data[from] != ' ' && out->data[from] != '\t')
			return 1;
	return 0;
}

/*
 * copy_fold_back - fold the current line at its last white space (which
 * then starts the next line) or after its last comma, where the line
 * before keeps some text; else break it here.
 */
static void
copy_fold_back(struct copy_fold *f)
{
	struct buf *out = f->out;

	for (size_t k = out->len; k > f->line + 1 && k > f->min; k--) {
		char c = out->data[k - 1];
		size_t at = c == ',' ? k : k - 1;

		if ((c == ' ' || c == '\t' || c == ',') &&
		    copy_has_text(out, f->line, at)) {
			const char *fold = c == ',' ? "\r\n " : "\r\n";
			size_t flen = strlen(fold), tail = out->len - at;

			buf_append(out, fold, flen);
			memmove(out->data + at + flen, out->data + at, tail);
			memcpy(out->data + at, fold, flen);
			f->line = at + 2;
			return;
		}
	}
	buf_puts(out, "\r\n ");
	f->line = out->len - 1;
}

/* copy_fold_char - one character of a value, folding when needed */
static void
copy_fold_char(struct copy_fold *f, char c)
{
	struct buf *out = f->out;
	size_t cur;

	if (f->fold) {
		/* A fold of the value itself; its white space is pending. */
		buf_puts(out, "\r\n");
		f->line = out->len;
		f->fold = 0;
	}
	cur = out->len - f->line;
	if (cur + f->ws.len + 1 > COPY_LINE_MAX) {
		if (f->ws.len >= COPY_LINE_MAX || (f->ws.len > 0 && cur == 0))
			buf_truncate(&f->ws, 1);
		if (f->ws.len > 0 && cur > 0) {
			/* Fold at the white space: it starts the next line. */
			buf_puts(out, "\r\n");
			f->line = out->len;
		} else if (f->ws.len == 0) {
			copy_fold_back(f);
		}
	}
	buf_append(out, f->ws.data, f->ws.len);
	buf_reset(&f->ws);
	buf_append(out, &c, 1);
}

/* copy_fold_tail - white space at the end of a value, where it fits */
static void
copy_fold_tail(struct copy_fold *f, size_t next)
{
	struct buf *out = f->out;
	size_t cur = out->len - f->line;

	if (f->ws.len >= COPY_LINE_MAX)
		buf_truncate(&f->ws, 1);
	if (next > 0 && cur > 0 && cur + f->ws.len + next > COPY_LINE_MAX) {
		/* What follows would not fit: fold before the white space. */
		buf_puts(out, "\r\n");
		buf_append(out, f->ws.data, f->ws.len);
		f->line = out->len - f->ws.len;
	} else if (cur + f->ws.len <= COPY_LINE_MAX) {
		buf_append(out, f->ws.data, f->ws.len);
	}
	/* Else it ends the field and has no room: dropped. */
}

/* copy_field_text - append text to a field being made; see copy.h */
size_t
copy_field_text(struct buf *out, size_t col, const char *text, size_t len,
		size_t next)
{
	struct copy_fold f;

	f.out = out;
	f.line = out->len - col;
	f.min = out->len;
	f.fold = 0;
	buf_init(&f.ws, 16);
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (c == '\r' && i + 2 < len && text[i + 1] == '\n' &&
		    (text[i + 2] == ' ' || text[i + 2] == '\t')) {
			/* Kept only when something visible follows on the
			 * next line: no line is white space only. */
			f.fold = 1;
			i++;
			continue;
		}
		if (c == '\r' || c == '\n')
			c = ' ';
		else if (((unsigned char)c < 32 && c != '\t') || c == 127)
			c = '?';
		if (c == ' ' || c == '\t')
			buf_append(&f.ws, &c, 1);
		else
			copy_fold_char(&f, c);
	}
	if (f.ws.len > 0)
		copy_fold_tail(&f, next);
	buf_release(&f.ws);
	return out->len - f.line;
}

/* copy_header_field - one field filterd adds, well formed; see copy.h */
void
copy_header_field(struct buf *out, const char *line)
{
	const char *colon = strchr(line, ':');
	const char *v;
	size_t start = out->len;

	if (colon == NULL || colon == line)
		msg_panic("copy_header_field: no field name in \"%.40s\"",
			  line);
	for (const char *p = line; p < colon; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 127)
			msg_panic("copy_header_field: bad field name \"%.*s\"",
				  (int)(colon - line), line);
	buf_append(out, line, (size_t)(colon + 1 - line));
	buf_puts(out, " ");
	v = colon + 1 + (colon[1] == ' ');
	copy_field_text(out, out->len - start, v, strlen(v), 0);
	buf_puts(out, "\r\n");
}

/* copy_added - the fields filterd puts before the original's */
static void
copy_added(struct buf *out, const struct copy_spec *spec)
{
	for (size_t i = 0; i < 2; i++)
		for (const struct txn_header *hd = spec->added[i]; hd;
		     hd = hd->next)
			copy_header_field(out, hd->line);
}

/* copy_named - is the line at p (n bytes seen) a field with this name? */
static int
copy_named(const char *p, size_t n, const char *name)
{
	size_t len = strlen(name);

	if (n < len || strncasecmp(p, name, len) != 0)
		return 0;
	for (p += len, n -= len; n > 0 && (*p == ' ' || *p == '\t'); n--)
		p++;
	return n > 0 && *p == ':';
}

/* copy_prefixed - does the line at p start with prefix? */
static int
copy_prefixed(const char *p, size_t n, const char *prefix)
{
	size_t len = strlen(prefix);

	return n >= len && strncasecmp(p, prefix, len) == 0;
}

/*
 * copy_strips - is the field starting at p (n bytes) one that spec->strip
 * removes? The one list of the fields filterd adds and a forger copies.
 */
int
copy_strips(const char *p, size_t n)
{
	return copy_prefixed(p, n, "X-Spam-") ||
	       copy_named(p, n, "X-Virus-Scanned") ||
	       copy_named(p, n, "X-Amavis-Alert");
}

/* copy_classify - what happens to the field starting at p */
static enum copy_mode
copy_classify(const char *p, size_t n, const struct copy_spec *spec, int tagged)
{
	if (spec->strip && copy_strips(p, n))
		return COPY_DROP;
	if (spec->defang && (copy_named(p, n, "MIME-Version") ||
			     copy_prefixed(p, n, "Content-")))
		return COPY_DROP;
	if (spec->subject_tag && !tagged && copy_named(p, n, "Subject"))
		return COPY_TAG;
	return COPY_PASS;
}

/* copy_line - the rest of the current line, through its LF: 0 or -1 */
static int
copy_line(struct copy_in *in, struct copy_out *o, int keep)
{
	for (;;) {
		ssize_t n = copy_in_fill(in, 1);
		const char *p = in->buf + in->pos;
		const char *lf;
		size_t take;

		if (n <= 0)
			return (int)n; /* 0: the message ends in its header */
		lf = memchr(p, '\n', (size_t)n);
		take = lf ? (size_t)(lf + 1 - p) : (size_t)n;
		if (keep)
			copy_put(o, p, take);
		in->pos += take;
		if (lf)
			return 0;
	}
}

/* copy_line_len - octets of the current line before its CR LF, or -1 */
static ssize_t
copy_line_len(struct copy_in *in)
{
	const char *p = in->buf + in->pos;
	size_t n = in->len - in->pos;
	const char *lf = memchr(p, '\n', n);
	char scratch[4096], last = n ? p[n - 1] : 0;
	off_t off = in->off;
	size_t len = n;

	if (lf)
		return (lf - p) - (lf > p && lf[-1] == '\r');
	/* A long line: look further without moving the window. */
	while (off < in->end) {
		size_t want = sizeof(scratch);
		ssize_t got;

		if ((off_t)want > in->end - off)
			want = (size_t)(in->end - off);
		if ((got = copy_in_read(in, scratch, want, off)) < 0)
			return -1;
		lf = memchr(scratch, '\n', (size_t)got);
		if (lf) {
			if (lf > scratch)
				last = lf[-1];
			return (ssize_t)(len + (size_t)(lf - scratch)) -
			       (last == '\r');
		}
		len += (size_t)got;
		last = scratch[got - 1];
		off += got;
	}
	return (ssize_t)len;
}

/* copy_subject - the first line of the Subject field, tagged */
static int
copy_subject(struct copy_in *in, struct copy_out *o,
	     const struct copy_spec *spec, struct buf *tmp)
{
	const char *p = in->buf + in->pos;
	size_t n = in->len - in->pos;
	size_t head = (size_t)((const char *)memchr(p, ':', n) + 1 - p);
	ssize_t rest;

	/* The name as the message has it, then the tag, then the value. */
	head += head < n && p[head] == ' ';
	buf_reset(tmp);
	buf_append(tmp, p, head);
	in->pos += head;
	if ((rest = copy_line_len(in)) < 0)
		return -1;
	copy_field_text(tmp, head, spec->subject_tag, strlen(spec->subject_tag),
			(size_t)rest);
	copy_put(o, tmp->data, tmp->len);
	return copy_line(in, o, 1);
}

/*
 * copy_header - the original header section, rewritten, up to (not
 * including) its empty line. Continuation lines before any field would
 * continue the last field we added: they are dropped when we added one.
 */
static int
copy_header(struct copy_in *in, struct copy_out *o,
	    const struct copy_spec *spec, struct buf *tmp, int added)
{
	enum copy_mode mode = added ? COPY_DROP : COPY_PASS;
	int tagged = 0;

	for (;;) {
		ssize_t n = copy_in_fill(in, COPY_PEEK);
		const char *p = in->buf + in->pos;

		if (n < 0)
			return -1;
		if (n == 0 || (n >= 2 && p[0] == '\r' && p[1] == '\n'))
			break;
		if (p[0] != ' ' && p[0] != '\t')
			mode = copy_classify(p, (size_t)n, spec, tagged);
		if (mode == COPY_TAG) {
			if (copy_subject(in, o, spec, tmp) < 0)
				return -1;
			tagged = 1;
			mode = COPY_PASS; /* its continuation lines */
		} else if (copy_line(in, o, mode != COPY_DROP) < 0) {
			return -1;
		}
	}
	if (spec->subject_tag && !tagged) {
		buf_reset(tmp);
		if (!o->last_lf)
			buf_puts(tmp, "\r\n");
		buf_puts(tmp, "Subject: ");
		copy_field_text(tmp, 9, spec->subject_tag,
				strlen(spec->subject_tag), 0);
		buf_puts(tmp, "\r\n");
		copy_put(o, tmp->data, tmp->len);
	}
	return 0;
}

/* copy_rest - the rest of the message, as it is */
static int
copy_rest(struct copy_in *in, struct copy_out *o)
{
	for (;;) {
		ssize_t n = copy_in_fill(in, 1);

		if (n <= 0)
			return (int)n;
		copy_put(o, in->buf + in->pos, (size_t)n);
		in->pos += (size_t)n;
	}
}

/* Why a copy is defanged, in the note it carries (CR LF lines). */
#define COPY_WHY_AMBIGUOUS                                                     \
	"Its MIME structure was ambiguous: different mail programs\r\n"        \
	"would read it differently, which is a known way to smuggle\r\n"       \
	"content past the checks that mail goes through.\r\n"
#define COPY_WHY_UNPARSED                                                      \
	"Its MIME structure was too large or too deeply nested to be\r\n"      \
	"checked in full: some of its parts were never checked, which\r\n"     \
	"is a known way to smuggle content past the checks that mail\r\n"      \
	"goes through.\r\n"

/* copy_boundary - the defanged copy's boundary: '-' is not base64 */
static void
copy_boundary(struct buf *out, const struct copy_spec *spec)
{
	buf_printf(out, "----------=_filterd_defanged.%s", spec->mail_id);
}

/*
 * copy_defang_head - what a defanged copy has between the original's
 * header fields and the base64 of the original. Our words only: none of
 * the message's text, and no line starting with "--" but delimiters.
 */
static void
copy_defang_head(struct buf *out, const struct copy_spec *spec)
{
	buf_puts(out, "MIME-Version: 1.0\r\n"
		      "Content-Type: multipart/mixed;\r\n boundary=\"");
	copy_boundary(out, spec);
	buf_puts(out, "\"\r\n\r\n"
		      "This is a multi-part message in MIME format.\r\n\r\n--");
	copy_boundary(out, spec);
	buf_puts(
		out,
		"\r\nContent-Type: text/plain; charset=us-ascii\r\n"
		"Content-Transfer-Encoding: 7bit\r\n"
		"Content-Disposition: inline\r\n\r\n"
		"WARNING: this message was changed on its way to you.\r\n\r\n");
	buf_puts(out, spec->defang == TXN_DEFANG_UNPARSED ? COPY_WHY_UNPARSED
							  : COPY_WHY_AMBIGUOUS);
	buf_puts(out, "So that no program interprets it, the original\r\n"
		      "message is attached below unopened, as plain text.\r\n"
		      "Open it only if you know and trust its sender.\r\n\r\n");
	buf_printf(out, "mail_id: %s\r\n\r\n--", spec->mail_id);
	copy_boundary(out, spec);
	buf_puts(out, "\r\nContent-Type: text/plain; "
		      "name=\"original-message.txt\"\r\n"
		      "Content-Transfer-Encoding: base64\r\n"
		      "Content-Disposition: attachment;\r\n"
		      " filename=\"original-message.txt\"\r\n"
		      "Content-Description: the original message, unopened\r\n"
		      "\r\n");
}

/* copy_defang_tail - the closing delimiter */
static void
copy_defang_tail(struct buf *out, const struct copy_spec *spec)
{
	buf_puts(out, "\r\n--");
	copy_boundary(out, spec);
	buf_puts(out, "--\r\n");
}

/* copy_base64 - the whole spool, base64 in lines of 76 characters */
static int
copy_base64(struct copy_in *in, struct copy_out *o)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char line[80];
	int any = 0;

	in->pos = in->len = 0;
	in->off = 0;
	for (;;) {
		ssize_t n = copy_in_fill(in, COPY_B64_IN);
		const unsigned char *p = (const unsigned char *)in->buf +
					 in->pos;
		size_t k = 0;

		if (n <= 0)
			return (int)n;
		if (n > COPY_B64_IN)
			n = COPY_B64_IN;
		for (ssize_t i = 0; i < n; i += 3) {
			unsigned v = (unsigned)p[i] << 16;

			if (i + 1 < n)
				v |= (unsigned)p[i + 1] << 8;
			if (i + 2 < n)
				v |= p[i + 2];
			line[k++] = alphabet[v >> 18];
			line[k++] = alphabet[(v >> 12) & 63];
			line[k++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
			line[k++] = i + 2 < n ? alphabet[v & 63] : '=';
		}
		/* The CR LF ends the line; the tail's CR LF ends the last. */
		if (any)
			copy_put(o, "\r\n", 2);
		copy_put(o, line, k);
		any = 1;
		in->pos += (size_t)n;
	}
}

/* copy_write - one copy, dot-stuffed, with the final dot; see copy.h */
int
copy_write(struct stream *s, int fd, off_t size, const struct copy_spec *spec,
	   char *err, size_t errsize)
{
	struct copy_out o = {s, 1, 1};
	struct copy_in *in = xmalloc(sizeof(*in));
	struct buf tmp;
	int ret;

	in->fd = fd;
	in->off = 0;
	in->end = size;
	in->pos = in->len = 0;
	in->why = "";
	buf_init(&tmp, 1024);
	copy_added(&tmp, spec);
	copy_put(&o, tmp.data, tmp.len);
	ret = copy_header(in, &o, spec, &tmp, tmp.len > 0);
	if (ret == 0 && spec->defang) {
		buf_reset(&tmp);
		if (!o.last_lf)
			buf_puts(&tmp, "\r\n");
		copy_defang_head(&tmp, spec);
		copy_put(&o, tmp.data, tmp.len);
		ret = copy_base64(in, &o);
		buf_reset(&tmp);
		copy_defang_tail(&tmp, spec);
		copy_put(&o, tmp.data, tmp.len);
	} else if (ret == 0) {
		ret = copy_rest(in, &o);
	}
	if (ret == 0)
		stream_puts(s, o.last_lf ? ".\r\n" : "\r\n.\r\n");
	else
		snprintf(err, errsize, "read spool: %s", in->why);
	buf_release(&tmp);
	free(in);
	return ret;
}

/* copy_size - the copy's size, or more; see copy.h */
off_t
copy_size(off_t size, const struct copy_spec *spec)
{
	struct buf tmp;
	off_t total = size;

	buf_init(&tmp, 1024);
	copy_added(&tmp, spec);
	if (spec->subject_tag) {
		/* "Subject: ", a fold, CR LF before and after. */
		buf_puts(&tmp, "Subject: \r\n\r\n\r\n");
		copy_field_text(&tmp, 0, spec->subject_tag,
				strlen(spec->subject_tag), 0);
	}
	if (spec->defang) {
		off_t lines = (size + COPY_B64_IN - 1) / COPY_B64_IN;

		copy_defang_head(&tmp, spec);
		copy_defang_tail(&tmp, spec);
		total += (size + 2) / 3 * 4 + 2 * lines + 2;
	}
	/* And the line end before the dot when the message has none. */
	total += (off_t)tmp.len + 2;
	buf_release(&tmp);
	return total;
}
