/* Pure text work of the compose form: typed address lists, reply subject, quote, References. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/addr.h"
#include "web/compose_text.h"

void compose_addrs_free(struct addr *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].email);
	}
	free(v);
}

/* s[0..n) without surrounding blanks and one pair of surrounding double quotes; malloc'd. */
static char *trimmed(const char *s, size_t n, int unquote)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (unquote && n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	return strndup(s, n);
}

/* One item "x@y" or "Name <x@y>" into *a. Returns 0, or -1 when it is not an address. */
static int parse_item(const char *s, size_t n, struct addr *a)
{
	char email[320];
	const char *lt = NULL, *gt = NULL;
	int q = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			q = !q;
		else if (!q && s[i] == '<' && !lt)
			lt = s + i;
		else if (!q && s[i] == '>' && lt && !gt)
			gt = s + i;
	}
	char *raw = lt ? (gt ? trimmed(lt + 1, (size_t)(gt - lt - 1), 0) : NULL) : trimmed(s, n, 0);
	if (!raw)
		return -1;
	if (lt) {
		/* nothing but blanks may follow the '>' */
		for (const char *p = gt + 1; p < s + n; p++)
			if (!isspace((unsigned char)*p))
				goto bad;
	}
	if (!addr_normalize(raw, email, sizeof email) || !addr_valid(email))
		goto bad;
	a->email = strdup(email);
	a->name = lt ? trimmed(s, (size_t)(lt - s), 1) : NULL;
	if (a->name && !*a->name) {
		free(a->name);
		a->name = NULL;
	}
	free(raw);
	return a->email ? 0 : -1;
bad:
	free(raw);
	return -1;
}

int compose_addrs_parse(const char *text, struct addr **out, size_t *n, char *bad, size_t badlen)
{
	struct addr *v = NULL;
	size_t count = 0;
	*out = NULL;
	*n = 0;
	if (bad && badlen)
		bad[0] = '\0';
	if (!text)
		return 0;
	size_t len = strlen(text), start = 0;
	int q = 0, angle = 0;
	for (size_t i = 0; i <= len; i++) {
		char ch = text[i];
		if (ch == '"' && !angle)
			q = !q;
		else if (ch == '<' && !q)
			angle = 1;
		else if (ch == '>' && !q)
			angle = 0;
		if (ch && (q || angle || (ch != ',' && ch != ';')))
			continue;
		const char *item = text + start;
		size_t ilen = i - start;
		start = i + 1;
		size_t k = 0;
		while (k < ilen && isspace((unsigned char)item[k]))
			k++;
		if (k == ilen)
			continue;
		if (count == COMPOSE_MAX_ADDRS || !v) {
			if (count == COMPOSE_MAX_ADDRS) {
				snprintf(bad, badlen, "more than %d addresses", COMPOSE_MAX_ADDRS);
				goto fail;
			}
			if (!(v = calloc(COMPOSE_MAX_ADDRS, sizeof *v)))
				goto fail;
		}
		if (parse_item(item, ilen, &v[count]) != 0) {
			char *t = trimmed(item, ilen, 0);
			snprintf(bad, badlen, "%s", t ? t : "");
			free(t);
			goto fail;
		}
		count++;
	}
	*out = v;
	*n = count;
	return 0;
fail:
	compose_addrs_free(v, COMPOSE_MAX_ADDRS);
	return -1;
}

char *compose_reply_subject(const char *subject)
{
	const char *s = subject ? subject : "";
	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (strncasecmp(s, "re:", 3) == 0)
			s += 3;
		else
			break;
	}
	char *out = NULL;
	return asprintf(&out, "Re: %s", s) < 0 ? NULL : out;
}

char *compose_quote(const char *intro, const char *body)
{
	char *out = NULL;
	size_t len = 0;
	const char *b = body ? body : "";
	size_t blen = strlen(b);
	while (blen && (b[blen - 1] == '\n' || b[blen - 1] == '\r'))
		blen--;   /* no empty quoted lines at the end */
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	fprintf(f, "\n\n%s\n> ", intro ? intro : "");
	for (size_t i = 0; i < blen; i++) {
		if (b[i] == '\r' && i + 1 < blen && b[i + 1] == '\n')
			continue;
		if (b[i] == '\r' || b[i] == '\n')
			fputs("\n> ", f);
		else
			fputc(b[i], f);
	}
	fputc('\n', f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

char *compose_refs(const char *refs, const char *parent_id, const char **v, size_t max,
    size_t *n)
{
	*n = 0;
	size_t rl = refs ? strlen(refs) : 0, pl = parent_id ? strlen(parent_id) : 0;
	char *buf = malloc(rl + pl + 2);
	if (!buf || max == 0)
		return buf;
	snprintf(buf, rl + pl + 2, "%s %s", refs ? refs : "", parent_id ? parent_id : "");
	size_t count = 0;
	for (char *save = NULL, *t = strtok_r(buf, " \t\r\n", &save); t;
	    t = strtok_r(NULL, " \t\r\n", &save)) {
		compose_bare_id(t);
		if (!*t)
			continue;
		if (count < max) {
			v[count++] = t;
			continue;
		}
		/* full: keep the first, drop the second, shift, and append */
		if (max > 1) {
			memmove(&v[1], &v[2], (max - 2) * sizeof *v);
			v[max - 1] = t;
		}
	}
	*n = count;
	return buf;
}

char *compose_bare_id(char *s)
{
	if (!s)
		return s;
	size_t n = strlen(s), i = 0;
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	while (n > i && isspace((unsigned char)s[n - 1]))
		n--;
	if (n - i >= 2 && s[i] == '<' && s[n - 1] == '>') {
		i++;
		n--;
	}
	memmove(s, s + i, n - i);
	s[n - i] = '\0';
	return s;
}
