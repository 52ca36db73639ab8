/*++
/* NAME
/*	server_skel 3
/* SUMMARY
/*	the child process skeleton
/*--*/

#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "db/db.h"
#include "pdp/pdp_server.h"
#include "reinject/reinject.h"
#include "scan/checks.h"
#include "scoreboard.h"
#include "server_skel.h"
#include "smtp/session.h"
#include "status.h"
#include "util/msg.h"

/*
 * The child's process state: set by signal handlers, read by the loop.
 * skel_stop (SIGTERM: drain, a lost master): finish the message in hand,
 * then close the session. skel_retire (SIGUSR1: a new generation): finish
 * the session in hand, then exit. skel_fds: this child's copies of the
 * listening sockets, closed (-1) as soon as it will accept no more.
 */
static volatile sig_atomic_t skel_stop;
static volatile sig_atomic_t skel_retire;
static int skel_fds[CONF_MAX_LISTENS];
static size_t skel_n_fds;

/*
 * skel_close_listeners - this child accepts nothing more: its copies of
 * the listening sockets go at once, so that a listener a reload removed
 * (the master closed its own) refuses connections again instead of
 * queueing them for nobody while an old session goes on. Called from
 * the SIGUSR1 handler too: close(2) only.
 */
static void
skel_close_listeners(void)
{
	for (size_t i = 0; i < skel_n_fds; i++)
		if (skel_fds[i] >= 0) {
			(void)close(skel_fds[i]);
			skel_fds[i] = -1;
		}
}

/* skel_last_session - max_requests reached in a session: accept no more */
static void
skel_last_session(void)
{
	sigset_t usr1, old;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	skel_close_listeners();
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* skel_on_term - finish what is in hand, then exit */
static void
skel_on_term(int sig)
{
	(void)sig;
	skel_stop = 1;
}

/* skel_on_retire - close the listeners, finish the session in hand */
static void
skel_on_retire(int sig)
{
	int saved = errno;

	(void)sig;
	skel_retire = 1;
	skel_close_listeners();
	errno = saved;
}

/* skel_signals - child signal dispositions */
static void
skel_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = skel_on_term;
	sigaction(SIGTERM, &sa, NULL);
	/* Nothing in hand needs to notice a retirement at once. */
	sa.sa_handler = skel_on_retire;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* A file size limit is a write error (EFBIG), handled like ENOSPC. */
	sigaction(SIGXFSZ, &sa, NULL);
	/* child_timeout: SIGALRM kills the child, dropping the connection. */
	sa.sa_handler = SIG_DFL;
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* skel_drop_privileges - become conf->user, for good */
static void
skel_drop_privileges(const struct conf *c)
{
	struct passwd *pw;

	if (geteuid() != 0 || c->user[0] == 0)
		return;
	if ((pw = getpwnam(c->user)) == NULL)
		msg_fatal("parameter user: unknown user \"%s\"", c->user);
	if (setgroups(1, &pw->pw_gid) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		msg_fatal("cannot become user %s: %m", c->user);
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		msg_fatal("root privileges could be regained after dropping "
			  "to %s",
			  c->user);
}

/*
 * skel_become_worker - what a child and the milter process do after the
 * fork: become conf->user, die with the master, live in the private
 * directory conf->tmp_dir
 */
void
skel_become_worker(const struct conf *c, pid_t master)
{
	skel_drop_privileges(c);
	/* No program it could run (it runs none) gains privileges, and
	 * nothing it makes is open to others: the modes it asks for are
	 * kept, a file made by a library (libmilter's unix socket,
	 * libclamav's temporary files) loses any access of others. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		msg_fatal("prctl PR_SET_NO_NEW_PRIVS: %m");
	(void)umask(007);
	/* After the drop: a change of credentials clears the death signal. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master)
		_exit(0);
	/*
	 * conf->tmp_dir is this process's private directory (childdir.h),
	 * made here, as the user, so that it is ours. Everything we write
	 * for a message goes there, libclamav's per-scan directories too:
	 * with no CL_ENGINE_TMPDIR it reads TMPDIR at each scan. The master
	 * removes the directory when it reaps us, however we ended.
	 */
	if (mkdir(c->tmp_dir, 0700) < 0)
		msg_fatal("mkdir %s: %m", c->tmp_dir);
	if (setenv("TMPDIR", c->tmp_dir, 1) < 0)
		msg_fatal("setenv TMPDIR: %m");
	if (chdir(c->tmp_dir) < 0)
		msg_fatal("chdir %s: %m", c->tmp_dir);
}

/*
 * skel_listen_set - an epoll set of the listeners, each added with
 * EPOLLEXCLUSIVE: a new connection wakes one idle child, not all of them
 * (with poll(2) every idle child woke for every connection, and all but
 * one went back to sleep empty-handed).
 */
static int
skel_listen_set(const struct skel_child *args)
{
	const struct conf *c = args->conf;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		msg_fatal("epoll_create1: %m");
	for (size_t i = 0; i < c->n_listens; i++) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE,
					 .data.u64 = i};

		if (epoll_ctl(ep, EPOLL_CTL_ADD, skel_fds[i], &ev) < 0)
			msg_fatal("epoll_ctl %s: %m", c->listens[i].addr);
	}
	return ep;
}

