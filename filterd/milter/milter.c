/*++
/* NAME
/*	milter 3
/* SUMMARY
/*	the milter front end
/* DESCRIPTION
/*	See milter.h. libmilter calls back with no context of ours but the
/*	connection's private pointer, so the process state (configuration,
/*	engines, the workers) is one static struct, set before smfi_main()
/*	and read-only after, but for the workers' busy flags and the count
/*	of connections in flight, under its mutex: the skeleton's process
/*	state (STYLE rule 13).
/*--*/

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "db/db.h"
#include "master/scoreboard.h"
#include "master/server_skel.h"
#include "milter.h"
#include "milter_addr.h"
#include "milter_verdict.h"
#include "reinject/copy.h"
#include "scan/checks.h"
#include "spool/spool.h"
#include "txn/rcpt.h"
#include "txn/txn.h"
#include "util/buf.h"
#include "util/inet.h"
#include "util/msg.h"
#include "util/pool.h"
#include "util/xalloc.h"

/* What one connection in flight works with (max_connections of them). */
struct milter_worker {
	int busy;
	/* The MTA's socket, for the watchdog (milter_watchdog): -1 none. */
	int fd;
	ino_t ino;
	int in_callback;      /* our turn: the MTA is not awaited */
	struct timespec last; /* a callback returned, CLOCK_MONOTONIC */
	struct sb_slot *slot;
	struct checks_ctx *cctx; /* made at first use, kept */
	struct db *storage;
	struct db *lookup;
};

/* A header field this message had that the accepted copy loses. */
struct milter_strip {
	struct milter_strip *next;
	const char *name;
	int count; /* occurrences: smfi_chgheader index 1..count */
};

/* One MTA connection (smfi_setpriv). */
struct milter_conn {
	struct milter_worker *w;
	char addr[INET6_ADDRSTRLEN];
	int port;
	char *name;
	char *helo;
	struct txn *txn;
	struct milter_strip *strip; /* in txn->pool */
	const char *subject;	    /* first Subject value, txn->pool */
	int in_header;		    /* header fields so far, no eoh yet */
};

static struct {
	const struct conf *conf;
	const struct checks *checks;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	struct milter_worker *w;
	size_t n;
	size_t active;	/* connections */
	size_t in_hand; /* messages between MAIL and their answer */
	volatile sig_atomic_t retire;  /* SIGUSR1: finish, take nothing new */
	int lfd;		       /* libmilter's listener, -1 unknown */
	int parked[2];		       /* a pipe put in place of lfd */
	struct sockaddr_storage lname; /* the listener's own address */
	socklen_t lname_len;	       /* 0: not known, no watchdog */
} milter_proc = {.lock = PTHREAD_MUTEX_INITIALIZER,
		 .idle = PTHREAD_COND_INITIALIZER};

/* milter_take - a free worker, or NULL past max_connections */
static struct milter_worker *
milter_take(void)
{
	struct milter_worker *w = NULL;

	pthread_mutex_lock(&milter_proc.lock);
	for (size_t i = 0; i < milter_proc.n && w == NULL; i++)
		if (!milter_proc.w[i].busy)
			w = milter_proc.w + i;
	if (w) {
		w->busy = 1;
		milter_proc.active++;
	}
	pthread_mutex_unlock(&milter_proc.lock);
	return w;
}

/* milter_give - a worker is free again */
static void
milter_give(struct milter_worker *w)
{
	sb_slot_state(w->slot, SB_IDLE);
	pthread_mutex_lock(&milter_proc.lock);
	w->busy = 0;
	w->fd = -1;
	w->ino = 0;
	milter_proc.active--;
	pthread_cond_broadcast(&milter_proc.idle);
	pthread_mutex_unlock(&milter_proc.lock);
}

/*
 * libmilter's SMFICTX (struct smfi_str, libmilter.h, the same since
 * 8.12) opens with its id and the MTA's socket: the one way to the
 * socket of a connection. milter_connect() checks what it reads there
 * is one of our accepted sockets before the watchdog trusts it.
 */
struct milter_ctx_head {
	unsigned int id;
	int sd;
};

/* milter_now - CLOCK_MONOTONIC seconds */
static double
milter_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * milter_accepted - is fd a connection accepted on our listener (its
 * local address the listener's, not listening)? Its inode in ino_r.
 */
static int
milter_accepted(int fd, ino_t *ino_r)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int acc = 1;
	socklen_t alen = sizeof(acc);
	struct stat st;

	if (milter_proc.lname_len == 0 || fstat(fd, &st) < 0 ||
	    !S_ISSOCK(st.st_mode) ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &alen) < 0 ||
	    acc != 0 || getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    len != milter_proc.lname_len ||
	    memcmp(&ss, &milter_proc.lname, len) != 0)
		return 0;
	*ino_r = st.st_ino;
	return 1;
}

/*
 * milter_find_listener - the address libmilter listens on (the one
 * listening socket of this process: the master's are closed at fork)
 */
static void
milter_find_listener(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name), acc = 0;
		socklen_t alen = sizeof(acc);

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == dirfd(d))
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &alen) <
			    0 ||
		    acc != 1)
			continue;
		milter_proc.lfd = fd;
		milter_proc.lname_len = sizeof(milter_proc.lname);
		if (getsockname(fd, (struct sockaddr *)&milter_proc.lname,
				&milter_proc.lname_len) < 0)
			milter_proc.lname_len = 0;
		break;
	}
	closedir(d);
}

