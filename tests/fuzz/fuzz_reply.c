/*++
/* NAME
/*	fuzz_reply 1
/* SUMMARY
/*	libFuzzer harness for the next hop's reply parsing
/* SYNOPSIS
/*	fuzz_reply [libFuzzer options] [corpus...]
/* DESCRIPTION
/*	Splits each input into lines at LF (a CR before it dropped, at
/*	most 4096 bytes a line, as the reply reader's buffer holds) and
/*	reads them as hop_read_reply() does: reinject_parse_reply_line()
/*	on each line until a malformed one or one without '-' after the
/*	code, then reinject_queued_as() on the last text. hop_read_reply()
/*	itself reads from a stream to a hop and is not reachable from
/*	memory. Checks the parsed fields: a code of 100..999 or -1, a DSN
/*	whose class is the code's first digit, every field terminated.
/*--*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reinject/reinject.h"

#define LINE_MAX_FUZZ 4096

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reinject_reply r;
	char line[LINE_MAX_FUZZ];
	char qid[64];
	size_t i = 0;

	while (i < size) {
		size_t n = 0;

		while (i < size && data[i] != '\n') {
			if (n < sizeof(line) - 1)
				line[n++] = data[i];
			i++;
		}
		i++;
		if (n && line[n - 1] == '\r')
			n--;
		line[n] = 0;
		reinject_parse_reply_line(line, &r);
		if (memchr(r.dsn, 0, sizeof(r.dsn)) == NULL ||
		    memchr(r.text, 0, sizeof(r.text)) == NULL ||
		    memchr(r.full, 0, sizeof(r.full)) == NULL)
			abort();
		if (r.code < 0)
			break;
		if (r.code > 999 || r.dsn[0] != line[0])
			abort();
		if (line[3] != '-') {
			reinject_queued_as(r.text, qid, sizeof(qid));
			break;
		}
	}
	return 0;
}
