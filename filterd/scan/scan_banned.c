/*++
/* NAME
/*	scan_banned 3
/* SUMMARY
/*	banned file names and types, inside archives too
/* DESCRIPTION
/*	See scan_banned.h. Telling archives by content costs a few
/*	comparisons per part and member (scan_sniff's table of what
/*	libarchive can open); libmagic runs only when a banned_type rule
/*	can use its answer. The head of each member is read for its type
/*	and for archives within, which are extracted to a temporary file
/*	(txn_temp_file) and walked in turn.
/*
/*	filterd never calls setlocale(3): in the C locale libarchive cannot
/*	convert UTF-8 member names and warns. The walk runs in a C.UTF-8
/*	locale of its thread only (uselocale(3); the locale object is made
/*	once, in checks_create), so UTF-8 names are read as they are and
/*	that warning does not occur; other names come as their bytes.
/*--*/

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks.h"
#include "mime/mime_embedded.h"
#include "mime/mime_parse.h"
#include "mime/mime_tnef.h"
#include "scan_banned.h"
#include "scan_gzname.h"
#include "scan_sniff.h"
#include "scan_type.h"
#include "scan_zipdir.h"
#include "txn/txn.h"
#include "util/msg.h"
#include "util/re.h"
#include "util/safe.h"
#include "util/xalloc.h"

/* Why something was not checked: our text, never the message's. */
#define BANNED_ENCRYPTED "encrypted archive"
#define BANNED_BROKEN "archive that cannot be walked"
#define BANNED_UNOPENED "archive that cannot be opened"
#define BANNED_RULE "banned rule could not finish"

struct banned {
	struct txn *t;
	struct mime_summary *m;
	const struct checks *ck;
	struct re_ctx *rc;
	int mime_depth;	  /* of the MIME part being walked */
	int base_depth;	  /* archive depth of a message in an archive */
	long decoded;	  /* bytes decoded so far */
	int members;	  /* archive members seen */
	const char *desc; /* the verdict's description */
	enum scan_verdict verdict;
	char head[SCAN_SNIFF_MAX]; /* the head of the part or member at hand */
};

/* banned_unchecked - note an UNCHECKED reason (the first one wins) */
static void
banned_unchecked(struct banned *b, const char *why)
{
	if (b->verdict == SCAN_CLEAN) {
		b->verdict = SCAN_UNCHECKED;
		b->desc = why;
	}
}

/*
 * banned_match - does pattern re match s? A match PCRE2 gives up on
 * (its match or JIT stack limit) cannot tell: the message is UNCHECKED,
 * never CLEAN because of it, and the other patterns are still tried.
 */
static int
banned_match(struct banned *b, const struct re *re, const char *s)
{
	switch (re_match(re, b->rc, s, strlen(s))) {
	case 1:
		return 1;
	case 0:
		return 0;
	default:
		banned_unchecked(b, BANNED_RULE);
		return 0;
	}
}

/* banned_any - does any pattern of a list match s? */
static int
banned_any(struct banned *b, const struct conf_relist *l, const char *s)
{
	for (size_t i = 0; s && i < l->n; i++)
		if (banned_match(b, l->v[i], s))
			return 1;
	return 0;
}

/* banned_one_name - is a file name banned, as it is written? */
static int
banned_one_name(struct banned *b, const char *name)
{
	const struct conf_bank_values *v = &b->t->bank.v;

	return banned_any(b, &v->banned_filename, name) ||
	       (v->banned_double_extension &&
		banned_match(b, b->ck->double_ext, name));
}

/*
 * banned_name - is a file name banned? As it is written, and as
 * Windows saves it: without trailing dots and blanks ("evil.exe. " is
 * saved as evil.exe), when that differs.
 */
static int
banned_name(struct banned *b, const char *name)
{
	size_t len;

	if (name == NULL)
		return 0;
	if (banned_one_name(b, name))
		return 1;
	for (len = strlen(name);
	     len > 0 && (name[len - 1] == '.' || name[len - 1] == ' '); len--)
		;
	return name[len] != '\0' && len > 0 &&
	       banned_one_name(b, pool_strndup(b->t->pool, name, len));
}

