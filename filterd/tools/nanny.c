/*++
/* NAME
/*	filterd-nanny 8
/* SUMMARY
/*	show, reap and kill filterd's children from the scoreboard
/* SYNOPSIS
/*	filterd-nanny [-c file] [-s scoreboard] [--once | -w secs [-n count]]
/*		[--json | --prometheus]
/*	filterd-nanny [-c file] [-s scoreboard] --reap
/*	filterd-nanny [-c file] [-s scoreboard] --kill-stuck [--grace secs]
/* DESCRIPTION
/*	filterd-nanny reads run_dir/scoreboard (run_dir from the
/*	configuration file, default: the embedded defaults; -s names the
/*	file directly) and, like amavisd-nanny, prints one line per child:
/*	slot, pid, state, mail_id, the front MTA's queue ID, the time spent
/*	in the message in hand (in the state when idle) and a bar of that
/*	time against child_timeout, then a summary of the pool and the
/*	counters.
/*
/*	--once	print once and exit (the default)
/*	-w secs	print every secs seconds until SIGINT or SIGTERM (or count
/*		times with -n)
/*	--json	one line of JSON per snapshot: header, children, gauges,
/*		every counter and histogram
/*	--prometheus	the counters, gauges and histograms in the
/*		Prometheus text exposition format
/*	--reap	release the slots of children that no longer exist
/*		(kill(pid, 0) fails with ESRCH; once the master is gone too,
/*		a zombie nobody waits for counts as gone), folding their
/*		counters into the retired totals as the master does for the
/*		children it reaps: needed after the master itself died. While
/*		the master lives, a slot is released only if its child is
/*		still gone a second later (the master releases the slots of
/*		children it reaps itself).
/*	--kill-stuck	send SIGTERM to each child whose message has been
/*		in hand for longer than child_timeout, wait up to --grace
/*		seconds (default 5) for it to go, then SIGKILL it (a stopped
/*		process acts on SIGTERM only once continued). The master
/*		replaces killed children; the front MTA sees the connection
/*		drop and keeps the message.
/*
/*		Children can write the whole scoreboard, so nothing in it
/*		decides whom root signals: child_timeout and user come from
/*		the configuration file; the master is the process holding
/*		the write lock on filterd.pid next to the scoreboard (none:
/*		nothing is killed, exit 1); and a slot's pid is signalled
/*		only if that process (held by a pidfd from the check to the
/*		signal) is a child of that master and runs as user (without
/*		user: as the master), i.e. only a process a child could
/*		signal itself. Any other is "left alone" and logged.
/* DIAGNOSTICS
/*	Exit status 0 on success; 1 when the scoreboard is missing or of
/*	another version, its master is gone (the last state of a filterd
/*	that is not running is shown, and that it is gone said on standard
/*	error; --reap exits 0; a live process with the master's pid that
/*	did not start when the scoreboard says the master did is not it), the configuration is bad, or a stuck child
/*	could not be killed; 2 on a usage error.
/*--*/

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "master/sb_view.h"
#include "nanny_view.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/xalloc.h"

#define NANNY_MAX_WAIT 3600
#define NANNY_MAX_GRACE 60

enum nanny_format { NANNY_TABLE, NANNY_JSON, NANNY_PROMETHEUS };

/* Set by SIGINT/SIGTERM: the -w loop ends. */
static volatile sig_atomic_t nanny_stop;

/* nanny_on_signal - ask the loop to end */
static void
nanny_on_signal(int sig)
{
	(void)sig;
	nanny_stop = 1;
}

/* usage - say how to call us */
static void
usage(void)
{
	fprintf(stderr,
		"usage: filterd-nanny [-c file] [-s scoreboard] "
		"[--once | -w secs [-n count]] [--json | --prometheus]\n"
		"       filterd-nanny [-c file] [-s scoreboard] --reap\n"
		"       filterd-nanny [-c file] [-s scoreboard] --kill-stuck "
		"[--grace secs]\n");
	exit(2);
}

/* nanny_number - a bounded decimal option value */
static int
nanny_number(const char *opt, const char *s, int min, int max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < min || n > max) {
		fprintf(stderr, "filterd-nanny: %s: want %d..%d, not \"%s\"\n",
			opt, min, max, s);
		exit(2);
	}
	return (int)n;
}

