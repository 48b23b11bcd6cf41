/* Microsoft 365 provider: a step machine over Microsoft Graph mail delta + $value MIME and
 * calendarView delta, with OAuth token refresh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "core/log.h"
#include "core/tzwin.h"
#include "providers/api_fetch.h"
#include "providers/api_folder.h"
#include "providers/api_push.h"
#include "providers/api_watch.h"
#include "providers/graph.h"
#include "providers/json_util.h"
#include "providers/mime.h"
#include "providers/oauth.h"

#define WHO "microsoft"
#define PAGE 50
#define WINDOW_DAYS 365
#define STEP_DAYS 30            /* the window restarts once its end is this much nearer */

enum st { ST_DELTA, ST_VALUE, ST_EVENTS, ST_MASTER };

static const char *const folder_name[2] = { "inbox", "sent" };
static const char *const folder_path[2] = { "inbox", "sentitems" };

struct pass {
	struct api_push *push;      /* a push pass (then nothing below is used), or NULL */
	struct api_folder *folder;  /* a CRM folder pass or push (likewise), or NULL */
	struct api_watch *watch;    /* a webhook subscription (likewise), or NULL */
	struct api_fetch *fetch;    /* a re-match fetch of one item (likewise), or NULL */
	struct oauth_sess auth;
	enum stream s;
	enum st st;
	int64_t link, since;
	char *owner_tz;             /* the linked user's zone (floating times, unknown zones) */
	const char *api;            /* borrowed from cfg */
	char *url;                  /* URL of the request in flight */
	char *links[2];             /* mail: per folder, the link to follow next (NULL: afresh) */
	int fi;                     /* mail: the folder being walked */
	char *next_link;            /* the page's nextLink or deltaLink, stored once committed */
	int at_end;                 /* the page ended in a deltaLink */
	char **ids;
	size_t nids, next;
	struct msg_list msgs;
	char *elink;                /* events link (NULL: afresh) */
	int first;                  /* events: no stored link */
	int64_t now;                /* the pass's clock */
	int64_t until;              /* events: the end of the window the link follows */
	int restart;                /* events: after the delta, list a window that reaches further */
	struct event_list evs;
	json_t *uids;               /* series id -> UID, or null when the series is gone */
	json_t *series;             /* occurrence id -> series id, for occurrences without a UID */
	const char *lookup;
};

static void ids_clear(struct pass *p)
{
	for (size_t i = 0; i < p->nids; i++)
		free(p->ids[i]);
	free(p->ids);
	p->ids = NULL;
	p->nids = p->next = 0;
}

static int ids_add(struct pass *p, const char *id)
{
	char **nv = realloc(p->ids, (p->nids + 1) * sizeof *nv);
	if (!nv)
		return -1;
	p->ids = nv;
	if (!(nv[p->nids] = strdup(id)))
		return -1;
	p->nids++;
	return 0;
}

static void graph_end(struct pass *p)
{
	if (!p)
		return;
	if (p->push)
		api_push_free(p->push);
	free(p->push);
	api_folder_free(p->folder);
	api_watch_free(p->watch);
	api_fetch_free(p->fetch);
	oauth_sess_free(&p->auth);
	free(p->owner_tz);
	free(p->url);
	free(p->links[0]);
	free(p->links[1]);
	free(p->next_link);
	ids_clear(p);
	msg_list_free(&p->msgs);
	free(p->elink);
	event_list_free(&p->evs);
	json_decref(p->uids);
	json_decref(p->series);
	free(p);
}

/* A pass or push over the CRM folder (api_folder.c). */
static int folder_begin(const struct prov_link *l, enum api_folder_mode mode, const char *move_id,
    struct push_result *res, struct pass **out)
{
	struct pass *p = calloc(1, sizeof *p);
	char *base = NULL;
	int rc = PROV_TEMP;