/*
 * banned_utf8 - a member's name, in whatever charset, as UTF-8 to match
 * (util/safe.h: bytes that are not UTF-8 escaped), in the pool
 */
static const char *
banned_utf8(struct banned *b, const char *name, size_t len)
{
	char *out = pool_alloc(b->t->pool, 4 * len + 1);

	safe_name_text(out, 4 * len + 1, name, len);
	return out;
}

/* banned_detected - the MIME type libmagic sees in some content */
static const char *
banned_detected(struct banned *b, const char *head, size_t len)
{
	struct magic_set *ms = b->t->cctx && b->t->cctx->magic
				       ? b->t->cctx->magic
				       : b->ck->magic;
	const char *type = len ? magic_buffer(ms, head, len) : NULL;

	return type ? pool_strdup(b->t->pool, type) : NULL;
}

/*
 * banned_type - what of a part or member a banned_type rule matches:
 * its declared type, the type detected in its head[0, len), or a short
 * type of that (scan_type: ".exe-ms"); NULL when none
 */
static const char *
banned_type(struct banned *b, const char *declared, const char *detected,
	    const char *head, size_t len)
{
	const struct conf_relist *l = &b->t->bank.v.banned_type;
	const char *shorts[SCAN_TYPE_MAX + 1];
	size_t n;

	if (banned_any(b, l, declared))
		return declared;
	if (banned_any(b, l, detected))
		return detected;
	/* The most specific first: a DLL is named ".dll", not ".exe". */
	n = scan_type_short(detected, head, len, shorts, SCAN_TYPE_MAX + 1);
	while (n-- > 0)
		if (banned_any(b, l, shorts[n]))
			return shorts[n];
	return NULL;
}

/* banned_going - nothing decided yet that ends the walk */
static int
banned_going(const struct banned *b)
{
	return b->verdict == SCAN_CLEAN || b->verdict == SCAN_UNCHECKED;
}

/* banned_error - the check failed: it decides nothing */
static void
banned_error(struct banned *b, const char *what)
{
	b->verdict = SCAN_ERROR;
	b->desc = pool_printf(b->t->pool, "%s: %s", what, strerror(errno));
}

/* banned_found - a banned item: the walk ends */
static void
banned_found(struct banned *b, const char *desc)
{
	b->verdict = SCAN_INFECTED;
	b->desc = desc;
}

/* banned_decoded - count decoded bytes; 0 when over max_decoded_size */
static int
banned_decoded(struct banned *b, long n)
{
	b->decoded += n;
	if (b->decoded > b->t->conf->max_decoded_size) {
		banned_unchecked(b, "decoded content exceeds max_decoded_size");
		return 0;
	}
	return 1;
}

static void banned_archive(struct banned *b, int fd, const char *path,
			   int depth, int sniffed);

