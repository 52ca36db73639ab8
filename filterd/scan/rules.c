/*++
/* NAME
/*	rules 3
/* SUMMARY
/*	a SpamAssassin-subset rule engine on PCRE2
/* DESCRIPTION
/*	See rules.h. Loading builds an array of rules in definition order,
/*	a name index, and the distinct header views the header rules need
/*	("Subject", "From:addr", "ALL:raw"...). Meta expressions are
/*	compiled to postfix programs at load time; at run time they are
/*	evaluated on a stack sized at load time, so that no string is
/*	parsed and nothing is allocated per message once the context has
/*	grown to the largest message.
/*
/*	Per message, a header view is computed on first use and cached in
/*	the context for the other rules that read it.
/*
/*	The Vectorscan code is compiled only with FILTERD_VECTORSCAN (the
/*	build's WITH_VECTORSCAN): without it, every regex takes the path of
/*	a rule Vectorscan cannot take (RULES_HS_NONE), PCRE2 alone.
/*--*/

#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#ifdef FILTERD_VECTORSCAN
#include <hs.h>
#endif

#include "rules.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/xalloc.h"

/*
 * The GTUBE string, in two halves so that no file of ours is itself the
 * test pattern (a spam scanner would flag the source tree or binary).
 */
#define RULES_GTUBE_HEAD "XJS*C4JDBQADN1.NSBN3*2IDNEN*"
#define RULES_GTUBE_TAIL "GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

/* JIT stack per child: PCRE2's default 32 KiB is too small for some. */
#define RULES_JIT_STACK_MIN (32 * 1024)
#define RULES_JIT_STACK_MAX (1024 * 1024)

/* Patterns per Vectorscan database (see rules_hs_build). */
#define RULES_HS_CHUNK 100

/* Cache files: "hs-" SHA-256 in hex ".db"; larger ones are not read. */
#define RULES_CACHE_PREFIX "hs-"
#define RULES_CACHE_NAME_LEN (3 + 64 + 3)
#define RULES_CACHE_FILE_MAX (256 * 1024 * 1024)

/* Bounded repeats longer than this keep a pattern off Vectorscan. */
#define RULES_HS_REPEAT_MAX 1000

/* Groups nested deeper than this keep a pattern off Vectorscan. */
#define RULES_HS_NEST_MAX 64

/* How a rule's regex runs. */
enum rules_hs {
	RULES_HS_NONE,	    /* PCRE2 only */
	RULES_HS_EXACT,	    /* Vectorscan's hit is the answer */
	RULES_HS_PREFILTER, /* Vectorscan's hit is confirmed by PCRE2 */
};

#ifdef FILTERD_VECTORSCAN

/*
 * One Vectorscan database per text that rules match: body, rawbody,
 * full, uri (each URI scanned in turn), and each header view. Match ids
 * are rule indices. (Without Vectorscan: none, n_hsdb is 0.)
 */
struct rules_hsdb {
	hs_database_t *db;
	int kind;  /* enum rules_kind */
	long hkey; /* RULES_HEADER: the view */
	size_t n;  /* member rules */
	int store; /* compiled, to be written to the cache on commit */
	char name[RULES_CACHE_NAME_LEN + 1]; /* its cache file, if store */
};
#endif

enum rules_kind {
	RULES_HEADER,
	RULES_BODY,
	RULES_RAWBODY,
	RULES_FULL,
	RULES_URI,
	RULES_META,
};

/* Header views: modifiers of a header rule's field name. */
enum rules_hmod {
	RULES_HMOD_VALUE,
	RULES_HMOD_ADDR,
	RULES_HMOD_NAME,
};

struct rules_hkey {
	char *name; /* field name; NULL: ALL */
	int raw;    /* :raw */
	int tocc;   /* ToCc: To and Cc */
	enum rules_hmod mod;
};

/* Meta programs: postfix operations. */
enum rules_op {
	RULES_OP_NUM,
	RULES_OP_RULE,
	RULES_OP_NOT,
	RULES_OP_NEG,
	RULES_OP_MUL,
	RULES_OP_DIV,
	RULES_OP_ADD,
	RULES_OP_SUB,
	RULES_OP_LT,
	RULES_OP_LE,
	RULES_OP_GT,
	RULES_OP_GE,
	RULES_OP_EQ,
	RULES_OP_NE,
	RULES_OP_AND,
	RULES_OP_OR,
};

struct rules_op_code {
	enum rules_op op;
	long ref; /* RULES_OP_RULE: rule index or -1 (name index at load) */
	double num;
};

struct rule {
	char *name;
	enum rules_kind kind;
	const char *file; /* in rules->files */
	int line;
	double score;
	int disabled;
	const char *describe; /* in the attribute table */
	pcre2_code *re;
	int negate;		    /* header !~ */
	int exists;		    /* header exists: */
	long hkey;		    /* header view */
	char *if_unset;		    /* header [if-unset: ...] */
	struct rules_op_code *prog; /* meta */
	size_t n_prog;
	char **refs; /* meta: referenced names until resolved */
	size_t n_refs;
	int mark;	  /* cycle check */
	char *src;	  /* the pattern as written, for Vectorscan */
	size_t src_len;	  /* its length (src may hold a NUL) */
	uint32_t opts;	  /* its PCRE2 options */
	enum rules_hs hs; /* how Vectorscan takes it */
	long hsdb;	  /* its database, or -1 */
};

/* score and describe lines, which may come before their rule. */
struct rules_attr {
	char *name;
	double score;
	int has_score;
	char *describe;
};

/* An open-addressing index of borrowed names. */
struct rules_map_slot {
	const char *key;
	size_t val;
};

struct rules_map {
	struct rules_map_slot *slots;
	size_t size;
	size_t used;
};

struct rules {
	struct rule *rule;
	size_t n_rules;
	size_t cap_rules;
	struct rules_map by_name;
	struct rules_attr *attr;
	size_t n_attrs;
	size_t cap_attrs;
	struct rules_map attr_by_name;
	struct rules_hkey *hkey;
	size_t n_hkeys;
	size_t cap_hkeys;
	char **files;
	size_t n_files;
	size_t *meta_order; /* meta rules, dependencies first */
	size_t n_meta;
	size_t stack_max; /* deepest meta evaluation stack */
	size_t n_active;
	size_t skipped;
	int need_full; /* a full or :raw header rule is enabled */
	struct rules_hsdb *hsdb;
	size_t n_hsdb;
	size_t hs_count[3];	   /* regex rules per enum rules_hs */
	size_t hs_bytes;	   /* database sizes */
	size_t hs_dbs;		   /* databases compiled */
	size_t hs_cached;	   /* of those, read from the cache */
	int vectorscan;		   /* loaded with Vectorscan */
	struct rules_cache *cache; /* held for rules_cache_commit(), or NULL */
};

/*
 * The compiled-database cache of one load: the directory (or -1: no
 * cache), and the names of the files this load used, so that the others
 * can be removed after it.
 */
struct rules_cache {
	int dfd;
	int readonly; /* filterd -t: read what is there, make nothing */
	char *dir;
	char (*used)[RULES_CACHE_NAME_LEN + 1];
	size_t n_used;
	size_t cap_used;
	char name[RULES_CACHE_NAME_LEN + 1]; /* of the database at hand */
};

/* One header field: offsets into the text it was parsed from. */
struct rules_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct rules_fields {
	struct rules_field *f;
	size_t n;
	size_t cap;
	size_t section_len; /* header section length (the raw view) */
	int parsed;
};

enum rules_hstate {
	RULES_HV_UNKNOWN,
	RULES_HV_SET,
	RULES_HV_UNSET,
};

struct rules_hval {
	enum rules_hstate state;
	const char *ext; /* a view of the input; else hbuf offset */
	size_t off;
	size_t len;
};

struct rules_ctx {
	const struct rules *r;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	unsigned char *hit;
	struct rules_hval *hv;
#ifdef FILTERD_VECTORSCAN
	hs_scratch_t *scratch; /* for every database of the set */
#endif
	unsigned char *cand;   /* per rule: Vectorscan reported it */
	unsigned char *hsfail; /* per database: its scan failed */
	struct buf hbuf;
	struct rules_fields dec;
	struct rules_fields raw;
	double *stack;
};

/* State of one rules_load() call. */
struct rules_loader {
	struct rules *r;
	const char *file;
	int line;
	int depth;	/* ifplugin/if nesting */
	int block_line; /* where the outermost block opened */
	char *errbuf;
	size_t errsize;
	const char *re_src; /* the last regex rules_regex() compiled */
	size_t re_len;
	uint32_t re_opts;
};

/* rules_map_hash - FNV-1a */
static size_t
rules_map_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* rules_map_slot - the slot of key, or the empty slot where it would go */
static struct rules_map_slot *
rules_map_slot(const struct rules_map *m, const char *key)
{
	size_t i = rules_map_hash(key) & (m->size - 1);

	while (m->slots[i].key && strcmp(m->slots[i].key, key) != 0)
		i = (i + 1) & (m->size - 1);
	return m->slots + i;
}

/* rules_map_get - look up key; 0 found, -1 not */
static int
rules_map_get(const struct rules_map *m, const char *key, size_t *val)
{
	struct rules_map_slot *s;

	if (m->size == 0)
		return -1;
	s = rules_map_slot(m, key);
	if (s->key == NULL)
		return -1;
	*val = s->val;
	return 0;
}

/* rules_map_put - add or replace; key must outlive the map */
static void
rules_map_put(struct rules_map *m, const char *key, size_t val)
{
	struct rules_map_slot *s;

	if (2 * (m->used + 1) > m->size) {
		struct rules_map old = *m;

		m->size = old.size ? 2 * old.size : 64;
		m->slots = xcalloc(m->size, sizeof(*m->slots));
		m->used = 0;
		for (size_t i = 0; i < old.size; i++)
			if (old.slots[i].key)
				rules_map_put(m, old.slots[i].key,
					      old.slots[i].val);
		free(old.slots);
	}
	s = rules_map_slot(m, key);
	if (s->key == NULL) {
		s->key = key;
		m->used++;
	}
	s->val = val;
}

static int rules_load_error(struct rules_loader *ld, const char *fmt, ...)
	MSG_PRINTF(2, 3);

/* rules_load_error - format "file:line: message" */
static int
rules_load_error(struct rules_loader *ld, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ld->errbuf, ld->errsize, "%s:%d: %s", ld->file, ld->line, msg);
	return -1;
}

/* rules_word - split off the next white-space separated word, or NULL */
static char *
rules_word(char **cursor)
{
	char *p = *cursor, *start;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == 0) {
		*cursor = p;
		return NULL;
	}
	start = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = 0;
	*cursor = p;
	return start;
}

