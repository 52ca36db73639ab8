/*++
/* NAME
/*	nanny_view 3
/* SUMMARY
/*	what filterd-nanny prints: table, JSON, Prometheus text
/* DESCRIPTION
/*	See nanny_view.h. Mail IDs and queue IDs come from the scoreboard
/*	and the queue ID from the front MTA: nothing of them reaches the
/*	output unescaped (JSON) or unfiltered (table); Prometheus output has
/*	no such strings at all.
/*--*/

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "nanny_view.h"
#include "util/safe.h"

/* nanny_view_state_letter - amavisd-nanny style letter of a state */
char
nanny_view_state_letter(enum sb_state st)
{
	/* amavisd-nanny: b begin, d data, D decoding, V virus, S spam. */
	static const char letters[SB_STATE_COUNT] = {' ', '.', 'b', 'd', 'D',
						     'V', 'S', 'Q', 'F', 'r'};

	return (unsigned)st < SB_STATE_COUNT ? letters[st] : '?';
}

/* nanny_view_bar - elapsed time against child_timeout, as a bar */
void
nanny_view_bar(struct buf *b, int64_t elapsed_ms, unsigned timeout_s, char fill,
	       unsigned width)
{
	uint64_t cells;

	if (elapsed_ms < 0)
		elapsed_ms = 0;
	if (timeout_s == 0)
		cells = elapsed_ms > 0 ? width : 0;
	else
		cells = (uint64_t)elapsed_ms * width /
			((uint64_t)timeout_s * 1000);
	if (cells > width)
		cells = width;
	buf_puts(b, "[");
	for (unsigned i = 0; i < width; i++)
		buf_append(b, i < cells ? &fill : " ", 1);
	buf_puts(b, "]");
}

/* nanny_view_elapsed - [Nd]h:mm:ss */
void
nanny_view_elapsed(struct buf *b, int64_t ms)
{
	int64_t s = ms < 0 ? 0 : ms / 1000;

	if (s >= 86400)
		buf_printf(b, "%" PRId64 "d", s / 86400);
	buf_printf(b, "%" PRId64 ":%02" PRId64 ":%02" PRId64, s % 86400 / 3600,
		   s % 3600 / 60, s % 60);
}

/* nanny_view_json_escape - s as an ASCII JSON string; utf8: characters */
static void
nanny_view_json_escape(struct buf *b, const char *s, int utf8)
{
	size_t len = strlen(s), n;
	unsigned long cp;

	buf_puts(b, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf_printf(b, "\\%c", c);
		} else if (c >= 0x20 && c <= 0x7e) {
			buf_append(b, &s[i], 1);
		} else if (utf8 && (n = safe_utf8_char(s + i, len - i, &cp))) {
			if (cp > 0xffff)
				buf_printf(b, "\\u%04lx\\u%04lx",
					   0xd800 + ((cp - 0x10000) >> 10),
					   0xdc00 + ((cp - 0x10000) & 0x3ff));
			else
				buf_printf(b, "\\u%04lx", cp);
			i += n - 1;
		} else {
			buf_printf(b, "\\u%04x", c);
		}
	}
	buf_puts(b, "\"");
}

/* nanny_view_json_string - s as an ASCII JSON string, byte by byte */
void
nanny_view_json_string(struct buf *b, const char *s)
{
	nanny_view_json_escape(b, s, 0);
}

/* nanny_view_json_text - s as an ASCII JSON string, UTF-8 as characters */
void
nanny_view_json_text(struct buf *b, const char *s)
{
	nanny_view_json_escape(b, s, 1);
}

/* nanny_view_printable - s for a terminal: '?' for what is not ASCII */
static void
nanny_view_printable(struct buf *b, const char *s, int width)
{
	int n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
		buf_append(b, *p < 0x20 || *p > 0x7e ? "?" : (const char *)p,
			   1);
	if (n == 0) {
		buf_puts(b, "-");
		n = 1;
	}
	for (; n < width; n++)
		buf_puts(b, " ");
}

