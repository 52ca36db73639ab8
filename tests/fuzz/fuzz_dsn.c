/*++
/* NAME
/*	fuzz_dsn 1
/* SUMMARY
/*	libFuzzer harness for the SQL data source name parser
/* SYNOPSIS
/*	fuzz_dsn [libFuzzer options] [corpus...]
/* DESCRIPTION
/*	Gives each input (up to its first NUL) to db_dsn_parse(), as
/*	sql_dsn's value. Checks that every field is terminated, that a
/*	DSN it takes has a user, a database and either a host with a port
/*	of 1..65535 or an absolute socket path, and that
/*	db_dsn_describe() of it masks the password.
/*--*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/dsn.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct db_dsn dsn;
	char err[256];
	char desc[1024];
	char *text = malloc(size + 1);
	int rc;

	memcpy(text, data, size);
	text[size] = 0;
	memset(&dsn, 0x5a, sizeof(dsn));
	err[0] = 0;
	rc = db_dsn_parse(text, &dsn, err, sizeof(err));
	if (memchr(err, 0, sizeof(err)) == NULL)
		abort();
	if (rc == 0) {
		if (!memchr(dsn.host, 0, sizeof(dsn.host)) ||
		    !memchr(dsn.socket, 0, sizeof(dsn.socket)) ||
		    !memchr(dsn.user, 0, sizeof(dsn.user)) ||
		    !memchr(dsn.password, 0, sizeof(dsn.password)) ||
		    !memchr(dsn.database, 0, sizeof(dsn.database)))
			abort();
		if (dsn.user[0] == 0 || dsn.database[0] == 0)
			abort();
		if (dsn.socket[0] ? dsn.socket[0] != '/' || dsn.host[0]
				  : dsn.port < 1 || dsn.port > 65535 ||
					    dsn.host[0] == 0)
			abort();
		db_dsn_describe(&dsn, desc, sizeof(desc));
		if (dsn.password[0] && strstr(desc, ":***@") == NULL)
			abort();
	} else if (err[0] == 0) {
		abort();
	}
	free(text);
	return 0;
}
