/* Helpers of the provider seam (provider.h): status names, notes of skipped items, the page and
 * secret a step hands back, request clean-up. The items' own helpers are in core/items.c. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "providers/provider.h"

const char *prov_status_str(enum prov_status s)
{
	switch (s) {
	case PROV_OK: return "ok";
	case PROV_TEMP: return "temporary failure";
	case PROV_RATE: return "rate limited";
	case PROV_AUTH: return "login refused, re-link needed";
	case PROV_CURSOR: return "sync cursor refused";
	case PROV_PERM: return "permanent failure";
	}
	return "unknown";
}

void prov_skipped(struct step_out *o)
{
	if (o)
		o->skipped++;
}

static int dup_or_null(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -1 : 0;
}

int prov_skip_note(struct step_out *o, const struct skipped_item *it)
{
	if (!o || !it->provider_id)
		return -1;
	struct skipped_item *n = skipped_list_add(&o->skips);
	if (!n)
		return -1;
	n->kind = it->kind;
	n->reason = it->reason;
	n->item_at = it->item_at;
	if (dup_or_null(&n->provider_id, it->provider_id) || dup_or_null(&n->item_id, it->item_id) ||
	    dup_or_null(&n->from_email, it->from_email) ||
	    dup_or_null(&n->addresses, it->addresses) || dup_or_null(&n->subject, it->subject) ||
	    dup_or_null(&n->detail, it->detail)) {
		o->skips.n--;
		free(n->provider_id);
		free(n->item_id);
		free(n->from_email);
		free(n->addresses);
		free(n->subject);
		free(n->detail);
		return -1;
	}
	return 0;
}

void prov_skip_broken(struct step_out *o, enum skip_kind kind, const char *provider_id,
    int64_t at, const char *why)
{
	prov_skipped(o);
	struct skipped_item it = { .kind = kind, .reason = SKIP_UNPARSABLE,
	    .provider_id = (char *)provider_id, .item_at = at, .detail = (char *)why };
	if (provider_id)
		prov_skip_note(o, &it);
}

void prov_skip_event(struct step_out *o, const struct sync_event *e, const char *provider_id,
    enum skip_reason r)
{
	const char **emails = calloc(e->n_attendees + 1, sizeof *emails);
	if (!emails || !provider_id) {
		free(emails);
		return;
	}
	emails[0] = e->organizer.email;
	for (size_t i = 0; i < e->n_attendees; i++)
		emails[i + 1] = e->attendees[i].who.email;
	struct skipped_item it = { .kind = SKIP_EVENT, .reason = r,
	    .provider_id = (char *)provider_id, .item_id = e->uid, .item_at = e->start,
	    .from_email = e->organizer.email, .subject = e->title };
	it.addresses = skipped_addresses(emails, e->n_attendees + 1);
	if (it.addresses)
		prov_skip_note(o, &it);
	free(it.addresses);
	free(emails);
}

void prov_failed(struct step_out *o, const char *why)
{
	if (!o || !why || !*why)
		return;
	char *d = strdup(why);
	if (d) {
		free(o->failed);
		o->failed = d;
	}
}

void event_list_drop_ended(struct event_list *l, size_t from, int64_t t, struct step_out *o,
    const char *provider_id)
{
	size_t k = from;
	for (size_t i = from; i < l->n; i++) {
		struct sync_event *e = &l->v[i];
		if (!e->deleted && !e->recurrence_id && e->start + (int64_t)e->duration_min * 60 < t) {
			if (o)
				prov_skip_event(o, e, provider_id, SKIP_OLDER);
			event_free(e);
			continue;
		}
		if (k != i)
			l->v[k] = *e;
		k++;
	}
	l->n = k;
}

void http_req_clear(struct http_req *r)
{
	if (!r)
		return;
	free(r->url);
	if (r->headers)
		for (char **h = r->headers; *h; h++)
			free(*h);
	free(r->headers);
	free(r->body);
	free(r->userpwd);
	memset(r, 0, sizeof *r);
}

int64_t prov_now(const struct prov_link *l)
{
	return l && l->now ? l->now : (int64_t)time(NULL);
}

/* Move the elements of from onto the end of to; from is emptied. 0 or -1. */
static int take_items(void **to_v, size_t *to_n, size_t *to_cap, void **from_v, size_t *from_n,
    size_t *from_cap, size_t size)
{
	if (!*from_n) {
		free(*from_v);
		*from_v = NULL;
		*from_cap = 0;
		return 0;
	}
	if (!*to_n) {
		free(*to_v);
		*to_v = *from_v;
		*to_n = *from_n;
		*to_cap = *from_cap;
	} else {
		void *v = realloc(*to_v, (*to_n + *from_n) * size);
		if (!v)
			return -1;
		memcpy((char *)v + *to_n * size, *from_v, *from_n * size);
		*to_v = v;
		*to_n += *from_n;
		*to_cap = *to_n;
		free(*from_v);
	}
	*from_v = NULL;
	*from_n = *from_cap = 0;
	return 0;
}

int step_out_page(struct step_out *o, enum stream s, struct msg_list *m, struct event_list *e,
    const char *cursor)
{
	if (o->has_page && o->stream != s)
		return -1;
	char *c = cursor ? strdup(cursor) : NULL;
	if (cursor && !c)
		return -1;
	if ((m && take_items((void **)&o->msgs.v, &o->msgs.n, &o->msgs.cap, (void **)&m->v, &m->n,
	    &m->cap, sizeof *m->v) < 0) || (e && take_items((void **)&o->events.v, &o->events.n,
	    &o->events.cap, (void **)&e->v, &e->n, &e->cap, sizeof *e->v) < 0)) {
		free(c);
		return -1;
	}
	if (c) {
		free(o->cursor);
		o->cursor = c;
	}
	o->has_page = 1;
	o->stream = s;
	return 0;
}

int step_out_secret(struct step_out *o, const char *secret_json)
{
	char *s = strdup(secret_json);
	if (!s)
		return -1;
	free(o->secret);
	o->secret = s;
	return 0;
}

void step_out_clear(struct step_out *o)
{
	msg_list_free(&o->msgs);
	event_list_free(&o->events);
	free(o->cursor);
	free(o->secret);
	free(o->failed);
	skipped_list_free(&o->skips);
	link_cal_list_free(&o->cals);
	*o = (struct step_out){ 0 };
}
