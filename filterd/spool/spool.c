/*++
/* NAME
/*	spool 3
/* SUMMARY
/*	the spool file of one message in flight
/* DESCRIPTION
/*	Writes go through a stream (STYLE rule 16): many writes, one check.
/*--*/

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "util/buf.h"
#include "util/stream.h"
#include "util/xalloc.h"

struct spool {
	char *path;
	struct stream *out;
	off_t size;
};

/* spool_create - a new, empty spool file */
struct spool *
spool_create(const char *dir, const char *id, char *errbuf, size_t errsize)
{
	struct spool *sp;
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, id);
	/* Non-blocking means nothing to a file, but the stream asks it. */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NONBLOCK,
		  0600);
	if (fd < 0) {
		snprintf(errbuf, errsize, "create %s: %s", path,
			 strerror(errno));
		return NULL;
	}
	sp = xcalloc(1, sizeof(*sp));
	sp->path = xstrdup(path);
	sp->out = stream_open(fd, 65536);
	return sp;
}

/* spool_write - append message bytes */
void
spool_write(struct spool *sp, const char *data, size_t len)
{
	stream_write(sp->out, data, len);
	sp->size += (off_t)len;
}

/* spool_commit - flush; every write error surfaces here */
int
spool_commit(struct spool *sp, char *errbuf, size_t errsize)
{
	if (stream_flush(sp->out) < 0) {
		snprintf(errbuf, errsize, "write %s: %s", sp->path,
			 stream_strerror(sp->out));
		return -1;
	}
	return 0;
}

/* spool_fd - the descriptor, for pread */
int
spool_fd(const struct spool *sp)
{
	return stream_fd(sp->out);
}

/* spool_size - bytes written */
off_t
spool_size(const struct spool *sp)
{
	return sp->size;
}

/* spool_header - the header section, read in steps; see spool.h */
int
spool_header(const struct spool *sp, size_t max, struct buf *out)
{
	size_t start = out->len, want = 8192;
	off_t off = 0;

	while ((size_t)off < max && off < sp->size) {
		size_t seen = out->len - start;
		char chunk[65536];
		const char *end;
		ssize_t n;

		if (want > max - (size_t)off)
			want = max - (size_t)off;
		if ((n = pread(stream_fd(sp->out), chunk, want, off)) <= 0)
			return -1;
		buf_append(out, chunk, (size_t)n);
		off += n;
		/* The empty line may straddle two reads: look 3 bytes back. */
		seen = seen > 3 ? seen - 3 : 0;
		end = memmem(out->data + start + seen, out->len - start - seen,
			     "\r\n\r\n", 4);
		if (end) {
			buf_truncate(out, (size_t)(end - out->data) + 2);
			return 1;
		}
		/* Headers are mostly small; a large one is read in large steps. */
		want = sizeof(chunk);
	}
	return 0;
}

/* spool_read_all - the whole message, piece by piece, to fn */
int
spool_read_all(const struct spool *sp, size_t chunk,
	       int (*fn)(void *ctx, const char *data, size_t len), void *ctx,
	       char *errbuf, size_t errsize)
{
	size_t size = (off_t)chunk < sp->size ? chunk : (size_t)sp->size;
	char *buf = xmalloc(size ? size : 1);
	off_t off = 0;
	int ret = 0;

	while (off < sp->size) {
		size_t want = sp->size - off < (off_t)size
				      ? (size_t)(sp->size - off)
				      : size;
		ssize_t n = pread(stream_fd(sp->out), buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(errbuf, errsize, "spool: %s",
				 n == 0 ? "short read" : strerror(errno));
			ret = -1;
			break;
		}
		off += n;
		if (fn(ctx, buf, (size_t)n))
			break;
	}
	free(buf);
	return ret;
}

/* spool_remove - unlink and close */
void
spool_remove(struct spool **spp)
{
	struct spool *sp = *spp;

	if (sp == NULL)
		return;
	(void)unlink(sp->path);
	stream_close(&sp->out);
	free(sp->path);
	free(sp);
	*spp = NULL;
}
