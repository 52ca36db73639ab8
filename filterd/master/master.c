/*++
/* NAME
/*	master 3
/* SUMMARY
/*	the master process: listeners and the prefork pool
/* DESCRIPTION
/*	Signals reach the loop through a self-pipe. Children report busy
/*	and idle over the status pipe. The child table is a plain array of
/*	max_servers * 2 slots (old generations may linger while draining).
/*--*/

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "childdir.h"
#include "conf/conf.h"
#include "master.h"
#include "milter/milter.h"
#include "quarantine/quar.h"
#include "rundirs.h"
#include "scan/checks.h"
#include "scoreboard.h"
#include "server_skel.h"
#include "status.h"
#include "util/inet.h"
#include "util/msg.h"
#include "util/xalloc.h"

#define MASTER_SPAWN_THROTTLE 1	  /* seconds to pause after a young death */
#define MASTER_YOUNG 2		  /* a child dead within this was young */
#define MASTER_EXHAUSTED_EVERY 60 /* seconds between "pool exhausted" */

struct master_child {
	pid_t pid;
	unsigned generation;
	int busy;
	time_t started;
	time_t idle_since;
	int sb_index;	/* its scoreboard slot */
	char *tmp_dir;	/* where its private directory is (childdir.h) */
	char *quar_dir; /* its quarantine_dir (quar_local_leftover) */
};

/*
 * The milter process (milter.h): the current one, restarted when it dies,
 * and old ones that a reload replaced, finishing their connections.
 */
#define MASTER_MILTERS 4

struct master_milter {
	pid_t pid; /* 0: a free record */
	int current;
	time_t started;
	int *sb; /* its scoreboard slots, one per connection */
	size_t n_sb;
	char *tmp_dir;
	char *quar_dir;
};

struct master_listener {
	char *addr;
	int fd;
	size_t from; /* master_bind(): the old listener's index + 1, or 0 */
};

struct master {
	struct conf *conf;
	const char *conf_file;
	unsigned generation;
	struct master_child *children;
	size_t n_slots;
	struct master_listener *listeners; /* parallel to conf->listens */
	int status_rd, status_wr;
	time_t throttle_until;
	int draining;
	struct scoreboard *sb;
	struct checks *checks; /* engines of the current generation */
	int to_stderr;	       /* log to stderr too (foreground) */
	struct master_milter milters[MASTER_MILTERS];
	time_t milter_throttle; /* no milter process started before */
	int tmp_fd;		/* tmp_dir, locked against another master */
	int pid_fd;		/* run_dir/filterd.pid, write-locked */
	dev_t tmp_dev;		/* and which directory that is */
	ino_t tmp_ino;
	int exhausted;		 /* every child busy, max_servers reached */
	time_t exhausted_logged; /* when that was last said */
	unsigned long exhausted_quiet; /* times it was not said since */
};

/* The self-pipe: written by signal handlers, read by the loop. */
static int master_sig_pipe[2] = {-1, -1};

/* master_on_signal - hand the signal number to the loop */
static void
master_on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	(void)write(master_sig_pipe[1], &c, 1);
	errno = saved;
}

