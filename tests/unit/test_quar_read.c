/*++
/* NAME
/*	test_quar_read 1
/* SUMMARY
/*	unit tests for quarantine/quar_read.c (the local file part)
/* DESCRIPTION
/*	In a scratch quarantine_dir: a plain and a gzipped copy are read
/*	whole and found by their mail_id; a symbolic link (to a readable
/*	file), a FIFO and a directory under a quarantine name are refused
/*	and give nothing to the sink, as is a file under a directory of
/*	mail_file that is a symbolic link; mail_file paths are checked.
/*--*/

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

#include "quarantine/quar_read.h"
#include "util/buf.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

static const char text[] = "X-Quarantine-ID: <VabcdefGHIJ1>\r\n\r\nbody\r\n";

/* sink - collect what the reader gives */
static void
sink(void *ctx, const char *data, size_t len)
{
	buf_append(ctx, data, len);
}

/* put - write a file under dir */
static void
put(const char *dir, const char *name, const char *data, int gz)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (gz) {
		gzFile z = gzopen(path, "wb");

		assert_non_null(z);
		assert_int_equal(gzwrite(z, data, (unsigned)strlen(data)),
				 (int)strlen(data));
		assert_int_equal(gzclose(z), Z_OK);
	} else {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(data, f);
		assert_int_equal(fclose(f), 0);
	}
}

/* setup - a scratch quarantine_dir with V/ and W/ */
static int
setup(void **state)
{
	char *dir = strdup("/tmp/test_quar_read.XXXXXX");
	char sub[512];

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sub, sizeof(sub), "%s/V", dir);
	mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/W", dir);
	mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/S", dir);
	mkdir(sub, 0700);
	*state = dir;
	return 0;
}

/* teardown - remove the scratch directory */
static int
teardown(void **state)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	(void)system(cmd);
	free(*state);
	return 0;
}

/* test_read_plain_and_gzip - both read whole, found by mail_id */
static void
test_read_plain_and_gzip(void **state)
{
	const char *dir = *state;
	char err[256], file[256], type = 0;
	struct buf b;

	put(dir, "V/virus-VabcdefGHIJ1", text, 0);
	put(dir, "W/spam-WabcdefGHIJ1.gz", text, 1);
	buf_init(&b, 64);
	assert_int_equal(quar_read_file(dir, "V/virus-VabcdefGHIJ1", sink, &b,
					err, sizeof(err)),
			 0);
	assert_int_equal(b.len, strlen(text));
	assert_memory_equal(b.data, text, b.len);
	buf_reset(&b);
	assert_int_equal(quar_read_file(dir, "W/spam-WabcdefGHIJ1.gz", sink, &b,
					err, sizeof(err)),
			 0);
	assert_memory_equal(b.data, text, b.len);
	assert_int_equal(
		quar_read_find(dir, "WabcdefGHIJ1", file, sizeof(file), &type),
		1);
	assert_string_equal(file, "W/spam-WabcdefGHIJ1.gz");
	assert_int_equal(type, 'Z');
	assert_int_equal(
		quar_read_find(dir, "VabcdefGHIJ1", file, sizeof(file), &type),
		1);
	assert_string_equal(file, "V/virus-VabcdefGHIJ1");
	assert_int_equal(type, 'F');
	assert_int_equal(
		quar_read_find(dir, "VnotThere001", file, sizeof(file), &type),
		0);
	buf_release(&b);
}

/* test_refuse_link_fifo_dir - no symlink followed, regular files only */
static void
test_refuse_link_fifo_dir(void **state)
{
	const char *dir = *state;
	char err[256], path[512], target[512];
	struct buf b;

	snprintf(target, sizeof(target), "%s/secret", dir);
	put(dir, "secret", "root: secret-hash-line\n", 0);
	snprintf(path, sizeof(path), "%s/S/virus-SsymLink0001", dir);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/S/virus-SfifoFifo001", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/S/virus-SdirDirDir01", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	buf_init(&b, 64);
	err[0] = 0;
	assert_int_equal(quar_read_file(dir, "S/virus-SsymLink0001", sink, &b,
					err, sizeof(err)),
			 -1);
	assert_true(err[0] != 0);
	assert_int_equal(quar_read_file(dir, "S/virus-SfifoFifo001", sink, &b,
					err, sizeof(err)),
			 -1);
	assert_int_equal(quar_read_file(dir, "S/virus-SdirDirDir01", sink, &b,
					err, sizeof(err)),
			 -1);
	assert_int_equal(
		quar_read_file(dir, "../secret", sink, &b, err, sizeof(err)),
		-1);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

/*
 * test_refuse_linked_directory - a symlink as a directory of mail_file
 * is not followed either: L -> a directory outside quarantine_dir
 */
static void
test_refuse_linked_directory(void **state)
{
	const char *dir = *state;
	char err[256], outside[512], path[600];
	struct buf b;

	snprintf(outside, sizeof(outside), "%s.outside", dir);
	assert_int_equal(mkdir(outside, 0700), 0);
	put(outside, "virus-LabcdefGHIJ1", text, 0);
	snprintf(path, sizeof(path), "%s/L", dir);
	assert_int_equal(symlink(outside, path), 0);
	buf_init(&b, 64);
	err[0] = 0;
	assert_int_equal(quar_read_file(dir, "L/virus-LabcdefGHIJ1", sink, &b,
					err, sizeof(err)),
			 -1);
	assert_true(err[0] != 0);
	assert_int_equal(b.len, 0);
	buf_release(&b);
	snprintf(path, sizeof(path), "%s/virus-LabcdefGHIJ1", outside);
	(void)unlink(path);
	(void)rmdir(outside);
}

struct path_case {
	const char *path;
	int ok;
};

static const struct path_case path_cases[] = {
	{"V/virus-VabcdefGHIJ1", 1},
	{"spam/U/UM3XM3XDbN52.gz", 1},
	{"virus-abc+def==", 1},
	{"", 0},
	{"/etc/passwd", 0},
	{"../x", 0},
	{"a/../x", 0},
	{"a/./x", 0},
	{"a//x", 0},
	{"a/..", 0},
	{"a b", 0},
	{"a\nb", 0},
};

/* test_path_ok - mail_file paths */
static void
test_path_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(path_cases); i++)
		assert_int_equal(quar_read_path_ok(path_cases[i].path),
				 path_cases[i].ok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_plain_and_gzip),
		cmocka_unit_test(test_refuse_link_fifo_dir),
		cmocka_unit_test(test_refuse_linked_directory),
		cmocka_unit_test(test_path_ok),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
