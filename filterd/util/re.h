#ifndef FILTERD_RE_H
#define FILTERD_RE_H

/*++
/* NAME
/*	re 3h
/* SUMMARY
/*	PCRE2 patterns: compiled once in the master, matched in children
/* SYNOPSIS
/*	#include "util/re.h"
/* DESCRIPTION
/*	re_compile() compiles a PCRE2 pattern (with JIT when available) and
/*	returns it, or NULL with the PCRE2 message and offset in errbuf.
/*	A compiled pattern is read-only afterwards, so children share it
/*	copy-on-write. re_free() releases it and sets the pointer to NULL.
/*
/*	Matching needs a struct re_ctx (PCRE2 match data), one per process
/*	or thread, made once with re_ctx_create(). re_match() returns 1 on
/*	a match, 0 on none, -1 on a matching error (limits: the caller
/*	treats the subject as not checked).
/*--*/

#include <stddef.h>

struct re;
struct re_ctx;

struct re *re_compile(const char *pattern, char *errbuf, size_t errsize);
void re_free(struct re **rp);
const char *re_source(const struct re *re);
struct re_ctx *re_ctx_create(void);
void re_ctx_free(struct re_ctx **cp);
int re_match(const struct re *re, struct re_ctx *ctx, const char *subject,
	     size_t len);

#endif