/* rules_skip_space - the first non-blank character */
static char *
rules_skip_space(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* rules_valid_name - SA rule names are word characters */
static int
rules_valid_name(const char *name)
{
	if (*name == 0)
		return 0;
	for (; *name; name++)
		if (!isalnum((unsigned char)*name) && *name != '_')
			return 0;
	return 1;
}

/* rules_rule_name - the rule name word of a directive, checked */
static char *
rules_rule_name(struct rules_loader *ld, char **cursor, const char *what)
{
	char *name = rules_word(cursor);

	if (name == NULL) {
		rules_load_error(ld, "%s: missing rule name", what);
		return NULL;
	}
	if (!rules_valid_name(name)) {
		rules_load_error(ld, "%s: bad rule name \"%s\"", what, name);
		return NULL;
	}
	return name;
}

/* rules_is_gtube - the built-in rule cannot be changed by files */
static int
rules_is_gtube(const char *name)
{
	return strcmp(name, "GTUBE") == 0;
}

/* rules_clear - release what one rule definition holds, except its name */
static void
rules_clear(struct rule *ru)
{
	if (ru->re)
		pcre2_code_free(ru->re);
	free(ru->if_unset);
	free(ru->src);
	ru->src = NULL;
	ru->src_len = 0;
	ru->opts = 0;
	free(ru->prog);
	for (size_t i = 0; i < ru->n_refs; i++)
		free(ru->refs[i]);
	free(ru->refs);
	ru->re = NULL;
	ru->if_unset = NULL;
	ru->prog = NULL;
	ru->n_prog = 0;
	ru->refs = NULL;
	ru->n_refs = 0;
	ru->negate = ru->exists = 0;
	ru->hkey = -1;
}

/* rules_define - a new rule, or a redefinition in the old one's place */
static struct rule *
rules_define(struct rules_loader *ld, const char *name, enum rules_kind kind)
{
	struct rules *r = ld->r;
	struct rule *ru;
	size_t idx;

	if (rules_map_get(&r->by_name, name, &idx) == 0) {
		ru = r->rule + idx;
		rules_clear(ru);
	} else {
		if (r->n_rules == r->cap_rules) {
			r->cap_rules = r->cap_rules ? 2 * r->cap_rules : 64;
			r->rule = xrealloc(r->rule,
					   r->cap_rules * sizeof(*r->rule));
		}
		ru = r->rule + r->n_rules;
		memset(ru, 0, sizeof(*ru));
		ru->name = xstrdup(name);
		ru->hkey = -1;
		rules_map_put(&r->by_name, ru->name, r->n_rules++);
	}
	ru->kind = kind;
	ru->file = ld->file;
	ru->line = ld->line;
	return ru;
}

/* rules_keep_source - keep the regex just compiled for Vectorscan */
static void
rules_keep_source(struct rules_loader *ld, struct rule *ru)
{
	ru->src = xmalloc(ld->re_len + 1);
	memcpy(ru->src, ld->re_src, ld->re_len);
	ru->src[ld->re_len] = 0;
	ru->src_len = ld->re_len;
	ru->opts = ld->re_opts;
}

/* rules_attr - the score/describe record of a name, created on demand */
static struct rules_attr *
rules_attr(struct rules *r, const char *name)
{
	struct rules_attr *a;
	size_t idx;

	if (rules_map_get(&r->attr_by_name, name, &idx) == 0)
		return r->attr + idx;
	if (r->n_attrs == r->cap_attrs) {
		r->cap_attrs = r->cap_attrs ? 2 * r->cap_attrs : 64;
		r->attr = xrealloc(r->attr, r->cap_attrs * sizeof(*r->attr));
	}
	a = r->attr + r->n_attrs;
	memset(a, 0, sizeof(*a));
	a->name = xstrdup(name);
	rules_map_put(&r->attr_by_name, a->name, r->n_attrs++);
	return a;
}

/* rules_compile - compile one pattern; NULL with an error reported */
static pcre2_code *
rules_compile(struct rules_loader *ld, const char *name, const char *pat,
	      size_t len, uint32_t options)
{
	PCRE2_UCHAR why[256];
	PCRE2_SIZE off;
	pcre2_code *re;
	int err;

	re = pcre2_compile((PCRE2_SPTR)pat, len, options, &err, &off, NULL);
	if (re == NULL) {
		pcre2_get_error_message(err, why, sizeof(why));
		rules_load_error(ld, "rule %s: bad regex: %s at offset %zu",
				 name, (char *)why, (size_t)off);
		return NULL;
	}
	/* Without JIT (unsupported CPU, no executable memory) PCRE2 falls
	 * back to its interpreter: slower, still correct. */
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

/* rules_regex - parse "/re/flags" or "m<delim>re<delim>flags" and compile */
static pcre2_code *
rules_regex(struct rules_loader *ld, const char *name, char *text,
	    uint32_t options, char **rest)
{
	char open, close, *p = text, *start;
	int depth = 1, bracket;
	size_t len;

	if (*p == '/') {
		open = '/';
		p++;
	} else if (*p == 'm' && p[1] && ispunct((unsigned char)p[1]) &&
		   p[1] != '\\') {
		open = p[1];
		p += 2;
	} else {
		rules_load_error(ld, "rule %s: regex expected", name);
		return NULL;
	}
	switch (open) {
	case '{':
		close = '}';
		break;
	case '(':
		close = ')';
		break;
	case '[':
		close = ']';
		break;
	case '<':
		close = '>';
		break;
	default:
		close = open;
		break;
	}
	bracket = close != open;
	/*
	 * As Perl does: the first unescaped closing delimiter ends the
	 * pattern (bracket pairs nest). Escaped delimiters stay escaped,
	 * which PCRE2 reads as the literal character.
	 */
	for (start = p; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (bracket && *p == open)
			depth++;
		else if (*p == close && --depth == 0)
			break;
	}
	if (*p == 0) {
		rules_load_error(ld, "rule %s: unterminated regex", name);
		return NULL;
	}
	len = (size_t)(p - start);
	*p++ = 0;
	for (; *p && *p != ' ' && *p != '\t'; p++) {
		switch (*p) {
		case 'i':
			options |= PCRE2_CASELESS;
			break;
		case 's':
			options |= PCRE2_DOTALL;
			break;
		case 'm':
			options |= PCRE2_MULTILINE;
			break;
		case 'x':
			options |= PCRE2_EXTENDED;
			break;
		case 'g':
		case 'o':
			/* Perl-only: no meaning for a single yes/no match. */
			break;
		default:
			rules_load_error(ld,
					 "rule %s: unknown regex flag \"%c\"",
					 name, *p);
			return NULL;
		}
	}
	*rest = rules_skip_space(p);
	ld->re_src = start;
	ld->re_len = len;
	ld->re_opts = options;
	return rules_compile(ld, name, start, len, options);
}

/* rules_hkey - the index of a header view, added on first use */
static long
rules_hkey(struct rules *r, const char *name, int raw, int tocc,
	   enum rules_hmod mod)
{
	struct rules_hkey *k;

	for (size_t i = 0; i < r->n_hkeys; i++) {
		k = r->hkey + i;
		if (k->raw == raw && k->tocc == tocc && k->mod == mod &&
		    ((k->name == NULL && name == NULL) ||
		     (k->name && name && strcasecmp(k->name, name) == 0)))
			return (long)i;
	}
	if (r->n_hkeys == r->cap_hkeys) {
		r->cap_hkeys = r->cap_hkeys ? 2 * r->cap_hkeys : 32;
		r->hkey = xrealloc(r->hkey, r->cap_hkeys * sizeof(*r->hkey));
	}
	k = r->hkey + r->n_hkeys;
	k->name = name ? xstrdup(name) : NULL;
	k->raw = raw;
	k->tocc = tocc;
	k->mod = mod;
	return (long)r->n_hkeys++;
}

/* rules_header_spec - "Field[:mod...]" to a view; 0, 1 unsupported, -1 */
static int
rules_header_spec(struct rules_loader *ld, const char *name, char *spec,
		  long *hkey)
{
	enum rules_hmod mod = RULES_HMOD_VALUE;
	char *field = spec, *m, *next;
	int raw = 0, tocc = 0;

	m = strchr(spec, ':');
	if (m)
		*m++ = 0;
	if (*field == 0) {
		rules_load_error(ld, "rule %s: missing header name", name);
		return -1;
	}
	for (; m; m = next) {
		next = strchr(m, ':');
		if (next)
			*next++ = 0;
		if (strcmp(m, "raw") == 0)
			raw = 1;
		else if (strcmp(m, "addr") == 0 && mod == RULES_HMOD_VALUE)
			mod = RULES_HMOD_ADDR;
		else if (strcmp(m, "name") == 0 && mod == RULES_HMOD_VALUE)
			mod = RULES_HMOD_NAME;
		else
			return 1;
	}
	if (strcmp(field, "ALL") == 0) {
		if (mod != RULES_HMOD_VALUE)
			return 1;
		field = NULL;
	} else if (strcmp(field, "ToCc") == 0) {
		tocc = 1;
	}
	*hkey = rules_hkey(ld->r, field, raw, tocc, mod);
	return 0;
}

/* rules_parse_header - "header NAME Field =~ /re/ [if-unset: X]" */
static int
rules_parse_header(struct rules_loader *ld, char *p)
{
	char *name, *spec, *rest, *end = NULL;
	pcre2_code *re;
	struct rule *ru;
	long hkey;
	int negate, rc;

	if ((name = rules_rule_name(ld, &p, "header")) == NULL)
		return -1;
	p = rules_skip_space(p);
	if (*p == 0)
		return rules_load_error(ld, "rule %s: missing header name",
					name);
	/* Header names end at white space or at the operator. */
	spec = p;
	while (*p && *p != ' ' && *p != '\t' && strncmp(p, "=~", 2) != 0 &&
	       strncmp(p, "!~", 2) != 0)
		p++;
	if (strncmp(spec, "eval:", 5) == 0 || strncmp(spec, "rbleval:", 8) == 0)
		return 1;
	if (strncmp(spec, "exists:", 7) == 0) {
		if (*rules_skip_space(p))
			return rules_load_error(
				ld, "rule %s: text after exists:", name);
		*p = 0;
		if ((rc = rules_header_spec(ld, name, spec + 7, &hkey)) != 0)
			return rc;
		if (rules_is_gtube(name))
			return 0;
		ru = rules_define(ld, name, RULES_HEADER);
		ru->exists = 1;
		ru->hkey = hkey;
		return 0;
	}
	rest = rules_skip_space(p);
	if (strncmp(rest, "=~", 2) == 0)
		negate = 0;
	else if (strncmp(rest, "!~", 2) == 0)
		negate = 1;
	else
		return rules_load_error(ld, "rule %s: expected =~ or !~", name);
	*p = 0;
	rest = rules_skip_space(rest + 2);
	if ((rc = rules_header_spec(ld, name, spec, &hkey)) != 0)
		return rc;
	if ((re = rules_regex(ld, name, rest, 0, &rest)) == NULL)
		return -1;
	if (*rest && strncmp(rest, "[if-unset:", 10) != 0) {
		pcre2_code_free(re);
		return rules_load_error(ld, "rule %s: text after regex", name);
	}
	if (*rest && (end = strrchr(rest, ']')) == NULL) {
		pcre2_code_free(re);
		return rules_load_error(ld, "rule %s: unterminated if-unset",
					name);
	}
	if (rules_is_gtube(name)) {
		pcre2_code_free(re);
		return 0;
	}
	ru = rules_define(ld, name, RULES_HEADER);
	ru->re = re;
	rules_keep_source(ld, ru);
	ru->negate = negate;
	ru->hkey = hkey;
	if (*rest) {
		*end = 0;
		ru->if_unset = xstrdup(rules_skip_space(rest + 10));
		for (end = ru->if_unset + strlen(ru->if_unset);
		     end > ru->if_unset && (end[-1] == ' ' || end[-1] == '\t');)
			*--end = 0;
	}
	return 0;
}

/* rules_parse_pattern - "body|rawbody|full|uri NAME /re/flags" */
static int
rules_parse_pattern(struct rules_loader *ld, char *p, const char *what,
		    enum rules_kind kind)
{
	uint32_t options = 0;
	pcre2_code *re;
	struct rule *ru;
	char *name;

	if ((name = rules_rule_name(ld, &p, what)) == NULL)
		return -1;
	p = rules_skip_space(p);
	if (strncmp(p, "eval:", 5) == 0)
		return 1;
	/* SA matches body text per paragraph and rawbody per line. */
	if (kind == RULES_BODY || kind == RULES_RAWBODY)
		options |= PCRE2_MULTILINE;
	if ((re = rules_regex(ld, name, p, options, &p)) == NULL)
		return -1;
	if (*p) {
		pcre2_code_free(re);
		return rules_load_error(ld, "rule %s: text after regex", name);
	}
	if (rules_is_gtube(name)) {
		pcre2_code_free(re);
		return 0;
	}
	ru = rules_define(ld, name, kind);
	ru->re = re;
	rules_keep_source(ld, ru);
	return 0;
}

/* Meta expressions: a recursive-descent parser emitting postfix code. */

enum rules_tok {
	RULES_T_END,
	RULES_T_NUM,
	RULES_T_NAME,
	RULES_T_LP,
	RULES_T_RP,
	RULES_T_NOT,
	RULES_T_AND,
	RULES_T_OR,
	RULES_T_PLUS,
	RULES_T_MINUS,
	RULES_T_MUL,
	RULES_T_DIV,
	RULES_T_LT,
	RULES_T_LE,
	RULES_T_GT,
	RULES_T_GE,
	RULES_T_EQ,
	RULES_T_NE,
	RULES_T_BAD,
};

struct rules_meta_parser {
	struct rules_loader *ld;
	struct rule *ru;
	const char *name;
	const char *p;
	enum rules_tok tok;
	const char *tok_start;
	size_t tok_len;
	double num;
	int depth;
	size_t cap_prog;
	size_t cap_refs;
};

/* Two-character operators first, so that "<=" is not "<" then "=". */
static const struct {
	const char *text;
	enum rules_tok tok;
} rules_meta_ops[] = {
	{"&&", RULES_T_AND}, {"||", RULES_T_OR},   {"<=", RULES_T_LE},
	{">=", RULES_T_GE},  {"==", RULES_T_EQ},   {"!=", RULES_T_NE},
	{"(", RULES_T_LP},   {")", RULES_T_RP},	   {"!", RULES_T_NOT},
	{"+", RULES_T_PLUS}, {"-", RULES_T_MINUS}, {"*", RULES_T_MUL},
	{"/", RULES_T_DIV},  {"<", RULES_T_LT},	   {">", RULES_T_GT},
};

/* rules_meta_next - read the next token */
static void
rules_meta_next(struct rules_meta_parser *mp)
{
	const char *p = mp->p;
	char num[64];

	while (*p == ' ' || *p == '\t')
		p++;
	mp->tok_start = p;
	if (*p == 0) {
		mp->tok = RULES_T_END;
		mp->tok_len = 0;
		mp->p = p;
		return;
	}
	if (isdigit((unsigned char)*p) ||
	    (*p == '.' && isdigit((unsigned char)p[1]))) {
		while (isdigit((unsigned char)*p))
			p++;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
		mp->tok_len = (size_t)(p - mp->tok_start);
		if (mp->tok_len >= sizeof(num)) {
			mp->tok = RULES_T_BAD;
		} else {
			memcpy(num, mp->tok_start, mp->tok_len);
			num[mp->tok_len] = 0;
			mp->num = strtod(num, NULL);
			mp->tok = RULES_T_NUM;
		}
		mp->p = p;
		return;
	}
	if (isalpha((unsigned char)*p) || *p == '_') {
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		mp->tok = RULES_T_NAME;
		mp->tok_len = (size_t)(p - mp->tok_start);
		mp->p = p;
		return;
	}
	/*
	 * Operators: a two-character one, else a one-character one. A run
	 * of punctuation that starts with neither ("&", "=~", "|") is
	 * reported whole as an unknown operator.
	 */
	mp->p = p + 1;
	mp->tok_len = 1;
	for (size_t i = 0; i < sizeof(rules_meta_ops) / sizeof(*rules_meta_ops);
	     i++) {
		size_t n = strlen(rules_meta_ops[i].text);

		if (strncmp(p, rules_meta_ops[i].text, n) == 0) {
			mp->tok = rules_meta_ops[i].tok;
			mp->tok_len = n;
			mp->p = p + n;
			return;
		}
	}
	while (ispunct((unsigned char)*p) && *p != '(' && *p != ')' &&
	       *p != '_')
		p++;
	if (p > mp->tok_start) {
		mp->tok_len = (size_t)(p - mp->tok_start);
		mp->p = p;
	}
	mp->tok = RULES_T_BAD;
}

/* rules_meta_bad - report the current token */
static int
rules_meta_bad(struct rules_meta_parser *mp)
{
	if (mp->tok == RULES_T_BAD)
		return rules_load_error(
			mp->ld, "meta rule %s: unknown operator \"%.*s\"",
			mp->name, (int)mp->tok_len, mp->tok_start);
	if (mp->tok == RULES_T_END)
		return rules_load_error(mp->ld,
					"meta rule %s: unexpected end of "
					"expression",
					mp->name);
	return rules_load_error(mp->ld, "meta rule %s: syntax error at \"%s\"",
				mp->name, mp->tok_start);
}

/* rules_meta_emit - append one operation */
static void
rules_meta_emit(struct rules_meta_parser *mp, enum rules_op op, long ref,
		double num)
{
	struct rule *ru = mp->ru;

	if (ru->n_prog == mp->cap_prog) {
		mp->cap_prog = mp->cap_prog ? 2 * mp->cap_prog : 16;
		ru->prog = xrealloc(ru->prog, mp->cap_prog * sizeof(*ru->prog));
	}
	ru->prog[ru->n_prog].op = op;
	ru->prog[ru->n_prog].ref = ref;
	ru->prog[ru->n_prog].num = num;
	ru->n_prog++;
}

/* rules_meta_ref - remember a referenced name; its index in refs */
static long
rules_meta_ref(struct rules_meta_parser *mp)
{
	struct rule *ru = mp->ru;

	for (size_t i = 0; i < ru->n_refs; i++)
		if (strlen(ru->refs[i]) == mp->tok_len &&
		    memcmp(ru->refs[i], mp->tok_start, mp->tok_len) == 0)
			return (long)i;
	if (ru->n_refs == mp->cap_refs) {
		mp->cap_refs = mp->cap_refs ? 2 * mp->cap_refs : 8;
		ru->refs = xrealloc(ru->refs, mp->cap_refs * sizeof(*ru->refs));
	}
	ru->refs[ru->n_refs] = xstrndup(mp->tok_start, mp->tok_len);
	return (long)ru->n_refs++;
}

static int rules_meta_or(struct rules_meta_parser *mp);

/* rules_meta_unary - ! - + primary */
static int
rules_meta_unary(struct rules_meta_parser *mp)
{
	enum rules_tok tok = mp->tok;
	int rc = 0;

	if (++mp->depth > RULES_META_DEPTH)
		return rules_load_error(mp->ld,
					"meta rule %s: expression nested too "
					"deeply",
					mp->name);
	switch (tok) {
	case RULES_T_NOT:
	case RULES_T_MINUS:
	case RULES_T_PLUS:
		rules_meta_next(mp);
		if ((rc = rules_meta_unary(mp)) < 0)
			break;
		if (tok == RULES_T_NOT)
			rules_meta_emit(mp, RULES_OP_NOT, 0, 0);
		else if (tok == RULES_T_MINUS)
			rules_meta_emit(mp, RULES_OP_NEG, 0, 0);
		break;
	case RULES_T_NUM:
		rules_meta_emit(mp, RULES_OP_NUM, 0, mp->num);
		rules_meta_next(mp);
		break;
	case RULES_T_NAME:
		rules_meta_emit(mp, RULES_OP_RULE, rules_meta_ref(mp), 0);
		rules_meta_next(mp);
		break;
	case RULES_T_LP:
		rules_meta_next(mp);
		if ((rc = rules_meta_or(mp)) < 0)
			break;
		if (mp->tok != RULES_T_RP) {
			if (mp->tok == RULES_T_END)
				rc = rules_load_error(mp->ld,
						      "meta rule %s: missing )",
						      mp->name);
			else
				rc = rules_meta_bad(mp);
			break;
		}
		rules_meta_next(mp);
		break;
	default:
		rc = rules_meta_bad(mp);
		break;
	}
	mp->depth--;
	return rc;
}

/* Binary levels, loosest last; each is left-associative. */
static const struct {
	enum rules_tok tok;
	enum rules_op op;
	int level;
} rules_meta_binary[] = {
	{RULES_T_MUL, RULES_OP_MUL, 0},	 {RULES_T_DIV, RULES_OP_DIV, 0},
	{RULES_T_PLUS, RULES_OP_ADD, 1}, {RULES_T_MINUS, RULES_OP_SUB, 1},
	{RULES_T_LT, RULES_OP_LT, 2},	 {RULES_T_LE, RULES_OP_LE, 2},
	{RULES_T_GT, RULES_OP_GT, 2},	 {RULES_T_GE, RULES_OP_GE, 2},
	{RULES_T_EQ, RULES_OP_EQ, 3},	 {RULES_T_NE, RULES_OP_NE, 3},
	{RULES_T_AND, RULES_OP_AND, 4},	 {RULES_T_OR, RULES_OP_OR, 5},
};

#define RULES_META_LEVELS 6

/* rules_meta_level_op - the operation of tok at level, or -1 */
static int
rules_meta_level_op(enum rules_tok tok, int level)
{
	for (size_t i = 0;
	     i < sizeof(rules_meta_binary) / sizeof(*rules_meta_binary); i++)
		if (rules_meta_binary[i].tok == tok &&
		    rules_meta_binary[i].level == level)
			return (int)rules_meta_binary[i].op;
	return -1;
}

/* rules_meta_level - operand (op operand)* at one precedence level */
static int
rules_meta_level(struct rules_meta_parser *mp, int level)
{
	int op;

	if ((level == 0 ? rules_meta_unary(mp)
			: rules_meta_level(mp, level - 1)) < 0)
		return -1;
	while ((op = rules_meta_level_op(mp->tok, level)) >= 0) {
		rules_meta_next(mp);
		if ((level == 0 ? rules_meta_unary(mp)
				: rules_meta_level(mp, level - 1)) < 0)
			return -1;
		rules_meta_emit(mp, (enum rules_op)op, 0, 0);
	}
	return 0;
}

/* rules_meta_or - a whole expression */
static int
rules_meta_or(struct rules_meta_parser *mp)
{
	return rules_meta_level(mp, RULES_META_LEVELS - 1);
}

/* rules_meta_stack - the evaluation stack depth a program needs */
static size_t
rules_meta_stack(const struct rule *ru)
{
	size_t sp = 0, max = 0;

	for (size_t i = 0; i < ru->n_prog; i++) {
		switch (ru->prog[i].op) {
		case RULES_OP_NUM:
		case RULES_OP_RULE:
			if (++sp > max)
				max = sp;
			break;
		case RULES_OP_NOT:
		case RULES_OP_NEG:
			break;
		default:
			sp--;
			break;
		}
	}
	return max;
}

/* rules_parse_meta - "meta NAME expression" */
static int
rules_parse_meta(struct rules_loader *ld, char *p)
{
	struct rules_meta_parser mp;
	struct rule tmp, *ru;
	char *name;

	if ((name = rules_rule_name(ld, &p, "meta")) == NULL)
		return -1;
	memset(&mp, 0, sizeof(mp));
	memset(&tmp, 0, sizeof(tmp));
	mp.ld = ld;
	mp.ru = &tmp;
	mp.name = name;
	mp.p = p;
	rules_meta_next(&mp);
	if (mp.tok == RULES_T_END)
		return rules_load_error(ld, "meta rule %s: empty expression",
					name);
	if (rules_meta_or(&mp) < 0 ||
	    (mp.tok != RULES_T_END && rules_meta_bad(&mp) < 0)) {
		rules_clear(&tmp);
		return -1;
	}
	if (rules_is_gtube(name)) {
		rules_clear(&tmp);
		return 0;
	}
	ru = rules_define(ld, name, RULES_META);
	ru->prog = tmp.prog;
	ru->n_prog = tmp.n_prog;
	ru->refs = tmp.refs;
	ru->n_refs = tmp.n_refs;
	return 0;
}

/* rules_parse_score - "score NAME s [s s s]" */
static int
rules_parse_score(struct rules_loader *ld, char *p)
{
	struct rules_attr *a;
	char *name, *val, *end;
	size_t len;
	double score;

	if ((name = rules_rule_name(ld, &p, "score")) == NULL)
		return -1;
	if ((val = rules_word(&p)) == NULL)
		return rules_load_error(ld, "score %s: missing value", name);
	/* Generated score files sometimes write "(1.5)". */
	len = strlen(val);
	if (len > 2 && val[0] == '(' && val[len - 1] == ')') {
		val[len - 1] = 0;
		val++;
	}
	errno = 0;
	score = strtod(val, &end);
	if (end == val || *end || errno)
		return rules_load_error(ld, "score %s: bad value \"%s\"", name,
					val);
	if (rules_is_gtube(name))
		return 0;
	a = rules_attr(ld->r, name);
	a->score = score;
	a->has_score = 1;
	return 0;
}

/* rules_parse_describe - "describe NAME text" */
static int
rules_parse_describe(struct rules_loader *ld, char *p)
{
	struct rules_attr *a;
	char *name, *end;

	if ((name = rules_rule_name(ld, &p, "describe")) == NULL)
		return -1;
	if (rules_is_gtube(name))
		return 0;
	p = rules_skip_space(p);
	for (end = p + strlen(p);
	     end > p && (end[-1] == ' ' || end[-1] == '\t');)
		*--end = 0;
	a = rules_attr(ld->r, name);
	free(a->describe);
	a->describe = xstrdup(p);
	return 0;
}

/* rules_strip_comment - cut a comment: "#" first or after white space */
static void
rules_strip_comment(char *line)
{
	for (char *p = line; *p; p++) {
		if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t')) {
			*p = 0;
			break;
		}
	}
}

/* rules_parse_line - one line; 0 done, -1 error */
static int
rules_parse_line(struct rules_loader *ld, char *line)
{
	char *p = line, *word, *end;
	int rc = 0;

	rules_strip_comment(line);
	for (end = line + strlen(line);
	     end > line && isspace((unsigned char)end[-1]);)
		*--end = 0;
	if ((word = rules_word(&p)) == NULL)
		return 0;
	if (ld->depth > 0) {
		if (strcasecmp(word, "ifplugin") == 0 ||
		    strcasecmp(word, "if") == 0)
			ld->depth++;
		else if (strcasecmp(word, "endif") == 0)
			ld->depth--;
		ld->r->skipped++;
		return 0;
	}
	if (strcasecmp(word, "ifplugin") == 0 || strcasecmp(word, "if") == 0) {
		ld->depth = 1;
		ld->block_line = ld->line;
		rc = 1;
	} else if (strcasecmp(word, "else") == 0) {
		return rules_load_error(ld, "else without if or ifplugin");
	} else if (strcasecmp(word, "endif") == 0) {
		return rules_load_error(ld, "endif without if or ifplugin");
	} else if (strcasecmp(word, "header") == 0) {
		rc = rules_parse_header(ld, p);
	} else if (strcasecmp(word, "body") == 0) {
		rc = rules_parse_pattern(ld, p, "body", RULES_BODY);
	} else if (strcasecmp(word, "rawbody") == 0) {
		rc = rules_parse_pattern(ld, p, "rawbody", RULES_RAWBODY);
	} else if (strcasecmp(word, "full") == 0) {
		rc = rules_parse_pattern(ld, p, "full", RULES_FULL);
	} else if (strcasecmp(word, "uri") == 0) {
		rc = rules_parse_pattern(ld, p, "uri", RULES_URI);
	} else if (strcasecmp(word, "meta") == 0) {
		rc = rules_parse_meta(ld, p);
	} else if (strcasecmp(word, "score") == 0) {
		rc = rules_parse_score(ld, p);
	} else if (strcasecmp(word, "describe") == 0) {
		rc = rules_parse_describe(ld, p);
	} else if (strcasecmp(word, "tflags") == 0) {
		rc = 0;
	} else {
		rc = 1;
	}
	if (rc > 0)
		ld->r->skipped++;
	return rc < 0 ? -1 : 0;
}

/* rules_load_file - read one rule file */
static int
rules_load_file(struct rules_loader *ld, const char *file)
{
	char *line = NULL;
	size_t size = 0;
	ssize_t len;
	FILE *fp;
	int rc = 0;

	ld->file = file;
	ld->line = 0;
	ld->depth = 0;
	if ((fp = fopen(file, "r")) == NULL) {
		snprintf(ld->errbuf, ld->errsize, "%s: %s", file,
			 strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &size, fp)) >= 0) {
		ld->line++;
		if ((size_t)len > RULES_LINE_MAX) {
			rc = rules_load_error(ld, "line longer than %d bytes",
					      RULES_LINE_MAX);
			break;
		}
		if (memchr(line, 0, (size_t)len)) {
			rc = rules_load_error(ld, "NUL byte in line");
			break;
		}
		if ((rc = rules_parse_line(ld, line)) < 0)
			break;
	}
	if (rc == 0 && ferror(fp)) {
		snprintf(ld->errbuf, ld->errsize, "%s: %s", file,
			 strerror(errno));
		rc = -1;
	}
	if (rc == 0 && ld->depth > 0) {
		ld->line = ld->block_line;
		rc = rules_load_error(ld, "if or ifplugin without endif");
	}
	free(line);
	fclose(fp);
	return rc;
}

