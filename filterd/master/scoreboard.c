/*++
/* NAME
/*	scoreboard 3
/* SUMMARY
/*	shared-memory scoreboard and counters of the pool
/* DESCRIPTION
/*	See scoreboard.h. The sequence counter is the only synchronisation:
/*	its writer (the master, or the nanny reaping) makes it odd, moves a
/*	slot's counters into the retired set, frees the slot and makes it
/*	even again; a reader retries a sum during which it changed.
/*--*/

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scoreboard.h"
#include "util/msg.h"
#include "util/xalloc.h"

const uint32_t sb_hist_bounds[SB_HIST_BUCKETS - 1] = {
	1,   2,	   5,	 10,   20,    50,    100,  200,
	500, 1000, 2000, 5000, 10000, 30000, 60000};

struct scoreboard {
	void *map;
	size_t size;
};

#define SB_SIZE (sizeof(struct sb_header) + SB_SLOTS * sizeof(struct sb_slot))

/* sb_now_ms - wall clock in milliseconds */
int64_t
sb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* sb_map - map an open scoreboard file */
static struct scoreboard *
sb_map(int fd, size_t size, int writable, char *errbuf, size_t errsize)
{
	struct scoreboard *sb;
	void *map = mmap(NULL, size, PROT_READ | (writable ? PROT_WRITE : 0),
			 MAP_SHARED, fd, 0);

	if (map == MAP_FAILED) {
		snprintf(errbuf, errsize, "mmap: %s", strerror(errno));
		return NULL;
	}
	sb = xcalloc(1, sizeof(*sb));
	sb->map = map;
	sb->size = size;
	return sb;
}

