/* Lifetime helpers for the internal message and event shapes shared by every provider. */
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

static void addr_free(struct addr *a)
{
	free(a->name);
	free(a->email);
}

static void addrs_free(struct addr *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		addr_free(&v[i]);
	free(v);
}

void msg_free(struct sync_msg *m)
{
	if (!m)
		return;
	free(m->provider_id);
	free(m->message_id);
	free(m->in_reply_to);
	for (size_t i = 0; i < m->n_references; i++)
		free(m->references[i]);
	free(m->references);
	free(m->subject);
	addr_free(&m->from);
	addrs_free(m->to, m->n_to);
	addrs_free(m->cc, m->n_cc);
	free(m->body_text);
	free(m->body_html_safe);
	memset(m, 0, sizeof *m);
}

void event_free(struct sync_event *e)
{
	if (!e)
		return;
	free(e->provider_id);
	free(e->uid);
	free(e->recurrence_id);
	free(e->etag);
	free(e->tzid);
	free(e->title);
	free(e->location);
	free(e->description);
	addr_free(&e->organizer);
	for (size_t i = 0; i < e->n_attendees; i++) {
		addr_free(&e->attendees[i].who);
		free(e->attendees[i].partstat);
	}
	free(e->attendees);
	memset(e, 0, sizeof *e);
}

/* Grow *v (of elem-sized items) so one more fits; returns the new zeroed slot or NULL. */
static void *grow(void **v, size_t *n, size_t *cap, size_t elem)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		void *nv = realloc(*v, ncap * elem);
		if (!nv)
			return NULL;
		*v = nv;
		*cap = ncap;
	}
	char *slot = (char *)*v + (*n)++ * elem;
	memset(slot, 0, elem);
	return slot;
}

struct sync_msg *msg_list_add(struct msg_list *l)
{
	return grow((void **)&l->v, &l->n, &l->cap, sizeof *l->v);
}

struct sync_event *event_list_add(struct event_list *l)
{
	return grow((void **)&l->v, &l->n, &l->cap, sizeof *l->v);
}

void msg_list_free(struct msg_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		msg_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

void event_list_free(struct event_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		event_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

void event_list_drop_ended(struct event_list *l, size_t from, int64_t t)
{
	size_t k = from;
	for (size_t i = from; i < l->n; i++) {
		struct sync_event *e = &l->v[i];
		if (!e->deleted && !e->recurrence_id && e->start + (int64_t)e->duration_min * 60 < t) {
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

void subscription_clear(struct subscription *s)
{
	if (!s)
		return;
	free(s->channel_id);
	free(s->resource_id);
	free(s->token);
	memset(s, 0, sizeof *s);
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
	*o = (struct step_out){ 0 };
}