	*out = NULL;
	if (!l->cfg || !l->cfg->api_base) {
		rc = PROV_PERM;
		goto out;
	}
	if (!p || asprintf(&base, "%s/me", l->cfg->api_base) < 0) {
		base = NULL;
		goto out;
	}
	rc = api_folder_begin(&graph_folder_api, l, base, mode, move_id, res, &p->folder);
out:
	free(base);
	if (rc != PROV_OK) {
		graph_end(p);
		return rc;
	}
	*out = p;
	return PROV_OK;
}

static int graph_begin(const struct prov_link *l, enum stream s, const char *cursor,
    struct pass **out)
{
	struct pass *p = calloc(1, sizeof *p);
	json_t *c = NULL;
	int rc = PROV_PERM;

	*out = NULL;
	if (s == STREAM_FOLDER) {
		free(p);
		return folder_begin(l, API_FOLDER_PASS, NULL, NULL, out);
	}
	if (cursor && strcmp(cursor, PROV_RESYNC) == 0)
		cursor = NULL;   /* a first pass lists everything since prov_link.since */
	if (!p || (s != STREAM_MAIL && s != STREAM_EVENTS) || !l->cfg || !l->cfg->api_base)
		goto fail;
	p->s = s;
	p->link = l->id;
	p->since = l->since;
	if (l->owner_tz && !(p->owner_tz = strdup(l->owner_tz)))
		goto fail;
	p->api = l->cfg->api_base;
	if (!(p->uids = json_object()) || !(p->series = json_object()))
		goto fail;
	if ((rc = oauth_sess_init(&p->auth, WHO, l)) != PROV_OK)
		goto fail;
	c = cursor && *cursor ? json_loads(cursor, 0, NULL) : NULL;
	if (cursor && *cursor && !json_is_object(c)) {
		log_warnx("microsoft link %lld: unreadable cursor, resync", (long long)l->id);
		rc = PROV_CURSOR;
		goto fail;
	}
	p->links[0] = ju_dup(c, folder_name[0]);
	p->links[1] = ju_dup(c, folder_name[1]);
	p->elink = ju_dup(c, "events");
	p->first = !p->elink;
	p->now = prov_now(l);
	json_t *until = json_object_get(c, "events_until");
	p->until = json_is_integer(until) ? json_integer_value(until) : 0;
	p->restart = p->elink && p->until < p->now + (int64_t)(WINDOW_DAYS - STEP_DAYS) * 86400;
	p->st = s == STREAM_MAIL ? ST_DELTA : ST_EVENTS;
	json_decref(c);
	*out = p;
	return PROV_OK;
fail:
	json_decref(c);
	graph_end(p);
	return rc;
}

/* ---- Requests ---------------------------------------------------------------------------- */

static char *fresh_url(struct pass *p)
{
	char a[21], b[21], *u = NULL;
	ju_iso(p->since, a);
	if (p->st == ST_DELTA) {
		if (asprintf(&u, "%s/me/mailFolders/%s/messages/delta?$select=id,receivedDateTime,subject"
		    "&$filter=receivedDateTime%%20ge%%20%s", p->api, folder_path[p->fi], a) < 0)
			return NULL;
		return u;
	}
	p->until = p->now + (int64_t)WINDOW_DAYS * 86400;
	ju_iso(p->until, b);
	if (asprintf(&u, "%s/me/calendarView/delta?startDateTime=%s&endDateTime=%s", p->api, a, b) < 0)
		return NULL;
	return u;
}

static char *build_url(struct pass *p)
{
	char *u = NULL, *id;
	switch (p->st) {
	case ST_DELTA:
		return p->links[p->fi] ? strdup(p->links[p->fi]) : fresh_url(p);
	case ST_EVENTS:
		return p->elink ? strdup(p->elink) : fresh_url(p);
	case ST_VALUE:
	case ST_MASTER:
		id = ju_urlenc(p->st == ST_VALUE ? p->ids[p->next] : p->lookup);
		if (!id || asprintf(&u, p->st == ST_VALUE ? "%s/me/messages/%s/$value" :
		    "%s/me/events/%s?$select=uid,iCalUId,type", p->api, id) < 0)
			u = NULL;
		free(id);
		return u;
	}
	return NULL;
}

