/*++
/* NAME
/*	test_stream 1
/* SUMMARY
/*	unit tests for util/stream.c over a socketpair
/* DESCRIPTION
/*	The stream owns one end of a socketpair; the test plays the other
/*	end ("peer") directly. Bulk transfers run the peer in a thread so
/*	that neither side can block the other.
/*--*/

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/stream.h"

#define N_ELEMS(a) (sizeof(a) / sizeof(*(a)))
#define S(lit) lit, sizeof(lit) - 1
#define BULK (1024 * 1024)

struct fixture {
	struct stream *s;
	int peer;
};

/* pair_open - a stream on one end of a fresh socketpair */
static int
pair_open(struct fixture *f, size_t bufsize)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	/* The stream's end only: the test's end blocks. */
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	f->s = stream_open(sv[0], bufsize);
	f->peer = sv[1];
	return f->s ? 0 : -1;
}

/* pair_close - both ends */
static void
pair_close(struct fixture *f)
{
	stream_close(&f->s);
	if (f->peer >= 0)
		close(f->peer);
	f->peer = -1;
}

/* setup - a pair with the default buffer size */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || pair_open(f, 0) < 0)
		return -1;
	*state = f;
	return 0;
}

/* teardown - release the pair */
static int
teardown(void **state)
{
	struct fixture *f = *state;

	pair_close(f);
	assert_null(f->s);
	free(f);
	return 0;
}

/* peer_write - write all of data from the peer side */
static void
peer_write(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

/* now_ms - monotonic milliseconds */
static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Lines: what the peer sends (then it closes), what each call returns. */
struct want_line {
	const char *text; /* NULL: the end of the list */
	size_t len;
	int too_long;
};

struct line_case {
	const char *name;
	const char *in;
	size_t in_len;
	size_t bufsize; /* stream buffer; 0: default */
	size_t size;	/* stream_get_line buffer */
	struct want_line lines[4];
};

static const struct line_case line_cases[] = {
	{"CRLF", S("a\r\nbc\r\n"), 0, 64, {{S("a"), 0}, {S("bc"), 0}}},
	{"LF", S("a\nbc\n"), 0, 64, {{S("a"), 0}, {S("bc"), 0}}},
	{"no final LF", S("a\r\nlast"), 0, 64, {{S("a"), 0}, {S("last"), 0}}},
	{"empty lines", S("\r\n\n"), 0, 64, {{S(""), 0}, {S(""), 0}}},
	{"CR inside a line", S("a\rb\r\n"), 0, 64, {{S("a\rb"), 0}}},
	{"NUL and 8-bit", S("a\0b\xff\r\n"), 0, 64, {{S("a\0b\xff"), 0}}},
	{"too long, next line intact",
	 S("0123456789abc\r\nnext\r\n"),
	 0,
	 8,
	 {{S("0123456"), 1}, {S("next"), 0}}},
	{"too long with LF",
	 S("0123456789abc\nnext\n"),
	 0,
	 8,
	 {{S("0123456"), 1}, {S("next"), 0}}},
	{"exactly size - 1 with CRLF",
	 S("0123456\r\nnext\r\n"),
	 0,
	 8,
	 {{S("0123456"), 0}, {S("next"), 0}}},
	{"exactly size - 1 with LF",
	 S("0123456\nnext\n"),
	 0,
	 8,
	 {{S("0123456"), 0}, {S("next"), 0}}},
	{"one over",
	 S("01234567\r\nnext\r\n"),
	 0,
	 8,
	 {{S("0123456"), 1}, {S("next"), 0}}},
	{"too long without final LF", S("abcdefg"), 0, 4, {{S("abc"), 1}}},
	{"lines across small buffers",
	 S("0123456789abcdefghijklmnopqrstuvwxyz\r\nx\r\n"),
	 5,
	 64,
	 {{S("0123456789abcdefghijklmnopqrstuvwxyz"), 0}, {S("x"), 0}}},
	{"too long across small buffers",
	 S("0123456789abcdefghijklmnopqrstuvwxyz\r\nx\r\n"),
	 5,
	 11,
	 {{S("0123456789"), 1}, {S("x"), 0}}},
	{"CRLF split over buffers",
	 S("abcd\r\nefg\r\n"),
	 5,
	 64,
	 {{S("abcd"), 0}, {S("efg"), 0}}},
	{"nothing", S(""), 0, 64, {{NULL, 0, 0}}},
};

/* check_line_case - one case on its own pair; 0 or -1 (reported) */
static int
check_line_case(const struct line_case *c)
{
	struct fixture f;
	char buf[256];
	int too_long = -1;
	ssize_t n;
	size_t k;

	if (pair_open(&f, c->bufsize) < 0)
		fail_msg("socketpair: %s", strerror(errno));
	stream_set_timeout(f.s, 5);
	peer_write(f.peer, c->in, c->in_len);
	close(f.peer);
	f.peer = -1;
	for (k = 0; k < N_ELEMS(c->lines) && c->lines[k].text; k++) {
		const struct want_line *w = c->lines + k;

		memset(buf, 'Z', sizeof(buf));
		n = stream_get_line(f.s, buf, c->size, &too_long);
		if (n != (ssize_t)w->len || memcmp(buf, w->text, w->len) != 0 ||
		    buf[w->len] != 0 || too_long != w->too_long) {
			print_error("%s: line %zu: got %zd bytes \"%.*s\" "
				    "too_long %d; want %zu \"%.*s\" %d\n",
				    c->name, k, n, n > 0 ? (int)n : 0, buf,
				    too_long, w->len, (int)w->len, w->text,
				    w->too_long);
			pair_close(&f);
			return -1;
		}
		for (size_t z = c->size; z < sizeof(buf); z++)
			if (buf[z] != 'Z') {
				print_error("%s: wrote buf[%zu]\n", c->name, z);
				pair_close(&f);
				return -1;
			}
	}
	/* Then end of file, remembered. */
	n = stream_get_line(f.s, buf, c->size, &too_long);
	if (n != -1 || stream_error(f.s) != STREAM_EOF) {
		print_error("%s: after the lines: %zd, error %d; want EOF\n",
			    c->name, n, (int)stream_error(f.s));
		pair_close(&f);
		return -1;
	}
	pair_close(&f);
	return 0;
}

/* test_get_line - the line table */
static void
test_get_line(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(line_cases); i++)
		failed += check_line_case(line_cases + i) < 0;
	assert_int_equal(failed, 0);
}

