/*++
/* NAME
/*	test_childdir 1
/* SUMMARY
/*	unit tests for master/childdir.c
/* DESCRIPTION
/*	A child's private directory goes with all that is in it, and no
/*	symbolic link in it is followed: what a link points to outside is
/*	left as it was. childdir_clean() removes child.* entries only.
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

#include <cmocka.h>

#include "master/childdir.h"

struct fixture {
	char root[256];	   /* a fresh directory */
	char parent[300];  /* root/tmp: the tmp_dir */
	char outside[300]; /* root/outside: what links point to */
};

/* put - a file with text; fails the test on error */
static void
put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	fputs(text, fp);
	fclose(fp);
}

/* path_of - dir/name in a static buffer of each call's own */
static const char *
path_of(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
	return buf;
}

/* exists - lstat succeeds */
static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* rm_rf - the test's own cleanup (no symlink inside when it runs) */
static void
rm_rf(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
}

/* setup - root with tmp/ and outside/keep.txt */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char p[400];

	snprintf(f->root, sizeof(f->root), "%s/test_childdir.XXXXXX", base);
	if (mkdtemp(f->root) == NULL)
		return -1;
	snprintf(f->parent, sizeof(f->parent), "%s/tmp", f->root);
	snprintf(f->outside, sizeof(f->outside), "%s/outside", f->root);
	if (mkdir(f->parent, 0700) < 0 || mkdir(f->outside, 0700) < 0)
		return -1;
	put(path_of(p, sizeof(p), f->outside, "keep.txt"), "keep me\n");
	*state = f;
	return 0;
}

/* teardown - remove root */
static int
teardown(void **state)
{
	struct fixture *f = *state;

	rm_rf(f->root);
	free(f);
	return 0;
}

/* outside_intact - outside/ holds keep.txt, unchanged, and nothing else */
static void
outside_intact(const struct fixture *f)
{
	char p[400], text[64] = "";
	FILE *fp;

	fp = fopen(path_of(p, sizeof(p), f->outside, "keep.txt"), "r");
	assert_non_null(fp);
	assert_non_null(fgets(text, sizeof(text), fp));
	fclose(fp);
	assert_string_equal(text, "keep me\n");
	assert_false(exists(path_of(p, sizeof(p), f->outside, "spool")));
}

/* test_path - the name the master and the child agree on */
static void
test_path(void **state)
{
	char *p = childdir_path("/run/filterd/tmp", 1234);

	(void)state;
	assert_string_equal(p, "/run/filterd/tmp/child.1234");
	free(p);
}

/* test_remove_tree - files, directories and links: all go, not beyond */
static void
test_remove_tree(void **state)
{
	struct fixture *f = *state;
	char *dir = childdir_path(f->parent, 4242), p[400], q[512], err[512];

	assert_int_equal(mkdir(dir, 0700), 0);
	put(path_of(p, sizeof(p), dir, "Cg9qjbUl_neF"), "a spooled message");
	assert_int_equal(mkdir(path_of(p, sizeof(p), dir, "scantemp"), 0700),
			 0);
	assert_int_equal(mkdir(path_of(q, sizeof(q), p, "deeper"), 0500), 0);
	put(path_of(p, sizeof(p), dir, "scantemp/member"), "x");
	assert_int_equal(
		symlink(f->outside, path_of(p, sizeof(p), dir, "to-dir")), 0);
	snprintf(q, sizeof(q), "%s/keep.txt", f->outside);
	assert_int_equal(
		symlink(q, path_of(p, sizeof(p), dir, "scantemp/to-file")), 0);
	assert_int_equal(childdir_remove(f->parent, 4242, err, sizeof(err)), 0);
	assert_false(exists(dir));
	outside_intact(f);
	free(dir);
}

/* test_remove_absent - a child that died before making it */
static void
test_remove_absent(void **state)
{
	struct fixture *f = *state;
	char err[512];

	assert_int_equal(childdir_remove(f->parent, 77, err, sizeof(err)), 0);
}

/* test_remove_link - child.PID itself a link: the link goes, not beyond */
static void
test_remove_link(void **state)
{
	struct fixture *f = *state;
	char *dir = childdir_path(f->parent, 99), err[512];

	assert_int_equal(symlink(f->outside, dir), 0);
	assert_int_equal(childdir_remove(f->parent, 99, err, sizeof(err)), 0);
	assert_false(exists(dir));
	outside_intact(f);
	free(dir);
}

/* test_parent_link - a tmp_dir swapped for a link is not entered */
static void
test_parent_link(void **state)
{
	struct fixture *f = *state;
	char link[400], p[400], err[512];

	snprintf(link, sizeof(link), "%s/swapped", f->root);
	assert_int_equal(symlink(f->outside, link), 0);
	assert_int_equal(
		mkdir(path_of(p, sizeof(p), f->outside, "child.5"), 0700), 0);
	assert_int_equal(childdir_remove(link, 5, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "swapped"));
	assert_true(exists(p));
}

/* test_too_deep - a tree deeper than the limit is left, with an error */
static void
test_too_deep(void **state)
{
	struct fixture *f = *state;
	char *dir = childdir_path(f->parent, 7), path[8192], err[512];
	size_t len;

	snprintf(path, sizeof(path), "%s", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	for (int i = 0; i < CHILDDIR_MAX_DEPTH + 2; i++) {
		len = strlen(path);
		snprintf(path + len, sizeof(path) - len, "/d");
		assert_int_equal(mkdir(path, 0700), 0);
	}
	assert_int_equal(childdir_remove(f->parent, 7, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "levels deep"));
	free(dir);
}

/* test_clean - child.* entries go, other names stay */
static void
test_clean(void **state)
{
	struct fixture *f = *state;
	char p[400], err[512];
	int fd;

	assert_int_equal(
		mkdir(path_of(p, sizeof(p), f->parent, "child.1"), 0700), 0);
	put(path_of(p, sizeof(p), f->parent, "child.1/spool"), "m");
	assert_int_equal(
		mkdir(path_of(p, sizeof(p), f->parent, "child.2"), 0700), 0);
	assert_int_equal(symlink(f->outside,
				 path_of(p, sizeof(p), f->parent, "child.3")),
			 0);
	put(path_of(p, sizeof(p), f->parent, "not-ours"), "other");
	fd = open(f->parent, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(childdir_clean(fd, err, sizeof(err)), 3);
	close(fd);
	assert_false(exists(path_of(p, sizeof(p), f->parent, "child.1")));
	assert_false(exists(path_of(p, sizeof(p), f->parent, "child.2")));
	assert_false(exists(path_of(p, sizeof(p), f->parent, "child.3")));
	assert_true(exists(path_of(p, sizeof(p), f->parent, "not-ours")));
	outside_intact(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path),
		cmocka_unit_test_setup_teardown(test_remove_tree, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_remove_absent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_remove_link, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_parent_link, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_too_deep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