static int go(struct pass *p, struct http_req *req)
{
	struct http_req api;
	char pref[160];
	char *u = build_url(p);

	free(p->url);
	p->url = u ? strdup(u) : NULL;
	snprintf(pref, sizeof pref, p->st == ST_EVENTS ?
	    "Prefer: odata.maxpagesize=%d, outlook.timezone=\"UTC\", outlook.body-content-type=\"text\"" :
	    "Prefer: odata.maxpagesize=%d", PAGE);
	if (!p->url || ju_get(&api, u, pref) != STEP_MORE) {
		free(p->url);
		p->url = NULL;
		return PROV_TEMP;
	}
	return oauth_send(&p->auth, &api, req);
}

/* ---- Pure mapping ------------------------------------------------------------------------ */

const char *graph_tz_iana(const char *name)
{
	static const char *const utc[] = { "UTC", "Etc/UTC", "tzone://Microsoft/Utc" };
	if (!name || !*name)
		return NULL;
	for (size_t i = 0; i < sizeof utc / sizeof utc[0]; i++)
		if (strcasecmp(name, utc[i]) == 0)
			return "UTC";
	return tz_resolve(name);
}

/* A Graph dateTimeTimeZone ({"dateTime": "2024-05-01T10:00:00.0000000", "timeZone": "UTC"}):
 * the wall time in its timeZone (a Windows or IANA name; unknown: the owner's zone). An all-day
 * one is its date, whatever the zone. */
static int gtime(const json_t *o, int all_day, const char *owner_tz, int64_t *t)
{
	const char *dt = ju_str(o, "dateTime");
	char d[11];
	if (!dt)
		return -1;
	if (all_day) {
		snprintf(d, sizeof d, "%.10s", dt);
		return ju_date(d, t);
	}
	return ju_zoned_time(dt, graph_tz_iana(ju_str(o, "timeZone")) ? graph_tz_iana(ju_str(o,
	    "timeZone")) : ju_str(o, "timeZone"), owner_tz, t);
}

static int people(const json_t *item, struct sync_event *e)
{
	const json_t *atts = json_object_get(item, "attendees"), *a;
	size_t i, n = json_array_size(atts);
	const char *oe = ju_path(item, "organizer", "emailAddress", "address", NULL);
	if (oe)
		ju_addr(&e->organizer, ju_path(item, "organizer", "emailAddress", "name", NULL), oe);
	if (n && !(e->attendees = calloc(n, sizeof *e->attendees)))
		return -1;
	json_array_foreach(atts, i, a) {
		struct attendee *at = &e->attendees[e->n_attendees];
		if (ju_addr(&at->who, ju_path(a, "emailAddress", "name", NULL),
		    ju_path(a, "emailAddress", "address", NULL)) < 0)
			continue;
		const char *ps = ju_partstat(ju_path(a, "status", "response", NULL));
		at->partstat = ps ? strdup(ps) : NULL;
		e->n_attendees++;
	}
	return 0;
}

/* An @removed entry: a single event, or one occurrence (cancelled or deleted with its
 * series), named by its own opaque id, which is the provider_id it was stored with. */
static int removed(const char *id, struct sync_event *e)
{
	e->deleted = 1;
	return (e->provider_id = strdup(id)) ? 0 : -1;
}

