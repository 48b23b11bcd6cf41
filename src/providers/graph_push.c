/* Microsoft Graph pushes: events create (transactionId) / PATCH / DELETE and sendMail of the
 * raw MIME message, as requests and answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "providers/api_push.h"
#include "providers/graph.h"
#include "providers/json_util.h"

static json_t *gtime(const struct sync_event *e, int64_t t)
{
	char s[21];
	if (e->all_day) {
		api_push_date(t, s);
		strcat(s, "T00:00:00");
	} else {
		api_push_iso(t, 1, s);
	}
	return json_pack("{s:s, s:s}", "dateTime", s, "timeZone", "UTC");
}

char *graph_event_body(const struct sync_event *e, const char *transaction_id)
{
	json_t *o = json_object(), *atts = json_array();
	int64_t dur = (int64_t)(e->duration_min > 0 ? e->duration_min : e->all_day ? 1440 : 30) * 60;
	char *s = NULL;

	if (!o || !atts)
		goto out;
	if (transaction_id)
		json_object_set_new(o, "transactionId", json_string(transaction_id));
	json_object_set_new(o, "subject", json_string(e->title ? e->title : ""));
	json_object_set_new(o, "body", json_pack("{s:s, s:s}", "contentType", "text", "content",
	    e->description ? e->description : ""));
	json_object_set_new(o, "location", json_pack("{s:s}", "displayName", e->location ? e->location : ""));
	json_object_set_new(o, "isAllDay", json_boolean(e->all_day));
	json_object_set_new(o, "start", gtime(e, e->start));
	json_object_set_new(o, "end", gtime(e, e->start + dur));
	for (size_t i = 0; i < e->n_attendees; i++) {
		const struct addr *a = &e->attendees[i].who;
		if (a->email)
			json_array_append_new(atts, json_pack("{s:{s:s, s:s}, s:s}", "emailAddress", "address",
			    a->email, "name", a->name ? a->name : a->email, "type", "required"));
	}
	json_object_set(o, "attendees", atts);
	s = json_dumps(o, JSON_COMPACT);
out:
	json_decref(o);
	json_decref(atts);
	return s;
}

static char *event_url(const struct prov_link *l, const char *id)
{
	char *u = NULL, *eid = id ? ju_urlenc(id) : NULL;
	if ((!id || eid) && asprintf(&u, "%s/me/events%s%s", l->cfg->api_base, eid ? "/" : "",
	    eid ? eid : "") < 0)
		u = NULL;
	free(eid);
	return u;
}

int graph_push_req(const struct prov_link *l, const struct push_item *it, struct http_req *req,
    char *err, size_t errlen)
{
	char *url = NULL, *body = NULL, ifm[300];

	memset(req, 0, sizeof *req);
	if (!l->cfg || !l->cfg->api_base) {
		snprintf(err, errlen, "microsoft endpoints are not configured");
		return PROV_PERM;
	}
	switch (it->kind) {
	case PUSH_EVENT_CREATE:
	case PUSH_EVENT_UPDATE: {
		int create = it->kind == PUSH_EVENT_CREATE;
		if (!it->event || (create ? !it->idempotency_key : !it->provider_id))
			break;
		url = event_url(l, create ? NULL : it->provider_id);
		body = graph_event_body(it->event, create ? it->idempotency_key : NULL);
		if (!url || !body || ju_send(req, create ? "POST" : "PATCH", url, body, NULL) != STEP_MORE) {
			free(url);
			free(body);
			return PROV_TEMP;
		}
		snprintf(ifm, sizeof ifm, "If-Match: %s", it->etag ? it->etag : "");
		return !create && it->etag && ju_add_header(req, ifm) < 0 ? PROV_TEMP : STEP_MORE;
	}
	case PUSH_EVENT_DELETE:
		if (!it->provider_id)
			break;
		url = event_url(l, it->provider_id);
		return url ? ju_send(req, "DELETE", url, NULL, NULL) : PROV_TEMP;
	case PUSH_MAIL_SEND:
		if (it->raw && it->raw_len > GRAPH_SEND_RAW_MAX) {
			snprintf(err, errlen, "microsoft: the message with its attachments is %zu KB; "
			    "sendMail takes at most %d KB (large attachments need an upload session, "
			    "which is not made)", it->raw_len / 1024, GRAPH_SEND_RAW_MAX / 1024);
			return PROV_PERM;
		}
		if (!it->raw || asprintf(&url, "%s/me/sendMail", l->cfg->api_base) < 0)
			break;
		body = api_push_b64(it->raw, it->raw_len, 0);
		return body ? ju_send(req, "POST", url, body, "text/plain") : (free(url), PROV_TEMP);
	default:
		snprintf(err, errlen, "microsoft: this push is not supported");
		return PROV_PERM;
	}
	snprintf(err, errlen, "microsoft: the outgoing item lacks what it needs");
	return PROV_PERM;
}

int graph_push_ok(struct api_push *ap, const struct http_resp *resp, json_t *j)
{
	const char *id = ju_str(j, "id"), *etag = ju_str(j, "@odata.etag");
	(void)resp;
	if (ap->it->kind == PUSH_EVENT_DELETE || ap->it->kind == PUSH_MAIL_SEND)
		return 0;   /* sendMail answers 202 without a body */
	if (!id && ap->it->kind == PUSH_EVENT_UPDATE)
		id = ap->it->provider_id;
	ap->res->provider_id = id ? strdup(id) : NULL;
	ap->res->etag = etag ? strdup(etag) : NULL;
	const char *uid = ju_str(j, "uid") ? ju_str(j, "uid") : ju_str(j, "iCalUId");
	ap->res->uid = uid && *uid ? strdup(uid) : NULL;
	return id ? 0 : -1;
}