/* milter_turn - a callback of w starts (1) or returns (0) */
static void
milter_turn(struct milter_worker *w, int ours)
{
	pthread_mutex_lock(&milter_proc.lock);
	w->in_callback = ours;
	if (!ours)
		clock_gettime(CLOCK_MONOTONIC, &w->last);
	pthread_mutex_unlock(&milter_proc.lock);
}

/* An accepted socket no callback has claimed yet, first seen when. */
struct milter_stray {
	ino_t ino;
	double seen;
};

/*
 * milter_watchdog - the milter timeout, which libmilter's worker pool
 * does not enforce (smfi_settimeout bounds nothing there): an MTA
 * connection waited for more than timeout seconds since our last
 * answer, or accepted and never past negotiation for as long, is shut
 * down; libmilter then sees the end of it, calls milter_close() (and
 * milter_abort() for a message in hand: its spool goes) and closes it.
 */
static void *
milter_watchdog(void *arg)
{
	int timeout = milter_proc.conf->milter.timeout;
	size_t cap = 64, n = 0;
	struct milter_stray *stray = xcalloc(cap, sizeof(*stray));

	(void)arg;
	for (;;) {
		double now;
		DIR *d;
		struct dirent *e;
		size_t kept = 0;

		usleep(250000);
		now = milter_now();
		pthread_mutex_lock(&milter_proc.lock);
		for (size_t i = 0; i < milter_proc.n; i++) {
			struct milter_worker *w = milter_proc.w + i;
			double last = (double)w->last.tv_sec +
				      (double)w->last.tv_nsec / 1e9;
			ino_t ino;

			if (!w->busy || w->fd < 0 || w->in_callback ||
			    now - last <= timeout)
				continue;
			if (milter_accepted(w->fd, &ino) && ino == w->ino) {
				msg_warn("milter: no word from the MTA for %d "
					 "s: connection dropped",
					 timeout);
				(void)shutdown(w->fd, SHUT_RDWR);
			}
			w->fd = -1;
		}
		pthread_mutex_unlock(&milter_proc.lock);
		/* Connections no callback has claimed: negotiation stalls. */
		if ((d = opendir("/proc/self/fd")) == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			int fd = atoi(e->d_name), claimed = 0;
			ino_t ino;
			size_t k;

			if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
			    fd == dirfd(d) || !milter_accepted(fd, &ino))
				continue;
			pthread_mutex_lock(&milter_proc.lock);
			for (size_t i = 0; i < milter_proc.n && !claimed; i++)
				claimed = milter_proc.w[i].busy &&
					  milter_proc.w[i].ino == ino;
			pthread_mutex_unlock(&milter_proc.lock);
			for (k = 0; k < n && stray[k].ino != ino; k++)
				;
			if (k == n) {
				if (n == cap) {
					cap *= 2;
					stray = xrealloc(stray,
							 cap * sizeof(*stray));
				}
				stray[n].ino = ino;
				stray[n++].seen = now;
			}
			/* Kept at the front: the ones still open. */
			if (k != kept) {
				struct milter_stray tmp = stray[k];

				stray[k] = stray[kept];
				stray[kept] = tmp;
			}
			if (claimed)
				stray[kept].seen = now;
			else if (now - stray[kept].seen > timeout) {
				msg_warn("milter: connection idle for %d s "
					 "before its first message event: "
					 "dropped",
					 timeout);
				(void)shutdown(fd, SHUT_RDWR);
			}
			kept++;
		}
		closedir(d);
		n = kept;
	}
	return NULL;
}

/* milter_macro - a macro's value, or NULL when unset or empty */
static const char *
milter_macro(SMFICTX *ctx, const char *name)
{
	const char *v = smfi_getsymval(ctx, (char *)name);

	return v && *v ? v : NULL;
}

/* milter_hand - count a message taken (1) or let go (-1) */
static void
milter_hand(int delta)
{
	pthread_mutex_lock(&milter_proc.lock);
	milter_proc.in_hand += (size_t)delta;
	pthread_cond_broadcast(&milter_proc.idle);
	pthread_mutex_unlock(&milter_proc.lock);
}

/* milter_end - the message is over: release it and its spool */
static void
milter_end(struct milter_conn *mc)
{
	if (mc->txn == NULL)
		return;
	milter_hand(-1);
	sb_slot_message_done(mc->w->slot);
	sb_slot_state(mc->w->slot, SB_GREETING);
	txn_free(&mc->txn);
	mc->strip = NULL;
	mc->subject = NULL;
	mc->in_header = 0;
}

