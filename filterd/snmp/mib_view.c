/*++
/* NAME
/*	mib_view 3
/* SUMMARY
/*	FILTERD-MIB objects as a sorted list of OIDs and values
/* DESCRIPTION
/*	See mib_view.h. The OID layout under filterdObjects (root.1),
/*	mirrored by snmp-mib/FILTERD-MIB.txt:
/*
/*	.1 filterdCounters	.1.N.0 message, byte, next-hop and SQL counters
/*	.2 filterdContent	.2.1.C.0 messages, .2.2.C.0 recipients by
/*				content category (C = enum sb_ccat + 1)
/*	.3 filterdActions	.3.1.A.0 messages, .3.2.A.0 recipients by
/*				action (A = enum sb_action + 1)
/*	.4 filterdPool		.4.N.0 pool gauges and child counters
/*	.5 filterdStates	.5.S.0 children in state S (enum sb_state)
/*	.6 filterdProcTable	.6.1.COL.SLOT+1
/*	.7 filterdHistTable	.7.1.COL.H+1 (H = enum sb_hist)
/*	.8 filterdBucketTable	.8.1.COL.H+1.B+1
/*--*/

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mib_view.h"
#include "util/xalloc.h"

const uint32_t mib_view_root[MIB_VIEW_ROOT_LEN] = {MIB_VIEW_ROOT};

/* Subtrees of filterdObjects. */
enum {
	MIB_COUNTERS = 1,
	MIB_CONTENT = 2,
	MIB_ACTIONS = 3,
	MIB_POOL = 4,
	MIB_STATES = 5,
	MIB_PROC = 6,
	MIB_HIST = 7,
	MIB_BUCKET = 8,
};

/* mib_view_add - a new instance at root.1.arcs... */
static struct mib_view_var *
mib_view_add(struct mib_view *mv, enum mib_view_type type, size_t n, ...)
{
	struct mib_view_var *var;
	va_list ap;

	if (MIB_VIEW_ROOT_LEN + 1 + n > MIB_VIEW_OID_MAX)
		abort();
	if (mv->n == mv->size) {
		mv->size = mv->size ? mv->size * 2 : 256;
		mv->vars = xrealloc(mv->vars, mv->size * sizeof(*mv->vars));
	}
	var = mv->vars + mv->n++;
	memset(var, 0, sizeof(*var));
	memcpy(var->oid, mib_view_root, sizeof(mib_view_root));
	var->len = MIB_VIEW_ROOT_LEN;
	var->oid[var->len++] = 1; /* filterdObjects */
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		var->oid[var->len++] = va_arg(ap, unsigned);
	va_end(ap);
	var->type = type;
	return var;
}

/* mib_view_gauge - a Gauge32 value, saturated */
static uint64_t
mib_view_gauge(uint64_t n)
{
	return n > UINT32_MAX ? UINT32_MAX : n;
}

/* mib_view_string - a DisplayString value */
static void
mib_view_string(struct mib_view_var *var, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i < sizeof(var->str) - 1; i++)
		var->str[i] = (unsigned char)s[i] < 0x20 ||
					      (unsigned char)s[i] > 0x7e
				      ? '?'
				      : s[i];
	var->str[i] = 0;
}

/* mib_view_scalar - a scalar instance (arcs .sub.n.0) */
static struct mib_view_var *
mib_view_scalar(struct mib_view *mv, enum mib_view_type type, unsigned sub,
		unsigned n, uint64_t value)
{
	struct mib_view_var *var = mib_view_add(mv, type, 3, sub, n, 0u);

	var->num = type == MIB_VIEW_GAUGE32 ? mib_view_gauge(value) : value;
	return var;
}