/* skel_accept - wait for a connection on any listener; fd or -1 */
static int
skel_accept(const struct skel_child *args, int ep, size_t *which)
{
	const struct conf *c = args->conf;
	struct epoll_event ev[c->n_listens];
	sigset_t usr1, old;
	int n, fd = -1;

	/* Wait in slices: a lost master or a stop is noticed in a second. */
	n = epoll_wait(ep, ev, (int)c->n_listens, 1000);
	/* The retirement handler closes the sockets: not under accept. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	for (int k = 0; k < n && fd < 0 && !skel_retire; k++) {
		size_t i = (size_t)ev[k].data.u64;

		if (skel_fds[i] < 0)
			continue;
		/* Another child may have taken it: EAGAIN is normal. */
		fd = accept4(skel_fds[i], NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0)
			*which = i;
		else if (errno != EAGAIN && errno != EINTR &&
			 errno != ECONNABORTED)
			msg_warn("accept on %s: %m", c->listens[i].addr);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return fd;
}

/* skel_now - the monotonic clock's seconds */
static time_t
skel_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/*
 * skel_idle_trim - once a child has waited a second or more without a
 * session (*trim_at passed), give the heap's free pages back: libclamav's
 * scans of archives leave tens of MiB free in the heap (with a large
 * database: its per-scan arrays for logical signatures), which a busy
 * child reuses at once but an idle one would keep private for nothing.
 */
static void
skel_idle_trim(time_t *trim_at)
{
	if (*trim_at == 0 || skel_now() < *trim_at)
		return;
	malloc_trim(0);
	*trim_at = 0;
}

/* skel_child_main - the life of a child */
void
skel_child_main(const struct skel_child *args)
{
	const struct conf *c = args->conf;
	pid_t master = getppid(), self = getpid();
	struct session_ctx ctx = {0};
	size_t which;
	time_t trim_at = 0; /* idle from then on: give the heap back */
	int ep;

	/* SIGUSR1 and SIGTERM stay blocked from the fork (master_spawn)
	 * until the handlers are in place: see skel_signals(). */
	if (c->n_listens > CONF_MAX_LISTENS)
		msg_fatal("%zu listeners: at most %d", c->n_listens,
			  CONF_MAX_LISTENS);
	for (size_t i = 0; i < c->n_listens; i++)
		skel_fds[i] = args->listen_fds[i];
	skel_n_fds = c->n_listens;
	skel_signals();
	skel_become_worker(c, master);
	ctx.conf = c;
	ctx.rj = reinject_create(c);
	ctx.stop = &skel_stop;
	ctx.retire = &skel_retire;
	ctx.last_session = skel_last_session;
	ctx.max_messages = (unsigned long)c->max_requests;
	ctx.slot = args->slot;
	ctx.sb = args->sb;
	ctx.checks = args->checks;
	ctx.cctx = checks_ctx_create(args->checks);
	/* SQL connections are made after fork, by the child, when used. */
	if (c->sql.storage.n) {
		ctx.storage = db_create(&c->sql.storage, c->sql.retry_interval,
					c->sql.connect_timeout);
		/* Pen pals and releases read what another node just wrote. */
		db_sync_reads(ctx.storage, 1);
	}
	if (c->sql.lookup.n)
		ctx.lookup = db_create(&c->sql.lookup, c->sql.retry_interval,
				       c->sql.connect_timeout);
	args->slot->pid = (int32_t)self;
	ep = skel_listen_set(args);
	status_send(args->status_fd, self, STATUS_IDLE);

	/* max_requests, like a retirement, ends a child between sessions:
	 * the front MTA's session is never cut short for it. */
	while (!skel_stop && !skel_retire && ctx.messages < ctx.max_messages) {
		int fd = skel_accept(args, ep, &which);

		/* A busy child learns of a lost master from PDEATHSIG. */
		if (fd < 0) {
			if (getppid() != master)
				break;
			skel_idle_trim(&trim_at);
			continue;
		}
		trim_at = 0;
		status_send(args->status_fd, self, STATUS_BUSY);
		ctx.listen = c->listens + which;
		sb_slot_state(ctx.slot, SB_GREETING);
		if (ctx.listen->protocol == CONF_PROTO_AMPDP)
			pdp_serve(&ctx, fd);
		else
			session_run(&ctx, fd);
		sb_slot_state(ctx.slot, SB_IDLE);
		status_send(args->status_fd, self, STATUS_IDLE);
		trim_at = skel_now() + 2; /* a second or more */
	}
	close(ep);
	skel_last_session();
	reinject_free(&ctx.rj);
	checks_ctx_free(&ctx.cctx);
	db_free(&ctx.storage);
	db_free(&ctx.lookup);
	exit(0);
}
