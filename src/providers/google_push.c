/* Google pushes: Calendar events.insert (client-chosen id) / patch / delete and Gmail
 * messages.send, as requests and answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "providers/api_push.h"
#include "providers/google.h"
#include "providers/json_util.h"

static json_t *gtime(const struct sync_event *e, int64_t t)
{
	char s[21];
	if (e->all_day) {
		api_push_date(t, s);
		return json_pack("{s:s}", "date", s);
	}
	api_push_iso(t, 0, s);
	return json_pack("{s:s, s:s}", "dateTime", s, "timeZone", e->tzid && *e->tzid ? e->tzid : "UTC");
}

char *google_event_body(const struct sync_event *e, const char *id, int sequence)
{
	json_t *o = json_object(), *atts = json_array();
	int64_t dur = (int64_t)(e->duration_min > 0 ? e->duration_min : e->all_day ? 1440 : 30) * 60;
	char *s = NULL;

	if (!o || !atts)
		goto out;
	if (id)
		json_object_set_new(o, "id", json_string(id));
	if (id && e->uid)
		json_object_set_new(o, "iCalUID", json_string(e->uid));
	json_object_set_new(o, "summary", json_string(e->title ? e->title : ""));
	json_object_set_new(o, "location", json_string(e->location ? e->location : ""));
	json_object_set_new(o, "description", json_string(e->description ? e->description : ""));
	json_object_set_new(o, "start", gtime(e, e->start));
	json_object_set_new(o, "end", gtime(e, e->start + dur));
	for (size_t i = 0; i < e->n_attendees; i++) {
		const struct addr *a = &e->attendees[i].who;
		if (!a->email)
			continue;
		json_t *x = json_pack("{s:s}", "email", a->email);
		if (x && a->name)
			json_object_set_new(x, "displayName", json_string(a->name));
		json_array_append_new(atts, x);
	}
	json_object_set(o, "attendees", atts);
	if (sequence > 0)
		json_object_set_new(o, "sequence", json_integer(sequence));
	s = json_dumps(o, JSON_COMPACT);
out:
	json_decref(o);
	json_decref(atts);
	return s;
}

/* URL of the primary calendar's event id (NULL id: the collection), with a query. */
static char *event_url(const struct prov_link *l, const char *id, const char *query)
{
	char *u = NULL, *eid = id ? ju_urlenc(id) : NULL;
	if ((!id || eid) && asprintf(&u, "%s/calendars/primary/events%s%s%s", l->cfg->calendar_base,
	    eid ? "/" : "", eid ? eid : "", query) < 0)
		u = NULL;
	free(eid);
	return u;
}

static char *send_body(const struct push_item *it)
{
	char *b64 = api_push_b64(it->raw, it->raw_len, 1), *s = NULL;
	json_t *o = b64 ? json_pack("{s:s}", "raw", b64) : NULL;
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	free(b64);
	return s;
}

int google_push_req(const struct prov_link *l, const struct push_item *it, struct http_req *req,
    char *err, size_t errlen)
{
	char *url = NULL, *body = NULL, *u = NULL, ifm[300];
	int rc;

	memset(req, 0, sizeof *req);
	if (!l->cfg || !l->cfg->api_base || !l->cfg->calendar_base) {
		snprintf(err, errlen, "google endpoints are not configured");
		return PROV_PERM;
	}
	switch (it->kind) {
	case PUSH_EVENT_CREATE:
		if (!it->event || !it->idempotency_key)
			break;
		url = event_url(l, NULL, "?sendUpdates=all");
		body = google_event_body(it->event, it->idempotency_key, it->sequence);
		return url && body ? ju_send(req, "POST", url, body, NULL) : (free(url), free(body), PROV_TEMP);
	case PUSH_EVENT_UPDATE:
		if (!it->event || !it->provider_id)
			break;
		url = event_url(l, it->provider_id, "?sendUpdates=all");
		body = google_event_body(it->event, NULL, it->sequence);
		if (!url || !body || ju_send(req, "PATCH", url, body, NULL) != STEP_MORE) {
			free(url);
			free(body);
			return PROV_TEMP;
		}
		snprintf(ifm, sizeof ifm, "If-Match: %s", it->etag ? it->etag : "");
		return it->etag && ju_add_header(req, ifm) < 0 ? PROV_TEMP : STEP_MORE;
	case PUSH_EVENT_DELETE:
		if (!it->provider_id)
			break;
		url = event_url(l, it->provider_id, "?sendUpdates=all");
		return url ? ju_send(req, "DELETE", url, NULL, NULL) : PROV_TEMP;
	case PUSH_MAIL_SEND:
		if (!it->raw || asprintf(&u, "%s/gmail/v1/users/me/messages/send", l->cfg->api_base) < 0)
			break;
		body = send_body(it);
		return body ? ju_send(req, "POST", u, body, NULL) : (free(u), PROV_TEMP);
	default:
		snprintf(err, errlen, "google: this push is not supported");
		return PROV_PERM;
	}
	rc = PROV_PERM;
	snprintf(err, errlen, "google: the outgoing item lacks what it needs");
	return rc;
}

int google_push_ok(struct api_push *ap, const struct http_resp *resp, json_t *j)
{
	const char *id = ju_str(j, "id"), *etag = ju_str(j, "etag");
	(void)resp;
	if (ap->it->kind == PUSH_EVENT_DELETE)
		return 0;
	if (!id && ap->it->kind == PUSH_EVENT_CREATE)
		id = ap->it->idempotency_key;   /* 409: an earlier attempt made it with our id */
	if (!id && ap->it->kind == PUSH_EVENT_UPDATE)
		id = ap->it->provider_id;
	ap->res->provider_id = id ? strdup(id) : NULL;
	ap->res->etag = etag ? strdup(etag) : NULL;
	return id || ap->it->kind == PUSH_MAIL_SEND ? 0 : -1;
}
