/*++
/* NAME
/*	filterd-snmp 8
/* SUMMARY
/*	AgentX subagent serving FILTERD-MIB from the scoreboard
/* SYNOPSIS
/*	filterd-snmp [-f] [-c file] [-s scoreboard] [-x socket]
/* DESCRIPTION
/*	filterd-snmp connects to an SNMP master agent (snmpd with "master
/*	agentx") over AgentX (RFC 2741) and answers for the FILTERD-MIB
/*	subtree (snmp-mib/FILTERD-MIB.txt, 1.3.6.1.3.7281) from filterd's
/*	scoreboard, run_dir/scoreboard, mapped read-only at each request.
/*	It never touches the mail path: it may be started, stopped and
/*	restarted at any time, before or after filterd and snmpd; it
/*	follows a restarted master (a new scoreboard file) and reconnects
/*	to a restarted snmpd (AgentX ping every 15 s).
/*
/*	-c file	the filterd configuration (for run_dir and syslog)
/*	-s file	the scoreboard file itself, instead of run_dir/scoreboard
/*	-x socket	the master agent's AgentX socket (default: net-snmp's,
/*		/var/agentx/master); "tcp:host:port" works too
/*	-f	stay in the foreground and also log to standard error
/*
/*	SIGTERM and SIGINT end it.
/* DIAGNOSTICS
/*	Logging goes through msg(3), net-snmp's own messages included.
/*	Exit status 1 on a configuration or start-up error.
/*--*/

/* net-snmp wants its config header first: keep these three in order. */
#include <net-snmp/net-snmp-config.h>

#include <net-snmp/net-snmp-includes.h>

#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conf/conf.h"
#include "mib_handlers.h"
#include "util/buf.h"
#include "util/msg.h"

#define AGENT_NAME "filterd-snmp"
#define AGENT_PING_INTERVAL 15

/* Set by SIGTERM/SIGINT: the request loop ends. */
static volatile sig_atomic_t agent_stop;

/* agent_on_signal - ask the loop to end */
static void
agent_on_signal(int sig)
{
	(void)sig;
	agent_stop = 1;
}

/* usage - say how to call us */
static void
usage(void)
{
	fprintf(stderr, "usage: filterd-snmp [-f] [-c file] [-s scoreboard] "
			"[-x socket]\n");
	exit(1);
}

/* agent_log - net-snmp's log lines, through msg(3) */
static int
agent_log(int major, int minor, void *arg, void *client)
{
	const struct snmp_log_message *m = arg;
	char line[1024];
	size_t n;

	(void)major;
	(void)minor;
	(void)client;
	snprintf(line, sizeof(line), "%s", m->msg ? m->msg : "");
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
	if (n == 0)
		return 0;
	if (m->priority <= LOG_ERR)
		msg_error("net-snmp: %s", line);
	else if (m->priority == LOG_WARNING)
		msg_warn("net-snmp: %s", line);
	else if (m->priority <= LOG_INFO)
		msg_info("net-snmp: %s", line);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *conf_file = NULL, *sb_path = NULL, *agentx = NULL;
	int foreground = 0, ch;
	struct conf *conf;
	struct sigaction sa;
	char err[1024];
	struct buf path;

	while ((ch = getopt(argc, argv, "c:fs:x:")) != -1) {
		switch (ch) {
		case 'c':
			conf_file = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 's':
			sb_path = optarg;
			break;
		case 'x':
			agentx = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if ((conf = conf_load(conf_file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s%s\n", err,
			conf_file && access(conf_file, R_OK) < 0 &&
					errno == EACCES
				? " (in run_dir's group, without the "
				  "configuration: -s run_dir/scoreboard)"
				: "");
		return 1;
	}
	buf_init(&path, 256);
	if (sb_path)
		buf_puts(&path, sb_path);
	else
		buf_printf(&path, "%s/scoreboard", conf->run_dir);
	msg_open(AGENT_NAME, conf->syslog_facility, foreground);
	conf_free(&conf);
	if (!foreground && daemon(0, 0) < 0)
		msg_fatal("daemon: %m");

	/* net-snmp logs through us. */
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
			       agent_log, NULL);
	snmp_enable_calllog();
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE,
			       1);
	if (agentx)
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID,
				      NETSNMP_DS_AGENT_X_SOCKET, agentx);
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID,
			   NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
			   AGENT_PING_INTERVAL);
	/* Served by number: no MIB files to parse (nor to miss). */
	setenv("MIBS", "", 1);
	/* Nothing to persist: do not write under /var/lib/snmp. */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
			       NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	if (init_agent(AGENT_NAME) != 0)
		msg_fatal("init_agent failed");
	if (mib_handlers_register(path.data) == NULL)
		msg_fatal("cannot register the FILTERD-MIB subtree");
	init_snmp(AGENT_NAME);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = agent_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	msg_info("serving FILTERD-MIB from %s over AgentX%s%s", path.data,
		 agentx ? " at " : "", agentx ? agentx : "");
	/* A signal interrupts the wait (no SA_RESTART): the flag is seen. */
	while (!agent_stop)
		agent_check_and_process(1);
	msg_info("stopping");
	snmp_shutdown(AGENT_NAME);
	buf_release(&path);
	return 0;
}
