/*++
/* NAME
/*	spamd 3
/* SUMMARY
/*	client for SpamAssassin's spamd (SPAMC/1.5)
/* DESCRIPTION
/*	See spamd.h. The request is the one spamc sends for "spamc -y":
/*
/*	    SYMBOLS SPAMC/1.5\r\n
/*	    Content-length: N\r\n
/*	    User: U\r\n
/*	    \r\n
/*	    <N bytes of message>
/*
/*	and spamd answers with one reply, then closes the connection. The
/*	reply is read until Content-length bytes of body have arrived (or
/*	until EOF when there is no Content-length, as in error replies).
/*--*/

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "spamd.h"
#include "util/inet.h"
#include "util/stream.h"
#include "util/xalloc.h"

#define SPAMD_USER_MAX 256

/* spamd_result_init - an empty result */
void
spamd_result_init(struct spamd_result *res)
{
	res->score = res->threshold = 0;
	res->is_spam = 0;
	buf_init(&res->symbols, 256);
}

/* spamd_result_release - free the symbol storage */
void
spamd_result_release(struct spamd_result *res)
{
	buf_release(&res->symbols);
}

/* spamd_next_line - the next line of [*p, end); 0 at end of input */
static int
spamd_next_line(const char **p, const char *end, const char **line, size_t *len,
		int *has_lf)
{
	const char *eol;

	if (*p >= end)
		return 0;
	*line = *p;
	eol = memchr(*p, '\n', (size_t)(end - *p));
	*has_lf = eol != NULL;
	if (eol == NULL)
		eol = end;
	*p = *has_lf ? eol + 1 : end;
	if (eol > *line && eol[-1] == '\r')
		eol--;
	*len = (size_t)(eol - *line);
	return 1;
}

/* spamd_status - "SPAMD/1.1 0 EX_OK": 0 if the code is 0 */
static int
spamd_status(const char *line, size_t len, char *errbuf, size_t errsize)
{
	char text[256];
	char *p, *end;
	long code;

	if (len >= sizeof(text)) {
		snprintf(errbuf, errsize, "spamd: status line too long");
		return -1;
	}
	memcpy(text, line, len);
	text[len] = 0;
	if (strncmp(text, "SPAMD/", 6) != 0 ||
	    !isdigit((unsigned char)text[6])) {
		snprintf(errbuf, errsize, "spamd: bad status line \"%s\"",
			 text);
		return -1;
	}
	for (p = text + 6; isdigit((unsigned char)*p) || *p == '.'; p++)
		;
	if (*p != ' ' || !isdigit((unsigned char)p[1])) {
		snprintf(errbuf, errsize, "spamd: bad status line \"%s\"",
			 text);
		return -1;
	}
	errno = 0;
	code = strtol(p + 1, &end, 10);
	if (errno || (*end != 0 && *end != ' ')) {
		snprintf(errbuf, errsize, "spamd: bad status line \"%s\"",
			 text);
		return -1;
	}
	if (code != 0) {
		snprintf(errbuf, errsize, "spamd: %s", p + 1);
		return -1;
	}
	return 0;
}

/* spamd_number - a finite decimal number; the text after it or NULL */
static char *
spamd_number(char *p, double *val)
{
	char *end;

	while (*p == ' ' || *p == '\t')
		p++;
	errno = 0;
	*val = strtod(p, &end);
	if (end == p || errno || !isfinite(*val))
		return NULL;
	while (*end == ' ' || *end == '\t')
		end++;
	return end;
}

/* spamd_spam_header - "True ; 15.2 / 5.0" */
static int
spamd_spam_header(const char *value, size_t len, struct spamd_result *res)
{
	char text[256];
	char *p = text, *word;
	size_t wlen;

	if (len >= sizeof(text))
		return -1;
	memcpy(text, value, len);
	text[len] = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	for (word = p; isalpha((unsigned char)*p); p++)
		;
	wlen = (size_t)(p - word);
	/* spamd says True/False; old versions and proxies Yes/No. */
	if ((wlen == 4 && strncasecmp(word, "True", 4) == 0) ||
	    (wlen == 3 && strncasecmp(word, "Yes", 3) == 0))
		res->is_spam = 1;
	else if ((wlen == 5 && strncasecmp(word, "False", 5) == 0) ||
		 (wlen == 2 && strncasecmp(word, "No", 2) == 0))
		res->is_spam = 0;
	else
		return -1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != ';')
		return -1;
	if ((p = spamd_number(p, &res->score)) == NULL || *p++ != '/')
		return -1;
	if ((p = spamd_number(p, &res->threshold)) == NULL || *p != 0)
		return -1;
	return 0;
}