/* milter_connect - a worker for the connection, or a tempfail */
static sfsistat
milter_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	struct milter_conn *mc;
	struct milter_worker *w;

	/* Retiring: the MTA tries again, and finds the new process. */
	if (milter_proc.retire)
		return SMFIS_TEMPFAIL;
	if ((w = milter_take()) == NULL) {
		msg_warn("milter: more than %d connections: tempfail",
			 milter_proc.conf->milter.max_connections);
		return SMFIS_TEMPFAIL;
	}
	mc = xcalloc(1, sizeof(*mc));
	mc->w = w;
	snprintf(mc->addr, sizeof(mc->addr), "0.0.0.0");
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, mc->addr, sizeof(mc->addr));
		mc->port = ntohs(in->sin_port);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, mc->addr,
			  sizeof(mc->addr));
		mc->port = ntohs(in6->sin6_port);
	}
	mc->name = xstrdup(hostname ? hostname : "");
	smfi_setpriv(ctx, mc);
	{
		int fd =
			((const struct milter_ctx_head *)(const void *)ctx)->sd;
		ino_t ino;

		pthread_mutex_lock(&milter_proc.lock);
		if (milter_accepted(fd, &ino)) {
			w->fd = fd;
			w->ino = ino;
		} else
			w->fd = -1;
		w->in_callback = 1;
		pthread_mutex_unlock(&milter_proc.lock);
		if (w->fd < 0)
			msg_warn("milter: the MTA's socket is not known: no "
				 "timeout for this connection");
	}
	sb_slot_state(w->slot, SB_GREETING);
	return SMFIS_CONTINUE;
}

/* milter_helo - the client's HELO */
static sfsistat
milter_helo(SMFICTX *ctx, char *helo)
{
	struct milter_conn *mc = smfi_getpriv(ctx);

	if (mc == NULL)
		return SMFIS_TEMPFAIL;
	free(mc->helo);
	mc->helo = xstrdup(helo ? helo : "");
	return SMFIS_CONTINUE;
}

/*
 * milter_bank - the banks the amavisd-milter way: the milter section's,
 * then the one {daemon_name} or {daemon_port} maps to, then the
 * authenticated client's; client_networks last (bank_select_banks)
 */
static void
milter_bank(SMFICTX *ctx, struct txn *t)
{
	const struct conf_milter *m = &milter_proc.conf->milter;
	const struct conf_bank *banks[3] = {m->bank, NULL, NULL};
	const char *dname = milter_macro(ctx, "{daemon_name}");
	const char *dport = milter_macro(ctx, "{daemon_port}");

	for (size_t i = 0; i < m->n_daemon_banks && banks[1] == NULL; i++)
		if ((dname && strcmp(dname, m->daemon_banks[i].key) == 0) ||
		    (dport && strcmp(dport, m->daemon_banks[i].key) == 0))
			banks[1] = m->daemon_banks[i].bank;
	if (milter_macro(ctx, "{auth_authen}"))
		banks[2] = m->auth_bank;
	bank_select_banks(milter_proc.conf, banks, 3, t->client.addr, &t->bank);
}

/* milter_envfrom - a new message */
static sfsistat
milter_envfrom(SMFICTX *ctx, char **argv)
{
	struct milter_conn *mc = smfi_getpriv(ctx);
	const struct conf *c = milter_proc.conf;
	const char *addr, *raw = argv[0] ? argv[0] : "<>";
	struct txn *t;

	if (mc == NULL)
		return SMFIS_TEMPFAIL;
	milter_end(mc);
	if (milter_proc.retire) {
		(void)smfi_setreply(ctx, "451", "4.3.2",
				    "Service restarting, try again");
		return SMFIS_TEMPFAIL;
	}
	addr = milter_macro(ctx, "{client_addr}");
	t = txn_create(c, addr ? addr : mc->addr, mc->port);
	/* The form the MTA keeps: what lookups and records must use. */
	if ((t->sender = milter_addr(t->pool, raw)) == NULL) {
		(void)smfi_setreply(ctx, "501", "5.1.7",
				    strlen(raw) > MILTER_ADDR_MAX + 2
					    ? "Sender address too long"
					    : "Bad sender address syntax");
		txn_free(&t);
		return SMFIS_REJECT;
	}
	for (size_t i = 1; argv[0] && argv[i]; i++) {
		if (strcasecmp(argv[i], "SMTPUTF8") == 0)
			t->smtputf8 = 1;
		else if (strcasecmp(argv[i], "BODY=8BITMIME") == 0)
			t->body_8bitmime = 1;
	}
	t->client.name = *mc->name ? pool_strdup(t->pool, mc->name) : NULL;
	t->client.helo = mc->helo ? pool_strdup(t->pool, mc->helo) : NULL;
	if ((addr = milter_macro(ctx, "i")) != NULL)
		t->client.ident = pool_strdup(t->pool, addr);
	milter_bank(ctx, t);
	t->slot = mc->w->slot;
	t->checks = milter_proc.checks;
	if (mc->w->cctx == NULL)
		mc->w->cctx = checks_ctx_create(milter_proc.checks);
	t->cctx = mc->w->cctx;
	t->storage = mc->w->storage;
	t->lookup = mc->w->lookup;
	t->one_reply = 1;
	mc->txn = t;
	milter_hand(1);
	sb_slot_message(t->slot, t->id, t->client.ident);
	sb_slot_state(t->slot, SB_RECEIVING);
	return SMFIS_CONTINUE;
}