/* master_signals - route SIGHUP, SIGTERM, SIGINT, SIGCHLD to the pipe */
static void
master_signals(void)
{
	struct sigaction sa;
	static const int sigs[] = {SIGHUP, SIGTERM, SIGINT, SIGCHLD};

	if (pipe2(master_sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		msg_fatal("pipe: %m");
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = master_on_signal;
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * master_unix_listen - the pdp_socket: mode 0660, owner user, group
 * pdp_group (else the user's group); ownership only when root
 */
static int
master_unix_listen(const struct conf *c, const char *path, char *err,
		   size_t errsize)
{
	struct passwd *pw = NULL;
	struct group *gr = NULL;

	if (geteuid() != 0)
		return unix_listen(path, c->listen_backlog, (uid_t)-1,
				   (gid_t)-1, err, errsize);
	if (c->user[0] && (pw = getpwnam(c->user)) == NULL) {
		snprintf(err, errsize, "%s: unknown user \"%s\"", path,
			 c->user);
		return -1;
	}
	if (c->pdp_group[0] && (gr = getgrnam(c->pdp_group)) == NULL) {
		snprintf(err, errsize, "%s: unknown pdp_group \"%s\"", path,
			 c->pdp_group);
		return -1;
	}
	return unix_listen(path, c->listen_backlog, pw ? pw->pw_uid : 0,
			   gr	? gr->gr_gid
			   : pw ? pw->pw_gid
				: 0,
			   err, errsize);
}

/*
 * master_bind_abandon - close what master_bind() bound (a unix socket
 * made, its file removed too: nobody would serve it), free the array;
 * the reused sockets stay old's
 */
static void
master_bind_abandon(struct master_listener **lp, size_t n)
{
	struct master_listener *l = *lp;

	for (size_t i = 0; i < n; i++) {
		if (l[i].from == 0 && l[i].fd >= 0) {
			close(l[i].fd);
			if (l[i].addr[0] == '/')
				(void)unlink(l[i].addr);
		}
		free(l[i].addr);
	}
	free(l);
	*lp = NULL;
}

/*
 * master_bind - a listener for each configured address, reusing the
 * socket of an old listener with the same address. Nothing changes in old
 * until every new address is bound: on failure the sockets bound here are
 * closed, old is as it was (the running pool keeps its listeners) and the
 * result is NULL. On success old still holds its sockets too, until
 * master_bind_commit() gives the reused ones to the new array (their
 * old[].fd becomes -1: closing old closes only the removed listeners), or
 * master_bind_abandon() closes what was bound here and leaves old as it
 * was.
 */
static struct master_listener *
master_bind(const struct conf *c, struct master_listener *old, size_t n_old)
{
	struct master_listener *l = xcalloc(c->n_listens, sizeof(*l));
	char err[512];

	for (size_t i = 0; i < c->n_listens; i++) {
		const struct conf_listen *cl = c->listens + i;

		l[i].addr = xstrdup(cl->addr);
		l[i].fd = -1;
		for (size_t k = 0; k < n_old && l[i].fd < 0; k++) {
			int taken = 0;

			for (size_t j = 0; j < i; j++)
				taken |= l[j].from == k + 1;
			if (!taken && old[k].fd >= 0 &&
			    strcmp(old[k].addr, cl->addr) == 0) {
				l[i].fd = old[k].fd;
				l[i].from = k + 1;
			}
		}
		if (l[i].fd >= 0)
			continue;
		l[i].fd = cl->unix_socket ? master_unix_listen(c, cl->addr, err,
							       sizeof(err))
					  : inet_listen(cl->host, cl->port,
							c->listen_backlog, err,
							sizeof(err));
		if (l[i].fd < 0) {
			msg_error("listen %s: %s", cl->addr, err);
			master_bind_abandon(&l, i + 1);
			return NULL;
		}
		/* Children race for connections: accept must not block. */
		(void)fcntl(l[i].fd, F_SETFL,
			    fcntl(l[i].fd, F_GETFL) | O_NONBLOCK);
	}
	return l;
}

/*
 * master_bind_commit - the sockets master_bind() reused are the new
 * array's (old[].fd is -1)
 */
static void
master_bind_commit(struct master_listener *l, size_t n,
		   struct master_listener *old)
{
	for (size_t i = 0; i < n; i++)
		if (l[i].from)
			old[l[i].from - 1].fd = -1; /* moved */
}

/*
 * master_tmp_open - open tmp_dir, not through a symbolic link, and lock it
 * against another master: at start a master removes the private
 * directories it finds there, and two masters sharing it would remove
 * each other's. *fdp gets the locked descriptor, or -1 when dir is the
 * directory m already holds (a second lock on it would conflict with our
 * own). 0, or -1 with the reason in err.
 */
static int
master_tmp_open(const struct master *m, const char *dir, int *fdp,
		struct stat *st, char *err, size_t errsize)
{
	char why[1024];
	int fd;

	*fdp = -1;
	if ((fd = rundirs_open(dir, st, why, sizeof(why))) < 0) {
		snprintf(err, errsize, "tmp_dir %.900s", why);
		return -1;
	}
	if (m->tmp_fd >= 0 && st->st_dev == m->tmp_dev &&
	    st->st_ino == m->tmp_ino) {
		close(fd);
		return 0;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errsize, "tmp_dir %s: %s", dir,
			 errno == EWOULDBLOCK
				 ? "in use by another filterd master"
				 : strerror(errno));
		close(fd);
		return -1;
	}
	*fdp = fd;
	return 0;
}

/* master_tmp_take - make an opened tmp_dir the master's own */
static void
master_tmp_take(struct master *m, int fd, const struct stat *st)
{
	if (fd < 0)
		return;
	if (m->tmp_fd >= 0)
		close(m->tmp_fd);
	m->tmp_fd = fd;
	m->tmp_dev = st->st_dev;
	m->tmp_ino = st->st_ino;
}

/*
 * master_close_listeners - close and free a listener array; a unix
 * socket (pdp_socket: its address is its path) is removed with it, so
 * that a client finds no socket rather than one nobody serves
 */
static void
master_close_listeners(struct master_listener **lp, size_t n)
{
	struct master_listener *l = *lp;

	if (l == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		if (l[i].fd >= 0) {
			close(l[i].fd);
			if (l[i].addr[0] == '/')
				(void)unlink(l[i].addr);
		}
		free(l[i].addr);
	}
	free(l);
	*lp = NULL;
}

/*
 * master_fork - fork a worker (a child, or the milter process when
 * children is 0) with SIGUSR1 and SIGTERM blocked until its handlers
 * are in place (a worker retired or stopped before that is not killed;
 * the caller restores *old_mask in the master). In the worker: the
 * master's descriptors closed (the listeners too, for the milter),
 * stdout to /dev/null (what a library prints, libytnef's error lines,
 * goes nowhere: a worker says all through msg_*), and this process's
 * copy of the configuration naming its private directory as tmp_dir
 * (the worker makes it, the master removes it at the reaping). Returns
 * the pid, 0 in the worker, -1 (mask restored, said) when fork fails.
 */
static pid_t
master_fork(struct master *m, int children, sigset_t *old_mask)
{
	sigset_t block;
	pid_t pid;
	int null;
	char *own;

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, old_mask);
	if ((pid = fork()) < 0) {
		sigprocmask(SIG_SETMASK, old_mask, NULL);
		msg_warn("fork: %m");
		return -1;
	}
	if (pid > 0)
		return pid;
	close(master_sig_pipe[0]);
	close(master_sig_pipe[1]);
	close(m->status_rd);
	close(m->tmp_fd);
	if (m->pid_fd >= 0)
		close(m->pid_fd);
	if (!children) {
		close(m->status_wr);
		for (size_t i = 0; i < m->conf->n_listens; i++)
			close(m->listeners[i].fd);
	}
	if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) >= 0) {
		(void)dup2(null, STDOUT_FILENO);
		close(null);
	}
	own = childdir_path(m->conf->tmp_dir, getpid());
	free(m->conf->tmp_dir);
	m->conf->tmp_dir = own;
	return 0;
}
/* master_spawn - start one child of the current generation */
static void
master_spawn(struct master *m)
{
	struct master_child *slot = NULL;
	sigset_t old_mask;
	int sb_index;
	pid_t pid;

	for (size_t i = 0; i < m->n_slots && slot == NULL; i++)
		if (m->children[i].pid == 0)
			slot = m->children + i;
	if (slot == NULL)
		return;
	if ((sb_index = sb_slot_reserve(m->sb, m->generation)) < 0) {
		msg_warn("no free scoreboard slot: not starting a child");
		return;
	}
	if ((pid = master_fork(m, 1, &old_mask)) < 0) {
		sb_slot_release(m->sb, (unsigned)sb_index);
		m->throttle_until = time(NULL) + MASTER_SPAWN_THROTTLE;
		return;
	}
	if (pid == 0) {
		int fds[m->conf->n_listens];
		struct skel_child args = {
			m->conf,      fds,
			m->status_wr, sb_slot(m->sb, (unsigned)sb_index),
			m->checks,    m->sb};

		for (size_t i = 0; i < m->conf->n_listens; i++)
			fds[i] = m->listeners[i].fd;
		skel_child_main(&args);
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sb_slot_born(m->sb, (unsigned)sb_index, pid);
	slot->sb_index = sb_index;
	slot->pid = pid;
	slot->generation = m->generation;
	slot->busy = 0;
	slot->started = slot->idle_since = time(NULL);
	slot->tmp_dir = xstrdup(m->conf->tmp_dir);
	slot->quar_dir = xstrdup(m->conf->quarantine_dir);
}

/* master_milter_spawn - start the milter process of the configuration */
static void
master_milter_spawn(struct master *m)
{
	const struct conf *c = m->conf;
	struct master_milter *mm = NULL;
	sigset_t old_mask;
	pid_t pid;

	for (size_t i = 0; i < MASTER_MILTERS && mm == NULL; i++)
		if (m->milters[i].pid == 0)
			mm = m->milters + i;
	if (mm == NULL)
		return;
	mm->sb = xcalloc((size_t)c->milter.max_connections, sizeof(int));
	for (mm->n_sb = 0; mm->n_sb < (size_t)c->milter.max_connections;
	     mm->n_sb++)
		if ((mm->sb[mm->n_sb] = sb_slot_reserve(m->sb, m->generation)) <
		    0)
			break;
	if (mm->n_sb == 0) {
		msg_warn("no free scoreboard slot: not starting the milter");
		free(mm->sb);
		mm->sb = NULL;
		m->milter_throttle = time(NULL) + MASTER_SPAWN_THROTTLE;
		return;
	}
	if ((pid = master_fork(m, 0, &old_mask)) < 0) {
		for (size_t i = 0; i < mm->n_sb; i++)
			sb_slot_release(m->sb, (unsigned)mm->sb[i]);
		free(mm->sb);
		memset(mm, 0, sizeof(*mm));
		m->milter_throttle = time(NULL) + MASTER_SPAWN_THROTTLE;
		return;
	}
	if (pid == 0) {
		struct sb_slot **slots = xcalloc(mm->n_sb, sizeof(*slots));
		struct milter_args args = {m->conf, m->checks, slots, mm->n_sb};

		for (size_t i = 0; i < mm->n_sb; i++)
			slots[i] = sb_slot(m->sb, (unsigned)mm->sb[i]);
		milter_main(&args);
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	for (size_t i = 0; i < mm->n_sb; i++)
		sb_slot_born(m->sb, (unsigned)mm->sb[i], pid);
	mm->pid = pid;
	mm->current = 1;
	mm->started = time(NULL);
	mm->tmp_dir = xstrdup(c->tmp_dir);
	mm->quar_dir = xstrdup(c->quarantine_dir);
}

/* master_milter_keep - a milter process runs when one is configured */
static void
master_milter_keep(struct master *m)
{
	if (m->draining || m->conf->milter.socket[0] == 0 ||
	    time(NULL) < m->milter_throttle)
		return;
	for (size_t i = 0; i < MASTER_MILTERS; i++)
		if (m->milters[i].pid && m->milters[i].current)
			return;
	master_milter_spawn(m);
}

/*
 * master_milter_retire - the milter processes take nothing new and
 * finish their messages (SIGUSR1, milter.h); none is current, so a new
 * one starts with the configuration now in force (a reload)
 */
static void
master_milter_retire(struct master *m)
{
	for (size_t i = 0; i < MASTER_MILTERS; i++)
		if (m->milters[i].pid) {
			m->milters[i].current = 0;
			kill(m->milters[i].pid, SIGUSR1);
		}
}

/* master_milter_gone - a milter process was reaped: 1, or 0: not one */
static int
master_milter_gone(struct master *m, pid_t pid, int status)
{
	char err[1024], mail_id[sizeof(((struct sb_slot *)0)->mail_id)];
	struct master_milter *mm = NULL;

	for (size_t i = 0; i < MASTER_MILTERS && mm == NULL; i++)
		if (m->milters[i].pid == pid)
			mm = m->milters + i;
	if (mm == NULL)
		return 0;
	if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0) {
		msg_warn("milter process %ld %s %d: the MTA tempfails the "
			 "messages it had in hand",
			 (long)pid,
			 WIFSIGNALED(status) ? "killed by signal"
					     : "exited with status",
			 WIFSIGNALED(status) ? WTERMSIG(status)
					     : WEXITSTATUS(status));
		if (time(NULL) - mm->started < MASTER_YOUNG)
			m->milter_throttle = time(NULL) + MASTER_SPAWN_THROTTLE;
	}
	if (childdir_remove(mm->tmp_dir, pid, err, sizeof(err)) < 0)
		msg_warn("milter %ld: %s", (long)pid, err);
	for (size_t i = 0; i < mm->n_sb; i++) {
		const struct sb_slot *s = sb_slot(m->sb, (unsigned)mm->sb[i]);

		memcpy(mail_id, s->mail_id, sizeof(mail_id));
		mail_id[sizeof(mail_id) - 1] = 0;
		if (mail_id[0] &&
		    quar_local_leftover(mm->quar_dir, mail_id, pid, err,
					sizeof(err)) < 0)
			msg_warn("milter %ld: quarantine leftover: %s",
				 (long)pid, err);
		sb_slot_release(m->sb, (unsigned)mm->sb[i]);
	}
	free(mm->sb);
	free(mm->tmp_dir);
	free(mm->quar_dir);
	memset(mm, 0, sizeof(*mm));
	return 1;
}

/* master_find - the slot of a child */
static struct master_child *
master_find(struct master *m, pid_t pid)
{
	for (size_t i = 0; i < m->n_slots; i++)
		if (m->children[i].pid == pid)
			return m->children + i;
	return NULL;
}

/* master_child_gone - free the slot and the files of a reaped child */
static void
master_child_gone(struct master *m, struct master_child *ch, pid_t pid)
{
	const struct sb_slot *s = sb_slot(m->sb, (unsigned)ch->sb_index);
	char err[1024], mail_id[sizeof(s->mail_id)];

	/* Whatever way it ended, nothing it was writing stays behind. */
	if (childdir_remove(ch->tmp_dir, pid, err, sizeof(err)) < 0)
		msg_warn("child %ld: %s", (long)pid, err);
	/* Nor a quarantine copy it was writing under a temporary name. */
	memcpy(mail_id, s->mail_id, sizeof(mail_id));
	mail_id[sizeof(mail_id) - 1] = 0;
	if (quar_local_leftover(ch->quar_dir, mail_id, pid, err, sizeof(err)) <
	    0)
		msg_warn("child %ld: quarantine leftover: %s", (long)pid, err);
	free(ch->tmp_dir);
	free(ch->quar_dir);
	sb_slot_release(m->sb, (unsigned)ch->sb_index);
	memset(ch, 0, sizeof(*ch));
}

/* master_reap - collect dead children */
static void
master_reap(struct master *m)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct master_child *ch = master_find(m, pid);
		int young = ch && time(NULL) - ch->started < MASTER_YOUNG;

		if (ch == NULL && master_milter_gone(m, pid, status))
			continue;

		if (WIFSIGNALED(status)) {
			msg_warn("child %ld killed by signal %d%s", (long)pid,
				 WTERMSIG(status),
				 ch && ch->busy
					 ? " with a message in hand: the "
					   "front MTA keeps it and retries"
					 : "");
		} else if (WEXITSTATUS(status) != 0) {
			msg_warn("child %ld exited with status %d", (long)pid,
				 WEXITSTATUS(status));
		}
		if ((WIFSIGNALED(status) || WEXITSTATUS(status) != 0) && young)
			m->throttle_until = time(NULL) + MASTER_SPAWN_THROTTLE;
		if (WIFSIGNALED(status))
			sb_header(m->sb)->child_kills++;
		if (ch)
			master_child_gone(m, ch, pid);
	}
}

