#ifndef FILTERD_SCAN_CLAMAV_H
#define FILTERD_SCAN_CLAMAV_H

/*++
/* NAME
/*	scan_clamav 3h
/* SUMMARY
/*	libclamav in process: one engine, compiled in the master
/* DESCRIPTION
/*	scan_clamav_load() initialises libclamav, loads the signature
/*	directory clamav.database, sets the scan limits and compiles the
/*	engine; the master does this before it forks, so every child shares
/*	the engine's memory copy-on-write. It returns NULL with the reason
/*	in errbuf. scan_clamav_free() releases an engine (the master, after
/*	a reload has built its successor).
/*
/*	scan_clamav_probe() tells, without libclamav (whose own complaints
/*	would add log lines), whether a signature directory can be read and
/*	holds detection signatures (a non-empty .cvd/.cld/.cud other than
/*	bytecode.*, or .hdb .hsb .hdu .hsu .mdb .msb .mdu .msu .ndb .ndu
/*	.ldb .ldu .cdb .idb .yar .yara; false-positive and ignore lists,
/*	.cfg, .ftm, .pdb, .wdb, .gdb, .cat, .crb, .info and bytecode
/*	alone detect nothing): 0, or -1 with the reason in errbuf ("No such file or directory", "Permission
/*	denied", "holds no ClamAV signatures").
/*
/*	scan_clamav_span() scans the bytes [off, off + len) of a descriptor
/*	(the spooled message, a MIME part stored as is in it, a decoded
/*	part) as a file of its own, read with pread(2), with every parser on
/*	(archives, documents, and mail when parse_mail is set), as clamscan
/*	would; an empty window is clean. Content over clamav.max_filesize is
/*	scanned as far as the limit goes (its first max_filesize bytes), as
/*	libclamav does with what it unpacks. It returns SCAN_INFECTED with
/*	the signature name in *virname (static engine memory), SCAN_CLEAN,
/*	SCAN_UNCHECKED when something was left unscanned (content over
/*	max_filesize, or a limit libclamav reports as
/*	Heuristics.Limits.Exceeded.*: scan size, recursion, files, scan
/*	time) with the reason in errbuf, or SCAN_ERROR when the engine
/*	failed (a libclamav error code: memory, temporary files, reading
/*	the descriptor) with errbuf set. errbuf holds our text and
/*	libclamav's, never the content's.
/*
/*	The phishing URL check of libclamav's mail parser is loaded only
/*	when the directory may hold a phishing list (.pdb, .wdb, .gdb, or a
/*	.cvd/.cld/.cud container): without one it checks links against
/*	nothing, but still normalises each HTML part a second time.
/*	scan_clamav_phishing() tells whether an engine has that check: 1 or
/*	0. Without it, an HTML part need not go through libclamav's mail
/*	parser (scan_run.c).
/*
/*	scan_clamav_load() warns when the limits do not agree with
/*	message_size_limit: clamav.max_filesize below it (a message or part
/*	the hop accepts would be scanned only in part) or
/*	clamav.max_scansize below twice it (the message and what it
/*	unpacks to, in one scan).
/*
/*	When skip is not NULL, scan_clamav_span() has libclamav leave out
/*	every file its mail parser takes out of the message (one level
/*	below it, in that parser's directory; not what libclamav unpacks
/*	from those or from the message's own bytes, whose signatures may
/*	need their container) whose bytes were noted in skip with
/*	scan_clamav_skip_add() (size and SHA-256 of bytes [off, off + len)
/*	of fd: 0, or -1 when they cannot be read or noted): the parts
/*	filterd scans as files of their own anyway, so that no part is
/*	scanned twice. Those bytes' scan is then filterd's alone: with a
/*	scan's full limits, and as a file at the top, as clamd scans
/*	amavisd-new's parts (a logical signature with Container:
/*	CL_TYPE_MAIL does not match it; one with Container: CL_TYPE_ANY
/*	does). skip->skipped counts the files left out, skip->hashed the
/*	files read to compare. libclamav caches a file left out as clean,
/*	so while its cache is on (clamav.disable_cache false) nothing is
/*	left out. scan_clamav_skip_free() frees what was noted; a zeroed
/*	struct scan_clamav_skip is empty.
/*
/*	scan_clamav_text_marked() tells whether text [off, off + len) of a
/*	descriptor has a line libclamav's mail parser would act on beyond
/*	the MIME structure: content encoded inside the text (uuencode,
/*	BinHex, yEnc) or a message quoted in it (header lines, or an mbox
/*	"From " line as libclamav's mail parser tells one: "From " or
/*	">From " then at least 6 spaces and 11 digits, such as "From a@b
/*	Sat Dec  5 08:43:33 2026"; not prose that begins "From "), at the
/*	start of a line as that parser reads lines: after a LF, and after
/*	every 999 bytes of a longer line. Text with a bare CR or a NUL, which
/*	that parser reads in other lines, counts as marked. It returns 1
/*	if so, 0 if not, -1 when the text cannot be read. A message whose
/*	text has such a line is scanned by libclamav's own mail parser.
/*	scan_clamav_raw_marked() does the same over a message as it stands,
/*	for encoded content (uuencode, BinHex, yEnc), which that parser
/*	unpacks from any line of a message, whatever part or encoding it is
/*	in, and for any marker (a header field name too) at a line start
/*	that only the 999-byte split makes: there a header field is one to
/*	that parser alone, and a quoted message's line one it reads before
/*	it decodes quoted-printable.
/* PROCESS
/*	master (load), children and milter (scan).
/*--*/

#include <stddef.h>
#include <sys/types.h>

#include "scan_result.h"

struct cl_engine;
struct conf;
struct scan_clamav_file;

/* Bytes libclamav is to leave out of a scan (see above). */
struct scan_clamav_skip {
	struct scan_clamav_file *v;
	size_t n, cap;
	size_t skipped; /* files left out */
	size_t hashed;	/* files read to compare with v */
	unsigned depth; /* libclamav's level of nesting, counted */
};

#define SCAN_CLAMAV_SHA256 32

/* scan_clamav_probe()'s reason for a directory without signatures */
#define SCAN_CLAMAV_NO_SIGS "holds no ClamAV signatures"

struct cl_engine *scan_clamav_load(const struct conf *c, unsigned *sigs,
				   char *errbuf, size_t errsize);
void scan_clamav_free(struct cl_engine **ep);
int scan_clamav_probe(const char *dir, char *errbuf, size_t errsize);
int scan_clamav_phishing(const struct cl_engine *e);
enum scan_verdict scan_clamav_span(const struct cl_engine *e, int fd, off_t off,
				   off_t len, int parse_mail,
				   struct scan_clamav_skip *skip,
				   const char **virname, char *errbuf,
				   size_t errsize);
int scan_clamav_skip_add(struct scan_clamav_skip *skip, int fd, off_t off,
			 off_t len);
void scan_clamav_skip_free(struct scan_clamav_skip *skip);
int scan_clamav_text_marked(int fd, off_t off, off_t len);
int scan_clamav_raw_marked(int fd, off_t off, off_t len);

#endif
