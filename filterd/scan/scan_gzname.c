/*++
/* NAME
/*	scan_gzname 3
/* SUMMARY
/*	the file name a gzip header stores
/* DESCRIPTION
/*	See scan_gzname.h. RFC 1952 section 2.3: ID1 ID2 CM FLG MTIME(4)
/*	XFL OS, then [XLEN(2) extra] when FEXTRA, then the name when FNAME.
/*--*/

#include <string.h>

#include "scan_gzname.h"
#include "util/le.h"

#define GZ_FIXED 10	 /* ID1 to OS */
#define GZ_FEXTRA 0x04	 /* an extra field follows */
#define GZ_FNAME 0x08	 /* a file name follows */
#define GZ_RESERVED 0xe0 /* must be zero */
#define GZ_DEFLATE 8	 /* the only method there is */

/* scan_gzname - see scan_gzname.h */
enum scan_gzname_status
scan_gzname(const unsigned char *buf, size_t len, const char **name,
	    size_t *name_len)
{
	size_t at = GZ_FIXED, room;
	const unsigned char *nul;
	unsigned flags;

	if (len < 4 || buf[0] != 0x1f || buf[1] != 0x8b ||
	    buf[2] != GZ_DEFLATE || (buf[3] & GZ_RESERVED))
		return SCAN_GZNAME_NONE;
	flags = buf[3];
	if (!(flags & GZ_FNAME))
		return SCAN_GZNAME_NONE;
	if (len < GZ_FIXED)
		return SCAN_GZNAME_SHORT;
	if (flags & GZ_FEXTRA) {
		if (len - at < 2)
			return SCAN_GZNAME_SHORT;
		room = le16(buf + at);
		at += 2;
		if (len - at < room)
			return SCAN_GZNAME_SHORT;
		at += room;
	}
	/* The name and its NUL, within what is here and the bound. */
	room = len - at;
	if (room > SCAN_GZNAME_MAX + 1)
		room = SCAN_GZNAME_MAX + 1;
	if ((nul = memchr(buf + at, '\0', room)) == NULL)
		return SCAN_GZNAME_SHORT;
	if (nul == buf + at)
		return SCAN_GZNAME_NONE;
	*name = (const char *)buf + at;
	*name_len = (size_t)(nul - (buf + at));
	return SCAN_GZNAME_FOUND;
}
