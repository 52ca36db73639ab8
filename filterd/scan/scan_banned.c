/*++
/* NAME
/*	scan_banned 3
/* SUMMARY
/*	banned file names and types, inside archives too
/*--*/

#include <archive.h>
#include <archive_entry.h>
#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks.h"
#include "mime/mime_parse.h"
#include "scan_banned.h"
#include "txn/txn.h"
#include "util/msg.h"
#include "util/re.h"

struct banned {
	struct txn *t;
	const struct checks *ck;
	struct re_ctx *rc;
	long decoded;	  /* bytes decoded so far */
	int members;	  /* archive members seen */
	const char *desc; /* the verdict's description */
	enum scan_verdict verdict;
};

/* banned_any - does any pattern of a list match s? */
static int
banned_any(struct banned *b, const struct conf_relist *l, const char *s)
{
	for (size_t i = 0; s && i < l->n; i++)
		if (re_match(l->v[i], b->rc, s, strlen(s)) == 1)
			return 1;
	return 0;
}

/* banned_name - is a file name banned? */
static int
banned_name(struct banned *b, const char *name)
{
	const struct conf_bank_values *v = &b->t->bank.v;

	if (name == NULL)
		return 0;
	return banned_any(b, &v->banned_filename, name) ||
	       (v->banned_double_extension &&
		re_match(b->ck->double_ext, b->rc, name, strlen(name)) == 1);
}

#define BANNED_HEAD 4096 /* bytes libmagic looks at */

/* banned_detected - the MIME type libmagic sees in some content */
static const char *
banned_detected(struct banned *b, const char *head, size_t len)
{
	const char *type = len ? magic_buffer(b->ck->magic, head, len) : NULL;

	return type ? pool_strdup(b->t->pool, type) : NULL;
}

/* banned_type - is a declared or detected type banned? */
static int
banned_type(struct banned *b, const char *declared, const char *detected)
{
	const struct conf_relist *l = &b->t->bank.v.banned_type;

	return banned_any(b, l, declared) || banned_any(b, l, detected);
}

/* banned_limit - note an UNCHECKED reason (the first one wins) */
static void
banned_limit(struct banned *b, const char *why)
{
	if (b->verdict == SCAN_CLEAN) {
		b->verdict = SCAN_UNCHECKED;
		b->desc = pool_strdup(b->t->pool, why);
	}
}

static void banned_archive(struct banned *b, int fd, const char *path,
			   int depth);

/* banned_temp - an unlinked temp file for decoded content */
static int
banned_temp(struct banned *b)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s.arXXXXXX", b->t->conf->tmp_dir,
		 b->t->id);
	if ((fd = mkstemp(path)) >= 0)
		(void)unlink(path);
	return fd;
}

/* banned_nested - an archive inside an archive: extract, then look in */
static void
banned_nested(struct banned *b, struct archive *a, const char *path, int depth)
{
	const struct conf *c = b->t->conf;
	char chunk[65536];
	la_ssize_t n;
	int fd;

	if (depth + 1 > c->max_archive_depth) {
		banned_limit(b, "archives nested deeper than "
				"max_archive_depth");
		return;
	}
	if ((fd = banned_temp(b)) < 0) {
		banned_limit(b, "cannot make a temporary file");
		return;
	}
	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		b->decoded += n;
		if (b->decoded > c->max_decoded_size) {
			banned_limit(b, "decoded content exceeds "
					"max_decoded_size");
			close(fd);
			return;
		}
		if (write(fd, chunk, (size_t)n) != n) {
			banned_limit(b, "cannot write a temporary file");
			close(fd);
			return;
		}
	}
	if (lseek(fd, 0, SEEK_SET) == 0)
		banned_archive(b, fd, path, depth + 1);
	close(fd);
}

/* banned_archive - check the member names of an archive on fd */
static void
banned_archive(struct banned *b, int fd, const char *path, int depth)
{
	const struct conf *c = b->t->conf;
	struct archive *a = archive_read_new();
	struct archive_entry *e;

	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		/* Not an archive after all: the virus scan still saw it. */
		archive_read_free(a);
		return;
	}
	while (b->verdict == SCAN_CLEAN &&
	       archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname_utf8(e);

		if (name == NULL)
			name = archive_entry_pathname(e);
		/* A member that declares more than we would ever decode is a
		 * bomb, or at least cannot be checked: say so before reading. */
		if (archive_entry_size_is_set(e) &&
		    archive_entry_size(e) > c->max_decoded_size) {
			banned_limit(b, "archive member exceeds "
					"max_decoded_size");
			break;
		}
		if (++b->members > c->max_archive_files) {
			banned_limit(b, "archive members exceed "
					"max_archive_files");
			break;
		}
		if (banned_name(b, name)) {
			b->verdict = SCAN_INFECTED;
			b->desc = pool_printf(b->t->pool, "%s,%s", path, name);
			break;
		}
		if (name && mime_is_archive(NULL, name)) {
			banned_nested(
				b, a,
				pool_printf(b->t->pool, "%s,%s", path, name),
				depth);
		} else if (b->t->bank.v.banned_type.n) {
			/* What the member is, whatever its name says. */
			char head[BANNED_HEAD];
			la_ssize_t n = archive_read_data(a, head, sizeof(head));
			const char *type = banned_detected(
				b, head, n > 0 ? (size_t)n : 0);

			if (banned_type(b, NULL, type)) {
				b->verdict = SCAN_INFECTED;
				b->desc = pool_printf(b->t->pool, "%s,%s,%s",
						      path, type, name);
			}
		}
	}
	archive_read_free(a);
}

/* banned_part - one MIME part, and what is inside it */
static void
banned_part(struct banned *b, const struct mime_part *p)
{
	const struct conf *c = b->t->conf;
	const char *label = p->name ? p->name : "(no name)";
	char head[BANNED_HEAD];
	/* Detection costs: only when a banned_type rule can use it. */
	const char *detected =
		b->t->bank.v.banned_type.n
			? banned_detected(b, head,
					  mime_part_head(p, head, sizeof(head)))
			: NULL;
	long size;
	int fd;

	if (banned_name(b, p->name) || banned_type(b, p->type, detected)) {
		b->verdict = SCAN_INFECTED;
		b->desc = detected && strcmp(detected, p->type) != 0
				  ? pool_printf(b->t->pool, "%s,%s,%s", p->type,
						detected, label)
				  : pool_printf(b->t->pool, "%s,%s", p->type,
						label);
		return;
	}
	if (!p->is_archive)
		return;
	if (c->max_archive_depth < 1) {
		banned_limit(b, "archives not opened (max_archive_depth 0)");
		return;
	}
	fd = mime_part_content(b->t, p, c->max_decoded_size - b->decoded,
			       &size);
	if (fd < 0) {
		banned_limit(b, "cannot decode an archive part");
		return;
	}
	b->decoded += size;
	banned_archive(b, fd, pool_printf(b->t->pool, "%s,%s", p->type, label),
		       1);
	close(fd);
}

/* scan_banned - the verdict on a message's parts */
enum scan_verdict
scan_banned(struct txn *t, const struct checks *ck, struct re_ctx *rc,
	    const char **desc)
{
	struct banned b = {t, ck, rc, 0, 0, NULL, SCAN_CLEAN};

	for (const struct mime_part *p = t->mime.parts;
	     p && b.verdict == SCAN_CLEAN; p = p->next)
		banned_part(&b, p);
	*desc = b.desc;
	return b.verdict;
}