/* milter_envrcpt - one recipient, within max_recipients */
static sfsistat
milter_envrcpt(SMFICTX *ctx, char **argv)
{
	struct milter_conn *mc = smfi_getpriv(ctx);
	struct txn *t = mc ? mc->txn : NULL;
	const char *addr;

	if (t == NULL || argv[0] == NULL)
		return SMFIS_TEMPFAIL;
	if (t->n_rcpts >= (size_t)milter_proc.conf->max_recipients) {
		(void)smfi_setreply(ctx, "452", "4.5.3",
				    "Error: too many recipients");
		return SMFIS_TEMPFAIL;
	}
	/* The form the MTA keeps: lookups, records, smfi_delrcpt(). */
	if ((addr = milter_addr(t->pool, argv[0])) == NULL || *addr == 0) {
		(void)smfi_setreply(ctx, "501", "5.1.3",
				    strlen(argv[0]) > MILTER_ADDR_MAX + 2
					    ? "Recipient address too long"
					    : "Bad recipient address syntax");
		return SMFIS_REJECT;
	}
	txn_add_rcpt(t, addr, NULL);
	return SMFIS_CONTINUE;
}

/* milter_spool - the spool of the message, made at its first byte */
static int
milter_spool(struct milter_conn *mc)
{
	struct txn *t = mc->txn;
	char err[512];

	if (t->spool)
		return 0;
	t->spool = spool_create(milter_proc.conf->tmp_dir, t->id, err,
				sizeof(err));
	if (t->spool == NULL) {
		msg_error("%s: %s", t->id, err);
		txn_set_error(t, TXN_ERR_SPOOL, "cannot spool the message");
		return -1;
	}
	return 0;
}

/*
 * milter_write - bytes of the message into the spool, within the size
 * limit; SMFIS_CONTINUE, or the answer that ends the message
 */
static sfsistat
milter_write(SMFICTX *ctx, struct milter_conn *mc, const char *p, size_t n)
{
	struct txn *t = mc->txn;
	long limit = milter_proc.conf->message_size_limit;

	if (t->error == TXN_OK && milter_spool(mc) < 0) {
		(void)smfi_setreply(ctx, "451", "4.3.0",
				    (char *)milter_tempfail_text(t));
		(void)txn_run(t, TXN_STAGE_BIT(TXN_STAGE_LOG), NULL);
		milter_end(mc);
		return SMFIS_TEMPFAIL;
	}
	t->size += (off_t)n;
	if (t->slot)
		t->slot->bytes = (uint64_t)t->size;
	if (limit > 0 && t->size > limit) {
		/* Refused while it streams: nothing more is read or kept. */
		txn_set_error(t, TXN_ERR_SIZE, "message exceeds %ld bytes",
			      limit);
		(void)smfi_setreply(ctx, "552", "5.3.4",
				    "Message size exceeds fixed limit");
		(void)txn_run(t, TXN_STAGE_BIT(TXN_STAGE_LOG), NULL);
		milter_end(mc);
		return SMFIS_REJECT;
	}
	spool_write(t->spool, p, n);
	return SMFIS_CONTINUE;
}

/* milter_note_field - remember what the accepted copy changes */
static void
milter_note_field(struct milter_conn *mc, const char *name, const char *value)
{
	struct txn *t = mc->txn;
	char probe[256];
	struct milter_strip *s;

	if (mc->subject == NULL && strcasecmp(name, "Subject") == 0)
		mc->subject = pool_strdup(t->pool, value);
	snprintf(probe, sizeof(probe), "%s:", name);
	if (!copy_strips(probe, strlen(probe)))
		return;
	for (s = mc->strip; s && strcasecmp(s->name, name) != 0; s = s->next)
		;
	if (s == NULL) {
		s = pool_alloc(t->pool, sizeof(*s));
		s->name = pool_strdup(t->pool, name);
		s->count = 0;
		s->next = mc->strip;
		mc->strip = s;
	}
	s->count++;
}

/* milter_header - one header field, spooled in CR LF form */
static sfsistat
milter_header(SMFICTX *ctx, char *name, char *value)
{
	struct milter_conn *mc = smfi_getpriv(ctx);
	struct txn *t = mc ? mc->txn : NULL;
	struct buf line;
	sfsistat rc;

	if (t == NULL)
		return SMFIS_TEMPFAIL;
	milter_note_field(mc, name, value);
	mc->in_header = 1;
	/* The MTA folds with a bare LF (Postfix) or CR LF: spool CR LF. */
	buf_init(&line, strlen(name) + strlen(value) + 16);
	buf_printf(&line, "%s: ", name);
	for (const char *p = value; *p; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			buf_append(&line, "\r", 1);
		buf_append(&line, p, 1);
	}
	buf_puts(&line, "\r\n");
	rc = milter_write(ctx, mc, line.data, line.len);
	buf_release(&line);
	return rc;
}

/* milter_eoh - the empty line after the header section */
static sfsistat
milter_eoh(SMFICTX *ctx)
{
	struct milter_conn *mc = smfi_getpriv(ctx);

	if (mc == NULL || mc->txn == NULL)
		return SMFIS_TEMPFAIL;
	mc->in_header = 0;
	return milter_write(ctx, mc, "\r\n", 2);
}

/* milter_body - a piece of the body, as the MTA sends it (CR LF) */
static sfsistat
milter_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
	struct milter_conn *mc = smfi_getpriv(ctx);

	if (mc == NULL || mc->txn == NULL)
		return SMFIS_TEMPFAIL;
	return milter_write(ctx, mc, (const char *)p, n);
}

