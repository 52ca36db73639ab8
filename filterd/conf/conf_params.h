#ifndef FILTERD_CONF_PARAMS_H
#define FILTERD_CONF_PARAMS_H

/*++
/* NAME
/*	conf_params 3h
/* SUMMARY
/*	THE parameter table
/* DESCRIPTION
/*	conf_params[] is the libconfuse option table for the whole file: every
/*	option filterd knows, with its type, default and flags. An option
/*	not in this table does not exist (unknown keys are errors).
/*
/*	conf_param_docs[] gives, for each option, its documentation and, for
/*	integers, the accepted range; the loader checks every value against
/*	it as it is parsed, so errors carry file and line.
/*--*/

#include <confuse.h>

#include "conf_bank_keys.h"

struct conf_param_doc {
	const char *section; /* NULL for top level, or "listen", "bank" */
	const char *name;
	long min;
	long max; /* integers only; min > max: no range */
	const char *doc;
};

extern cfg_opt_t conf_params[];

/* include("FILE"), relative to the including file (conf.c). */
int conf_include(cfg_t *cfg, cfg_opt_t *opt, int argc, const char **argv);

/* Blank comments in place, keeping newlines (conf.c; for tests). */
void conf_strip_comments(char *text);
extern const struct conf_param_doc conf_param_docs[];

#endif