/* nanny_emit - write the output, check that it went */
static void
nanny_emit(struct buf *b)
{
	if (fwrite(b->data, 1, b->len, stdout) != b->len || fflush(stdout))
		msg_fatal("write to standard output: %m");
	buf_reset(b);
}

/* nanny_sleep_ms - sleep, cut short by SIGINT/SIGTERM */
static void
nanny_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (!nanny_stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* nanny_proc_stat - state letter and parent of a process, from /proc */
static int
nanny_proc_stat(pid_t pid, char *state, pid_t *ppid)
{
	char path[64], line[1024], *p;
	FILE *fp;
	long pp;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	p = fgets(line, sizeof(line), fp);
	fclose(fp);
	/* "pid (comm) S ppid ...": comm may hold anything, even ") ". */
	if (p == NULL || (p = strrchr(line, ')')) == NULL ||
	    sscanf(p + 1, " %c %ld", state, &pp) != 2)
		return -1;
	*ppid = (pid_t)pp;
	return 0;
}

/* nanny_pid_gone - the process no longer exists (or is a zombie) */
static int
nanny_pid_gone(pid_t pid)
{
	return pid > 0 && !sb_view_pid_alive(pid);
}

/* nanny_slot_gone - a slot's process went away: ESRCH (reaped by its
 * parent), or, when the master is gone too, a zombie nobody waits for */
static int
nanny_slot_gone(pid_t pid, int master_alive)
{
	if (pid <= 0)
		return 0;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 1;
	return !master_alive && !sb_view_pid_alive(pid);
}

/*
 * nanny_master - the live master of the scoreboard at sb_path: the
 * holder of the write lock on filterd.pid in the same directory (the
 * master takes it when it starts, the kernel drops it when the master
 * exits). That file must belong to root or to us and be writable by
 * nobody else. Returns the pid, 0 when no master holds it (why says).
 */
static pid_t
nanny_master(const char *sb_path, char *why, size_t whysize)
{
	struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	const char *slash = strrchr(sb_path, '/');
	struct stat st;
	struct buf path;
	int fd;

	buf_init(&path, 256);
	if (slash)
		buf_append(&path, sb_path, (size_t)(slash - sb_path) + 1);
	buf_puts(&path, "filterd.pid");
	fd = open(path.data, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, whysize, "%s: %s", path.data, strerror(errno));
	} else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
		   (st.st_uid != 0 && st.st_uid != geteuid()) ||
		   (st.st_mode & 022)) {
		snprintf(why, whysize,
			 "%s: not a regular file of root's that only its "
			 "owner may write",
			 path.data);
	} else if (fcntl(fd, F_GETLK, &lk) < 0) {
		snprintf(why, whysize, "%s: F_GETLK: %s", path.data,
			 strerror(errno));
	} else if (lk.l_type != F_WRLCK || lk.l_pid <= 0) {
		snprintf(why, whysize, "%s: no master holds its lock",
			 path.data);
	} else {
		close(fd);
		buf_release(&path);
		return lk.l_pid;
	}
	if (fd >= 0)
		close(fd);
	buf_release(&path);
	return 0;
}

/* nanny_proc_uids - real, effective and saved uid of a process */
static int
nanny_proc_uids(pid_t pid, uid_t uids[3])
{
	char path[64], line[256];
	unsigned long r, e, s;
	FILE *fp;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (!found && fgets(line, sizeof(line), fp))
		found = sscanf(line, "Uid: %lu %lu %lu", &r, &e, &s) == 3;
	fclose(fp);
	if (!found)
		return -1;
	uids[0] = (uid_t)r;
	uids[1] = (uid_t)e;
	uids[2] = (uid_t)s;
	return 0;
}

/* nanny_signal - signal the process a pidfd holds (or, without, a pid) */
static int
nanny_signal(int pidfd, pid_t pid, int sig)
{
#ifdef SYS_pidfd_send_signal
	if (pidfd >= 0)
		return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
#endif
	(void)pidfd;
	return kill(pid, sig);
}

/*
 * nanny_target - may root signal pid, which a slot names? Only if it is
 * a child of master running as uid (all three ids), so that whatever a
 * child wrote in the scoreboard, we signal nothing it could not signal
 * itself. The process is held by a pidfd (returned in *pidfdp, -1 on a
 * kernel without pidfd_open) from the check to the signals, so a pid
 * reused meanwhile is never hit. Returns 0, or -1 with why said.
 */
