/*++
/* NAME
/*	fuzz_smtp_data 1
/* SUMMARY
/*	libFuzzer harness for the SMTP DATA state machine
/* SYNOPSIS
/*	fuzz_smtp_data [libFuzzer options] [corpus...]
/* DESCRIPTION
/*	The first byte of each input seeds where the rest is split into
/*	chunks (1 to 256 bytes each, as a client's writes land in reads).
/*	The rest is decoded with data_decode() in one piece, then again
/*	chunk by chunk, as the session feeds it. Checks that:
/*
/*	- the content, the bytes consumed and the end flag do not depend
/*	  on where the chunks split;
/*	- the end is found exactly where CR LF "." CR LF first occurs
/*	  in the input (the DATA line's CR LF before it), and nowhere
/*	  else: all of the input is consumed when it is not there;
/*	- the content has no bare LF, and ends with CR LF (or is empty)
/*	  when the end was found.
/*--*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/data.h"

struct sink {
	char *bytes;
	size_t len;
};

/* sink_emit - append what the decoder emits (never more than 2 * in + 3) */
static void
sink_emit(void *ctx, const char *bytes, size_t n)
{
	struct sink *s = ctx;

	memcpy(s->bytes + s->len, bytes, n);
	s->len += n;
}

/* decode - feed in[0..len) in chunks that next_chunk() sizes */
static size_t
decode(const uint8_t *in, size_t len, uint32_t seed, struct sink *s, int *done)
{
	struct data_decoder d;
	size_t used = 0;

	data_decoder_init(&d);
	*done = 0;
	while (used < len && !*done) {
		size_t n = len - used;
		size_t got;

		if (seed) {
			seed = seed * 1103515245u + 12345u;
			if (n > 1 + (seed >> 16) % 256)
				n = 1 + (seed >> 16) % 256;
		}
		got = data_decode(&d, (const char *)in + used, n, sink_emit, s,
				  done);
		if (got > n || (!*done && got != n))
			abort();
		used += got;
	}
	return used;
}

/* first_end - where CR LF "." CR LF ends, the DATA line's CR LF before in */
static size_t
first_end(const uint8_t *in, size_t len)
{
	static const char end[] = "\r\n.\r\n";

	if (len >= 3 && memcmp(in, end + 2, 3) == 0)
		return 3;
	for (size_t i = 0; i + 5 <= len; i++)
		if (memcmp(in + i, end, 5) == 0)
			return i + 5;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink one;
	struct sink split;
	size_t used_one;
	size_t used_split;
	size_t end;
	int done_one;
	int done_split;

	if (size == 0)
		return 0;
	one.bytes = malloc(2 * size + 3);
	one.len = 0;
	split.bytes = malloc(2 * size + 3);
	split.len = 0;
	used_one = decode(data + 1, size - 1, 0, &one, &done_one);
	used_split = decode(data + 1, size - 1, 1 + data[0], &split,
			    &done_split);
	if (used_one != used_split || done_one != done_split ||
	    one.len != split.len || memcmp(one.bytes, split.bytes, one.len))
		abort();
	end = first_end(data + 1, size - 1);
	if (done_one != (end != 0) || (end && used_one != end) ||
	    (!end && used_one != size - 1))
		abort();
	for (size_t i = 0; i < one.len; i++)
		if (one.bytes[i] == '\n' &&
		    (i == 0 || one.bytes[i - 1] != '\r'))
			abort();
	if (done_one && one.len &&
	    (one.len < 2 || memcmp(one.bytes + one.len - 2, "\r\n", 2)))
		abort();
	free(one.bytes);
	free(split.bytes);
	return 0;
}
