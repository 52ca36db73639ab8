/*++
/* NAME
/*	re 3
/* SUMMARY
/*	PCRE2 patterns: compiled once in the master, matched in children
/*--*/

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>

#include "msg.h"
#include "re.h"
#include "xalloc.h"

struct re {
	pcre2_code *code;
	char *source;
	int jit;
};

struct re_ctx {
	pcre2_match_data *md;
};

/* re_compile - compile (and JIT) a pattern */
struct re *
re_compile(const char *pattern, char *errbuf, size_t errsize)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE offset;
	int code;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)pattern,
				      PCRE2_ZERO_TERMINATED, 0, &code, &offset,
				      NULL);
	struct re *re;

	if (c == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(errbuf, errsize,
			 "bad pattern \"%s\": %s at offset %zu", pattern,
			 (char *)msg, (size_t)offset);
		return NULL;
	}
	re = xcalloc(1, sizeof(*re));
	re->code = c;
	re->source = xstrdup(pattern);
	re->jit = pcre2_jit_compile(c, PCRE2_JIT_COMPLETE) == 0;
	return re;
}

/* re_free - release a pattern */
void
re_free(struct re **rp)
{
	struct re *re = *rp;

	if (re == NULL)
		return;
	pcre2_code_free(re->code);
	free(re->source);
	free(re);
	*rp = NULL;
}

/* re_source - the pattern as written */
const char *
re_source(const struct re *re)
{
	return re->source;
}

/* re_ctx_create - match data for one process or thread */
struct re_ctx *
re_ctx_create(void)
{
	struct re_ctx *ctx = xcalloc(1, sizeof(*ctx));

	/* Only whether a pattern matches counts: one pair of offsets. */
	ctx->md = pcre2_match_data_create(1, NULL);
	if (ctx->md == NULL)
		msg_fatal("out of memory for PCRE2 match data");
	return ctx;
}

/* re_ctx_free - release match data */
void
re_ctx_free(struct re_ctx **cp)
{
	struct re_ctx *ctx = *cp;

	if (ctx == NULL)
		return;
	pcre2_match_data_free(ctx->md);
	free(ctx);
	*cp = NULL;
}

/* re_match - 1 match, 0 none, -1 error */
int
re_match(const struct re *re, struct re_ctx *ctx, const char *subject,
	 size_t len)
{
	int rc = re->jit ? pcre2_jit_match(re->code, (PCRE2_SPTR)subject, len,
					   0, 0, ctx->md, NULL)
			 : pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0,
				       ctx->md, NULL);

	if (rc >= 0)
		return 1;
	return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}
