/*++
/* NAME
/*	fuzz_rules_file 1
/* SUMMARY
/*	libFuzzer harness for the spam rule file parser
/* SYNOPSIS
/*	fuzz_rules_file [libFuzzer options] [corpus...]
/* DESCRIPTION
/*	Writes each input into one memfd (rewritten each run: no file is
/*	left behind) and loads it as the one rule file, by its
/*	/proc/self/fd path, with PCRE2 alone (rules_load_engine): the
/*	parser is the target, and a Vectorscan compile per input would
/*	cut the runs from thousands a second to a few (fuzz_rules_match
/*	runs the Vectorscan path, compiled once). A set it loads is run
/*	once over a small fixed message and over the input itself as
/*	every view, and freed. Checks that a refused file has a reason
/*	that starts with the file's name ("file:line: message" or "file:
/*	message"), that a loaded set counts GTUBE, and that a run's score
/*	is finite and its hits are no more than the rules.
/*--*/

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scan/rules.h"

static int rules_fd = -1;
static char rules_path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rules_fd = memfd_create("fuzz_rules_file", MFD_CLOEXEC);
	if (rules_fd < 0)
		abort();
	snprintf(rules_path, sizeof(rules_path), "/proc/self/fd/%d", rules_fd);
	return 0;
}

/* run - match one input, check the result */
static void
run(const struct rules *r, struct rules_ctx *ctx, const struct rules_input *in,
    struct rules_result *res)
{
	rules_run(r, ctx, in, res);
	if (!isfinite(res->score) || res->n_hits > rules_count(r))
		abort();
	for (size_t i = 0; i < res->n_hits; i++)
		if (res->hits[i].name == NULL)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char hdr[] = "From: A <a@example.org>\nSubject: hello\n";
	static const char body[] = "hello\nhttp://example.org/x\n";
	static const char *const uris[] = {"http://example.org/x"};
	const char *files[] = {rules_path};
	struct rules_input in = {hdr,  sizeof(hdr) - 1,
				 body, sizeof(body) - 1,
				 body, sizeof(body) - 1,
				 body, sizeof(body) - 1,
				 uris, 1};
	struct rules_result res = {0};
	struct rules_ctx *ctx;
	struct rules *r;
	char err[1024];

	if (ftruncate(rules_fd, 0) < 0 ||
	    pwrite(rules_fd, data, size, 0) != (ssize_t)size)
		abort();
	err[0] = 0;
	r = rules_load_engine(files, 1, RULES_ENGINE_PCRE2, err, sizeof(err));
	if (r == NULL) {
		size_t n = strlen(rules_path);

		if (strncmp(err, rules_path, n) != 0 ||
		    (err[n] != ':' || err[n + 1] == 0))
			abort();
		return 0;
	}
	if (rules_count(r) < 1)
		abort();
	ctx = rules_ctx_create(r);
	run(r, ctx, &in, &res);
	in.headers = in.body = in.rawbody = in.full = (const char *)data;
	in.headers_len = in.body_len = in.rawbody_len = in.full_len = size;
	in.n_uris = 0;
	run(r, ctx, &in, &res);
	rules_result_release(&res);
	rules_ctx_free(&ctx);
	rules_free(&r);
	return 0;
}
