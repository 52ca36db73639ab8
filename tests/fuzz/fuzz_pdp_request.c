/*++
/* NAME
/*	fuzz_pdp_request 1
/* SUMMARY
/*	libFuzzer harness for the AM.PDP request line parser
/* SYNOPSIS
/*	fuzz_pdp_request [libFuzzer options] [corpus...]
/* DESCRIPTION
/*	Splits each input into lines at LF (a CR before it dropped; a
/*	line over PDP_LINE_MAX is skipped, as the server refuses it) and
/*	gives each to pdp_parse_line(), as pdp_server's reader does;
/*	every setreply= value goes on to pdp_split_reply() and
/*	pdp_reply_class(), as filterd-release reads a response. The
/*	server's own per-request state (pdp_attr()) needs a session and
/*	its configuration and is covered by test_pdp_server. Checks that
/*	name and value point into the line and are terminated in it.
/*--*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pdp/pdp_proto.h"

/* in_line - abort unless s is a string inside [b, b + len] */
static void
in_line(const char *s, const char *b, size_t len)
{
	if (s < b || s > b + len || strlen(s) > len - (size_t)(s - b))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char err[128];
	size_t i = 0;

	while (i < size) {
		size_t start = i;
		size_t n;
		char *line;
		char *name;
		char *value;
		char *code;
		char *xcode;
		char *text;

		while (i < size && data[i] != '\n')
			i++;
		n = i - start;
		i++;
		if (n && data[start + n - 1] == '\r')
			n--;
		if (n > PDP_LINE_MAX || memchr(data + start, 0, n))
			continue;
		line = buf;
		memcpy(line, data + start, n);
		line[n] = 0;
		if (pdp_parse_line(line, &name, &value, err, sizeof(err)) < 0) {
			if (memchr(err, 0, sizeof(err)) == NULL)
				abort();
			continue;
		}
		in_line(name, line, n);
		in_line(value, line, n);
		if (*name == 0)
			abort();
		if (strcmp(name, "setreply") == 0 &&
		    pdp_split_reply(value, &code, &xcode, &text) == 0) {
			in_line(code, line, n);
			in_line(xcode, line, n);
			in_line(text, line, n);
			(void)pdp_reply_class(code);
		}
	}
	free(buf);
	return 0;
}