/* test_timeout - no data: -1 after about 1 s, then sticky */
static void
test_timeout(void **state)
{
	struct fixture *f = *state;
	char buf[64];
	const char *data;
	char got[64];
	int too_long;
	long t0, elapsed;
	ssize_t n;

	stream_set_timeout(f->s, 1);
	t0 = now_ms();
	assert_int_equal(stream_get_line(f->s, buf, sizeof(buf), &too_long),
			 -1);
	elapsed = now_ms() - t0;
	assert_in_range(elapsed, 900, 3000);
	assert_int_equal(stream_error(f->s), STREAM_TIMEOUT);
	assert_non_null(stream_strerror(f->s));

	/* Sticky: data arriving later does not revive the stream. */
	peer_write(f->peer, S("late\r\n"));
	t0 = now_ms();
	assert_int_equal(stream_get_line(f->s, buf, sizeof(buf), &too_long),
			 -1);
	assert_int_equal(stream_peek(f->s, &data), -1);
	assert_true(now_ms() - t0 < 500);
	assert_int_equal(stream_error(f->s), STREAM_TIMEOUT);

	/* A failed read does not stop writes: the server can say 421. */
	stream_puts(f->s, "421 4.4.2 timeout\r\n");
	assert_int_equal(stream_flush(f->s), 0);
	assert_int_equal(stream_error(f->s), STREAM_TIMEOUT);
	n = recv(f->peer, got, sizeof(got), 0);
	assert_int_equal(n, sizeof("421 4.4.2 timeout\r\n") - 1);
	assert_memory_equal(got, "421 4.4.2 timeout\r\n", (size_t)n);
}

/* test_partial_line_timeout - a line without LF that stalls is no line */
static void
test_partial_line_timeout(void **state)
{
	struct fixture *f = *state;
	char buf[64];
	int too_long;

	stream_set_timeout(f->s, 1);
	peer_write(f->peer, S("MAIL FROM:<a@b>"));
	assert_int_equal(stream_get_line(f->s, buf, sizeof(buf), &too_long),
			 -1);
	assert_int_equal(stream_error(f->s), STREAM_TIMEOUT);
}