/* sb_create - a fresh scoreboard file, mapped (master, before fork) */
struct scoreboard *
sb_create(const char *path, char *errbuf, size_t errsize)
{
	struct scoreboard *sb;
	struct sb_header *h;
	char tmp[4096];
	int fd;

	/* Readers never see a half-made file: build it, then rename. */
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	(void)unlink(tmp);
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0 || ftruncate(fd, (off_t)SB_SIZE) < 0) {
		snprintf(errbuf, errsize, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	sb = sb_map(fd, SB_SIZE, 1, errbuf, errsize);
	close(fd);
	if (sb == NULL)
		return NULL;
	h = sb->map;
	h->magic = SB_MAGIC;
	h->version = SB_VERSION;
	h->n_slots = SB_SLOTS;
	h->slot_size = sizeof(struct sb_slot);
	h->header_size = sizeof(struct sb_header);
	h->master_pid = (int32_t)getpid();
	h->started_ms = sb_now_ms();
	h->master_start = sb_proc_start(getpid());
	if (rename(tmp, path) < 0) {
		snprintf(errbuf, errsize, "rename %s: %s", path,
			 strerror(errno));
		sb_close(&sb);
	}
	return sb;
}

/*
 * sb_proc_start - when a process started (/proc/PID/stat field 22, clock
 * ticks after boot), or 0 when it cannot be read. A pid and this tell one
 * process from a later one that got the same pid.
 */
uint64_t
sb_proc_start(pid_t pid)
{
	char path[64], line[1024], *p;
	unsigned long long start = 0;
	FILE *fp;
	int field = 3; /* p stands before field 3 */

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	p = fgets(line, sizeof(line), fp);
	fclose(fp);
	/* "pid (comm) state ...": comm may hold anything, even ") ". */
	if (p == NULL || (p = strrchr(line, ')')) == NULL)
		return 0;
	for (p++; *p && field < 22; field++)
		p += strspn(p, " ") + strcspn(p + strspn(p, " "), " ");
	if (field != 22 || sscanf(p, " %llu", &start) != 1)
		return 0;
	return (uint64_t)start;
}

/* sb_open - map an existing scoreboard; refuse another layout */
struct scoreboard *
sb_open(const char *path, int writable, char *errbuf, size_t errsize)
{
	struct scoreboard *sb;
	const struct sb_header *h;
	struct stat st;
	int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(errbuf, errsize, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if ((size_t)st.st_size < SB_SIZE) {
		snprintf(errbuf, errsize,
			 "%s: too small for scoreboard version %d", path,
			 SB_VERSION);
		close(fd);
		return NULL;
	}
	sb = sb_map(fd, SB_SIZE, writable, errbuf, errsize);
	close(fd);
	if (sb == NULL)
		return NULL;
	h = sb->map;
	if (h->magic != SB_MAGIC || h->version != SB_VERSION ||
	    h->n_slots != SB_SLOTS || h->slot_size != sizeof(struct sb_slot) ||
	    h->header_size != sizeof(struct sb_header)) {
		snprintf(errbuf, errsize,
			 "%s: not a version %d scoreboard of this build "
			 "(magic %08x version %u)",
			 path, SB_VERSION, h->magic, h->version);
		sb_close(&sb);
	}
	return sb;
}

/* sb_close - unmap */
void
sb_close(struct scoreboard **sbp)
{
	struct scoreboard *sb = *sbp;

	if (sb == NULL)
		return;
	munmap(sb->map, sb->size);
	free(sb);
	*sbp = NULL;
}

/* sb_header - the header */
struct sb_header *
sb_header(struct scoreboard *sb)
{
	return sb->map;
}

/* sb_slot - slot i */
struct sb_slot *
sb_slot(struct scoreboard *sb, unsigned i)
{
	struct sb_slot *slots = (struct sb_slot *)((char *)sb->map +
						   sizeof(struct sb_header));

	if (i >= SB_SLOTS)
		msg_panic("sb_slot: %u out of range", i);
	return slots + i;
}

/* sb_slot_reserve - ready a free slot for a child about to be forked */
int
sb_slot_reserve(struct scoreboard *sb, unsigned generation)
{
	for (unsigned i = 0; i < SB_SLOTS; i++) {
		struct sb_slot *s = sb_slot(sb, i);

		if (s->pid != 0)
			continue;
		memset(s, 0, sizeof(*s));
		s->generation = generation;
		s->state = SB_IDLE;
		s->state_start_ms = sb_now_ms();
		__atomic_store_n(&s->pid, -1, __ATOMIC_RELEASE);
		return (int)i;
	}
	return -1;
}

/* sb_slot_born - the child of a reserved slot exists */
void
sb_slot_born(struct scoreboard *sb, unsigned i, pid_t pid)
{
	__atomic_store_n(&sb_slot(sb, i)->pid, (int32_t)pid, __ATOMIC_RELEASE);
	sb_header(sb)->child_starts++;
}

/* sb_counters_add - to += from */
void
sb_counters_add(struct sb_counters *to, const struct sb_counters *from)
{
	const uint64_t *f = (const uint64_t *)from;
	uint64_t *t = (uint64_t *)to;

	/* struct sb_counters is nothing but uint64_t. */
	for (size_t i = 0; i < sizeof(*to) / sizeof(uint64_t); i++)
		t[i] += f[i];
}

/* sb_slot_release - fold a gone child's counters and free its slot */
void
sb_slot_release(struct scoreboard *sb, unsigned i)
{
	struct sb_header *h = sb_header(sb);
	struct sb_slot *s = sb_slot(sb, i);

	__atomic_add_fetch(&h->fold_seq, 1, __ATOMIC_ACQ_REL);
	sb_counters_add(&h->retired, &s->c);
	h->child_exits++;
	memset(&s->c, 0, sizeof(s->c));
	s->state = SB_FREE;
	s->msg_start_ms = 0;
	__atomic_store_n(&s->pid, 0, __ATOMIC_RELEASE);
	__atomic_add_fetch(&h->fold_seq, 1, __ATOMIC_ACQ_REL);
}

/* sb_count_pdp - live children serving AM.PDP */
unsigned
sb_count_pdp(struct scoreboard *sb)
{
	unsigned n = 0;

	for (unsigned i = 0; i < SB_SLOTS; i++) {
		struct sb_slot *s = sb_slot(sb, i);

		if (__atomic_load_n(&s->pid, __ATOMIC_ACQUIRE) > 0 &&
		    __atomic_load_n(&s->pdp, __ATOMIC_ACQUIRE))
			n++;
	}
	return n;
}

/* sb_sum - retired plus every live child's counters, consistently */
void
sb_sum(struct scoreboard *sb, struct sb_counters *out)
{
	struct sb_header *h = sb_header(sb);

	for (int tries = 0; tries < 1000; tries++) {
		uint32_t seq = __atomic_load_n(&h->fold_seq, __ATOMIC_ACQUIRE);

		if (seq & 1)
			continue;
		*out = h->retired;
		for (unsigned i = 0; i < SB_SLOTS; i++) {
			struct sb_slot *s = sb_slot(sb, i);

			if (__atomic_load_n(&s->pid, __ATOMIC_ACQUIRE))
				sb_counters_add(out, &s->c);
		}
		if (__atomic_load_n(&h->fold_seq, __ATOMIC_ACQUIRE) == seq)
			return;
	}
}

/* sb_state_name - for people */
const char *
sb_state_name(enum sb_state st)
{
	static const char *const names[SB_STATE_COUNT] = {
		"free",	 "idle", "greeting", "receiving",  "parsing",
		"virus", "spam", "sql",	     "forwarding", "replying"};

	return (unsigned)st < SB_STATE_COUNT ? names[st] : "unknown";
}

/* sb_slot_state - what the child does now */
void
sb_slot_state(struct sb_slot *s, enum sb_state st)
{
	if (s == NULL)
		return;
	s->state_start_ms = sb_now_ms();
	s->state = st;
}

/* sb_slot_message - a message is in hand */
void
sb_slot_message(struct sb_slot *s, const char *mail_id, const char *queue_id)
{
	if (s == NULL)
		return;
	snprintf(s->mail_id, sizeof(s->mail_id), "%s", mail_id);
	snprintf(s->queue_id, sizeof(s->queue_id), "%s",
		 queue_id ? queue_id : "");
	s->bytes = 0;
	s->msg_start_ms = sb_now_ms();
}

/* sb_slot_message_done - no message in hand any more */
void
sb_slot_message_done(struct sb_slot *s)
{
	if (s == NULL)
		return;
	s->msg_start_ms = 0;
	s->mail_id[0] = 0;
	s->queue_id[0] = 0;
	s->bytes = 0;
}

/* sb_hist_add - count one duration */
void
sb_hist_add(struct sb_counters *c, enum sb_hist h, long ms)
{
	size_t b = 0;

	if (ms < 0)
		ms = 0;
	while (b < SB_HIST_BUCKETS - 1 && (uint32_t)ms > sb_hist_bounds[b])
		b++;
	c->hist[h][b]++;
	c->hist_sum_ms[h] += (uint64_t)ms;
}
