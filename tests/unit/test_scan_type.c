/*++
/* NAME
/*	test_scan_type 1
/* SUMMARY
/*	unit tests for scan/scan_type.c: amavis-style short types
/* DESCRIPTION
/*	The MIME types libmagic gives for the common classes map to the
/*	short types amavisd-new's rules use (".exe-ms", ".zip", ...), case
/*	aside; a PE whose header says DLL gets ".dll" too, a header cut
/*	short or pointing past the head does not; unknown types and NULL
/*	get none; out is never written past max.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scan/scan_type.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

struct type_case {
	const char *mime;
	const char *want; /* the short types, joined by spaces */
};

static const struct type_case type_cases[] = {
	{"application/x-dosexec", ".exe .exe-ms"},
	{"application/vnd.microsoft.portable-executable", ".exe .exe-ms"},
	{"Application/X-DOSEXEC", ".exe .exe-ms"},
	{"application/x-pie-executable", ".exe .exe-unix .elf"},
	{"application/x-executable", ".exe .exe-unix .elf"},
	{"application/zip", ".zip"},
	{"application/x-rar", ".rar"},
	{"application/x-7z-compressed", ".7z"},
	{"application/x-tar", ".tar"},
	{"application/gzip", ".gz"},
	{"application/x-bzip2", ".bz2"},
	{"application/x-xz", ".xz"},
	{"application/x-lha", ".lha"},
	{"application/vnd.ms-cab-compressed", ".cab"},
	{"application/x-iso9660-image", ".iso"},
	{"application/x-ole-storage", ".doc"},
	{"application/vnd.ms-excel", ".xls"},
	{"application/vnd.ms-powerpoint", ".ppt"},
	{"application/pdf", ".pdf"},
	{"application/pgp-encrypted", ".pgp .pgp.enc"},
	{"text/plain", ".asc .txt"},
	{"application/octet-stream", ""},
	{"application/zipx", ""},
	{"", ""},
};

/* joined - the short types of mime, with head, joined by spaces */
static void
joined(const char *mime, const void *head, size_t len, char *buf, size_t size)
{
	const char *out[SCAN_TYPE_MAX + 1];
	size_t n = scan_type_short(mime, head, len, out, N_ELEMS(out));

	buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strncat(buf, " ", size - strlen(buf) - 1);
		strncat(buf, out[i], size - strlen(buf) - 1);
	}
}

static void
test_table(void **state)
{
	char buf[128];

	(void)state;
	for (size_t i = 0; i < N_ELEMS(type_cases); i++) {
		joined(type_cases[i].mime, NULL, 0, buf, sizeof(buf));
		assert_string_equal(buf, type_cases[i].want);
	}
	assert_int_equal(scan_type_short(NULL, NULL, 0, NULL, 0), 0);
}

/* pe - a PE header at 0x80 with these characteristics */
static void
pe(unsigned char *h, size_t size, unsigned characteristics)
{
	memset(h, 0, size);
	h[0] = 'M';
	h[1] = 'Z';
	h[0x3c] = 0x80;
	memcpy(h + 0x80, "PE\0\0", 4);
	h[0x80 + 22] = characteristics & 0xff;
	h[0x80 + 23] = characteristics >> 8;
}

static void
test_dll(void **state)
{
	const char *pe_type = "application/vnd.microsoft.portable-executable";
	unsigned char h[512];
	char buf[128];

	(void)state;
	pe(h, sizeof(h), 0x2102);
	joined(pe_type, h, sizeof(h), buf, sizeof(buf));
	assert_string_equal(buf, ".exe .exe-ms .dll");
	joined("application/x-dosexec", h, sizeof(h), buf, sizeof(buf));
	assert_string_equal(buf, ".exe .exe-ms .dll");
	/* An executable, not a library. */
	pe(h, sizeof(h), 0x0102);
	joined(pe_type, h, sizeof(h), buf, sizeof(buf));
	assert_string_equal(buf, ".exe .exe-ms");
	/* The header cut short by the head: not read. */
	pe(h, sizeof(h), 0x2102);
	joined(pe_type, h, 0x80 + 23, buf, sizeof(buf));
	assert_string_equal(buf, ".exe .exe-ms");
	/* e_lfanew past the head. */
	h[0x3c] = 0xff;
	h[0x3d] = 0xff;
	h[0x3e] = 0xff;
	h[0x3f] = 0xff;
	joined(pe_type, h, sizeof(h), buf, sizeof(buf));
	assert_string_equal(buf, ".exe .exe-ms");
	/* A zip is no DLL, whatever its bytes. */
	pe(h, sizeof(h), 0x2102);
	joined("application/zip", h, sizeof(h), buf, sizeof(buf));
	assert_string_equal(buf, ".zip");
}

/* out has room for max only. */
static void
test_max(void **state)
{
	const char *out[3] = {NULL, NULL, "untouched"};

	(void)state;
	assert_int_equal(
		scan_type_short("application/x-executable", NULL, 0, out, 2),
		2);
	assert_string_equal(out[0], ".exe");
	assert_string_equal(out[1], ".exe-unix");
	assert_string_equal(out[2], "untouched");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_dll),
		cmocka_unit_test(test_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