/* test_eof - the peer closes: -1, STREAM_EOF, for good */
static void
test_eof(void **state)
{
	struct fixture *f = *state;
	char buf[64];
	const char *data;
	int too_long;

	stream_set_timeout(f->s, 5);
	close(f->peer);
	f->peer = -1;
	assert_int_equal(stream_get_line(f->s, buf, sizeof(buf), &too_long),
			 -1);
	assert_int_equal(stream_error(f->s), STREAM_EOF);
	assert_int_equal(stream_peek(f->s, &data), -1);
	assert_int_equal(stream_error(f->s), STREAM_EOF);
}

/* test_write_error - writing to a closed peer fails, once checked */
static void
test_write_error(void **state)
{
	struct fixture *f = *state;

	stream_set_timeout(f->s, 5);
	close(f->peer);
	f->peer = -1;
	/* SIGPIPE would end the test: the stream must not rely on it. */
	signal(SIGPIPE, SIG_IGN);
	stream_puts(f->s, "QUIT\r\n");
	assert_int_equal(stream_flush(f->s), -1);
	assert_int_equal(stream_error(f->s), STREAM_IO);
	/* And stays failed. */
	stream_puts(f->s, "QUIT\r\n");
	assert_int_equal(stream_flush(f->s), -1);
	assert_int_equal(stream_error(f->s), STREAM_IO);
}

/*
 * test_write_timeout - a peer that reads nothing: once the socket buffer
 * is full the write waits for the deadline, not for ever (the stream's
 * descriptor is non-blocking, as stream.h asks).
 */
static void
test_write_timeout(void **state)
{
	struct fixture *f = *state;
	static char block[65536];
	time_t start = time(NULL);

	stream_set_timeout(f->s, 1);
	for (int i = 0; i < 256 && stream_error(f->s) == STREAM_OK; i++)
		stream_write(f->s, block, sizeof(block));
	assert_int_equal(stream_flush(f->s), -1);
	assert_int_equal(stream_error(f->s), STREAM_TIMEOUT);
	assert_true(time(NULL) - start <= 5);
}

/* test_directions - a failed write does not stop reads */
static void
test_directions(void **state)
{
	struct fixture *f = *state;
	char buf[64];
	int too_long;

	stream_set_timeout(f->s, 5);
	signal(SIGPIPE, SIG_IGN);
	peer_write(f->peer, S("hi\r\n"));
	/* The peer reads no more: our writes fail with EPIPE. */
	assert_int_equal(shutdown(f->peer, SHUT_RD), 0);
	stream_puts(f->s, "250 Ok\r\n");
	assert_int_equal(stream_flush(f->s), -1);
	assert_int_equal(stream_error(f->s), STREAM_IO);
	assert_int_equal(stream_get_line(f->s, buf, sizeof(buf), &too_long), 2);
	assert_string_equal(buf, "hi");
	/* Output stays failed. */
	stream_puts(f->s, "250 Ok\r\n");
	assert_int_equal(stream_flush(f->s), -1);
}

/* test_peek_consume - buffered input without consuming it */
static void
test_peek_consume(void **state)
{
	struct fixture *f = *state;
	const char *data = NULL;
	char buf[64];
	int too_long;
	ssize_t n;

	stream_set_timeout(f->s, 5);
	assert_int_equal(stream_pending(f->s), 0);
	peer_write(f->peer, S("hello world"));
	n = stream_peek(f->s, &data);
	assert_int_equal(n, 11);
	assert_memory_equal(data, "hello world", 11);
	assert_int_equal(stream_pending(f->s), 11);
	/* Peeking again reads nothing new and returns the same bytes. */
	n = stream_peek(f->s, &data);
	assert_int_equal(n, 11);
	stream_consume(f->s, 6);
	assert_int_equal(stream_pending(f->s), 5);
	n = stream_peek(f->s, &data);
	assert_int_equal(n, 5);
	assert_memory_equal(data, "world", 5);
	stream_consume(f->s, 2);
	peer_write(f->peer, S("\r\nnext\r\n"));
	/* The rest of the buffer, then the socket, make up the line. */
	assert_int_equal(stream_get_line(f->s, buf, sizeof(buf), &too_long), 3);
	assert_string_equal(buf, "rld");
	assert_int_equal(stream_get_line(f->s, buf, sizeof(buf), &too_long), 4);
	assert_string_equal(buf, "next");
	assert_int_equal(stream_pending(f->s), 0);
	assert_int_equal(stream_error(f->s), STREAM_OK);
}

