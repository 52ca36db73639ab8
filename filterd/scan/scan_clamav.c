/*++
/* NAME
/*	scan_clamav 3
/* SUMMARY
/*	libclamav in process: one engine, compiled in the master
/*--*/

#include <clamav.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "scan_clamav.h"
#include "util/msg.h"

/* Content larger than this is read through libclamav's aging map. */
#define SCAN_CLAMAV_AGING_MIN (1024 * 1024)

/*
 * scan_clamav_agree - say so when the hop accepts more than libclamav
 * reads: such messages and parts are scanned only as far as the limit
 * goes, and are UNCHECKED.
 */
static void
scan_clamav_agree(const struct conf *c)
{
	long msl = c->message_size_limit;

	if (c->clamav.max_filesize > 0 &&
	    (msl == 0 || c->clamav.max_filesize < msl))
		msg_warn("clamav.max_filesize %ld is below message_size_limit "
			 "%ld%s: larger messages and parts are scanned only "
			 "that far, and are UNCHECKED",
			 c->clamav.max_filesize, msl, msl ? "" : " (none)");
	if (c->clamav.max_scansize > 0 &&
	    (msl == 0 || c->clamav.max_scansize / 2 < msl))
		msg_warn("clamav.max_scansize %ld is below twice "
			 "message_size_limit %ld%s: what a message unpacks to "
			 "may be scanned only that far, and be UNCHECKED",
			 c->clamav.max_scansize, msl, msl ? "" : " (none)");
}

/* scan_clamav_limits - the configured scan limits */
static int
scan_clamav_limits(struct cl_engine *e, const struct conf *c)
{
	/*
	 * No CL_ENGINE_TMPDIR: libclamav then makes its per-scan temporary
	 * directories in $TMPDIR, read at each scan (libclamav 1.4, seen
	 * with strace), which each child sets to its private directory
	 * under tmp_dir (tmpfs, not /tmp; server_skel.c). One engine-wide
	 * directory would be shared by all children, and what a killed
	 * child left there could not be told apart from a live one's.
	 */
	if (c->clamav.disable_cache &&
	    cl_engine_set_num(e, CL_ENGINE_DISABLE_CACHE, 1) != CL_SUCCESS)
		return 1;
	return cl_engine_set_num(e, CL_ENGINE_MAX_FILESIZE,
				 c->clamav.max_filesize) != CL_SUCCESS ||
	       cl_engine_set_num(e, CL_ENGINE_MAX_SCANSIZE,
				 c->clamav.max_scansize) != CL_SUCCESS ||
	       cl_engine_set_num(e, CL_ENGINE_MAX_RECURSION,
				 c->clamav.max_recursion) != CL_SUCCESS ||
	       cl_engine_set_num(e, CL_ENGINE_MAX_FILES, c->clamav.max_files) !=
		       CL_SUCCESS ||
	       cl_engine_set_num(e, CL_ENGINE_MAX_SCANTIME,
				 c->clamav.max_scantime) != CL_SUCCESS;
}

/*
 * scan_clamav_msg - libclamav's own messages, through the one log writer
 * (they may quote what a scanned file holds), not straight to stderr
 */
static void
scan_clamav_msg(enum cl_msg severity, const char *fullmsg, const char *text,
		void *context)
{
	size_t len = strlen(text);

	(void)fullmsg;
	(void)context;
	if (severity < CL_MSG_WARN)
		return;
	/* Its lines end in a newline of their own. */
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	msg_warn("libclamav %s: %.*s",
		 severity >= CL_MSG_ERROR ? "error" : "warning", (int)len,
		 text);
}

/*
 * The file name extensions of detection signatures: what makes a
 * database hold signatures. libclamav counts more (its CLI_DBEXT also
 * loads .fp/.sfp false-positive lists, .ign/.ign2 ignore lists, .cfg,
 * .ftm, .pdb/.wdb/.gdb, .cat/.crb, .info), and those detect nothing: a
 * directory of only such files gives an engine that passes everything.
 * The containers .cvd/.cld/.cud count unless they are bytecode.*
 * (bytecode alone detects nothing either).
 */
