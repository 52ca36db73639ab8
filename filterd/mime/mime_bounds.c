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

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "mime_bounds.h"
#include "spool/spool.h"
#include "txn/txn.h"
#include "util/pool.h"
#include "util/xalloc.h"

/* mime_bounds_init - a count with the limits of conf */
void
mime_bounds_init(struct mime_bounds *b, const struct conf *conf)
{
	*b = (struct mime_bounds){0};
	b->max_parts = conf->max_mime_parts;
	b->max_delimiters = 2 * (long)conf->max_mime_parts + MIME_BOUNDS_SLACK;
}

/* mime_bounds_line - the line under way has ended: what was it? */
static void
mime_bounds_line(struct mime_bounds *b)
{
	if (b->line_len >= 2 && b->head[0] == '-' && b->head[1] == '-' &&
	    ++b->delimiters > b->max_delimiters)
		b->verdict = MIME_BOUNDS_PARTS;
	b->line_len = 0;
}

/* mime_bounds_feed - the next len bytes of the message */
enum mime_bounds_verdict
mime_bounds_feed(struct mime_bounds *b, const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	while (p < end && b->verdict == MIME_BOUNDS_OK) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((lf ? lf + 1 : end) - p);

		for (size_t i = 0; b->line_len + i < sizeof(b->head) && i < n;
		     i++)
			b->head[b->line_len + i] = p[i];
		b->line_len += n;
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

/* mime_bounds_why - the bound passed, in our words, or NULL */
const char *
mime_bounds_why(const struct mime_bounds *b, struct pool *pool)
{
	switch (b->verdict) {
	case MIME_BOUNDS_PARTS:
		return pool_printf(pool,
				   "more than %ld MIME parts: over %ld "
				   "boundary lines",
				   b->max_parts, b->max_delimiters);
	default:
		return NULL;
	}
}

/* mime_bounds_spool - count the spooled message; 1 past a bound */
int
mime_bounds_spool(struct txn *t)
{
	size_t size = t->size < MIME_BOUNDS_CHUNK ? (size_t)t->size
						  : MIME_BOUNDS_CHUNK;
	int fd = spool_fd(t->spool);
	struct mime_bounds b;
	char *buf;
	off_t off = 0;

	mime_bounds_init(&b, t->conf);
	buf = xmalloc(size ? size : 1);
	while (off < t->size && b.verdict == MIME_BOUNDS_OK) {
		size_t want = t->size - off < (off_t)size
				      ? (size_t)(t->size - off)
				      : size;
		ssize_t n = pread(fd, buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			txn_set_error(t, TXN_ERR_PARSE, "spool: %s",
				      n == 0 ? "short read" : strerror(errno));
			free(buf);
			return -1;
		}
		(void)mime_bounds_feed(&b, buf, (size_t)n);
		off += n;
	}
	free(buf);
	if (mime_bounds_end(&b) == MIME_BOUNDS_OK)
		return 0;
	t->mime.unchecked = mime_bounds_why(&b, t->pool);
	return 1;
}