/* milter_add_field - one of our fields ("Name: value"), added */
static void
milter_add_field(SMFICTX *ctx, const char *field)
{
	struct buf out;
	char *colon, *value, *w;

	/* The one writer of our fields makes it well formed (copy.h). */
	buf_init(&out, strlen(field) + 16);
	copy_header_field(&out, field);
	colon = strchr(out.data, ':');
	if (colon == NULL)
		msg_panic("milter_add_field: no name in \"%s\"", field);
	*colon = 0;
	value = colon + 1 + (colon[1] == ' ');
	/* libmilter takes folds as LF, and no line end at the end. */
	w = value;
	for (char *r = value; *r; r++)
		if (*r != '\r')
			*w++ = *r;
	*w = 0;
	if (w > value && w[-1] == '\n')
		w[-1] = 0;
	if (smfi_addheader(ctx, out.data, value) != MI_SUCCESS)
		msg_warn("milter: cannot add header field %s", out.data);
	buf_release(&out);
}

/*
 * milter_delrcpts - remove the recipients the verdict refuses; -1 when
 * a removal failed (the message must not be accepted for them)
 */
static int
milter_delrcpts(SMFICTX *ctx, struct milter_conn *mc,
		const struct milter_verdict *v)
{
	struct txn *t = mc->txn;

	/* rcpts[i].addr is the MTA's own form (milter_addr.h). */
	for (size_t i = 0; i < t->n_rcpts; i++)
		if (v->delrcpt[i] &&
		    smfi_delrcpt(ctx, pool_printf(t->pool, "<%s>",
						  t->rcpts[i].addr)) !=
			    MI_SUCCESS) {
			msg_warn("%s: milter: cannot remove recipient <%s>: "
				 "tempfail",
				 t->id, t->rcpts[i].addr);
			return -1;
		}
	return 0;
}

/* milter_apply_accept - the header changes of an accepted message */
static void
milter_apply_accept(SMFICTX *ctx, struct milter_conn *mc,
		    const struct milter_verdict *v)
{
	for (const struct milter_strip *s = mc->strip; v->strip && s;
	     s = s->next)
		for (int k = s->count; k >= 1; k--)
			(void)smfi_chgheader(ctx, (char *)s->name, k, NULL);
	for (size_t l = 0; l < 2; l++)
		for (const struct txn_header *h = v->added[l]; h; h = h->next)
			milter_add_field(ctx, h->line);
}

/* milter_eom - the whole message: check it, then the one answer */
static sfsistat
milter_eom(SMFICTX *ctx)
{
	struct milter_conn *mc = smfi_getpriv(ctx);
	struct txn *t = mc ? mc->txn : NULL;
	struct milter_verdict v;
	char err[512];
	sfsistat rc = SMFIS_TEMPFAIL;

	if (t == NULL)
		return SMFIS_TEMPFAIL;
	if (t->error == TXN_OK && milter_spool(mc) == 0 &&
	    spool_commit(t->spool, err, sizeof(err)) < 0)
		txn_set_error(t, TXN_ERR_SPOOL, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t->t_data);
	if (t->client.ident == NULL && milter_macro(ctx, "i"))
		t->client.ident = pool_strdup(t->pool, milter_macro(ctx, "i"));
	if (t->error == TXN_OK)
		(void)txn_run(t,
			      TXN_STAGES_ALL &
				      ~(TXN_STAGE_BIT(TXN_STAGE_FORWARD) |
					TXN_STAGE_BIT(TXN_STAGE_NOTIFY) |
					TXN_STAGE_BIT(TXN_STAGE_LOG)),
			      NULL);
	sb_slot_state(t->slot, SB_REPLYING);
	milter_verdict(t, &v);
	/*
	 * A refused recipient that stays would get the message: before the
	 * recipients are counted as accepted, or the answer is a tempfail.
	 */
	if (v.action == MILTER_ACCEPT && milter_delrcpts(ctx, mc, &v) < 0) {
		v.action = MILTER_TEMPFAIL;
		snprintf(v.code, sizeof(v.code), "451");
		snprintf(v.dsn, sizeof(v.dsn), "4.3.0");
		v.detail = "cannot remove a refused recipient";
		milter_reply_text(v.text, sizeof(v.text),
				  milter_tempfail_text(t));
	}
	/* What the MTA does with each recipient, for the log and counts. */
	for (size_t i = 0; t->error == TXN_OK && i < t->n_rcpts; i++) {
		struct txn_rcpt *r = t->rcpts + i;

		if (r->state == RCPT_BOUNCING)
			rcpt_nobounce(r);
		else if (r->state != RCPT_PENDING)
			continue;
		else if (v.action == MILTER_ACCEPT)
			rcpt_hop_reply(t, r, "milter", 250, "2.0.0",
				       "Ok, accepted before the queue");
		else
			rcpt_hop_reply(t, r, "milter", atoi(v.code), v.dsn,
				       v.text);
	}
	switch (v.action) {
	case MILTER_ACCEPT:
		if (v.subject_tag) {
			const char *tagged = pool_printf(
				t->pool, "%s%s", v.subject_tag,
				mc->subject ? mc->subject : "");

			if (mc->subject)
				(void)smfi_chgheader(ctx, "Subject", 1,
						     (char *)tagged);
			else
				(void)smfi_addheader(ctx, "Subject",
						     (char *)tagged);
			v.subject_tag = NULL;
		}
		milter_apply_accept(ctx, mc, &v);
		rc = SMFIS_ACCEPT;
		break;
	case MILTER_HOLD:
		if (smfi_quarantine(ctx, pool_printf(t->pool,
						     "filterd quarantine %s",
						     t->id)) != MI_SUCCESS) {
			/* The copy is kept: discarding loses nothing. */
			msg_warn("%s: milter: cannot hold, discarded", t->id);
			rc = SMFIS_DISCARD;
		} else
			rc = SMFIS_ACCEPT;
		break;
	case MILTER_DISCARD:
		rc = SMFIS_DISCARD;
		break;
	case MILTER_REJECT:
		(void)smfi_setreply(ctx, v.code, v.dsn, v.text);
		rc = SMFIS_REJECT;
		break;
	case MILTER_TEMPFAIL:
		(void)smfi_setreply(ctx, v.code, v.dsn, v.text);
		rc = SMFIS_TEMPFAIL;
		break;
	}
	(void)txn_run(t, TXN_STAGE_BIT(TXN_STAGE_LOG), NULL);
	msg_info("%s: milter %s, %s %s %s%s%s", t->id,
		 milter_action_name(v.action), v.code, v.dsn, v.text,
		 v.detail ? ": " : "", v.detail ? v.detail : "");
	if (mc->w->slot)
		mc->w->slot->messages++;
	milter_end(mc);
	return rc;
}

