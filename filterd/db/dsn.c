/*++
/* NAME
/*	dsn 3
/* SUMMARY
/*	MariaDB/MySQL data source names
/*--*/

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dsn.h"
#include "util/hex.h"

#define DSN_SCHEME "mysql://"
#define DSN_UNIX "unix("

/* dsn_error - format the reason, return -1 */
static int __attribute__((format(printf, 3, 4)))
dsn_error(char *errbuf, size_t errsize, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (errsize == 0)
		return -1;
	n = snprintf(errbuf, errsize, "bad DSN: ");
	if (n < 0 || (size_t)n >= errsize)
		return -1;
	va_start(ap, fmt);
	vsnprintf(errbuf + n, errsize - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* dsn_decode - percent-decode [s, end) into out; what names the part */
static int
dsn_decode(const char *s, const char *end, char *out, size_t size,
	   const char *what, char *errbuf, size_t errsize)
{
	size_t n = 0;

	while (s < end) {
		unsigned char c = (unsigned char)*s;
		int hi, lo;

		if (c == '%') {
			if (end - s < 3 || (hi = hex_value(s[1])) < 0 ||
			    (lo = hex_value(s[2])) < 0)
				return dsn_error(errbuf, errsize,
						 "%s: '%%' must start a %%XX "
						 "escape",
						 what);
			c = (unsigned char)(hi * 16 + lo);
			if (c == 0)
				return dsn_error(errbuf, errsize,
						 "%s: %%00 is not allowed",
						 what);
			s += 3;
		} else {
			if (c <= ' ' || c == 0x7f)
				return dsn_error(errbuf, errsize,
						 "%s: write white space and "
						 "control characters as %%XX",
						 what);
			if (c == '@' || c == '/' || c == '?' || c == '#')
				return dsn_error(errbuf, errsize,
						 "%s: write '%c' as %%%02X",
						 what, c, c);
			s++;
		}
		if (n + 1 >= size)
			return dsn_error(errbuf, errsize,
					 "%s: longer than %zu bytes", what,
					 size - 1);
		out[n++] = (char)c;
	}
	out[n] = 0;
	return 0;
}

/* dsn_host_char - a character of a host name or IPv4 address */
static int
dsn_host_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

/* dsn_userinfo_end - the '@' that ends user:password, or NULL */
static const char *
dsn_userinfo_end(const char *p)
{
	const char *at;

	/* A socket path may hold '@'; user and password may not. */
	if ((at = strstr(p, "@" DSN_UNIX)) != NULL)
		return at;
	return strrchr(p, '@');
}

/* dsn_socket - "unix(/path)"; returns the text after ')' or NULL */
static const char *
dsn_socket(const char *p, struct db_dsn *out, char *errbuf, size_t errsize)
{
	const char *end;
	size_t len;

	p += strlen(DSN_UNIX);
	if ((end = strchr(p, ')')) == NULL) {
		dsn_error(errbuf, errsize, "unix(: missing ')'");
		return NULL;
	}
	len = (size_t)(end - p);
	if (len == 0 || *p != '/') {
		dsn_error(errbuf, errsize,
			  "unix(...): want an absolute socket path");
		return NULL;
	}
	if (len >= sizeof(out->socket)) {
		dsn_error(errbuf, errsize,
			  "unix(...): socket path longer than %zu bytes",
			  sizeof(out->socket) - 1);
		return NULL;
	}
	for (const char *q = p; q < end; q++)
		if ((unsigned char)*q < ' ' || *q == 0x7f) {
			dsn_error(errbuf, errsize,
				  "unix(...): control character in path");
			return NULL;
		}
	memcpy(out->socket, p, len);
	out->socket[len] = 0;
	return end + 1;
}

/* dsn_host - "host[:port]" or "[v6][:port]"; returns the rest or NULL */
static const char *
dsn_host(const char *p, struct db_dsn *out, char *errbuf, size_t errsize)
{
	const char *start, *end;
	size_t len;
	long port;

	if (*p == '[') {
		start = ++p;
		while (hex_value(*p) >= 0 || *p == ':' || *p == '.')
			p++;
		if (*p != ']' || p == start ||
		    memchr(start, ':', p - start) == NULL) {
			dsn_error(errbuf, errsize,
				  "want an IPv6 address in [...]");
			return NULL;
		}
		end = p++;
	} else {
		start = p;
		while (dsn_host_char(*p))
			p++;
		end = p;
		if (end == start) {
			dsn_error(errbuf, errsize, "%s",
				  *p == '/' || *p == ':' || *p == 0
					  ? "missing host (or unix(/socket))"
					  : "bad character in host");
			return NULL;
		}
	}
	len = (size_t)(end - start);
	if (len >= sizeof(out->host)) {
		dsn_error(errbuf, errsize, "host longer than %zu bytes",
			  sizeof(out->host) - 1);
		return NULL;
	}
	memcpy(out->host, start, len);
	out->host[len] = 0;
	out->port = DB_DSN_DEFAULT_PORT;
	if (*p == ':') {
		port = 0;
		for (start = ++p; *p >= '0' && *p <= '9'; p++)
			if ((port = port * 10 + (*p - '0')) > 65535)
				break;
		if (p == start || port < 1 || port > 65535 ||
		    (*p != '/' && *p != 0)) {
			dsn_error(errbuf, errsize, "port: want 1..65535");
			return NULL;
		}
		out->port = (int)port;
	}
	return p;
}

/* db_dsn_parse - split a DSN */
int
db_dsn_parse(const char *text, struct db_dsn *out, char *errbuf, size_t errsize)
{
	const char *p, *at, *colon;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (text == NULL || *text == 0)
		return dsn_error(errbuf, errsize, "empty");
	if (strncasecmp(text, DSN_SCHEME, strlen(DSN_SCHEME)) != 0)
		return dsn_error(errbuf, errsize,
				 "want mysql://user:password@"
				 "host:port/database");
	p = text + strlen(DSN_SCHEME);

	/* user[:password]@ */
	if ((at = dsn_userinfo_end(p)) == NULL)
		return dsn_error(errbuf, errsize, "missing user@");
	colon = memchr(p, ':', (size_t)(at - p));
	if (dsn_decode(p, colon ? colon : at, out->user, sizeof(out->user),
		       "user", errbuf, errsize) < 0)
		return -1;
	if (out->user[0] == 0)
		return dsn_error(errbuf, errsize, "empty user");
	if (colon &&
	    dsn_decode(colon + 1, at, out->password, sizeof(out->password),
		       "password", errbuf, errsize) < 0)
		return -1;
	p = at + 1;

	/* unix(/path) or host[:port] */
	if (strncmp(p, DSN_UNIX, strlen(DSN_UNIX)) == 0)
		p = dsn_socket(p, out, errbuf, errsize);
	else
		p = dsn_host(p, out, errbuf, errsize);
	if (p == NULL)
		return -1;

	/* /database */
	if (*p != '/')
		return dsn_error(errbuf, errsize, "missing /database");
	len = strspn(++p, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$-");
	if (p[len] == '?')
		return dsn_error(errbuf, errsize,
				 "options (\"?...\") are not supported");
	if (p[len] != 0)
		return dsn_error(errbuf, errsize,
				 "database: only letters, digits, '_', '$' "
				 "and '-'");
	if (len == 0)
		return dsn_error(errbuf, errsize, "missing /database");
	if (len >= sizeof(out->database))
		return dsn_error(errbuf, errsize,
				 "database: longer than %zu bytes",
				 sizeof(out->database) - 1);
	memcpy(out->database, p, len + 1);
	return 0;
}

/* db_dsn_describe - the DSN with the password masked */
void
db_dsn_describe(const struct db_dsn *dsn, char *buf, size_t size)
{
	const char *pw = dsn->password[0] ? ":***" : "";

	if (dsn->socket[0])
		snprintf(buf, size, "mysql://%s%s@unix(%s)/%s", dsn->user, pw,
			 dsn->socket, dsn->database);
	else if (strchr(dsn->host, ':'))
		snprintf(buf, size, "mysql://%s%s@[%s]:%d/%s", dsn->user, pw,
			 dsn->host, dsn->port, dsn->database);
	else
		snprintf(buf, size, "mysql://%s%s@%s:%d/%s", dsn->user, pw,
			 dsn->host, dsn->port, dsn->database);
}
