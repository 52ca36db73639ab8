/*++
/* NAME
/*	mime_embedded 3
/* SUMMARY
/*	files embedded in text: uuencode, begin-base64, yEnc, BinHex
/* DESCRIPTION
/*	See mime_embedded.h. A line is kept whole up to
/*	MIME_EMBEDDED_LINE_MAX bytes; past that only its start is kept (to
/*	tell a begin line) and the rest is skipped as it comes.
/*--*/

#include <string.h>

#include "mime_embedded.h"
#include "util/base64.h"

/* Why a block cannot be decoded to its end: our words, per kind. */
static const char *const mime_embedded_cut[] = {
	"", "uuencoded file in text without an end line",
	"base64 file in text without a ==== line",
	"yEnc file in text without an =yend line",
	"BinHex file in text cut short"};
static const char *const mime_embedded_bad[] = {
	"", "uuencoded file in text with a line that is not uuencode",
	"base64 file in text with a line that is not base64",
	"yEnc file in text that cannot be decoded",
	"BinHex file in text that cannot be decoded"};
#define MIME_EMBEDDED_LONG "file in text with a line too long to decode"
#define MIME_EMBEDDED_NAME "file in text with a name too long to read"
#define MIME_EMBEDDED_NESTED "file in text cut short by another begin line"

/* BinHex 4.0: its banner, and its 64 characters in the order of value. */
#define MIME_EMBEDDED_BINHEX_BANNER "(This file must be converted with BinHex"
static const char mime_embedded_hqx[] =
	"!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr";

/* mime_embedded_kind_name - a kind in words, for logs and tests */
const char *
mime_embedded_kind_name(enum mime_embedded_kind kind)
{
	switch (kind) {
	case MIME_EMBEDDED_UU:
		return "uuencode";
	case MIME_EMBEDDED_BASE64:
		return "begin-base64";
	case MIME_EMBEDDED_YENC:
		return "yEnc";
	case MIME_EMBEDDED_BINHEX:
		return "BinHex";
	default:
		return "text";
	}
}

/* mime_embedded_init - ready to read text */
void
mime_embedded_init(struct mime_embedded *e,
		   const struct mime_embedded_sink *sink)
{
	e->sink = *sink;
	e->kind = MIME_EMBEDDED_NONE;
	e->stopped = 0;
	e->over = 0;
	e->len = 0;
	e->b64_bits = 0;
	e->b64_nbits = 0;
	e->b64_done = 0;
	e->out_len = 0;
	e->pending = 0;
	e->cr_begin = 0;
	e->skip = 0;
	e->also = NULL;
	e->alias[0] = '\0';
}

/* mime_embedded_blank - a space or a tab */
static int
mime_embedded_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* mime_embedded_trim - len without trailing blanks and CR */
static size_t
mime_embedded_trim(const char *s, size_t len)
{
	while (len > 0 &&
	       (mime_embedded_blank(s[len - 1]) || s[len - 1] == '\r'))
		len--;
	return len;
}

/*
 * mime_embedded_mode_name - after "begin " or "begin-base64 " at i: a
 * mode of three or four octal digits, blanks, a name; where the name
 * starts, or 0 when the line is text
 */
static size_t
mime_embedded_mode_name(const char *s, size_t len, size_t i)
{
	size_t digits = 0;

	while (i < len && s[i] >= '0' && s[i] <= '7' && digits < 5) {
		i++;
		digits++;
	}
	if (digits < 3 || digits > 4 || i >= len || !mime_embedded_blank(s[i]))
		return 0;
	while (i < len && mime_embedded_blank(s[i]))
		i++;
	return i < len ? i : 0;
}

/*
 * mime_embedded_begin_line - is the line (trimmed) a begin line? Its
 * kind, and where the name starts in it (*name); NONE when it is text
 */