int graph_event_parse(const json_t *item, const char *owner_tz, struct sync_event *e)
{
	const char *id = ju_str(item, "id"), *type = ju_str(item, "type");
	const char *series = ju_str(item, "seriesMasterId");
	int64_t t, end;
	char stamp[17];

	memset(e, 0, sizeof *e);
	if (!id || !*id)
		return -1;
	if (json_object_get(item, "@removed"))
		return removed(id, e);
	if (type && strcmp(type, "seriesMaster") == 0)
		return 1;
	int all_day = json_is_true(json_object_get(item, "isAllDay"));
	if (series && *series) {
		if (ju_iso_time(ju_str(item, "originalStart"), &t) < 0)
			return -1;
		ju_stamp(t, all_day, stamp);
		e->provider_id = strdup(id);
		e->recurrence_id = strdup(stamp);
		e->uid = ju_dup(item, "uid");
	} else {
		e->provider_id = strdup(id);
		e->uid = ju_dup(item, "uid");
		if (!e->uid)
			e->uid = ju_dup(item, "iCalUId");
	}
	e->etag = ju_dup(item, "@odata.etag");
	if (!e->provider_id || (series && *series && !e->recurrence_id))
		return -1;
	e->cancelled = json_is_true(json_object_get(item, "isCancelled"));
	const char *upd = ju_str(item, "lastModifiedDateTime");
	if (upd && ju_iso_time(upd, &e->updated) < 0)
		e->updated = 0;
	if (gtime(json_object_get(item, "start"), all_day, owner_tz, &t) < 0)
		return -1;
	e->start = t;
	e->all_day = all_day;
	if (gtime(json_object_get(item, "end"), all_day, owner_tz, &end) == 0 && end > t)
		e->duration_min = (int)((end - t) / 60);
	const char *tz = graph_tz_iana(ju_str(item, "originalStartTimeZone"));
	e->tzid = tz ? strdup(tz) : NULL;
	e->title = strdup(ju_str(item, "subject") ? ju_str(item, "subject") : "");
	const char *loc = ju_path(item, "location", "displayName", NULL);
	e->location = loc && *loc ? strdup(loc) : NULL;
	const char *body = ju_path(item, "body", "content", NULL);
	e->description = body && *body ? strdup(body) : NULL;
	if (!e->title || people(item, e) < 0)
		return -1;
	return 0;
}

/* ---- Mail -------------------------------------------------------------------------------- */

static char *cursor_json(struct pass *p)
{
	json_t *c = json_object();
	char *s = NULL;
	if (!c)
		return NULL;
	if (p->s == STREAM_MAIL) {
		for (int i = 0; i < 2; i++)
			if (p->links[i])
				json_object_set_new(c, folder_name[i], json_string(p->links[i]));
	} else if (p->elink) {
		json_object_set_new(c, "events", json_string(p->elink));
		json_object_set_new(c, "events_until", json_integer(p->until));
	}
	s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
	return s;
}

/* Store the page with the link that follows it, then walk on. */
static int page_done(struct pass *p, struct step_out *so, struct http_req *req)
{
	char **slot = p->s == STREAM_MAIL ? &p->links[p->fi] : &p->elink;
	char *cur;
	int rc;

	free(*slot);
	*slot = p->next_link;
	p->next_link = NULL;
	if (!(cur = cursor_json(p)))
		return PROV_TEMP;
	rc = ju_commit(so, p->s, &p->msgs, &p->evs, cur, WHO, p->link);
	free(cur);
	ids_clear(p);
	if (rc)
		return rc;
	if (p->at_end && p->s == STREAM_EVENTS && p->restart) {
		/* the delta is caught up: list the moved window; unchanged events keep their
		 * changeKey, so the store only adds what the window gained */
		log_info("microsoft link %lld: calendar window moves forward", (long long)p->link);
		p->restart = 0;
		p->at_end = 0;
		free(p->elink);
		p->elink = NULL;
		p->st = ST_EVENTS;
		return go(p, req);
	}
	if (p->at_end && (p->s == STREAM_EVENTS || ++p->fi == 2))
		return STEP_DONE;
	p->st = p->s == STREAM_MAIL ? ST_DELTA : ST_EVENTS;
	return go(p, req);
}

static int fetch_next(struct pass *p, struct step_out *so, struct http_req *req)
{
	if (p->next < p->nids) {
		p->st = ST_VALUE;
		return go(p, req);
	}
	return page_done(p, so, req);
}

/* Keep the page's continuation; -1 when it has none. */
static int take_links(struct pass *p, const json_t *j)
{
	const char *next = ju_str(j, "@odata.nextLink"), *delta = ju_str(j, "@odata.deltaLink");
	free(p->next_link);
	p->next_link = next ? strdup(next) : delta ? strdup(delta) : NULL;
	p->at_end = !next;
	if (!p->next_link) {
		log_warnx("microsoft link %lld: %s: page without nextLink or deltaLink", (long long)p->link,
		    p->url ? p->url : "?");
		return -1;
	}
	return 0;
}

