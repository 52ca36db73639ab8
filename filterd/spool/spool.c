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
