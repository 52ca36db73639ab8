/*++
/* NAME
/*	scan_zipdir 3
/* SUMMARY
/*	every name a zip gives each of its members
/* DESCRIPTION
/*	See scan_zipdir.h. APPNOTE.TXT (PKWARE) sections 4.3.7 (local
/*	header), 4.3.12 (central directory entry), 4.3.14 to 4.3.16 (zip64
/*	and plain end records), 4.5.3 (zip64 extra field) and 4.6.9
/*	(Info-ZIP Unicode Path). Every number read from the file is checked
/*	against the bytes that are there before anything is read with it.
/*--*/

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan_zipdir.h"
#include "util/le.h"
#include "util/xalloc.h"

#define ZIP_EOCD_SIG 0x06054b50u
#define ZIP_EOCD_LEN 22
#define ZIP_EOCD_SEARCH SCAN_ZIPDIR_TAIL
#define ZIP_LOC64_SIG 0x07064b50u
#define ZIP_LOC64_LEN 20
#define ZIP_EOCD64_SIG 0x06064b50u
#define ZIP_EOCD64_LEN 56
#define ZIP_CENTRAL_SIG 0x02014b50u
#define ZIP_CENTRAL_LEN 46
#define ZIP_LOCAL_SIG 0x04034b50u
#define ZIP_LOCAL_LEN 30
#define ZIP_EXTRA_ZIP64 0x0001
#define ZIP_EXTRA_UPATH 0x7075
#define ZIP_FIELDS_MAX (2 * 65535) /* a name and an extra field */
#define ZIP_ENDS_MAX 4		   /* end records read, at most */