/* mib_view_counters - filterdCounters, filterdContent, filterdActions */
static void
mib_view_counters(struct mib_view *mv, const struct sb_counters *c)
{
	const uint64_t flat[] = {
		c->msgs_in,	     c->bytes_in,	   c->bytes_out,
		c->nexthop_failures, c->nexthop_failovers, c->sql_failures,
		c->sql_failovers,    c->releases,	   c->requeues,
		c->release_failures,
	};

	for (unsigned i = 0; i < sizeof(flat) / sizeof(*flat); i++)
		mib_view_scalar(mv, MIB_VIEW_COUNTER64, MIB_COUNTERS, i + 1,
				flat[i]);
	for (unsigned i = 0; i < SB_CCAT_COUNT; i++) {
		mib_view_add(mv, MIB_VIEW_COUNTER64, 4, MIB_CONTENT, 1u, i + 1,
			     0u)
			->num = c->msgs_ccat[i];
		mib_view_add(mv, MIB_VIEW_COUNTER64, 4, MIB_CONTENT, 2u, i + 1,
			     0u)
			->num = c->rcpts_ccat[i];
	}
	for (unsigned i = 0; i < SB_ACT_COUNT; i++) {
		mib_view_add(mv, MIB_VIEW_COUNTER64, 4, MIB_ACTIONS, 1u, i + 1,
			     0u)
			->num = c->msgs_action[i];
		mib_view_add(mv, MIB_VIEW_COUNTER64, 4, MIB_ACTIONS, 2u, i + 1,
			     0u)
			->num = c->rcpts_action[i];
	}
}

/* mib_view_pool - filterdPool and filterdStates */
static void
mib_view_pool(struct mib_view *mv, const struct sb_view *v)
{
	const struct sb_header *h = &v->hdr;
	int64_t up = v->now_ms - h->started_ms;

	mib_view_scalar(mv, MIB_VIEW_GAUGE32, MIB_POOL, 1, v->n_children);
	mib_view_scalar(mv, MIB_VIEW_GAUGE32, MIB_POOL, 2, v->busy);
	mib_view_scalar(mv, MIB_VIEW_GAUGE32, MIB_POOL, 3, v->idle);
	mib_view_scalar(mv, MIB_VIEW_GAUGE32, MIB_POOL, 4, v->busy_percent);
	mib_view_scalar(mv, MIB_VIEW_GAUGE32, MIB_POOL, 5, v->stuck);
	mib_view_scalar(mv, MIB_VIEW_UNSIGNED32, MIB_POOL, 6, h->child_timeout);
	mib_view_scalar(mv, MIB_VIEW_UNSIGNED32, MIB_POOL, 7, h->min_servers);
	mib_view_scalar(mv, MIB_VIEW_UNSIGNED32, MIB_POOL, 8, h->max_servers);
	mib_view_scalar(mv, MIB_VIEW_COUNTER64, MIB_POOL, 9, h->child_starts);
	mib_view_scalar(mv, MIB_VIEW_COUNTER64, MIB_POOL, 10, h->child_exits);
	mib_view_scalar(mv, MIB_VIEW_COUNTER64, MIB_POOL, 11, h->child_kills);
	mib_view_add(mv, MIB_VIEW_INTEGER, 3, MIB_POOL, 12u, 0u)->inum =
		h->master_pid;
	/* TruthValue: true(1), false(2). */
	mib_view_add(mv, MIB_VIEW_INTEGER, 3, MIB_POOL, 13u, 0u)->inum =
		v->master_alive ? 1 : 2;
	mib_view_scalar(mv, MIB_VIEW_TIMETICKS, MIB_POOL, 14,
			up > 0 ? (uint64_t)(up / 10) % ((uint64_t)1 << 32) : 0);
	for (unsigned st = SB_IDLE; st < SB_STATE_COUNT; st++)
		mib_view_scalar(mv, MIB_VIEW_GAUGE32, MIB_STATES, st,
				v->by_state[st]);
}

/* mib_view_procs - filterdProcTable, one row per child */
static void
mib_view_procs(struct mib_view *mv, const struct sb_view *v)
{
	for (size_t i = 0; i < v->n_children; i++) {
		const struct sb_view_child *ch = v->children + i;
		unsigned row = ch->slot + 1;

		mib_view_add(mv, MIB_VIEW_INTEGER, 4, MIB_PROC, 1u, 2u, row)
			->inum = ch->pid;
		mib_view_add(mv, MIB_VIEW_UNSIGNED32, 4, MIB_PROC, 1u, 3u, row)
			->num = ch->generation;
		mib_view_add(mv, MIB_VIEW_INTEGER, 4, MIB_PROC, 1u, 4u, row)
			->inum = ch->state;
		mib_view_string(mib_view_add(mv, MIB_VIEW_STRING, 4, MIB_PROC,
					     1u, 5u, row),
				ch->mail_id);
		mib_view_string(mib_view_add(mv, MIB_VIEW_STRING, 4, MIB_PROC,
					     1u, 6u, row),
				ch->queue_id);
		mib_view_add(mv, MIB_VIEW_GAUGE32, 4, MIB_PROC, 1u, 7u, row)
			->num = ch->msg_ms > 0
					? mib_view_gauge((uint64_t)ch->msg_ms /
							 1000)
					: 0;
		mib_view_add(mv, MIB_VIEW_GAUGE32, 4, MIB_PROC, 1u, 8u, row)
			->num = mib_view_gauge((uint64_t)ch->state_ms / 1000);
		mib_view_add(mv, MIB_VIEW_GAUGE32, 4, MIB_PROC, 1u, 9u, row)
			->num = mib_view_gauge(ch->bytes);
		mib_view_add(mv, MIB_VIEW_COUNTER64, 4, MIB_PROC, 1u, 10u, row)
			->num = ch->messages;
	}
}