/* master_status - note busy/idle reports */
static void
master_status(struct master *m)
{
	struct status_msg msgs[64];
	int n;

	while ((n = status_recv(m->status_rd, msgs, 64)) > 0)
		for (int i = 0; i < n; i++) {
			struct master_child *ch = master_find(m, msgs[i].pid);

			if (ch == NULL)
				continue;
			ch->busy = msgs[i].state == STATUS_BUSY;
			if (!ch->busy)
				ch->idle_since = time(NULL);
		}
}

/*
 * master_exhausted - note whether every child is busy with max_servers
 * reached (new connections then wait in the listen backlog), and say so
 * when it starts, at most once a minute, with how many times it started
 * unsaid since: an operator learns that max_servers is too low without
 * a line per connection.
 */
static void
master_exhausted(struct master *m, int exhausted, int total, time_t now)
{
	if (!exhausted || m->exhausted) {
		m->exhausted = exhausted;
		return;
	}
	m->exhausted = 1;
	if (m->exhausted_logged != 0 &&
	    now - m->exhausted_logged < MASTER_EXHAUSTED_EVERY) {
		m->exhausted_quiet++;
		return;
	}
	if (m->exhausted_quiet)
		msg_warn("pool exhausted: all %d children busy (max_servers "
			 "%d); new connections wait in the listen backlog "
			 "(%lu more times in the last %ld s)",
			 total, m->conf->max_servers, m->exhausted_quiet,
			 (long)(now - m->exhausted_logged));
	else
		msg_warn("pool exhausted: all %d children busy (max_servers "
			 "%d); new connections wait in the listen backlog",
			 total, m->conf->max_servers);
	m->exhausted_logged = now;
	m->exhausted_quiet = 0;
}