/* rules_visit - depth-first dependency order of meta rules */
static int
rules_visit(struct rules_loader *ld, size_t idx)
{
	struct rules *r = ld->r;
	struct rule *ru = r->rule + idx;

	if (ru->mark == 2)
		return 0;
	if (ru->mark == 1) {
		ld->file = ru->file;
		ld->line = ru->line;
		return rules_load_error(ld, "meta rule %s: dependency cycle",
					ru->name);
	}
	ru->mark = 1;
	for (size_t i = 0; i < ru->n_prog; i++) {
		long ref = ru->prog[i].ref;

		if (ru->prog[i].op == RULES_OP_RULE && ref >= 0 &&
		    r->rule[ref].kind == RULES_META &&
		    rules_visit(ld, (size_t)ref) < 0)
			return -1;
	}
	ru->mark = 2;
	r->meta_order[r->n_meta++] = idx;
	return 0;
}

/* rules_finish - scores, meta references and order, after all files */
static int
rules_finish(struct rules_loader *ld)
{
	struct rules *r = ld->r;
	size_t idx, depth;

	for (size_t i = 0; i < r->n_rules; i++) {
		struct rule *ru = r->rule + i;
		struct rules_attr *a = NULL;

		if (rules_map_get(&r->attr_by_name, ru->name, &idx) == 0)
			a = r->attr + idx;
		if (a && a->describe)
			ru->describe = a->describe;
		if (i == 0)
			continue; /* GTUBE keeps its own */
		if (a && a->has_score)
			ru->score = a->score;
		else if (strncmp(ru->name, "__", 2) == 0)
			ru->score = 0;
		else if (strncmp(ru->name, "T_", 2) == 0)
			ru->score = 0.01;
		else
			ru->score = 1.0;
		ru->disabled = a && a->has_score && a->score == 0 &&
			       strncmp(ru->name, "__", 2) != 0;
		if (ru->kind != RULES_META)
			continue;
		/* Names to indices: an unknown rule stays -1, i.e. 0. */
		for (size_t k = 0; k < ru->n_prog; k++) {
			struct rules_op_code *op = ru->prog + k;

			if (op->op != RULES_OP_RULE)
				continue;
			if (rules_map_get(&r->by_name, ru->refs[op->ref],
					  &idx) == 0)
				op->ref = (long)idx;
			else
				op->ref = -1;
		}
		for (size_t k = 0; k < ru->n_refs; k++)
			free(ru->refs[k]);
		free(ru->refs);
		ru->refs = NULL;
		ru->n_refs = 0;
		if ((depth = rules_meta_stack(ru)) > r->stack_max)
			r->stack_max = depth;
	}
	r->meta_order = xcalloc(r->n_rules, sizeof(*r->meta_order));
	for (size_t i = 0; i < r->n_rules; i++)
		if (r->rule[i].kind == RULES_META && rules_visit(ld, i) < 0)
			return -1;
	for (size_t i = 0; i < r->n_rules; i++) {
		const struct rule *ru = r->rule + i;

		if (ru->disabled)
			continue;
		r->n_active++;
		if (ru->kind == RULES_FULL ||
		    (ru->kind == RULES_HEADER && ru->hkey >= 0 &&
		     r->hkey[ru->hkey].raw))
			r->need_full = 1;
	}
	return 0;
}

