/*++
/* NAME
/*	pdp_proto 3
/* SUMMARY
/*	AM.PDP attribute encoding and decoding (amavisd-new compatible)
/* SYNOPSIS
/*	#include "pdp/pdp_proto.h"
/* DESCRIPTION
/*	See pdp_proto.h. The encodings follow amavisd-new 2.13
/*	(Amavis/In/AMPDP.pm and amavisd-release): a name keeps
/*	[0-9A-Za-z_-], a value keeps \041-\044 and \046-\176; decoding
/*	turns each %XX (two hex digits) into its byte.
/*--*/

#include <stdio.h>
#include <string.h>

#include "pdp/pdp_proto.h"
#include "util/hex.h"

static const char pdp_hex[] = "0123456789ABCDEF";

/* pdp_name_plain - whether a name byte is written as itself */

static int
pdp_name_plain(unsigned char c)
{
	return ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		(c >= 'a' && c <= 'z') || c == '_' || c == '-');
}

/* pdp_value_plain - whether a value byte is written as itself */

static int
pdp_value_plain(unsigned char c)
{
	return ((c >= 041 && c <= 044) || (c >= 046 && c <= 0176));
}

/* pdp_encode - append s, with the bytes plain() refuses as %XX */

static void
pdp_encode(struct buf *out, const char *s, int (*plain)(unsigned char))
{
	const unsigned char *p;
	char esc[3];

	for (p = (const unsigned char *)s; *p; p++) {
		if (plain(*p)) {
			buf_append(out, p, 1);
		} else {
			esc[0] = '%';
			esc[1] = pdp_hex[*p >> 4];
			esc[2] = pdp_hex[*p & 0xf];
			buf_append(out, esc, 3);
		}
	}
}

/* pdp_encode_value - append a value with the value encoding */

void
pdp_encode_value(struct buf *out, const char *value)
{
	pdp_encode(out, value, pdp_value_plain);
}

/* pdp_write_attr - append one encoded "name=value\r\n" line */

void
pdp_write_attr(struct buf *out, const char *name, const char *value)
{
	pdp_encode(out, name, pdp_name_plain);
	buf_append(out, "=", 1);
	pdp_encode(out, value, pdp_value_plain);
	buf_append(out, "\r\n", 2);
}

/* pdp_write_setreply - "setreply=CODE XCODE TEXT", each field encoded */
void
pdp_write_setreply(struct buf *out, const char *code, const char *xcode,
		   const char *text)
{
	buf_puts(out, "setreply=");
	pdp_encode_value(out, code);
	buf_puts(out, " ");
	pdp_encode_value(out, xcode);
	buf_puts(out, " ");
	pdp_encode_value(out, text);
	buf_puts(out, "\r\n");
}

/* pdp_decode - decode %XX in place; -1 on a bad escape or a NUL */

static int
pdp_decode(char *s, const char *what, char *err, size_t errsize)
{
	char *in;
	char *out;
	int hi;
	int lo;

	for (in = out = s; *in; in++) {
		if (*in != '%') {
			*out++ = *in;
			continue;
		}
		if ((hi = hex_value(in[1])) < 0 ||
		    (lo = hex_value(in[2])) < 0) {
			snprintf(err, errsize, "bad %%XX escape in %s", what);
			return (-1);
		}
		if (hi == 0 && lo == 0) {
			snprintf(err, errsize, "%%00 (NUL) in %s", what);
			return (-1);
		}
		*out++ = (char)(hi << 4 | lo);
		in += 2;
	}
	*out = 0;
	return (0);
}

/* pdp_parse_line - split one line into a decoded name and value */

int
pdp_parse_line(char *line, char **name, char **value, char *err, size_t errsize)
{
	char *eq;
	char *colon;
	char *val;

	eq = strchr(line, '=');
	colon = strstr(line, ": ");
	if (colon != 0 && (eq == 0 || colon < eq)) {
		*colon = 0;
		val = colon + 2;
	} else if (eq != 0) {
		*eq = 0;
		val = eq + 1;
	} else {
		snprintf(err, errsize, "line has no '=' (name=value expected)");
		return (-1);
	}
	if (*line == 0) {
		snprintf(err, errsize, "empty attribute name");
		return (-1);
	}
	if (pdp_decode(line, "attribute name", err, errsize) < 0 ||
	    pdp_decode(val, "attribute value", err, errsize) < 0)
		return (-1);
	*name = line;
	*value = val;
	return (0);
}

/* pdp_reply_class - 2, 4 or 5 for a three-digit reply code, else 0 */

int
pdp_reply_class(const char *code)
{
	if (code == 0 || strlen(code) != 3 || code[0] < '2' || code[0] > '5' ||
	    code[1] < '0' || code[1] > '9' || code[2] < '0' || code[2] > '9')
		return (0);
	return (code[0] - '0');
}

/* pdp_split_reply - split "CODE X.Y.Z text" at its first two spaces */

int
pdp_split_reply(char *value, char **code, char **xcode, char **text)
{
	char *sp;

	/* A missing field points at value's own NUL: "" without a static. */
	*code = value;
	*xcode = *text = value + strlen(value);
	if ((sp = strchr(value, ' ')) != 0) {
		*sp = 0;
		*xcode = sp + 1;
		if ((sp = strchr(*xcode, ' ')) != 0) {
			*sp = 0;
			*text = sp + 1;
		}
	}
	return (pdp_reply_class(*code) ? 0 : -1);
}
