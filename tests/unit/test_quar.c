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
/*
/*	openat() is wrapped too, so that O_TMPFILE can be refused as a file
/*	system without it refuses it (EOPNOTSUPP, EISDIR, EINVAL): the
/*	copy is then written under X/.tmp.MAIL_ID.PID and renamed, with the
/*	same name and content as with O_TMPFILE and no .tmp file left.
/*	quar_local_leftover(), the master's removal of such a file after a
/*	child died writing it, removes that child's file alone, follows no
/*	symbolic link and refuses what is not a mail_id.
/*--*/

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

static int tmpfile_errno; /* O_TMPFILE refused with this, when not 0 */
static int tmpfile_calls;

int __real_openat(int dfd, const char *path, int flags, ...);
int __wrap_openat(int dfd, const char *path, int flags, ...);

/* __wrap_openat - libc's, or a file system that has no O_TMPFILE */
int
__wrap_openat(int dfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & O_CREAT || (flags & O_TMPFILE) == O_TMPFILE)
		mode = va_arg(ap, mode_t);
	va_end(ap);
	if ((flags & O_TMPFILE) == O_TMPFILE) {
		tmpfile_calls++;
		if (tmpfile_errno) {
			errno = tmpfile_errno;
			return -1;
		}
	}
	return __real_openat(dfd, path, flags, mode);
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
	tmpfile_errno = 0;
	tmpfile_calls = 0;
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

/* check_loc - quar_loc is "X/virus-ID[.gz]", with O_TMPFILE or without */
static void
check_loc(const struct txn *t, int gz)
{
	char want[64];

	snprintf(want, sizeof(want), "%c/virus-%s%s", t->id[0], t->id,
		 gz ? ".gz" : "");
	assert_string_equal(t->quar_loc, want);
}

/* test_written_unnamed - with O_TMPFILE: asked for, and the same file */
static void
test_written_unnamed(void **state)
{
	struct fixture *f = *state;
	struct txn *t;

	t = blocked_txn(f->conf);
	assert_int_equal(quar_record(t), 0);
	assert_int_equal(tmpfile_calls, 1);
	check_written(f, t, 0);
	check_loc(t, 0);
	txn_free(&t);
}

/* test_fallback_written - no O_TMPFILE: the same file, nothing else */
static void
test_fallback_written(void **state)
{
	static const int refusals[] = {EOPNOTSUPP, EISDIR, EINVAL};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(refusals) / sizeof(*refusals); i++)
		for (int gz = 0; gz <= 1; gz++) {
			struct txn *t;
			int before;

			f->conf->quarantine_gzip = gz;
			tmpfile_errno = refusals[i];
			tmpfile_calls = 0;
			t = blocked_txn(f->conf);
			before = open_fds();
			assert_int_equal(quar_record(t), 0);
			assert_int_equal(tmpfile_calls, 1);
			assert_int_equal(t->error, TXN_OK);
			assert_int_equal(open_fds(), before);
			/* One file (no .tmp beside it), under its name. */
			check_written(f, t, gz);
			check_loc(t, gz);
			txn_free(&t);
			remove_tree(f->dir);
			assert_int_equal(mkdir(f->dir, 0700), 0);
		}
}

/* test_fallback_fails - no O_TMPFILE and gzdopen fails: no .tmp left */
static void
test_fallback_fails(void **state)
{
	struct fixture *f = *state;
	struct txn *t;
	int before;

	f->conf->quarantine_gzip = 1;
	tmpfile_errno = EOPNOTSUPP;
	gzdopen_fails = 1;
	t = blocked_txn(f->conf);
	before = open_fds();
	assert_int_equal(quar_record(t), -1);
	assert_int_equal(open_fds(), before);
	assert_int_equal(files_in(f->dir), 0);
	assert_int_equal(t->error, TXN_ERR_RECORD);
	txn_free(&t);
}

/* test_other_error - an O_TMPFILE error that is no refusal: a 451 */
static void
test_other_error(void **state)
{
	struct fixture *f = *state;
	struct txn *t;

	tmpfile_errno = ENOSPC;
	t = blocked_txn(f->conf);
	assert_int_equal(quar_record(t), -1);
	assert_int_equal(files_in(f->dir), 0);
	assert_int_equal(t->error, TXN_ERR_RECORD);
	assert_non_null(strstr(t->error_text, "No space left"));
	txn_free(&t);
}

/* put_file - dir/name with some text */
static void
put_file(const char *dir, const char *name)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (fp == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	fputs("partial\n", fp);
	fclose(fp);
}

/* there - dir/name exists (lstat) */
static int
there(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

/* test_leftover - the master removes a dead child's .tmp copy only */
static void
test_leftover(void **state)
{
	struct fixture *f = *state;
	const char *id = "Ab3-_xYz9QrS";
	char x[128], outside[128], link[160], err[256];

	snprintf(x, sizeof(x), "%s/A", f->dir);
	assert_int_equal(mkdir(x, 0700), 0);
	put_file(x, ".tmp.Ab3-_xYz9QrS.4242");	   /* the dead child's */
	put_file(x, ".tmp.Ab3-_xYz9QrS.4243");	   /* another process's */
	put_file(x, "virus-Ab3-_xYz9QrS.gz");	   /* a quarantined copy */
	put_file(x, ".tmp.Bb3-_xYz9QrS.4242.old"); /* not its name */
	assert_int_equal(
		quar_local_leftover(f->dir, id, 4242, err, sizeof(err)), 1);
	assert_false(there(x, ".tmp.Ab3-_xYz9QrS.4242"));
	assert_true(there(x, ".tmp.Ab3-_xYz9QrS.4243"));
	assert_true(there(x, "virus-Ab3-_xYz9QrS.gz"));
	assert_true(there(x, ".tmp.Bb3-_xYz9QrS.4242.old"));
	/* Gone already, no message in hand, no such directory: nothing. */
	assert_int_equal(
		quar_local_leftover(f->dir, id, 4242, err, sizeof(err)), 0);
	assert_int_equal(
		quar_local_leftover(f->dir, "", 4242, err, sizeof(err)), 0);
	assert_int_equal(quar_local_leftover(f->dir, "Zb3-_xYz9QrS", 4242, err,
					     sizeof(err)),
			 0);
	/* What a child may have scribbled in its slot is no path. */
	assert_int_equal(quar_local_leftover(f->dir, "../../etc/pa", 4242, err,
					     sizeof(err)),
			 -1);
	assert_int_equal(quar_local_leftover(f->dir, "A/../../x/yz", 4242, err,
					     sizeof(err)),
			 -1);
	assert_int_equal(
		quar_local_leftover(f->dir, "Ab3", 4242, err, sizeof(err)), -1);
	/* X a symbolic link (to where root could remove a file): refused. */
	snprintf(outside, sizeof(outside), "%s.outside", f->dir);
	assert_int_equal(mkdir(outside, 0700), 0);
	put_file(outside, ".tmp.Cb3-_xYz9QrS.4242");
	snprintf(link, sizeof(link), "%s/C", f->dir);
	assert_int_equal(symlink(outside, link), 0);
	assert_int_equal(quar_local_leftover(f->dir, "Cb3-_xYz9QrS", 4242, err,
					     sizeof(err)),
			 -1);
	assert_true(there(outside, ".tmp.Cb3-_xYz9QrS.4242"));
	remove_tree(outside);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gzdopen_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_written_unnamed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fallback_written, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fallback_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_leftover, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