#ifdef FILTERD_VECTORSCAN
/* rules_hs_flags - Vectorscan flags for a rule's PCRE2 options */
static unsigned int
rules_hs_flags(const struct rule *ru, enum rules_hs mode)
{
	unsigned int flags = HS_FLAG_SINGLEMATCH;

	if (ru->opts & PCRE2_CASELESS)
		flags |= HS_FLAG_CASELESS;
	if (ru->opts & PCRE2_DOTALL)
		flags |= HS_FLAG_DOTALL;
	if (ru->opts & PCRE2_MULTILINE)
		flags |= HS_FLAG_MULTILINE;
	if (mode == RULES_HS_PREFILTER)
		flags |= HS_FLAG_PREFILTER;
	return flags;
}

/* rules_hs_accepts - can Vectorscan take the pattern in this mode? */
static int
rules_hs_accepts(const struct rule *ru, enum rules_hs mode)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *err = NULL;
	int ok;

	if (hs_expression_info(ru->src, rules_hs_flags(ru, mode), &info,
			       &err) != HS_SUCCESS) {
		hs_free_compile_error(err);
		return 0;
	}
	/* A pattern that matches the empty string hits every text, empty
	 * ones included, which a scan never reports: PCRE2 keeps those. */
	ok = info->min_width > 0;
	free(info);
	return ok;
}

/*
 * rules_hs_unfit - must PCRE2 alone run the pattern? Yes when it holds
 * what Vectorscan reads otherwise than PCRE2, or may: a verb "(*...)"
 * ("(*UCP)", "(*UTF)", "(*CRLF)"...), an inline option other than i, m
 * and s ("(?x)", "(?xx)", "(?n)", "(?^)"...), a callout or recursion, a
 * comment "(?#...)" or a quote "\Q...\E" (which would also hide what
 * follows from this scan); or "{,n}", which PCRE2 10.43 and later read
 * as a repeat and Vectorscan as literal text. Yes too when bounded
 * repeats multiply past RULES_HS_REPEAT_MAX around some atom:
 * Vectorscan's compiler unrolls them ("x{0,2048}" in SA's
 * __SPOOFED_URL alone costs ~10 s of CPU, "(?:[^>]{0,1000}x){0,99}" 2 s
 * and 170 MB). When in doubt, PCRE2.
 */
