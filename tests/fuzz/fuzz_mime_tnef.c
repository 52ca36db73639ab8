/*++
/* NAME
/*	fuzz_mime_tnef 1
/* SUMMARY
/*	libFuzzer harness for mime_tnef_read()
/* SYNOPSIS
/*	fuzz_mime_tnef [libFuzzer options] [corpus...]
/* DESCRIPTION
/*	Gives each input to mime_tnef_read() as a TNEF part's bytes, with
/*	a sink that touches every byte it is given (so ASan sees a read
/*	past what libytnef holds).
/*--*/

#include <stddef.h>
#include <stdint.h>

#include "mime/mime_tnef.h"

/* touch - read every byte the sink is given */
static int
touch(void *ctx, const char *name, const char *other, const char *data,
      size_t len)
{
	unsigned sum = 0;

	(void)ctx;
	for (const char *p = name; p && *p; p++)
		sum += (unsigned char)*p;
	__asm__ volatile("" : : "r"(sum));
	for (const char *p = other; p && *p; p++)
		sum += (unsigned char)*p;
	__asm__ volatile("" : : "r"(sum));
	for (size_t i = 0; i < len; i++)
		sum += (unsigned char)data[i];
	__asm__ volatile("" : : "r"(sum));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_tnef_sink sink = {.file = touch, .ctx = NULL};
	const char *why = NULL;

	(void)mime_tnef_head((const char *)data, size);
	(void)mime_tnef_read((const char *)data, size, 1000, &sink, &why);
	return 0;
}
