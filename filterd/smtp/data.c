/*++
/* NAME
/*	data 3
/* SUMMARY
/*	the SMTP DATA state machine
/* DESCRIPTION
/*	States:
/*	BOL	at the beginning of a line
/*	TEXT	inside a line
/*	CR	inside a line, a CR seen and not yet emitted
/*	DOT	a line began with a dot, not emitted yet
/*	DOTCR	the line so far is "." CR
/*
/*	A leading dot is dropped only when other characters follow it on
/*	the line (RFC 5321 4.5.2). A line that is just "." either ends the
/*	data (after CR LF, ended by CR LF) or is content and keeps its dot:
/*	"." after a bare LF, or "." ended by a bare LF.
/*
/*	Runs of plain text are emitted as one span, straight from the input.
/*--*/

#include "data.h"

enum { DATA_BOL, DATA_TEXT, DATA_CR, DATA_DOT, DATA_DOTCR };

/* data_decoder_init - at the start of the message */
void
data_decoder_init(struct data_decoder *d)
{
	d->state = DATA_BOL;
	d->crlf = 1;
}

/* data_decode - see data.h */
size_t
data_decode(struct data_decoder *d, const char *in, size_t len,
	    data_emit_fn emit, void *ctx, int *done)
{
	size_t i = 0;

	*done = 0;
	while (i < len) {
		char c = in[i];

		switch (d->state) {
		case DATA_BOL:
			if (c == '.') {
				d->state = DATA_DOT;
				i++;
				continue;
			}
			d->state = DATA_TEXT;
			/* FALLTHROUGH */
		case DATA_TEXT:
			if (c != '\r' && c != '\n') {
				/* Emit the whole run of text at once. */
				size_t start = i;

				while (i < len && in[i] != '\r' &&
				       in[i] != '\n')
					i++;
				emit(ctx, in + start, i - start);
				continue;
			}
			if (c == '\r') {
				d->state = DATA_CR;
			} else {
				emit(ctx, "\r\n", 2);
				d->crlf = 0;
				d->state = DATA_BOL;
			}
			i++;
			continue;
		case DATA_CR:
			if (c == '\n') {
				emit(ctx, "\r\n", 2);
				d->crlf = 1;
				d->state = DATA_BOL;
				i++;
			} else {
				/* A bare CR is content. */
				emit(ctx, "\r", 1);
				d->state = DATA_TEXT;
				if (c == '\r') {
					d->state = DATA_CR;
					i++;
				}
			}
			continue;
		case DATA_DOT:
			if (c == '\r') {
				d->state = DATA_DOTCR;
				i++;
			} else if (c == '\n') {
				/* "." LF: a line of its own, never the end. */
				emit(ctx, ".\r\n", 3);
				d->crlf = 0;
				d->state = DATA_BOL;
				i++;
			} else {
				/* Text follows: the dot was stuffing. */
				d->state = DATA_TEXT;
			}
			continue;
		case DATA_DOTCR:
			if (c == '\n' && d->crlf) {
				*done = 1;
				d->state = DATA_BOL;
				return i + 1;
			}
			if (c == '\n') {
				/* "." CR LF after a bare LF: content. */
				emit(ctx, ".\r\n", 3);
				d->crlf = 1;
				d->state = DATA_BOL;
				i++;
				continue;
			}
			/* "." CR x: the dot was stuffing, the CR is content. */
			d->state = DATA_CR;
			continue;
		}
	}
	return i;
}