static int
nanny_target(pid_t pid, pid_t master, uid_t uid, int *pidfdp, char *why,
	     size_t whysize)
{
	char state;
	uid_t uids[3];
	pid_t ppid;
	int pidfd = -1;

	*pidfdp = -1;
#ifdef SYS_pidfd_open
	if ((pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0 &&
	    errno != ENOSYS) {
		snprintf(why, whysize, "pidfd_open: %s", strerror(errno));
		return -1;
	}
#endif
	if (nanny_proc_stat(pid, &state, &ppid) < 0 ||
	    nanny_proc_uids(pid, uids) < 0) {
		snprintf(why, whysize, "no such process");
	} else if (ppid != master) {
		snprintf(why, whysize, "not a child of master %d", (int)master);
	} else if (uids[0] != uid || uids[1] != uid || uids[2] != uid) {
		snprintf(why, whysize,
			 "runs as uid %lu, not filterd's user "
			 "(uid %lu)",
			 (unsigned long)uids[1], (unsigned long)uid);
	} else if (nanny_signal(pidfd, pid, 0) < 0 && errno == ESRCH) {
		/* What /proc showed may be a newer process with that pid. */
		snprintf(why, whysize, "went away");
	} else {
		*pidfdp = pidfd;
		return 0;
	}
	if (pidfd >= 0)
		close(pidfd);
	return -1;
}

/* nanny_child_gone - a signalled child is dead, zombie or released */
static int
nanny_child_gone(struct scoreboard *sb, unsigned slot, pid_t pid, int pidfd)
{
	if (pidfd >= 0 && nanny_signal(pidfd, pid, 0) < 0 && errno == ESRCH)
		return 1;
	if (__atomic_load_n(&sb_slot(sb, slot)->pid, __ATOMIC_ACQUIRE) != pid)
		return 1;
	return nanny_pid_gone(pid);
}

/* nanny_wait_gone - wait up to grace seconds for a child to go */
static int
nanny_wait_gone(struct scoreboard *sb, unsigned slot, pid_t pid, int pidfd,
		int grace)
{
	for (int i = 0; i <= grace * 10; i++) {
		if (nanny_child_gone(sb, slot, pid, pidfd))
			return 1;
		if (i < grace * 10)
			nanny_sleep_ms(100);
	}
	return 0;
}

/*
 * nanny_kill_stuck - TERM, then KILL, children past child_timeout. The
 * scoreboard at sb_path names the candidates (a slot's pid and the
 * start of its message); child_timeout and user are the configuration's
 * and whom we may signal is checked against the kernel (nanny_target).
 */
static int
nanny_kill_stuck(struct scoreboard *sb, const char *sb_path,
		 const struct conf *conf, int grace, struct buf *out)
{
	int64_t timeout_ms = (int64_t)conf->child_timeout * 1000;
	int failed = 0, killed = 0, pidfd;
	char why[1024], proc[1024];
	struct passwd *pw;
	struct sb_view v;
	uid_t uid[3];
	pid_t master;

	if ((master = nanny_master(sb_path, why, sizeof(why))) == 0) {
		msg_error("filterd is not running (%s): nothing killed", why);
		return -1;
	}
	if (conf->user && *conf->user) {
		if ((pw = getpwnam(conf->user)) == NULL) {
			msg_error("user %s: no such user: nothing killed",
				  conf->user);
			return -1;
		}
		uid[0] = pw->pw_uid;
	} else if (nanny_proc_uids(master, uid) < 0) {
		msg_error("master %d: cannot read its uid: nothing killed",
			  (int)master);
		return -1;
	}
	sb_view_take(sb, sb_now_ms(), &v);
	for (size_t i = 0; i < v.n_children; i++) {
		const struct sb_view_child *ch = v.children + i;

		why[0] = 0;
		if (ch->msg_ms < 0 || timeout_ms <= 0 ||
		    ch->msg_ms <= timeout_ms || ch->pid <= 1 ||
		    ch->pid == getpid() || ch->pid == master)
			continue;
		if (nanny_target(ch->pid, master, uid[0], &pidfd, why,
				 sizeof(why)) == 0 &&
		    nanny_master(sb_path, proc, sizeof(proc)) != master) {
			/* Its parent may be a newer process with that pid. */
			snprintf(why, sizeof(why), "master %d went away",
				 (int)master);
			close(pidfd);
			pidfd = -1;
		}
		if (pidfd < 0 && why[0]) {
			buf_printf(out, "slot %u: pid %d %s: left alone\n",
				   ch->slot, (int)ch->pid, why);
			msg_warn("slot %u names pid %d, %s: left alone",
				 ch->slot, (int)ch->pid, why);
			continue;
		}
		buf_printf(out, "slot %u: pid %d mail_id ", ch->slot,
			   (int)ch->pid);
		nanny_view_json_string(out, ch->mail_id);
		buf_puts(out, " in its message for ");
		nanny_view_elapsed(out, ch->msg_ms);
		buf_printf(out, " (child_timeout %d s): SIGTERM",
			   conf->child_timeout);
		if (nanny_signal(pidfd, ch->pid, SIGTERM) < 0 &&
		    errno != ESRCH) {
			buf_printf(out, " failed: %s\n", strerror(errno));
			failed++;
			goto next;
		}
		if (!nanny_wait_gone(sb, ch->slot, ch->pid, pidfd, grace)) {
			buf_printf(out, ", still there after %d s: SIGKILL",
				   grace);
			if (nanny_signal(pidfd, ch->pid, SIGKILL) < 0 &&
			    errno != ESRCH) {
				buf_printf(out, " failed: %s\n",
					   strerror(errno));
				failed++;
				goto next;
			}
			if (!nanny_wait_gone(sb, ch->slot, ch->pid, pidfd,
					     grace > 0 ? grace : 1)) {
				buf_puts(out, ", still there\n");
				failed++;
				goto next;
			}
		}
		buf_puts(out, ", gone\n");
		msg_info("killed stuck child %d (mail_id %s)", (int)ch->pid,
			 ch->mail_id);
		killed++;
next:
		if (pidfd >= 0)
			close(pidfd);
	}
	buf_printf(out, "killed %d stuck child%s\n", killed,
		   killed == 1 ? "" : "ren");
	sb_view_release(&v);
	return failed ? -1 : 0;
}

/* nanny_reap - release slots of children that went away */
static int
nanny_reap(struct scoreboard *sb, struct buf *out)
{
	const struct sb_header *h = sb_header(sb);
	int master_alive = sb_view_master_alive(h);
	int32_t pids[SB_SLOTS];
	int n = 0, reaped = 0;

	for (unsigned i = 0; i < SB_SLOTS; i++) {
		int32_t pid = __atomic_load_n(&sb_slot(sb, i)->pid,
					      __ATOMIC_ACQUIRE);

		/* pid -1: reserved for a fork; stale only without master. */
		pids[i] = 0;
		if (nanny_slot_gone(pid, master_alive) ||
		    (pid == -1 && !master_alive)) {
			pids[i] = pid;
			n++;
		}
	}
	/* A live master releases its children's slots once it reaps them. */
	if (n && master_alive)
		nanny_sleep_ms(1000);
	for (unsigned i = 0; i < SB_SLOTS; i++) {
		struct sb_slot *s = sb_slot(sb, i);

		if (pids[i] == 0 ||
		    __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE) != pids[i] ||
		    (pids[i] > 0 && !nanny_slot_gone(pids[i], master_alive)))
			continue;
		buf_printf(out, "slot %u: pid %d went away", i, (int)pids[i]);
		if (s->mail_id[0]) {
			buf_puts(out, " with mail_id ");
			nanny_view_json_string(out, s->mail_id);
		}
		buf_printf(out, ", %llu messages: released\n",
			   (unsigned long long)s->messages);
		sb_slot_release(sb, i);
		reaped++;
	}
	buf_printf(out, "reaped %d slot%s (master %d %s)\n", reaped,
		   reaped == 1 ? "" : "s", (int)h->master_pid,
		   master_alive ? "running" : "gone");
	if (reaped)
		msg_info("reaped %d scoreboard slot%s", reaped,
			 reaped == 1 ? "" : "s");
	return 0;
}

