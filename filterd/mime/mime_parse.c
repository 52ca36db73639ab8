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
	switch (code) {
	case GMIME_CRIT_CONFLICTING_HEADER:
	case GMIME_CRIT_CONFLICTING_PARAMETER:
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
	case GMIME_CRIT_NESTING_OVERFLOW:
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
		/* Parsers could disagree on what is in it (amavis: CC_UNCHECKED,3). */
		if (w->m->unchecked == NULL)
			w->m->unchecked = pool_printf(
				w->t->pool,
				"ambiguous MIME (%s at offset %lld)",
				item ? item : "?", (long long)offset);
		break;
	default:
		break;
	}
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

/* mime_parse - the MIME tree of the spooled message */
int
mime_parse(struct txn *t)
{
	struct mime_summary *m = &t->mime;
	struct mime_walk *w = pool_alloc(t->pool, sizeof(*w));
	GMimeParserOptions *opts;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	int fd = spool_fd(t->spool);

	/* Everyone else reads the spool with pread: the offset is GMime's. */
	if (lseek(fd, 0, SEEK_SET) < 0) {
		txn_set_error(t, TXN_ERR_PARSE, "spool: %s", strerror(errno));
		return -1;
	}
	*w = (struct mime_walk){t, m, &m->parts, {0}, 0};
	w->views = t->size <= t->conf->spam_max_size;
	buf_init(&w->text, 4096);
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
		mime_summary_fields(t, msg);
		if (w->views)
			mime_headers(w, msg);
		if (g_mime_message_get_mime_part(msg))
			mime_walk_object(w, g_mime_message_get_mime_part(msg),
					 0);
	}
	if (w->views) {
		m->text = pool_memdup(t->pool, w->text.data, w->text.len);
		m->text_len = w->text.len;
	}
	buf_release(&w->text);
	g_object_unref(parser);
	g_object_unref(stream);
	return 0;
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

/* mime_part_content - one part decoded into an unlinked temp file */
int
mime_part_content(struct txn *t, const struct mime_part *p, long max,
		  long *size)
{
	GMimeDataWrapper *content;
	GMimeStream *out;
	char path[4096];
	gint64 n;
	int fd;

	*size = 0;
	if (!GMIME_IS_PART(p->object) ||
	    (content = g_mime_part_get_content(GMIME_PART(p->object))) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/%s.partXXXXXX", t->conf->tmp_dir,
		 t->id);
	if ((fd = mkstemp(path)) < 0)
		return -1;
	(void)unlink(path);
	out = g_mime_stream_fs_new(dup(fd));
	/* Bounded: a decompression or decoding bomb stops at max bytes. */
	g_mime_stream_set_bounds(out, 0, max);
	n = g_mime_data_wrapper_write_to_stream(content, out);
	g_mime_stream_flush(out);
	g_object_unref(out);
	if (n < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	*size = (long)n;
	return fd;
}

/* mime_part_head - the first decoded bytes of a part, decoding no more */
size_t
mime_part_head(const struct mime_part *p, char *buf, size_t size)
{
	GMimeDataWrapper *content;
	GMimeStream *raw, *decoded;
	GMimeFilter *filter;
	size_t got = 0;

	if (!GMIME_IS_PART(p->object) ||
	    (content = g_mime_part_get_content(GMIME_PART(p->object))) ==
		    NULL ||
	    (raw = g_mime_data_wrapper_get_stream(content)) == NULL)
		return 0;
	g_mime_stream_reset(raw);
	decoded = g_mime_stream_filter_new(raw);
	filter = g_mime_filter_basic_new(
		g_mime_data_wrapper_get_encoding(content), FALSE);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(decoded), filter);
	g_object_unref(filter);
	while (got < size) {
		gssize n = g_mime_stream_read(decoded, buf + got, size - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	g_object_unref(decoded);
	return got;
}

/* mime_part_span - where unencoded part content lies in the spool */
int
mime_part_span(const struct mime_part *p, off_t size, off_t *start, off_t *end)
{
	GMimeDataWrapper *content;
	GMimeStream *raw;

	if (!GMIME_IS_PART(p->object) ||
	    (content = g_mime_part_get_content(GMIME_PART(p->object))) ==
		    NULL ||
	    (raw = g_mime_data_wrapper_get_stream(content)) == NULL)
		return -1;
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