/* nanny_view_table - the amavisd-nanny style table and a summary */
void
nanny_view_table(struct buf *b, const struct sb_view *v)
{
	const struct sb_header *h = &v->hdr;
	const struct sb_counters *c = &v->sum;

	buf_printf(b, "filterd master %d (%s), up ", (int)h->master_pid,
		   v->master_alive ? "running" : "gone");
	nanny_view_elapsed(b, v->now_ms - h->started_ms);
	buf_printf(b, ", child_timeout %u s, servers %u..%u\n",
		   h->child_timeout, h->min_servers, h->max_servers);
	buf_puts(b, "slot     pid state       mail_id      queue_id     "
		    "elapsed  of child_timeout (dots: idle)\n");
	for (size_t i = 0; i < v->n_children; i++) {
		const struct sb_view_child *ch = v->children + i;
		int64_t ms = ch->msg_ms >= 0 ? ch->msg_ms : ch->state_ms;

		buf_printf(b, "%4u %7d %-11s ", ch->slot, (int)ch->pid,
			   sb_state_name(ch->state));
		nanny_view_printable(b, ch->mail_id, 12);
		buf_puts(b, " ");
		nanny_view_printable(b, ch->queue_id, 12);
		buf_puts(b, " ");
		{
			struct buf t;

			buf_init(&t, 32);
			nanny_view_elapsed(&t, ms);
			buf_printf(b, "%8s  ", t.data);
			buf_release(&t);
		}
		nanny_view_bar(b, ms, h->child_timeout,
			       nanny_view_state_letter(ch->state),
			       NANNY_VIEW_BAR_WIDTH);
		buf_puts(b, ch->stuck ? " STUCK\n" : "\n");
	}
	buf_printf(b, "children %zu: busy %u (%u%%), idle %u, stuck %u;",
		   v->n_children, v->busy, v->busy_percent, v->idle, v->stuck);
	if (v->exhausted)
		buf_puts(b, " POOL EXHAUSTED (max_servers busy; new "
			    "connections wait);");
	for (int st = SB_GREETING; st < SB_STATE_COUNT; st++)
		buf_printf(b, " %s %u", sb_state_name((enum sb_state)st),
			   v->by_state[st]);
	buf_printf(b,
		   "\nmessages %" PRIu64 " (bytes in %" PRIu64 ", out %" PRIu64
		   ");",
		   c->msgs_in, c->bytes_in, c->bytes_out);
	for (int i = 0; i < SB_CCAT_COUNT; i++)
		buf_printf(b, " %s %" PRIu64,
			   sb_view_ccat_name((enum sb_ccat)i), c->msgs_ccat[i]);
	buf_puts(b, ";");
	for (int i = 0; i < SB_ACT_COUNT; i++)
		buf_printf(b, " %s %" PRIu64,
			   sb_view_action_name((enum sb_action)i),
			   c->msgs_action[i]);
	buf_printf(b,
		   "\nnext hops: failures %" PRIu64 ", failovers %" PRIu64
		   "; sql: failures %" PRIu64 ", failovers %" PRIu64
		   "; children started %" PRIu64 ", exited %" PRIu64
		   ", killed %" PRIu64 "\nquarantine: releases %" PRIu64
		   ", requeues %" PRIu64 ", failed %" PRIu64 "\n",
		   c->nexthop_failures, c->nexthop_failovers, c->sql_failures,
		   c->sql_failovers, h->child_starts, h->child_exits,
		   h->child_kills, c->releases, c->requeues,
		   c->release_failures);
}

/* nanny_view_json_named - "name":{"a":n,...} keyed by names */
static void
nanny_view_json_named(struct buf *b, const char *name, const uint64_t *vals,
		      int n, const char *(*key)(int))
{
	buf_printf(b, "\"%s\":{", name);
	for (int i = 0; i < n; i++)
		buf_printf(b, "%s\"%s\":%" PRIu64, i ? "," : "", key(i),
			   vals[i]);
	buf_puts(b, "}");
}

/* nanny_view_ccat_key - for nanny_view_json_named */
static const char *
nanny_view_ccat_key(int i)
{
	return sb_view_ccat_name((enum sb_ccat)i);
}

