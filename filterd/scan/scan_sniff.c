/*++
/* NAME
/*	scan_sniff 3
/* SUMMARY
/*	archives and compressed data told by their first bytes
/* DESCRIPTION
/*	A table of the signatures libarchive bids on (its
/*	archive_read_support_format_all() and _filter_all()), each at its
/*	offset, plus the two that need a computation: an old tar header's
/*	checksum and the LHA method field. Signatures of two bytes are made
/*	longer with the next field where the format fixes it (gzip's method,
/*	compress's flags), so that random binary content is rarely taken for
/*	an archive; binary cpio, whose magic is two bytes and nothing else,
/*	is left out (its ASCII forms are in).
/*--*/

#include <string.h>

#include "scan_sniff.h"

struct scan_sniff_sig {
	const char *name;
	size_t offset;
	const char *magic;
	size_t len;
};

#define SIG(name, offset, magic)                                               \
	{                                                                      \
		name, offset, magic, sizeof(magic) - 1                         \
	}

static const struct scan_sniff_sig scan_sniff_sigs[] = {
	SIG("zip", 0, "PK\003\004"),
	SIG("zip", 0, "PK\005\006"),	       /* empty */
	SIG("zip", 0, "PK\007\010PK\003\004"), /* spanned, one part */
	SIG("zip", 0, "PK00PK\003\004"),       /* the same, old marker */
	SIG("rar", 0, "Rar!\032\007\000"),     /* RAR 1.5 to 4 */
	SIG("rar", 0, "Rar!\032\007\001\000"), /* RAR 5 */
	SIG("7z", 0, "7z\274\257\047\034"),
	SIG("cab", 0, "MSCF\0\0\0\0"),
	SIG("tar", 257, "ustar"),
	SIG("cpio", 0, "070707"),
	SIG("cpio", 0, "070701"),
	SIG("cpio", 0, "070702"),
	SIG("ar", 0, "!<arch>\n"),
	SIG("xar", 0, "xar!\0\034"),
	SIG("rpm", 0, "\355\253\356\333"),
	SIG("iso9660", 32769, "CD001"),
	SIG("gzip", 0, "\037\213\010"), /* deflate, the only method */
	SIG("bzip2", 0, "BZh"),		/* and a block size digit: below */
	SIG("xz", 0, "\3757zXZ\0"),
	SIG("lzip", 0, "LZIP"),
	SIG("lzop", 0, "\211LZO\0\r\n\032\n"),
	SIG("lz4", 0, "\004\042\115\030"),
	SIG("zstd", 0, "\050\265\057\375"),
	SIG("compress", 0, "\037\235"), /* and its flags: below */
	SIG("lrzip", 0, "LRZI"),
};

/* scan_sniff_octal - a tar number field: octal digits, spaces, NULs */
static long
scan_sniff_octal(const unsigned char *p, size_t len)
{
	long v = 0;
	size_t i = 0;

	while (i < len && p[i] == ' ')
		i++;
	if (i == len || p[i] < '0' || p[i] > '7')
		return -1;
	for (; i < len && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (p[i] - '0');
	for (; i < len; i++)
		if (p[i] != ' ' && p[i] != '\0')
			return -1;
	return v;
}

/* scan_sniff_tar - an old (pre-POSIX) tar header: its checksum adds up */
static int
scan_sniff_tar(const unsigned char *h, size_t len)
{
	long want, sum = 0;

	if (len < 512 || h[0] == '\0')
		return 0;
	if ((want = scan_sniff_octal(h + 148, 8)) < 0)
		return 0;
	for (size_t i = 0; i < 512; i++)
		sum += i >= 148 && i < 156 ? ' ' : h[i];
	/* All zeros but the name would add up too: demand a mode field. */
	return sum == want && scan_sniff_octal(h + 100, 8) >= 0;
}

/* scan_sniff_special - signatures that need more than bytes in place */
static const char *
scan_sniff_special(const unsigned char *h, size_t len)
{
	/* LHA: "-lh5-" or "-lz5-" style method at offset 2. */
	if (len >= 21 && h[2] == '-' && h[3] == 'l' &&
	    (h[4] == 'h' || h[4] == 'z') && h[6] == '-')
		return "lha";
	if (scan_sniff_tar(h, len))
		return "tar";
	return NULL;
}

/* scan_sniff_archive - see scan_sniff.h */
const char *
scan_sniff_archive(const void *head, size_t len)
{
	const unsigned char *h = head;

	for (size_t i = 0;
	     i < sizeof(scan_sniff_sigs) / sizeof(*scan_sniff_sigs); i++) {
		const struct scan_sniff_sig *s = scan_sniff_sigs + i;

		if (len < s->offset + s->len ||
		    memcmp(h + s->offset, s->magic, s->len) != 0)
			continue;
		if (strcmp(s->name, "bzip2") == 0 &&
		    (len < 4 || h[3] < '1' || h[3] > '9'))
			continue;
		/* compress: block mode or not, 9 to 16 bits, reserved 0. */
		if (strcmp(s->name, "compress") == 0 &&
		    (len < 3 || (h[2] & 0x60) != 0 || (h[2] & 0x1f) < 9 ||
		     (h[2] & 0x1f) > 16))
			continue;
		return s->name;
	}
	return scan_sniff_special(h, len);
}

/* scan_sniff_more - see scan_sniff.h */
int
scan_sniff_more(const void *head, size_t len)
{
	const unsigned char *h = head;

	if (len != SCAN_SNIFF_HEAD)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (h[i] != 0)
			return 0;
	return 1;
}
