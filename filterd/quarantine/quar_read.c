/*++
/* NAME
/*	quar_read 3
/* SUMMARY
/*	the one reader of a quarantined copy: SQL chunks or a local file
/* DESCRIPTION
/*	See quar_read.h.
/*--*/

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "db/db.h"
#include "quarantine/quar_read.h"
#include "util/hex.h"
#include "util/xalloc.h"

#define QUAR_READ_PATH_MAX 200

/* quar_read_row - the first msgs row: partition_tag, quar_type, quar_loc */
static int
quar_read_row(void *ctx, const char *const *v, size_t n)
{
	struct quar_where *w = ctx;

	if (w->rows++ == 0 && n >= 3) {
		w->partition = v[0] ? atoi(v[0]) : 0;
		w->quar_type = v[1] && v[1][0] != ' ' ? v[1][0] : 0;
		snprintf(w->quar_loc, sizeof(w->quar_loc), "%s",
			 v[2] ? v[2] : "");
	}
	return 0;
}

/* quar_read_where - the msgs rows of a mail_id */
int
quar_read_where(MYSQL *c, const char *mail_id, int partition,
		struct quar_where *w, char *err, size_t errsize)
{
	struct db_param p[2] = {{DB_STR, mail_id, 0, 0, 0},
				{DB_INT, NULL, 0, partition, 0}};

	memset(w, 0, sizeof(*w));
	if (db_select(c,
		      partition >= 0
			      ? "SELECT partition_tag, quar_type, quar_loc "
				"FROM msgs WHERE mail_id = ? AND "
				"partition_tag = ?"
			      : "SELECT partition_tag, quar_type, quar_loc "
				"FROM msgs WHERE mail_id = ?",
		      p, partition >= 0 ? 2 : 1, quar_read_row, w, err,
		      errsize) != 0)
		return -1;
	return 0;
}

/* The state of quar_read_sql(). */
struct quar_read_chunks {
	quar_read_sink sink;
	void *ctx;
	unsigned long n;
};

/* quar_read_chunk - one chunk, as HEX(mail_text), to the sink */
static int
quar_read_chunk(void *ctx, const char *const *v, size_t n)
{
	struct quar_read_chunks *q = ctx;
	const char *hex = n > 0 && v[0] ? v[0] : "";
	size_t len = strlen(hex) / 2;
	char *bin = xmalloc(len + 1);

	for (size_t i = 0; i < len; i++)
		/* HEX() writes digits only: no -1 to meet here. */
		bin[i] = (char)(hex_value(hex[2 * i]) << 4 |
				hex_value(hex[2 * i + 1]));
	q->sink(q->ctx, bin, len);
	free(bin);
	q->n++;
	return 0;
}

/* quar_read_sql - the quarantine chunks of a mail_id, in order */
int
quar_read_sql(MYSQL *c, const char *mail_id, int partition, quar_read_sink sink,
	      void *ctx, unsigned long *chunks_r, char *err, size_t errsize)
{
	struct quar_read_chunks q = {sink, ctx, 0};
	struct db_param p[2] = {{DB_INT, NULL, 0, partition, 0},
				{DB_STR, mail_id, 0, 0, 0}};
	unsigned rc;

	rc = db_select(c,
		       "SELECT HEX(mail_text) FROM quarantine WHERE "
		       "partition_tag = ? AND mail_id = ? ORDER BY chunk_ind",
		       p, 2, quar_read_chunk, &q, err, errsize);
	*chunks_r = q.n;
	return rc ? -1 : 0;
}

/* quar_read_path_ok - relative, safe charset, no "." or ".." component */
int
quar_read_path_ok(const char *path)
{
	const char *p;

	if (path[0] == 0 || path[0] == '/' || strlen(path) > QUAR_READ_PATH_MAX)
		return 0;
	for (p = path; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("._+=-/", *p) == NULL)
			return 0;
	for (p = path; *p;) {
		size_t len = strcspn(p, "/");

		if (len == 0 || (len == 2 && strncmp(p, "..", 2) == 0) ||
		    (len == 1 && *p == '.'))
			return 0;
		p += len;
		p += *p == '/';
	}
	return 1;
}

