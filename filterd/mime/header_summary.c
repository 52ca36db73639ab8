/*++
/* NAME
/*	header_summary 3
/* SUMMARY
/*	the header fields the log line and the records name
/*--*/

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "header_summary.h"
#include "spool/spool.h"
#include "txn/txn.h"
#include "util/buf.h"

#define HEADER_SUMMARY_MAX (256 * 1024)

/* header_summary_find - value of the first NAME field, unfolded */
char *
header_summary_find(const char *hdr, size_t len, const char *name, char *out,
		    size_t outsize)
{
	size_t nlen = strlen(name);
	const char *p = hdr, *end = hdr + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol ? eol : end;

		if (line_end == p || (line_end - p == 1 && *p == '\r'))
			break; /* empty line: end of the header */
		if ((size_t)(line_end - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			size_t n = 0;
			const char *v = p + nlen + 1;

			/* Copy this line and its continuation lines. */
			for (;;) {
				/* Unfolded, and safe to log: controls become '?'. */
				for (; v < line_end && n + 1 < outsize; v++)
					if (*v == '\t')
						out[n++] = ' ';
					else if (*v != '\r' && *v != '\n')
						out[n++] =
							(unsigned char)*v < 0x20 ||
									*v == 0x7f
								? '?'
								: *v;
				if (!eol || eol + 1 >= end ||
				    (eol[1] != ' ' && eol[1] != '\t'))
					break;
				v = eol + 1;
				eol = memchr(v, '\n', (size_t)(end - v));
				line_end = eol ? eol : end;
			}
			out[n] = 0;
			/* Trim surrounding white space. */
			while (n > 0 && out[n - 1] == ' ')
				out[--n] = 0;
			return out + strspn(out, " ");
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	return NULL;
}

/* header_summary_refs - the <message-ids> of In-Reply-To and References */
static void
header_summary_refs(struct txn *t, const char *hdr, size_t len)
{
	static const char *const fields[] = {"In-Reply-To", "References"};
	char value[4096];

	for (size_t f = 0; f < 2; f++) {
		const char *v = header_summary_find(hdr, len, fields[f], value,
						    sizeof(value));

		while (v && t->n_refs < TXN_REFS_MAX) {
			const char *lt = strchr(v, '<'), *gt;

			if (lt == NULL || (gt = strchr(lt, '>')) == NULL)
				break;
			t->refs[t->n_refs++] = pool_strndup(
				t->pool, lt, (size_t)(gt - lt + 1));
			v = gt + 1;
		}
	}
}

/* header_summary_read - fill in the header summary of a spooled message */
int
header_summary_read(struct txn *t)
{
	struct buf hdr;
	char value[998];
	const char *mid;

	buf_init(&hdr, 4096);
	if (spool_header(t->spool, HEADER_SUMMARY_MAX, &hdr) < 0) {
		txn_set_error(t, TXN_ERR_SPOOL, "read spool: %s",
			      strerror(errno));
		buf_release(&hdr);
		return -1;
	}
	mid = header_summary_find(hdr.data, hdr.len, "Message-ID", value,
				  sizeof(value));
	if (mid && *mid)
		t->message_id = pool_strdup(t->pool, mid);
	header_summary_refs(t, hdr.data, hdr.len);
	mid = header_summary_find(hdr.data, hdr.len, "Precedence", value,
				  sizeof(value));
	if (mid && *mid)
		t->precedence = pool_strdup(t->pool, mid);
	buf_release(&hdr);
	return 0;
}
