/*++
/* NAME
/*	quar_env 3
/* SUMMARY
/*	envelope addresses in a quarantined copy: written and read back
/* DESCRIPTION
/*	See quar_env.h. quar_env_scan() is the one reader of an address
/*	in angle brackets; the writer checks each address against it.
/*--*/

#include <stdio.h>
#include <string.h>

#include "quarantine/quar_env.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/pool.h"

/*
 * quar_env_scan - from just after a '<', the length of the address up
 * to the '>' outside quotes (RFC 5321 quoted-string, a backslash in
 * quotes takes the next byte); -1 when a control byte comes first or
 * the '>' never does
 */
static long
quar_env_scan(const char *p)
{
	const char *s = p;
	int quoted = 0;

	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return -1;
		if (quoted && *s == '\\' && s[1]) {
			s++;
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				return -1;
		} else if (*s == '"') {
			quoted = !quoted;
		} else if (*s == '>' && !quoted) {
			return (long)(s - p);
		}
	}
	return -1;
}

/* quar_env_addr_ok - does "<addr>" read back as addr? */
int
quar_env_addr_ok(const char *addr)
{
	char closed[QUAR_ENV_ADDR_MAX + 2];
	size_t len = strlen(addr);

	if (len > QUAR_ENV_ADDR_MAX)
		return 0;
	memcpy(closed, addr, len);
	closed[len] = '>';
	closed[len + 1] = 0;
	return quar_env_scan(closed) == (long)len;
}

/* quar_env_put - append "<addr>" */
void
quar_env_put(struct buf *out, const char *addr)
{
	if (!quar_env_addr_ok(addr))
		msg_panic("quar_env_put: address would not read back");
	buf_puts(out, "<");
	buf_puts(out, addr);
	buf_puts(out, ">");
}

/* quar_env_list - "<a>, <b>" into an array of addresses */
int
quar_env_list(struct pool *p, const char *value, char ***addrs_r, size_t *n_r,
	      char *why, size_t whysize)
{
	size_t n = 0, cap = 0;
	char **v = NULL;
	const char *s = value;

	for (;;) {
		long len;

		s += strspn(s, " \t,");
		if (*s == 0)
			break;
		if (*s != '<') {
			snprintf(why, whysize,
				 "text outside <...> at offset %zu",
				 (size_t)(s - value));
			return -1;
		}
		if ((len = quar_env_scan(s + 1)) < 0) {
			snprintf(why, whysize,
				 "unterminated or bad <...> at offset %zu",
				 (size_t)(s - value));
			return -1;
		}
		if (len > QUAR_ENV_ADDR_MAX) {
			snprintf(why, whysize,
				 "address over %d bytes at offset %zu",
				 QUAR_ENV_ADDR_MAX, (size_t)(s - value));
			return -1;
		}
		if (n == cap) {
			char **old = v;

			cap = cap ? 2 * cap : 8;
			v = pool_alloc(p, cap * sizeof(*v));
			if (n)
				memcpy(v, old, n * sizeof(*v));
		}
		v[n++] = pool_strndup(p, s + 1, (size_t)len);
		s += len + 2;
		if (*s && *s != ',' && *s != ' ' && *s != '\t') {
			snprintf(why, whysize,
				 "no comma after <...> at offset %zu",
				 (size_t)(s - value));
			return -1;
		}
	}
	*addrs_r = v;
	*n_r = n;
	return 0;
}

/* quar_env_plain - no space, '<' or '>' outside quotes */
static int
quar_env_plain(const char *a, size_t len)
{
	int quoted = 0;

	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)a[i] < 0x20 || a[i] == 0x7f)
			return 0;
		if (quoted && a[i] == '\\' && i + 1 < len)
			i++;
		else if (a[i] == '"')
			quoted = !quoted;
		else if (!quoted && strchr(" <>", a[i]) != NULL)
			return 0;
	}
	return !quoted;
}

/* quar_env_one - one address, "<addr>" or bare */
char *
quar_env_one(struct pool *p, const char *value, int strict)
{
	const char *s = value + strspn(value, " \t");
	size_t len = strlen(s);
	long n;

	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len > 0 && *s == '<') {
		if ((n = quar_env_scan(s + 1)) < 0 || (size_t)n + 2 != len ||
		    n > QUAR_ENV_ADDR_MAX)
			return NULL;
		s++;
		len = (size_t)n;
	} else if (len > QUAR_ENV_ADDR_MAX || !quar_env_plain(s, len)) {
		return NULL;
	}
	if (strict && !quar_env_plain(s, len))
		return NULL;
	return pool_strndup(p, s, len);
}