static enum mime_embedded_kind
mime_embedded_begin_line(const char *s, size_t len, size_t *name)
{
	static const char uu[] = "begin ", b64[] = "begin-base64 ",
			  yenc[] = "=ybegin ",
			  bh[] = MIME_EMBEDDED_BINHEX_BANNER;

	if (len >= sizeof(bh) - 1 && memcmp(s, bh, sizeof(bh) - 1) == 0) {
		*name = 0; /* in the data */
		return MIME_EMBEDDED_BINHEX;
	}
	if (len > sizeof(b64) - 1 && memcmp(s, b64, sizeof(b64) - 1) == 0)
		return (*name = mime_embedded_mode_name(s, len,
							sizeof(b64) - 1))
			       ? MIME_EMBEDDED_BASE64
			       : MIME_EMBEDDED_NONE;
	if (len > sizeof(uu) - 1 && memcmp(s, uu, sizeof(uu) - 1) == 0)
		return (*name = mime_embedded_mode_name(s, len, sizeof(uu) - 1))
			       ? MIME_EMBEDDED_UU
			       : MIME_EMBEDDED_NONE;
	if (len > sizeof(yenc) - 1 && memcmp(s, yenc, sizeof(yenc) - 1) == 0) {
		/* name= is the last keyword: the rest of the line. */
		for (size_t i = sizeof(yenc) - 2; i + 6 < len; i++)
			if (mime_embedded_blank(s[i]) &&
			    memcmp(s + i + 1, "name=", 5) == 0) {
				*name = i + 6;
				return MIME_EMBEDDED_YENC;
			}
	}
	return MIME_EMBEDDED_NONE;
}

/* mime_embedded_stop - note a callback's value: non-zero stops */
static int
mime_embedded_stop(struct mime_embedded *e, int r)
{
	if (r != 0)
		e->stopped = r;
	return r;
}

/* mime_embedded_flush - BinHex: the decoded bytes not yet given */
static int
mime_embedded_flush(struct mime_embedded *e)
{
	size_t n = e->out_len;

	e->out_len = 0;
	return n ? mime_embedded_stop(e, e->sink.data(e->sink.ctx, e->out, n))
		 : 0;
}

/* mime_embedded_close - the open block ends; why: NULL when whole */
static int
mime_embedded_close(struct mime_embedded *e, const char *why)
{
	int r;

	if (e->kind == MIME_EMBEDDED_BINHEX) {
		/* A banner without data after it: text. */
		if (!e->bh_data) {
			e->kind = MIME_EMBEDDED_NONE;
			return 0;
		}
		if ((r = mime_embedded_flush(e))) {
			e->kind = MIME_EMBEDDED_NONE;
			return r;
		}
		if (!e->bh_begun) {
			/* No header: a file without a name, not decoded. */
			r = e->sink.begin(e->sink.ctx, MIME_EMBEDDED_BINHEX,
					  "");
			if (mime_embedded_stop(e, r)) {
				e->kind = MIME_EMBEDDED_NONE;
				return r;
			}
			if (why == NULL)
				why = mime_embedded_bad[MIME_EMBEDDED_BINHEX];
		} else if (why == NULL && e->bh_left > 0) {
			why = mime_embedded_cut[MIME_EMBEDDED_BINHEX];
		}
	}
	e->kind = MIME_EMBEDDED_NONE;
	return mime_embedded_stop(e, e->sink.end(e->sink.ctx, why));
}

/*
 * mime_embedded_bh_out - one byte of the BinHex stream, runs undone:
 * the header first (then begin, with its name), then the data fork
 */
