/*++
/* NAME
/*	fuzz_scan_gzname 1
/* SUMMARY
/*	libFuzzer harness for scan_gzname()
/* SYNOPSIS
/*	fuzz_scan_gzname [libFuzzer options] [corpus...]
/* DESCRIPTION
/*	Gives each input to scan_gzname() in a buffer of exactly its size,
/*	and reads every byte of a name found.
/*--*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/scan_gzname.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *b = malloc(size ? size : 1);
	const char *name = NULL;
	size_t name_len = 0;
	unsigned sum = 0;

	memcpy(b, data, size);
	if (scan_gzname(b, size, &name, &name_len) == SCAN_GZNAME_FOUND) {
		if (name_len == 0 || name_len > SCAN_GZNAME_MAX)
			abort();
		for (size_t i = 0; i < name_len; i++) {
			if (name[i] == '\0')
				abort();
			sum += (unsigned char)name[i];
			__asm__ volatile("" : : "r"(sum));
		}
	}
	free(b);
	return 0;
}