/* banned_write - all of buf to fd; 0, or -1 with errno */
static int
banned_write(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * banned_extract - the member at hand into a temporary file, from its
 * head (got bytes, in b->head) on; counted: its size was counted as
 * decoded already. The descriptor, at offset 0, or -1 with the verdict
 * set (the caller closes it).
 */
static int
banned_extract(struct banned *b, struct archive *a, size_t got, int counted)
{
	char chunk[65536];
	la_ssize_t n;
	int fd;

	if ((fd = txn_temp_file(b->t, "ar")) < 0) {
		banned_error(b, "cannot make a temporary file");
		return -1;
	}
	if (banned_write(fd, b->head, got) < 0) {
		banned_error(b, "cannot write a temporary file");
		close(fd);
		return -1;
	}
	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		if (!counted && !banned_decoded(b, n)) {
			close(fd);
			return -1;
		}
		if (banned_write(fd, chunk, (size_t)n) < 0) {
			banned_error(b, "cannot write a temporary file");
			close(fd);
			return -1;
		}
	}
	if (n < 0) {
		/* The member cannot be read to its end: corrupt, truncated. */
		banned_unchecked(b, BANNED_BROKEN);
	} else if (lseek(fd, 0, SEEK_SET) < 0) {
		banned_error(b, "cannot read a temporary file");
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

/*
 * banned_nested - an archive inside an archive: its head (got bytes,
 * in b->head) and the rest of the member into a file, then look in;
 * counted: its size was counted as decoded already
 */
static void
banned_nested(struct banned *b, struct archive *a, size_t got, const char *path,
	      int depth, int sniffed, int counted)
{
	int fd;

	if (depth + 1 > b->t->conf->max_archive_depth) {
		banned_unchecked(b, "archives nested deeper than "
				    "max_archive_depth");
		return;
	}
	if ((fd = banned_extract(b, a, got, counted)) < 0)
		return;
	banned_archive(b, fd, path, depth + 1, sniffed);
	close(fd);
}

static void banned_part(struct banned *b, const struct mime_part *p);

/*
 * banned_mail - a mail message inside an archive (at depth): opened as
 * an attached message of the message (open: mime_attach_file, or
 * mime_embed_file for text holding uuencoded files; the same
 * bounds, one budget), its parts checked as the message's are, their
 * archives nested below this one
 */
static void
banned_mail(struct banned *b, struct archive *a, size_t got, int depth,
	    int counted,
	    int (*open)(struct mime_summary *, int, int, struct mime_part **,
			const char **))
{
	int mime_depth = b->mime_depth, base = b->base_depth;
	struct mime_part *parts;
	const char *why;
	int fd;

	if ((fd = banned_extract(b, a, got, counted)) < 0)
		return;
	switch (open(b->m, fd, b->mime_depth, &parts, &why)) {
	case 0:
		break;
	case 1:
		banned_unchecked(b, why);
		break;
	default:
		b->verdict = SCAN_ERROR;
		b->desc = why;
		close(fd);
		return;
	}
	close(fd);
	b->base_depth = depth;
	for (const struct mime_part *p = parts; p && banned_going(b);
	     p = p->next)
		banned_part(b, p);
	b->mime_depth = mime_depth;
	b->base_depth = base;
}

/*
 * banned_member_head - the first bytes of the member at hand into
 * b->head, read further for ISO 9660 when they are all zeros; how many,
 * or -1 when libarchive cannot read the member
 */
static la_ssize_t
banned_member_head(struct archive *a, char *head)
{
	size_t got = 0, want = SCAN_SNIFF_HEAD;

	for (;;) {
		la_ssize_t n = archive_read_data(a, head + got, want - got);

		if (n < 0)
			return -1;
		got += (size_t)n;
		if (n > 0 && got < want)
			continue;
		if (want == SCAN_SNIFF_HEAD && scan_sniff_more(head, got)) {
			want = SCAN_SNIFF_MAX;
			continue;
		}
		return (la_ssize_t)got;
	}
}

/*
 * banned_costly - does getting past a member decompress it? A stream
 * compressed as a whole (tar.gz) or a solid archive (7z, rar): skipping
 * costs as much as reading, so it counts as decoded, read or not.
 */
static int
banned_costly(struct archive *a)
{
	switch (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) {
	case ARCHIVE_FORMAT_7ZIP:
	case ARCHIVE_FORMAT_RAR:
	case ARCHIVE_FORMAT_RAR_V5:
		return 1;
	default:
		return archive_filter_count(a) > 1;
	}
}

/*
 * banned_member - one archive member, its name read (NULL: a compressed
 * file's one member, which has none); 0 ends the walk
 */
static int
banned_member(struct banned *b, struct archive *a, struct archive_entry *e,
	      const char *name, const char *path, int depth)
{
	const struct conf *c = b->t->conf;
	const char *label = name ? name : "(data)";
	const char *sniffed, *type, *key;
	int counted = 0;
	la_ssize_t got;

	/* A member that declares more than we would ever decode is a
	 * bomb, or at least cannot be checked: say so before reading. */
	if (archive_entry_size_is_set(e) &&
	    archive_entry_size(e) > c->max_decoded_size) {
		banned_unchecked(b, "archive member exceeds max_decoded_size");
		return 0;
	}
	if (++b->members > c->max_archive_files) {
		banned_unchecked(b, "archive members exceed max_archive_files");
		return 0;
	}
	if (banned_costly(a) && archive_entry_size_is_set(e)) {
		if (!banned_decoded(b, (long)archive_entry_size(e)))
			return 0;
		counted = 1;
	}
	if (banned_name(b, name)) {
		banned_found(b, pool_printf(b->t->pool, "%s,%s", path, label));
		return 0;
	}
	/* Its name is checked; its content cannot be read. */
	if (archive_entry_is_encrypted(e)) {
		banned_unchecked(b, BANNED_ENCRYPTED);
		return 1;
	}
	/* What the member is, whatever its name says. */
	if ((got = banned_member_head(a, b->head)) < 0) {
		banned_unchecked(b, archive_read_has_encrypted_entries(a) > 0
					    ? BANNED_ENCRYPTED
					    : BANNED_BROKEN);
		return 0;
	}
	if (!counted && !banned_decoded(b, got))
		return 0;
	if (b->t->bank.v.banned_type.n) {
		type = banned_detected(b, b->head, (size_t)got);
		key = banned_type(b, NULL, type, b->head, (size_t)got);
		if (key) {
			banned_found(b, pool_printf(b->t->pool, "%s,%s,%s",
						    path, key, label));
			return 0;
		}
	}
	sniffed = scan_sniff_archive(b->head, (size_t)got);
	if (sniffed || mime_is_archive(NULL, name))
		banned_nested(b, a, (size_t)got,
			      pool_printf(b->t->pool, "%s,%s", path, label),
			      depth, sniffed != NULL, counted);
	else if (mime_is_member_mail(name, b->head, (size_t)got))
		banned_mail(b, a, (size_t)got, depth, counted,
			    mime_attach_file);
	/* Text holding uuencoded (...) files: mime_embedded finds them. */
	else if (mime_embedded_head(b->head, (size_t)got))
		banned_mail(b, a, (size_t)got, depth, counted, mime_embed_file);
	else if (mime_tnef_head(b->head, (size_t)got))
		banned_mail(b, a, (size_t)got, depth, counted, mime_tnef_file);
	return banned_going(b);
}

/* State of the zip names pass over one archive. */
struct banned_zip {
	struct banned *b;
	const char *path;
};

/* banned_zip_name - one name a zip gives a member; 1 when banned */
static int
banned_zip_name(void *ctx, const char *name, size_t len,
		enum scan_zipdir_from from)
{
	struct banned_zip *z = ctx;
	const char *utf8 = banned_utf8(z->b, name, len);

	(void)from;
	if (!banned_name(z->b, utf8))
		return 0;
	banned_found(z->b, pool_printf(z->b->t->pool, "%s,%s", z->path, utf8));
	return 1;
}

/*
 * banned_zip - the names of a zip's members that libarchive does not
 * report: its central directory's, and Unicode Path fields (it reports
 * one name of each member); 0 ends the walk. strict: libarchive took
 * the file for a zip, so a directory that cannot be read is UNCHECKED;
 * else the file is something else (a tar) that may have a zip at its
 * end, which unzip and 7-Zip find by its end record: its names are
 * checked when there is one that leads to a directory, and nothing is
 * said when there is not (an end record may be chance bytes).
 */
static int
banned_zip(struct banned *b, int fd, const char *path, int strict)
{
	struct banned_zip z = {b, path};
	long left = b->t->conf->max_archive_files - b->members;
	struct stat st;

	if (fstat(fd, &st) < 0) {
		banned_error(b, "cannot read a temporary file");
		return 0;
	}
	switch (scan_zipdir_names(fd, st.st_size, left, banned_zip_name, &z)) {
	case SCAN_ZIPDIR_OK:
		return 1;
	case SCAN_ZIPDIR_STOP:
		return 0;
	case SCAN_ZIPDIR_MANY:
		banned_unchecked(b, "archive members exceed max_archive_files");
		return 0;
	case SCAN_ZIPDIR_BAD:
		if (!strict)
			return 1;
		/* The names a program would list cannot be read. */
		banned_unchecked(b, BANNED_BROKEN);
		return 0;
	default:
		banned_error(b, "cannot read a temporary file");
		return 0;
	}
}

/* banned_is_zip - is the archive a zip, as it is stored? */
static int
banned_is_zip(struct archive *a)
{
	return (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) ==
		       ARCHIVE_FORMAT_ZIP &&
	       archive_filter_count(a) < 2;
}

/* banned_why - why a walk stopped: encryption, or otherwise */
static const char *
banned_why(struct archive *a, const char *otherwise)
{
	return archive_read_has_encrypted_entries(a) > 0 ? BANNED_ENCRYPTED
							 : otherwise;
}

/*
 * banned_filters - the decompression filters libarchive runs in this
 * process. archive_read_support_filter_all() also enables those it
 * runs as another program, fed the stream (lrzip and grzip always,
 * lzop, lz4, zstd, xz... when libarchive was built without their
 * library: Debian's has no liblzo2, so /usr/bin/lzop ran on message
 * content). Each filter is tried on a scratch handle first; one that
 * says ARCHIVE_WARN ("Using external ... program") is left out, and
 * its streams stay unopened (UNCHECKED) as any unreadable archive's.
 */
static void
banned_filters(struct archive *a)
{
	static int (*const support[])(struct archive *) = {
		archive_read_support_filter_bzip2,
		archive_read_support_filter_compress,
		archive_read_support_filter_grzip,
		archive_read_support_filter_gzip,
		archive_read_support_filter_lrzip,
		archive_read_support_filter_lz4,
		archive_read_support_filter_lzip,
		archive_read_support_filter_lzma,
		archive_read_support_filter_lzop,
		archive_read_support_filter_rpm,
		archive_read_support_filter_uu,
		archive_read_support_filter_xz,
		archive_read_support_filter_zstd,
	};

	for (size_t i = 0; i < sizeof(support) / sizeof(*support); i++) {
		struct archive *probe = archive_read_new();
		int r = support[i](probe);

		archive_read_free(probe);
		if (r == ARCHIVE_OK)
			(void)support[i](a);
	}
}

/*
 * banned_unwrap - a zip compressed as a whole (a zip.gz): libarchive
 * reads it as a stream, by its local headers only. Decompressed into a
 * file, it is read as any zip is, by its directory too.
 */
static void
banned_unwrap(struct banned *b, int fd, const char *path, int depth)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int out = -1;

	banned_filters(a);
	archive_read_support_format_raw(a);
	if (lseek(fd, 0, SEEK_SET) < 0) {
		banned_error(b, "cannot read a temporary file");
		goto done;
	}
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		banned_unchecked(b, BANNED_BROKEN);
		goto done;
	}
	if ((out = banned_extract(b, a, 0, 0)) >= 0) {
		archive_read_free(a);
		a = NULL;
		/* A zip as stored now: no recursion past this one. */
		banned_archive(b, out, path, depth, 1);
	}
done:
	if (a)
		archive_read_free(a);
	if (out >= 0)
		close(out);
}

