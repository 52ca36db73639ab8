#ifndef FILTERD_CHECKS_H
#define FILTERD_CHECKS_H

/*++
/* NAME
/*	checks 3h
/* SUMMARY
/*	the content-check engines, built once in the master
/* SYNOPSIS
/*	#include "scan/checks.h"
/* DESCRIPTION
/*	checks_create() builds, in the master before it forks, everything
/*	the checks need that is costly to make: the libclamav engine (when
/*	clamav.database is set), the compiled spam rules, the built-in
/*	patterns, a UTF-8 locale object for archive member names (used with
/*	uselocale(3), never setlocale). The children share it copy-on-write
/*	and only read it. On
/*	SIGHUP the master builds a new one and starts a new generation of
/*	children; checks_free() releases the old one in the master (old
/*	children keep their copy until they exit). Returns NULL with the
/*	reason in errbuf. An engine that loads no signature is not kept:
/*	a database set in the file that holds none is an error; the
/*	built-in one, a warning with clamav_missing set (a reload uses it
/*	to keep a running engine rather than lose virus checks).
/*	checks_create() changes nothing outside: checks_commit(), called
/*	once the set is the one that runs (after a start, or a reload that
/*	went through; never for one rejected), writes the rule databases
/*	it compiled to the cache and removes the previous set's.
/*
/*	checks_ctx_create() makes a process's (or thread's) matching state:
/*	PCRE2 match data for the patterns and the rules, and its own
/*	libmagic handle (a magic_set is not to be shared between threads). Children make one
/*	after fork; checks_ctx_free() releases it.
/* PROCESS
/*	master (create, free), children and milter (use).
/*--*/

#include <locale.h>
#include <stddef.h>

struct conf;
struct cl_engine;
struct re;
struct re_ctx;
struct rules;
struct rules_ctx;

struct checks {
	struct cl_engine *clamav; /* NULL: no virus check */
	unsigned clamav_sigs;
	int clamav_missing;  /* enabled, but the default database holds none */
	struct rules *rules; /* built-in spam rules (GTUBE at least) */
	struct re *double_ext;	 /* "invoice.pdf.exe" */
	struct magic_set *magic; /* libmagic: MIME types of content */
	locale_t utf8; /* C.UTF-8 for libarchive's names, or (locale_t)0 */
};

struct checks_ctx {
	struct re_ctx *re;
	struct rules_ctx *rules;
	/* libmagic's state is written by each magic_buffer(): one per
	 * context (milter threads); NULL (tests): the engine's. */
	struct magic_set *magic;
};

struct checks *checks_create(const struct conf *c, char *errbuf,
			     size_t errsize);
void checks_commit(struct checks *ck);
void checks_free(struct checks **cp);
struct checks_ctx *checks_ctx_create(const struct checks *ck);
void checks_ctx_free(struct checks_ctx **cp);

#endif