/* master_balance - keep min_servers..max_servers, one idle spare */
static void
master_balance(struct master *m)
{
	const struct conf *c = m->conf;
	int total = 0, idle = 0;
	time_t now = time(NULL);
	struct master_child *longest_idle = NULL;

	if (m->draining || now < m->throttle_until)
		return;
	for (size_t i = 0; i < m->n_slots; i++) {
		struct master_child *ch = m->children + i;

		if (ch->pid == 0 || ch->generation != m->generation)
			continue;
		total++;
		if (!ch->busy) {
			idle++;
			if (longest_idle == NULL ||
			    ch->idle_since < longest_idle->idle_since)
				longest_idle = ch;
		}
	}
	while (total < c->min_servers) {
		master_spawn(m);
		total++;
		idle++;
	}
	if (idle == 0 && total < c->max_servers) {
		master_spawn(m);
		return;
	}
	master_exhausted(m, idle == 0 && total >= c->max_servers, total, now);
	/* Shrink slowly: one idle child at a time, idle for a while. */
	if (idle > 2 && total > c->min_servers && longest_idle &&
	    now - longest_idle->idle_since > 10) {
		kill(longest_idle->pid, SIGTERM);
		longest_idle->generation = m->generation - 1;
	}
}

/*
 * master_retire - tell every child of older generations to finish: sig
 * SIGUSR1 (a reload) lets each finish the session in hand, SIGTERM (a
 * drain) only the message in hand (server_skel.c).
 */