/* milter_abort - the MTA gave the message up: nothing of it stays */
static sfsistat
milter_abort(SMFICTX *ctx)
{
	struct milter_conn *mc = smfi_getpriv(ctx);

	if (mc && mc->txn) {
		msg_info("%s: milter: message aborted by the MTA", mc->txn->id);
		milter_end(mc);
	}
	return SMFIS_CONTINUE;
}

/* milter_close - the connection is over */
static sfsistat
milter_close(SMFICTX *ctx)
{
	struct milter_conn *mc = smfi_getpriv(ctx);

	if (mc == NULL)
		return SMFIS_CONTINUE;
	milter_end(mc);
	smfi_setpriv(ctx, NULL);
	milter_give(mc->w);
	free(mc->name);
	free(mc->helo);
	free(mc);
	return SMFIS_CONTINUE;
}

/*
 * The callbacks as libmilter calls them: between two, the connection
 * waits for the MTA, and the watchdog counts (milter_watchdog).
 */
#define MILTER_TURN(call)                                                      \
	do {                                                                   \
		struct milter_conn *mc_ = smfi_getpriv(ctx);                   \
		sfsistat rc_;                                                  \
                                                                               \
		if (mc_)                                                       \
			milter_turn(mc_->w, 1);                                \
		rc_ = (call);                                                  \
		if (mc_)                                                       \
			milter_turn(mc_->w, 0);                                \
		return rc_;                                                    \
	} while (0)

/* milter_t_connect - milter_connect, then the MTA's turn */
static sfsistat
milter_t_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	sfsistat rc = milter_connect(ctx, hostname, sa);
	struct milter_conn *mc = smfi_getpriv(ctx);

	if (mc)
		milter_turn(mc->w, 0);
	return rc;
}

/* milter_t_helo - milter_helo, timed */
static sfsistat
milter_t_helo(SMFICTX *ctx, char *helo)
{
	MILTER_TURN(milter_helo(ctx, helo));
}

/* milter_t_envfrom - milter_envfrom, timed */
static sfsistat
milter_t_envfrom(SMFICTX *ctx, char **argv)
{
	MILTER_TURN(milter_envfrom(ctx, argv));
}

/* milter_t_envrcpt - milter_envrcpt, timed */
static sfsistat
milter_t_envrcpt(SMFICTX *ctx, char **argv)
{
	MILTER_TURN(milter_envrcpt(ctx, argv));
}

/* milter_t_header - milter_header, timed */
static sfsistat
milter_t_header(SMFICTX *ctx, char *name, char *value)
{
	MILTER_TURN(milter_header(ctx, name, value));
}

/* milter_t_eoh - milter_eoh, timed */
static sfsistat
milter_t_eoh(SMFICTX *ctx)
{
	MILTER_TURN(milter_eoh(ctx));
}

/* milter_t_body - milter_body, timed */
static sfsistat
milter_t_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
	MILTER_TURN(milter_body(ctx, p, n));
}

/* milter_t_eom - milter_eom, timed */
static sfsistat
milter_t_eom(SMFICTX *ctx)
{
	MILTER_TURN(milter_eom(ctx));
}

/* milter_t_abort - milter_abort, timed */
static sfsistat
milter_t_abort(SMFICTX *ctx)
{
	MILTER_TURN(milter_abort(ctx));
}

static struct smfiDesc milter_desc = {
	.xxfi_name = "filterd",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_DELRCPT |
		      SMFIF_QUARANTINE,
	.xxfi_connect = milter_t_connect,
	.xxfi_helo = milter_t_helo,
	.xxfi_envfrom = milter_t_envfrom,
	.xxfi_envrcpt = milter_t_envrcpt,
	.xxfi_header = milter_t_header,
	.xxfi_eoh = milter_t_eoh,
	.xxfi_body = milter_t_body,
	.xxfi_eom = milter_t_eom,
	.xxfi_abort = milter_t_abort,
	.xxfi_close = milter_close,
};