/* zip_read - len bytes at off, all of them; 0, -1 (errno), 1 short */
static int
zip_read(int fd, void *buf, size_t len, off_t off)
{
	char *b = buf;

	while (len > 0) {
		ssize_t n = pread(fd, b, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return 1;
		b += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/*
 * zip_upath - the Unicode Path field in extra[0, len), or NULL; a cut
 * short field list ends the search (no program reads past it)
 */
static const unsigned char *
zip_upath(const unsigned char *extra, size_t len, size_t *plen)
{
	for (size_t i = 0; i + 4 <= len;) {
		unsigned id = le16(extra + i), sz = le16(extra + i + 2);

		if (i + 4 + sz > len)
			return NULL;
		/* Version 1, the name's CRC-32, then the UTF-8 name. */
		if (id == ZIP_EXTRA_UPATH && sz >= 5 && extra[i + 4] == 1) {
			*plen = sz - 5;
			return extra + i + 9;
		}
		i += 4 + sz;
	}
	return NULL;
}

/*
 * zip_extra64 - the 8-byte value at skip in the zip64 extra field of
 * extra[0, len), or -1 when the field is missing or short
 */
static int64_t
zip_extra64(const unsigned char *extra, size_t len, size_t skip)
{
	for (size_t i = 0; i + 4 <= len;) {
		unsigned id = le16(extra + i), sz = le16(extra + i + 2);

		if (i + 4 + sz > len)
			return -1;
		if (id == ZIP_EXTRA_ZIP64)
			return skip + 8 > sz
				       ? -1
				       : (int64_t)(le64(extra + i + 4 + skip) &
						   INT64_MAX);
		i += 4 + sz;
	}
	return -1;
}

/*
 * zip_local_offset - where an entry's local header is: its own field,
 * or the zip64 extra field's value when that field says 0xffffffff;
 * -1 when the zip64 field is missing or short
 */
static int64_t
zip_local_offset(const unsigned char *h, const unsigned char *extra, size_t len)
{
	size_t skip = 0;

	if (le32(h + 42) != 0xffffffffu)
		return le32(h + 42);
	/* The zip64 field holds only what the entry says 0xffffffff for,
	 * in this order: uncompressed size, compressed size, offset. */
	if (le32(h + 24) == 0xffffffffu)
		skip += 8;
	if (le32(h + 20) == 0xffffffffu)
		skip += 8;
	return zip_extra64(extra, len, skip);
}

/* zip_csize - an entry's compressed size, as zip_local_offset finds it */
static int64_t
zip_csize(const unsigned char *h, const unsigned char *extra, size_t len)
{
	if (le32(h + 20) != 0xffffffffu)
		return le32(h + 20);
	return zip_extra64(extra, len, le32(h + 24) == 0xffffffffu ? 8 : 0);
}

/* The names of one entry, to tell those already given. */
struct zip_names {
	const unsigned char *name[4];
	size_t len[4];
	int n;
};

/* zip_give - a name not given yet for this entry to each(); its result */
static int
zip_give(struct zip_names *seen, const unsigned char *name, size_t len,
	 enum scan_zipdir_from from,
	 int (*each)(void *, const char *, size_t, enum scan_zipdir_from),
	 void *ctx)
{
	for (int i = 0; i < seen->n; i++)
		if (seen->len[i] == len &&
		    memcmp(seen->name[i], name, len) == 0)
			return 0;
	seen->name[seen->n] = name;
	seen->len[seen->n++] = len;
	return each(ctx, (const char *)name, len, from);
}

/*
 * zip_ends - where the end records to read are, into ends[]: those
 * whose comment ends where the file does (a comment may hold another
 * record: both are read), at most ZIP_ENDS_MAX; when none does, the last
 * one, as unzip takes it. How many, or a status (negated)
 */
static int
zip_ends(int fd, off_t size, unsigned char *buf, off_t *ends)
{
	size_t len = size < ZIP_EOCD_SEARCH ? (size_t)size : ZIP_EOCD_SEARCH;
	off_t from = size - (off_t)len, last = -1;
	int n = 0, r;

	if (len < ZIP_EOCD_LEN)
		return -SCAN_ZIPDIR_BAD;
	if ((r = zip_read(fd, buf, len, from)) != 0)
		return r < 0 ? -SCAN_ZIPDIR_IO : -SCAN_ZIPDIR_BAD;
	for (size_t i = len - ZIP_EOCD_LEN + 1; i > 0;) {
		/* The previous "P" (memrchr is fast), then the rest. */
		unsigned char *p = memrchr(buf, 'P', i);

		if (p == NULL)
			break;
		i = (size_t)(p - buf);
		if (le32(buf + i) != ZIP_EOCD_SIG)
			continue;
		if (last < 0)
			last = from + (off_t)i;
		if (i + ZIP_EOCD_LEN + le16(buf + i + 20) == len) {
			if (n == ZIP_ENDS_MAX)
				return -SCAN_ZIPDIR_BAD;
			ends[n++] = from + (off_t)i;
		}
	}
	if (n == 0 && last >= 0)
		ends[n++] = last;
	return n > 0 ? n : -SCAN_ZIPDIR_BAD;
}

/*
 * zip_end64 - the zip64 end record a locator points at, into z: where
 * it says, or (data before the zip moves it) right before the locator;
 * its offset, or a status (negated)
 */
static off_t
zip_end64(int fd, off_t size, off_t locator, uint64_t at,
	  unsigned char z[ZIP_EOCD64_LEN])
{
	off_t tries[2] = {(off_t)(at & INT64_MAX), locator - ZIP_EOCD64_LEN};

	for (int i = 0; i < 2; i++) {
		int r;

		if (tries[i] < 0 || tries[i] > size - ZIP_EOCD64_LEN)
			continue;
		if ((r = zip_read(fd, z, ZIP_EOCD64_LEN, tries[i])) != 0) {
			if (r < 0)
				return -SCAN_ZIPDIR_IO;
			continue;
		}
		if (le32(z) == ZIP_EOCD64_SIG)
			return tries[i];
	}
	return -SCAN_ZIPDIR_BAD;
}

/*
 * zip_directory - where the central directory of the end record at
 * eocd lies, [*start, *end), and how far offsets in it are moved (data
 * before the zip); 0, or a status
 */
static enum scan_zipdir_status
zip_directory(int fd, off_t size, off_t eocd, off_t *start, off_t *end,
	      int64_t *shift)
{
	unsigned char e[ZIP_LOC64_LEN + ZIP_EOCD_LEN], z[ZIP_EOCD64_LEN];
	unsigned char *rec = e + ZIP_LOC64_LEN;
	off_t dir_end = eocd, at64;
	uint64_t cd_size, cd_off;
	int r, loc64 = eocd >= ZIP_LOC64_LEN;

	memset(e, 0, sizeof(e));
	if ((r = zip_read(fd, loc64 ? e : rec, loc64 ? sizeof(e) : ZIP_EOCD_LEN,
			  loc64 ? eocd - ZIP_LOC64_LEN : eocd)) != 0)
		return r < 0 ? SCAN_ZIPDIR_IO : SCAN_ZIPDIR_BAD;
	cd_size = le32(rec + 12);
	cd_off = le32(rec + 16);
	if ((le16(rec + 10) == 0xffff || cd_size == 0xffffffffu ||
	     cd_off == 0xffffffffu) &&
	    loc64 && le32(e) == ZIP_LOC64_SIG) {
		at64 = zip_end64(fd, size, eocd - ZIP_LOC64_LEN, le64(e + 8),
				 z);
		if (at64 < 0)
			return (enum scan_zipdir_status) - at64;
		cd_size = le64(z + 40);
		cd_off = le64(z + 48);
		dir_end = at64;
	}
	if (cd_size > (uint64_t)dir_end)
		return SCAN_ZIPDIR_BAD;
	*start = dir_end - (off_t)cd_size;
	*end = dir_end;
	/* Data before the zip (a self-extractor) moves every offset. */
	if (cd_off > (uint64_t)*start)
		return SCAN_ZIPDIR_BAD;
	*shift = (int64_t)*start - (int64_t)cd_off;
	return SCAN_ZIPDIR_OK;
}

/* Where a listed entry lies: its local header and its data. */
struct zip_span {
	off_t start;
	off_t end;
};

/* What one walk of a directory needs. */
struct zip_walk {
	int fd;
	off_t size;
	long max_entries;
	int (*each)(void *, const char *, size_t, enum scan_zipdir_from);
	void *ctx;
	unsigned char *buf;	 /* an entry's name and extra field */
	unsigned char *loc;	 /* its local header's */
	struct zip_span *listed; /* where the listed entries are */
	size_t n_listed, max_listed;
};

/* zip_listed - note where a listed entry lies, [start, end) */
static void
zip_listed(struct zip_walk *z, off_t start, off_t end)
{
	if (z->n_listed == z->max_listed) {
		z->max_listed = z->max_listed ? 2 * z->max_listed : 64;
		z->listed = xrealloc(z->listed,
				     z->max_listed * sizeof(*z->listed));
	}
	z->listed[z->n_listed].start = start;
	z->listed[z->n_listed++].end = end;
}

/* zip_span_cmp - qsort order of spans: by where they start */
static int
zip_span_cmp(const void *a, const void *b)
{
	off_t x = ((const struct zip_span *)a)->start;
	off_t y = ((const struct zip_span *)b)->start;

	return x < y ? -1 : x > y;
}

/*
 * zip_data_end - where the data of the entry whose central directory
 * entry is h (its extra field extra[0, x)) and local header l (at
 * local, its data at data) ends, as a streaming extractor finds it:
 * by the local header's size, or for data described after it (flag
 * bit 3) by the directory's size when a data descriptor is there. When
 * neither can be trusted, data: its bytes are searched too.
 */
static off_t
zip_data_end(const struct zip_walk *z, const unsigned char *h,
	     const unsigned char *x, size_t xlen, const unsigned char *l,
	     off_t data)
{
	int64_t cd = zip_csize(h, x, xlen), loc = le32(l + 18);
	unsigned char dd[8];

	if (cd < 0 || data + cd > z->size)
		return data;
	if ((le16(l + 6) & 8) == 0)
		return loc == 0xffffffffu ? data : data + (cd < loc ? cd : loc);
	/* A descriptor, with or without its signature, then the CRC. */
	if (data + cd + 8 > z->size ||
	    zip_read(z->fd, dd, sizeof(dd), data + cd) != 0)
		return data;
	if ((le32(dd) == 0x08074b50u && le32(dd + 4) == le32(h + 16)) ||
	    le32(dd) == le32(h + 16))
		return data + cd;
	return data;
}

/* zip_entries - the names of each entry of [at, end); a status */
static enum scan_zipdir_status
zip_entries(struct zip_walk *z, off_t at, off_t end, int64_t shift)
{
	unsigned char *buf = z->buf, *loc = z->loc;
	long entries = 0;
	int r;

	while (at < end) {
		unsigned char h[ZIP_CENTRAL_LEN], l[ZIP_LOCAL_LEN];
		struct zip_names seen = {{0}, {0}, 0};
		const unsigned char *up;
		size_t n, x, c, ln, lx, upl;
		int64_t local;

		if (end - at < ZIP_CENTRAL_LEN)
			return SCAN_ZIPDIR_BAD;
		if ((r = zip_read(z->fd, h, sizeof(h), at)) != 0)
			goto short_read;
		if (le32(h) != ZIP_CENTRAL_SIG)
			return SCAN_ZIPDIR_BAD;
		n = le16(h + 28);
		x = le16(h + 30);
		c = le16(h + 32);
		if ((off_t)(ZIP_CENTRAL_LEN + n + x + c) > end - at)
			return SCAN_ZIPDIR_BAD;
		if (++entries > z->max_entries)
			return SCAN_ZIPDIR_MANY;
		if ((r = zip_read(z->fd, buf, n + x, at + ZIP_CENTRAL_LEN)) !=
		    0)
			goto short_read;
		at += (off_t)(ZIP_CENTRAL_LEN + n + x + c);
		/* Its local header, moved as the directory is. */
		if ((local = zip_local_offset(h, buf + n, x)) < 0 ||
		    local + shift < 0 ||
		    local + shift > (int64_t)z->size - ZIP_LOCAL_LEN)
			return SCAN_ZIPDIR_BAD;
		local += shift;
		if ((r = zip_read(z->fd, l, sizeof(l), (off_t)local)) != 0)
			goto short_read;
		if (le32(l) != ZIP_LOCAL_SIG)
			return SCAN_ZIPDIR_BAD;
		ln = le16(l + 26);
		lx = le16(l + 28);
		if (local + ZIP_LOCAL_LEN + (int64_t)(ln + lx) >
		    (int64_t)z->size)
			return SCAN_ZIPDIR_BAD;
		zip_listed(
			z, (off_t)local,
			zip_data_end(z, h, buf + n, x, l,
				     (off_t)(local + ZIP_LOCAL_LEN + ln + lx)));
		if ((r = zip_read(z->fd, loc, ln + lx,
				  (off_t)(local + ZIP_LOCAL_LEN))) != 0)
			goto short_read;
		if (zip_give(&seen, buf, n, SCAN_ZIPDIR_CENTRAL, z->each,
			     z->ctx))
			return SCAN_ZIPDIR_STOP;
		if ((up = zip_upath(buf + n, x, &upl)) != NULL &&
		    zip_give(&seen, up, upl, SCAN_ZIPDIR_CENTRAL_UNICODE,
			     z->each, z->ctx))
			return SCAN_ZIPDIR_STOP;
		if (zip_give(&seen, loc, ln, SCAN_ZIPDIR_LOCAL, z->each,
			     z->ctx))
			return SCAN_ZIPDIR_STOP;
		if ((up = zip_upath(loc + ln, lx, &upl)) != NULL &&
		    zip_give(&seen, up, upl, SCAN_ZIPDIR_LOCAL_UNICODE, z->each,
			     z->ctx))
			return SCAN_ZIPDIR_STOP;
	}
	return SCAN_ZIPDIR_OK;
short_read:
	return r < 0 ? SCAN_ZIPDIR_IO : SCAN_ZIPDIR_BAD;
}

/* zip_method_known - a compression method some program extracts */
static int
zip_method_known(unsigned m)
{
	return m <= 20 || (m >= 93 && m <= 99);
}

/*
 * zip_unlisted - the names of the local headers found in [from, to)
 * outside the listed entries (their headers, and their data as far as
 * a streaming extractor skips it: a zip stored there is walked as that
 * member): what a streaming extractor would show; a status
 */
static enum scan_zipdir_status
zip_unlisted(struct zip_walk *z, off_t from, off_t to)
{
	unsigned char chunk[65536];
	long found = 0;
	size_t k = 0;	    /* the next listed span */
	off_t covered = -1; /* listed spans end there, at or before at */
	int r;

	/* No entry listed: listed is NULL, which qsort() may not be given. */
	if (z->n_listed > 1)
		qsort(z->listed, z->n_listed, sizeof(*z->listed), zip_span_cmp);
	for (off_t at = from; at + 4 <= to;) {
		off_t end = to;
		size_t len;

		/* What listed entries cover is not read at all. */
		for (; k < z->n_listed && z->listed[k].start <= at; k++)
			if (z->listed[k].end > covered)
				covered = z->listed[k].end;
		if (at < covered) {
			at = covered;
			continue;
		}
		/* Up to the next listed entry: a signature just before it
		 * is read whole. */
		if (k < z->n_listed && z->listed[k].start + 3 < end)
			end = z->listed[k].start + 3;
		len = end - at < (off_t)sizeof(chunk) ? (size_t)(end - at)
						      : sizeof(chunk);
		if ((r = zip_read(z->fd, chunk, len, at)) != 0)
			return r < 0 ? SCAN_ZIPDIR_IO : SCAN_ZIPDIR_BAD;
		for (size_t i = 0; i + 4 <= len; i++) {
			unsigned char l[ZIP_LOCAL_LEN], *p;
			struct zip_names seen = {{0}, {0}, 0};
			const unsigned char *up;
			size_t ln, lx, upl;
			off_t o;

			/* The next "P" (memchr is fast), then the rest. */
			if ((p = memchr(chunk + i, 'P', len - 3 - i)) == NULL)
				break;
			i = (size_t)(p - chunk);
			o = at + (off_t)i;
			if (le32(chunk + i) != ZIP_LOCAL_SIG ||
			    o + ZIP_LOCAL_LEN > to)
				continue;
			if ((r = zip_read(z->fd, l, sizeof(l), o)) != 0)
				return r < 0 ? SCAN_ZIPDIR_IO : SCAN_ZIPDIR_BAD;
			ln = le16(l + 26);
			lx = le16(l + 28);
			if (ln == 0 || !zip_method_known(le16(l + 8)) ||
			    o + ZIP_LOCAL_LEN + (off_t)(ln + lx) > to)
				continue;
			if (++found > z->max_entries)
				return SCAN_ZIPDIR_MANY;
			if ((r = zip_read(z->fd, z->loc, ln + lx,
					  o + ZIP_LOCAL_LEN)) != 0)
				return r < 0 ? SCAN_ZIPDIR_IO : SCAN_ZIPDIR_BAD;
			if (zip_give(&seen, z->loc, ln, SCAN_ZIPDIR_UNLISTED,
				     z->each, z->ctx))
				return SCAN_ZIPDIR_STOP;
			if ((up = zip_upath(z->loc + ln, lx, &upl)) != NULL &&
			    zip_give(&seen, up, upl, SCAN_ZIPDIR_UNLISTED,
				     z->each, z->ctx))
				return SCAN_ZIPDIR_STOP;
		}
		/* The next chunk from the last 3 bytes of this one on. */
		at += (off_t)len - 3;
	}
	return SCAN_ZIPDIR_OK;
}

/* scan_zipdir_names - see scan_zipdir.h */
enum scan_zipdir_status
scan_zipdir_names(int fd, off_t size, long max_entries,
		  int (*each)(void *ctx, const char *name, size_t len,
			      enum scan_zipdir_from from),
		  void *ctx)
{
	/*
	 * Room for the end record search, or one entry's name and extra
	 * field and its local header's: no more than the file holds.
	 */
	size_t fields, search;
	struct zip_walk z = {fd,   size, max_entries, each, ctx,
			     NULL, NULL, NULL,	      0,    0};
	enum scan_zipdir_status st = SCAN_ZIPDIR_OK;
	off_t ends[ZIP_ENDS_MAX], at = 0, end, first = size;
	int64_t shift;
	int n;

	if (size < 0)
		return SCAN_ZIPDIR_BAD;
	fields = size < ZIP_FIELDS_MAX ? (size_t)size : ZIP_FIELDS_MAX;
	search = size < ZIP_EOCD_SEARCH ? (size_t)size : ZIP_EOCD_SEARCH;
	z.buf = xmalloc((2 * fields > search ? 2 * fields : search) + 1);
	z.loc = z.buf + fields;
	if ((n = zip_ends(fd, size, z.buf, ends)) < 0)
		st = (enum scan_zipdir_status) - n;
	/* Each directory a program may read: the last one first. */
	for (int i = 0; i < n && st == SCAN_ZIPDIR_OK; i++) {
		if ((st = zip_directory(fd, size, ends[i], &at, &end,
					&shift)) == SCAN_ZIPDIR_OK)
			st = zip_entries(&z, at, end, shift);
		if (at < first)
			first = at;
	}
	/* What lies before the directories, as a stream reader sees it. */
	if (st == SCAN_ZIPDIR_OK)
		st = zip_unlisted(&z, 0, first);
	free(z.buf);
	free(z.listed);
	return st;
}

/* scan_zipdir_may_end - does a file's tail hold an end record's signature? */
int
scan_zipdir_may_end(const char *tail, size_t len)
{
	static const char sig[4] = {'P', 'K', 5, 6};

	if (len > SCAN_ZIPDIR_TAIL)
		tail += len - SCAN_ZIPDIR_TAIL, len = SCAN_ZIPDIR_TAIL;
	return memmem(tail, len, sig, sizeof(sig)) != NULL;
}