/*
 * banned_gzname - a gzip on fd names the file it holds in its header
 * (gzip -N, 7-Zip and WinRAR extract to that name): is it banned? 0
 * ends the walk. A name longer than can be read is UNCHECKED; a header
 * cut short names nothing (no program extracts the file either).
 */
static int
banned_gzname(struct banned *b, int fd, const char *path)
{
	unsigned char magic[2], *head;
	const char *name, *utf8;
	size_t len;
	ssize_t got;
	int go = 1;

	if (pread(fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
	    magic[0] != 0x1f || magic[1] != 0x8b)
		return 1;
	head = xmalloc(SCAN_GZNAME_HEAD);
	if ((got = pread(fd, head, SCAN_GZNAME_HEAD, 0)) < 0) {
		banned_error(b, "cannot read a temporary file");
		go = 0;
	} else {
		switch (scan_gzname(head, (size_t)got, &name, &len)) {
		case SCAN_GZNAME_FOUND:
			utf8 = banned_utf8(b, name, len);
			if (banned_name(b, utf8)) {
				banned_found(b, pool_printf(b->t->pool, "%s,%s",
							    path, utf8));
				go = 0;
			}
			break;
		case SCAN_GZNAME_SHORT:
			if (got == SCAN_GZNAME_HEAD)
				banned_unchecked(b, "gzip file name too long");
			break;
		default:
			break;
		}
	}
	free(head);
	return go;
}

/*
 * banned_archive - check the members of an archive on fd. sniffed: its
 * content says it is an archive, so one that does not open is UNCHECKED
 * (a declared type or name alone may be wrong).
 */
static void
banned_archive(struct banned *b, int fd, const char *path, int depth,
	       int sniffed)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	locale_t was = (locale_t)0;
	int zipped = 0; /* the zip names pass is done */
	int unwrap = 0; /* a compressed zip, to read decompressed */

	if (b->ck->utf8)
		was = uselocale(b->ck->utf8);
	/* A gzip's own name for what it holds, whatever it is. */
	if (!banned_gzname(b, fd, path))
		goto done;
	banned_filters(a);
	archive_read_support_format_all(a);
	/* A compressed file that holds no archive: one member, "data". */
	archive_read_support_format_raw(a);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK ||
	    (archive_format(a) == ARCHIVE_FORMAT_RAW &&
	     archive_filter_count(a) < 2)) {
		/* Not an archive after all: the virus scan still saw it. */
		if (sniffed)
			banned_unchecked(b, banned_why(a, BANNED_UNOPENED));
		/* Still, it may end in a zip, found by its end record. */
		if (banned_going(b))
			banned_zip(b, fd, path, 0);
		goto done;
	}
	while (banned_going(b)) {
		int r = archive_read_next_header(a, &e);
		const char *name;

		if (r == ARCHIVE_EOF)
			break;
		/*
		 * A warning leaves a member to read: a name that is not in
		 * the charset the archive says, say. Corrupt, truncated,
		 * encrypted headers, a header skipped: the walk stops.
		 */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			banned_unchecked(b, banned_why(a, BANNED_BROKEN));
			break;
		}
		if (!zipped && banned_is_zip(a)) {
			zipped = 1;
			if (!banned_zip(b, fd, path, 1))
				break;
		}
		if ((archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) ==
			    ARCHIVE_FORMAT_ZIP &&
		    archive_filter_count(a) > 1) {
			unwrap = 1;
			break;
		}
		if (archive_format(a) == ARCHIVE_FORMAT_RAW) {
			name = NULL; /* "data": no name of its own */
		} else if ((name = archive_entry_pathname_utf8(e)) == NULL &&
			   (name = archive_entry_pathname(e)) == NULL) {
			banned_unchecked(b, "archive member without a name");
			continue;
		} else {
			name = banned_utf8(b, name, strlen(name));
		}
		if (!banned_member(b, a, e, name, path, depth))
			break;
	}
	/*
	 * An empty zip by its directory: what does it list? Any other
	 * archive (a tar) may have a zip after its end, which unzip and
	 * 7-Zip read by the zip's end record: its names are checked too.
	 */
	if (!zipped && banned_going(b))
		banned_zip(b, fd, path, banned_is_zip(a));
