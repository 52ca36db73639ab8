/*++
/* NAME
/*	sb_view 3
/* SUMMARY
/*	a reader's snapshot of the scoreboard
/* DESCRIPTION
/*	See sb_view.h. A view is taken without any lock: children keep
/*	writing their slots meanwhile. Each slot is copied once and the
/*	copy is what the view is derived from, so a child's row is
/*	consistent with itself; the counter sums come from sb_sum(), which
/*	is consistent across a child's retirement.
/*--*/

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sb_view.h"
#include "util/xalloc.h"

struct sb_view_reader {
	char *path;
	int writable;
	struct scoreboard *sb;
	dev_t dev;
	ino_t ino;
};

/* sb_view_state_busy - whether a child in this state is occupied */
int
sb_view_state_busy(enum sb_state st)
{
	/* Between messages of a session the child serves nobody else. */
	return st != SB_FREE && st != SB_IDLE;
}

/* sb_view_pid_alive - the process exists and is not a zombie */
int
sb_view_pid_alive(pid_t pid)
{
	char path[64], line[512], *p, state;
	FILE *fp;

	if (pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH))
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 1; /* no /proc: trust kill() */
	p = fgets(line, sizeof(line), fp);
	fclose(fp);
	/* "pid (comm) S ...": comm may hold anything, even ") ". */
	if (p == NULL || (p = strrchr(line, ')')) == NULL ||
	    sscanf(p + 1, " %c", &state) != 1)
		return 1;
	return state != 'Z' && state != 'X';
}

/*
 * sb_view_master_alive - the scoreboard's master is running: its pid is
 * alive and, when the scoreboard says when the master started, the
 * process with that pid started then (not a later one that reused it).
 */
int
sb_view_master_alive(const struct sb_header *h)
{
	uint64_t start;

	if (!sb_view_pid_alive((pid_t)h->master_pid))
		return 0;
	if (h->master_start == 0)
		return 1;
	start = sb_proc_start((pid_t)h->master_pid);
	return start == 0 || start == h->master_start;
}

/* sb_view_hist_count - observations in a histogram (all buckets) */
uint64_t
sb_view_hist_count(const struct sb_counters *c, enum sb_hist h)
{
	uint64_t n = 0;

	for (size_t b = 0; b < SB_HIST_BUCKETS; b++)
		n += c->hist[h][b];
	return n;
}

/* sb_view_child_copy - one live slot, copied out of the map */
static void
sb_view_child_copy(struct sb_view_child *ch, const struct sb_slot *s,
		   unsigned i, int64_t now_ms, uint32_t timeout_s)
{
	struct sb_slot copy;

	memcpy(&copy, s, sizeof(copy));
	ch->slot = i;
	ch->pid = (pid_t)copy.pid;
	ch->generation = copy.generation;
	ch->state = copy.state < SB_STATE_COUNT ? (enum sb_state)copy.state
						: SB_IDLE;
	memcpy(ch->mail_id, copy.mail_id, sizeof(ch->mail_id));
	ch->mail_id[sizeof(ch->mail_id) - 1] = 0;
	memcpy(ch->queue_id, copy.queue_id, sizeof(ch->queue_id));
	ch->queue_id[sizeof(ch->queue_id) - 1] = 0;
	ch->msg_ms = copy.msg_start_ms ? now_ms - copy.msg_start_ms : -1;
	if (copy.msg_start_ms && ch->msg_ms < 0)
		ch->msg_ms = 0;
	ch->state_ms = copy.state_start_ms ? now_ms - copy.state_start_ms : 0;
	if (ch->state_ms < 0)
		ch->state_ms = 0;
	ch->bytes = copy.bytes;
	ch->messages = copy.messages;
	ch->stuck = ch->msg_ms >= 0 && timeout_s > 0 &&
		    ch->msg_ms > (int64_t)timeout_s * 1000;
}

