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
	addr_list_free(v, n);
}

int compose_addrs_parse(const char *text, struct addr **out, size_t *n, char *bad, size_t badlen)
{
	return addr_list_parse(text, COMPOSE_MAX_ADDRS, out, n, bad, badlen);
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
