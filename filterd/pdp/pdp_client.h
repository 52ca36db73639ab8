#ifndef FILTERD_PDP_CLIENT_H
#define FILTERD_PDP_CLIENT_H

/*++
/* NAME
/*	pdp_client 3h
/* SUMMARY
/*	AM.PDP release requests from amavisd-release style arguments
/* SYNOPSIS
/*	#include "pdp/pdp_client.h"
/* DESCRIPTION
/*	The client half of quarantine release (filterd-release): what
/*	amavisd-release's arguments mean, and the request they make.
/*
/*	pdp_client_build() fills r from the fields of one request,
/*	"quarantine_id [secret_id [recipient...]]" (argv[0..argc)): a
/*	second field with an '@' is a recipient and the secret is then
/*	empty. r borrows secret and rcpts from argv: they must outlive r.
/*	Recipients and the secret are checked (printable, no white space,
/*	bounded; the secret base64url or base64).
/*
/*	pdp_client_parse_id() reads a quarantine id into r: "ID[PT]"
/*	(partition_tag), "KIND-ID", "DIR/KIND-ID" or any path with a '/'
/*	(quar_type F and mail_file: the whole argument), the same ending
/*	in ".gz" (quar_type Z), or a bare ID (type left to the server).
/*	KIND is one of the local quarantine's file name prefixes (virus,
/*	banned, spam, unchecked, badh, clean, archive, spammy, oversized).
/*	An ID is amavis' mail_id, [A-Za-z0-9][A-Za-z0-9_+-]*={0,2}, except
/*	that it may also start with '-' or '_' (filterd's base64url ids
/*	do). A mail_file must be a path the server takes:
/*	quar_read_path_ok() (quarantine/quar_read.h).
/*
/*	pdp_client_request() appends the request for r to out, in
/*	amavisd-release's order, encoded (pdp_write_attr()), ended by the
/*	empty line: request, mail_id, secret_id and partition_tag when
/*	set, quar_type and mail_file for a file, requested_by and each
/*	recipient in angle brackets (added when missing).
/*
/*	pdp_client_kind_prefix() returns the length of a "KIND-" prefix of
/*	a file name, or 0; pdp_client_addr_ok() whether an address
/*	argument is printable without white space, 1 to 512 bytes.
/* DIAGNOSTICS
/*	pdp_client_build() and pdp_client_parse_id() return 0, or -1 with
/*	a reason in err (which quotes nothing of the input).
/* PROCESS
/*	filterd-release; pure functions but for out.
/*--*/

#include <stddef.h>

#include "util/buf.h"

#define PDP_CLIENT_ID_MAX 64	/* mail_id, partition tag, secret */
#define PDP_CLIENT_PATH_MAX 256 /* mail_file */

/* One release request, parsed from arguments. */
struct pdp_client_req {
	char mail_id[PDP_CLIENT_ID_MAX];
	char pt[PDP_CLIENT_ID_MAX];	     /* "": none */
	char quar_type;			     /* 0: left to the server */
	char mail_file[PDP_CLIENT_PATH_MAX]; /* with quar_type F or Z */
	const char *secret;		     /* "": none; borrowed */
	char *const *rcpts;		     /* borrowed */
	size_t nrcpt;
};

int pdp_client_build(char *const *argv, size_t argc, struct pdp_client_req *r,
		     char *err, size_t errsize);
int pdp_client_parse_id(const char *arg, struct pdp_client_req *r, char *err,
			size_t errsize);
void pdp_client_request(struct buf *out, const char *request,
			const char *requested_by,
			const struct pdp_client_req *r);
size_t pdp_client_kind_prefix(const char *name);
int pdp_client_addr_ok(const char *s);

#endif
