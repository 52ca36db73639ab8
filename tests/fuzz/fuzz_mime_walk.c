/*++
/* NAME
/*	fuzz_mime_walk 1
/* SUMMARY
/*	libFuzzer harness for the MIME walk and the header summary
/* SYNOPSIS
/*	fuzz_mime_walk [libFuzzer options] [corpus...]
/* DESCRIPTION
/*	Takes each input as a message as received (CRLF form), spools it
/*	in a private mkdtemp() directory (also tmp_dir: attached messages
/*	and embedded files are decoded there) and runs on it what a child
/*	runs: header_summary_read(), mime_parse() (with mime_names() for
/*	each part), then, as the checks read the parts, mime_part_head()
/*	of every leaf part and, for ambiguous MIME, mime_readings() of
/*	every other reading. txn_free() releases all of it.
/*
/*	Checks that mime_parse() succeeds (the spool is readable), that
/*	the part list and its count agree (for every reading too), that
/*	every name is non-empty, and that after the run no file is left
/*	in the directory and no descriptor is open that was not before.
/*--*/

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "mime/header_summary.h"
#include "mime/mime_parse.h"
#include "spool/spool.h"
#include "txn/txn.h"

static struct conf *conf;
static char dir[] = "/tmp/fuzz_mime_walk.XXXXXX";

/* remove_dir - at exit: the directory, empty after every run */
static void
remove_dir(void)
{
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	(void)argc;
	(void)argv;
	mime_init();
	conf = conf_load(NULL, err, sizeof(err));
	if (conf == NULL || mkdtemp(dir) == NULL)
		abort();
	atexit(remove_dir);
	free(conf->tmp_dir);
	conf->tmp_dir = strdup(dir);
	return 0;
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

/* reading - one other reading of ambiguous MIME: touch its parts */
static int
reading(struct txn *t, int fd, struct mime_summary *m, void *ctx)
{
	size_t n = 0;

	(void)t;
	(void)fd;
	for (const struct mime_part *p = m->parts; p; p = p->next)
		n++;
	if (n != m->n_parts)
		abort();
	++*(int *)ctx;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct txn *t;
	char err[256];
	char head[512];
	size_t n = 0;
	int fds = entries("/proc/self/fd");
	int readings = 0;

	t = txn_create(conf, "127.0.0.1", 25);
	t->spool = spool_create(dir, t->id, err, sizeof(err));
	if (t->spool == NULL)
		abort();
	spool_write(t->spool, (const char *)data, size);
	if (spool_commit(t->spool, err, sizeof(err)) < 0)
		abort();
	t->size = (off_t)size;
	if (header_summary_read(t) < 0 || mime_parse(t) < 0)
		abort();
	for (const struct mime_part *p = t->mime.parts; p; p = p->next) {
		n++;
		if (p->n_names && p->name != p->names[0])
			abort();
		for (size_t i = 0; i < p->n_names; i++)
			if (p->names[i] == NULL || p->names[i][0] == 0)
				abort();
		if (p->is_leaf)
			(void)mime_part_head(p, head, sizeof(head));
	}
	if (n != t->mime.n_parts)
		abort();
	if (t->mime.ambiguous && mime_readings(t, reading, &readings) < 0)
		abort();
	txn_free(&t);
	if (entries(dir) != 0 || entries("/proc/self/fd") != fds)
		abort();
	return 0;
}