static void
master_retire(struct master *m, int sig)
{
	for (size_t i = 0; i < m->n_slots; i++)
		if (m->children[i].pid &&
		    m->children[i].generation != m->generation)
			kill(m->children[i].pid, sig);
}

/* master_scoreboard_conf - what readers need from the configuration */
static void
master_scoreboard_conf(struct master *m)
{
	struct sb_header *h = sb_header(m->sb);

	h->child_timeout = (uint32_t)m->conf->child_timeout;
	h->min_servers = (uint32_t)m->conf->min_servers;
	h->max_servers = (uint32_t)m->conf->max_servers;
}

/* master_reload - a new configuration and a new generation */
static void
master_reload(struct master *m)
{
	char err[1024];
	struct conf *nc = conf_load(m->conf_file, err, sizeof(err));
	struct master_listener *nl;
	struct checks *nck;
	const char *fixed;
	struct stat tmp_st;
	int tmp_fd;

	if (nc == NULL) {
		msg_error("reload rejected, configuration unchanged: %s", err);
		return;
	}
	/*
	 * The pid file and the scoreboard (which every child has mapped and
	 * the nanny and the SNMP agent find by run_dir) stay where the
	 * master made them; tmp_dir holds the working directories of the
	 * children still running and the lock that keeps a second master
	 * from clearing them. Moving either under running children is not
	 * worth it. user owns tmp_dir and quarantine_dir, where the running
	 * children (the old user) work: giving them to another user under
	 * those children would fail their messages. Postfix too wants a
	 * restart for such parameters.
	 */
	fixed = NULL;
	if (strcmp(nc->run_dir, m->conf->run_dir) != 0)
		fixed = "run_dir";
	else if (strcmp(nc->tmp_dir, m->conf->tmp_dir) != 0)
		fixed = "tmp_dir";
	else if (strcmp(nc->user, m->conf->user) != 0)
		fixed = "user";
	if (fixed) {
		msg_error("reload rejected, configuration unchanged: %s "
			  "cannot change on reload; restart filterd",
			  fixed);
		conf_free(&nc);
		return;
	}
	/* New signatures and rules are built before anything changes. */
	if ((nck = checks_create(nc, err, sizeof(err))) == NULL) {
		msg_error("reload rejected, configuration unchanged: %s", err);
		conf_free(&nc);
		return;
	}
	/* Virus checks go off by choice (enabled = false), not because the
	 * built-in database emptied under a running engine. */
	if (m->checks->clamav && nck->clamav_missing) {
		msg_error("reload rejected, configuration unchanged: clamav "
			  "database %s now holds no signatures; the running "
			  "engine (%u signatures) is kept (set clamav { "
			  "enabled = false } to turn virus checks off)",
			  nc->clamav.database, m->checks->clamav_sigs);
		checks_free(&nck);
		conf_free(&nc);
		return;
	}
	if (nc->milter.socket[0] &&
	    milter_socket_user(nc, err, sizeof(err)) < 0) {
		msg_error("reload rejected, configuration unchanged: %s: "
			  "milter socket \"%s\": %s",
			  nc->milter.where, nc->milter.socket, err);
		checks_free(&nck);
		conf_free(&nc);
		return;
	}
	if ((nl = master_bind(nc, m->listeners, m->conf->n_listens)) == NULL) {
		msg_error("reload rejected, configuration unchanged");
		checks_free(&nck);
		conf_free(&nc);
		return;
	}
	/*
	 * Directories are made and given to the user last, when nothing
	 * else can reject the reload (a rejected reload changes nothing):
	 * their own failure is the last reason left.
	 */
	if (rundirs_make(nc, err, sizeof(err)) < 0 ||
	    master_tmp_open(m, nc->tmp_dir, &tmp_fd, &tmp_st, err,
			    sizeof(err)) < 0) {
		msg_error("reload rejected, configuration unchanged: %s", err);
		master_bind_abandon(&nl, nc->n_listens);
		checks_free(&nck);
		conf_free(&nc);
		return;
	}
	master_bind_commit(nl, nc->n_listens, m->listeners);
	/* Old children keep their copy of the old engines until they exit. */
	checks_free(&m->checks);
	m->checks = nck;
	checks_commit(m->checks);
	master_close_listeners(&m->listeners, m->conf->n_listens);
	m->listeners = nl;
	/* Old children's directories are removed where they are. */
	master_tmp_take(m, tmp_fd, &tmp_st);
	msg_open(nc->syslog_ident, nc->syslog_facility, m->to_stderr);
	conf_free(&m->conf);
	m->conf = nc;
	master_scoreboard_conf(m);
	m->generation++;
	/* Old generations may still be draining: keep room for both. */
	if ((size_t)nc->max_servers * 2 > m->n_slots) {
		size_t n = (size_t)nc->max_servers * 2;

		m->children = xrealloc(m->children, n * sizeof(*m->children));
		memset(m->children + m->n_slots, 0,
		       (n - m->n_slots) * sizeof(*m->children));
		m->n_slots = n;
	}
	master_retire(m, SIGUSR1);
	/* New milter connections get the new configuration. */
	master_milter_retire(m);
	m->milter_throttle = 0;
	msg_info("reloaded %s: generation %u", m->conf_file, m->generation);
}

