/* Lifetime helpers for the items a sync produces (core/items.h): freeing messages and events,
 * growing the lists a page of them comes in, clearing a webhook subscription. */
#include <stdlib.h>
#include <string.h>

#include "core/items.h"

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
	for (size_t i = 0; i < m->n_attachments; i++) {
		free(m->attachments[i].name);
		free(m->attachments[i].media_type);
		free(m->attachments[i].content_id);
		free(m->attachments[i].data);
	}
	free(m->attachments);
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

void subscription_clear(struct subscription *s)
{
	if (!s)
		return;
	free(s->channel_id);
	free(s->resource_id);
	free(s->token);
	memset(s, 0, sizeof *s);
}
