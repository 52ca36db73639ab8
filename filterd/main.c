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
/*	-t	check the configuration and exit (errors: file:line: message),
/*		with the signatures and rules loaded as the start loads them
/*		the user looked up, run_dir, tmp_dir and quarantine_dir
/*		checked without making anything (directories, not links, or
/*		makeable; the children can enter the parents of tmp_dir and
/*		quarantine_dir), and each listen address checked as the
/*		start would bind it (an address of this machine, a port this
/*		process may bind: CAP_NET_BIND_SERVICE, not uid 0; a port in
/*		use passes: the running instance holds it); the milter
/*		socket likewise (a unix socket's directory must exist)
/*	-d	print every parameter with its documentation and default
/*	-n	print the top-level parameters the file changes
/*	-V	print the version and the spam rules' engine
/*		("vectorscan+pcre2", or "pcre2" in a build without
/*		Vectorscan)
/*
/*	Without -f, filterd detaches and its caller's exit status says
/*	whether it started: 0 once it listens on every address and has
/*	loaded its engines, 1 (the reason on standard error) when it could
/*	not, e.g. a listening address in use or a signature database that
/*	does not load.
/* DIAGNOSTICS
/*	Exit status 0 on success, 1 on a configuration or start-up error.
/*--*/

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/conf.h"
#include "master/master.h"
#include "master/rundirs.h"
#include "milter/milter.h"
#include "scan/checks.h"
#include "scan/rules.h"
#include "util/inet.h"
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

/*
 * daemon_start - detach: fork, and in the parent wait until the child
 * says it is ready (it listens and has loaded the engines) before exiting
 * 0; when the child dies first, exit 1: it has told why on the standard
 * error they share. Returns, in the child (a new session, in "/", input
 * from /dev/null), the write end of the pipe for master_run(). The child
 * is the daemon itself: the pid file and its children see its final pid.
 */
static int
daemon_start(void)
{
	int p[2], null, status;
	ssize_t n;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		msg_fatal("pipe: %m");
	fflush(NULL);
	if ((pid = fork()) < 0)
		msg_fatal("fork: %m");
	if (pid > 0) {
		close(p[1]);
		do
			n = read(p[0], &c, 1);
		while (n < 0 && errno == EINTR);
		if (n == 1)
			_exit(0);
		if (waitpid(pid, &status, 0) == pid && WIFSIGNALED(status))
			fprintf(stderr,
				"filterd: killed by signal %d while starting\n",
				WTERMSIG(status));
		_exit(1);
	}
	close(p[0]);
	if (setsid() < 0)
		msg_fatal("setsid: %m");
	if (chdir("/") < 0)
		msg_fatal("chdir /: %m");
	if ((null = open("/dev/null", O_RDONLY)) < 0 ||
	    dup2(null, STDIN_FILENO) < 0)
		msg_fatal("/dev/null: %m");
	if (null != STDIN_FILENO)
		close(null);
	return p[1];
}

/*
 * main_rules_cache_note - a build without Vectorscan has no compiled
 * rule databases to keep: rules_cache_dir (set by default) goes unused.
 * Said once at start and by -t; not an error.
 */
static void
main_rules_cache_note(const struct conf *conf)
{
	if (!rules_have_vectorscan() && conf->rules_cache_dir[0])
		msg_notice("rules_cache_dir %s is unused: this filterd is "
			   "built without Vectorscan and its spam rules run "
			   "on PCRE2 alone",
			   conf->rules_cache_dir);
}

/*
 * main_listen_check - could this listener be made? (filterd -t) A
 * unix socket (pdp_socket) needs its directory; 0 or -1 and errbuf
 */
static int
main_listen_check(const struct conf_listen *l, char *errbuf, size_t errsize)
{
	char dir[CONF_UNIX_PATH_MAX];
	struct stat st;
	char *slash;

	if (!l->unix_socket)
		return inet_listen_check(l->host, l->port, errbuf, errsize);
	snprintf(dir, sizeof(dir), "%s", l->addr);
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = 0;
	errno = 0;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(errbuf, errsize, "directory %s: %s", dir,
			 errno ? strerror(errno) : "not a directory");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *file = NULL;
	char *abs_file = NULL;
	int foreground = 0, check = 0, defaults = 0, changed = 0, ch;
	int ready_fd, rc;
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
			printf("filterd %s (spam rules: %s)\n", FILTERD_VERSION,
			       rules_engine_name(NULL));
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
	/* Reloads happen after the daemon changed to "/": keep the full path. */
	if (file && (abs_file = realpath(file, NULL)) != NULL)
		file = abs_file;
	if ((conf = conf_load(file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		free(abs_file);
		return 1;
	}
	/*
	 * -t checks what the start does, binding aside: the signatures load
	 * and the rule files read (what they load is said on stderr), the
	 * user, the directories (rundirs_check(): nothing is made) and each
	 * listener, so that a check that passes is a configuration that
	 * starts. Every problem found is said, one a line.
	 */
	if (check) {
		struct checks *ck;
		int ok;

		/* The compiled rule databases are read, not written. */
		conf->rules_cache_readonly = 1;
		main_rules_cache_note(conf);
		ck = checks_create(conf, err, sizeof(err));
		ok = ck != NULL;

		if (!ok)
			fprintf(stderr, "%s\n", err);
		if (rundirs_check(conf, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			ok = 0;
		}
		for (size_t i = 0; i < conf->n_listens; i++) {
			const struct conf_listen *l = conf->listens + i;

			if (main_listen_check(l, err, sizeof(err)) < 0) {
				fprintf(stderr, "%s%slisten \"%s\": %s\n",
					l->where, l->where[0] ? ": " : "",
					l->addr, err);
				ok = 0;
			}
		}
		if (conf->milter.socket[0] &&
		    milter_socket_check(conf, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: milter socket \"%s\": %s\n",
				conf->milter.where, conf->milter.socket, err);
			ok = 0;
		}
		checks_free(&ck);
		conf_free(&conf);
		free(abs_file);
		return ok ? 0 : 1;
	}
	/* Until it is ready, a daemon too says on stderr why it failed. */
	msg_open(conf->syslog_ident, conf->syslog_facility, 1);
	if (conf->milter.socket[0] &&
	    milter_socket_user(conf, err, sizeof(err)) < 0)
		msg_fatal("%s: milter socket \"%s\": %s", conf->milter.where,
			  conf->milter.socket, err);
	ready_fd = foreground ? -1 : daemon_start();
	msg_info("starting filterd %s with %s", FILTERD_VERSION, conf->file);
	main_rules_cache_note(conf);
	rc = master_run(conf, file, ready_fd);
	free(abs_file);
	return rc;
}