/* milter_workers - a worker per scoreboard slot */
static void
milter_workers(const struct milter_args *args)
{
	const struct conf *c = args->conf;

	milter_proc.n = args->n_slots;
	milter_proc.w = xcalloc(args->n_slots, sizeof(*milter_proc.w));
	for (size_t i = 0; i < args->n_slots; i++) {
		struct milter_worker *w = milter_proc.w + i;

		w->slot = args->slots[i];
		w->fd = -1;
		w->slot->pid = (int32_t)getpid();
		/* Connected when first used (db.h), one per worker. */
		if (c->sql.storage.n)
			w->storage = db_create(&c->sql.storage,
					       c->sql.retry_interval,
					       c->sql.connect_timeout);
		if (c->sql.lookup.n)
			w->lookup = db_create(&c->sql.lookup,
					      c->sql.retry_interval,
					      c->sql.connect_timeout);
	}
}

/* milter_on_retire - SIGUSR1: finish what is in hand, then stop */
static void
milter_on_retire(int sig)
{
	(void)sig;
	milter_proc.retire = 1;
}

/*
 * milter_release - let go of the listening socket at once, so that the
 * new process can listen while this one finishes its messages. Not
 * smfi_stop(): in libmilter's worker pool (Debian's build) the pool
 * controller and every worker stop at mi_stop() != MILTER_CONT too, and
 * the messages in hand would be left unserved. So the listener's
 * descriptor becomes a pipe nobody writes (dup2: libmilter's listener
 * thread polls it and never accepts again), and the socket itself is
 * shut down (a poll() in progress holds it: shutdown wakes it and frees
 * the port now, not at the poll's timeout).
 */
static void
milter_release(void)
{
	int old;

	if (milter_proc.lfd < 0 || milter_proc.parked[0] < 0)
		return;
	if ((old = dup(milter_proc.lfd)) < 0 ||
	    dup2(milter_proc.parked[0], milter_proc.lfd) < 0) {
		msg_warn("milter: cannot release the listening socket: %m");
		if (old >= 0)
			close(old);
		return;
	}
	(void)shutdown(old, SHUT_RDWR);
	close(old);
	msg_info("milter: retiring: listening socket released");
}

/*
 * milter_retirer - the thread that ends a retiring process: it lets go
 * of the listener at once (milter_release), then once no message is in
 * hand (or child_timeout after the signal), smfi_stop(): only then, as
 * libmilter's stop ends the worker pool with the listener.
 */
static void *
milter_retirer(void *arg)
{
	time_t since = 0;
	int done = 0;

	(void)arg;
	while (!done) {
		usleep(100000);
		if (!milter_proc.retire)
			continue;
		if (since == 0) {
			since = time(NULL);
			milter_release();
		}
		pthread_mutex_lock(&milter_proc.lock);
		done = milter_proc.in_hand == 0 ||
		       time(NULL) - since >= milter_proc.conf->child_timeout;
		pthread_mutex_unlock(&milter_proc.lock);
	}
	(void)smfi_stop();
	return NULL;
}

/*
 * milter_leftover - say what smfi_main() left unanswered: nothing after
 * a retirement (milter_retirer waited), the messages in flight after
 * libmilter's own stop (SIGTERM: the master is gone), which its worker
 * pool no longer serves; the MTA tempfails them.
 */
static void
milter_leftover(void)
{
	pthread_mutex_lock(&milter_proc.lock);
	if (milter_proc.in_hand > 0)
		msg_warn("milter: %zu messages unanswered at exit; the MTA "
			 "tempfails them",
			 milter_proc.in_hand);
	pthread_mutex_unlock(&milter_proc.lock);
}

/*
 * milter_socket_dir - the directory of a unix socket spec ("unix:" or
 * "local:", libmilter's names) into dir: 1, or 0 for an inet socket.
 */
static int
milter_socket_dir(const char *spec, char *dir, size_t size)
{
	const char *colon = strchr(spec, ':');

	if (colon == NULL || strncmp(spec, "inet", 4) == 0)
		return 0;
	snprintf(dir, size, "%s", colon + 1);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = 0;
	if (dir[0] == 0)
		snprintf(dir, size, "/");
	return 1;
}

/*
 * milter_socket_user - can conf->user make the unix milter socket? The
 * milter process runs as the user and makes it in its directory: a
 * process that became the user, as the milter process does, asks
 * access(2) for write and search there (the parents too, ACLs too).
 * 0 (an inet socket, or yes), or -1 with the reason in err.
 */
