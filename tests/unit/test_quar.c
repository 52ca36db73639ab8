/*++
/* NAME
/*	test_quar 1
/* SUMMARY
/*	unit tests for quar_local(), the local-file quarantine writer
/* DESCRIPTION
/*	A blocked message (one discarded recipient, category VIRUS) goes
/*	through quar_record() with the local method, into a temporary
/*	quarantine_dir, plain and gzipped. gzdopen() is wrapped (-Wl,--wrap,
/*	STYLE rule 22: libraries only) so that it can be made to fail as
/*	zlib does when it cannot allocate: NULL, its descriptor left open.
/*
/*	A quarantine that cannot be written must fail cleanly: the stage
/*	fails with TXN_ERR_RECORD (a 451 to the front MTA), no file is left
/*	in quarantine_dir, and no descriptor stays open. One that can is a
/*	complete file: the X-Envelope-* fields, then the message.
/*--*/

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "quarantine/quar.h"
#include "smtp/reply.h"
#include "spool/spool.h"
#include "txn/txn.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define MESSAGE "Subject: quarantined\r\n\r\nbody line\r\n"

static int gzdopen_fails; /* the next gzdopen() returns NULL */
static int gzdopen_calls;

gzFile __real_gzdopen(int fd, const char *mode);
gzFile __wrap_gzdopen(int fd, const char *mode);

/* __wrap_gzdopen - zlib's, or its failure (the descriptor stays open) */
gzFile
__wrap_gzdopen(int fd, const char *mode)
{
	gzdopen_calls++;
	if (gzdopen_fails)
		return NULL;
	return __real_gzdopen(fd, mode);
}

struct fixture {
	struct conf *conf;
	char dir[64]; /* quarantine_dir */
};

/* setup - defaults, with a fresh quarantine_dir */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512];

	if (f == NULL || (f->conf = conf_load(NULL, err, sizeof(err))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_quar.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	free(f->conf->quarantine_dir);
	f->conf->quarantine_dir = xstrdup(f->dir);
	gzdopen_fails = 0;
	gzdopen_calls = 0;
	*state = f;
	return 0;
}

/* files_in - how many entries a directory tree holds (files and dirs) */
static int
files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[512];
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			n += files_in(path);
		else
			n++;
	}
	closedir(d);
	return n;
}

/* remove_tree - rm -r of the quarantine_dir, two levels deep */
static void
remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[512];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) < 0)
			remove_tree(path);
	}
	closedir(d);
	rmdir(dir);
}

/* teardown - remove the quarantine_dir */
static int
teardown(void **state)
{
	struct fixture *f = *state;

	remove_tree(f->dir);
	conf_free(&f->conf);
	free(f);
	return 0;
}

/* open_fds - descriptors this process has open */
static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the one opendir() holds */
}

/* blocked_txn - a spooled virus with one discarded recipient */
static struct txn *
blocked_txn(const struct conf *conf)
{
	struct txn *t = txn_create(conf, "127.0.0.1", 40000);
	char err[256];

	txn_add_rcpt(t, "rcpt@example.net", NULL);
	t->sender = "sender@example.org";
	rcpt_policy(t, t->rcpts, RCPT_DISCARDED, "VIRUS: Eicar-Test-Signature");
	t->ccat = TXN_CCAT_VIRUS;
	t->bank.v.virus_quarantine = CONF_Q_LOCAL;
	t->spool = spool_create("/tmp", t->id, err, sizeof(err));
	if (t->spool == NULL)
		fail_msg("spool_create: %s", err);
	spool_write(t->spool, MESSAGE, sizeof(MESSAGE) - 1);
	assert_int_equal(spool_commit(t->spool, err, sizeof(err)), 0);
	t->size = sizeof(MESSAGE) - 1;
	return t;
}

/* test_gzdopen_fails - a 451, no file, no descriptor left */
static void
test_gzdopen_fails(void **state)
{
	struct fixture *f = *state;
	struct txn *t;
	struct buf reply;
	int before;

	f->conf->quarantine_gzip = 1;
	t = blocked_txn(f->conf);
	before = open_fds();
	gzdopen_fails = 1;
	assert_int_equal(quar_record(t), -1);
	assert_int_equal(gzdopen_calls, 1);
	assert_int_equal(open_fds(), before);
	assert_int_equal(files_in(f->dir), 0);
	assert_int_equal(t->error, TXN_ERR_RECORD);
	assert_non_null(strstr(t->error_text, "cannot quarantine"));
	assert_null(t->quar_loc);
	buf_init(&reply, 128);
	reply_message(t, &reply);
	assert_int_equal(reply_code(&reply), 451);
	buf_release(&reply);
	txn_free(&t);
}

/* check_written - one file holding the fields and the message */
static void
check_written(struct fixture *f, struct txn *t, int gz)
{
	char path[512], data[4096];
	struct buf want;
	gzFile z;
	int n;

	assert_int_equal(files_in(f->dir), 1);
	assert_int_equal(t->quar_type, gz ? 'Z' : 'F');
	snprintf(path, sizeof(path), "%s/%s", f->dir, t->quar_loc);
	/* gzread() reads plain files as they are, too. */
	z = gzopen(path, "rb");
	assert_non_null(z);
	assert_int_equal(gzdirect(z), !gz);
	n = gzread(z, data, sizeof(data));
	gzclose(z);
	buf_init(&want, 512);
	quar_text(t, &want);
	buf_puts(&want, MESSAGE);
	assert_int_equal(n, (int)want.len);
	assert_memory_equal(data, want.data, want.len);
	buf_release(&want);
}

/* test_written - plain and gzipped, no descriptor left */
static void
test_written(void **state)
{
	struct fixture *f = *state;

	for (int gz = 0; gz <= 1; gz++) {
		struct txn *t;
		int before;

		f->conf->quarantine_gzip = gz;
		t = blocked_txn(f->conf);
		before = open_fds();
		assert_int_equal(quar_record(t), 0);
		assert_int_equal(t->error, TXN_OK);
		assert_int_equal(open_fds(), before);
		assert_int_equal(gzdopen_calls, gz);
		check_written(f, t, gz);
		txn_free(&t);
		remove_tree(f->dir);
		assert_int_equal(mkdir(f->dir, 0700), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gzdopen_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_written, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
