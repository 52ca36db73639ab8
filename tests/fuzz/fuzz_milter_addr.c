/*++
/* NAME
/*	fuzz_milter_addr 1
/* SUMMARY
/*	libFuzzer harness for milter_addr()
/* SYNOPSIS
/*	fuzz_milter_addr [libFuzzer options] [corpus...]
/* DESCRIPTION
/*	Gives each input (up to its first NUL) to milter_addr() as a MAIL
/*	or RCPT event's argument, and checks the contract: NULL, or a
/*	string of at most MILTER_ADDR_MAX octets in the pool. Then gives
/*	the result back once: the form the MTA keeps must be a fixed
/*	point (smfi_delrcpt() compares it again with the stored one).
/*--*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "milter/milter_addr.h"
#include "util/pool.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *pool = pool_create(1024);
	char *arg = malloc(size + 1);
	const char *a;
	const char *again;

	memcpy(arg, data, size);
	arg[size] = 0;
	a = milter_addr(pool, arg);
	if (a != NULL) {
		if (strlen(a) > MILTER_ADDR_MAX)
			abort();
		again = milter_addr(pool, a);
		if (again == NULL || strcmp(again, a) != 0)
			abort();
	}
	pool_destroy(&pool);
	free(arg);
	return 0;
}
