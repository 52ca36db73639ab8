/*++
/* NAME
/*	fuzz_spamd_reply 1
/* SUMMARY
/*	libFuzzer harness for the spamd reply parser
/* SYNOPSIS
/*	fuzz_spamd_reply [libFuzzer options] [corpus...]
/* DESCRIPTION
/*	Gives each input, at most SPAMD_REPLY_MAX bytes as spamd_check()
/*	reads, to spamd_parse_reply() as a whole reply, twice with the
/*	same result (reused, as a child reuses it). Checks that a reply it
/*	takes has a finite score and threshold and symbols made of word
/*	characters and commas only, terminated; that one it refuses has a
/*	reason.
/*--*/

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/spamd.h"

/* check - one parse and what it must give */
static void
check(const uint8_t *data, size_t size, struct spamd_result *res)
{
	char err[512];

	err[0] = 0;
	if (spamd_parse_reply((const char *)data, size, res, err, sizeof(err)) <
	    0) {
		if (err[0] == 0 || memchr(err, 0, sizeof(err)) == NULL)
			abort();
		return;
	}
	if (!isfinite(res->score) || !isfinite(res->threshold))
		abort();
	if (res->symbols.len && strlen(res->symbols.data) != res->symbols.len)
		abort();
	for (size_t i = 0; i < res->symbols.len; i++) {
		unsigned char c = (unsigned char)res->symbols.data[i];

		if (!isalnum(c) && c != '_' && c != ',')
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spamd_result res;
	uint8_t *copy;

	if (size > SPAMD_REPLY_MAX)
		size = SPAMD_REPLY_MAX;
	/* An exact-size copy: ASan sees a read past the reply. */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	spamd_result_init(&res);
	check(copy, size, &res);
	check(copy, size, &res);
	spamd_result_release(&res);
	free(copy);
	return 0;
}
