/*++
/* NAME
/*	fuzz_banned 1
/* SUMMARY
/*	libFuzzer harness for the banned-name walk over archives
/* SYNOPSIS
/*	fuzz_banned [libFuzzer options] [corpus...]
/* DESCRIPTION
/*	Takes each input as the bytes of an attachment (an archive: zip,
/*	tar, 7z, rar, cab, gzip, ..., archives in it included), wraps it
/*	base64 in a one-part MIME message, spools that in a private
/*	mkdtemp() directory (also tmp_dir), parses it (mime_parse()) and
/*	runs scan_banned() with the checks a master builds
/*	(checks_create(): libmagic, the double-extension pattern, the
/*	UTF-8 locale; no libclamav) for a bank with banned_filename,
/*	banned_type and banned_double_extension rules, as a child does.
/*	libarchive reads the members from the decoded part's temporary
/*	file; limits are lowered (max_archive_depth 4, max_archive_files
/*	200, max_decoded_size 8 MB) so that a run stays short.
/*
/*	Checks that the verdict is one scan_banned() gives, with a
/*	description for all but CLEAN, and that after the run no file is
/*	left in the directory and no descriptor is open that was not
/*	before.
/*--*/

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf/conf.h"
#include "mime/mime_parse.h"
#include "policy/bank.h"
#include "scan/checks.h"
#include "scan/scan_banned.h"
#include "spool/spool.h"
#include "txn/txn.h"

static const char conf_text[] =
	"clamav { enabled = false }\n"
	"max_archive_depth = 4\n"
	"max_archive_files = 200\n"
	"max_decoded_size = 8000000\n"
	"bank default {\n"
	"  banned_filename = {\"\\\\.(exe|scr|com|bat|js)$\", \"^evil\"}\n"
	"  banned_type = {\"^application/x-dosexec$\", \"^\\\\.exe\"}\n"
	"  banned_double_extension = true\n"
	"}\n";

static const char head[] =
	"From: a@example.org\r\n"
	"To: b@example.org\r\n"
	"Subject: archive\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"fuzzfuzzfuzz\"\r\n"
	"\r\n"
	"--fuzzfuzzfuzz\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"see attached\r\n"
	"--fuzzfuzzfuzz\r\n"
	"Content-Type: application/octet-stream; name=\"data.bin\"\r\n"
	"Content-Disposition: attachment; filename=\"data.bin\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n";

static const char tail[] = "--fuzzfuzzfuzz--\r\n";

static struct conf *conf;
static struct checks *checks;
static struct checks_ctx *cctx;
static char dir[] = "/tmp/fuzz_banned.XXXXXX";

/* remove_dir - at exit: the directory, empty after every run */
static void
remove_dir(void)
{
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[64];
	char err[512];
	int fd = memfd_create("fuzz_banned.conf", MFD_CLOEXEC);

	(void)argc;
	(void)argv;
	if (fd < 0 || write(fd, conf_text, sizeof(conf_text) - 1) !=
			      (ssize_t)sizeof(conf_text) - 1)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	conf = conf_load(path, err, sizeof(err));
	if (conf == NULL) {
		fprintf(stderr, "fuzz_banned: %s\n", err);
		abort();
	}
	close(fd);
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(remove_dir);
	free(conf->tmp_dir);
	conf->tmp_dir = strdup(dir);
	checks = checks_create(conf, err, sizeof(err));
	if (checks == NULL) {
		fprintf(stderr, "fuzz_banned: %s\n", err);
		abort();
	}
	cctx = checks_ctx_create(checks);
	return 0;
}

/* b64 - base64 of in[0..n), n <= 57: one line of at most 76 characters */
static size_t
b64(const uint8_t *in, size_t n, char *out)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	return o;
}

/* entries - how many names a directory holds, besides . and .. */
static int
entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = -2;

	if (d == NULL)
		abort();
	while ((e = readdir(d)) != NULL)
		n++;
	closedir(d);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct txn *t;
	char err[256];
	const char *desc = NULL;
	enum scan_verdict v;
	int fds = entries("/proc/self/fd");

	t = txn_create(conf, "127.0.0.1", 25);
	t->checks = checks;
	t->cctx = cctx;
	bank_select(conf, NULL, "127.0.0.1", &t->bank);
	t->spool = spool_create(dir, t->id, err, sizeof(err));
	if (t->spool == NULL)
		abort();
	spool_write(t->spool, head, sizeof(head) - 1);
	t->size = sizeof(head) - 1;
	for (size_t i = 0; i < size; i += 57) {
		char line[80];
		size_t n = b64(data + i, size - i < 57 ? size - i : 57, line);

		memcpy(line + n, "\r\n", 2);
		spool_write(t->spool, line, n + 2);
		t->size += (off_t)n + 2;
	}
	spool_write(t->spool, tail, sizeof(tail) - 1);
	t->size += sizeof(tail) - 1;
	if (spool_commit(t->spool, err, sizeof(err)) < 0 || mime_parse(t) < 0)
		abort();
	v = scan_banned(t, &t->mime, checks, cctx->re, &desc);
	if (v != SCAN_CLEAN && (desc == NULL || desc[0] == 0))
		abort();
	txn_free(&t);
	if (entries(dir) != 0 || entries("/proc/self/fd") != fds)
		abort();
	return 0;
}