/* master_children - how many children are alive */
static int
master_children(const struct master *m)
{
	int n = 0;

	for (size_t i = 0; i < m->n_slots; i++)
		n += m->children[i].pid != 0;
	for (size_t i = 0; i < MASTER_MILTERS; i++)
		n += m->milters[i].pid != 0;
	return n;
}

/* master_drain - stop listening, let children finish, wait for them */
static void
master_drain(struct master *m)
{
	time_t deadline = time(NULL) + m->conf->child_timeout + 5;

	m->draining = 1;
	master_close_listeners(&m->listeners, m->conf->n_listens);
	m->generation++;
	master_retire(m, SIGTERM);
	master_milter_retire(m);
	msg_info("stopping: waiting for %d children to finish",
		 master_children(m));
	while (master_children(m) > 0) {
		if (time(NULL) > deadline) {
			for (size_t i = 0; i < m->n_slots; i++)
				if (m->children[i].pid)
					kill(m->children[i].pid, SIGKILL);
			for (size_t i = 0; i < MASTER_MILTERS; i++)
				if (m->milters[i].pid)
					kill(m->milters[i].pid, SIGKILL);
			deadline = time(NULL) + 5;
		}
		usleep(50000);
		master_reap(m);
	}
}

/*
 * master_pidfile - write run_dir/filterd.pid and keep it write-locked.
 * The pid goes into a new file (O_EXCL | O_NOFOLLOW) renamed over the
 * name: a symbolic link found there is replaced, never written through,
 * and a reader never sees a half-written file. The descriptor stays
 * open with a POSIX write lock (released by the kernel when the master
 * exits; children close it and never hold the lock): the lock's holder
 * is how filterd-nanny knows the live master. Returns the descriptor,
 * -1 when the file could not be written (said).
 */