/* test_interrupt - a set flag ends a wait, and is not sticky */
static void
test_interrupt(void **state)
{
	struct fixture *f = *state;
	volatile int flag = 1;
	char buf[64];
	int too_long;

	stream_set_timeout(f->s, 5);
	stream_set_interrupt(f->s, &flag);
	assert_int_equal(stream_get_line(f->s, buf, sizeof(buf), &too_long),
			 -1);
	assert_int_equal(stream_error(f->s), STREAM_INTERRUPTED);
	flag = 0;
	stream_clear_interrupt(f->s);
	assert_int_equal(stream_error(f->s), STREAM_OK);
	peer_write(f->peer, S("ok\r\n"));
	assert_int_equal(stream_get_line(f->s, buf, sizeof(buf), &too_long), 2);
	assert_string_equal(buf, "ok");
	stream_set_interrupt(f->s, NULL);
}

/* The bulk pattern: byte i of the transfer. */
static unsigned char
pattern(size_t i)
{
	return (unsigned char)((i * 31 + 7) % 251);
}

struct reader {
	int fd;
	size_t got;
	size_t bad; /* first mismatch + 1, or 0 */
};

/* reader_main - read the peer end until EOF, checking the pattern */
static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	unsigned char buf[8192];
	ssize_t n;

	for (;;) {
		n = read(r->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t k = 0; k < n; k++)
			if (buf[k] != pattern(r->got + (size_t)k) && !r->bad)
				r->bad = r->got + (size_t)k + 1;
		r->got += (size_t)n;
	}
	return NULL;
}

/* test_write_bulk - 1 MB through stream_write/flush arrives intact */
static void
test_write_bulk(void **state)
{
	struct fixture *f = *state;
	static const size_t sizes[] = {1, 7, 4096, 65535, 65536, 70000, 300};
	struct reader r = {.fd = f->peer};
	unsigned char *data = malloc(BULK);
	pthread_t tid;
	size_t off = 0, k = 0;

	assert_non_null(data);
	for (size_t i = 0; i < BULK; i++)
		data[i] = pattern(i);
	stream_set_timeout(f->s, 10);
	assert_int_equal(pthread_create(&tid, NULL, reader_main, &r), 0);
	while (off < BULK) {
		size_t n = sizes[k++ % N_ELEMS(sizes)];

		if (n > BULK - off)
			n = BULK - off;
		stream_write(f->s, data + off, n);
		off += n;
	}
	assert_int_equal(stream_flush(f->s), 0);
	assert_int_equal(stream_error(f->s), STREAM_OK);
	/* Closing our end is the reader's EOF. */
	stream_close(&f->s);
	assert_int_equal(pthread_join(tid, NULL), 0);
	assert_int_equal(r.got, BULK);
	assert_int_equal(r.bad, 0);
	free(data);
}

struct writer {
	int fd;
	int ok;
};

/* writer_main - write the pattern from the peer end, then close */
static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	unsigned char buf[5000];
	size_t off = 0;

	while (off < BULK) {
		size_t n = BULK - off < sizeof(buf) ? BULK - off : sizeof(buf);
		ssize_t put;

		for (size_t k = 0; k < n; k++)
			buf[k] = pattern(off + k);
		put = write(w->fd, buf, n);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return NULL;
		off += (size_t)put;
	}
	w->ok = 1;
	shutdown(w->fd, SHUT_WR);
	return NULL;
}

/* test_read_bulk - 1 MB read with stream_peek/consume arrives intact */
static void
test_read_bulk(void **state)
{
	struct fixture *f = *state;
	struct writer w = {.fd = f->peer};
	pthread_t tid;
	size_t got = 0, bad = 0;
	const char *data;
	ssize_t n;

	stream_set_timeout(f->s, 10);
	assert_int_equal(pthread_create(&tid, NULL, writer_main, &w), 0);
	while ((n = stream_peek(f->s, &data)) > 0) {
		/* Consume in odd steps, to move rpos around. */
		size_t take = (size_t)n > 777 ? 777 : (size_t)n;

		for (size_t k = 0; k < take; k++)
			if ((unsigned char)data[k] != pattern(got + k) && !bad)
				bad = got + k + 1;
		stream_consume(f->s, take);
		got += take;
	}
	assert_int_equal(pthread_join(tid, NULL), 0);
	assert_int_equal(w.ok, 1);
	assert_int_equal(got, BULK);
	assert_int_equal(bad, 0);
	assert_int_equal(stream_error(f->s), STREAM_EOF);
}

