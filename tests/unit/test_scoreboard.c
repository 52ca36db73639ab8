/*++
/* NAME
/*	test_scoreboard 1
/* SUMMARY
/*	unit tests for master/scoreboard.c, master/sb_view.c and
/*	tools/nanny_view.c
/* DESCRIPTION
/*	The layout readers rely on (sizes, offsets, version check), slot
/*	reservation and release, sums that never go backwards across a
/*	release, histogram buckets at their bounds, the reader's snapshot
/*	and re-mapping after a restart, and what filterd-nanny prints:
/*	progress bar, durations, JSON escaping, JSON and Prometheus output.
/*--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "master/sb_view.h"
#include "master/scoreboard.h"
#include "tools/nanny_view.h"
#include "util/buf.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))

struct layout_case {
	const char *name;
	size_t got;
	size_t want;
};

/*
 * The layout of version 2. filterd-nanny and filterd-snmp of one build
 * read the scoreboard of a master of another build only when these
 * agree: a change here must come with a new SB_VERSION.
 */
static const struct layout_case layout_cases[] = {
	{"SB_VERSION", SB_VERSION, 3},
	{"SB_MAGIC", SB_MAGIC, 0x42534446u},
	{"SB_SLOTS", SB_SLOTS, 1024},
	{"SB_HIST_BUCKETS", SB_HIST_BUCKETS, 16},
	{"SB_STATE_COUNT", SB_STATE_COUNT, 10},
	{"SB_CCAT_COUNT", SB_CCAT_COUNT, 6},
	{"SB_ACT_COUNT", SB_ACT_COUNT, 6},
	{"SB_H_COUNT", SB_H_COUNT, 6},
	{"sizeof sb_counters", sizeof(struct sb_counters), 1088},
	{"sizeof sb_slot", sizeof(struct sb_slot), 1184},
	{"sizeof sb_header", sizeof(struct sb_header), 1168},
	{"slot.pid", offsetof(struct sb_slot, pid), 0},
	{"slot.generation", offsetof(struct sb_slot, generation), 4},
	{"slot.state", offsetof(struct sb_slot, state), 8},
	{"slot.msg_start_ms", offsetof(struct sb_slot, msg_start_ms), 16},
	{"slot.state_start_ms", offsetof(struct sb_slot, state_start_ms), 24},
	{"slot.bytes", offsetof(struct sb_slot, bytes), 32},
	{"slot.messages", offsetof(struct sb_slot, messages), 40},
	{"slot.mail_id", offsetof(struct sb_slot, mail_id), 48},
	{"slot.queue_id", offsetof(struct sb_slot, queue_id), 64},
	{"slot.c", offsetof(struct sb_slot, c), 96},
	{"header.magic", offsetof(struct sb_header, magic), 0},
	{"header.version", offsetof(struct sb_header, version), 4},
	{"header.n_slots", offsetof(struct sb_header, n_slots), 8},
	{"header.slot_size", offsetof(struct sb_header, slot_size), 12},
	{"header.header_size", offsetof(struct sb_header, header_size), 16},
	{"header.master_pid", offsetof(struct sb_header, master_pid), 20},
	{"header.started_ms", offsetof(struct sb_header, started_ms), 24},
	{"header.child_timeout", offsetof(struct sb_header, child_timeout), 32},
	{"header.min_servers", offsetof(struct sb_header, min_servers), 36},
	{"header.max_servers", offsetof(struct sb_header, max_servers), 40},
	{"header.fold_seq", offsetof(struct sb_header, fold_seq), 44},
	{"header.child_starts", offsetof(struct sb_header, child_starts), 48},
	{"header.child_exits", offsetof(struct sb_header, child_exits), 56},
	{"header.child_kills", offsetof(struct sb_header, child_kills), 64},
	{"header.retired", offsetof(struct sb_header, retired), 72},
	{"header.master_start", offsetof(struct sb_header, master_start), 1160},
	{"counters.rcpts_ccat", offsetof(struct sb_counters, rcpts_ccat), 48},
	{"counters.msgs_action", offsetof(struct sb_counters, msgs_action), 96},
	{"counters.rcpts_action", offsetof(struct sb_counters, rcpts_action),
	 144},
	{"counters.msgs_in", offsetof(struct sb_counters, msgs_in), 192},
	{"counters.bytes_in", offsetof(struct sb_counters, bytes_in), 200},
	{"counters.bytes_out", offsetof(struct sb_counters, bytes_out), 208},
	{"counters.nexthop_failures",
	 offsetof(struct sb_counters, nexthop_failures), 216},
	{"counters.sql_failovers", offsetof(struct sb_counters, sql_failovers),
	 240},
	{"counters.hist", offsetof(struct sb_counters, hist), 248},
	{"counters.hist_sum_ms", offsetof(struct sb_counters, hist_sum_ms),
	 1016},
	{"counters.releases", offsetof(struct sb_counters, releases), 1064},
	{"counters.requeues", offsetof(struct sb_counters, requeues), 1072},
	{"counters.release_failures",
	 offsetof(struct sb_counters, release_failures), 1080},
};

