/*++
/* NAME
/*	mailid 3
/* SUMMARY
/*	amavis-compatible mail_id and secret_id
/*--*/

#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "mailid.h"

static const char mailid_b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* mailid_encode - base64url of len bytes (a multiple of 3), NUL-ended */
static void
mailid_encode(const unsigned char *in, size_t len, char *out)
{
	for (size_t i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 |
			     in[i + 2];

		*out++ = mailid_b64url[v >> 18 & 63];
		*out++ = mailid_b64url[v >> 12 & 63];
		*out++ = mailid_b64url[v >> 6 & 63];
		*out++ = mailid_b64url[v & 63];
	}
	*out = 0;
}

/* mailid_decode - base64url of 12 characters into 9 bytes; 0 or -1 */
static int
mailid_decode(const char *in, unsigned char out[9])
{
	if (strlen(in) != 12)
		return -1;
	for (size_t i = 0; i < 12; i += 4) {
		unsigned v = 0;

		for (size_t k = 0; k < 4; k++) {
			const char *p = strchr(mailid_b64url, in[i + k]);

			if (p == NULL || in[i + k] == 0)
				return -1;
			v = v << 6 | (unsigned)(p - mailid_b64url);
		}
		out[i / 4 * 3] = (unsigned char)(v >> 16);
		out[i / 4 * 3 + 1] = (unsigned char)(v >> 8);
		out[i / 4 * 3 + 2] = (unsigned char)v;
	}
	return 0;
}

/* mailid_from_secret - mail_id from the 9 secret bytes */
static void
mailid_from_secret(const unsigned char secret[9], char mail_id[13])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char enc[32];

	EVP_Digest(secret, 9, md, &mdlen, EVP_md5(), NULL);
	mailid_encode(md, 15, enc); /* 15 of md5's 16 bytes: 20 chars */
	memcpy(mail_id, enc, 12);
	mail_id[12] = 0;
}

/* mailid_generate - a fresh mail_id and its secret_id */
int
mailid_generate(char mail_id[13], char secret_id[13])
{
	unsigned char secret[9];

	if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret))
		return -1;
	mailid_encode(secret, sizeof(secret), secret_id);
	mailid_from_secret(secret, mail_id);
	return 0;
}

/* mailid_check - does secret_id belong to mail_id? */
int
mailid_check(const char *mail_id, const char *secret_id)
{
	unsigned char secret[9];
	char want[13];

	if (mailid_decode(secret_id, secret) < 0)
		return 0;
	mailid_from_secret(secret, want);
	return strcmp(want, mail_id) == 0;
}

/* mailid_valid - has id the form of a mail_id? */
int
mailid_valid(const char *id)
{
	unsigned char bytes[9];

	return mailid_decode(id, bytes) == 0;
}