done:
	archive_read_free(a);
	if (b->ck->utf8)
		uselocale(was);
	if (unwrap)
		banned_unwrap(b, fd, path, depth);
}

/*
 * banned_tail - a part that is no archive by its head, type or name may
 * still end in a zip (a zip appended to an image), which unzip and
 * 7-Zip find by its end record: the zip names reader over its decoded
 * content, which finds nothing without an end record and says nothing
 * when one leads nowhere (banned_zip). Text is not saved as an archive.
 * Only a part whose tail holds an end record is written out, counted
 * against max_decoded_size as an archive is (past it: UNCHECKED).
 */
static void
banned_tail(struct banned *b, const struct mime_part *p, const char *label)
{
	long max, size;
	char *tail;
	ssize_t got;
	int fd;

	if (strncmp(p->type, "text/", 5) == 0)
		return;
	/* Most parts end in no end record: look before writing any. */
	tail = xmalloc(SCAN_ZIPDIR_TAIL);
	got = mime_part_tail(p, tail, SCAN_ZIPDIR_TAIL);
	got = got < 0 ? -1 : scan_zipdir_may_end(tail, (size_t)got);
	free(tail);
	if (got == 0)
		return;
	/* What is decoded counts, as an archive's does (one budget). */
	max = b->t->conf->max_decoded_size - b->decoded;
	if ((fd = mime_part_content(b->t, p, max < LONG_MAX ? max + 1 : max,
				    &size)) < 0) {
		banned_error(b, "cannot decode a MIME part");
		return;
	}
	if (banned_decoded(b, size))
		banned_zip(b, fd,
			   pool_printf(b->t->pool, "%s,%s", p->type, label), 0);
	close(fd);
}