static int
mime_embedded_bh_out(struct mime_embedded *e, unsigned char b)
{
	const unsigned char *h;
	char name[256];
	size_t n;

	e->bh_prev = b;
	if (e->bh_begun) {
		if (e->bh_left == 0)
			return 0; /* CRC, resource fork: not kept */
		e->bh_left--;
		e->out[e->out_len++] = (char)b;
		return e->out_len == sizeof(e->out) ? mime_embedded_flush(e)
						    : 0;
	}
	e->bh_head[e->bh_hlen++] = b;
	/* Name length, name, version; type, creator, flags, data and
	 * resource fork lengths (big-endian), header CRC. */
	if (e->bh_hlen == 1)
		e->bh_hneed = 1 + (size_t)b + 1 + 20;
	if (e->bh_hlen < e->bh_hneed)
		return 0;
	n = e->bh_head[0];
	memcpy(name, e->bh_head + 1, n);
	name[n] = '\0';
	h = e->bh_head + 1 + n + 1 + 10;
	e->bh_left = (unsigned long)h[0] << 24 | (unsigned long)h[1] << 16 |
		     (unsigned long)h[2] << 8 | h[3];
	e->bh_begun = 1;
	return mime_embedded_stop(
		e, e->sink.begin(e->sink.ctx, MIME_EMBEDDED_BINHEX, name));
}

/* mime_embedded_bh_byte - one byte of 6-bit decoded BinHex: runs */
static int
mime_embedded_bh_byte(struct mime_embedded *e, unsigned char b)
{
	int r = 0;

	if (e->bh_rle) {
		e->bh_rle = 0;
		/* 0x90 0: a 0x90; 0x90 n: the byte before, n times in all. */
		if (b == 0)
			return mime_embedded_bh_out(e, 0x90);
		for (unsigned k = 1; k < b && r == 0; k++)
			r = mime_embedded_bh_out(e, (unsigned char)e->bh_prev);
		return r;
	}
	if (b == 0x90) {
		e->bh_rle = 1;
		return 0;
	}
	return mime_embedded_bh_out(e, b);
}

/* mime_embedded_binhex - a line of BinHex data (":" may end it) */
static int
mime_embedded_binhex(struct mime_embedded *e, const char *s, size_t len)
{
	size_t i = 0;

	if (!e->bh_data) {
		if (len == 0)
			return 0; /* blank lines before the data */
		if (s[0] != ':') {
			/* The banner was text. */
			e->kind = MIME_EMBEDDED_NONE;
			return 0;
		}
		e->bh_data = 1;
		i = 1;
	}
	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *at;

		if (c == ':')
			return mime_embedded_close(e, NULL);
		if (mime_embedded_blank((char)c) || c == '\r')
			continue;
		if (c == '\0' || (at = strchr(mime_embedded_hqx, c)) == NULL)
			return mime_embedded_close(
				e, mime_embedded_bad[MIME_EMBEDDED_BINHEX]);
		e->bh_bits = (e->bh_bits << 6 |
			      (unsigned)(at - mime_embedded_hqx)) &
			     0xffffff;
		if ((e->bh_nbits += 6) >= 8) {
			e->bh_nbits -= 8;
			if (mime_embedded_bh_byte(
				    e,
				    (unsigned char)(e->bh_bits >> e->bh_nbits)))
				return e->stopped;
		}
	}
	return 0;
}

/* mime_embedded_uu - one uuencoded line; its length, or -1 */
static long
mime_embedded_uu(struct mime_embedded *e, const char *s, size_t len)
{
	size_t n, need, o = 0;
	unsigned char q[4];

	if ((unsigned char)s[0] < 0x20 || (unsigned char)s[0] > 0x60)
		return -1;
	n = (size_t)((s[0] - 0x20) & 0x3f);
	need = (n + 2) / 3 * 4;
	/* Trailing spaces (zeros) are often cut: missing ones are zeros. */
	for (size_t g = 0; g < need; g += 4) {
		for (size_t k = 0; k < 4; k++) {
			size_t i = 1 + g + k;
			unsigned char c = i < len ? (unsigned char)s[i] : ' ';

			if (c < 0x20 || c > 0x60)
				return -1;
			q[k] = (unsigned char)((c - 0x20) & 0x3f);
		}
		e->out[o++] = (char)(q[0] << 2 | q[1] >> 4);
		e->out[o++] = (char)(q[1] << 4 | q[2] >> 2);
		e->out[o++] = (char)(q[2] << 6 | q[3]);
	}
	return (long)(o < n ? o : n);
}

