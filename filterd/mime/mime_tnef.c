/*++
/* NAME
/*	mime_tnef 3
/* SUMMARY
/*	the files in Outlook's TNEF (winmail.dat)
/* DESCRIPTION
/*	See mime_tnef.h. libytnef's headers define BYTE, WORD and DWORD
/*	as macros: they are included here only.
/*--*/

#include <limits.h>
#include <stdint.h>
#include <stdio.h> /* before ytnef.h, which uses FILE */
#include <stdlib.h>
#include <string.h>

#include <ytnef.h>

#include "mime_tnef.h"
#include "util/le.h"
#include "util/xalloc.h"

#define MIME_TNEF_SIGNATURE 0x223E9F78u
#define MIME_TNEF_RENDDATA 0x00069002u /* starts an attached file */

/* mime_tnef_head - see mime_tnef.h */
int
mime_tnef_head(const char *buf, size_t len)
{
	return len >= 4 &&
	       le32((const unsigned char *)buf) == MIME_TNEF_SIGNATURE;
}

/*
 * mime_tnef_frames - walk the attributes: each a level (1), an id (4),
 * a size (4), data, a checksum (2); NULL when they fit in len and
 * start at most max_files files, else why not. With out (at most
 * MIME_TNEF_COPY_MAX(len) bytes), the signature, the key and the
 * attachments' attributes are copied there (*out_len): the message's
 * own (subject, body, its MAPI properties) are no file, and libytnef
 * refuses some of them (a subject over 100 bytes, a property over 512
 * KB) where Outlook does not.
 *
 * libytnef keeps one value of each attribute per file: a second title,
 * data or property set of the same file replaces the first, which is
 * never freed (a leak the size of the value) and never seen (a name or
 * content the checks would miss). So an attribute whose id the file
 * already has starts a file of its own: an attAttachRenddata is put
 * before it, and it counts against max_files as one.
 */
#define MIME_TNEF_IDS 32 /* ids remembered per file; more start a file */
#define MIME_TNEF_REND_LEN 14
#define MIME_TNEF_FRAME(n) (9 + (size_t)(n) + 2)
#define MIME_TNEF_COPY_MAX(len)                                                \
	((len) + ((len) / MIME_TNEF_FRAME(0) + 1) *                            \
			 MIME_TNEF_FRAME(MIME_TNEF_REND_LEN))

static const char *
mime_tnef_frames(const unsigned char *b, size_t len, size_t max_files,
		 unsigned char *out, size_t *out_len)
{
	static const unsigned char rend[MIME_TNEF_FRAME(MIME_TNEF_REND_LEN)] = {
		LVL_ATTACHMENT, 0x02, 0x90, 0x06, 0x00, MIME_TNEF_REND_LEN, 0,
		0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
		/* the checksum: the sum of the value's bytes */
		0xfd, 0x03};
	uint32_t ids[MIME_TNEF_IDS];
	size_t off = 6, files = 0, n_ids = 0;

	if (len < 6 || !mime_tnef_head((const char *)b, len))
		return "Outlook TNEF without its signature";
	if (out) {
		memcpy(out, b, 6);
		*out_len = 6;
	}
	while (off < len) {
		uint32_t id, size;
		size_t n, k;

		if (len - off < 9)
			return "Outlook TNEF cut short";
		id = le32(b + off + 1);
		size = le32(b + off + 5);
		if (size > len - off - 9 || len - off - 9 - size < 2)
			return "Outlook TNEF cut short";
		n = MIME_TNEF_FRAME(size);
		if (b[off] != LVL_ATTACHMENT) {
			off += n;
			continue;
		}
		for (k = 0; k < n_ids && ids[k] != id; k++)
			;
		if (id == MIME_TNEF_RENDDATA) {
			n_ids = 0;
		} else if (k < n_ids || n_ids == MIME_TNEF_IDS) {
			/* This file has one: the value is another file's. */
			if (++files > max_files)
				return "Outlook TNEF with more files than "
				       "max_archive_files";
			if (out) {
				memcpy(out + *out_len, rend, sizeof(rend));
				*out_len += sizeof(rend);
			}
			n_ids = 0;
		}
		if (id == MIME_TNEF_RENDDATA && ++files > max_files)
			return "Outlook TNEF with more files than "
			       "max_archive_files";
		if (id != MIME_TNEF_RENDDATA)
			ids[n_ids++] = id;
		if (out) {
			memcpy(out + *out_len, b + off, n);
			*out_len += n;
		}
		off += n;
	}
	return NULL;
}