/* nanny_view_action_key - for nanny_view_json_named */
static const char *
nanny_view_action_key(int i)
{
	return sb_view_action_name((enum sb_action)i);
}

/* nanny_view_json_child - one child as a JSON object */
static void
nanny_view_json_child(struct buf *b, const struct sb_view_child *ch)
{
	buf_printf(b, "{\"slot\":%u,\"pid\":%d,\"generation\":%u,\"state\":",
		   ch->slot, (int)ch->pid, ch->generation);
	nanny_view_json_string(b, sb_state_name(ch->state));
	buf_puts(b, ",\"mail_id\":");
	nanny_view_json_string(b, ch->mail_id);
	buf_puts(b, ",\"queue_id\":");
	nanny_view_json_string(b, ch->queue_id);
	if (ch->msg_ms >= 0)
		buf_printf(b, ",\"msg_elapsed_ms\":%" PRId64, ch->msg_ms);
	else
		buf_puts(b, ",\"msg_elapsed_ms\":null");
	buf_printf(b,
		   ",\"state_elapsed_ms\":%" PRId64 ",\"bytes\":%" PRIu64
		   ",\"messages\":%" PRIu64 ",\"stuck\":%s}",
		   ch->state_ms, ch->bytes, ch->messages,
		   ch->stuck ? "true" : "false");
}

/* nanny_view_json - the whole snapshot as one line of JSON */
void
nanny_view_json(struct buf *b, const struct sb_view *v)
{
	const struct sb_header *h = &v->hdr;
	const struct sb_counters *c = &v->sum;

	buf_printf(
		b,
		"{\"scoreboard_version\":%u,\"now_ms\":%" PRId64
		",\"master_pid\":%d,\"master_alive\":%s,\"started_ms\":%" PRId64
		",\"child_timeout\":%u,\"min_servers\":%u,\"max_servers\":%u"
		",\"child_starts\":%" PRIu64 ",\"child_exits\":%" PRIu64
		",\"child_kills\":%" PRIu64 ",\"children\":[",
		h->version, v->now_ms, (int)h->master_pid,
		v->master_alive ? "true" : "false", h->started_ms,
		h->child_timeout, h->min_servers, h->max_servers,
		h->child_starts, h->child_exits, h->child_kills);
	for (size_t i = 0; i < v->n_children; i++) {
		if (i)
			buf_puts(b, ",");
		nanny_view_json_child(b, v->children + i);
	}
	buf_printf(b,
		   "],\"children_total\":%zu,\"busy\":%u,\"idle\":%u,"
		   "\"stuck\":%u,\"busy_percent\":%u,\"exhausted\":%s,",
		   v->n_children, v->busy, v->idle, v->stuck, v->busy_percent,
		   v->exhausted ? "true" : "false");
	/* "free" is not a state a child can be in: start at idle. */
	buf_puts(b, "\"by_state\":{");
	for (int st = SB_IDLE; st < SB_STATE_COUNT; st++)
		buf_printf(b, "%s\"%s\":%u", st == SB_IDLE ? "" : ",",
			   sb_state_name((enum sb_state)st), v->by_state[st]);
	buf_puts(b, "}");
	buf_printf(
		b,
		",\"counters\":{\"msgs_in\":%" PRIu64 ",\"bytes_in\":%" PRIu64
		",\"bytes_out\":%" PRIu64 ",\"nexthop_failures\":%" PRIu64
		",\"nexthop_failovers\":%" PRIu64 ",\"sql_failures\":%" PRIu64
		",\"sql_failovers\":%" PRIu64 ",\"releases\":%" PRIu64
		",\"requeues\":%" PRIu64 ",\"release_failures\":%" PRIu64 ",",
		c->msgs_in, c->bytes_in, c->bytes_out, c->nexthop_failures,
		c->nexthop_failovers, c->sql_failures, c->sql_failovers,
		c->releases, c->requeues, c->release_failures);
	nanny_view_json_named(b, "msgs_ccat", c->msgs_ccat, SB_CCAT_COUNT,
			      nanny_view_ccat_key);
	buf_puts(b, ",");
	nanny_view_json_named(b, "rcpts_ccat", c->rcpts_ccat, SB_CCAT_COUNT,
			      nanny_view_ccat_key);
	buf_puts(b, ",");
	nanny_view_json_named(b, "msgs_action", c->msgs_action, SB_ACT_COUNT,
			      nanny_view_action_key);
	buf_puts(b, ",");
	nanny_view_json_named(b, "rcpts_action", c->rcpts_action, SB_ACT_COUNT,
			      nanny_view_action_key);
	buf_puts(b, "},\"histograms\":{");
	for (int hi = 0; hi < SB_H_COUNT; hi++) {
		buf_printf(b,
			   "%s\"%s\":{\"count\":%" PRIu64 ",\"sum_ms\":%" PRIu64
			   ",\"buckets\":[",
			   hi ? "," : "", sb_view_hist_name((enum sb_hist)hi),
			   sb_view_hist_count(c, (enum sb_hist)hi),
			   c->hist_sum_ms[hi]);
		for (int bi = 0; bi < SB_HIST_BUCKETS; bi++) {
			buf_puts(b, bi ? ",{\"le\":" : "{\"le\":");
			if (bi < SB_HIST_BUCKETS - 1)
				buf_printf(b, "%u", sb_hist_bounds[bi]);
			else
				buf_puts(b, "null");
			buf_printf(b, ",\"count\":%" PRIu64 "}",
				   c->hist[hi][bi]);
		}
		buf_puts(b, "]}");
	}
	buf_puts(b, "}}\n");
}