/* nanny_show - one snapshot in the chosen format; the master's pid if
 * it is gone, else 0 */
static pid_t
nanny_show(struct scoreboard *sb, enum nanny_format fmt, struct buf *out)
{
	struct sb_view v;
	pid_t gone;

	sb_view_take(sb, sb_now_ms(), &v);
	switch (fmt) {
	case NANNY_JSON:
		nanny_view_json(out, &v);
		break;
	case NANNY_PROMETHEUS:
		nanny_view_prometheus(out, &v);
		break;
	default:
		nanny_view_table(out, &v);
		break;
	}
	gone = v.master_alive ? 0 : (pid_t)v.hdr.master_pid;
	sb_view_release(&v);
	return gone;
}

/* nanny_conf - the configuration file (null: the embedded defaults) */
static struct conf *
nanny_conf(const char *conf_file)
{
	struct conf *conf;
	char err[1024];

	if ((conf = conf_load(conf_file, err, sizeof(err))) == NULL)
		msg_fatal("%s%s", err,
			  conf_file && access(conf_file, R_OK) < 0 &&
					  errno == EACCES
				  ? " (in run_dir's group, without the "
				    "configuration: -s run_dir/scoreboard)"
				  : "");
	return conf;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"once", no_argument, NULL, 'o'},
		{"json", no_argument, NULL, 'j'},
		{"prometheus", no_argument, NULL, 'p'},
		{"reap", no_argument, NULL, 'r'},
		{"kill-stuck", no_argument, NULL, 'k'},
		{"grace", required_argument, NULL, 'g'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *conf_file = NULL, *sb_path = NULL;
	enum nanny_format fmt = NANNY_TABLE;
	int wait = 0, count = 0, reap = 0, kill_stuck = 0, grace = 5, ch;
	int rc = 0, once = 0;
	pid_t gone = 0;
	struct sb_view_reader *r;
	struct scoreboard *sb;
	struct conf *conf;
	struct sigaction sa;
	char *path, err[1024];
	struct buf out;

	msg_open("filterd-nanny", LOG_MAIL, 1);
	while ((ch = getopt_long(argc, argv, "c:s:w:n:h", longopts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'c':
			conf_file = optarg;
			break;
		case 's':
			sb_path = optarg;
			break;
		case 'w':
			wait = nanny_number("-w", optarg, 1, NANNY_MAX_WAIT);
			break;
		case 'n':
			count = nanny_number("-n", optarg, 1, 1000000);
			break;
		case 'o':
			once = 1;
			break;
		case 'j':
			fmt = NANNY_JSON;
			break;
		case 'p':
			fmt = NANNY_PROMETHEUS;
			break;
		case 'r':
			reap = 1;
			break;
		case 'k':
			kill_stuck = 1;
			break;
		case 'g':
			grace = nanny_number("--grace", optarg, 0,
					     NANNY_MAX_GRACE);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (once && wait) || reap + kill_stuck > 1 ||
	    ((reap || kill_stuck) && (wait || fmt != NANNY_TABLE)))
		usage();
	conf = nanny_conf(conf_file);
	if (sb_path) {
		path = xstrdup(sb_path);
	} else {
		buf_init(&out, 256);
		buf_printf(&out, "%s/scoreboard", conf->run_dir);
		path = out.data;
	}
	r = sb_view_reader_open(path, reap);
	buf_init(&out, 16384);
	if ((sb = sb_view_reader_get(r, err, sizeof(err))) == NULL) {
		msg_error("%s (is filterd running, with this run_dir?)", err);
		rc = 1;
	} else if (reap) {
		rc = nanny_reap(sb, &out) < 0;
	} else if (kill_stuck) {
		rc = nanny_kill_stuck(sb, path, conf, grace, &out) < 0;
	} else {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = nanny_on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		for (int n = 1; !nanny_stop; n++) {
			if (n > 1 && fmt == NANNY_TABLE)
				buf_puts(&out, "\n");
			gone = nanny_show(sb, fmt, &out);
			nanny_emit(&out);
			if (wait == 0 || (count && n >= count))
				break;
			nanny_sleep_ms(wait * 1000L);
			/* The master may have restarted: a new file. */
			while (!nanny_stop &&
			       (sb = sb_view_reader_get(r, err, sizeof(err))) ==
				       NULL) {
				msg_warn("%s; trying again in %d s", err, wait);
				nanny_sleep_ms(wait * 1000L);
			}
		}
	}
	nanny_emit(&out);
	/* What is shown is a dead instance's: not a pool that runs. */
	if (gone) {
		msg_error("master %d is gone: filterd is not running with %s "
			  "(its last state is shown; --reap releases the "
			  "slots of its children)",
			  (int)gone, path);
		rc = 1;
	}
	buf_release(&out);
	sb_view_reader_close(&r);
	conf_free(&conf);
	free(path);
	return rc;
}