static int
master_pidfile(const struct conf *c)
{
	struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	char path[4096], tmp[4200], text[32], err[256];
	int fd, len;
	gid_t gid;

	snprintf(path, sizeof(path), "%s/filterd.pid", c->run_dir);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	(void)unlink(tmp);
	len = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	(void)rundirs_group(c, &gid, err, sizeof(err));
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0640);
	if (fd < 0 || (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0) ||
	    write(fd, text, (size_t)len) != len ||
	    fcntl(fd, F_SETLK, &lk) < 0 || rename(tmp, path) < 0) {
		msg_warn("cannot write %s: %m", path);
		if (fd >= 0) {
			(void)unlink(tmp);
			close(fd);
		}
		return -1;
	}
	return fd;
}

/* master_pidfile_remove - remove run_dir/filterd.pid, let go of the lock */
static void
master_pidfile_remove(const struct conf *c, int *fdp)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/filterd.pid", c->run_dir);
	(void)unlink(path);
	if (*fdp >= 0)
		close(*fdp);
	*fdp = -1;
}

/* master_scoreboard - create run_dir/scoreboard, before any fork */
static void
master_scoreboard(struct master *m)
{
	char path[4096], err[4200];
	gid_t gid;

	snprintf(path, sizeof(path), "%s/scoreboard", m->conf->run_dir);
	if ((m->sb = sb_create(path, err, sizeof(err))) == NULL)
		msg_fatal("scoreboard: %s", err);
	/* Mode 0640: its readers are root and the group of run_dir, which
	 * only root can write (no link can be planted there). */
	if (rundirs_group(m->conf, &gid, err, sizeof(err)) < 0)
		msg_fatal("scoreboard: %s", err);
	if (gid != (gid_t)-1 && lchown(path, (uid_t)-1, gid) < 0)
		msg_fatal("scoreboard: chown %s: %m", path);
	master_scoreboard_conf(m);
}

