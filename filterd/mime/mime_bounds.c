/*++
/* NAME
/*	mime_bounds 3
/* SUMMARY
/*	what GMime would build for a message, bounded before it does
/* DESCRIPTION
/*	See mime_bounds.h. One pass, line by line: a line may span any
/*	number of the pieces fed, so what a line is gets decided from the
/*	first bytes kept in b->head, once its end is seen.
/*--*/

#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "mime_bounds.h"
#include "spool/spool.h"
#include "txn/txn.h"
#include "util/pool.h"

/* mime_bounds_init - a count with the limits of conf */
void
mime_bounds_init(struct mime_bounds *b, const struct conf *conf)
{
	*b = (struct mime_bounds){0};
	b->max_parts = conf->max_mime_parts;
	b->max_delimiters = 2 * (long)conf->max_mime_parts + MIME_BOUNDS_SLACK;
	b->max_field = conf->max_header_field_size;
	b->max_fields = conf->max_header_fields;
	/* The message begins with its header section. */
	b->in_header = 1;
}

/* mime_bounds_section - a header section begins (or none: in_header 0) */
static void
mime_bounds_section(struct mime_bounds *b, int in_header, int delimited)
{
	b->in_header = in_header;
	b->delimited = delimited;
	b->has_type = b->type_open = b->inner = 0;
	b->field_len = 0;
}

/* mime_bounds_token - an RFC 2045 token character? */
static int
mime_bounds_token(char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/*
 * mime_bounds_type - a Content-Type value may begin at v (up to end,
 * which is where the line was cut when cut): is it of type message?
 */
static void
mime_bounds_type(struct mime_bounds *b, const char *v, const char *end, int cut)
{
	const char *q;

	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	/* Nothing yet: the value is on a continuation line (or in doubt). */
	b->type_open = v == end && !cut;
	if (b->type_open)
		return;
	for (q = v; q < end && mime_bounds_token(*q); q++)
		;
	/* In doubt (cut, or a comment or quote first): a header follows. */
	if ((q == end && cut) || q == v ||
	    ((size_t)(q - v) == 7 && strncasecmp(v, "message", 7) == 0))
		b->inner = 1;
}

/*
 * mime_bounds_field - a line of a header section, not folded, on
 * [h, end) (cut there when cut): a field GMime keeps (a name without
 * blanks or controls, blanks, a colon: else it drops the line)? Is it
 * Content-Type?
 */
static void
mime_bounds_field(struct mime_bounds *b, const char *h, const char *end,
		  int cut)
{
	const char *c = h, *name_end;

	while (c < end && *c != ':' && *c != ' ' && *c != '\t' &&
	       (unsigned char)*c >= 0x20 && *c != 0x7f)
		c++;
	name_end = c;
	while (c < end && (*c == ' ' || *c == '\t'))
		c++;
	/* No colon: GMime drops the line. Cut before one: in doubt. */
	if (c == end ? !cut : *c != ':')
		return;
	if (name_end - h == 12 && strncasecmp(h, "Content-Type", 12) == 0) {
		b->has_type = 1;
		if (c == end)
			b->inner = 1; /* in doubt */
		else
			mime_bounds_type(b, c + 1, end, cut);
	}
	if (++b->fields > b->max_fields)
		b->verdict = MIME_BOUNDS_FIELDS;
}

/*
 * mime_bounds_padded - does the line under way end, before its line
 * ending, in a blank or a CR (its tail, whatever its length)?
 */
static int
mime_bounds_padded(const struct mime_bounds *b)
{
	int i = 2;

	if (b->tail[i] == '\n')
		i--;
	if (b->tail[i] == '\r')
		return i > 0 &&
		       (b->tail[i - 1] == ' ' || b->tail[i - 1] == '\t' ||
			b->tail[i - 1] == '\r');
	return b->tail[i] == ' ' || b->tail[i] == '\t';
}

/* mime_bounds_line - the line under way has ended: what was it? */
static void
mime_bounds_line(struct mime_bounds *b)
{
	int cut = b->line_len > sizeof(b->head);
	const char *h = b->head;
	const char *end = h + (cut ? sizeof(b->head) : b->line_len);

	/* The text of the line, without its line ending. */
	if (!cut && end > h && end[-1] == '\n')
		end--;
	if (!cut && end > h && end[-1] == '\r')
		end--;
	if (end - h >= 2 && h[0] == '-' && h[1] == '-') {
		if (mime_bounds_padded(b))
			b->dash_padded = 1;
		if (++b->delimiters > b->max_delimiters)
			b->verdict = MIME_BOUNDS_PARTS;
		/* GMime reads the lines after a delimiter as its header. */
		mime_bounds_section(b, 1, 1);
	} else if (!b->in_header) {
		/* Content. */
	} else if (end == h && !cut) {
		/* A blank line ends the section: an inner message's follows. */
		mime_bounds_section(
			b, b->inner || (b->delimited && !b->has_type), 0);
	} else if (h[0] == ' ' || h[0] == '\t') {
		if (b->type_open)
			mime_bounds_type(b, h, end, cut);
	} else {
		b->type_open = 0;
		mime_bounds_field(b, h, end, cut);
	}
	b->line_len = 0;
	b->tail[0] = b->tail[1] = b->tail[2] = '\0';
}

/* mime_bounds_feed - the next len bytes of the message */
enum mime_bounds_verdict
mime_bounds_feed(struct mime_bounds *b, const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	while (p < end && b->verdict == MIME_BOUNDS_OK) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((lf ? lf + 1 : end) - p);

		/* A field begins with a line that is not folded (RFC 5322
		 * 2.2.3); blank and "--" lines end it at their end anyway. */
		if (b->line_len == 0 && *p != ' ' && *p != '\t')
			b->field_len = 0;
		if (b->in_header && (b->field_len += (long)n) > b->max_field)
			b->verdict = MIME_BOUNDS_FIELD;
		for (size_t i = 0; b->line_len + i < sizeof(b->head) && i < n;
		     i++)
			b->head[b->line_len + i] = p[i];
		b->line_len += n;
		for (size_t i = n > 3 ? n - 3 : 0; i < n; i++) {
			b->tail[0] = b->tail[1];
			b->tail[1] = b->tail[2];
			b->tail[2] = p[i];
		}
		if (lf)
			mime_bounds_line(b);
		p += n;
	}
	return b->verdict;
}

