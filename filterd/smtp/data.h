#ifndef FILTERD_DATA_H
#define FILTERD_DATA_H

/*++
/* NAME
/*	data 3h
/* SUMMARY
/*	the SMTP DATA state machine: end-of-data, unstuffing, line endings
/* SYNOPSIS
/*	#include "smtp/data.h"
/* DESCRIPTION
/*	A struct data_decoder turns the bytes a client sends after DATA
/*	into message content, chunk by chunk, wherever the chunks split:
/*
/*	- The content ends at CR LF "." CR LF (RFC 5321 4.1.1.4). Only
/*	  that exact sequence ends it: "\n.\n" and other bare-LF variants
/*	  do not (no SMTP smuggling through this hop).
/*	- A leading dot is removed from every other line that has more
/*	  after it (4.5.2). A line that is just "." but does not end the
/*	  content (after a bare LF, or ended by one) is content: "." stays.
/*	- Every line is emitted with CR LF; a bare LF becomes CR LF. A
/*	  bare CR, NUL and 8-bit bytes are content and pass unchanged, as
/*	  do lines of any length.
/*
/*	data_decoder_init() starts at the beginning of a line, just after
/*	the DATA command. data_decode() consumes bytes from in[0..len) and
/*	calls emit(ctx, bytes, n) for the content; it returns the number of
/*	bytes consumed. When the end-of-data sequence has been consumed it
/*	sets *done and stops there: bytes after it (pipelined commands)
/*	are not consumed.
/*--*/

#include <stddef.h>

struct data_decoder {
	int state;
	int crlf; /* the last line ended with CR LF */
};

typedef void (*data_emit_fn)(void *ctx, const char *bytes, size_t n);

void data_decoder_init(struct data_decoder *d);
size_t data_decode(struct data_decoder *d, const char *in, size_t len,
		   data_emit_fn emit, void *ctx, int *done);

#endif
