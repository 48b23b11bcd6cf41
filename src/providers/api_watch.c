/* Webhook subscriptions: Google Calendar watch channels (new channel, then stop the old one)
 * and Graph subscriptions (PATCH to renew, POST when there is none or it is gone). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "core/log.h"
#include "providers/api_watch.h"
#include "providers/json_util.h"
#include "providers/oauth.h"

enum st { ST_CREATE, ST_STOP, ST_PATCH };

struct api_watch {
	struct oauth_sess auth;
	const char *who;            /* "google" or "microsoft" */
	int google;
	int64_t link;
	enum stream s;
	struct subscription *sub;   /* borrowed from the engine */
	char *base;                 /* Google calendar base / Graph API base */
	char *notify_url;
	char *old_id, *old_resource;    /* Google: the channel to stop once replaced */
	int64_t asked_exp;
	enum st st;
	char *url;
};

void api_watch_free(struct api_watch *w)
{
	if (!w)
		return;
	oauth_sess_free(&w->auth);
	free(w->base);
	free(w->notify_url);
	free(w->old_id);
	free(w->old_resource);
	free(w->url);
	free(w);
}

/* ---- Pure parts -------------------------------------------------------------------------- */

void api_watch_uuid(char out[37])
{
	unsigned char b[16];
	randombytes_buf(b, sizeof b);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
	    b[14], b[15]);
}

char *google_watch_body(const char *channel_id, const char *address, const char *token,
    int64_t expires_at)
{
	char ms[32];
	snprintf(ms, sizeof ms, "%lld", (long long)expires_at * 1000);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", channel_id, "type", "web_hook",
	    "address", address, "token", token, "expiration", ms);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

char *graph_sub_body(enum stream s, const char *notify_url, const char *token, int64_t expires_at)
{
	char exp[21];
	ju_iso(expires_at, exp);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "changeType", "created,updated,deleted",
	    "notificationUrl", notify_url, "resource", s == STREAM_MAIL ?
	    "me/mailFolders('inbox')/messages" : "me/events", "expirationDateTime", exp,
	    "clientState", token);
	char *b = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return b;
}

/* Replace *slot with a copy of v (kept when v is NULL). Returns 0 or -1. */
static int set(char **slot, const char *v)
{
	char *c;
	if (!v || !*v)
		return 0;
	if (!(c = strdup(v)))
		return -1;
	free(*slot);
	*slot = c;
	return 0;
}

int google_watch_read(const json_t *j, int64_t asked_exp, struct subscription *sub)
{
	const json_t *e = json_object_get(j, "expiration");
	const char *id = ju_str(j, "id");
	long long ms = json_is_string(e) ? atoll(json_string_value(e)) :
	    json_is_integer(e) ? (long long)json_integer_value(e) : 0;
	if (!id || !*id || set(&sub->channel_id, id) < 0 ||
	    set(&sub->resource_id, ju_str(j, "resourceId")) < 0)
		return -1;
	sub->expires_at = ms > 0 ? ms / 1000 : asked_exp;
	return 0;
}

int graph_sub_read(const json_t *j, int64_t asked_exp, struct subscription *sub)
{
	const char *id = ju_str(j, "id"), *exp = ju_str(j, "expirationDateTime");
	int64_t t;
	if ((!id || !*id) && !sub->channel_id)
		return -1;
	if (set(&sub->channel_id, id) < 0)
		return -1;
	sub->expires_at = exp && ju_iso_time(exp, &t) == 0 ? t : asked_exp;
	return 0;
}

/* ---- Requests ---------------------------------------------------------------------------- */

static int send(struct api_watch *w, struct http_req *req, const char *method, char *url,
    char *body)
{
	struct http_req api;
	free(w->url);
	if (!url || !(w->url = strdup(url))) {
		w->url = NULL;
		free(url);
		free(body);
		return PROV_TEMP;
	}
	if (ju_send(&api, method, url, body, NULL) != STEP_MORE)
		return PROV_TEMP;
	return oauth_send(&w->auth, &api, req);
}

static int create(struct api_watch *w, struct http_req *req)
{
	char *url = NULL, *body, id[37];
	w->st = ST_CREATE;
	if (w->google) {
		w->asked_exp = (int64_t)time(NULL) + GOOGLE_WATCH_S;
		api_watch_uuid(id);
		body = google_watch_body(id, w->notify_url, w->sub->token, w->asked_exp);
		if (asprintf(&url, "%s/calendars/primary/events/watch", w->base) < 0)
			url = NULL;
	} else {
		w->asked_exp = (int64_t)time(NULL) + (int64_t)GRAPH_SUB_MIN * 60;
		body = graph_sub_body(w->s, w->notify_url, w->sub->token, w->asked_exp);
		if (asprintf(&url, "%s/subscriptions", w->base) < 0)
			url = NULL;
	}
	return send(w, req, "POST", url, body);
}

