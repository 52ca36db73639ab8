/*++
/* NAME
/*	cmd_parse 3
/* SUMMARY
/*	SMTP/LMTP command lines, paths and ESMTP parameters
/*--*/

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd_parse.h"
#include "util/hex.h"

static const struct {
	const char *name;
	enum cmd_verb verb;
} cmd_table[] = {
	{"HELO", CMD_HELO},	    {"EHLO", CMD_EHLO}, {"LHLO", CMD_LHLO},
	{"MAIL", CMD_MAIL},	    {"RCPT", CMD_RCPT}, {"DATA", CMD_DATA},
	{"RSET", CMD_RSET},	    {"NOOP", CMD_NOOP}, {"QUIT", CMD_QUIT},
	{"XFORWARD", CMD_XFORWARD}, {"VRFY", CMD_VRFY},
};

const char *const cmd_xforward_names[XF_COUNT] = {
	"NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE"};

/* cmd_parse_verb - which command is this line? */
enum cmd_verb
cmd_parse_verb(const char *line, const char **arg_r)
{
	size_t len = strcspn(line, " ");

	*arg_r = line + len + strspn(line + len, " ");
	for (size_t i = 0; i < sizeof(cmd_table) / sizeof(*cmd_table); i++)
		if (strlen(cmd_table[i].name) == len &&
		    strncasecmp(line, cmd_table[i].name, len) == 0)
			return cmd_table[i].verb;
	return CMD_UNKNOWN;
}

/* cmd_parse_path - "FROM:<addr> params" into addr and params */
enum cmd_result
cmd_parse_path(const char *arg, const char *prefix, char *addr, size_t size,
	       const char **params_r)
{
	size_t plen = strlen(prefix), n = 0;
	const char *p;
	int quoted = 0;

	if (strncasecmp(arg, prefix, plen) != 0)
		return CMD_ERR_SYNTAX;
	p = arg + plen;
	p += strspn(p, " ");
	if (*p == '<') {
		for (p++; *p; p++) {
			int escaped = quoted && *p == '\\' && p[1];

			if (*p == '"')
				quoted = !quoted;
			else if (*p == '>' && !quoted)
				break;
			/* Inside quotes, a backslash takes the next byte along. */
			for (int k = 0; k <= escaped; k++) {
				if ((unsigned char)p[k] < 0x20 || p[k] == 0x7f)
					return CMD_ERR_SYNTAX;
				if (n + 1 >= size)
					return CMD_ERR_TOOLONG;
				addr[n++] = p[k];
			}
			p += escaped;
		}
		if (*p != '>')
			return CMD_ERR_SYNTAX;
		p++;
	} else {
		/* A bare path, as sloppy clients send it. */
		for (; *p && *p != ' '; p++) {
			if ((unsigned char)*p < 0x20 || *p == 0x7f ||
			    *p == '<' || *p == '>')
				return CMD_ERR_SYNTAX;
			if (n + 1 >= size)
				return CMD_ERR_TOOLONG;
			addr[n++] = *p;
		}
		if (n == 0)
			return CMD_ERR_SYNTAX;
	}
	addr[n] = 0;
	if (quoted || (*p && *p != ' '))
		return CMD_ERR_SYNTAX;
	/* Strip a source route, "@a,@b:user@dom" (RFC 5321 4.1.2). */
	if (addr[0] == '@') {
		char *colon = strchr(addr, ':');

		if (colon == NULL)
			return CMD_ERR_SYNTAX;
		memmove(addr, colon + 1, strlen(colon + 1) + 1);
	}
	*params_r = p + strspn(p, " ");
	return CMD_OK;
}

/* cmd_next_param - the next "KEY[=VALUE]" of a parameter list */
int
cmd_next_param(char **cursor, char **key, char **value)
{
	char *p = *cursor + strspn(*cursor, " ");
	char *end, *eq;

	if (*p == 0)
		return 0;
	end = p + strcspn(p, " ");
	if (*end)
		*end++ = 0;
	*cursor = end;
	*key = p;
	eq = strchr(p, '=');
	if (eq) {
		*eq = 0;
		*value = eq + 1;
	} else {
		*value = NULL;
	}
	return 1;
}

/* xtext_decode - RFC 3461 xtext, in place */
int
xtext_decode(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (*s == '+') {
			int hi = hex_value(s[1]),
			    lo = hi < 0 ? -1 : hex_value(s[2]);

			if (lo < 0)
				return -1;
			*out++ = (char)(hi << 4 | lo);
			s += 2;
		} else {
			*out++ = *s;
		}
	}
	*out = 0;
	return 0;
}

/* xtext_encode - RFC 3461 xtext */
void
xtext_encode(const char *s, char *out, size_t outsize)
{
	size_t n = 0;

	for (; *s && n + 4 < outsize; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 33 || c > 126 || c == '+' || c == '=')
			n += (size_t)snprintf(out + n, outsize - n, "+%02X", c);
		else
			out[n++] = (char)c;
	}
	out[n] = 0;
}