static const char *const scan_clamav_detect_exts[] = {
	"hdb", "hsb", "hdu", "hsu", "mdb", "msb", "mdu",  "msu", "ndb",
	"ndu", "ldb", "ldu", "cdb", "idb", "yar", "yara", NULL,
};
static const char *const scan_clamav_containers[] = {"cvd", "cld", "cud", NULL};

/* scan_clamav_ext_in - is ext (after the dot) one of list? */
static int
scan_clamav_ext_in(const char *ext, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcasecmp(ext, list[i]) == 0)
			return 1;
	return 0;
}

/* scan_clamav_detects - is name, of size bytes, a detection file? */
static int
scan_clamav_detects(const char *name, off_t size)
{
	const char *dot = strrchr(name, '.');

	if (name[0] == '.' || dot == NULL || size <= 0)
		return 0;
	if (scan_clamav_ext_in(dot + 1, scan_clamav_containers))
		return strncasecmp(name, "bytecode.", 9) != 0;
	return scan_clamav_ext_in(dot + 1, scan_clamav_detect_exts);
}

/* scan_clamav_probe - can dir be read, and does it hold signatures? */
int
scan_clamav_probe(const char *dir, char *errbuf, size_t errsize)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int found = 0;

	if ((d = opendir(dir)) == NULL) {
		snprintf(errbuf, errsize, "%s", strerror(errno));
		return -1;
	}
	while (!found && (de = readdir(d)) != NULL)
		found = de->d_name[0] != '.' &&
			fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
			S_ISREG(st.st_mode) &&
			scan_clamav_detects(de->d_name, st.st_size);
	closedir(d);
	if (!found) {
		snprintf(errbuf, errsize, "%s", SCAN_CLAMAV_NO_SIGS);
		return -1;
	}
	return 0;
}

/*
 * The file name extensions of phishing lists: what libclamav's phishing
 * URL check (CL_DB_PHISHING_URLS) checks links against. The containers
 * may hold them too (a real daily.cvd does).
 */
static const char *const scan_clamav_phish_exts[] = {"pdb", "wdb", "gdb", NULL};

/*
 * scan_clamav_dbopts - libclamav's load options for dir: its phishing
 * URL check only when dir may hold a phishing list. Without one the check
 * finds nothing, yet libclamav's mail parser still normalises every HTML
 * part for it, a second time beside the HTML scan itself.
 */
static unsigned
scan_clamav_dbopts(const char *dir)
{
	struct dirent *de;
	int lists = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return CL_DB_STDOPT;
	while (!lists && (de = readdir(d)) != NULL) {
		const char *dot = strrchr(de->d_name, '.');

		lists = dot != NULL &&
			(scan_clamav_ext_in(dot + 1, scan_clamav_phish_exts) ||
			 scan_clamav_ext_in(dot + 1, scan_clamav_containers));
	}
	closedir(d);
	/* CL_DB_PHISHING stays: without it libclamav's loaders drop every
	 * signature named Email.Phishing.* or HTML.Phishing.* (a site's own
	 * .ndb ones too, test_attack16b). */
	return lists ? CL_DB_STDOPT : CL_DB_STDOPT & ~CL_DB_PHISHING_URLS;
}

/* scan_clamav_phishing - see scan_clamav.h */
int
scan_clamav_phishing(const struct cl_engine *e)
{
	return (cl_engine_get_num(e, CL_ENGINE_DB_OPTIONS, NULL) &
		CL_DB_PHISHING_URLS) != 0;
}

/* Bytes filterd scans itself: their size and SHA-256. */
struct scan_clamav_file {
	off_t size;
	unsigned char sha256[SCAN_CLAMAV_SHA256];
};