struct fixture {
	char dir[64];
	char path[128];
	struct scoreboard *sb;
};

/* setup - a fresh scoreboard in a temporary directory */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_scoreboard.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/scoreboard", f->dir);
	f->sb = sb_create(f->path, err, sizeof(err));
	if (f->sb == NULL)
		return -1;
	sb_header(f->sb)->child_timeout = 10;
	*state = f;
	return 0;
}

/* teardown - remove it */
static int
teardown(void **state)
{
	struct fixture *f = *state;
	char tmp[160];

	sb_close(&f->sb);
	unlink(f->path);
	snprintf(tmp, sizeof(tmp), "%s.new", f->path);
	unlink(tmp);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* test_layout - sizes and offsets stay those of version 3 */
static void
test_layout(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(layout_cases); i++) {
		if (layout_cases[i].got != layout_cases[i].want)
			fail_msg("%s: %zu, want %zu", layout_cases[i].name,
				 layout_cases[i].got, layout_cases[i].want);
	}
	/* sb_counters_add relies on it: nothing but uint64_t inside. */
	assert_int_equal(sizeof(struct sb_counters) % sizeof(uint64_t), 0);
}

/* patch - overwrite 4 bytes of the file at off */
static void
patch(const char *path, long off, uint32_t value)
{
	FILE *fp = fopen(path, "r+b");

	assert_non_null(fp);
	assert_int_equal(fseek(fp, off, SEEK_SET), 0);
	assert_int_equal(fwrite(&value, sizeof(value), 1, fp), 1);
	assert_int_equal(fclose(fp), 0);
}