/* nanny_view_prom_counter - one counter family of one sample */
static void
nanny_view_prom_counter(struct buf *b, const char *name, const char *help,
			uint64_t value)
{
	buf_printf(b,
		   "# HELP filterd_%s %s\n# TYPE filterd_%s counter\n"
		   "filterd_%s %" PRIu64 "\n",
		   name, help, name, name, value);
}

/* nanny_view_prom_labelled - one counter family, one sample per name */
static void
nanny_view_prom_labelled(struct buf *b, const char *name, const char *help,
			 const char *label, const uint64_t *vals, int n,
			 const char *(*key)(int))
{
	buf_printf(b, "# HELP filterd_%s %s\n# TYPE filterd_%s counter\n", name,
		   help, name);
	for (int i = 0; i < n; i++)
		buf_printf(b, "filterd_%s{%s=\"%s\"} %" PRIu64 "\n", name,
			   label, key(i), vals[i]);
}

/* nanny_view_prom_gauge - one gauge */
static void
nanny_view_prom_gauge(struct buf *b, const char *name, const char *help,
		      double value)
{
	buf_printf(b,
		   "# HELP filterd_%s %s\n# TYPE filterd_%s gauge\n"
		   "filterd_%s %.17g\n",
		   name, help, name, name, value);
}