/* spamd_content_length - a decimal byte count */
static int
spamd_content_length(const char *value, size_t len, size_t *clen)
{
	size_t n = 0;
	size_t i = 0;

	while (i < len && (value[i] == ' ' || value[i] == '\t'))
		i++;
	if (i == len)
		return -1;
	for (; i < len && isdigit((unsigned char)value[i]); i++) {
		if (n > SPAMD_REPLY_MAX)
			return -1;
		n = n * 10 + (size_t)(value[i] - '0');
	}
	while (i < len && (value[i] == ' ' || value[i] == '\t'))
		i++;
	if (i != len)
		return -1;
	*clen = n;
	return 0;
}

/* spamd_header_is - "Name:" at the start of a line, case-insensitively */
static int
spamd_header_is(const char *line, size_t len, const char *name,
		const char **value, size_t *vlen)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return 0;
	*value = line + n + 1;
	*vlen = len - n - 1;
	return 1;
}

/* spamd_parse_reply - parse one complete SYMBOLS reply */
int
spamd_parse_reply(const char *reply, size_t len, struct spamd_result *res,
		  char *errbuf, size_t errsize)
{
	const char *p = reply, *end = reply + len, *line, *value, *s, *e;
	size_t llen, vlen, clen = 0;
	int has_lf, have_spam = 0, have_clen = 0, ended = 0;

	res->score = res->threshold = 0;
	res->is_spam = 0;
	buf_reset(&res->symbols);
	if (!spamd_next_line(&p, end, &line, &llen, &has_lf)) {
		snprintf(errbuf, errsize, "spamd: empty reply");
		return -1;
	}
	if (spamd_status(line, llen, errbuf, errsize) < 0)
		return -1;
	while (spamd_next_line(&p, end, &line, &llen, &has_lf)) {
		if (llen == 0 && has_lf) {
			ended = 1;
			break;
		}
		if (!has_lf)
			break;
		if (spamd_header_is(line, llen, "Spam", &value, &vlen)) {
			if (spamd_spam_header(value, vlen, res) < 0) {
				snprintf(errbuf, errsize,
					 "spamd: bad Spam header \"%.*s\"",
					 (int)(llen > 200 ? 200 : llen), line);
				return -1;
			}
			have_spam = 1;
		} else if (spamd_header_is(line, llen, "Content-length", &value,
					   &vlen)) {
			if (spamd_content_length(value, vlen, &clen) < 0) {
				snprintf(errbuf, errsize,
					 "spamd: bad Content-length header");
				return -1;
			}
			have_clen = 1;
		}
	}
	if (!ended) {
		snprintf(errbuf, errsize, "spamd: truncated reply headers");
		return -1;
	}
	if (!have_spam) {
		snprintf(errbuf, errsize, "spamd: no Spam header in reply");
		return -1;
	}
	s = p;
	e = end;
	if (have_clen) {
		if ((size_t)(end - p) < clen) {
			snprintf(
				errbuf, errsize,
				"spamd: truncated reply: %zu of %zu body bytes",
				(size_t)(end - p), clen);
			return -1;
		}
		e = p + clen;
	}
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	/* Symbols are SA rule names: word characters, comma-separated. */
	for (const char *q = s; q < e; q++) {
		if (!isalnum((unsigned char)*q) && *q != '_' && *q != ',') {
			snprintf(errbuf, errsize,
				 "spamd: bad character 0x%02x in symbols",
				 (unsigned char)*q);
			return -1;
		}
	}
	buf_append(&res->symbols, s, (size_t)(e - s));
	return 0;
}

/* spamd_connect_unix - connect to a unix socket with a timeout */
static int
spamd_connect_unix(const char *path, int timeout, char *errbuf, size_t errsize)
{
	struct sockaddr_un sun;
	struct pollfd pfd;
	socklen_t elen = sizeof(int);
	int fd, err = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(errbuf, errsize, "%s: socket path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(errbuf, errsize, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = errno;
		if (err == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, timeout > 0 ? timeout * 1000 : -1) <=
			    0)
				err = ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
					    &elen) < 0)
				err = errno;
		}
	}
	if (err) {
		snprintf(errbuf, errsize, "connect to %s: %s", path,
			 strerror(err));
		close(fd);
		return -1;
	}
	return fd;
}

