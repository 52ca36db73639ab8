/*++
/* NAME
/*	fuzz_conf 1
/* SUMMARY
/*	libFuzzer harness for the configuration file
/* SYNOPSIS
/*	fuzz_conf [libFuzzer options] [corpus...]
/* DESCRIPTION
/*	Writes each input into one memfd (rewritten each run: no file is
/*	left behind) and loads it with conf_load() by its /proc/self/fd
/*	path, as filterd -t loads filterd.conf. Checks that a file it
/*	refuses has a reason of the form "file:line: message" naming that
/*	file (or one it includes), and frees what it takes.
/*
/*	LLVMFuzzerInitialize() moves the process into a new user and
/*	network namespace when the system allows it, so that a listen
/*	address with a host name never sends a DNS query (getaddrinfo()
/*	fails at once); an include of another file reads only what the
/*	fuzzing user can read (standard input is to be /dev/null).
/*--*/

#include <ctype.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf/conf.h"

static int conf_fd = -1;
static char conf_path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		perror("fuzz_conf: unshare (host names may be resolved)");
	conf_fd = memfd_create("fuzz_conf", MFD_CLOEXEC);
	if (conf_fd < 0)
		abort();
	snprintf(conf_path, sizeof(conf_path), "/proc/self/fd/%d", conf_fd);
	return 0;
}

/*
 * file_line_message - err is "<file>:<digits>: <text>", the file this
 * input or one it includes: include("5") here is /proc/self/fd/5, a
 * descriptor of this process (the input's own copy, which includes
 * itself until libconfuse says "includes nested too deeply" there).
 */
static int
file_line_message(const char *err)
{
	const char *p = err;

	if (strncmp(p, conf_path, strlen(conf_path)) == 0)
		p += strlen(conf_path);
	else if (strncmp(p, "/proc/self/fd/", 14) == 0 &&
		 isdigit((unsigned char)p[14]))
		for (p += 14; isdigit((unsigned char)*p);)
			p++;
	else
		return 0;
	if (*p++ != ':' || !isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p))
		p++;
	return p[0] == ':' && p[1] == ' ' && p[2] != 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c;
	char err[1024];

	if (ftruncate(conf_fd, 0) < 0 ||
	    pwrite(conf_fd, data, size, 0) != (ssize_t)size)
		abort();
	err[0] = 0;
	c = conf_load(conf_path, err, sizeof(err));
	if (c == NULL) {
		if (!file_line_message(err)) {
			fprintf(stderr, "fuzz_conf: reason \"%s\"\n", err);
			abort();
		}
		return 0;
	}
	conf_free(&c);
	return 0;
}
