#ifndef FILTERD_MAILID_H
#define FILTERD_MAILID_H

/*++
/* NAME
/*	mailid 3h
/* SUMMARY
/*	amavis-compatible mail_id and secret_id
/* DESCRIPTION
/*	mailid_generate() draws 9 random bytes (the secret): secret_id is
/*	their base64url form (12 characters) and mail_id the first 12
/*	base64url characters of md5(secret), as amavisd-new 2.7+ does, so
/*	that amavisd-release's secret_id check works against our ids.
/*	mailid_check() tells whether secret_id belongs to mail_id.
/*	mailid_valid() tells whether a string has the form of a mail_id
/*	(12 base64url characters), before it is used in a file name.
/*	Both buffers hold 13 bytes (12 characters and a NUL).
/* DIAGNOSTICS
/*	mailid_generate() returns -1 when no randomness is available.
/*--*/

int mailid_generate(char mail_id[13], char secret_id[13]);
int mailid_check(const char *mail_id, const char *secret_id);
int mailid_valid(const char *id);

#endif
