/*++
/* NAME
/*	checks 3
/* SUMMARY
/*	the content-check engines, built once in the master
/*--*/

#include <locale.h>
#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "conf/conf.h"
#include "mime/mime_parse.h"
#include "rules.h"
#include "scan_clamav.h"
#include "util/msg.h"
#include "util/re.h"
#include "util/xalloc.h"

/*
 * A document-like extension, then an executable one (amavis' default
 * double-extension rule, with the executables of its banned list).
 */
#define CHECKS_DOUBLE_EXT                                                      \
	"(?i)\\.[^./]*[a-z][^./]*\\.\\s*(exe|vbs|pif|scr|bat|cmd|com|cpl|dll|" \
	"js|jse|wsf|hta|lnk|msi)[.\\s]*$"

/* checks_clamav_warn - the loud line of an accidental "no virus check" */
static void
checks_clamav_warn(const struct conf *c, struct checks *ck, const char *why)
{
	ck->clamav_missing = 1;
	msg_warn("no virus scanning: %s %s%s%s%s; mail passes without a "
		 "virus check (install clamav-freshclam, or set clamav "
		 "{ enabled = false } to make this a choice)",
		 c->clamav.database, SCAN_CLAMAV_NO_SIGS, why[0] ? " (" : "",
		 why, why[0] ? ")" : "");
}

/*
 * checks_clamav - the virus engine, or a line saying why there is none.
 * No virus check is a choice (enabled = false: a notice) or, with the
 * built-in database missing or empty, an accident filterd survives but
 * says at every start and reload (a warning). A database set in the file
 * that is not there or holds no detection signature (scan_clamav_probe():
 * only a false-positive list, a .cfg, bytecode), or of which libclamav
 * loads 0, is an error at the line that sets it. An engine of
 * 0 signatures is never kept: it would mark mail as virus-scanned.
 * 0 or -1.
 */
static int
checks_clamav(const struct conf *c, struct checks *ck, char *errbuf,
	      size_t errsize)
{
	const char *at = c->clamav.database_at;
	char why[512], load_err[1024];

	if (!c->clamav.enabled) {
		msg_notice("no virus scanning: clamav { enabled = false }");
		return 0;
	}
	if (scan_clamav_probe(c->clamav.database, why, sizeof(why)) < 0) {
		if (at) {
			snprintf(errbuf, errsize, "%s: clamav database %s: %s",
				 at, c->clamav.database, why);
			return -1;
		}
		/* Say why unless the reason is the sentence itself. */
		if (strcmp(why, SCAN_CLAMAV_NO_SIGS) == 0)
			why[0] = 0;
		checks_clamav_warn(c, ck, why);
		return 0;
	}
	ck->clamav = scan_clamav_load(c, &ck->clamav_sigs, load_err,
				      sizeof(load_err));
	if (ck->clamav == NULL) {
		snprintf(errbuf, errsize, "%s%s%s", at ? at : "",
			 at ? ": " : "", load_err);
		return -1;
	}
	if (ck->clamav_sigs == 0) {
		scan_clamav_free(&ck->clamav);
		if (at) {
			snprintf(errbuf, errsize,
				 "%s: clamav database %s: %s (libclamav "
				 "loaded 0)",
				 at, c->clamav.database, SCAN_CLAMAV_NO_SIGS);
			return -1;
		}
		checks_clamav_warn(c, ck, "libclamav loaded 0");
		return 0;
	}
	msg_info("clamav: %u signatures from %s", ck->clamav_sigs,
		 c->clamav.database);
	return 0;
}

/* checks_create - engines and patterns, in the master */
struct checks *
checks_create(const struct conf *c, char *errbuf, size_t errsize)
{
	struct checks *ck = xcalloc(1, sizeof(*ck));

	mime_init();
	if (checks_clamav(c, ck, errbuf, errsize) < 0)
		goto fail;
	ck->rules = rules_load_cached((const char *const *)c->spam_rules.v,
				      c->spam_rules.n, RULES_ENGINE_VECTORSCAN,
				      c->rules_cache_dir,
				      c->rules_cache_readonly, errbuf, errsize);
	if (ck->rules == NULL)
		goto fail;
	if ((ck->double_ext = re_compile(CHECKS_DOUBLE_EXT, errbuf, errsize)) ==
	    NULL)
		msg_panic("checks_create: %s", errbuf);
	/* The magic database is mapped once here and shared by children. */
	if ((ck->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR)) == NULL ||
	    magic_load(ck->magic, NULL) < 0) {
		snprintf(errbuf, errsize, "libmagic: %s",
			 ck->magic ? magic_error(ck->magic) : "out of memory");
		goto fail;
	}
	/* libarchive converts member names to the thread's locale. */
	if ((ck->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)) ==
		    (locale_t)0 &&
	    (ck->utf8 = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0)) ==
		    (locale_t)0)
		msg_warn(
			"no UTF-8 locale (C.UTF-8): archives with member names "
			"outside ASCII will be UNCHECKED");
	return ck;
fail:
	checks_free(&ck);
	return NULL;
}

/* checks_commit - the engines run now: update the rules' cache */
void
checks_commit(struct checks *ck)
{
	rules_cache_commit(ck->rules);
}

/* checks_free - release the engines */
void
checks_free(struct checks **cp)
{
	struct checks *ck = *cp;

	if (ck == NULL)
		return;
	scan_clamav_free(&ck->clamav);
	rules_free(&ck->rules);
	re_free(&ck->double_ext);
	if (ck->magic)
		magic_close(ck->magic);
	if (ck->utf8)
		freelocale(ck->utf8);
	free(ck);
	*cp = NULL;
}

/* checks_ctx_create - matching state for one process */
struct checks_ctx *
checks_ctx_create(const struct checks *ck)
{
	struct checks_ctx *cx = xcalloc(1, sizeof(*cx));

	cx->re = re_ctx_create();
	cx->rules = rules_ctx_create(ck->rules);
	/* The database loaded in the master: failing here is the
	 * environment's (memory), and a shared handle is no fallback. */
	if ((cx->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR)) == NULL ||
	    magic_load(cx->magic, NULL) < 0)
		msg_fatal("libmagic: %s",
			  cx->magic ? magic_error(cx->magic) : "out of memory");
	return cx;
}

/* checks_ctx_free - release matching state */
void
checks_ctx_free(struct checks_ctx **cp)
{
	struct checks_ctx *cx = *cp;

	if (cx == NULL)
		return;
	re_ctx_free(&cx->re);
	rules_ctx_free(&cx->rules);
	if (cx->magic)
		magic_close(cx->magic);
	free(cx);
	*cp = NULL;
}
