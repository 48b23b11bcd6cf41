/* SQLite's placeholders in PostgreSQL's form, kept apart from the engine so the rewriting is
 * tested without a server. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db_pg_sql.h"

#define PG_MAX_PARAM 32766       /* SQLite's highest parameter number */

static int ident_char(int c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* The end of the quoted text starting at p (a ' or "); a doubled quote stays inside, and so
 * does a backslash-escaped one in an E'' string. */
static const char *quoted_end(const char *p, int backslash)
{
	char q = *p++;
	for (; *p; p++) {
		if (backslash && *p == '\\' && p[1])
			p++;
		else if (*p == q && p[1] == q)
			p++;
		else if (*p == q)
			return p + 1;
	}
	return p;
}

/* The end of a $tag$ ... $tag$ string starting at p, or NULL when p starts none. */
static const char *dollar_end(const char *p)
{
	const char *t = p + 1;
	if (isdigit((unsigned char)*t))
		return NULL;
	while (*t && *t != '$' && ident_char((unsigned char)*t))
		t++;
	if (*t != '$')
		return NULL;
	size_t taglen = (size_t)(t + 1 - p);
	for (const char *e = t + 1; (e = strchr(e, '$')); e++)
		if (strncmp(e, p, taglen) == 0)
			return e + taglen;
	return p + strlen(p);
}

int db_pg_rewrite(const char *sql, char **out, int *nparams, unsigned char **used, int *multi)
{
	size_t len = strlen(sql);
	char *o = malloc(len * 7 + 1), *w = o;   /* "?" becomes at most " $32766" */
	unsigned char *u = NULL;
	int max = 0;
	if (!o)
		return -1;
	*multi = 0;
	for (const char *p = sql; *p;) {
		const char *e = NULL;
		unsigned char c = (unsigned char)*p;
		if (c == '\'' || c == '"')
			e = quoted_end(p, 0);
		else if ((c == 'E' || c == 'e') && p[1] == '\'')
			e = quoted_end(p + 1, 1);
		else if (c == '-' && p[1] == '-')
			e = p + strcspn(p, "\n");
		else if (c == '/' && p[1] == '*')
			e = (e = strstr(p + 2, "*/")) ? e + 2 : p + strlen(p);
		else if (c == '$')
			e = dollar_end(p);
		else if (isalpha(c) || c == '_' || c >= 0x80)
			for (e = p; ident_char((unsigned char)*e); e++)
				;
		else if (c == ';' && p[1 + strspn(p + 1, " \t\r\n")])
			*multi = 1;
		if (e) {
			memcpy(w, p, (size_t)(e - p));
			w += e - p;
			p = e;
			continue;
		}
		if (c != '?' && !(c == '$' && isdigit((unsigned char)p[1]))) {
			*w++ = *p++;
			continue;
		}
		long n = max + 1;
		char *end;
		if (isdigit((unsigned char)*++p)) {
			n = strtol(p, &end, 10);
			p = end;
		}
		unsigned char *nu = n >= 1 && n <= PG_MAX_PARAM && n > max ? realloc(u, (size_t)n) : u;
		if (n < 1 || n > PG_MAX_PARAM || !nu) {
			free(u);
			free(o);
			return -1;
		}
		u = nu;
		for (; max < n; max++)
			u[max] = 0;
		u[n - 1] = 1;
		if (w > o && ident_char((unsigned char)w[-1]))
			*w++ = ' ';   /* a?1 would be the name a$1 */
		w += sprintf(w, "$%ld", n);
	}
	*w = '\0';
	char *shrunk = realloc(o, (size_t)(w - o) + 1);
	*out = shrunk ? shrunk : o;
	*nparams = max;
	*used = u;
	return 0;
}
