/*++
/* NAME
/*	scan_type 3
/* SUMMARY
/*	amavis-style short types for the MIME types libmagic detects
/* DESCRIPTION
/*	See scan_type.h. The table follows amavisd-new's
/*	$map_full_type_to_short_type_re for the common classes, keyed on
/*	libmagic's MIME type instead of file(1)'s description (the
/*	description costs a second libmagic run per item).
/*--*/

#include <string.h>
#include <strings.h>

#include "scan_type.h"
#include "util/le.h"

struct scan_type_row {
	const char *mime;
	const char *types[SCAN_TYPE_MAX];
};

static const struct scan_type_row scan_type_table[] = {
	/* Executables. */
	{"application/x-dosexec", {".exe", ".exe-ms"}},
	{"application/vnd.microsoft.portable-executable", {".exe", ".exe-ms"}},
	{"application/x-msdownload", {".exe", ".exe-ms"}},
	{"application/x-executable", {".exe", ".exe-unix", ".elf"}},
	{"application/x-pie-executable", {".exe", ".exe-unix", ".elf"}},
	{"application/x-sharedlib", {".exe", ".exe-unix", ".elf"}},
	{"application/x-mach-binary", {".exe", ".macho"}},
	/* Archives and compressed data. */
	{"application/zip", {".zip"}},
	{"application/x-rar", {".rar"}},
	{"application/vnd.rar", {".rar"}},
	{"application/x-7z-compressed", {".7z"}},
	{"application/x-tar", {".tar"}},
	{"application/x-gtar", {".tar"}},
	{"application/x-ustar", {".tar"}},
	{"application/x-cpio", {".cpio"}},
	{"application/gzip", {".gz"}},
	{"application/x-gzip", {".gz"}},
	{"application/x-bzip2", {".bz2"}},
	{"application/x-xz", {".xz"}},
	{"application/x-lzma", {".lzma"}},
	{"application/zstd", {".zst"}},
	{"application/x-lha", {".lha"}},
	{"application/x-lharc", {".lha"}},
	{"application/vnd.ms-cab-compressed", {".cab"}},
	{"application/x-arj", {".arj"}},
	{"application/x-iso9660-image", {".iso"}},
	/* Documents. */
	{"application/x-ole-storage", {".doc"}},
	{"application/cdfv2", {".doc"}},
	{"application/msword", {".doc"}},
	{"application/vnd.ms-excel", {".xls"}},
	{"application/vnd.ms-powerpoint", {".ppt"}},
	{"application/pdf", {".pdf"}},
	{"application/rtf", {".rtf"}},
	{"text/rtf", {".rtf"}},
	{"application/pgp-encrypted", {".pgp", ".pgp.enc"}},
	{"application/pgp-signature", {".pgp", ".pgp.asc"}},
	{"application/pgp-keys", {".pgp", ".pgp.asc"}},
	{"text/html", {".html"}},
	{"text/plain", {".asc", ".txt"}},
	{"message/rfc822", {".mail"}},
	/* Pictures. */
	{"image/jpeg", {".jpg"}},
	{"image/png", {".png"}},
	{"image/gif", {".gif"}},
	{"image/bmp", {".bmp"}},
	{"image/tiff", {".tif"}},
};

/*
 * scan_type_dll - does the PE header in head say "DLL" (IMAGE_FILE_DLL
 * in its characteristics)? Only what head holds is read.
 */
static int
scan_type_dll(const unsigned char *h, size_t len)
{
	size_t pe;

	if (h == NULL || len < 0x40 || h[0] != 'M' || h[1] != 'Z')
		return 0;
	pe = le16(h + 0x3c) | (size_t)le16(h + 0x3e) << 16;
	if (pe > len || len - pe < 24 || h[pe] != 'P' || h[pe + 1] != 'E' ||
	    h[pe + 2] != 0 || h[pe + 3] != 0)
		return 0;
	return (le16(h + pe + 22) & 0x2000) != 0;
}

/* scan_type_short - see scan_type.h */
size_t
scan_type_short(const char *mime, const void *head, size_t len,
		const char **out, size_t max)
{
	size_t n = 0;

	if (mime == NULL)
		return 0;
	for (size_t i = 0;
	     i < sizeof(scan_type_table) / sizeof(*scan_type_table); i++) {
		const struct scan_type_row *r = scan_type_table + i;

		if (strcasecmp(r->mime, mime) != 0)
			continue;
		for (size_t k = 0; k < SCAN_TYPE_MAX && r->types[k] && n < max;
		     k++)
			out[n++] = r->types[k];
		if (n < max &&
		    strcmp(r->types[1] ? r->types[1] : "", ".exe-ms") == 0 &&
		    scan_type_dll(head, len))
			out[n++] = ".dll";
		break;
	}
	return n;
}
