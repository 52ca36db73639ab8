/*++
/* NAME
/*	fuzz_mime_embedded 1
/* SUMMARY
/*	libFuzzer harness for mime_embedded's decoders
/* SYNOPSIS
/*	fuzz_mime_embedded [libFuzzer options] [corpus...]
/* DESCRIPTION
/*	The input's first byte chooses how the rest is cut into feeds (1
/*	to 256 bytes each, so block and line state crosses calls); the
/*	rest is fed to mime_embedded_feed(), then mime_embedded_end().
/*	Also mime_embedded_head() on the whole. The sink reads every
/*	byte it is given and checks the begin/data/end order.
/*--*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mime/mime_embedded.h"

struct state {
	int open;
};

static int
on_begin(void *ctx, enum mime_embedded_kind kind, const char *name)
{
	struct state *s = ctx;
	unsigned sum = kind;

	if (s->open)
		abort();
	s->open = 1;
	for (const char *p = name; p && *p; p++)
		sum += (unsigned char)*p;
	__asm__ volatile("" : : "r"(sum));
	return 0;
}

static int
on_data(void *ctx, const char *buf, size_t len)
{
	struct state *s = ctx;
	unsigned sum = 0;

	if (!s->open)
		abort();
	for (size_t i = 0; i < len; i++)
		sum += (unsigned char)buf[i];
	__asm__ volatile("" : : "r"(sum));
	return 0;
}

static int
on_end(void *ctx, const char *why)
{
	struct state *s = ctx;
	unsigned sum = 0;

	if (!s->open)
		abort();
	s->open = 0;
	for (const char *p = why; p && *p; p++)
		sum += (unsigned char)*p;
	__asm__ volatile("" : : "r"(sum));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state s = {0};
	struct mime_embedded_sink sink = {on_begin, on_data, on_end, &s};
	struct mime_embedded e;
	size_t step, off = 1;

	if (size < 1)
		return 0;
	step = (size_t)data[0] + 1;
	(void)mime_embedded_head((const char *)data + 1, size - 1);
	mime_embedded_init(&e, &sink);
	while (off < size) {
		size_t n = size - off < step ? size - off : step;

		if (mime_embedded_feed(&e, (const char *)data + off, n) != 0)
			abort();
		off += n;
	}
	if (mime_embedded_end(&e) != 0)
		abort();
	return 0;
}