/* banned_part - one MIME part, and what is inside it */
static void
banned_part(struct banned *b, const struct mime_part *p)
{
	const struct conf *c = b->t->conf;
	const char *label = p->name ? p->name : "(no name)";
	const char *detected = NULL, *sniffed, *hit = NULL, *key = NULL;
	size_t got;
	long max, size;
	int fd;

	b->mime_depth = p->depth;
	/* Containers have names and types; leaves have content too. */
	got = p->is_leaf ? mime_part_head(p, b->head, SCAN_SNIFF_HEAD) : 0;
	if (scan_sniff_more(b->head, got))
		got = mime_part_head(p, b->head, SCAN_SNIFF_MAX);
	/* Detection costs: only when a banned_type rule can use it. */
	if (b->t->bank.v.banned_type.n)
		detected = banned_detected(b, b->head, got);
	/* Every name it declares: mail programs show and save by either. */
	for (size_t i = 0; i < p->n_names && hit == NULL; i++)
		if (banned_name(b, p->names[i]))
			hit = p->names[i];
	if (hit == NULL)
		key = banned_type(b, p->type, detected, b->head, got);
	if (hit || key) {
		/* What matched, or what was detected, beside the name. */
		const char *shown = key && key != p->type ? key : detected;

		hit = hit ? hit : label;
		banned_found(b, shown && strcmp(shown, p->type) != 0
					? pool_printf(b->t->pool, "%s,%s,%s",
						      p->type, shown, hit)
					: pool_printf(b->t->pool, "%s,%s",
						      p->type, hit));
		return;
	}
	sniffed = scan_sniff_archive(b->head, got);
	if (!p->is_leaf || got == 0)
		return;
	if (!sniffed && !p->is_archive) {
		banned_tail(b, p, label);
		return;
	}
	if (b->base_depth + 1 > c->max_archive_depth) {
		banned_unchecked(b, c->max_archive_depth < 1
					    ? "archives not opened "
					      "(max_archive_depth 0)"
					    : "archives nested deeper than "
					      "max_archive_depth");
		return;
	}
	/* One byte over what is left tells that the part is over it. */
	max = c->max_decoded_size - b->decoded;
	fd = mime_part_content(b->t, p, max < LONG_MAX ? max + 1 : max, &size);
	if (fd < 0) {
		banned_error(b, "cannot decode a MIME part");
		return;
	}
	if (banned_decoded(b, size))
		banned_archive(b, fd,
			       pool_printf(b->t->pool, "%s,%s", p->type, label),
			       b->base_depth + 1, sniffed != NULL);
	close(fd);
}

/* scan_banned - the verdict on a message's parts */
enum scan_verdict
scan_banned(struct txn *t, struct mime_summary *m, const struct checks *ck,
	    struct re_ctx *rc, const char **desc)
{
	struct banned *b = pool_alloc(t->pool, sizeof(*b));

	b->t = t;
	b->m = m;
	b->mime_depth = 0;
	b->base_depth = 0;
	b->ck = ck;
	b->rc = rc;
	b->decoded = 0;
	b->members = 0;
	b->desc = NULL;
	b->verdict = SCAN_CLEAN;
	for (const struct mime_part *p = m->parts; p && banned_going(b);
	     p = p->next)
		banned_part(b, p);
	if (b->verdict == SCAN_UNCHECKED &&
	    strcmp(b->desc, BANNED_ENCRYPTED) == 0)
		msg_info("%s: UNCHECKED-ENCRYPTED, %s", t->id, b->desc);
	*desc = b->desc;
	return b->verdict;
}