static int graph_patch(struct api_watch *w, struct http_req *req)
{
	char *url = NULL, *id = ju_urlenc(w->sub->channel_id), exp[21];
	json_t *o;
	char *body;

	w->st = ST_PATCH;
	w->asked_exp = (int64_t)time(NULL) + (int64_t)GRAPH_SUB_MIN * 60;
	ju_iso(w->asked_exp, exp);
	o = json_pack("{s:s}", "expirationDateTime", exp);
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!id || asprintf(&url, "%s/subscriptions/%s", w->base, id) < 0)
		url = NULL;
	free(id);
	return send(w, req, "PATCH", url, body);
}

static int google_stop(struct api_watch *w, struct http_req *req)
{
	char *url = NULL;
	json_t *o = json_pack("{s:s, s:s?}", "id", w->old_id, "resourceId", w->old_resource);
	char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	w->st = ST_STOP;
	if (asprintf(&url, "%s/channels/stop", w->base) < 0)
		url = NULL;
	return send(w, req, "POST", url, body);
}

int api_watch_begin(const char *provider, const struct prov_link *l, enum stream s,
    const char *notify_url, struct subscription *sub, struct api_watch **out)
{
	struct api_watch *w = NULL;
	int google = strcmp(provider, "google") == 0, rc = PROV_PERM;
	const char *base = !l->cfg ? NULL : google ? l->cfg->calendar_base : l->cfg->api_base;

	*out = NULL;
	if ((google && s != STREAM_EVENTS) || (!google && s != STREAM_MAIL && s != STREAM_EVENTS) ||
	    !base || !notify_url || !sub || !sub->token || !*sub->token)
		goto fail;
	rc = PROV_TEMP;
	if (!(w = calloc(1, sizeof *w)) || !(w->base = strdup(base)) ||
	    !(w->notify_url = strdup(notify_url)))
		goto fail;
	if (google && sub->channel_id && ((w->old_id = strdup(sub->channel_id)) == NULL ||
	    (sub->resource_id && !(w->old_resource = strdup(sub->resource_id)))))
		goto fail;
	w->who = google ? "google" : "microsoft";
	w->google = google;
	w->link = l->id;
	w->s = s;
	w->sub = sub;
	if ((rc = oauth_sess_init(&w->auth, w->who, l)) != PROV_OK)
		goto fail;
	*out = w;
	return PROV_OK;
fail:
	api_watch_free(w);
	return rc;
}

/* ---- Steps ------------------------------------------------------------------------------- */

static int on_made(struct api_watch *w, const struct http_resp *resp, struct http_req *req)
{
	json_t *j = ju_parse(resp, w->who, w->link, w->url);
	int rc = !j ? -1 : w->google ? google_watch_read(j, w->asked_exp, w->sub) :
	    graph_sub_read(j, w->asked_exp, w->sub);
	json_decref(j);
	if (rc < 0) {
		log_warnx("%s link %lld: %s: subscription answer without an id", w->who,
		    (long long)w->link, w->url ? w->url : "?");
		return PROV_TEMP;
	}
	log_info("%s link %lld: webhook %s %s until %lld", w->who, (long long)w->link,
	    w->sub->channel_id, w->st == ST_PATCH ? "renewed" : "created",
	    (long long)w->sub->expires_at);
	if (w->google && w->old_id && strcmp(w->old_id, w->sub->channel_id) != 0)
		return google_stop(w, req);
	return STEP_DONE;
}

int api_watch_step(struct api_watch *w, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	int rc;
	memset(req, 0, sizeof *req);
	if (!resp)
		return !w->google && w->sub->channel_id ? graph_patch(w, req) : create(w, req);
	if ((rc = oauth_answer(&w->auth, resp, req, so, retry_after)) != 0)
		return rc;
	if (w->st == ST_STOP) {
		if (resp->status < 200 || resp->status > 299)
			log_warnx("%s link %lld: stopping the old channel %s: HTTP %ld (it runs out by"
			    " itself)", w->who, (long long)w->link, w->old_id, resp->status);
		return STEP_DONE;
	}
	if (w->st == ST_PATCH && resp->status == 404) {
		log_info("%s link %lld: subscription %s is gone, creating a new one", w->who,
		    (long long)w->link, w->sub->channel_id);
		free(w->sub->channel_id);
		w->sub->channel_id = NULL;
		return create(w, req);
	}
	if ((rc = ju_http_class(resp, retry_after)) != 0) {
		log_warnx("%s link %lld: %s: HTTP %ld%s%s", w->who, (long long)w->link,
		    w->url ? w->url : "?", resp->status, resp->error ? ": " : "",
		    resp->error ? resp->error : "");
		return rc;
	}
	return on_made(w, resp, req);
}
