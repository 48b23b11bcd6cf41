/* The blocklist's patterns and its one matcher (see core/blocklist.h). */
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/blocklist.h"

struct block *blocklist_add(struct blocklist *l, enum block_kind kind, const char *pattern)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		struct block *nv = realloc(l->v, ncap * sizeof *nv);
		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = ncap;
	}
	struct block *b = &l->v[l->n];
	memset(b, 0, sizeof *b);
	if (!(b->pattern = strdup(pattern)))
		return NULL;
	b->kind = kind;
	l->n++;
	return b;
}

void blocklist_free(struct blocklist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].pattern);
		free(l->v[i].created_by_email);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* 1 when s is a domain name: dot-separated labels of letters, digits, '-' (or UTF-8 bytes),
 * none empty nor starting or ending with '-', at least two of them. */
static int is_domain(const char *s)
{
	int labels = 0;
	size_t len = 0;
	for (const char *p = s;; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '.' || ch == '\0') {
			if (len == 0 || p[-1] == '-')
				return 0;
			labels++;
			len = 0;
			if (ch == '\0')
				break;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch >= 0x80 ||
		    (ch == '-' && len > 0)))
			return 0;
		len++;
	}
	return labels >= 2;
}

int blocklist_pattern(const char *text, char *out, size_t size, enum block_kind *kind)
{
	if (!text || !addr_normalize(text, out, size))
		return -1;
	const char *s = out;
	if (strncmp(s, "*.", 2) == 0)
		s += 2;
	else if (*s == '@')
		s++;
	if (s != out)
		memmove(out, s, strlen(s) + 1);
	const char *at = strrchr(out, '@');
	if (at) {
		*kind = BLOCK_ADDRESS;
		return at > out && addr_valid(out) && is_domain(at + 1) ? 0 : -1;
	}
	*kind = BLOCK_DOMAIN;
	return is_domain(out) ? 0 : -1;
}

/* 1 when domain is pattern or ends in "." pattern. */
static int domain_under(const char *domain, const char *pattern)
{
	size_t d = strlen(domain), p = strlen(pattern);
	if (d < p || strcmp(domain + (d - p), pattern) != 0)
		return 0;
	return d == p || domain[d - p - 1] == '.';
}

const struct block *blocklist_match(const struct blocklist *l, const char *address)
{
	char norm[320];
	if (!l || !l->n || !address || !addr_normalize(address, norm, sizeof norm))
		return NULL;
	const char *at = strrchr(norm, '@');
	for (size_t i = 0; i < l->n; i++) {
		const struct block *b = &l->v[i];
		if (b->kind == BLOCK_ADDRESS ? strcmp(norm, b->pattern) == 0 :
		    at && domain_under(at + 1, b->pattern))
			return b;
	}
	return NULL;
}

const char *block_kind_name(enum block_kind k)
{
	return k == BLOCK_DOMAIN ? "domain" : "address";
}