static int
rules_hs_unfit(const char *p)
{
	unsigned long outer[RULES_HS_NEST_MAX];
	unsigned long here = 1, last = 0, lo, hi;
	size_t depth = 0, n;
	const char *q;
	char *end;

	for (; *p; p++) {
		switch (*p) {
		case '\\':
			if (p[1] == 'Q' || p[1] == 0)
				return 1;
			/* "\x{41}", "\p{L}", "\g{1}": not a repeat */
			if (strchr("xopPNgk", p[1]) && p[2] == '{') {
				if ((p = strchr(p + 2, '}')) == NULL)
					return 1;
			} else if (p[1] == 'c' && p[2]) {
				p += 2; /* "\c[": a control character */
			} else {
				p++;
			}
			last = 1;
			break;
		case '[':
			/* A class: "[]a]", "[^]a]", "[[:alpha:]]", "[\]]". */
			q = p + 1;
			q += *q == '^';
			q += *q == ']';
			for (; *q != ']'; q++) {
				if (*q == 0 || (*q == '\\' && q[1] == 'Q'))
					return 1;
				if (*q == '\\') {
					q++;
				} else if (*q == '[' && q[1] &&
					   strchr(":.=", q[1]) &&
					   (end = strchr(q + 2, q[1])) &&
					   end[1] == ']') {
					q = end + 1;
				}
			}
			p = (char *)q;
			last = 1;
			break;
		case '(':
			if (p[1] == '*' || (p[1] == '?' && p[2] == '#'))
				return 1;
			q = p + 2;
			if (p[1] == '?' && (isalpha((unsigned char)*q) ||
					    *q == '^' || *q == '-')) {
				n = strspn(q, "abcdefghijklmnopqrstuvwxyz"
					      "ABCDEFGHIJKLMNOPQRSTUVWXYZ^-");
				if (q[n] == ')' || q[n] == ':') {
					if (strspn(q, "ims-") < n)
						return 1;
				} else if (!(*q == 'P' && q[1] &&
					     strchr("<=>", q[1]))) {
					return 1;
				}
			}
			if (depth == RULES_HS_NEST_MAX)
				return 1;
			outer[depth++] = here;
			here = 1;
			last = 0;
			break;
		case ')':
			if (depth == 0)
				return 1;
			last = here;
			here = outer[--depth];
			break;
		case '|':
			last = 0;
			break;
		case '{':
			if (p[1] == ',')
				return 1;
			if (!isdigit((unsigned char)p[1])) {
				last = 1;
				break;
			}
			lo = hi = strtoul(p + 1, &end, 10);
			if (*end == ',')
				hi = isdigit((unsigned char)end[1])
					     ? strtoul(end + 1, &end, 10)
					     : (end++, lo);
			if (*end != '}') {
				last = 1; /* literal text */
				break;
			}
			/* Each factor is at most the bound: no overflow. */
			if (hi > RULES_HS_REPEAT_MAX ||
			    (last ? last : 1) * hi > RULES_HS_REPEAT_MAX)
				return 1;
			last = (last ? last : 1) * (hi ? hi : 1);
			p = end;
			break;
		case '*':
		case '+':
		case '?':
			break; /* unbounded or optional: not unrolled */
		default:
			last = 1;
			break;
		}
		if (last > here)
			here = last;
	}
	return 0;
}

/* rules_hs_mode - how Vectorscan can take a rule, if at all */
static enum rules_hs
rules_hs_mode(const struct rule *ru)
{
	if (ru->disabled || ru->re == NULL || ru->exists || ru->src == NULL)
		return RULES_HS_NONE;
	/*
	 * Patterns are C strings to Vectorscan; it has no extended mode
	 * flag; PCRE2_LITERAL is GTUBE's, whose source is escaped.
	 */
	if (strlen(ru->src) != ru->src_len || (ru->opts & PCRE2_EXTENDED) ||
	    rules_hs_unfit(ru->src))
		return RULES_HS_NONE;
	/*
	 * Where Vectorscan compiles the pattern itself, it finds the same
	 * texts with a match as PCRE2 (the differential test holds both
	 * engines to that); where it takes only an approximation of it,
	 * that approximation matches at least wherever the pattern does.
	 */
	if (rules_hs_accepts(ru, RULES_HS_EXACT))
		return RULES_HS_EXACT;
	if (rules_hs_accepts(ru, RULES_HS_PREFILTER))
		return RULES_HS_PREFILTER;
	return RULES_HS_NONE;
}

/*
 * rules_cache_open - the cache directory of a load: made 0700 if missing
 * (an existing one keeps its mode); refused (a notice, no cache) when it
 * is a symbolic link, not ours, or writable by others, since whoever can
 * write there can choose the databases the rules run on, or when its
 * name ends in "." or "..". Trailing slashes are dropped first: "link/"
 * would follow the link. The descriptor, or -1.
 */