/* mime_embedded_b64 - one base64 line; its length, or -1 */
static long
mime_embedded_b64(struct mime_embedded *e, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int v = base64_value[c];

		if (v == -2) {
			e->b64_done = 1;
			continue;
		}
		if (v < 0) {
			if (mime_embedded_blank((char)c) || c == '\r')
				continue;
			return -1;
		}
		if (e->b64_done)
			return -1; /* data after the padding */
		e->b64_bits = (e->b64_bits << 6 | (unsigned)v) & 0xffffff;
		if ((e->b64_nbits += 6) >= 8) {
			e->b64_nbits -= 8;
			e->out[o++] = (char)(e->b64_bits >> e->b64_nbits);
		}
	}
	return (long)o;
}

/* mime_embedded_yenc - one yEnc line; its length */
static long
mime_embedded_yenc(struct mime_embedded *e, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '=') {
			/* A lone "=" at the end escapes nothing. */
			if (++i >= len)
				break;
			e->out[o++] = (char)((unsigned char)s[i] - 64 - 42);
		} else {
			e->out[o++] = (char)((unsigned char)s[i] - 42);
		}
	}
	return (long)o;
}

/* mime_embedded_block_line - a line inside the open block */
static int
mime_embedded_block_line(struct mime_embedded *e, const char *s, size_t len)
{
	size_t t = mime_embedded_trim(s, len);
	long n;

	switch (e->kind) {
	case MIME_EMBEDDED_UU:
		if (t == 3 && memcmp(s, "end", 3) == 0)
			return mime_embedded_close(e, NULL);
		if (t == 0)
			return 0;
		n = mime_embedded_uu(e, s, t);
		break;
	case MIME_EMBEDDED_BASE64:
		if (t == 4 && memcmp(s, "====", 4) == 0)
			return mime_embedded_close(e, NULL);
		n = mime_embedded_b64(e, s, t);
		break;
	case MIME_EMBEDDED_BINHEX:
		return mime_embedded_binhex(e, s, t);
	default:
		if (len >= 5 && memcmp(s, "=yend", 5) == 0)
			return mime_embedded_close(e, NULL);
		if (len >= 6 && memcmp(s, "=ypart", 6) == 0)
			return 0;
		/* Only the line's CR is cut: blanks may be data. */
		n = mime_embedded_yenc(
			e, s, len && s[len - 1] == '\r' ? len - 1 : len);
		break;
	}
	if (n < 0)
		return mime_embedded_close(e, mime_embedded_bad[e->kind]);
	if (n == 0)
		return 0;
	return mime_embedded_stop(e,
				  e->sink.data(e->sink.ctx, e->out, (size_t)n));
}

/*
 * mime_embedded_start - the pending block is a file: begin, with its
 * name and the other reading of it
 */
static int
mime_embedded_start(struct mime_embedded *e)
{
	int r;

	e->pending = 0;
	e->also = e->alias[0] ? e->alias : NULL;
	r = e->sink.begin(e->sink.ctx, e->kind, e->name);
	e->also = NULL;
	e->alias[0] = '\0';
	if (mime_embedded_stop(e, r))
		e->kind = MIME_EMBEDDED_NONE;
	return r;
}

/*
 * mime_embedded_name_only - the pending begin line starts no block: a
 * file of no content by its name (a lenient decoder, as Thunderbird's,
 * still shows one), whole; what follows is text
 */
static int
mime_embedded_name_only(struct mime_embedded *e)
{
	if (mime_embedded_start(e))
		return e->stopped;
	return mime_embedded_close(e, NULL);
}

/*
 * mime_embedded_refuse - the line after a pending begin line is no
 * line of its encoding: the begin line names a file of no content, or,
 * when it was cut
 * at a bare CR and this is the same LF line, the LF-only reading is
 * tried: its name is the whole rest of the line (the first name the
 * other one), its data the next
 */
