/*++
/* NAME
/*	test_scan_sniff 1
/* SUMMARY
/*	unit tests for scan/scan_sniff.c: archives told by their first bytes
/* DESCRIPTION
/*	Every signature of the table is found at its offset, and only with
/*	every byte present; near misses (a gzip with another method, a
/*	truncated head, text, images, executables) are not archives. An old
/*	tar header is told by its checksum. ISO 9660 needs more than the
/*	first SCAN_SNIFF_HEAD bytes: scan_sniff_more() asks for them only
/*	when those are all zeros.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan/scan_sniff.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))
#define B(s) s, sizeof(s) - 1

struct sniff_case {
	const char *what;
	const char *head;
	size_t len;
	const char *want; /* NULL: not an archive */
};

static const struct sniff_case sniff_cases[] = {
	{"zip", B("PK\003\004\024\0\0\0\010\0"), "zip"},
	{"empty zip", B("PK\005\006\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
	 "zip"},
	{"spanned zip", B("PK\007\010PK\003\004\024\0"), "zip"},
	{"zip, short", B("PK\003"), NULL},
	{"PK text", B("PK is a nice name\r\n"), NULL},
	{"rar 4", B("Rar!\032\007\000\317\220s\0"), "rar"},
	{"rar 5", B("Rar!\032\007\001\000\063\222"), "rar"},
	{"rar, short", B("Rar!\032\007"), NULL},
	{"7z", B("7z\274\257\047\034\0\004"), "7z"},
	{"cab", B("MSCF\0\0\0\0\x20\x02\0\0"), "cab"},
	{"cpio newc", B("070701000000010000"), "cpio"},
	{"cpio odc", B("070707000000010000"), "cpio"},
	{"cpio crc", B("070702000000010000"), "cpio"},
	{"binary cpio left out", B("\307\161\0\0\0\0"), NULL},
	{"ar (deb)", B("!<arch>\ndebian-binary   "), "ar"},
	{"xar", B("xar!\0\034\0\001"), "xar"},
	{"rpm", B("\355\253\356\333\003\000"), "rpm"},
	{"gzip", B("\037\213\010\000\000\000\000\000\000\003"), "gzip"},
	{"gzip, other method", B("\037\213\007\000\000\000"), NULL},
	{"bzip2", B("BZh91AY&SY"), "bzip2"},
	{"bzip2 without block size", B("BZhx1AY&SY"), NULL},
	{"xz", B("\3757zXZ\0\0\004"), "xz"},
	{"lzip", B("LZIP\001\014"), "lzip"},
	{"lzop", B("\211LZO\0\r\n\032\n\020"), "lzop"},
	{"lz4", B("\004\042\115\030\144\100"), "lz4"},
	{"zstd", B("\050\265\057\375\044\000"), "zstd"},
	{"compress", B("\037\235\220"), "compress"},
	{"compress, reserved bits", B("\037\235\360"), NULL},
	{"compress, 20 bits", B("\037\235\224"), NULL},
	{"lrzip", B("LRZI\0\006"), "lrzip"},
	{"lha", B("\044\125-lh5-\022\0\0\0\046\0\0\0\0\0\0\0\040\001\010"),
	 "lha"},
	{"lha, short", B("\044\125-lh5-"), NULL},
	{"pdf", B("%PDF-1.7\n%\342\343\317\323\n"), NULL},
	{"png", B("\211PNG\r\n\032\n\0\0\0\rIHDR"), NULL},
	{"jpeg", B("\377\330\377\340\0\020JFIF\0"), NULL},
	{"exe", B("MZ\220\0\003\0\0\0\004\0\0\0\377\377"), NULL},
	{"text", B("Hello, this is just text.\r\n"), NULL},
	{"empty", "", 0, NULL},
};

/* test_table - signatures at offset 0, and near misses */
static void
test_table(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(sniff_cases); i++) {
		const struct sniff_case *c = sniff_cases + i;
		const char *got = scan_sniff_archive(c->head, c->len);

		if ((got == NULL) != (c->want == NULL) ||
		    (got && strcmp(got, c->want) != 0)) {
			print_error("%s: got %s, want %s\n", c->what,
				    got ? got : "NULL",
				    c->want ? c->want : "NULL");
			failed = 1;
		}
	}
	assert_false(failed);
}

/* tar_header - a 512-byte tar header for name, with magic or without */
static void
tar_header(unsigned char *h, const char *name, int ustar)
{
	unsigned sum = 0;

	memset(h, 0, 512);
	memcpy(h, name, strlen(name));
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0001750", 8);
	memcpy(h + 116, "0001750", 8);
	memcpy(h + 124, "00000000005", 12);
	memcpy(h + 136, "14536410452", 12);
	h[156] = '0';
	if (ustar)
		memcpy(h + 257, "ustar\00000", 8);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

/* test_tar - ustar by magic, old tar by checksum, broken ones not */
static void
test_tar(void **state)
{
	unsigned char h[1024];

	(void)state;
	tar_header(h, "setup/install.scr", 1);
	assert_string_equal(scan_sniff_archive(h, 512), "tar");
	/* the magic at 257 needs 262 bytes */
	assert_null(scan_sniff_archive(h, 261));
	tar_header(h, "old/file.exe", 0);
	assert_string_equal(scan_sniff_archive(h, 512), "tar");
	assert_null(scan_sniff_archive(h, 511));
	h[0] = 'x'; /* the checksum no longer adds up */
	assert_null(scan_sniff_archive(h, 512));
	/* a block of zeros is no tar, whatever its length */
	memset(h, 0, sizeof(h));
	assert_null(scan_sniff_archive(h, sizeof(h)));
	/* text of the same length is none either */
	memset(h, 'a', sizeof(h));
	assert_null(scan_sniff_archive(h, sizeof(h)));
}

/* test_iso - CD001 at 32769, read only when the start is all zeros */
static void
test_iso(void **state)
{
	unsigned char *h = calloc(1, SCAN_SNIFF_MAX);

	(void)state;
	assert_non_null(h);
	assert_true(scan_sniff_more(h, SCAN_SNIFF_HEAD));
	assert_false(scan_sniff_more(h, SCAN_SNIFF_HEAD - 1));
	h[32768] = 1;
	memcpy(h + 32769, "CD001", 5);
	assert_string_equal(scan_sniff_archive(h, SCAN_SNIFF_MAX), "iso9660");
	assert_null(scan_sniff_archive(h, SCAN_SNIFF_MAX - 1));
	assert_null(scan_sniff_archive(h, SCAN_SNIFF_HEAD));
	h[100] = 'x';
	assert_false(scan_sniff_more(h, SCAN_SNIFF_HEAD));
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_tar),
		cmocka_unit_test(test_iso),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