/* spamd_reply_complete - headers ended and Content-length bytes read? */
static int
spamd_reply_complete(const char *data, size_t len)
{
	const char *p = data, *end = data + len, *line, *value;
	size_t llen, vlen, clen = 0;
	int has_lf, have_clen = 0;

	/* The status line, then headers up to the empty line. */
	if (!spamd_next_line(&p, end, &line, &llen, &has_lf) || !has_lf)
		return 0;
	while (spamd_next_line(&p, end, &line, &llen, &has_lf) && has_lf) {
		if (llen == 0)
			return have_clen && (size_t)(end - p) >= clen;
		if (spamd_header_is(line, llen, "Content-length", &value,
				    &vlen) &&
		    spamd_content_length(value, vlen, &clen) == 0)
			have_clen = 1;
	}
	return 0;
}

/* spamd_send - the request and the message, streamed from the spool */
static int
spamd_send(struct stream *s, int fd, off_t size, const char *user, char *errbuf,
	   size_t errsize)
{
	char *chunk = xmalloc(SPAMD_CHUNK);
	off_t off = 0;
	ssize_t n;
	size_t want;
	int rc = 0;

	stream_printf(s, "SYMBOLS SPAMC/1.5\r\nContent-length: %lld\r\n",
		      (long long)size);
	if (user && *user)
		stream_printf(s, "User: %s\r\n", user);
	stream_puts(s, "\r\n");
	while (off < size && stream_error(s) == STREAM_OK) {
		want = size - off > SPAMD_CHUNK ? SPAMD_CHUNK
						: (size_t)(size - off);
		n = pread(fd, chunk, want, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(errbuf, errsize, "read spool file: %s",
				 strerror(errno));
			rc = -1;
			break;
		}
		if (n == 0) {
			snprintf(errbuf, errsize,
				 "spool file ends at %lld of %lld bytes",
				 (long long)off, (long long)size);
			rc = -1;
			break;
		}
		stream_write(s, chunk, (size_t)n);
		off += n;
	}
	free(chunk);
	if (rc == 0 && stream_flush(s) < 0) {
		snprintf(errbuf, errsize, "write to spamd: %s",
			 stream_strerror(s));
		rc = -1;
	}
	return rc;
}

/* spamd_receive - read the reply, up to SPAMD_REPLY_MAX bytes */
static int
spamd_receive(struct stream *s, struct buf *reply, char *errbuf, size_t errsize)
{
	const char *data;
	ssize_t n;

	for (;;) {
		if ((n = stream_peek(s, &data)) < 0) {
			if (stream_error(s) == STREAM_EOF && reply->len > 0)
				return 0;
			snprintf(errbuf, errsize, "read from spamd: %s",
				 stream_error(s) == STREAM_EOF
					 ? "connection closed without reply"
					 : stream_strerror(s));
			return -1;
		}
		if (reply->len + (size_t)n > SPAMD_REPLY_MAX) {
			snprintf(errbuf, errsize,
				 "spamd: reply longer than %d bytes",
				 SPAMD_REPLY_MAX);
			return -1;
		}
		buf_append(reply, data, (size_t)n);
		stream_consume(s, (size_t)n);
		if (spamd_reply_complete(reply->data, reply->len))
			return 0;
	}
}

/* spamd_check - ask spamd about one spooled message */
int
spamd_check(const char *address, int timeout, int fd, off_t size,
	    const char *user, struct spamd_result *res, char *errbuf,
	    size_t errsize)
{
	char host[256], port[32];
	struct stream *s;
	struct buf reply;
	int sfd, rc;

	if (user &&
	    (strlen(user) > SPAMD_USER_MAX || strpbrk(user, "\r\n") != NULL)) {
		snprintf(errbuf, errsize, "bad spamd user name");
		return -1;
	}
	if (size < 0) {
		snprintf(errbuf, errsize, "bad message size %lld",
			 (long long)size);
		return -1;
	}
	if (address[0] == '/') {
		sfd = spamd_connect_unix(address, timeout, errbuf, errsize);
	} else if (inet_split_hostport(address, host, sizeof(host), port,
				       sizeof(port)) < 0) {
		snprintf(errbuf, errsize, "bad spamd address \"%s\"", address);
		return -1;
	} else {
		sfd = inet_connect(host, port, timeout, errbuf, errsize);
	}
	if (sfd < 0)
		return -1;
	s = stream_open(sfd, SPAMD_CHUNK);
	stream_set_timeout(s, timeout);
	buf_init(&reply, 1024);
	rc = spamd_send(s, fd, size, user, errbuf, errsize);
	if (rc == 0) {
		/* All sent: spamd may read to EOF instead of counting. */
		(void)shutdown(stream_fd(s), SHUT_WR);
		rc = spamd_receive(s, &reply, errbuf, errsize);
	}
	if (rc == 0)
		rc = spamd_parse_reply(reply.data, reply.len, res, errbuf,
				       errsize);
	buf_release(&reply);
	stream_close(&s);
	return rc;
}
