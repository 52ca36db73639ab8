/*++
/* NAME
/*	filterd 8
/* SUMMARY
/*	content-filter hop for Postfix
/* SYNOPSIS
/*	filterd [-f] [-c file]
/*	filterd -t [-c file]
/*	filterd -d
/*	filterd -n -c file
/*	filterd -V
/* DESCRIPTION
/*	filterd receives mail over SMTP or LMTP from a front MTA, checks it,
/*	and hands it to the next hop of its policy bank, answering the
/*	front MTA only once the next hop has it.
/*
/*	-c file	the configuration (default: the embedded defaults only)
/*	-f	stay in the foreground and also log to standard error
/*	-t	check the configuration and exit (errors: file:line: message)
/*	-d	print every parameter with its documentation and default
/*	-n	print the top-level parameters the file changes
/*	-V	print the version
/* DIAGNOSTICS
/*	Exit status 0 on success, 1 on a configuration or start-up error.
/*--*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "master/master.h"
#include "util/msg.h"

#ifndef FILTERD_VERSION
#define FILTERD_VERSION "0.0.0"
#endif

/* usage - say how to call us */
static void
usage(void)
{
	fprintf(stderr, "usage: filterd [-f] [-c file] | -t [-c file] | -d | "
			"-n -c file | -V\n");
	exit(1);
}

/* daemonize - detach from the terminal */
static void
daemonize(void)
{
	if (daemon(0, 0) < 0)
		msg_fatal("daemon: %m");
}

int
main(int argc, char **argv)
{
	const char *file = NULL;
	char *abs_file = NULL;
	int foreground = 0, check = 0, defaults = 0, changed = 0, ch;
	struct conf *conf;
	char err[1024];

	while ((ch = getopt(argc, argv, "c:dfntV")) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'd':
			defaults = 1;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			changed = 1;
			break;
		case 't':
			check = 1;
			break;
		case 'V':
			printf("filterd %s\n", FILTERD_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (defaults) {
		conf_print_defaults(stdout);
		return 0;
	}
	if (changed) {
		if (file == NULL)
			usage();
		return conf_print_changed(file, stdout) < 0 ? 1 : 0;
	}
	/* Reloads happen after daemon() changed to "/": keep the full path. */
	if (file && (abs_file = realpath(file, NULL)) != NULL)
		file = abs_file;
	if ((conf = conf_load(file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check) {
		conf_free(&conf);
		return 0;
	}
	msg_open(conf->syslog_ident, conf->syslog_facility, foreground);
	if (!foreground)
		daemonize();
	msg_info("starting filterd %s with %s", FILTERD_VERSION, conf->file);
	return master_run(conf, file);
}