/* quar_read_find - dir/X/KIND-MAIL_ID[.gz], by name */
int
quar_read_find(const char *dir, const char *mail_id, char *mail_file,
	       size_t size, char *quar_type_r)
{
	char sub[4200];
	size_t idlen = strlen(mail_id);
	struct dirent *d;
	DIR *dp;
	int found = 0;

	if (idlen == 0 || strchr(mail_id, '/') != NULL || mail_id[0] == '.')
		return 0;
	snprintf(sub, sizeof(sub), "%s/%c", dir, mail_id[0]);
	if ((dp = opendir(sub)) == NULL)
		return 0;
	while (!found && (d = readdir(dp)) != NULL) {
		size_t len = strlen(d->d_name);
		int gz = len > 3 && strcmp(d->d_name + len - 3, ".gz") == 0;
		size_t end = gz ? len - 3 : len;

		/* KIND-MAIL_ID or KIND-MAIL_ID.gz (the id may hold '-'). */
		if (d->d_name[0] == '.' || end < idlen + 2 ||
		    d->d_name[end - idlen - 1] != '-' ||
		    strncmp(d->d_name + end - idlen, mail_id, idlen) != 0 ||
		    len + 3 > size)
			continue;
		snprintf(mail_file, size, "%c/%s", mail_id[0], d->d_name);
		*quar_type_r = gz ? 'Z' : 'F';
		found = quar_read_path_ok(mail_file);
	}
	closedir(dp);
	return found;
}

/*
 * quar_read_open - open dir/mail_file (a checked path) following no
 * symbolic link below dir: each directory of mail_file is opened with
 * O_NOFOLLOW too, not only its last component. -1 with errno.
 */
static int
quar_read_open(const char *dir, const char *mail_file)
{
	char comp[QUAR_READ_PATH_MAX + 1];
	const char *p = mail_file;
	int fd, next, saved;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	for (;;) {
		size_t len = strcspn(p, "/");

		memcpy(comp, p, len);
		comp[len] = 0;
		/* O_NONBLOCK: a FIFO put there must not hang the open. */
		next = openat(fd, comp,
			      O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
				      (p[len] ? O_DIRECTORY : O_NONBLOCK));
		saved = errno;
		(void)close(fd);
		errno = saved;
		if (next < 0 || p[len] == 0)
			return next;
		fd = next;
		p += len + 1;
	}
}

/* quar_read_file - a local quarantine file, plain or gzip, to the sink */
int
quar_read_file(const char *dir, const char *mail_file, quar_read_sink sink,
	       void *ctx, char *err, size_t errsize)
{
	char chunk[65536];
	struct stat st;
	gzFile z;
	int fd, n, zerr;

	if (!quar_read_path_ok(mail_file)) {
		snprintf(err, errsize, "unsafe mail_file");
		return -1;
	}
	fd = quar_read_open(dir, mail_file);
	if (fd < 0) {
		snprintf(err, errsize, "cannot open quarantine file %s: %s",
			 mail_file, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "quarantine file %s: not a regular file",
			 mail_file);
		(void)close(fd);
		return -1;
	}
	if ((z = gzdopen(fd, "rb")) == NULL) {
		(void)close(fd);
		snprintf(err, errsize, "cannot read %s", mail_file);
		return -1;
	}
	/* zlib reads a file that is not gzip as it is (quar_type F). */
	while ((n = gzread(z, chunk, sizeof(chunk))) > 0)
		sink(ctx, chunk, (size_t)n);
	/* A gzip copy cut short ends in 0 with Z_BUF_ERROR ("unexpected
	 * end of file"): an error, not the end of the message. */
	if (n == 0 && (gzerror(z, &zerr), zerr != Z_OK))
		n = -1;
	if (n < 0)
		snprintf(err, errsize, "cannot read %s: %s", mail_file,
			 gzerror(z, &zerr));
	(void)gzclose(z);
	return n < 0 ? -1 : 0;
}
