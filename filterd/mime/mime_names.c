/*++
/* NAME
/*	mime_names 3
/* SUMMARY
/*	every file name a MIME part declares
/* DESCRIPTION
/*	See mime_names.h.
/*--*/

#include <gmime/gmime.h>
#include <string.h>

#include "mime_names.h"
#include "util/hex.h"
#include "util/pool.h"

/* One piece of an RFC 2231 value: name*N= or name*N*= */
struct mime_names_piece {
	long n;
	int extended; /* name*N*=: %XX encoded, the first with charset'lang' */
	const char *v;
	size_t len;
};

/* mime_names_cmp - pieces by number, then as they came (qsort) */
static int
mime_names_cmp(const void *a, const void *b)
{
	const struct mime_names_piece *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return x->v < y->v ? -1 : x->v > y->v;
}

/*
 * mime_names_params - the pieces of parameter key in a raw field value
 * (folded, unparsed): name*N and name*N* only; how many
 */
static size_t
mime_names_params(const char *s, const char *key, struct mime_names_piece *out,
		  size_t max)
{
	size_t klen = strlen(key), n = 0;
	int quoted = 0;

	/* Past the type or disposition: the first ";" not quoted. */
	for (; *s && (quoted || *s != ';'); s++)
		if (*s == '"')
			quoted = !quoted;
		else if (*s == '\\' && quoted && s[1])
			s++;
	while (*s == ';' && n < max) {
		const char *name, *eq, *v;
		size_t nlen, vlen;
		char *end;
		long num;

		for (s++; g_ascii_isspace(*s); s++)
			;
		name = s;
		while (*s && *s != '=' && *s != ';')
			s++;
		if (*s != '=')
			continue;
		eq = s;
		nlen = (size_t)(eq - name);
		while (nlen > 0 && g_ascii_isspace(name[nlen - 1]))
			nlen--;
		for (s++; g_ascii_isspace(*s); s++)
			;
		if (*s == '"') {
			v = ++s;
			while (*s && *s != '"')
				s += s[0] == '\\' && s[1] ? 2 : 1;
			vlen = (size_t)(s - v);
			if (*s == '"')
				s++;
		} else {
			v = s;
			while (*s && *s != ';' && !g_ascii_isspace(*s))
				s++;
			vlen = (size_t)(s - v);
		}
		while (*s && *s != ';')
			s++;
		if (nlen < klen + 2 || g_ascii_strncasecmp(name, key, klen) ||
		    name[klen] != '*' || !g_ascii_isdigit(name[klen + 1]))
			continue;
		num = strtol(name + klen + 1, &end, 10);
		if (end == name + nlen) {
			out[n++] = (struct mime_names_piece){num, 0, v, vlen};
		} else if (end + 1 == name + nlen && *end == '*') {
			out[n++] = (struct mime_names_piece){num, 1, v, vlen};
		}
	}
	return n;
}

/* mime_names_2231 - see mime_names.h */
const char *
mime_names_2231(struct pool *pool, const char *raw, const char *key)
{
	size_t max = 1, n, len = 0;
	struct mime_names_piece *pc;
	char *buf, *cs = NULL, *utf8 = NULL;
	const char *out;

	for (const char *c = raw; *c; c++)
		max += *c == ';';
	pc = g_new(struct mime_names_piece, max);
	if ((n = mime_names_params(raw, key, pc, max)) == 0) {
		g_free(pc);
		return NULL;
	}
	qsort(pc, n, sizeof(*pc), mime_names_cmp);
	buf = g_malloc(strlen(raw) + 1);
	for (size_t i = 0; i < n; i++) {
		const char *v = pc[i].v, *e = v + pc[i].len;

		/* The first piece, when encoded: charset'language'value. */
		if (i == 0 && pc[i].extended) {
			const char *q1 = memchr(v, '\'', pc[i].len), *q2;

			if (q1 && (q2 = memchr(q1 + 1, '\'', e - q1 - 1))) {
				cs = g_strndup(v, (gsize)(q1 - v));
				v = q2 + 1;
			}
		}
		while (v < e) {
			if (pc[i].extended && v[0] == '%' && e - v >= 3 &&
			    g_ascii_isxdigit(v[1]) && g_ascii_isxdigit(v[2])) {
				buf[len++] = (char)(hex_value(v[1]) << 4 |
						    hex_value(v[2]));
				v += 3;
			} else {
				if (!pc[i].extended && v[0] == '\\' &&
				    v + 1 < e)
					v++;
				buf[len++] = *v++;
			}
		}
	}
	if (cs && *cs)
		utf8 = g_convert(buf, (gssize)len, "UTF-8", cs, NULL, NULL,
				 NULL);
	if (utf8 == NULL)
		buf[len] = '\0';
	out = *(utf8 ? utf8 : buf) ? pool_strdup(pool, utf8 ? utf8 : buf)
				   : NULL;
	g_free(utf8);
	g_free(cs);
	g_free(buf);
	g_free(pc);
	return out;
}