/* sb_view_take - a snapshot of the scoreboard at now_ms */
void
sb_view_take(struct scoreboard *sb, int64_t now_ms, struct sb_view *v)
{
	memset(v, 0, sizeof(*v));
	v->now_ms = now_ms;
	memcpy(&v->hdr, sb_header(sb), sizeof(v->hdr));
	v->master_alive = sb_view_master_alive(&v->hdr);
	sb_sum(sb, &v->sum);
	v->children = xcalloc(SB_SLOTS, sizeof(*v->children));
	for (unsigned i = 0; i < SB_SLOTS; i++) {
		const struct sb_slot *s = sb_slot(sb, i);
		struct sb_view_child *ch = v->children + v->n_children;

		if (__atomic_load_n(&s->pid, __ATOMIC_ACQUIRE) <= 0)
			continue;
		sb_view_child_copy(ch, s, i, now_ms, v->hdr.child_timeout);
		if (ch->pid <= 0)
			continue; /* freed while we copied */
		v->n_children++;
		v->by_state[ch->state]++;
		if (sb_view_state_busy(ch->state))
			v->busy++;
		else
			v->idle++;
		v->stuck += ch->stuck != 0;
	}
	if (v->n_children)
		v->busy_percent = (unsigned)(v->busy * 100 / v->n_children);
	v->exhausted = v->hdr.max_servers > 0 && v->busy >= v->hdr.max_servers;
}

/* sb_view_release - free what a view holds */
void
sb_view_release(struct sb_view *v)
{
	free(v->children);
	v->children = NULL;
	v->n_children = 0;
}

/* sb_view_ccat_name - content category, as readers name it */
const char *
sb_view_ccat_name(enum sb_ccat c)
{
	static const char *const names[SB_CCAT_COUNT] = {
		"clean", "spammy", "spam", "unchecked", "banned", "virus"};

	return (unsigned)c < SB_CCAT_COUNT ? names[c] : NULL;
}

/* sb_view_action_name - action, as readers name it */
const char *
sb_view_action_name(enum sb_action a)
{
	static const char *const names[SB_ACT_COUNT] = {
		"passed",   "discarded",   "bounced",
		"rejected", "quarantined", "tempfailed"};

	return (unsigned)a < SB_ACT_COUNT ? names[a] : NULL;
}

/* sb_view_hist_name - latency histogram, as readers name it */
const char *
sb_view_hist_name(enum sb_hist h)
{
	static const char *const names[SB_H_COUNT] = {
		"total", "receive", "virus", "banned", "spam", "forward"};

	return (unsigned)h < SB_H_COUNT ? names[h] : NULL;
}

/* sb_view_reader_open - follow the scoreboard file at path */
struct sb_view_reader *
sb_view_reader_open(const char *path, int writable)
{
	struct sb_view_reader *r = xcalloc(1, sizeof(*r));

	r->path = xstrdup(path);
	r->writable = writable;
	return r;
}

/* sb_view_reader_get - the current mapping; map again after a restart */
struct scoreboard *
sb_view_reader_get(struct sb_view_reader *r, char *errbuf, size_t errsize)
{
	struct stat st;

	if (stat(r->path, &st) < 0) {
		snprintf(errbuf, errsize, "%s: %s", r->path, strerror(errno));
		sb_close(&r->sb);
		return NULL;
	}
	if (r->sb && st.st_dev == r->dev && st.st_ino == r->ino)
		return r->sb;
	/*
	 * A new file (the master restarted). Should it be replaced again
	 * between the stat() and the open, the next call sees that.
	 */
	sb_close(&r->sb);
	if ((r->sb = sb_open(r->path, r->writable, errbuf, errsize)) == NULL)
		return NULL;
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	return r->sb;
}

/* sb_view_reader_close - unmap and forget */
void
sb_view_reader_close(struct sb_view_reader **rp)
{
	struct sb_view_reader *r = *rp;

	if (r == NULL)
		return;
	sb_close(&r->sb);
	free(r->path);
	free(r);
	*rp = NULL;
}