/* nanny_view_prometheus - Prometheus text exposition format 0.0.4 */
void
nanny_view_prometheus(struct buf *b, const struct sb_view *v)
{
	const struct sb_header *h = &v->hdr;
	const struct sb_counters *c = &v->sum;

	nanny_view_prom_counter(b, "messages_total",
				"Messages received to the end of DATA.",
				c->msgs_in);
	nanny_view_prom_counter(b, "received_bytes_total",
				"Bytes of the messages received.", c->bytes_in);
	nanny_view_prom_counter(b, "forwarded_bytes_total",
				"Bytes of the messages sent to next hops.",
				c->bytes_out);
	nanny_view_prom_counter(b, "nexthop_failures_total",
				"Next hops given up on.", c->nexthop_failures);
	nanny_view_prom_counter(
		b, "nexthop_failovers_total",
		"Messages delivered to a later next hop after a failure.",
		c->nexthop_failovers);
	nanny_view_prom_counter(b, "sql_failures_total",
				"SQL servers given up on.", c->sql_failures);
	nanny_view_prom_counter(b, "sql_failovers_total",
				"SQL work done on a later server after a "
				"failure.",
				c->sql_failovers);
	nanny_view_prom_counter(b, "releases_total",
				"Quarantine releases (AM.PDP) that some "
				"recipient got.",
				c->releases);
	nanny_view_prom_counter(b, "requeues_total",
				"Quarantine requeues (AM.PDP) that some "
				"recipient got.",
				c->requeues);
	nanny_view_prom_counter(b, "release_failures_total",
				"Quarantine releases and requeues that no "
				"recipient got.",
				c->release_failures);
	nanny_view_prom_labelled(b, "messages_by_category_total",
				 "Messages by content category.", "category",
				 c->msgs_ccat, SB_CCAT_COUNT,
				 nanny_view_ccat_key);
	nanny_view_prom_labelled(b, "recipients_by_category_total",
				 "Recipients by content category.", "category",
				 c->rcpts_ccat, SB_CCAT_COUNT,
				 nanny_view_ccat_key);
	nanny_view_prom_labelled(b, "messages_by_action_total",
				 "Messages by action taken (a message with "
				 "recipients of several actions counts once "
				 "in each).",
				 "action", c->msgs_action, SB_ACT_COUNT,
				 nanny_view_action_key);
	nanny_view_prom_labelled(
		b, "recipients_by_action_total", "Recipients by action taken.",
		"action", c->rcpts_action, SB_ACT_COUNT, nanny_view_action_key);
	nanny_view_prom_counter(b, "child_starts_total", "Children started.",
				h->child_starts);
	nanny_view_prom_counter(b, "child_exits_total", "Children gone.",
				h->child_exits);
	nanny_view_prom_counter(b, "child_kills_total",
				"Children killed by a signal.", h->child_kills);
	buf_puts(b, "# HELP filterd_children Children by state.\n"
		    "# TYPE filterd_children gauge\n");
	for (int st = SB_IDLE; st < SB_STATE_COUNT; st++)
		buf_printf(b, "filterd_children{state=\"%s\"} %u\n",
			   sb_state_name((enum sb_state)st), v->by_state[st]);
	nanny_view_prom_gauge(b, "children_busy",
			      "Children serving a connection.", v->busy);
	nanny_view_prom_gauge(
		b, "busy_ratio", "Busy children over all children (0..1).",
		v->n_children ? (double)v->busy / v->n_children : 0.0);
	nanny_view_prom_gauge(b, "children_stuck",
			      "Children with a message for longer than "
			      "child_timeout.",
			      v->stuck);
	nanny_view_prom_gauge(b, "pool_exhausted",
			      "1 when max_servers children are all busy (new "
			      "connections wait in the backlog).",
			      v->exhausted);
	nanny_view_prom_gauge(b, "child_timeout_seconds",
			      "The configured child_timeout.",
			      h->child_timeout);
	nanny_view_prom_gauge(b, "master_up",
			      "1 while the master process exists.",
			      v->master_alive);
	buf_puts(b, "# HELP filterd_latency_seconds Time per message and "
		    "stage.\n# TYPE filterd_latency_seconds histogram\n");
	for (int hi = 0; hi < SB_H_COUNT; hi++) {
		const char *name = sb_view_hist_name((enum sb_hist)hi);
		uint64_t cum = 0;

		for (int bi = 0; bi < SB_HIST_BUCKETS; bi++) {
			cum += c->hist[hi][bi];
			if (bi < SB_HIST_BUCKETS - 1)
				buf_printf(
					b,
					"filterd_latency_seconds_bucket{"
					"stage=\"%s\",le=\"%g\"} %" PRIu64 "\n",
					name, sb_hist_bounds[bi] / 1000.0, cum);
			else
				buf_printf(b,
					   "filterd_latency_seconds_bucket{"
					   "stage=\"%s\",le=\"+Inf\"} %" PRIu64
					   "\n",
					   name, cum);
		}
		buf_printf(b,
			   "filterd_latency_seconds_sum{stage=\"%s\"} %.3f\n"
			   "filterd_latency_seconds_count{stage=\"%s\"} "
			   "%" PRIu64 "\n",
			   name, c->hist_sum_ms[hi] / 1000.0, name, cum);
	}
}