/* test_printf - formatted output arrives as written */
static void
test_printf(void **state)
{
	struct fixture *f = *state;
	char buf[64];
	ssize_t n;

	stream_set_timeout(f->s, 5);
	stream_printf(f->s, "%d %s %s\r\n", 250, "2.0.0", "Ok");
	stream_puts(f->s, "QUIT\r\n");
	/* Nothing is sent before the flush. */
	assert_int_equal(recv(f->peer, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(stream_flush(f->s), 0);
	n = recv(f->peer, buf, sizeof(buf), 0);
	assert_int_equal(n, sizeof("250 2.0.0 Ok\r\nQUIT\r\n") - 1);
	assert_memory_equal(buf, "250 2.0.0 Ok\r\nQUIT\r\n", (size_t)n);
	assert_int_equal(stream_fd(f->s) >= 0, 1);
}

struct collector {
	int fd;
	char *data; /* every byte read until EOF */
	size_t len;
};

/* collector_main - read the peer end until EOF, keeping every byte */
static void *
collector_main(void *arg)
{
	struct collector *c = arg;
	char buf[8192];
	ssize_t n;

	for (;;) {
		n = read(c->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		c->data = realloc(c->data, c->len + (size_t)n);
		if (c->data == NULL)
			break;
		memcpy(c->data + c->len, buf, (size_t)n);
		c->len += (size_t)n;
	}
	return NULL;
}

/*
 * Long formatted output: text that message content can make as long as it
 * likes (X-Spam-Status with hundreds of rule names) is written whole,
 * whatever the stream's buffer size, after and before buffered output.
 */
static const struct {
	const char *name;
	size_t len;	/* length of the %s argument */
	size_t bufsize; /* stream buffer; 0: default */
} printf_cases[] = {
	{"short", 10, 0},
	{"just under 4 KiB", 4093, 0},
	{"4 KiB", 4096, 0},
	{"over 4 KiB", 5000, 0},
	{"over 64 KiB", 70000, 0},
	{"1 MiB", 1024 * 1024, 0},
	{"over a small buffer", 5000, 16},
	{"over 64 KiB, small buffer", 70000, 16},
};

/* test_printf_long - stream_printf has no length limit */
static void
test_printf_long(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(printf_cases); i++) {
		size_t len = printf_cases[i].len, want_len;
		struct collector c = {0};
		struct fixture f;
		char *arg = malloc(len + 1), *want;
		pthread_t tid;

		assert_non_null(arg);
		for (size_t k = 0; k < len; k++)
			arg[k] = (char)('a' + k % 26);
		arg[len] = 0;
		if (pair_open(&f, printf_cases[i].bufsize) < 0)
			fail_msg("socketpair: %s", strerror(errno));
		stream_set_timeout(f.s, 10);
		c.fd = f.peer;
		assert_int_equal(pthread_create(&tid, NULL, collector_main, &c),
				 0);
		stream_puts(f.s, "before ");
		stream_printf(f.s, "X-Long: %s|%zu\r\n", arg, len);
		stream_puts(f.s, "after\r\n");
		assert_int_equal(stream_flush(f.s), 0);
		stream_close(&f.s);
		assert_int_equal(pthread_join(tid, NULL), 0);
		close(f.peer);
		want_len = strlen("before X-Long: ") + len + 32 +
			   strlen("after");
		want = malloc(want_len);
		assert_non_null(want);
		want_len = (size_t)snprintf(
			want, want_len, "before X-Long: %s|%zu\r\nafter\r\n",
			arg, len);
		if (c.len != want_len || memcmp(c.data, want, want_len) != 0)
			fail_msg("%s: got %zu bytes, want %zu",
				 printf_cases[i].name, c.len, want_len);
		free(want);
		free(c.data);
		free(arg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_line),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_line_timeout,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_directions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_peek_consume, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_interrupt, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_bulk, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_bulk, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_printf, setup, teardown),
		cmocka_unit_test(test_printf_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
