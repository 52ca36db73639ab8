/*++
/* NAME
/*	mime_raw 3
/* SUMMARY
/*	what the checks can see of a message GMime is not given
/* DESCRIPTION
/*	See mime_raw.h.
/*--*/

#include <errno.h>
#include <string.h>
#include <unistd.h>

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