static int
mime_embedded_refuse(struct mime_embedded *e)
{
	if (e->cr_begin && e->alias[0]) {
		/* The names swap: the first reading's is still a name a
		 * mail program may save the file by. out[] is free here. */
		size_t n = strlen(e->name) + 1;

		memcpy(e->out, e->name, n);
		memcpy(e->name, e->alias, strlen(e->alias) + 1);
		memcpy(e->alias, e->out, n);
		e->b64_bits = 0;
		e->b64_nbits = 0;
		e->b64_done = 0;
		e->skip = 1;
		return 0;
	}
	return mime_embedded_name_only(e);
}

/* mime_embedded_first - the first non-blank line after a begin line */
static int
mime_embedded_first(struct mime_embedded *e, const char *s, size_t len)
{
	size_t t = mime_embedded_trim(s, len);
	long n;
	int r;

	if (t == 0)
		return 0;
	if (e->kind == MIME_EMBEDDED_UU) {
		if (t == 3 && memcmp(s, "end", 3) == 0)
			return mime_embedded_start(e)
				       ? e->stopped
				       : mime_embedded_close(e, NULL);
		n = mime_embedded_uu(e, s, t);
	} else {
		if (t == 4 && memcmp(s, "====", 4) == 0)
			return mime_embedded_start(e)
				       ? e->stopped
				       : mime_embedded_close(e, NULL);
		n = mime_embedded_b64(e, s, t);
	}
	if (n < 0)
		return mime_embedded_refuse(e);
	if ((r = mime_embedded_start(e)) != 0 || n == 0)
		return r;
	return mime_embedded_stop(e,
				  e->sink.data(e->sink.ctx, e->out, (size_t)n));
}

/*
 * mime_embedded_piece - a line: s[0, len) of line[] (no CR, no LF; a
 * line ended by a bare CR has more of its LF line after it, up to
 * lf_end); over: cut at line[]'s size
 */
static int
mime_embedded_piece(struct mime_embedded *e, char *s, size_t len, int over,
		    const char *lf_end)
{
	size_t t = mime_embedded_trim(s, len), name = 0;
	enum mime_embedded_kind kind = mime_embedded_begin_line(s, t, &name);
	int r;

	if (e->kind != MIME_EMBEDDED_NONE && e->pending) {
		if (kind == MIME_EMBEDDED_NONE && !over)
			return mime_embedded_first(e, s, len);
		/* Another begin line, a giant line: no encoded line. */
		if (mime_embedded_refuse(e) || e->skip)
			return e->stopped;
	}
	if (e->kind != MIME_EMBEDDED_NONE) {
		if (kind != MIME_EMBEDDED_NONE) {
			if ((r = mime_embedded_close(e, MIME_EMBEDDED_NESTED)))
				return r;
		} else if (over) {
			return mime_embedded_close(e, MIME_EMBEDDED_LONG);
		} else {
			return mime_embedded_block_line(e, s, len);
		}
	}
	if (kind == MIME_EMBEDDED_NONE)
		return 0;
	e->out_len = 0;
	if (kind == MIME_EMBEDDED_BINHEX) {
		/* Its name comes with the data. */
		e->kind = kind;
		e->bh_data = e->bh_rle = e->bh_begun = e->bh_nbits = 0;
		e->bh_bits = 0;
		e->bh_hlen = e->bh_hneed = 0;
		e->bh_left = 0;
		return 0;
	}
	/* The name (cut by a byte when line[] is full), and the rest of
	 * the LF line when a bare CR ended this one. */
	t = t < sizeof(e->line) ? t : t - 1;
	memcpy(e->name, s + name, t - name);
	e->name[t - name] = '\0';
	e->alias[0] = '\0';
	if (lf_end) {
		size_t a = mime_embedded_trim(s + name,
					      (size_t)(lf_end - (s + name)));

		a = a < sizeof(e->alias) ? a : sizeof(e->alias) - 1;
		memcpy(e->alias, s + name, a);
		e->alias[a] = '\0';
		/* No NUL in a name: it would end there. */
		if (memchr(e->alias, '\0', a) != NULL)
			e->alias[0] = '\0';
	}
	e->kind = kind;
	e->b64_bits = 0;
	e->b64_nbits = 0;
	e->b64_done = 0;
	e->pending = kind != MIME_EMBEDDED_YENC && !over;
	e->cr_begin = 1;
	if (e->pending)
		return 0;
	if ((r = mime_embedded_start(e)))
		return r;
	if (over)
		return mime_embedded_close(e, MIME_EMBEDDED_NAME);
	return 0;
}