int
milter_socket_user(const struct conf *c, char *err, size_t errsize)
{
	const char *user = c->user[0] ? c->user : NULL;
	struct passwd *pw = NULL;
	char dir[4096];
	int status = -1;
	pid_t pid;

	if (!milter_socket_dir(c->milter.socket, dir, sizeof(dir)))
		return 0;
	if (geteuid() == 0 && user && (pw = getpwnam(user)) == NULL) {
		snprintf(err, errsize, "unknown user \"%s\"", user);
		return -1;
	}
	if (pw == NULL || pw->pw_uid == 0) {
		/* We are whom the milter process will be. */
		if (access(dir, W_OK | X_OK) == 0)
			return 0;
		snprintf(err, errsize,
			 "directory %s: cannot make the socket there: %s", dir,
			 strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, errsize, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (setgroups(1, &pw->pw_gid) < 0 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
			_exit(255);
		_exit(access(dir, W_OK | X_OK) == 0 ? 0 : errno & 0x7f);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) != 255)
		snprintf(err, errsize,
			 "directory %s: user %s cannot make the socket "
			 "there: %s",
			 dir, user, strerror(WEXITSTATUS(status)));
	else
		snprintf(err, errsize,
			 "directory %s: cannot check it as user %s", dir, user);
	return -1;
}

/*
 * milter_socket_check - could the milter process listen on the
 * configured socket? For inet, what inet_listen_check() says of its
 * address and port; for a unix socket, its directory exists and the
 * user can make the socket there (milter_socket_user). 0, or -1 with
 * the reason in err.
 */
int
milter_socket_check(const struct conf *c, char *err, size_t errsize)
{
	const char *spec = c->milter.socket, *colon = strchr(spec, ':'), *at;
	char host[256], port[16], dir[4096];
	struct stat st;

	if (colon == NULL) {
		snprintf(err, errsize, "bad socket");
		return -1;
	}
	if (!milter_socket_dir(spec, dir, sizeof(dir))) {
		at = strchr(colon, '@');
		if (at == NULL || (size_t)(at - colon - 1) >= sizeof(port)) {
			snprintf(err, errsize, "bad socket");
			return -1;
		}
		memcpy(port, colon + 1, (size_t)(at - colon - 1));
		port[at - colon - 1] = 0;
		snprintf(host, sizeof(host), "%s", at + 1);
		return inet_listen_check(host, port, err, errsize);
	}
	errno = 0;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errsize, "directory %s: %s", dir,
			 errno ? strerror(errno) : "not a directory");
		return -1;
	}
	return milter_socket_user(c, err, errsize);
}

/* milter_main - the life of the milter process */
void
milter_main(const struct milter_args *args)
{
	const struct conf *c = args->conf;
	pid_t master = getppid();
	struct sigaction sa;
	sigset_t usr1;
	pthread_t retirer, watchdog;
	char err[4200];
	long tries;

	milter_proc.conf = c;
	milter_proc.checks = args->checks;
	milter_proc.lfd = -1;
	if (pipe(milter_proc.parked) < 0)
		milter_proc.parked[0] = milter_proc.parked[1] = -1;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGXFSZ, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	/* Blocked from the fork (master.c) until the handler is in place. */
	sa.sa_handler = milter_on_retire;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
	skel_become_worker(c, master);
	milter_workers(args);
	if (smfi_setconn(c->milter.socket) != MI_SUCCESS ||
	    smfi_settimeout(c->milter.timeout) != MI_SUCCESS ||
	    smfi_setbacklog(c->listen_backlog) != MI_SUCCESS ||
	    smfi_register(milter_desc) != MI_SUCCESS)
		msg_fatal("milter %s: libmilter refused the setup",
			  c->milter.socket);
	/*
	 * A reload's new process starts while the old one lets go of an
	 * inet socket (milter_release, at once on its retirement): try
	 * every 20 ms until it is free (a unix socket is replaced at once).
	 * Until then new connections are refused or tempfailed: about a
	 * tenth of a second (README).
	 */
	if (milter_socket_user(c, err, sizeof(err)) < 0)
		msg_fatal("milter %s: %s", c->milter.socket, err);
	for (tries = 0; smfi_opensocket(1) != MI_SUCCESS; tries++) {
		int saved = errno;

		if (milter_proc.retire) {
			msg_info("milter %s: retired before it could listen",
				 c->milter.socket);
			exit(0);
		}
		if (tries == (c->child_timeout + 10) * 50L)
			msg_fatal("milter %s: cannot listen: %s",
				  c->milter.socket, strerror(saved));
		/* A reload's old process lets go within a moment; past
		 * a second it is said, then every 10 s: never silent. */
		if (tries % 500 == 50)
			msg_warn("milter %s: cannot listen (%s): trying again "
				 "for %d s",
				 c->milter.socket, strerror(saved),
				 c->child_timeout + 10 - (int)(tries / 50));
		usleep(20000);
	}
	if (pthread_create(&retirer, NULL, milter_retirer, NULL) != 0)
		msg_fatal("milter: pthread_create: %m");
	(void)pthread_detach(retirer);
	milter_find_listener();
	if (milter_proc.lname_len == 0)
		msg_warn("milter %s: the listening socket is not known: the "
			 "timeout is not enforced",
			 c->milter.socket);
	else if (pthread_create(&watchdog, NULL, milter_watchdog, NULL) != 0)
		msg_fatal("milter: pthread_create: %m");
	else
		(void)pthread_detach(watchdog);
	msg_info("milter listening on %s (bank %s, %zu connections)",
		 c->milter.socket, c->milter.bank->name, milter_proc.n);
	/*
	 * libmilter blocks SIGTERM, SIGHUP, SIGINT here and sigwaits them
	 * (SIGTERM: an abrupt stop, the master gone). The master retires
	 * us with SIGUSR1 (a reload, a drain): milter_retirer().
	 */
	if (smfi_main() != MI_SUCCESS)
		msg_fatal("milter %s: smfi_main failed", c->milter.socket);
	milter_leftover();
	msg_info("milter stopped");
	exit(0);
}