/* mime_tnef_str - a value as a string: cut at its first NUL; or NULL */
static char *
mime_tnef_str(const variableLength *v)
{
	char *s;
	size_t n;

	if (v == NULL || v == MAPI_UNDEFINED || v->data == NULL || v->size <= 0)
		return NULL;
	n = (size_t)v->size;
	s = xmalloc(n + 1);
	memcpy(s, v->data, n);
	s[n] = '\0';
	return s;
}

/* mime_tnef_prop - the first of two MAPI property types found */
static variableLength *
mime_tnef_prop(MAPIProps *p, unsigned int type1, unsigned int type2,
	       unsigned int id)
{
	variableLength *v = MAPIFindProperty(p, PROP_TAG(type1, id));

	if (v == MAPI_UNDEFINED && type2)
		v = MAPIFindProperty(p, PROP_TAG(type2, id));
	return v == MAPI_UNDEFINED ? NULL : v;
}

/* mime_tnef_give - one attached file to the sink */
static int
mime_tnef_give(Attachment *a, const struct mime_tnef_sink *sink)
{
	char *title = mime_tnef_str(&a->Title);
	char *lname = mime_tnef_str(mime_tnef_prop(
		&a->MAPI, PT_UNICODE, PT_STRING8, PR_ATTACH_LONG_FILENAME));
	variableLength *data = &a->FileData;
	const char *name, *other = NULL;
	int r;

	if (data->data == NULL || data->size <= 0)
		data = mime_tnef_prop(&a->MAPI, PT_BINARY, 0,
				      PR_ATTACH_DATA_OBJ);
	if (lname && *lname) {
		name = lname;
		if (title && strcmp(title, lname) != 0)
			other = title;
	} else {
		name = title ? title : "";
	}
	r = sink->file(sink->ctx, name, other,
		       data && data->data ? (const char *)data->data : "",
		       data && data->data && data->size > 0 ? (size_t)data->size
							    : 0);
	free(title);
	free(lname);
	return r;
}

/* mime_tnef_read - see mime_tnef.h */
int
mime_tnef_read(const char *buf, size_t len, size_t max_files,
	       const struct mime_tnef_sink *sink, const char **why)
{
	TNEFStruct tnef;
	Attachment *a;
	unsigned char *files;
	size_t files_len = 0;
	int rc, r = 0;

	if (len > (size_t)LONG_MAX) {
		*why = "Outlook TNEF too large";
		return -1;
	}
	*why = mime_tnef_frames((const unsigned char *)buf, len, max_files,
				NULL, NULL);
	if (*why)
		return -1;
	files = xmalloc(MIME_TNEF_COPY_MAX(len));
	(void)mime_tnef_frames((const unsigned char *)buf, len, max_files,
			       files, &files_len);
	TNEFInitialize(&tnef);
	tnef.Debug = 0;
	/* It reads the memory only (TNEFMemory_Read copies from it). */
	rc = TNEFParseMemory(files, (long)files_len, &tnef);
	/* What comes before the first attAttachRenddata lands in
	 * starting_attach (a file, or MAPI properties only): walked too;
	 * an attachment with nothing in it is skipped below. */
	for (a = &tnef.starting_attach; a && r == 0; a = a->next) {
		if (a->Title.data == NULL && a->FileData.data == NULL &&
		    a->MAPI.count == 0)
			continue;
		r = mime_tnef_give(a, sink);
	}
	TNEFFree(&tnef);
	/* TNEFFree() frees the list after starting_attach, not its own. */
	TNEFFreeAttachment(&tnef.starting_attach);
	free(files);
	if (r)
		return r;
	if (rc < 0) {
		*why = "Outlook TNEF that cannot be read";
		return -1;
	}
	return 0;
}
