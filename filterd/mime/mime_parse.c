/*++
/* NAME
/*	mime_parse 3
/* SUMMARY
/*	the MIME tree of a spooled message (GMime)
/*--*/

#include <errno.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mime_bounds.h"
#include "mime_parse.h"
#include "spool/spool.h"
#include "txn/txn.h"
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

/* mime_is_archive - by declared type (may be NULL) or file name */
int
mime_is_archive(const char *type, const char *name)
{
	for (size_t i = 0; type && i < G_N_ELEMENTS(mime_archive_types); i++)
		if (strcmp(type, mime_archive_types[i]) == 0)
			return 1;
	for (size_t i = 0; name && i < G_N_ELEMENTS(mime_archive_exts); i++) {
		size_t nl = strlen(name), el = strlen(mime_archive_exts[i]);

		if (nl > el &&
		    strcasecmp(name + nl - el, mime_archive_exts[i]) == 0)
			return 1;
	}
	return 0;
}

/* mime_warning - GMime says the message is odd */
static void
mime_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
	     gpointer data)
{
	struct mime_walk *w = data;

	w->m->malformed = 1;
	/* Two different Subject: fields make a bad header, not ambiguous
	 * MIME: only the fields that shape the MIME structure count. */
	if (code == GMIME_CRIT_CONFLICTING_HEADER &&
	    (item == NULL || (g_ascii_strncasecmp(item, "Content-", 8) != 0 &&
			      g_ascii_strcasecmp(item, "MIME-Version") != 0)))
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
	for (size_t i = 0; i < G_N_ELEMENTS(mime_ambiguities); i++)
		if (code == mime_ambiguities[i].code && w->m->ambiguous == NULL)
			w->m->ambiguous = pool_printf(
				w->t->pool,
				"ambiguous MIME (%s at offset %lld)",
				mime_ambiguities[i].what, (long long)offset);
}

/* mime_text - decoded, UTF-8 content of a text part, into the view */
static void
mime_text(struct mime_walk *w, GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeContentType *ct;
	const char *charset;
	GMimeStream *mem, *filtered;
	GByteArray *bytes;

	if (content == NULL)
		return;
	ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	charset = g_mime_content_type_get_parameter(ct, "charset");
	mem = g_mime_stream_mem_new();
	filtered = g_mime_stream_filter_new(mem);
	if (charset && g_ascii_strcasecmp(charset, "utf-8") != 0) {
		GMimeFilter *f = g_mime_filter_charset_new(charset, "UTF-8");

		if (f) {
			g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered),
						 f);
			g_object_unref(f);
		}
	}
	g_mime_data_wrapper_write_to_stream(content, filtered);
	g_mime_stream_flush(filtered);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	buf_append(&w->text, bytes->data, bytes->len);
	buf_puts(&w->text, "\n");
	g_object_unref(filtered);
	g_object_unref(mem);
}

/* mime_walk_object - one object of the tree, depth-first */
static void
mime_walk_object(struct mime_walk *w, GMimeObject *obj, int depth)
{
	const struct conf *c = w->t->conf;
	struct mime_part *p;
	char *type;

	if (w->m->unchecked)
		return;
	if (depth > c->max_mime_depth) {
		w->m->unchecked = pool_printf(w->t->pool,
					      "MIME nesting deeper than %d",
					      c->max_mime_depth);
		return;
	}
	if ((int)w->m->n_parts >= c->max_mime_parts) {
		w->m->unchecked = pool_printf(w->t->pool,
					      "more than %d MIME parts",
					      c->max_mime_parts);
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
	*w->tail = p;
	w->tail = &p->next;
	w->m->n_parts++;

	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(
			GMIME_MESSAGE_PART(obj));

		if (inner && g_mime_message_get_mime_part(inner))
			mime_walk_object(w, g_mime_message_get_mime_part(inner),
					 depth + 1);
	} else if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);

		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			mime_walk_object(w, g_mime_multipart_get_part(mp, i),
					 depth + 1);
	} else if (GMIME_IS_PART(obj)) {
		const char *name = g_mime_part_get_filename(GMIME_PART(obj));

		p->is_leaf = 1;
		p->name = name ? pool_strdup(w->t->pool, name) : NULL;
		p->is_text = strncmp(p->type, "text/", 5) == 0 &&
			     p->name == NULL;
		p->is_archive = mime_is_archive(p->type, p->name);
		if (w->views && p->is_text)
			mime_text(w, GMIME_PART(obj));
	}
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

	*w = (struct mime_walk){t, m, &m->parts, {0}, views};
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
		if (g_mime_message_get_mime_part(msg))
			mime_walk_object(w, g_mime_message_get_mime_part(msg),
					 0);
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
	if ((over = mime_bounds_spool(t)) != 0)
		return over < 0 ? -1 : 0;
	/* Everyone else reads the spool with pread: the offset is GMime's. */
	if (lseek(fd, 0, SEEK_SET) < 0) {
		txn_set_error(t, TXN_ERR_PARSE, "spool: %s", strerror(errno));
		return -1;
	}
	mime_read(t, fd, &t->mime, t->size <= t->conf->spam_max_size);
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
	char path[4096], chunk[65536];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s.readXXXXXX", t->conf->tmp_dir,
		 t->id);
	if ((fd = mkstemp(path)) < 0)
		return -1;
	(void)unlink(path);
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
			struct mime_summary m = {0};
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
	if (m->message)
		g_object_unref(m->message);
	m->message = NULL;
	if (m->options)
		g_mime_parser_options_free(m->options);
	m->options = NULL;
}