static int on_delta(struct pass *p, json_t *j, struct step_out *so, struct http_req *req)
{
	size_t i;
	json_t *m;
	if (take_links(p, j) < 0)
		return PROV_TEMP;
	json_array_foreach(json_object_get(j, "value"), i, m)
		if (ju_str(m, "id") && !json_object_get(m, "@removed") && ids_add(p, ju_str(m, "id")) < 0)
			return PROV_TEMP;
	return fetch_next(p, so, req);
}

static int on_value(struct pass *p, const struct http_resp *resp, struct step_out *so,
    struct http_req *req)
{
	const char *id = p->ids[p->next++];
	char err[160];
	struct sync_msg *m = msg_list_add(&p->msgs);
	if (!m)
		return PROV_TEMP;
	if (mime_parse(resp->body ? resp->body : "", resp->body_len, m, err, sizeof err) < 0 ||
	    !(m->provider_id = strdup(id))) {
		log_warnx("microsoft link %lld: message %s skipped: %s", (long long)p->link, id, err);
		prov_skip_broken(so, SKIP_MAIL, id, 0, err);
		msg_free(m);
		p->msgs.n--;
	} else {
		m->folder = p->fi == 0 ? FOLDER_INBOX : FOLDER_SENT;
	}
	return fetch_next(p, so, req);
}

/* ---- Events ------------------------------------------------------------------------------ */

static const char *series_of(struct pass *p, const struct sync_event *e)
{
	return json_string_value(json_object_get(p->series, e->provider_id));
}

/* The first series of the page with an occurrence whose UID is still unknown, or NULL. */
static const char *missing_uid(struct pass *p)
{
	for (size_t i = 0; i < p->evs.n; i++) {
		struct sync_event *e = &p->evs.v[i];
		const char *s = series_of(p, e);
		if (!e->uid && !e->deleted && s && !json_object_get(p->uids, s))
			return s;
	}
	return NULL;
}

/* Give occurrences their series' UID; one of a series that is gone becomes its own deletion. */
static int fill_uids(struct pass *p)
{
	for (size_t i = 0; i < p->evs.n; i++) {
		struct sync_event *e = &p->evs.v[i];
		if (e->uid || e->deleted)
			continue;
		const char *s = series_of(p, e);
		json_t *u = s ? json_object_get(p->uids, s) : NULL;
		if (json_is_string(u)) {
			if (!(e->uid = strdup(json_string_value(u))))
				return -1;
		} else {
			e->deleted = 1;
			e->cancelled = 0;
			free(e->recurrence_id);
			e->recurrence_id = NULL;
		}
	}
	return 0;
}

static int events_ready(struct pass *p, struct step_out *so, struct http_req *req)
{
	const char *series = missing_uid(p);
	if (series) {
		p->lookup = series;
		p->st = ST_MASTER;
		return go(p, req);
	}
	if (fill_uids(p) < 0)
		return PROV_TEMP;
	return page_done(p, so, req);
}

static int on_events(struct pass *p, json_t *j, struct step_out *so, struct http_req *req)
{
	size_t i;
	json_t *it;
	if (take_links(p, j) < 0)
		return PROV_TEMP;
	json_array_foreach(json_object_get(j, "value"), i, it) {
		struct sync_event *e = event_list_add(&p->evs);
		if (!e)
			return PROV_TEMP;
		int r = graph_event_parse(it, p->owner_tz, e);
		if (r < 0) {
			log_warnx("microsoft link %lld: event %s skipped: unreadable", (long long)p->link,
			    ju_str(it, "id") ? ju_str(it, "id") : "(no id)");
			prov_skip_broken(so, SKIP_EVENT, ju_str(it, "id"), 0, "unreadable event");
		}
		int old = p->first && !e->deleted && (e->cancelled || e->updated < p->since);
		if (old && r == 0 && !e->cancelled)
			prov_skip_event(so, e, e->provider_id, SKIP_OLDER);
		const char *series = ju_str(it, "seriesMasterId");
		if (r == 0 && e->recurrence_id && series && *series &&
		    json_object_set_new(e->uid ? p->uids : p->series, e->uid ? series : e->provider_id,
		    json_string(e->uid ? e->uid : series)) < 0)
			return PROV_TEMP;
		if (r != 0 || old) {
			event_free(e);
			p->evs.n--;
		}
	}
	return events_ready(p, so, req);
}

