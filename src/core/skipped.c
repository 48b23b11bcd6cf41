/* Reasons an item was not imported, in codes and in words, and the list of such items. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/skipped.h"

static const char *const codes[SKIP_NREASONS] = {
	"no_contact", "colleagues", "older", "duplicate", "unparsable", "blocked",
};
static const char *const words[SKIP_NREASONS] = {
	"No contact in the CRM for any address",
	"Only CRM users take part (colleague-only)",
	"Older than the sync start date",
	"Another copy of it is already imported",
	"Could not be read",
	"Blocked: an address or domain on a blocklist takes part",
};

const char *skip_reason_code(enum skip_reason r)
{
	return (unsigned)r < SKIP_NREASONS ? codes[r] : "unknown";
}

int skip_reason_parse(const char *code)
{
	for (int i = 0; code && i < SKIP_NREASONS; i++)
		if (strcmp(code, codes[i]) == 0)
			return i;
	return -1;
}

const char *skip_reason_words(enum skip_reason r)
{
	return (unsigned)r < SKIP_NREASONS ? words[r] : "Not imported";
}

const char *skip_kind_name(enum skip_kind k)
{
	return k == SKIP_EVENT ? "event" : "mail";
}

struct skipped_item *skipped_list_add(struct skipped_list *l)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		struct skipped_item *nv = realloc(l->v, ncap * sizeof *nv);
		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = ncap;
	}
	struct skipped_item *it = &l->v[l->n++];
	memset(it, 0, sizeof *it);
	return it;
}

void skipped_list_free(struct skipped_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct skipped_item *it = &l->v[i];
		free(it->provider_id);
		free(it->item_id);
		free(it->from_email);
		free(it->addresses);
		free(it->subject);
		free(it->detail);
		free(it->link_address);
		free(it->user_email);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

char *skipped_addresses(const char *const *emails, size_t n)
{
	size_t cap = 2, len = 1;
	for (size_t i = 0; i < n; i++)
		cap += emails[i] ? strlen(emails[i]) + 1 : 0;
	char *out = malloc(cap), norm[320], key[330];
	if (!out)
		return NULL;
	out[0] = ' ';
	out[1] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!emails[i] || !addr_normalize(emails[i], norm, sizeof norm) || !addr_valid(norm))
			continue;
		snprintf(key, sizeof key, " %s ", norm);
		size_t k = strlen(norm);
		if (strstr(out, key) || len + k + 1 >= cap)
			continue;
		memcpy(out + len, norm, k);
		len += k;
		out[len++] = ' ';
		out[len] = '\0';
	}
	if (len == 1)
		out[0] = '\0';
	return out;
}