/* mime_part_decoded - a stream of a part's decoded content, or NULL */
static GMimeStream *
mime_part_decoded(const struct mime_part *p)
{
	GMimeDataWrapper *content;
	GMimeStream *raw, *decoded;
	GMimeFilter *filter;

	if (!GMIME_IS_PART(p->object) ||
	    (content = g_mime_part_get_content(GMIME_PART(p->object))) ==
		    NULL ||
	    (raw = g_mime_data_wrapper_get_stream(content)) == NULL)
		return NULL;
	g_mime_stream_reset(raw);
	decoded = g_mime_stream_filter_new(raw);
	filter = g_mime_filter_basic_new(
		g_mime_data_wrapper_get_encoding(content), FALSE);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(decoded), filter);
	g_object_unref(filter);
	return decoded;
}

/*
 * mime_part_read - up to size decoded bytes into buf: how many, or -1
 * when the spool cannot be read. A bounded stream says -1 at its end
 * too: only a read that fails before the end is an error.
 */
static ssize_t
mime_part_read(GMimeStream *s, char *buf, size_t size)
{
	size_t got = 0;

	while (got < size && !g_mime_stream_eos(s)) {
		gssize n = g_mime_stream_read(s, buf + got, size - got);

		if (n < 0)
			return g_mime_stream_eos(s) ? (ssize_t)got : -1;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* mime_part_content - one part decoded into an unlinked temp file */
int
mime_part_content(struct txn *t, const struct mime_part *p, long max,
		  long *size)
{
	GMimeStream *in;
	char path[4096], chunk[65536];
	long left = max;
	int fd, err;

	*size = 0;
	if ((in = mime_part_decoded(p)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s.partXXXXXX", t->conf->tmp_dir,
		 t->id);
	if ((fd = mkstemp(path)) < 0) {
		err = errno;
		g_object_unref(in);
		errno = err;
		return -1;
	}
	(void)unlink(path);
	/* Bounded: a decoding bomb stops at max bytes. */
	while (left > 0) {
		size_t want = left < (long)sizeof(chunk) ? (size_t)left
							 : sizeof(chunk);
		ssize_t n = mime_part_read(in, chunk, want);

		if (n <= 0) {
			if (n < 0)
				goto fail;
			break;
		}
		for (ssize_t done = 0, w; done < n; done += w)
			if ((w = write(fd, chunk + done, (size_t)(n - done))) <
			    0)
				goto fail;
		left -= n;
		*size += n;
	}
	g_object_unref(in);
	if (lseek(fd, 0, SEEK_SET) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
fail:
	err = errno ? errno : EIO;
	g_object_unref(in);
	close(fd);
	*size = 0;
	errno = err;
	return -1;
}

/* mime_part_head - the first decoded bytes of a part, decoding no more */
size_t
mime_part_head(const struct mime_part *p, char *buf, size_t size)
{
	GMimeStream *in = mime_part_decoded(p);
	ssize_t got;

	if (in == NULL)
		return 0;
	got = mime_part_read(in, buf, size);
	g_object_unref(in);
	return got > 0 ? (size_t)got : 0;
}

/* mime_part_span - where unencoded part content lies in the spool */
int
mime_part_span(const struct mime_part *p, off_t size, off_t *start, off_t *end)
{
	GMimeDataWrapper *content;
	GMimeStream *raw;

	if (!GMIME_IS_PART(p->object))
		return -1;
	/* No content at all: nothing, stored as is. */
	if ((content = g_mime_part_get_content(GMIME_PART(p->object))) ==
		    NULL ||
	    (raw = g_mime_data_wrapper_get_stream(content)) == NULL) {
		*start = *end = 0;
		return 0;
	}
	switch (g_mime_data_wrapper_get_encoding(content)) {
	case GMIME_CONTENT_ENCODING_DEFAULT:
	case GMIME_CONTENT_ENCODING_7BIT:
	case GMIME_CONTENT_ENCODING_8BIT:
	case GMIME_CONTENT_ENCODING_BINARY:
		break;
	default:
		return -1;
	}
	/* A persisted part is a bounded window on the spool stream. */
	*start = raw->bound_start;
	*end = raw->bound_end < 0 ? size : raw->bound_end;
	return *start >= 0 && *start <= *end && *end <= size ? 0 : -1;
}