/* mib_view_hists - filterdHistTable and filterdBucketTable */
static void
mib_view_hists(struct mib_view *mv, const struct sb_counters *c)
{
	for (unsigned hi = 0; hi < SB_H_COUNT; hi++) {
		mib_view_string(mib_view_add(mv, MIB_VIEW_STRING, 4, MIB_HIST,
					     1u, 2u, hi + 1),
				sb_view_hist_name((enum sb_hist)hi));
		mib_view_add(mv, MIB_VIEW_COUNTER64, 4, MIB_HIST, 1u, 3u,
			     hi + 1)
			->num = sb_view_hist_count(c, (enum sb_hist)hi);
		mib_view_add(mv, MIB_VIEW_COUNTER64, 4, MIB_HIST, 1u, 4u,
			     hi + 1)
			->num = c->hist_sum_ms[hi];
		for (unsigned b = 0; b < SB_HIST_BUCKETS; b++) {
			mib_view_add(mv, MIB_VIEW_UNSIGNED32, 5, MIB_BUCKET, 1u,
				     2u, hi + 1, b + 1)
				->num = b < SB_HIST_BUCKETS - 1
						? sb_hist_bounds[b]
						: UINT32_MAX;
			mib_view_add(mv, MIB_VIEW_COUNTER64, 5, MIB_BUCKET, 1u,
				     3u, hi + 1, b + 1)
				->num = c->hist[hi][b];
		}
	}
}

/* mib_view_oid_cmp - SNMP's lexicographic order of OIDs */
int
mib_view_oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;

	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return alen < blen ? -1 : alen > blen;
}

/* mib_view_var_cmp - qsort order */
static int
mib_view_var_cmp(const void *x, const void *y)
{
	const struct mib_view_var *a = x, *b = y;

	return mib_view_oid_cmp(a->oid, a->len, b->oid, b->len);
}

/* mib_view_build - every instance of FILTERD-MIB, sorted */
void
mib_view_build(struct mib_view *mv, const struct sb_view *v)
{
	memset(mv, 0, sizeof(*mv));
	mib_view_counters(mv, &v->sum);
	mib_view_pool(mv, v);
	mib_view_procs(mv, v);
	mib_view_hists(mv, &v->sum);
	qsort(mv->vars, mv->n, sizeof(*mv->vars), mib_view_var_cmp);
}

/* mib_view_release - free the instances */
void
mib_view_release(struct mib_view *mv)
{
	free(mv->vars);
	memset(mv, 0, sizeof(*mv));
}

/* mib_view_find - GET, GETNEXT or inclusive GETNEXT lookup */
const struct mib_view_var *
mib_view_find(const struct mib_view *mv, const uint32_t *oid, size_t len,
	      enum mib_view_mode mode)
{
	size_t lo = 0, hi = mv->n;

	/* The first instance not below oid. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct mib_view_var *var = mv->vars + mid;

		if (mib_view_oid_cmp(var->oid, var->len, oid, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < mv->n && mib_view_oid_cmp(mv->vars[lo].oid, mv->vars[lo].len,
					   oid, len) == 0) {
		if (mode != MIB_VIEW_NEXT)
			return mv->vars + lo;
		lo++;
	} else if (mode == MIB_VIEW_EXACT) {
		return NULL;
	}
	return lo < mv->n ? mv->vars + lo : NULL;
}
