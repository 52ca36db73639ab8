/*++
/* NAME
/*	milter_addr 3
/* SUMMARY
/*	an envelope address of a milter event in the form the MTA keeps
/* DESCRIPTION
/*	See milter_addr.h.
/*--*/

#include <string.h>

#include "milter_addr.h"
#include "util/buf.h"

/* milter_addr_atext - an RFC 5321 atext octet (8-bit: SMTPUTF8) */
static int
milter_addr_atext(unsigned char c)
{
	return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/*
 * milter_addr_needs_quotes - must this (unquoted) local part be quoted
 * to be a Dot-string (RFC 5321 4.1.2)? Postfix's quote_821_local() rule.
 */
static int
milter_addr_needs_quotes(const char *p, size_t n)
{
	if (n == 0 || p[0] == '.' || p[n - 1] == '.')
		return 1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '.' && i + 1 < n && p[i + 1] == '.')
			return 1;
		if (p[i] != '.' && !milter_addr_atext((unsigned char)p[i]))
			return 1;
	}
	return 0;
}

/* milter_addr - the address as the MTA keeps it, in pool */
const char *
milter_addr(struct pool *pool, const char *arg)
{
	size_t len = strlen(arg);
	const char *p, *end, *at = NULL;
	struct buf local, out;
	const char *res = NULL;
	int quoted = 0;

	if (len >= 2 && arg[0] == '<' && arg[len - 1] == '>') {
		arg++;
		len -= 2;
	}
	end = arg + len;
	p = arg;
	/* A source route, "@a.example,@b.example:", is dropped. */
	if (p < end && *p == '@') {
		const char *colon = memchr(p, ':', (size_t)(end - p));

		if (colon == NULL || memchr(p, '"', (size_t)(colon - p)))
			return NULL;
		p = colon + 1;
	}
	if (p == end)
		return pool_strdup(pool, "");
	buf_init(&local, len + 1);
	/* The local part, quotes and backslash escapes taken off. */
	for (; p < end; p++) {
		if (quoted && *p == '\\' && p + 1 < end) {
			buf_append(&local, ++p, 1);
		} else if (*p == '"') {
			quoted = !quoted;
		} else if (!quoted && *p == '@') {
			at = p;
			break;
		} else {
			buf_append(&local, p, 1);
		}
	}
	if (quoted)
		goto out;
	buf_init(&out, len + 3);
	if (milter_addr_needs_quotes(local.data ? local.data : "", local.len)) {
		buf_append(&out, "\"", 1);
		for (size_t i = 0; i < local.len; i++) {
			if (local.data[i] == '"' || local.data[i] == '\\')
				buf_append(&out, "\\", 1);
			buf_append(&out, local.data + i, 1);
		}
		buf_append(&out, "\"", 1);
	} else if (local.len) {
		buf_append(&out, local.data, local.len);
	}
	if (at)
		buf_append(&out, at, (size_t)(end - at));
	if (out.len <= MILTER_ADDR_MAX)
		res = pool_strndup(pool, out.data, out.len);
	buf_release(&out);
out:
	buf_release(&local);
	return res;
}