/* test_open_refuses - wrong magic, version, sizes; missing; short */
static void
test_open_refuses(void **state)
{
	struct fixture *f = *state;
	struct scoreboard *r;
	char err[512];

	r = sb_open(f->path, 0, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(sb_header(r)->magic, SB_MAGIC);
	sb_close(&r);
	assert_null(r);

	patch(f->path, offsetof(struct sb_header, version), SB_VERSION + 1);
	assert_null(sb_open(f->path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "not a version 3 scoreboard"));
	patch(f->path, offsetof(struct sb_header, version), SB_VERSION);

	patch(f->path, offsetof(struct sb_header, magic), 0x12345678u);
	assert_null(sb_open(f->path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "magic 12345678"));
	patch(f->path, offsetof(struct sb_header, magic), SB_MAGIC);

	patch(f->path, offsetof(struct sb_header, slot_size), 1);
	assert_null(sb_open(f->path, 0, err, sizeof(err)));
	patch(f->path, offsetof(struct sb_header, slot_size),
	      sizeof(struct sb_slot));

	r = sb_open(f->path, 0, err, sizeof(err));
	assert_non_null(r);
	sb_close(&r);

	assert_int_equal(truncate(f->path, 4096), 0);
	assert_null(sb_open(f->path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "too small"));

	assert_int_equal(unlink(f->path), 0);
	assert_null(sb_open(f->path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
}

/* test_reserve_born_release - a slot's life */
static void
test_reserve_born_release(void **state)
{
	struct fixture *f = *state;
	struct sb_header *h = sb_header(f->sb);
	struct sb_slot *s;
	int a, b;

	a = sb_slot_reserve(f->sb, 3);
	b = sb_slot_reserve(f->sb, 3);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	s = sb_slot(f->sb, (unsigned)a);
	assert_int_equal(s->pid, -1);
	assert_int_equal(s->generation, 3);
	assert_int_equal(s->state, SB_IDLE);
	assert_int_equal(h->child_starts, 0);

	sb_slot_born(f->sb, (unsigned)a, 4242);
	assert_int_equal(s->pid, 4242);
	assert_int_equal(h->child_starts, 1);

	s->c.msgs_in = 5;
	sb_slot_release(f->sb, (unsigned)a);
	assert_int_equal(s->pid, 0);
	assert_int_equal(s->state, SB_FREE);
	assert_int_equal(s->c.msgs_in, 0);
	assert_int_equal(h->retired.msgs_in, 5);
	assert_int_equal(h->child_exits, 1);
	assert_int_equal(h->fold_seq % 2, 0);

	/* A reserved slot whose fork failed is released the same way. */
	sb_slot_release(f->sb, (unsigned)b);
	assert_int_equal(sb_slot(f->sb, (unsigned)b)->pid, 0);

	/* Freed slots are reused, from the first. */
	assert_int_equal(sb_slot_reserve(f->sb, 4), 0);

	/* Every slot taken: no more. */
	for (unsigned i = 0; i < SB_SLOTS; i++)
		sb_slot(f->sb, i)->pid = 1;
	assert_int_equal(sb_slot_reserve(f->sb, 4), -1);
	for (unsigned i = 0; i < SB_SLOTS; i++)
		sb_slot(f->sb, i)->pid = 0;
}

/* fill - distinct counter values, all of them */
static void
fill(struct sb_counters *c, uint64_t base)
{
	uint64_t *p = (uint64_t *)c;

	for (size_t i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
		p[i] = base + i;
}

/* test_fold_keeps_sums - a release moves counters, never loses them */
static void
test_fold_keeps_sums(void **state)
{
	struct fixture *f = *state;
	struct sb_counters before, after, again;
	int idx[3];

	for (int i = 0; i < 3; i++) {
		idx[i] = sb_slot_reserve(f->sb, 1);
		sb_slot_born(f->sb, (unsigned)idx[i], 1000 + i);
		fill(&sb_slot(f->sb, (unsigned)idx[i])->c,
		     (uint64_t)(i + 1) * 1000000);
	}
	sb_sum(f->sb, &before);
	/* msgs_in is the 25th counter (offset 192). */
	assert_int_equal(before.msgs_in, 1000024 + 2000024 + 3000024);

	sb_slot_release(f->sb, (unsigned)idx[1]);
	sb_sum(f->sb, &after);
	assert_memory_equal(&before, &after, sizeof(before));

	/* A child still counting after another's release: sums grow. */
	sb_slot(f->sb, (unsigned)idx[0])->c.msgs_in++;
	sb_slot_release(f->sb, (unsigned)idx[2]);
	sb_slot_release(f->sb, (unsigned)idx[0]);
	sb_sum(f->sb, &again);
	assert_int_equal(again.msgs_in, before.msgs_in + 1);
	assert_memory_equal(&again, &sb_header(f->sb)->retired, sizeof(again));
}

struct hist_case {
	long ms;
	size_t bucket;
};

static const struct hist_case hist_cases[] = {
	{-5, 0},    {0, 0},	 {1, 0},      {2, 1},
	{3, 2},	    {5, 2},	 {6, 3},      {10, 3},
	{11, 4},    {100, 6},	 {101, 7},    {1000, 9},
	{1001, 10}, {60000, 14}, {60001, 15}, {86400000, 15},
};

/* test_hist_bounds - a duration at a bound goes into that bound's bucket */
static void
test_hist_bounds(void **state)
{
	struct sb_counters c;
	uint64_t sum = 0;

	(void)state;
	for (size_t i = 0; i + 1 < SB_HIST_BUCKETS - 1; i++)
		assert_true(sb_hist_bounds[i] < sb_hist_bounds[i + 1]);
	for (size_t i = 0; i < N_ELEMS(hist_cases); i++) {
		memset(&c, 0, sizeof(c));
		sb_hist_add(&c, SB_H_SPAM, hist_cases[i].ms);
		for (size_t b = 0; b < SB_HIST_BUCKETS; b++)
			if (c.hist[SB_H_SPAM][b] != (b == hist_cases[i].bucket))
				fail_msg("%ld ms: bucket %zu has %llu, want "
					 "bucket %zu",
					 hist_cases[i].ms, b,
					 (unsigned long long)
						 c.hist[SB_H_SPAM][b],
					 hist_cases[i].bucket);
		assert_int_equal(sb_view_hist_count(&c, SB_H_SPAM), 1);
		assert_int_equal(sb_view_hist_count(&c, SB_H_TOTAL), 0);
	}
	/* Every bound, exactly: its own bucket. */
	memset(&c, 0, sizeof(c));
	for (size_t b = 0; b < SB_HIST_BUCKETS - 1; b++) {
		sb_hist_add(&c, SB_H_TOTAL, (long)sb_hist_bounds[b]);
		sum += sb_hist_bounds[b];
		assert_int_equal(c.hist[SB_H_TOTAL][b], 1);
	}
	assert_int_equal(c.hist[SB_H_TOTAL][SB_HIST_BUCKETS - 1], 0);
	assert_int_equal(c.hist_sum_ms[SB_H_TOTAL], sum);
	sb_hist_add(&c, SB_H_TOTAL, 0);
	assert_int_equal(sb_view_hist_count(&c, SB_H_TOTAL), SB_HIST_BUCKETS);
}

/* busy_slot - a child with a message in hand since ago_ms */
static struct sb_slot *
busy_slot(struct scoreboard *sb, pid_t pid, enum sb_state st, int64_t ago_ms)
{
	int i = sb_slot_reserve(sb, 1);
	struct sb_slot *s = sb_slot(sb, (unsigned)i);

	sb_slot_born(sb, (unsigned)i, pid);
	sb_slot_message(s, "MAILID123456", "QUEUEID");
	sb_slot_state(s, st);
	s->msg_start_ms -= ago_ms;
	return s;
}

/* test_view - what readers see */
static void
test_view(void **state)
{
	struct fixture *f = *state;
	struct sb_view v;
	struct sb_slot *s;
	int idle;

	busy_slot(f->sb, 101, SB_FORWARDING, 2000);
	s = busy_slot(f->sb, 102, SB_VIRUS, 11000); /* past 10 s */
	/* Strings without their NUL, as a child writing them may leave. */
	memset(s->mail_id, 'M', sizeof(s->mail_id));
	memset(s->queue_id, 0x01, sizeof(s->queue_id));
	idle = sb_slot_reserve(f->sb, 1);
	sb_slot_born(f->sb, (unsigned)idle, 103);
	sb_slot_reserve(f->sb, 1); /* pid -1: not a child yet */

	sb_view_take(f->sb, sb_now_ms(), &v);
	assert_true(v.master_alive); /* sb_create made us the master */
	assert_int_equal(v.n_children, 3);
	assert_int_equal(v.busy, 2);
	assert_int_equal(v.idle, 1);
	assert_int_equal(v.busy_percent, 66);
	assert_int_equal(v.stuck, 1);
	assert_int_equal(v.by_state[SB_FORWARDING], 1);
	assert_int_equal(v.by_state[SB_VIRUS], 1);
	assert_int_equal(v.by_state[SB_IDLE], 1);
	assert_int_equal(v.children[0].pid, 101);
	assert_string_equal(v.children[0].mail_id, "MAILID123456");
	assert_string_equal(v.children[0].queue_id, "QUEUEID");
	assert_false(v.children[0].stuck);
	assert_true(v.children[0].msg_ms >= 2000 &&
		    v.children[0].msg_ms < 10000);
	assert_int_equal(strlen(v.children[1].mail_id),
			 sizeof(v.children[1].mail_id) - 1);
	assert_int_equal(strlen(v.children[1].queue_id),
			 sizeof(v.children[1].queue_id) - 1);
	assert_true(v.children[1].stuck);
	assert_int_equal(v.children[2].msg_ms, -1);
	sb_view_release(&v);
	assert_null(v.children);
}

/* test_reader_follows_restart - a new file is mapped again */
static void
test_reader_follows_restart(void **state)
{
	struct fixture *f = *state;
	struct sb_view_reader *r = sb_view_reader_open(f->path, 0);
	struct scoreboard *a, *b, *fresh;
	char err[512];

	a = sb_view_reader_get(r, err, sizeof(err));
	assert_non_null(a);
	assert_ptr_equal(sb_view_reader_get(r, err, sizeof(err)), a);
	sb_header(f->sb)->child_kills = 7;
	assert_int_equal(sb_header(a)->child_kills, 7); /* shared */

	/* A restarted master: a new file under the same name. */
	fresh = sb_create(f->path, err, sizeof(err));
	assert_non_null(fresh);
	b = sb_view_reader_get(r, err, sizeof(err));
	assert_non_null(b);
	assert_int_equal(sb_header(b)->child_kills, 0);
	sb_close(&fresh);

	assert_int_equal(unlink(f->path), 0);
	assert_null(sb_view_reader_get(r, err, sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
	sb_view_reader_close(&r);
	assert_null(r);
}

struct bar_case {
	int64_t ms;
	unsigned timeout;
	char fill;
	const char *want;
};

static const struct bar_case bar_cases[] = {
	{0, 10, 'V', "[          ]"},	  {999, 10, 'V', "[          ]"},
	{1000, 10, 'V', "[V         ]"},  {5500, 10, 'F', "[FFFFF     ]"},
	{10000, 10, 'S', "[SSSSSSSSSS]"}, {99000, 10, '.', "[..........]"},
	{-5, 10, 'V', "[          ]"},	  {1, 0, 'V', "[VVVVVVVVVV]"},
	{0, 0, 'V', "[          ]"},
};

/* test_bar - cells grow with the time against child_timeout */
static void
test_bar(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	for (size_t i = 0; i < N_ELEMS(bar_cases); i++) {
		buf_reset(&b);
		nanny_view_bar(&b, bar_cases[i].ms, bar_cases[i].timeout,
			       bar_cases[i].fill, 10);
		if (strcmp(b.data, bar_cases[i].want) != 0)
			fail_msg("bar %lld ms of %u s: \"%s\", want \"%s\"",
				 (long long)bar_cases[i].ms,
				 bar_cases[i].timeout, b.data,
				 bar_cases[i].want);
	}
	buf_release(&b);
	assert_int_equal(nanny_view_state_letter(SB_IDLE), '.');
	assert_int_equal(nanny_view_state_letter(SB_VIRUS), 'V');
	assert_int_equal(nanny_view_state_letter((enum sb_state)99), '?');
}

struct text_case {
	const char *in;
	const char *want;
};

static const struct text_case json_cases[] = {
	{"", "\"\""},
	{"Abc-12_xY", "\"Abc-12_xY\""},
	{"say \"hi\"", "\"say \\\"hi\\\"\""},
	{"back\\slash", "\"back\\\\slash\""},
	{"tab\tnl\ncr\r", "\"tab\\u0009nl\\u000acr\\u000d\""},
	{"\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\""},
	{"caf\xc3\xa9", "\"caf\\u00c3\\u00a9\""},
	{"\xff</script>", "\"\\u00ff</script>\""},
};

static const struct text_case json_text_cases[] = {
	{"say \"hi\"\t", "\"say \\\"hi\\\"\\u0009\""},
	{"caf\xc3\xa9", "\"caf\\u00e9\""},
	{"\xe2\x82\xac \xf0\x9f\x98\x80", "\"\\u20ac \\ud83d\\ude00\""},
	/* not UTF-8: overlong, a surrogate, a lone byte, a cut sequence */
	{"\xc0\xaf\xed\xa0\x80\xff\xe2\x82",
	 "\"\\u00c0\\u00af\\u00ed\\u00a0\\u0080\\u00ff\\u00e2\\u0082\""},
};

/* test_json_text - UTF-8 as characters, other bytes as before */
static void
test_json_text(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	for (size_t i = 0; i < N_ELEMS(json_text_cases); i++) {
		buf_reset(&b);
		nanny_view_json_text(&b, json_text_cases[i].in);
		if (strcmp(b.data, json_text_cases[i].want) != 0)
			fail_msg("json text of case %zu: %s, want %s", i,
				 b.data, json_text_cases[i].want);
	}
	buf_release(&b);
}

/* test_json_string - always valid ASCII JSON */
static void
test_json_string(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	for (size_t i = 0; i < N_ELEMS(json_cases); i++) {
		buf_reset(&b);
		nanny_view_json_string(&b, json_cases[i].in);
		if (strcmp(b.data, json_cases[i].want) != 0)
			fail_msg("json of case %zu: %s, want %s", i, b.data,
				 json_cases[i].want);
	}
	buf_release(&b);
}

static const struct {
	int64_t ms;
	const char *want;
} elapsed_cases[] = {
	{-1, "0:00:00"},	{0, "0:00:00"},		 {999, "0:00:00"},
	{59999, "0:00:59"},	{61000, "0:01:01"},	 {3661000, "1:01:01"},
	{86399000, "23:59:59"}, {90061000, "1d1:01:01"},
};

/* test_elapsed - [Nd]h:mm:ss */
static void
test_elapsed(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	for (size_t i = 0; i < N_ELEMS(elapsed_cases); i++) {
		buf_reset(&b);
		nanny_view_elapsed(&b, elapsed_cases[i].ms);
		assert_string_equal(b.data, elapsed_cases[i].want);
	}
	buf_release(&b);
}

/* test_outputs - table, JSON and Prometheus of one snapshot */
static void
test_outputs(void **state)
{
	struct fixture *f = *state;
	struct sb_view v;
	struct sb_slot *s;
	struct buf b;

	s = busy_slot(f->sb, 201, SB_SPAM, 3000);
	snprintf(s->queue_id, sizeof(s->queue_id), "Q\"\n\xff");
	s->c.msgs_in = 7;
	s->c.msgs_action[SB_ACT_PASSED] = 6;
	s->c.msgs_action[SB_ACT_TEMPFAILED] = 1;
	sb_hist_add(&s->c, SB_H_TOTAL, 3);
	sb_hist_add(&s->c, SB_H_TOTAL, 70000);
	sb_view_take(f->sb, sb_now_ms(), &v);
	buf_init(&b, 1024);

	nanny_view_table(&b, &v);
	assert_non_null(strstr(b.data, "spam        MAILID123456 Q\"??"));
	assert_non_null(strstr(b.data, "[SSSSSS              ]"));
	assert_non_null(strstr(b.data, "children 1: busy 1 (100%)"));
	assert_non_null(strstr(b.data, "messages 7 "));
	assert_null(strchr(b.data, '\xff'));

	buf_reset(&b);
	nanny_view_json(&b, &v);
	assert_int_equal(b.data[b.len - 1], '\n');
	assert_ptr_equal(strchr(b.data, '\n'), b.data + b.len - 1);
	assert_non_null(strstr(b.data, "\"queue_id\":\"Q\\\"\\u000a\\u00ff\""));
	assert_non_null(strstr(b.data, "\"msgs_in\":7,"));
	assert_non_null(strstr(b.data, "\"msgs_action\":{\"passed\":6,"));
	assert_non_null(strstr(b.data, "\"tempfailed\":1}"));
	assert_non_null(strstr(b.data, "\"by_state\":{\"idle\":0,"));
	assert_non_null(strstr(b.data,
			       "\"total\":{\"count\":2,\"sum_ms\":70003,"
			       "\"buckets\":[{\"le\":1,\"count\":0},"
			       "{\"le\":2,\"count\":0},"
			       "{\"le\":5,\"count\":1},"));
	assert_non_null(strstr(b.data, "{\"le\":null,\"count\":1}]}"));

	buf_reset(&b);
	nanny_view_prometheus(&b, &v);
	assert_non_null(strstr(b.data, "# TYPE filterd_messages_total counter\n"
				       "filterd_messages_total 7\n"));
	assert_non_null(strstr(b.data, "filterd_messages_by_action_total{"
				       "action=\"passed\"} 6\n"));
	assert_non_null(strstr(b.data, "filterd_children{state=\"spam\"} 1\n"));
	/* Cumulative buckets, in seconds. */
	assert_non_null(strstr(b.data, "filterd_latency_seconds_bucket{"
				       "stage=\"total\",le=\"0.002\"} 0\n"));
	assert_non_null(strstr(b.data, "filterd_latency_seconds_bucket{"
				       "stage=\"total\",le=\"0.005\"} 1\n"));
	assert_non_null(strstr(b.data, "filterd_latency_seconds_bucket{"
				       "stage=\"total\",le=\"60\"} 1\n"));
	assert_non_null(strstr(b.data, "filterd_latency_seconds_bucket{"
				       "stage=\"total\",le=\"+Inf\"} 2\n"));
	assert_non_null(strstr(b.data, "filterd_latency_seconds_sum{"
				       "stage=\"total\"} 70.003\n"));
	assert_non_null(strstr(b.data, "filterd_latency_seconds_count{"
				       "stage=\"total\"} 2\n"));
	assert_null(strstr(b.data, "MAILID"));
	buf_release(&b);
	sb_view_release(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test_setup_teardown(test_open_refuses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reserve_born_release,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fold_keeps_sums, setup,
						teardown),
		cmocka_unit_test(test_hist_bounds),
		cmocka_unit_test_setup_teardown(test_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_follows_restart,
						setup, teardown),
		cmocka_unit_test(test_bar),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_json_text),
		cmocka_unit_test(test_elapsed),
		cmocka_unit_test_setup_teardown(test_outputs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