static int
rules_cache_open(const char *dir, int readonly)
{
	char path[4096], *last;
	struct stat st;
	size_t len;
	int fd, made = 0;

	if (dir == NULL || *dir == 0)
		return -1;
	if (*dir != '/') {
		msg_notice("rules cache %s: not an absolute path; compiling "
			   "without a cache",
			   dir);
		return -1;
	}
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
		msg_notice("rules cache %s: path too long; no cache", dir);
		return -1;
	}
	for (len = strlen(path); len > 1 && path[len - 1] == '/'; len--)
		path[len - 1] = 0;
	last = strrchr(path, '/') + 1;
	if (*last == 0 || strcmp(last, ".") == 0 || strcmp(last, "..") == 0) {
		msg_notice("rules cache %s: not a directory's own name (ends "
			   "in \"/\", \".\" or \"..\"); compiling without a "
			   "cache",
			   dir);
		return -1;
	}
	for (char *p = path + 1; *p && !readonly; p++)
		if (*p == '/') {
			*p = 0;
			(void)mkdir(path, 0755);
			*p = '/';
		}
	if (!readonly)
		made = mkdir(path, 0700) == 0;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && readonly && (errno == ENOENT || errno == EACCES))
		return -1;
	if (fd < 0 || fstat(fd, &st) < 0) {
		msg_notice("rules cache %s: %s; compiling without a cache", dir,
			   errno == ELOOP || errno == ENOTDIR
				   ? "not a directory (a symbolic link?)"
				   : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* filterd -t by another user than the daemon's: no cache, as
	 * nothing is written; a directory others can write is said. */
	if (readonly && st.st_uid != geteuid() && !(st.st_mode & 022)) {
		close(fd);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		msg_notice("rules cache %s: %s; compiling without a cache", dir,
			   st.st_uid != geteuid()
				   ? "owned by another user"
				   : "writable by others (give it mode 0700)");
		close(fd);
		return -1;
	}
	/* Only a directory we made: a setting does not close one of the
	 * system's (rules_cache_dir = /var/cache) to every other user. */
	if (made && (st.st_mode & 077) && fchmod(fd, 0700) < 0)
		msg_notice("rules cache %s: chmod 0700: %s", dir,
			   strerror(errno));
	return fd;
}

/*
 * rules_cache_key - name the database of these patterns: a SHA-256 of
 * all that determines it (the patterns with their ids and flags in
 * order, the mode, the platform, the Vectorscan version) in c->name.
 * 0, or -1 when it cannot be computed (no caching then).
 */
static int
rules_cache_key(struct rules_cache *c, const char *const *expr,
		const unsigned int *flags, const unsigned int *ids, size_t n)
{
	static const char tag[] = "filterd rules cache 1";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	hs_platform_info_t plat;
	const char *ver = hs_version();
	unsigned int mode = HS_MODE_BLOCK;
	uint64_t len;
	EVP_MD_CTX *h;
	int ok;

	memset(&plat, 0, sizeof(plat));
	if (hs_populate_platform(&plat) != HS_SUCCESS ||
	    (h = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(h, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(h, tag, sizeof(tag)) &&
	     EVP_DigestUpdate(h, ver, strlen(ver) + 1) &&
	     EVP_DigestUpdate(h, &plat.tune, sizeof(plat.tune)) &&
	     EVP_DigestUpdate(h, &plat.cpu_features,
			      sizeof(plat.cpu_features)) &&
	     EVP_DigestUpdate(h, &mode, sizeof(mode));
	len = n;
	ok = ok && EVP_DigestUpdate(h, &len, sizeof(len));
	for (size_t i = 0; ok && i < n; i++) {
		len = strlen(expr[i]);
		ok = EVP_DigestUpdate(h, &ids[i], sizeof(ids[i])) &&
		     EVP_DigestUpdate(h, &flags[i], sizeof(flags[i])) &&
		     EVP_DigestUpdate(h, &len, sizeof(len)) &&
		     EVP_DigestUpdate(h, expr[i], len);
	}
	ok = ok && EVP_DigestFinal_ex(h, md, &md_len) && md_len == 32;
	EVP_MD_CTX_free(h);
	if (!ok)
		return -1;
	memcpy(c->name, RULES_CACHE_PREFIX, 3);
	for (unsigned int i = 0; i < md_len; i++)
		snprintf(c->name + 3 + 2 * i, 3, "%02x", md[i]);
	memcpy(c->name + 3 + 64, ".db", 4);
	return 0;
}

/* rules_cache_use - note that this load uses the file c->name */
static void
rules_cache_use(struct rules_cache *c)
{
	if (c->n_used == c->cap_used) {
		c->cap_used = c->cap_used ? 2 * c->cap_used : 64;
		c->used = xrealloc(c->used, c->cap_used * sizeof(*c->used));
	}
	memcpy(c->used[c->n_used++], c->name, sizeof(c->name));
}

/*
 * rules_cache_info_ok - does a serialised database's info say it was
 * built by this Vectorscan version, in block mode? ("Version: 5.4.11
 * Features: AVX2 Mode: BLOCK"; the platform is checked by deserialise.)
 */
static int
rules_cache_info_ok(const char *info)
{
	const char *ver = hs_version();
	size_t vlen = strcspn(ver, " ");

	return strncmp(info, "Version: ", 9) == 0 &&
	       strncmp(info + 9, ver, vlen) == 0 && info[9 + vlen] == ' ' &&
	       strstr(info, " Mode: BLOCK") != NULL;
}

/*
 * rules_cache_get - the database c->name from the cache; NULL (with a
 * notice when the file was there but unusable) when it must be compiled.
 * Only a regular file of ours that others cannot write is read (opened
 * without blocking: a FIFO there must not stop the load); nothing in it
 * is trusted beyond what deserialise checks: the directory is ours alone
 * (rules_cache_open).
 */
static hs_database_t *
rules_cache_get(struct rules_cache *c)
{
	hs_database_t *db = NULL;
	char *bytes = NULL, *info = NULL;
	const char *why = NULL;
	struct stat st;
	size_t got = 0;
	ssize_t k;
	int fd;

	fd = openat(c->dfd, c->name,
		    O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			msg_notice("rules cache %s/%s: %s; compiling", c->dir,
				   c->name,
				   errno == ELOOP
					   ? "a symbolic link, not followed"
					   : strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > RULES_CACHE_FILE_MAX) {
		why = "not a regular file of a plausible size";
		goto done;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		why = st.st_uid != geteuid() ? "owned by another user, not used"
					     : "writable by others, not used";
		goto done;
	}
	bytes = xmalloc((size_t)st.st_size);
	while (got < (size_t)st.st_size &&
	       (k = read(fd, bytes + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)k;
	if (got != (size_t)st.st_size) {
		why = "short read";
		goto done;
	}
	if (hs_serialized_database_info(bytes, got, &info) != HS_SUCCESS ||
	    info == NULL || !rules_cache_info_ok(info)) {
		why = "built by another Vectorscan or mode, or not a database";
		goto done;
	}
	if (hs_deserialize_database(bytes, got, &db) != HS_SUCCESS) {
		db = NULL;
		why = "does not deserialise (corrupt or another platform)";
	}
done:
	if (why)
		msg_notice("rules cache %s/%s: %s; compiling", c->dir, c->name,
			   why);
	free(info);
	free(bytes);
	close(fd);
	return db;
}

/*
 * rules_cache_put - store a compiled database as c->name: a temporary
 * file of ours, made new (never one that was there: a link, a FIFO, a
 * file of another user), renamed over the name (which replaces a
 * symbolic link or a bad file there, never writes through it). A failure
 * is a notice. 0 when written, else -1.
 */
static int
rules_cache_put(struct rules_cache *c, const hs_database_t *db)
{
	char tmp[RULES_CACHE_NAME_LEN + 32], *bytes = NULL;
	size_t len = 0, done = 0;
	ssize_t k;
	int fd, ret = 0;

	if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) {
		msg_notice("rules cache: cannot serialise a database");
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", c->name, (long)getpid());
	(void)unlinkat(c->dfd, tmp, 0); /* left by a process of our pid */
	fd = openat(c->dfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK |
			    O_CLOEXEC,
		    0600);
	if (fd >= 0) {
		while (done < len &&
		       (k = write(fd, bytes + done, len - done)) > 0)
			done += (size_t)k;
		if (close(fd) < 0)
			done = 0;
	}
	if (fd < 0 || done != len ||
	    renameat(c->dfd, tmp, c->dfd, c->name) < 0) {
		msg_notice("rules cache %s/%s: cannot write: %s", c->dir,
			   c->name, strerror(errno ? errno : EIO));
		(void)unlinkat(c->dfd, tmp, 0);
		ret = -1;
	}
	free(bytes);
	return ret;
}

/*
 * rules_cache_prune - after a load, remove the cache files it did not
 * use (those of earlier rule sets, left temporaries), so that the
 * directory holds one rule set's databases. How many were removed.
 */
static size_t
rules_cache_prune(struct rules_cache *c)
{
	int fd = dup(c->dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	size_t i, removed = 0;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, RULES_CACHE_PREFIX, 3) != 0)
			continue;
		for (i = 0; i < c->n_used; i++)
			if (strcmp(e->d_name, c->used[i]) == 0)
				break;
		if (i < c->n_used)
			continue;
		if (unlinkat(c->dfd, e->d_name, 0) < 0)
			msg_notice("rules cache %s/%s: cannot remove: %s",
				   c->dir, e->d_name, strerror(errno));
		else
			removed++;
	}
	closedir(d);
	return removed;
}

/* rules_cache_release - close and free a load's cache */
static void
rules_cache_release(struct rules_cache **cp)
{
	struct rules_cache *c = *cp;

	if (c == NULL)
		return;
	if (c->dfd >= 0)
		close(c->dfd);
	free(c->used);
	free(c->dir);
	free(c);
	*cp = NULL;
}

/* rules_hs_compile - one database; demote what Vectorscan rejects */
static void
rules_hs_compile(struct rules *r, struct rules_hsdb *d,
		 struct rules_cache *cache)
{
	int keyed;
	size_t n = 0, cap = 0;
	const char **expr = NULL;
	unsigned int *flags = NULL, *ids = NULL;
	hs_compile_error_t *err;
	struct rule *ru;

	for (;;) {
		n = 0;
		for (size_t i = 0; i < r->n_rules; i++) {
			ru = r->rule + i;
			if (ru->hsdb != d - r->hsdb || ru->hs == RULES_HS_NONE)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				expr = xrealloc(expr, cap * sizeof(*expr));
				flags = xrealloc(flags, cap * sizeof(*flags));
				ids = xrealloc(ids, cap * sizeof(*ids));
			}
			expr[n] = ru->src;
			flags[n] = rules_hs_flags(ru, ru->hs);
			ids[n++] = (unsigned int)i;
		}
		d->n = n;
		if (n == 0)
			break;
		/* The cache holds the sets that compiled: one that failed
		 * is compiled again (and fails again) at every load. */
		keyed = cache->dfd >= 0 &&
			rules_cache_key(cache, expr, flags, ids, n) == 0;
		if (keyed) {
			rules_cache_use(cache);
			if ((d->db = rules_cache_get(cache)) != NULL) {
				r->hs_cached++;
				break;
			}
		}
		err = NULL;
		if (hs_compile_multi(expr, flags, ids, (unsigned int)n,
				     HS_MODE_BLOCK, NULL, &d->db,
				     &err) == HS_SUCCESS) {
			/* Written when the load is committed: a load that
			 * is then rejected changes nothing. */
			if (keyed && !cache->readonly) {
				d->store = 1;
				memcpy(d->name, cache->name, sizeof(d->name));
			}
			break;
		}
		d->db = NULL;
		if (err && err->expression >= 0 &&
		    (size_t)err->expression < n) {
			/* That pattern alone: approximated, then PCRE2. */
			ru = r->rule + ids[err->expression];
			ru->hs = ru->hs == RULES_HS_EXACT &&
						 rules_hs_accepts(
							 ru, RULES_HS_PREFILTER)
					 ? RULES_HS_PREFILTER
					 : RULES_HS_NONE;
		} else {
			/* The set as a whole: every member stays on PCRE2. */
			msg_warn("rules: Vectorscan rejects a set of %zu "
				 "patterns (%s); they run on PCRE2",
				 n, err ? err->message : "no reason given");
			for (size_t k = 0; k < n; k++)
				r->rule[ids[k]].hs = RULES_HS_NONE;
		}
		hs_free_compile_error(err);
	}
	free(expr);
	free(flags);
	free(ids);
}

/*
 * rules_hs_build - the Vectorscan databases of a loaded set; a writable
 * cache is kept in r->cache for rules_cache_commit().
 */
static void
rules_hs_build(struct rules *r, const char *cache_dir, int readonly)
{
	struct rules_cache *cache = xcalloc(1, sizeof(*cache));
	size_t n_targets = RULES_META + r->n_hkeys, cap = 0, size;
	long *cur = xcalloc(n_targets, sizeof(*cur));
	struct rules_hsdb *d;

	/*
	 * A database per body kind and per header view, of at most
	 * RULES_HS_CHUNK patterns: compile time grows faster than the
	 * number of patterns (SA's 456 body rules: 8 s of CPU in one
	 * database, 3.4 s in five), a scan only linearly.
	 */
	for (size_t t = 0; t < n_targets; t++)
		cur[t] = -1;
	for (size_t i = 0; i < r->n_rules; i++) {
		struct rule *ru = r->rule + i;
		size_t t;

		ru->hs = rules_hs_mode(ru);
		ru->hsdb = -1;
		if (ru->hs == RULES_HS_NONE)
			continue;
		t = ru->kind == RULES_HEADER ? RULES_META + (size_t)ru->hkey
					     : (size_t)ru->kind;
		if (cur[t] < 0 || r->hsdb[cur[t]].n == RULES_HS_CHUNK) {
			if (r->n_hsdb == cap) {
				cap = cap ? 2 * cap : 16;
				r->hsdb = xrealloc(r->hsdb,
						   cap * sizeof(*r->hsdb));
			}
			cur[t] = (long)r->n_hsdb++;
			d = r->hsdb + cur[t];
			memset(d, 0, sizeof(*d));
			d->kind = (int)ru->kind;
			d->hkey = ru->kind == RULES_HEADER ? ru->hkey : -1;
		}
		ru->hsdb = cur[t];
		r->hsdb[cur[t]].n++;
	}
	free(cur);
	cache->dir = xstrdup(cache_dir ? cache_dir : "");
	cache->readonly = readonly;
	cache->dfd = rules_cache_open(cache_dir, readonly);
	for (size_t k = 0; k < r->n_hsdb; k++) {
		d = r->hsdb + k;
		rules_hs_compile(r, d, cache);
		if (d->db)
			r->hs_dbs++;
		if (d->db && hs_database_size(d->db, &size) == HS_SUCCESS)
			r->hs_bytes += size;
	}
	for (size_t i = 0; i < r->n_rules; i++) {
		struct rule *ru = r->rule + i;

		if (ru->hs == RULES_HS_NONE)
			ru->hsdb = -1;
		if (!ru->disabled && ru->re)
			r->hs_count[ru->hs]++;
	}
	if (cache->dfd >= 0 && !cache->readonly)
		r->cache = cache;
	else
		rules_cache_release(&cache);
}

#endif /* FILTERD_VECTORSCAN */

/* rules_gtube - the built-in rule, always first */
static int
rules_gtube(struct rules_loader *ld)
{
	struct rule *ru = rules_define(ld, "GTUBE", RULES_BODY);
	struct rules_attr *a = rules_attr(ld->r, "GTUBE");
	char gtube[sizeof(RULES_GTUBE_HEAD RULES_GTUBE_TAIL)];

	/* Joined at run time: not even the binary holds the pattern. */
	snprintf(gtube, sizeof(gtube), "%s%s", RULES_GTUBE_HEAD,
		 RULES_GTUBE_TAIL);
	ru->re = rules_compile(ld, "GTUBE", gtube, strlen(gtube),
			       PCRE2_LITERAL);
	if (ru->re == NULL)
		return -1;
	/* For Vectorscan: the same literal, every byte escaped. */
	ru->src = xmalloc(4 * strlen(gtube) + 1);
	for (size_t i = 0; gtube[i]; i++)
		snprintf(ru->src + 4 * i, 5, "\\x%02x",
			 (unsigned char)gtube[i]);
	ru->src_len = strlen(ru->src);
	ru->score = RULES_GTUBE_SCORE;
	a->describe = xstrdup("Generic Test for Unsolicited Bulk Email");
	return 0;
}

/* rules_load - read and compile the rule files */
struct rules *
rules_load(const char *const *files, size_t n_files, char *errbuf,
	   size_t errsize)
{
	return rules_load_cached(files, n_files, RULES_ENGINE_VECTORSCAN, NULL,
				 0, errbuf, errsize);
}

/* rules_load_engine - rules_load() with a choice of matching engine */
struct rules *
rules_load_engine(const char *const *files, size_t n_files,
		  enum rules_engine engine, char *errbuf, size_t errsize)
{
	return rules_load_cached(files, n_files, engine, NULL, 0, errbuf,
				 errsize);
}

/* rules_load_cached - rules_load_engine() with a database cache */
struct rules *
rules_load_cached(const char *const *files, size_t n_files,
		  enum rules_engine engine, const char *cache_dir,
		  int cache_readonly, char *errbuf, size_t errsize)
{
	struct rules *r = xcalloc(1, sizeof(*r));
	struct rules_loader ld;

	memset(&ld, 0, sizeof(ld));
	ld.r = r;
	ld.errbuf = errbuf;
	ld.errsize = errsize;
	ld.file = "(built-in)";
	r->files = xcalloc(n_files ? n_files : 1, sizeof(*r->files));
	if (rules_gtube(&ld) < 0)
		goto fail;
	for (size_t i = 0; i < n_files; i++) {
		r->files[r->n_files++] = xstrdup(files[i]);
		if (rules_load_file(&ld, r->files[i]) < 0)
			goto fail;
	}
	if (rules_finish(&ld) < 0)
		goto fail;
	msg_info("loaded %zu rules from %zu files, skipped %zu unsupported "
		 "lines",
		 r->n_active, r->n_files, r->skipped);
#ifdef FILTERD_VECTORSCAN
	if (engine == RULES_ENGINE_VECTORSCAN) {
		clock_t t0 = clock();

		rules_hs_build(r, cache_dir, cache_readonly);
		/* Compiling SA's rules takes seconds: say how many. */
		msg_info("rule engine vectorscan+pcre2: %zu regexes on "
			 "Vectorscan, %zu prefiltered by Vectorscan and "
			 "confirmed by PCRE2, %zu on PCRE2 only; Vectorscan "
			 "databases %zu bytes in %zu (%zu from the cache, %zu "
			 "compiled), ready in %.1f s of CPU",
			 r->hs_count[RULES_HS_EXACT],
			 r->hs_count[RULES_HS_PREFILTER],
			 r->hs_count[RULES_HS_NONE], r->hs_bytes, r->hs_dbs,
			 r->hs_cached, r->hs_dbs - r->hs_cached,
			 (double)(clock() - t0) / CLOCKS_PER_SEC);
		r->vectorscan = 1;
		return r;
	}
#else
	(void)cache_dir;
	(void)cache_readonly;
#endif
	/* Every regex on PCRE2: the path of one Vectorscan cannot take. */
	for (size_t i = 0; i < r->n_rules; i++)
		if (!r->rule[i].disabled && r->rule[i].re)
			r->hs_count[RULES_HS_NONE]++;
	msg_info("rule engine pcre2: %zu regexes on PCRE2%s",
		 r->hs_count[RULES_HS_NONE],
		 engine == RULES_ENGINE_VECTORSCAN
			 ? " (this filterd is built without Vectorscan)"
			 : "");
	return r;

fail:
	rules_free(&r);
	return NULL;
}

/* rules_free - release the rule set */
void
rules_free(struct rules **rp)
{
	struct rules *r = *rp;

	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_rules; i++) {
		rules_clear(r->rule + i);
		free(r->rule[i].name);
	}
	for (size_t i = 0; i < r->n_attrs; i++) {
		free(r->attr[i].name);
		free(r->attr[i].describe);
	}
	for (size_t i = 0; i < r->n_hkeys; i++)
		free(r->hkey[i].name);
	for (size_t i = 0; i < r->n_files; i++)
		free(r->files[i]);
#ifdef FILTERD_VECTORSCAN
	for (size_t i = 0; i < r->n_hsdb; i++)
		hs_free_database(r->hsdb[i].db);
	rules_cache_release(&r->cache);
#endif
	free(r->hsdb);
	free(r->rule);
	free(r->by_name.slots);
	free(r->attr);
	free(r->attr_by_name.slots);
	free(r->hkey);
	free(r->files);
	free(r->meta_order);
	free(r);
	*rp = NULL;
}

/* rules_count - active rules, GTUBE included */
size_t
rules_count(const struct rules *r)
{
	return r->n_active;
}

/* rules_skipped - unsupported lines skipped while loading */
size_t
rules_skipped(const struct rules *r)
{
	return r->skipped;
}

/* rules_have_vectorscan - was this filterd built with Vectorscan? */
int
rules_have_vectorscan(void)
{
#ifdef FILTERD_VECTORSCAN
	return 1;
#else
	return 0;
#endif
}

/* rules_engine_name - "vectorscan+pcre2" or "pcre2": how a set matches */
const char *
rules_engine_name(const struct rules *r)
{
	if (r == NULL)
		return rules_have_vectorscan() ? "vectorscan+pcre2" : "pcre2";
	return r->vectorscan ? "vectorscan+pcre2" : "pcre2";
}

/* rules_engine_counts - regex rules per engine path */
void
rules_engine_counts(const struct rules *r, size_t *exact, size_t *prefilter,
		    size_t *pcre2_only, size_t *db_bytes)
{
	*exact = r->hs_count[RULES_HS_EXACT];
	*prefilter = r->hs_count[RULES_HS_PREFILTER];
	*pcre2_only = r->hs_count[RULES_HS_NONE];
	*db_bytes = r->hs_bytes;
}

/*
 * rules_cache_commit - the load is the one that runs now: write its
 * compiled databases to the cache, then remove the files it did not use
 * (the previous set's), and say so. Once; nothing when it had no
 * writable cache (always, in a build without Vectorscan).
 */
void
rules_cache_commit(struct rules *r)
{
#ifdef FILTERD_VECTORSCAN
	struct rules_cache *c = r->cache;
	size_t written = 0, removed;

	if (c == NULL)
		return;
	for (size_t k = 0; k < r->n_hsdb; k++) {
		struct rules_hsdb *d = r->hsdb + k;

		if (d->store && d->db) {
			memcpy(c->name, d->name, sizeof(c->name));
			written += rules_cache_put(c, d->db) == 0;
		}
		d->store = 0;
	}
	removed = rules_cache_prune(c);
	msg_info("rules cache %s: %zu databases written, %zu files removed",
		 c->dir, written, removed);
	rules_cache_release(&r->cache);
#else
	(void)r;
#endif
}

/* rules_cache_counts - databases read from the cache, and compiled */
void
rules_cache_counts(const struct rules *r, size_t *from_cache, size_t *compiled)
{
	*from_cache = r->hs_cached;
	*compiled = r->hs_dbs - r->hs_cached;
}

/* rules_describe - the describe text of a rule, or NULL */
const char *
rules_describe(const struct rules *r, const char *name)
{
	size_t idx;

	if (rules_map_get(&r->by_name, name, &idx) < 0)
		return NULL;
	return r->rule[idx].describe;
}

/* rules_ctx_create - one process's matching state */
struct rules_ctx *
rules_ctx_create(const struct rules *r)
{
	struct rules_ctx *c = xcalloc(1, sizeof(*c));

	c->r = r;
	/* One pair is enough: rules ask only whether a pattern matches. */
	c->md = pcre2_match_data_create(1, NULL);
	c->mctx = pcre2_match_context_create(NULL);
	c->jit = pcre2_jit_stack_create(RULES_JIT_STACK_MIN,
					RULES_JIT_STACK_MAX, NULL);
	if (c->md == NULL || c->mctx == NULL || c->jit == NULL)
		msg_fatal("rules_ctx_create: out of memory");
	pcre2_jit_stack_assign(c->mctx, NULL, c->jit);
	c->hit = xcalloc(r->n_rules, 1);
	c->cand = xcalloc(r->n_rules, 1);
	c->hsfail = xcalloc(r->n_hsdb ? r->n_hsdb : 1, 1);
#ifdef FILTERD_VECTORSCAN
	for (size_t i = 0; i < r->n_hsdb; i++)
		if (r->hsdb[i].db &&
		    hs_alloc_scratch(r->hsdb[i].db, &c->scratch) != HS_SUCCESS)
			msg_fatal("rules_ctx_create: cannot allocate "
				  "Vectorscan scratch space");
#endif
	c->hv = xcalloc(r->n_hkeys ? r->n_hkeys : 1, sizeof(*c->hv));
	c->stack = xcalloc(r->stack_max ? r->stack_max : 1, sizeof(*c->stack));
	buf_init(&c->hbuf, 4096);
	return c;
}

/* rules_ctx_free - release the matching state */
void
rules_ctx_free(struct rules_ctx **cp)
{
	struct rules_ctx *c = *cp;

	if (c == NULL)
		return;
	pcre2_match_data_free(c->md);
	pcre2_match_context_free(c->mctx);
	pcre2_jit_stack_free(c->jit);
	free(c->hit);
	free(c->cand);
	free(c->hsfail);
#ifdef FILTERD_VECTORSCAN
	if (c->scratch)
		hs_free_scratch(c->scratch);
#endif
	free(c->hv);
	free(c->stack);
	free(c->dec.f);
	free(c->raw.f);
	buf_release(&c->hbuf);
	free(c);
	*cp = NULL;
}

/* rules_fields_parse - index "Name: value" lines, with continuations */
static void
rules_fields_parse(struct rules_fields *fs, const char *text, size_t len,
		   int stop_at_blank)
{
	const char *p = text, *end = text + len, *eol, *colon, *v;
	struct rules_field *f;

	fs->n = 0;
	fs->parsed = 1;
	fs->section_len = len;
	while (p < end) {
		const char *next;

		eol = memchr(p, '\n', (size_t)(end - p));
		next = eol ? eol + 1 : end;
		if (eol == NULL)
			eol = end;
		if (eol > p && eol[-1] == '\r')
			eol--;
		if (eol == p) {
			if (stop_at_blank) {
				fs->section_len = (size_t)(p - text);
				break;
			}
			p = next;
			continue;
		}
		if (*p == ' ' || *p == '\t') {
			/* A folded line continues the previous field. */
			if (fs->n > 0) {
				f = fs->f + fs->n - 1;
				f->value_len = (size_t)(eol - f->value);
			}
			p = next;
			continue;
		}
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL || colon == p) {
			p = next; /* not a field ("From " line, garbage) */
			continue;
		}
		if (fs->n == fs->cap) {
			fs->cap = fs->cap ? 2 * fs->cap : 32;
			fs->f = xrealloc(fs->f, fs->cap * sizeof(*fs->f));
		}
		f = fs->f + fs->n++;
		f->name = p;
		f->name_len = (size_t)(colon - p);
		while (f->name_len > 0 && (p[f->name_len - 1] == ' ' ||
					   p[f->name_len - 1] == '\t'))
			f->name_len--;
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		f->value = v;
		f->value_len = (size_t)(eol - v);
		p = next;
	}
}

/* rules_name_is - compare a field name, case-insensitively */
static int
rules_name_is(const struct rules_field *f, const char *name)
{
	return strlen(name) == f->name_len &&
	       strncasecmp(f->name, name, f->name_len) == 0;
}

/* rules_trim - trim white space off both ends of [*s, *e) */
static void
rules_trim(const char **s, const char **e)
{
	while (*s < *e && isspace((unsigned char)**s))
		(*s)++;
	while (*e > *s && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

/* rules_mailbox - the address or display name of the first mailbox */
static void
rules_mailbox(const char *v, size_t len, enum rules_hmod mod, struct buf *out)
{
	const char *end = v + len, *p, *lt = NULL, *gt = NULL;
	const char *cstart = NULL, *cend = NULL, *s, *e;
	int quoted = 0, comment = 0;

	/* Find the first mailbox's "<", its first comment and its end. */
	for (p = v; p < end; p++) {
		if (*p == '\\' && p + 1 < end && (quoted || comment)) {
			p++;
		} else if (quoted) {
			if (*p == '"')
				quoted = 0;
		} else if (comment) {
			if (*p == '(')
				comment++;
			else if (*p == ')' && --comment == 0 && cend == NULL)
				cend = p;
		} else if (*p == '"') {
			quoted = 1;
		} else if (*p == '(') {
			comment = 1;
			if (cstart == NULL)
				cstart = p + 1;
		} else if (*p == '<' && lt == NULL) {
			lt = p;
		} else if (*p == '>' && lt && gt == NULL) {
			gt = p;
		} else if (*p == ',' && (lt == NULL || gt)) {
			break;
		}
	}
	if (cstart && cend == NULL)
		cend = p;
	end = p;
	if (mod == RULES_HMOD_ADDR) {
		if (lt) {
			s = lt + 1;
			e = gt ? gt : end;
			rules_trim(&s, &e);
			buf_append(out, s, (size_t)(e - s));
			return;
		}
		/* "user@host (Name)": the text outside comments. */
		s = v;
		e = cstart ? cstart - 1 : end;
		rules_trim(&s, &e);
		buf_append(out, s, (size_t)(e - s));
		return;
	}
	if (lt) {
		s = v;
		e = lt;
		rules_trim(&s, &e);
		if (e - s >= 2 && *s == '"' && e[-1] == '"') {
			for (s++, e--; s < e; s++) {
				if (*s == '\\' && s + 1 < e)
					s++;
				buf_append(out, s, 1);
			}
			return;
		}
		if (s < e) {
			buf_append(out, s, (size_t)(e - s));
			return;
		}
	}
	if (cstart) {
		s = cstart;
		e = cend;
		rules_trim(&s, &e);
		buf_append(out, s, (size_t)(e - s));
	}
}

/* rules_header_value - compute a header view for this message */
static struct rules_hval *
rules_header_value(const struct rules *r, struct rules_ctx *c,
		   const struct rules_input *in, long k)
{
	const struct rules_hkey *hk = r->hkey + k;
	struct rules_hval *hv = c->hv + k;
	struct rules_fields *fs;
	int found = 0;

	if (hv->state != RULES_HV_UNKNOWN)
		return hv;
	if (hk->raw && !c->raw.parsed)
		rules_fields_parse(&c->raw, in->full ? in->full : "",
				   in->full_len, 1);
	if (!hk->raw && !c->dec.parsed)
		rules_fields_parse(&c->dec, in->headers ? in->headers : "",
				   in->headers_len, 0);
	fs = hk->raw ? &c->raw : &c->dec;
	hv->state = RULES_HV_SET;
	if (hk->name == NULL) {
		hv->ext = hk->raw ? (in->full ? in->full : "")
				  : (in->headers ? in->headers : "");
		hv->len = hk->raw ? fs->section_len : in->headers_len;
		return hv;
	}
	hv->ext = NULL;
	hv->off = c->hbuf.len;
	for (size_t i = 0; i < fs->n; i++) {
		const struct rules_field *f = fs->f + i;

		if (!(hk->tocc
			      ? rules_name_is(f, "To") || rules_name_is(f, "Cc")
			      : rules_name_is(f, hk->name)))
			continue;
		if (found++)
			buf_append(&c->hbuf, "\n", 1);
		if (hk->mod == RULES_HMOD_VALUE)
			buf_append(&c->hbuf, f->value, f->value_len);
		else
			rules_mailbox(f->value, f->value_len, hk->mod,
				      &c->hbuf);
	}
	hv->len = c->hbuf.len - hv->off;
	if (!found)
		hv->state = RULES_HV_UNSET;
	return hv;
}

/* rules_match - does the pattern match? Failures count as no */
static int
rules_match(const struct rule *ru, struct rules_ctx *c, const char *s,
	    size_t len, struct rules_result *out)
{
	int rc;

	rc = pcre2_match(ru->re, (PCRE2_SPTR)(s ? s : ""), len, 0, 0, c->md,
			 c->mctx);
	if (rc >= 0)
		return 1;
	if (rc != PCRE2_ERROR_NOMATCH)
		out->n_errors++;
	return 0;
}

/* rules_header_hit - evaluate one header rule */
static int
rules_header_hit(const struct rules *r, const struct rule *ru,
		 struct rules_ctx *c, const struct rules_input *in,
		 struct rules_result *out)
{
	struct rules_hval *hv = rules_header_value(r, c, in, ru->hkey);
	const char *s;
	size_t len;
	int rc;

	if (ru->exists)
		return hv->state == RULES_HV_SET;
	if (hv->state == RULES_HV_UNSET) {
		s = ru->if_unset ? ru->if_unset : "";
		len = strlen(s);
	} else {
		s = hv->ext ? hv->ext : c->hbuf.data + hv->off;
		len = hv->len;
	}
	rc = pcre2_match(ru->re, (PCRE2_SPTR)s, len, 0, 0, c->md, c->mctx);
	if (rc >= 0)
		return !ru->negate;
	if (rc != PCRE2_ERROR_NOMATCH) {
		out->n_errors++;
		return 0;
	}
	return ru->negate;
}

#ifdef FILTERD_VECTORSCAN
/* rules_hs_on_match - Vectorscan's match callback: note the rule */
static int
rules_hs_on_match(unsigned int id, unsigned long long from,
		  unsigned long long to, unsigned int flags, void *arg)
{
	struct rules_ctx *c = arg;

	(void)from;
	(void)to;
	(void)flags;
	if (id < c->r->n_rules)
		c->cand[id] = 1;
	return 0;
}

/* rules_hs_scan - one text through one database; -1 if the scan failed */
static int
rules_hs_scan(const struct rules_hsdb *d, struct rules_ctx *c, const char *s,
	      size_t len)
{
	/* No member matches the empty string (rules_hs_accepts). */
	if (len == 0)
		return 0;
	if (len > UINT_MAX)
		return -1;
	return hs_scan(d->db, s, (unsigned int)len, 0, c->scratch,
		       rules_hs_on_match, c) == HS_SUCCESS
		       ? 0
		       : -1;
}

/* rules_hs_run - every database over its text, one pass each */
static void
rules_hs_run(const struct rules *r, struct rules_ctx *c,
	     const struct rules_input *in)
{
	memset(c->cand, 0, r->n_rules);
	for (size_t k = 0; k < r->n_hsdb; k++) {
		const struct rules_hsdb *d = r->hsdb + k;
		struct rules_hval *hv;
		int rc = 0;

		c->hsfail[k] = 0;
		if (d->db == NULL)
			continue;
		switch (d->kind) {
		case RULES_HEADER:
			hv = rules_header_value(r, c, in, d->hkey);
			if (hv->state == RULES_HV_SET)
				rc = rules_hs_scan(d, c,
						   hv->ext ? hv->ext
							   : c->hbuf.data +
								     hv->off,
						   hv->len);
			break;
		case RULES_BODY:
			rc = rules_hs_scan(d, c, in->body, in->body_len);
			break;
		case RULES_RAWBODY:
			rc = rules_hs_scan(d, c, in->rawbody, in->rawbody_len);
			break;
		case RULES_FULL:
			rc = rules_hs_scan(d, c, in->full, in->full_len);
			break;
		case RULES_URI:
			for (size_t u = 0; u < in->n_uris && rc == 0; u++)
				rc = rules_hs_scan(d, c, in->uris[u],
						   strlen(in->uris[u]));
			break;
		}
		/* Its rules then run on PCRE2, as without Vectorscan. */
		if (rc < 0)
			c->hsfail[k] = 1;
	}
}

#endif /* FILTERD_VECTORSCAN */

/* rules_hs_hit - a Vectorscan rule's answer, confirmed where needed */
static int
rules_hs_hit(const struct rule *ru, struct rules_ctx *c, size_t i,
	     const char *s, size_t len, struct rules_result *out)
{
	if (!c->cand[i])
		return 0;
	if (ru->hs == RULES_HS_EXACT)
		return 1;
	return rules_match(ru, c, s, len, out);
}

/* rules_header_hs - a header rule whose regex is on Vectorscan */
static int
rules_header_hs(const struct rules *r, const struct rule *ru,
		struct rules_ctx *c, size_t i, const struct rules_input *in,
		struct rules_result *out)
{
	struct rules_hval *hv = rules_header_value(r, c, in, ru->hkey);
	const char *s;
	int m, rc;

	/*
	 * A missing field's text is the rule's own (if-unset), else empty,
	 * which no pattern on Vectorscan matches (its minimum width, or its
	 * approximation's, which is no more, is not 0).
	 */
	if (hv->state == RULES_HV_UNSET)
		return ru->if_unset ? rules_header_hit(r, ru, c, in, out)
				    : ru->negate;
	if (!c->cand[i]) {
		m = 0;
	} else if (ru->hs == RULES_HS_EXACT) {
		m = 1;
	} else {
		s = hv->ext ? hv->ext : c->hbuf.data + hv->off;
		rc = pcre2_match(ru->re, (PCRE2_SPTR)s, hv->len, 0, 0, c->md,
				 c->mctx);
		if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
			out->n_errors++;
			return 0;
		}
		m = rc >= 0;
	}
	return ru->negate ? !m : m;
}

/* rules_meta_eval - run a meta program over the hits so far */
static double
rules_meta_eval(const struct rule *ru, const unsigned char *hit, double *st)
{
	size_t sp = 0;
	double a, b;

	for (size_t i = 0; i < ru->n_prog; i++) {
		const struct rules_op_code *op = ru->prog + i;

		switch (op->op) {
		case RULES_OP_NUM:
			st[sp++] = op->num;
			continue;
		case RULES_OP_RULE:
			st[sp++] = op->ref >= 0 && hit[op->ref] ? 1 : 0;
			continue;
		case RULES_OP_NOT:
			st[sp - 1] = st[sp - 1] == 0 ? 1 : 0;
			continue;
		case RULES_OP_NEG:
			st[sp - 1] = -st[sp - 1];
			continue;
		default:
			break;
		}
		b = st[--sp];
		a = st[sp - 1];
		switch (op->op) {
		case RULES_OP_MUL:
			a = a * b;
			break;
		case RULES_OP_DIV:
			a = b == 0 ? 0 : a / b;
			break;
		case RULES_OP_ADD:
			a = a + b;
			break;
		case RULES_OP_SUB:
			a = a - b;
			break;
		case RULES_OP_LT:
			a = a < b;
			break;
		case RULES_OP_LE:
			a = a <= b;
			break;
		case RULES_OP_GT:
			a = a > b;
			break;
		case RULES_OP_GE:
			a = a >= b;
			break;
		case RULES_OP_EQ:
			a = a == b;
			break;
		case RULES_OP_NE:
			a = a != b;
			break;
		case RULES_OP_AND:
			a = a != 0 ? b : a;
			break;
		case RULES_OP_OR:
			a = a != 0 ? a : b;
			break;
		default:
			msg_panic("rules_meta_eval: rule %s: bad op %d",
				  ru->name, (int)op->op);
		}
		st[sp - 1] = a;
	}
	return sp ? st[0] : 0;
}

/* rules_run - match one message */
void
rules_run(const struct rules *r, struct rules_ctx *c,
	  const struct rules_input *in, struct rules_result *out)
{
	if (c->r != r)
		msg_panic("rules_run: context of another rule set");
	memset(c->hit, 0, r->n_rules);
	memset(c->hv, 0, (r->n_hkeys ? r->n_hkeys : 1) * sizeof(*c->hv));
	buf_reset(&c->hbuf);
	c->dec.parsed = c->raw.parsed = 0;
	out->score = 0;
	out->n_hits = 0;
	out->n_errors = 0;
#ifdef FILTERD_VECTORSCAN
	if (r->n_hsdb)
		rules_hs_run(r, c, in);
#endif

	for (size_t i = 0; i < r->n_rules; i++) {
		const struct rule *ru = r->rule + i;
		int hs = ru->hs != RULES_HS_NONE && !c->hsfail[ru->hsdb];
		int hit = 0;

		if (ru->disabled)
			continue;
		switch (ru->kind) {
		case RULES_HEADER:
			hit = hs ? rules_header_hs(r, ru, c, i, in, out)
				 : rules_header_hit(r, ru, c, in, out);
			break;
		case RULES_BODY:
			hit = hs ? rules_hs_hit(ru, c, i, in->body,
						in->body_len, out)
				 : rules_match(ru, c, in->body, in->body_len,
					       out);
			break;
		case RULES_RAWBODY:
			hit = hs ? rules_hs_hit(ru, c, i, in->rawbody,
						in->rawbody_len, out)
				 : rules_match(ru, c, in->rawbody,
					       in->rawbody_len, out);
			break;
		case RULES_FULL:
			hit = hs ? rules_hs_hit(ru, c, i, in->full,
						in->full_len, out)
				 : rules_match(ru, c, in->full, in->full_len,
					       out);
			break;
		case RULES_URI:
			/* Which URI hit is not known: PCRE2 confirms. */
			if (hs && (!c->cand[i] || ru->hs == RULES_HS_EXACT)) {
				hit = c->cand[i];
				break;
			}
			for (size_t u = 0; u < in->n_uris && !hit; u++)
				hit = rules_match(ru, c, in->uris[u],
						  strlen(in->uris[u]), out);
			break;
		case RULES_META:
			break;
		}
		c->hit[i] = (unsigned char)hit;
	}
	for (size_t m = 0; m < r->n_meta; m++) {
		size_t i = r->meta_order[m];
		const struct rule *ru = r->rule + i;

		if (!ru->disabled)
			c->hit[i] = rules_meta_eval(ru, c->hit, c->stack) != 0;
	}
	for (size_t i = 0; i < r->n_rules; i++) {
		const struct rule *ru = r->rule + i;

		if (!c->hit[i] || ru->score == 0)
			continue;
		if (out->n_hits == out->cap) {
			out->cap = out->cap ? 2 * out->cap : 16;
			out->hits = xrealloc(out->hits,
					     out->cap * sizeof(*out->hits));
		}
		out->hits[out->n_hits].name = ru->name;
		out->hits[out->n_hits].score = ru->score;
		out->n_hits++;
		out->score += ru->score;
	}
}

/* rules_result_release - free the hit storage */
void
rules_result_release(struct rules_result *res)
{
	free(res->hits);
	res->hits = NULL;
	res->n_hits = res->cap = 0;
	res->score = 0;
}

/* rules_need_full - does any enabled rule read the raw message? */
int
rules_need_full(const struct rules *r)
{
	return r->need_full;
}

/* rules_total - rules defined, disabled ones included */
size_t
rules_total(const struct rules *r)
{
	return r->n_rules;
}

/* rules_name - the name of rule number i */
const char *
rules_name(const struct rules *r, size_t i)
{
	return i < r->n_rules ? r->rule[i].name : NULL;
}

/* rules_ctx_hit - did rule number i hit in the last rules_run()? */
int
rules_ctx_hit(const struct rules_ctx *c, size_t i)
{
	return i < c->r->n_rules && c->hit[i];
}
