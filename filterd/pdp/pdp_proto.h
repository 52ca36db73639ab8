#ifndef FILTERD_PDP_PROTO_H
#define FILTERD_PDP_PROTO_H

/*++
/* NAME
/*	pdp_proto 3h
/* SUMMARY
/*	AM.PDP attribute encoding and decoding (amavisd-new compatible)
/* SYNOPSIS
/*	#include "pdp/pdp_proto.h"
/*
/*	void pdp_write_attr(struct buf *out, const char *name,
/*			    const char *value);
/*	void pdp_write_setreply(struct buf *out, const char *code,
/*				const char *xcode, const char *text);
/*	int pdp_parse_line(char *line, char **name, char **value,
/*			   char *err, size_t errsize);
/*	int pdp_split_reply(char *value, char **code, char **xcode,
/*			    char **text);
/*	int pdp_reply_class(const char *code);
/* DESCRIPTION
/*	AM.PDP (amavisd-new's README.protocol) is a line protocol: each
/*	line is "name=value" ended by CR LF (a bare LF is accepted), and an
/*	empty line ends a request or a response. Restricted characters are
/*	written as %XX: in names everything but [0-9A-Za-z_-], in values
/*	everything outside \041-\044 and \046-\176 (space, %, controls and
/*	8-bit bytes). Used by both ends: the server (pdp_server, in a
/*	child) and the filterd-release client. No function here allocates,
/*	logs or keeps state; they are safe on hostile input.
/*
/*	pdp_write_attr() appends "name=value\r\n" to out, both encoded.
/*
/*	pdp_write_setreply() appends "setreply=CODE XCODE TEXT\r\n": each
/*	field encoded on its own (pdp_encode_value()), joined by single
/*	spaces, as amavisd-new writes it.
/*
/*	pdp_encode_value() appends value to out with the value encoding
/*	(no name, no line end).
/*
/*	pdp_parse_line() splits one line, whose CR LF or LF is already
/*	removed, at its first '=' (or at its first ": ", which amavisd-new
/*	accepts as well, whichever comes first) and decodes %XX in the
/*	name and in the value, in place: *name and *value point into line.
/*
/*	pdp_split_reply() splits a decoded setreply value "CODE X.Y.Z
/*	text" in place at its first two spaces; *xcode and *text point to
/*	"" when missing.
/*
/*	pdp_reply_class() returns the first digit of a three-digit reply
/*	code (2, 4 or 5), or 0 when code is not one.
/* DIAGNOSTICS
/*	pdp_parse_line() returns 0, or -1 with a reason in err (no '=',
/*	an empty name, a bad %XX, a decoded NUL). pdp_split_reply()
/*	returns 0, or -1 when the value does not start with a three-digit
/*	code.
/*--*/

#include <stddef.h>

#include "util/buf.h"

/* The longest request line a server reads (longer ones are refused). */
#define PDP_LINE_MAX 8192

void pdp_write_attr(struct buf *out, const char *name, const char *value);
void pdp_write_setreply(struct buf *out, const char *code, const char *xcode,
			const char *text);
void pdp_encode_value(struct buf *out, const char *value);
int pdp_parse_line(char *line, char **name, char **value, char *err,
		   size_t errsize);
int pdp_split_reply(char *value, char **code, char **xcode, char **text);
int pdp_reply_class(const char *code);

#endif
