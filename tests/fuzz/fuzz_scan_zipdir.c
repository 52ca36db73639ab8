/*++
/* NAME
/*	fuzz_scan_zipdir 1
/* SUMMARY
/*	libFuzzer harness for scan_zipdir_names()
/* SYNOPSIS
/*	fuzz_scan_zipdir [libFuzzer options] [corpus...]
/* DESCRIPTION
/*	Writes each input to a memfd and gives it to scan_zipdir_names()
/*	(and its tail to scan_zipdir_may_end()); the callback reads every
/*	byte of each name.
/*--*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scan/scan_zipdir.h"

/* each - read every byte of a name */
static int
each(void *ctx, const char *name, size_t len, enum scan_zipdir_from from)
{
	unsigned sum = from;

	(void)ctx;
	for (size_t i = 0; i < len; i++)
		sum += (unsigned char)name[i];
	__asm__ volatile("" : : "r"(sum));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	size_t tail = size < SCAN_ZIPDIR_TAIL ? size : SCAN_ZIPDIR_TAIL;

	if (fd < 0 && (fd = memfd_create("fuzz", 0)) < 0)
		abort();
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	(void)scan_zipdir_may_end((const char *)data + size - tail, tail);
	(void)scan_zipdir_names(fd, (off_t)size, 1000, each, NULL);
	return 0;
}