/* mime_names_add - a name, unless empty or given already */
static void
mime_names_add(struct pool *pool, const char **out, size_t *n, const char *v)
{
	if (v == NULL || *v == '\0')
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(out[i], v) == 0)
			return;
	out[(*n)++] = pool_strdup(pool, v);
}

/* The parameters that name a part's file, in either field. */
const char *const mime_names_keys[] = {"filename", "name", NULL};

/* The fields whose whole value names a part's file. */
const char *const mime_names_fields[MIME_NAMES_FIELDS + 1] = {
	"Content-Name", "X-Sun-Data-Name", NULL};

/* mime_names_text - see mime_names.h */
const char *
mime_names_text(struct pool *pool, const char *raw)
{
	char *dec = g_mime_utils_header_decode_text(NULL, raw);
	const char *s = dec, *out = NULL;
	size_t len;

	if (dec == NULL)
		return NULL;
	while (g_ascii_isspace(*s))
		s++;
	for (len = strlen(s); len > 0 && g_ascii_isspace(s[len - 1]); len--)
		;
	if (len > 0)
		out = pool_strndup(pool, s, len);
	g_free(dec);
	return out;
}

/* mime_names_is_field - is a field one of mime_names_fields? */
static int
mime_names_is_field(const char *name)
{
	for (size_t i = 0; mime_names_fields[i]; i++)
		if (g_ascii_strcasecmp(name, mime_names_fields[i]) == 0)
			return 1;
	return 0;
}

/*
 * mime_names_fields_add - the names of the Content-Name and
 * X-Sun-Data-Name fields of hl, added to out while *n < max
 */
static void
mime_names_fields_add(struct pool *pool, GMimeHeaderList *hl, const char **out,
		      size_t *n, size_t max)
{
	int nh = hl ? g_mime_header_list_get_count(hl) : 0;

	for (int j = 0; j < nh; j++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, j);
		const char *raw = g_mime_header_get_raw_value(h);

		if (raw && mime_names_is_field(g_mime_header_get_name(h)) &&
		    *n < max)
			mime_names_add(pool, out, n,
				       mime_names_text(pool, raw));
	}
}

/* mime_names - see mime_names.h */
size_t
mime_names(struct pool *pool, void *object, const char ***names)
{
	GMimeObject *obj = GMIME_OBJECT(object);
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(
		obj);
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	GMimeParamList *lists[] = {
		cd ? g_mime_content_disposition_get_parameters(cd) : NULL,
		g_mime_content_type_get_parameters(
			g_mime_object_get_content_type(obj))};
	static const char *const fields[] = {"Content-Disposition",
					     "Content-Type"};
	/* Which field's which parameter, in this order: filename= of
	 * Content-Disposition, name= of Content-Type (what mail programs
	 * read first), then the other way round (what some read too). */
	static const struct {
		int field;
		int key;
	} order[] = {{0, 0}, {1, 1}, {1, 0}, {0, 1}};
	int nh = hl ? g_mime_header_list_get_count(hl) : 0;
	const char **out;
	size_t max = 2 * (size_t)nh, n = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(lists); i++)
		max += lists[i] ? (size_t)g_mime_param_list_length(lists[i])
				: 0;
	out = pool_alloc(pool, (max + 1) * sizeof(*out));
	for (size_t o = 0; o < G_N_ELEMENTS(order); o++) {
		GMimeParamList *list = lists[order[o].field];
		const char *key = mime_names_keys[order[o].key];

		for (int j = 0; list && j < g_mime_param_list_length(list);
		     j++) {
			GMimeParam *pa = g_mime_param_list_get_parameter_at(
				list, j);

			if (g_ascii_strcasecmp(g_mime_param_get_name(pa),
					       key) == 0)
				mime_names_add(pool, out, &n,
					       g_mime_param_get_value(pa));
		}
		/* RFC 2231 continuations as they should be read (GMime:
		 * mime_names.h), from each such field of the part. */
		for (int j = 0; j < nh; j++) {
			GMimeHeader *h = g_mime_header_list_get_header_at(hl,
									  j);
			const char *raw = g_mime_header_get_raw_value(h);

			if (raw &&
			    g_ascii_strcasecmp(g_mime_header_get_name(h),
					       fields[order[o].field]) == 0 &&
			    n < max)
				mime_names_add(pool, out, &n,
					       mime_names_2231(pool, raw, key));
		}
	}
	/* Content-Name, X-Sun-Data-Name: Thunderbird names a part by them
	 * when it has no other name. */
	mime_names_fields_add(pool, hl, out, &n, max);
	*names = out;
	return n;
}

/* mime_names_message - see mime_names.h */
size_t
mime_names_message(struct pool *pool, void *message, const char ***names,
		   size_t n)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(
		GMIME_OBJECT(message));
	int nh = hl ? g_mime_header_list_get_count(hl) : 0;
	const char **out = pool_alloc(pool,
				      (n + (size_t)nh + 1) * sizeof(*out));

	memcpy(out, *names, n * sizeof(*out));
	mime_names_fields_add(pool, hl, out, &n, n + (size_t)nh);
	*names = out;
	return n;
}