static int on_master(struct pass *p, const struct http_resp *resp, json_t *j, struct step_out *so,
    struct http_req *req)
{
	const char *uid = j ? ju_str(j, "uid") : NULL;
	if (!uid || !*uid)
		uid = j ? ju_str(j, "iCalUId") : NULL;
	int gone = resp->status == 404 || resp->status == 410;
	json_object_set_new(p->uids, p->lookup, uid && *uid && !gone ? json_string(uid) : json_null());
	p->lookup = NULL;
	return events_ready(p, so, req);
}

/* ---- Steps ------------------------------------------------------------------------------- */

/* 1 when the answer says the delta state is gone. */
static int cursor_refused(const struct http_resp *r)
{
	if (r->status == 410)
		return 1;
	return r->status >= 400 && r->status < 500 && r->body &&
	    (strcasestr(r->body, "syncStateNotFound") || strcasestr(r->body, "resyncRequired") ||
	    strcasestr(r->body, "SyncStateInvalid"));
}

static int graph_step(struct pass *p, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	json_t *j = NULL;
	int rc;

	memset(req, 0, sizeof *req);
	if (p->folder)
		return api_folder_step(p->folder, resp, req, so, retry_after);
	if (!resp)
		return go(p, req);
	if ((rc = oauth_answer(&p->auth, resp, req, so, retry_after)) != 0)
		return rc;
	if ((p->st == ST_DELTA || p->st == ST_EVENTS) && cursor_refused(resp)) {
		log_warnx("microsoft link %lld: delta state refused (HTTP %ld), resync", (long long)p->link,
		    resp->status);
		return PROV_CURSOR;
	}
	if (p->st == ST_VALUE && resp->status == 404) {
		log_info("microsoft link %lld: message %s gone before it was read", (long long)p->link,
		    p->ids[p->next]);
		p->next++;
		return fetch_next(p, so, req);
	}
	if (p->st == ST_MASTER && (resp->status == 404 || resp->status == 410))
		return on_master(p, resp, NULL, so, req);
	if ((rc = ju_http_class(resp, retry_after)) != 0) {
		log_warnx("microsoft link %lld: %s: HTTP %ld%s%s", (long long)p->link, p->url ? p->url : "?",
		    resp->status, resp->error ? ": " : "", resp->error ? resp->error : "");
		return rc;
	}
	if (p->st == ST_VALUE)
		return on_value(p, resp, so, req);
	if (!(j = ju_parse(resp, WHO, p->link, p->url)))
		return PROV_TEMP;
	switch (p->st) {
	case ST_DELTA: rc = on_delta(p, j, so, req); break;
	case ST_EVENTS: rc = on_events(p, j, so, req); break;
	case ST_MASTER: rc = on_master(p, resp, j, so, req); break;
	default: rc = PROV_PERM;
	}
	json_decref(j);
	return rc;
}

/* An outbox item's pass (push_begin): folder set-up and moves run the folder machine. */
static int graph_push_step(struct pass *p, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	memset(req, 0, sizeof *req);
	if (p->folder)
		return api_folder_step(p->folder, resp, req, so, retry_after);
	return api_push_step(p->push, resp, req, so, retry_after);
}

/* A webhook subscription's pass (subscribe_begin). */
static int graph_subscribe_step(struct pass *p, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	memset(req, 0, sizeof *req);
	return api_watch_step(p->watch, resp, req, so, retry_after);
}

static int graph_push_begin(const struct prov_link *l, const struct push_item *it,
    struct push_result *res, struct pass **out)
{
	if (it->kind == PUSH_FOLDER_SETUP || it->kind == PUSH_FOLDER_MOVE)
		return folder_begin(l, it->kind == PUSH_FOLDER_SETUP ? API_FOLDER_SETUP :
		    API_FOLDER_MOVE, it->provider_id, res, out);
	struct pass *p = calloc(1, sizeof *p);
	struct http_req req;
	int rc = PROV_TEMP;

