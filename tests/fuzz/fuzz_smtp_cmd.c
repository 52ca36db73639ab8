/*++
/* NAME
/*	fuzz_smtp_cmd 1
/* SUMMARY
/*	libFuzzer harness for the SMTP/LMTP command parser
/* SYNOPSIS
/*	fuzz_smtp_cmd [libFuzzer options] [corpus...]
/* DESCRIPTION
/*	Takes each input as one command line (up to its first NUL) and
/*	does with it what the session does: cmd_parse_verb(), then for
/*	MAIL and RCPT cmd_parse_path() into an address buffer whose size
/*	the first byte sets (1..256), and for every verb the parameter
/*	walk of cmd_next_param() with xtext_decode() and xtext_encode()
/*	of each value, as the XFORWARD and DSN code do. Checks that the
/*	address fits its buffer and every pointer stays in the line.
/*--*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/cmd_parse.h"

/* in_line - abort unless p points into [b, b + len] */
static void
in_line(const char *p, const char *b, size_t len)
{
	if (p < b || p > b + len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t addr_size;
	size_t enc_size;
	char *line;
	char *addr;
	char *params_copy;
	char enc[512];
	const char *arg;
	const char *params;
	char *cursor;
	char *key;
	char *value;
	size_t len;
	enum cmd_verb verb;
	unsigned n = 0;

	if (size == 0)
		return 0;
	addr_size = 1 + data[0];
	enc_size = 1 + data[0] % sizeof(enc);
	line = malloc(size);
	memcpy(line, data + 1, size - 1);
	line[size - 1] = 0;
	len = strlen(line);
	addr = malloc(addr_size);

	verb = cmd_parse_verb(line, &arg);
	in_line(arg, line, len);
	params = arg;
	if (verb == CMD_MAIL || verb == CMD_RCPT) {
		if (cmd_parse_path(arg, verb == CMD_MAIL ? "FROM:" : "TO:",
				   addr, addr_size, &params) == CMD_OK) {
			if (strnlen(addr, addr_size) >= addr_size)
				abort();
			in_line(params, line, len);
		} else {
			params = "";
		}
	}
	params_copy = strdup(params);
	cursor = params_copy;
	while (n++ < 4096 && cmd_next_param(&cursor, &key, &value)) {
		in_line(key, params_copy, strlen(params));
		if (value) {
			in_line(value, params_copy, strlen(params));
			if (xtext_decode(value) == 0)
				xtext_encode(value, enc, enc_size);
		}
	}
	free(params_copy);
	free(addr);
	free(line);
	return 0;
}