/*
 * master_ready - tell the process that started a daemon (main.c) that we
 * listen and have loaded the engines: it exits 0 on that byte, and 1 if
 * the pipe closes without it (we died first, having said why on the
 * standard error we share). Then let go of that standard error.
 */
static void
master_ready(struct master *m, int ready_fd)
{
	int null;

	if (ready_fd < 0)
		return;
	while (write(ready_fd, "R", 1) < 0 && errno == EINTR)
		;
	close(ready_fd);
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		(void)dup2(null, STDOUT_FILENO);
		(void)dup2(null, STDERR_FILENO);
		close(null);
	}
	msg_open(m->conf->syslog_ident, m->conf->syslog_facility, 0);
}

/* master_run - the master's life */
int
master_run(struct conf *conf, const char *conf_file, int ready_fd)
{
	struct master m = {0};
	char err[1024];
	struct stat st;
	int pfd[2], fd, n;

	m.conf = conf;
	m.conf_file = conf_file;
	m.generation = 1;
	m.to_stderr = ready_fd < 0;
	/*
	 * The modes rundirs_one() gives are the modes made, whatever umask
	 * the admin's shell had (077 would make missing parents of tmp_dir
	 * that the children cannot enter); Postfix's master does so too.
	 */
	umask(022);
	/* Before anything a signal could interrupt: a SIGHUP or SIGTERM
	 * that comes while the signatures load waits in the pipe for the
	 * loop (a reload, a drain), instead of killing the master. */
	master_signals();
	if (rundirs_make(conf, err, sizeof(err)) < 0)
		msg_fatal("%s", err);
	/* Listeners first: a second instance fails at once, not after the
	 * signatures have loaded. */
	if ((m.listeners = master_bind(conf, NULL, 0)) == NULL)
		msg_fatal("cannot listen: see above");
	m.tmp_fd = -1;
	m.pid_fd = -1;
	if (master_tmp_open(&m, conf->tmp_dir, &fd, &st, err, sizeof(err)) < 0)
		msg_fatal("%s", err);
	master_tmp_take(&m, fd, &st);
	/* Children of an earlier run that died with their master. */
	if ((n = childdir_clean(m.tmp_fd, err, sizeof(err))) < 0)
		msg_warn("tmp_dir %s: %s", conf->tmp_dir, err);
	else if (n > 0)
		msg_info("tmp_dir %s: removed %d directories of an earlier run",
			 conf->tmp_dir, n);
	/* Engines and rules are built once, here, before any child exists. */
	if ((m.checks = checks_create(conf, err, sizeof(err))) == NULL)
		msg_fatal("%s", err);
	m.pid_fd = master_pidfile(conf);
	master_scoreboard(&m);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		msg_fatal("pipe: %m");
	m.status_rd = pfd[0];
	m.status_wr = pfd[1];
	(void)fcntl(m.status_rd, F_SETFL, O_NONBLOCK);
	m.n_slots = (size_t)conf->max_servers * 2;
	m.children = xcalloc(m.n_slots, sizeof(*m.children));
	for (size_t i = 0; i < conf->n_listens; i++)
		msg_info("listening on %s (%s, bank %s)", conf->listens[i].addr,
			 conf_protocol_name(conf->listens[i].protocol),
			 conf->listens[i].bank->name);
	/* Started (nothing left to fail): the rules' cache now holds this
	 * set's databases, before whoever started us is told. */
	checks_commit(m.checks);
	master_ready(&m, ready_fd);

	for (;;) {
		struct pollfd p[2] = {{master_sig_pipe[0], POLLIN, 0},
				      {m.status_rd, POLLIN, 0}};
		unsigned char sig;

		master_balance(&m);
		master_milter_keep(&m);
		if (poll(p, 2, 1000) < 0 && errno != EINTR)
			msg_fatal("poll: %m");
		master_status(&m);
		while (read(master_sig_pipe[0], &sig, 1) == 1) {
			switch (sig) {
			case SIGCHLD:
				master_reap(&m);
				break;
			case SIGHUP:
				master_reload(&m);
				break;
			case SIGTERM:
			case SIGINT:
				master_drain(&m);
				master_pidfile_remove(m.conf, &m.pid_fd);
				sb_close(&m.sb);
				checks_free(&m.checks);
				close(m.tmp_fd);
				msg_info("stopped");
				conf_free(&m.conf);
				free(m.children);
				return 0;
			}
		}
	}
}