	*out = NULL;
	if (!p || !(p->push = calloc(1, sizeof *p->push)) ||
	    (rc = graph_push_req(l, it, &req, res->error, sizeof res->error)) != STEP_MORE)
		goto fail;
	if ((rc = api_push_init(p->push, WHO, l, it, res, &req)) != PROV_OK)
		goto fail;
	p->push->on_ok = graph_push_ok;
	*out = p;
	return PROV_OK;
fail:
	graph_end(p);
	return rc == STEP_MORE ? PROV_TEMP : rc;
}

/* A webhook subscription for stream s (api_watch.h says which streams have one). */
static int graph_subscribe_begin(const struct prov_link *l, enum stream s, const char *notify_url,
    struct subscription *sub, struct pass **out)
{
	struct pass *p = calloc(1, sizeof *p);
	int rc;

	*out = NULL;
	if (!p)
		return PROV_TEMP;
	if ((rc = api_watch_begin(WHO, l, s, notify_url, sub, &p->watch)) != PROV_OK) {
		graph_end(p);
		return rc;
	}
	*out = p;
	return PROV_OK;
}


/* /me/messages/{id}/$value: the MIME itself. */
static int fetched_value(struct api_fetch *f, const struct http_resp *resp, struct step_out *so)
{
	return api_fetch_mime(f, resp->body ? resp->body : "", resp->body_len, -1, so);
}

/* /me/events/{id}: a single event or an occurrence (a series master is left to its
 * occurrences' next change). */
static int fetched_graph_event(struct api_fetch *f, const struct http_resp *resp,
    struct step_out *so)
{
	struct event_list evs = { 0 };
	json_t *j = ju_parse(resp, WHO, f->link, f->url);
	struct sync_event *e = j ? event_list_add(&evs) : NULL;
	int rc = j && !e ? PROV_TEMP : PROV_PERM;
	if (e && graph_event_parse(j, f->owner_tz, e) == 0)
		rc = api_fetch_event(f, &evs, so);
	event_list_free(&evs);
	json_decref(j);
	return rc;
}

/* A re-match: the message's MIME or the event, by Graph id. */
static int graph_fetch_begin(const struct prov_link *l, enum stream s, const char *provider_id,
    const char *cursor, struct prov_keep *keep, struct pass **out)
{
	struct pass *p = calloc(1, sizeof *p);
	char *id = ju_urlenc(provider_id), *url = NULL;
	int rc = PROV_PERM;
	(void)cursor;
	(void)keep;
	*out = NULL;
	if (!p || !id) {
		rc = PROV_TEMP;
	} else if (l->cfg && l->cfg->api_base && (s == STREAM_MAIL || s == STREAM_EVENTS)) {
		if (asprintf(&url, s == STREAM_MAIL ? "%s/me/messages/%s/$value" : "%s/me/events/%s",
		    l->cfg->api_base, id) < 0)
			url = NULL;
		rc = api_fetch_begin(WHO, l, s, provider_id, url,
		    s == STREAM_MAIL ? fetched_value : fetched_graph_event, &p->fetch);
	}
	free(id);
	if (rc != PROV_OK) {
		graph_end(p);
		return rc;
	}
	*out = p;
	return PROV_OK;
}

static int graph_fetch_step(struct pass *p, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	return api_fetch_step(p->fetch, resp, req, so, retry_after);
}

const struct provider graph_provider = {
	.name = "microsoft",
	.streams = STREAM_MAIL | STREAM_EVENTS | STREAM_FOLDER,
	.begin = graph_begin,
	.step = graph_step,
	.end = graph_end,
	.push_begin = graph_push_begin,
	.push_step = graph_push_step,
	.subscribe_begin = graph_subscribe_begin,
	.subscribe_step = graph_subscribe_step,
	.fetch_begin = graph_fetch_begin,
	.fetch = graph_fetch_step,
};