/* mime_bounds_end - the message has ended */
enum mime_bounds_verdict
mime_bounds_end(struct mime_bounds *b)
{
	/* A last line without its LF counts as a line. */
	if (b->verdict == MIME_BOUNDS_OK && b->line_len > 0)
		mime_bounds_line(b);
	return b->verdict;
}

/* mime_bounds_next - the message has ended, another one begins */
enum mime_bounds_verdict
mime_bounds_next(struct mime_bounds *b)
{
	(void)mime_bounds_end(b);
	/* Its counts go on; its lines begin with its header section. */
	b->line_len = 0;
	mime_bounds_section(b, 1, 0);
	return b->verdict;
}

/* mime_bounds_why - the bound passed, in our words, or NULL */
const char *
mime_bounds_why(const struct mime_bounds *b, struct pool *pool)
{
	switch (b->verdict) {
	case MIME_BOUNDS_FIELD:
		return pool_printf(pool, "a header field longer than %ld bytes",
				   b->max_field);
	case MIME_BOUNDS_FIELDS:
		return pool_printf(pool, "more than %ld header fields",
				   b->max_fields);
	case MIME_BOUNDS_PARTS:
		return pool_printf(pool,
				   "more than %ld MIME parts: over %ld "
				   "boundary lines",
				   b->max_parts, b->max_delimiters);
	default:
		return NULL;
	}
}

/* mime_bounds_piece - spool_read_all's callback: stop past a bound */
static int
mime_bounds_piece(void *ctx, const char *data, size_t len)
{
	return mime_bounds_feed(ctx, data, len) != MIME_BOUNDS_OK;
}

/* mime_bounds_spool - count the spooled message; 1 past a bound */
int
mime_bounds_spool(struct txn *t)
{
	struct mime_bounds b;
	char err[512];

	mime_bounds_init(&b, t->conf);
	if (spool_read_all(t->spool, MIME_BOUNDS_CHUNK, mime_bounds_piece, &b,
			   err, sizeof(err)) < 0) {
		txn_set_error(t, TXN_ERR_PARSE, "%s", err);
		return -1;
	}
	if (mime_bounds_end(&b) == MIME_BOUNDS_OK) {
		t->mime.dash_padded = b.dash_padded;
		return 0;
	}
	t->mime.unchecked = mime_bounds_why(&b, t->pool);
	return 1;
}
