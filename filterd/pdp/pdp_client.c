/*++
/* NAME
/*	pdp_client 3
/* SUMMARY
/*	AM.PDP release requests from amavisd-release style arguments
/* DESCRIPTION
/*	See pdp_client.h.
/*--*/

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "pdp/pdp_client.h"
#include "pdp/pdp_proto.h"
#include "quarantine/quar_read.h"

/* The kinds a local quarantine file is named after (quar.c, amavis). */
static const char *const pdp_client_kinds[] = {
	"virus", "banned",  "spam",   "unchecked", "badh",
	"clean", "archive", "spammy", "oversized"};

#define PDP_CLIENT_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * pdp_client_mail_id_ok - amavis' mail_id pattern, bounded; a first '-'
 * or '_' is allowed too: filterd's base64url ids may start with one
 */
static int
pdp_client_mail_id_ok(const char *s, size_t len)
{
	size_t i = 0, eq = 0;

	if (len == 0 || len >= PDP_CLIENT_ID_MAX || s[0] == '=')
		return 0;
	for (i = 0; i < len && s[i] != '='; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_+-", s[i]))
			return 0;
	for (; i < len; i++, eq++)
		if (s[i] != '=')
			return 0;
	return eq <= 2;
}

/* pdp_client_pt_ok - a partition tag: letters, digits, '_', '-' */
static int
pdp_client_pt_ok(const char *s, size_t len)
{
	if (len == 0 || len >= PDP_CLIENT_ID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

/* pdp_client_kind_prefix - length of a "kind-" prefix of name, or 0 */
size_t
pdp_client_kind_prefix(const char *name)
{
	for (size_t i = 0; i < PDP_CLIENT_NELEM(pdp_client_kinds); i++) {
		size_t n = strlen(pdp_client_kinds[i]);

		if (strncmp(name, pdp_client_kinds[i], n) == 0 &&
		    name[n] == '-')
			return n + 1;
	}
	return 0;
}

/* pdp_client_parse_id - a quarantine id into r, see pdp_client.h */
int
pdp_client_parse_id(const char *arg, struct pdp_client_req *r, char *err,
		    size_t errsize)
{
	const char *open = strchr(arg, '['), *base, *slash;
	size_t len = strlen(arg), prefix, idlen;

	r->mail_id[0] = r->pt[0] = r->mail_file[0] = 0;
	r->quar_type = 0;
	if (open && len > 0 && arg[len - 1] == ']') {
		/* mail_id[pt]: SQL, or whatever the server finds. */
		idlen = (size_t)(open - arg);
		if (!pdp_client_mail_id_ok(arg, idlen) ||
		    !pdp_client_pt_ok(open + 1, len - idlen - 2))
			goto bad;
		memcpy(r->mail_id, arg, idlen);
		r->mail_id[idlen] = 0;
		memcpy(r->pt, open + 1, len - idlen - 2);
		r->pt[len - idlen - 2] = 0;
		return 0;
	}
	slash = strrchr(arg, '/');
	base = slash ? slash + 1 : arg;
	prefix = pdp_client_kind_prefix(base);
	idlen = strlen(base + prefix);
	if (idlen > 3 && strcmp(base + prefix + idlen - 3, ".gz") == 0) {
		r->quar_type = 'Z';
		idlen -= 3;
	} else if (slash || prefix) {
		r->quar_type = 'F';
	}
	if (!pdp_client_mail_id_ok(base + prefix, idlen))
		goto bad;
	memcpy(r->mail_id, base + prefix, idlen);
	r->mail_id[idlen] = 0;
	if (r->quar_type) {
		if (!quar_read_path_ok(arg))
			goto bad;
		snprintf(r->mail_file, sizeof(r->mail_file), "%s", arg);
	}
	return 0;
bad:
	snprintf(err, errsize,
		 "bad quarantine id (want MAIL_ID, MAIL_ID[PT] or a "
		 "quarantine file such as V/virus-MAIL_ID.gz)");
	return -1;
}

/* pdp_client_addr_ok - an address argument: printable, no white space */
int
pdp_client_addr_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 512)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return 0;
	return 1;
}

/* pdp_client_angle - "<addr>" into b, adding the brackets when missing */
static void
pdp_client_angle(struct buf *b, const char *addr)
{
	size_t len = strlen(addr);

	buf_reset(b);
	if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>')
		buf_puts(b, addr);
	else
		buf_printf(b, "<%s>", addr);
}

/* pdp_client_build - fill r from the fields of one request */
int
pdp_client_build(char *const *argv, size_t argc, struct pdp_client_req *r,
		 char *err, size_t errsize)
{
	size_t first = 1;

	if (argc == 0) {
		snprintf(err, errsize, "no quarantine id");
		return -1;
	}
	if (pdp_client_parse_id(argv[0], r, err, errsize) < 0)
		return -1;
	r->secret = "";
	if (argc > 1 && strchr(argv[1], '@') == NULL) {
		r->secret = argv[1];
		first = 2;
		for (const char *p = r->secret; *p; p++)
			if (!isalnum((unsigned char)*p) &&
			    !strchr("_+-=/", *p)) {
				snprintf(err, errsize, "bad secret_id");
				return -1;
			}
		if (strlen(r->secret) >= PDP_CLIENT_ID_MAX) {
			snprintf(err, errsize, "bad secret_id");
			return -1;
		}
	}
	r->rcpts = argv + first;
	r->nrcpt = argc > first ? argc - first : 0;
	for (size_t i = 0; i < r->nrcpt; i++)
		if (!pdp_client_addr_ok(r->rcpts[i])) {
			snprintf(err, errsize, "bad recipient address");
			return -1;
		}
	return 0;
}

/* pdp_client_request - the request for r, see pdp_client.h */
void
pdp_client_request(struct buf *out, const char *request,
		   const char *requested_by, const struct pdp_client_req *r)
{
	char qt[2] = {r->quar_type, 0};
	struct buf tmp;

	buf_init(&tmp, 256);
	pdp_write_attr(out, "request", request);
	pdp_write_attr(out, "mail_id", r->mail_id);
	if (r->secret[0])
		pdp_write_attr(out, "secret_id", r->secret);
	if (r->pt[0])
		pdp_write_attr(out, "partition_tag", r->pt);
	if (r->quar_type) {
		pdp_write_attr(out, "quar_type", qt);
		pdp_write_attr(out, "mail_file", r->mail_file);
	}
	pdp_client_angle(&tmp, requested_by);
	pdp_write_attr(out, "requested_by", tmp.data);
	for (size_t i = 0; i < r->nrcpt; i++) {
		pdp_client_angle(&tmp, r->rcpts[i]);
		pdp_write_attr(out, "recipient", tmp.data);
	}
	buf_puts(out, "\r\n");
	buf_release(&tmp);
}
