/*++
/* NAME
/*	scan_clamav 3
/* SUMMARY
/*	libclamav in process: one engine, compiled in the master
/*--*/

#include <clamav.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "scan_clamav.h"
#include "util/msg.h"

/* scan_clamav_limits - the configured scan limits */
static int
scan_clamav_limits(struct cl_engine *e, const struct conf *c)
{
	/* Its per-scan temporary files belong with ours (tmpfs), not /tmp. */
	if (cl_engine_set_str(e, CL_ENGINE_TMPDIR, c->tmp_dir) != CL_SUCCESS)
		return 1;
	if (c->clamav.disable_cache &&
	    cl_engine_set_num(e, CL_ENGINE_DISABLE_CACHE, 1) != CL_SUCCESS)
		return 1;
	return cl_engine_set_num(e, CL_ENGINE_MAX_FILESIZE,
				 c->clamav.max_filesize) != CL_SUCCESS ||
	       cl_engine_set_num(e, CL_ENGINE_MAX_SCANSIZE,
				 c->clamav.max_scansize) != CL_SUCCESS ||
	       cl_engine_set_num(e, CL_ENGINE_MAX_RECURSION,
				 c->clamav.max_recursion) != CL_SUCCESS ||
	       cl_engine_set_num(e, CL_ENGINE_MAX_FILES, c->clamav.max_files) !=
		       CL_SUCCESS ||
	       cl_engine_set_num(e, CL_ENGINE_MAX_SCANTIME,
				 c->clamav.max_scantime) != CL_SUCCESS;
}

/* scan_clamav_load - a compiled engine with the configured signatures */
struct cl_engine *
scan_clamav_load(const struct conf *c, unsigned *sigs, char *errbuf,
		 size_t errsize)
{
	struct cl_engine *e;
	cl_error_t rc;

	*sigs = 0;
	if ((rc = cl_init(CL_INIT_DEFAULT)) != CL_SUCCESS) {
		snprintf(errbuf, errsize, "cl_init: %s", cl_strerror(rc));
		return NULL;
	}
	if ((e = cl_engine_new()) == NULL) {
		snprintf(errbuf, errsize, "cl_engine_new failed");
		return NULL;
	}
	if ((rc = cl_load(c->clamav.database, e, sigs, CL_DB_STDOPT)) !=
	    CL_SUCCESS) {
		snprintf(errbuf, errsize, "clamav database %s: %s",
			 c->clamav.database, cl_strerror(rc));
	} else if (scan_clamav_limits(e, c)) {
		snprintf(errbuf, errsize, "clamav limits rejected");
	} else if ((rc = cl_engine_compile(e)) != CL_SUCCESS) {
		snprintf(errbuf, errsize, "clamav compile: %s",
			 cl_strerror(rc));
	} else {
		return e;
	}
	cl_engine_free(e);
	return NULL;
}

/* scan_clamav_free - release an engine */
void
scan_clamav_free(struct cl_engine **ep)
{
	if (*ep)
		cl_engine_free(*ep);
	*ep = NULL;
}

/* scan_clamav - scan the spool file */
enum scan_verdict
scan_clamav(const struct cl_engine *e, int fd, const char **virname,
	    char *errbuf, size_t errsize)
{
	struct cl_scan_options opt;
	unsigned long scanned = 0;
	cl_error_t rc;

	memset(&opt, 0, sizeof(opt));
	opt.parse = ~0u; /* mail, archives, documents: everything */
	/* Tell limits apart from clean: an alert, not a silent pass. */
	opt.general = CL_SCAN_GENERAL_HEURISTICS;
	opt.heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX;
	*virname = NULL;
	rc = cl_scandesc(fd, NULL, virname, &scanned, e, &opt);
	switch (rc) {
	case CL_CLEAN:
		return SCAN_CLEAN;
	case CL_VIRUS:
		/* A limit alert is not a virus, and a nameless alert is not
		 * trusted either: both mean "not fully checked". */
		if (*virname == NULL) {
			snprintf(errbuf, errsize,
				 "clamav: alert without a name");
			return SCAN_UNCHECKED;
		}
		if (strncmp(*virname, "Heuristics.Limits.Exceeded", 26) == 0) {
			snprintf(errbuf, errsize, "%s", *virname);
			return SCAN_UNCHECKED;
		}
		return SCAN_INFECTED;
	default:
		snprintf(errbuf, errsize, "clamav: %s", cl_strerror(rc));
		return SCAN_ERROR;
	}
}