/*
 * mime_embedded_line - line[] (no LF); over: cut at line[]'s size. A
 * bare CR ends a line in it too (one that ends it is CR LF's).
 */
static int
mime_embedded_line(struct mime_embedded *e, size_t len, int over)
{
	char *s = e->line, *end = e->line + len;

	e->skip = 0;
	e->cr_begin = 0;
	while (!e->stopped && !e->skip) {
		char *cr = memchr(s, '\r', (size_t)(end - s));

		if (cr == NULL || cr + 1 == end) {
			(void)mime_embedded_piece(e, s, (size_t)(end - s), over,
						  NULL);
			break;
		}
		(void)mime_embedded_piece(e, s, (size_t)(cr - s), 0, end);
		s = cr + 1;
	}
	e->cr_begin = 0;
	e->skip = 0;
	return e->stopped;
}

/* mime_embedded_feed - more decoded text */
int
mime_embedded_feed(struct mime_embedded *e, const char *buf, size_t len)
{
	while (len > 0 && !e->stopped) {
		const char *lf = memchr(buf, '\n', len);
		size_t n = lf ? (size_t)(lf - buf) : len;
		size_t room = sizeof(e->line) - e->len;

		if (n > room) {
			e->over = 1;
			memcpy(e->line + e->len, buf, room);
			e->len += room;
		} else {
			memcpy(e->line + e->len, buf, n);
			e->len += n;
		}
		if (lf == NULL)
			break;
		buf += n + 1;
		len -= n + 1;
		(void)mime_embedded_line(e, e->len, e->over);
		e->len = 0;
		e->over = 0;
	}
	return e->stopped;
}

/* mime_embedded_end - the text ended: its last line, an open block */
int
mime_embedded_end(struct mime_embedded *e)
{
	if (e->stopped)
		return e->stopped;
	if (e->len > 0 || e->over)
		(void)mime_embedded_line(e, e->len, e->over);
	e->len = 0;
	e->over = 0;
	/* A begin line the text ends after: a name only. */
	if (e->pending)
		(void)mime_embedded_name_only(e);
	if (!e->stopped && e->kind != MIME_EMBEDDED_NONE)
		(void)mime_embedded_close(e, mime_embedded_cut[e->kind]);
	return e->stopped;
}

/* mime_embedded_head - does the head of a file hold a begin line? */
int
mime_embedded_head(const char *buf, size_t len)
{
	size_t name;

	for (int n = 0; n < MIME_EMBEDDED_HEAD_LINES && len > 0; n++) {
		const char *lf = buf;
		size_t l, t;

		while (lf < buf + len && *lf != '\n' && *lf != '\r')
			lf++;
		l = (size_t)(lf - buf);
		t = mime_embedded_trim(buf, l);
		if (mime_embedded_begin_line(buf, t, &name) !=
		    MIME_EMBEDDED_NONE)
			return 1;
		if (l == len)
			break;
		/* CR LF is one line end. */
		l += buf[l] == '\r' && l + 1 < len && buf[l + 1] == '\n' ? 2
									 : 1;
		buf += l;
		len -= l;
	}
	return 0;
}