/* scan_clamav_sha256 - SHA-256 of bytes [off, off + len) of fd; 0 or -1 */
static int
scan_clamav_sha256(int fd, off_t off, off_t len,
		   unsigned char out[SCAN_CLAMAV_SHA256])
{
	char buf[16384];
	void *h = cl_hash_init("sha256");
	int ok = h != NULL;

	while (ok && len > 0) {
		size_t want = len < (off_t)sizeof(buf) ? (size_t)len
						       : sizeof(buf);
		ssize_t n = pread(fd, buf, want, off);

		ok = n > 0 && cl_update_hash(h, buf, (size_t)n) == 0;
		off += n;
		len -= n;
	}
	if (h != NULL && cl_finish_hash(h, out) != 0)
		ok = 0; /* frees h */
	return ok ? 0 : -1;
}

/* scan_clamav_skip_add - see scan_clamav.h */
int
scan_clamav_skip_add(struct scan_clamav_skip *skip, int fd, off_t off,
		     off_t len)
{
	struct scan_clamav_file f = {len, {0}};

	if (len == 0 || scan_clamav_sha256(fd, off, len, f.sha256) < 0)
		return -1;
	if (skip->n == skip->cap) {
		size_t cap = skip->cap ? 2 * skip->cap : 16;
		struct scan_clamav_file *v = realloc(skip->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		skip->v = v;
		skip->cap = cap;
	}
	skip->v[skip->n++] = f;
	return 0;
}

/* scan_clamav_skip_has - are the bytes of file fd, of st, in skip? */
static int
scan_clamav_skip_has(struct scan_clamav_skip *skip, int fd,
		     const struct stat *st)
{
	unsigned char sha[SCAN_CLAMAV_SHA256];
	int hashed = 0;

	for (size_t i = 0; i < skip->n; i++) {
		if (skip->v[i].size != st->st_size)
			continue;
		if (!hashed) {
			if (scan_clamav_sha256(fd, 0, st->st_size, sha) < 0)
				return 0;
			hashed = 1;
			skip->hashed++;
		}
		if (memcmp(skip->v[i].sha256, sha, sizeof(sha)) == 0)
			return 1;
	}
	return 0;
}

/*
 * scan_clamav_mail_file - is the file of fd one libclamav's mail parser
 * took out of a message? It writes those, and only those, into a
 * directory "mail-tmp.*" of its own (libclamav 1.4 scanners.c,
 * cli_scanmail); what it unpacks from them goes elsewhere.
 */
static int
scan_clamav_mail_file(int fd)
{
	char proc[64], path[PATH_MAX];
	const char *dir;
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((n = readlink(proc, path, sizeof(path) - 1)) <= 0)
		return 0;
	path[n] = 0;
	if ((dir = strrchr(path, '/')) == NULL || dir == path)
		return 0;
	path[dir - path] = 0;
	dir = strrchr(path, '/');
	return dir != NULL && strncmp(dir + 1, "mail-tmp.", 9) == 0;
}

/*
 * scan_clamav_pre_scan - libclamav is about to scan a file (inner or
 * outer). With a scan_clamav_skip as the scan's context: a file one
 * level below the message that libclamav's mail parser took out of it
 * (not what libclamav unpacks from those, nor from the message's own
 * bytes, whose signatures may need their container: test_attack16d,
 * test_attack16e) and whose bytes are noted there is left out
 * (CL_BREAK: that file alone is taken as clean, libclamav 1.4
 * scanners.c), as filterd scans those bytes as a file of its own. What
 * fails here leaves the file in. Both must hold: the level, counted
 * here and in scan_clamav_post_scan() (libclamav calls both for every
 * file it gets this far with, its clean cache off: scan_clamav_span();
 * but it unpacks some archives found inside a file, such as a zip in a
 * message's raw bytes, without a call of its own), and the mail
 * parser's directory (scan_clamav_mail_file).
 */
static cl_error_t
scan_clamav_pre_scan(int fd, const char *type, void *context)
{
	struct scan_clamav_skip *skip = context;
	struct stat st;

	(void)type;
	if (skip == NULL)
		return CL_CLEAN;
	if (skip->depth++ != 1 || skip->n == 0 || fd < 0 ||
	    fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    !scan_clamav_mail_file(fd) || !scan_clamav_skip_has(skip, fd, &st))
		return CL_CLEAN;
	skip->skipped++;
	return CL_BREAK;
}

/* scan_clamav_post_scan - libclamav is done with a file: a level up */
static cl_error_t
scan_clamav_post_scan(int fd, int result, const char *virname, void *context)
{
	struct scan_clamav_skip *skip = context;

	(void)fd;
	(void)result;
	(void)virname;
	if (skip != NULL && skip->depth > 0)
		skip->depth--;
	return CL_CLEAN; /* the verdict as it is */
}

/* scan_clamav_skip_free - forget the bytes noted */
void
scan_clamav_skip_free(struct scan_clamav_skip *skip)
{
	free(skip->v);
	memset(skip, 0, sizeof(*skip));
}

/* scan_clamav_load - a compiled engine with the configured signatures */
struct cl_engine *
scan_clamav_load(const struct conf *c, unsigned *sigs, char *errbuf,
		 size_t errsize)
{
	struct cl_engine *e;
	cl_error_t rc;

	*sigs = 0;
	cl_set_clcb_msg(scan_clamav_msg);
	if ((rc = cl_init(CL_INIT_DEFAULT)) != CL_SUCCESS) {
		snprintf(errbuf, errsize, "cl_init: %s", cl_strerror(rc));
		return NULL;
	}
	if ((e = cl_engine_new()) == NULL) {
		snprintf(errbuf, errsize, "cl_engine_new failed");
		return NULL;
	}
	cl_engine_set_clcb_pre_scan(e, scan_clamav_pre_scan);
	cl_engine_set_clcb_post_scan(e, scan_clamav_post_scan);
	if ((rc = cl_load(c->clamav.database, e, sigs,
			  scan_clamav_dbopts(c->clamav.database))) !=
	    CL_SUCCESS) {
		snprintf(errbuf, errsize, "clamav database %s: %s",
			 c->clamav.database, cl_strerror(rc));
	} else if (scan_clamav_limits(e, c)) {
		snprintf(errbuf, errsize, "clamav limits rejected");
	} else if ((rc = cl_engine_compile(e)) != CL_SUCCESS) {
		snprintf(errbuf, errsize, "clamav compile: %s",
			 cl_strerror(rc));
	} else {
		scan_clamav_agree(c);
		return e;
	}
	cl_engine_free(e);
	return NULL;
}

/* scan_clamav_free - release an engine */
void
scan_clamav_free(struct cl_engine **ep)
{
	if (*ep)
		cl_engine_free(*ep);
	*ep = NULL;
}

/* scan_clamav_options - every parser, or every one but mail's */
static void
scan_clamav_options(struct cl_scan_options *opt, int parse_mail)
{
	memset(opt, 0, sizeof(*opt));
	opt->parse = ~0u; /* mail, archives, documents: everything */
	if (!parse_mail)
		opt->parse &= ~(unsigned)CL_SCAN_PARSE_MAIL;
	/* Tell limits apart from clean: an alert, not a silent pass. */
	opt->general = CL_SCAN_GENERAL_HEURISTICS;
	opt->heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX;
}

/* scan_clamav_verdict - libclamav's answer as a verdict */
static enum scan_verdict
scan_clamav_verdict(cl_error_t rc, const char **virname, char *errbuf,
		    size_t errsize)
{
	switch (rc) {
	case CL_CLEAN:
		return SCAN_CLEAN;
	case CL_VIRUS:
		/*
		 * A limit alert is not a virus: the content is UNCHECKED.
		 * libclamav 1.4 names it only through a virus-found callback
		 * when a whole file is over max_filesize; scan_clamav_span()
		 * never hands it one, but a nameless alert is a limit too.
		 */
		if (*virname == NULL || **virname == '\0') {
			snprintf(errbuf, errsize,
				 "clamav: Heuristics.Limits.Exceeded");
			return SCAN_UNCHECKED;
		}
		if (strncmp(*virname, "Heuristics.Limits.Exceeded", 26) == 0) {
			snprintf(errbuf, errsize, "clamav: %s", *virname);
			return SCAN_UNCHECKED;
		}
		return SCAN_INFECTED;
	default:
		/* The engine failed: nothing was decided about the content. */
		snprintf(errbuf, errsize, "clamav: %s", cl_strerror(rc));
		return SCAN_ERROR;
	}
}

/* A window [base, base + len) of a descriptor, read by libclamav's fmap. */
struct scan_span {
	int fd;
	off_t base;
	off_t len;
};

/* scan_span_pread - libclamav's read callback: offsets are the window's */
static off_t
scan_span_pread(void *handle, void *buf, size_t count, off_t offset)
{
	const struct scan_span *sp = handle;

	if (offset >= sp->len)
		return 0;
	if ((off_t)count > sp->len - offset)
		count = (size_t)(sp->len - offset);
	return pread(sp->fd, buf, count, sp->base + offset);
}

/* scan_clamav_span - scan bytes [off, off + len) of fd as a file */
enum scan_verdict
scan_clamav_span(const struct cl_engine *e, int fd, off_t off, off_t len,
		 int parse_mail, struct scan_clamav_skip *skip,
		 const char **virname, char *errbuf, size_t errsize)
{
	long long max = cl_engine_get_num(e, CL_ENGINE_MAX_FILESIZE, NULL);
	struct scan_span sp = {fd, off, len};
	struct cl_scan_options opt;
	unsigned long scanned = 0;
	enum scan_verdict v;
	cl_fmap_t *map;
	cl_error_t rc;

	*virname = NULL;
	/* Nothing to scan: libclamav would not even map it. */
	if (len == 0)
		return SCAN_CLEAN;
	/*
	 * Over max_filesize libclamav would skip the whole of it: scan as
	 * far as the limit goes instead, as it does inside archives.
	 */
	if (max > 0 && len > max)
		sp.len = (off_t)max;
	/*
	 * The window is a file of its own: libclamav maps from offset 0.
	 * It caches what it reads in heap memory, or, with aging, in an
	 * anonymous mapping whose old pages it gives back: a cost per scan
	 * (mmap, munmap) that pays only when the content is large.
	 */
	if ((map = cl_fmap_open_handle(&sp, 0, (size_t)sp.len, scan_span_pread,
				       sp.len > SCAN_CLAMAV_AGING_MIN)) ==
	    NULL) {
		snprintf(errbuf, errsize, "clamav: cannot map %lld bytes",
			 (long long)sp.len);
		return SCAN_ERROR;
	}
	scan_clamav_options(&opt, parse_mail);
	/*
	 * libclamav caches a file it was told to leave out as clean: then
	 * filterd's own scan of the same bytes would be answered from the
	 * cache. Nothing is left out while the cache is on.
	 */
	if (cl_engine_get_num(e, CL_ENGINE_DISABLE_CACHE, NULL) == 0)
		skip = NULL;
	rc = cl_scanmap_callback(map, NULL, virname, &scanned, e, &opt, skip);
	cl_fmap_close(map);
	v = scan_clamav_verdict(rc, virname, errbuf, errsize);
	if (v == SCAN_CLEAN && sp.len < len) {
		snprintf(errbuf, errsize,
			 "clamav: Heuristics.Limits.Exceeded.MaxFileSize (%lld "
			 "bytes, the first %lld scanned)",
			 (long long)len, (long long)sp.len);
		v = SCAN_UNCHECKED;
	}
	return v;
}

/*
 * Lines that make libclamav's mail parser find more than the MIME parts:
 * content encoded inside the text (uuencode, BinHex, yEnc) and messages
 * quoted in it (bounces, forwards), which it unpacks and scans. Header
 * names match in any case (more than libclamav's file type magic does).
 * The mbox "From " line is scan_clamav_from_line()'s.
 */
static const char *const scan_clamav_markers[] = {
	/* encoded content: the first SCAN_CLAMAV_ENCODED */
	"begin ",
	"begin-base64",
	"(This file must be converted",
	"=ybegin",
	/* a quoted message's header lines */
	"From:",
	"Received:",
	"Return-Path:",
	"Content-Type:",
	"Content-Transfer-Encoding:",
	"MIME-Version:",
	"Message-ID:",
};
#define SCAN_CLAMAV_ENCODED 4

/* What scan_clamav_from_line() reads of a line: over libclamav's 72. */
#define SCAN_CLAMAV_FROM_LOOK 128

/*
 * scan_clamav_from_line - is a line one libclamav's mail parser takes
 * for the start of a quoted message's mbox "From " line? Its test
 * (mbox.c, isBounceStart): "From " or ">From ", as such, then at least
 * 6 spaces and 11 digits from the space after "From" to the end of a
 * line shorter than 72 bytes ("From a@b Sat Dec  5 08:43:33 2026").
 * Prose that begins "From " is not. Counted here over the first
 * SCAN_CLAMAV_FROM_LOOK bytes whatever the line's length: every line
 * libclamav takes is taken, and a few more. (libclamav 1.4.6 unpacks a
 * message quoted in text from its header lines, with or without a "From "
 * line before them: those stay markers.)
 */
static int
scan_clamav_from_line(const char *line, size_t len)
{
	int spaces = 0, digits = 0;
	size_t i;

	if (len >= 5 && memcmp(line, "From ", 5) == 0)
		i = 4;
	else if (len >= 6 && memcmp(line, ">From ", 6) == 0)
		i = 5;
	else
		return 0;
	if (len > SCAN_CLAMAV_FROM_LOOK)
		len = SCAN_CLAMAV_FROM_LOOK;
	for (; i < len && line[i] != '\n'; i++) {
		if (line[i] == ' ')
			spaces++;
		else if (line[i] >= '0' && line[i] <= '9')
			digits++;
	}
	return spaces >= 6 && digits >= 11;
}

/*
 * scan_clamav_odd - would libclamav's mail parser split these bytes into
 * lines otherwise than scan_clamav_lines() does? It ends a line at a
 * bare CR too and drops NUL bytes: a marker could start a line only to
 * it (test_attack16b). *cr carries a CR that ended the last read.
 */
static int
scan_clamav_odd(const char *p, size_t n, int *cr)
{
	const char *end = p + n, *q;

	if (n == 0)
		return 0;
	if ((*cr && p[0] != '\n') || memchr(p, 0, n) != NULL)
		return 1;
	for (q = p; (q = memchr(q, '\r', (size_t)(end - q))) != NULL; q++)
		if (q + 1 < end && q[1] != '\n')
			return 1;
	*cr = end[-1] == '\r';
	return 0;
}

/* scan_clamav_line_marked - does a line start with a marker? */
static int
scan_clamav_line_marked(const char *line, size_t len)
{
	if (scan_clamav_from_line(line, len))
		return 1;
	for (size_t i = 0;
	     i < sizeof(scan_clamav_markers) / sizeof(*scan_clamav_markers);
	     i++) {
		size_t m = strlen(scan_clamav_markers[i]);

		if (len >= m &&
		    strncasecmp(line, scan_clamav_markers[i], m) == 0)
			return 1;
	}
	return 0;
}

/*
 * libclamav's mail parser reads a message in lines of at most 999 bytes
 * (mbox.c, getline_from_mbox): the rest of a longer line is a line of
 * its own, and may begin with a marker (test_attack16b).
 */
#define SCAN_CLAMAV_LINE_MAX 999

/*
 * scan_clamav_lines - does marked() take a line of text [off, off + len)
 * of fd, as libclamav's mail parser reads its lines (at LF, and after
 * SCAN_CLAMAV_LINE_MAX bytes of one), or does the text hold what makes
 * its lines differ (scan_clamav_odd)? 1 or 0, -1 when it cannot be read
 */
static int
scan_clamav_lines(int fd, off_t off, off_t len,
		  int (*marked)(const char *, size_t, int))
{
	char buf[65536 + SCAN_CLAMAV_FROM_LOOK];
	size_t have = 0; /* bytes of the current line's start kept in buf */
	size_t col = 0;	 /* bytes of the current line passed over */
	int bol = 1, cr = 0, split = 0;

	while (len > 0) {
		size_t want = sizeof(buf) - SCAN_CLAMAV_FROM_LOOK;
		ssize_t n;

		if ((off_t)want > len)
			want = (size_t)len;
		if ((n = pread(fd, buf + have, want, off)) <= 0)
			return -1;
		off += n;
		len -= n;
		if (scan_clamav_odd(buf + have, (size_t)n, &cr))
			return 1;
		n += (ssize_t)have;
		have = 0;
		for (size_t i = 0; i < (size_t)n;) {
			size_t left = (size_t)n - i, step;
			const char *lf;

			if (bol) {
				/* A line start cut by the buffer: keep it. */
				if (left < SCAN_CLAMAV_FROM_LOOK && len > 0 &&
				    memchr(buf + i, '\n', left) == NULL) {
					memmove(buf, buf + i, left);
					have = left;
					break;
				}
				if (marked(buf + i, left, split))
					return 1;
				bol = 0;
				col = 0;
			}
			step = SCAN_CLAMAV_LINE_MAX - col;
			if (step > left)
				step = left;
			if ((lf = memchr(buf + i, '\n', step)) != NULL) {
				i = (size_t)(lf + 1 - buf);
				bol = 1;
				split = 0;
			} else {
				i += step;
				col += step;
				bol = split = col == SCAN_CLAMAV_LINE_MAX;
			}
		}
	}
	return 0;
}

/* scan_clamav_text_line - any marker, wherever the line starts */
static int
scan_clamav_text_line(const char *line, size_t len, int split)
{
	(void)split;
	return scan_clamav_line_marked(line, len);
}

/* scan_clamav_text_marked - see scan_clamav.h */
int
scan_clamav_text_marked(int fd, off_t off, off_t len)
{
	return scan_clamav_lines(fd, off, len, scan_clamav_text_line);
}

/*
 * scan_clamav_raw_line - does a line of a message as it stands start
 * content encoded inside text, which libclamav's mail parser unpacks
 * wherever it is in a message (uuencode: mbox.c's "fast track", yEnc,
 * BinHex)? A line it starts after 999 bytes of a longer one (split)
 * counts with any marker: a header field there is one to that parser
 * only, a quoted message's line one it reads before it decodes
 * quoted-printable (test_attack16c).
 */
static int
scan_clamav_raw_line(const char *line, size_t len, int split)
{
	if (split)
		return scan_clamav_line_marked(line, len);
	for (size_t i = 0; i < SCAN_CLAMAV_ENCODED; i++) {
		size_t m = strlen(scan_clamav_markers[i]);

		if (len >= m &&
		    strncasecmp(line, scan_clamav_markers[i], m) == 0)
			return 1;
	}
	return 0;
}

/* scan_clamav_raw_marked - see scan_clamav.h */
int
scan_clamav_raw_marked(int fd, off_t off, off_t len)
{
	return scan_clamav_lines(fd, off, len, scan_clamav_raw_line);
}
