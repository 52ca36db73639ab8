/*++
/* NAME
/*	safe 3
/* SUMMARY
/*	untrusted text made safe for one reply line or one log line
/* DESCRIPTION
/*	See safe.h. The input is taken piece by piece: a printable byte, a
/*	whole well-formed UTF-8 sequence (log only), or one unsafe byte and
/*	its escape. A piece goes to out whole or not at all, so a cut never
/*	splits an escape or a sequence.
/*--*/

#include <string.h>

#include "safe.h"

#define SAFE_PIECE_MAX 4 /* "\xNN", or a UTF-8 sequence */

/* How each writer treats bytes. */
enum safe_mode {
	SAFE_MODE_REPLY, /* printable ASCII */
	SAFE_MODE_LOG,	 /* and UTF-8 that shows as it is */
	SAFE_MODE_NAME,	 /* every byte of ASCII and UTF-8 but NUL */
};

/*
 * safe_utf8_len - length of the well-formed UTF-8 sequence at p, or 0;
 * shown: 0 also for what shows otherwise than it reads (log)
 */
static size_t
safe_utf8_len(const unsigned char *p, size_t avail, int shown)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	/* RFC 3629 section 4: the second byte's range depends on the first. */
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0; /* overlong */
		else if (p[0] == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90; /* overlong */
		else if (p[0] == 0xf4)
			hi = 0x8f; /* past U+10FFFF */
	} else {
		return 0; /* continuation byte, C0/C1 overlong, F5-FF */
	}
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	if (!shown)
		return n;
	/* C1 controls (U+0080-U+009F) are escaped like other controls. */
	if (p[0] == 0xc2 && p[1] < 0xa0)
		return 0;
	/*
	 * So are the characters that break a line or reorder what follows
	 * them on screen (a name "\u202Eexe.txt" shows as "txt.exe"): LRM,
	 * RLM, U+2028, U+2029, the embeddings and overrides U+202A-U+202E,
	 * the isolates U+2066-U+2069, and the Arabic letter mark U+061C.
	 */
	if (n == 3 && p[0] == 0xe2 &&
	    ((p[1] == 0x80 && (p[2] == 0x8e || p[2] == 0x8f ||
			       (p[2] >= 0xa8 && p[2] <= 0xae))) ||
	     (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)))
		return 0;
	if (n == 2 && p[0] == 0xd8 && p[1] == 0x9c)
		return 0;
	return n;
}

/* safe_piece - the next piece of in as output; returns bytes of in used */
static size_t
safe_piece(const unsigned char *in, size_t avail, enum safe_mode mode,
	   char *piece, size_t *plen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = in[0];
	size_t n;

	if ((c >= 0x20 && c < 0x7f) ||
	    (mode == SAFE_MODE_NAME && c > 0 && c < 0x80)) {
		piece[0] = (char)c;
		*plen = 1;
		return 1;
	}
	if (mode != SAFE_MODE_REPLY && c >= 0x80 &&
	    (n = safe_utf8_len(in, avail, mode == SAFE_MODE_LOG)) > 0) {
		memcpy(piece, in, n);
		*plen = n;
		return n;
	}
	piece[0] = '\\';
	*plen = 2;
	switch (c) {
	case '\r':
		piece[1] = 'r';
		break;
	case '\n':
		piece[1] = 'n';
		break;
	case '\t':
		piece[1] = 't';
		break;
	default:
		piece[1] = 'x';
		piece[2] = hex[c >> 4];
		piece[3] = hex[c & 0xf];
		*plen = 4;
		break;
	}
	return 1;
}

/* safe_text - escape in[0..len) into out; bytes of in represented */
static size_t
safe_text(char *out, size_t size, const char *in, size_t len,
	  enum safe_mode mode)
{
	const unsigned char *u = (const unsigned char *)in;
	size_t mark = sizeof(SAFE_TRUNCATED) - 1;
	size_t o = 0, i = 0, cut_o = 0, cut_i = 0;

	if (size == 0)
		return 0;
	while (i < len) {
		char piece[SAFE_PIECE_MAX];
		size_t plen,
			used = safe_piece(u + i, len - i, mode, piece, &plen);

		/* The last place where the cut mark would still fit. */
		if (o + mark <= size - 1) {
			cut_o = o;
			cut_i = i;
		}
		if (o + plen > size - 1) {
			if (mark <= size - 1) {
				memcpy(out + cut_o, SAFE_TRUNCATED, mark);
				o = cut_o + mark;
				i = cut_i;
			}
			out[o] = 0;
			return i;
		}
		memcpy(out + o, piece, plen);
		o += plen;
		i += used;
	}
	out[o] = 0;
	return i;
}

/* safe_reply_text - printable ASCII only, see safe.h */
size_t
safe_reply_text(char *out, size_t size, const char *in, size_t len)
{
	return safe_text(out, size, in, len, SAFE_MODE_REPLY);
}

/* safe_log_text - printable ASCII and well-formed UTF-8, see safe.h */
size_t
safe_log_text(char *out, size_t size, const char *in, size_t len)
{
	return safe_text(out, size, in, len, SAFE_MODE_LOG);
}

/* safe_name_text - a name in any charset as UTF-8 to match, see safe.h */
size_t
safe_name_text(char *out, size_t size, const char *in, size_t len)
{
	return safe_text(out, size, in, len, SAFE_MODE_NAME);
}

/* safe_utf8_char - one well-formed UTF-8 character, see safe.h */
size_t
safe_utf8_char(const char *p, size_t avail, unsigned long *cp)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t n = avail && u[0] >= 0x80 ? safe_utf8_len(u, avail, 0) : 0;

	if (n == 0)
		return 0;
	*cp = u[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++)
		*cp = *cp << 6 | (u[i] & 0x3f);
	return n;
}
