#ifndef FILTERD_CMD_PARSE_H
#define FILTERD_CMD_PARSE_H

/*++
/* NAME
/*	cmd_parse 3h
/* SUMMARY
/*	SMTP/LMTP command lines, paths and ESMTP parameters
/* SYNOPSIS
/*	#include "smtp/cmd_parse.h"
/* DESCRIPTION
/*	cmd_parse_verb() names the command of a line (case-insensitive) and
/*	points *arg_r at its argument text (leading spaces skipped; "" if
/*	none). Unknown verbs give CMD_UNKNOWN.
/*
/*	cmd_parse_path() reads the "FROM:<path>" or "TO:<path>" argument of
/*	MAIL or RCPT: prefix is "FROM:" or "TO:". It copies the address
/*	without angle brackets into addr (size bytes) and points *params_r
/*	at the parameter text after it. Accepts quoted local parts, an
/*	optional space after the colon (as Postfix does) and a bare path
/*	without brackets. Returns CMD_OK or CMD_ERR_SYNTAX, CMD_ERR_TOOLONG.
/*
/*	cmd_next_param() splits "KEY[=VALUE] KEY[=VALUE] ..." in place:
/*	each call returns the next key (and its value or NULL) and advances
/*	*cursor; it returns 0 when no parameter is left.
/*
/*	cmd_xforward_names[] names the XFORWARD attributes (server and
/*	client side use the same list).
/*
/*	xtext_decode() decodes RFC 3461 xtext ("+2B") in place; -1 if bad.
/*	xtext_encode() writes the xtext form of s into out (outsize bytes).
/*--*/

#include <stddef.h>

enum cmd_verb {
	CMD_UNKNOWN,
	CMD_HELO,
	CMD_EHLO,
	CMD_LHLO,
	CMD_MAIL,
	CMD_RCPT,
	CMD_DATA,
	CMD_RSET,
	CMD_NOOP,
	CMD_QUIT,
	CMD_XFORWARD,
	CMD_VRFY,
};

/* XFORWARD attributes, in the order Postfix documents them. */
enum cmd_xforward_attr {
	XF_NAME,
	XF_ADDR,
	XF_PORT,
	XF_PROTO,
	XF_HELO,
	XF_IDENT,
	XF_SOURCE,
	XF_COUNT,
};

extern const char *const cmd_xforward_names[XF_COUNT];

enum cmd_result {
	CMD_OK = 0,
	CMD_ERR_SYNTAX,
	CMD_ERR_TOOLONG,
};

enum cmd_verb cmd_parse_verb(const char *line, const char **arg_r);
enum cmd_result cmd_parse_path(const char *arg, const char *prefix, char *addr,
			       size_t size, const char **params_r);
int cmd_next_param(char **cursor, char **key, char **value);
int xtext_decode(char *s);
void xtext_encode(const char *s, char *out, size_t outsize);

#endif
