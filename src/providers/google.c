/* Google provider: a step machine over the Gmail API (profile, messages, history, raw messages)
 * and the Calendar API v3 (events.list with sync tokens), with OAuth token refresh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "core/tzwin.h"
#include "providers/api_fetch.h"
#include "providers/api_folder.h"
#include "providers/api_push.h"
#include "providers/api_watch.h"
#include "providers/google.h"
#include "providers/json_util.h"
#include "providers/mime.h"
#include "providers/oauth.h"

#define WHO "google"
#define PAGE_MAIL 100
#define PAGE_EVENTS 250

enum st { ST_PROFILE, ST_LIST, ST_HISTORY, ST_GET, ST_EVENTS, ST_MASTER };

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
	const char *api, *cal;      /* borrowed from cfg */
	char *url;                  /* URL of the API request in flight, for logs */
	int first;                  /* no cursor: full listing since prov_link.since */
	char *old_cursor;           /* committed with intermediate pages */
	char *page_token;           /* next page of the listing, NULL on the last page */
	/* mail */
	char *history_id;           /* cursor's startHistoryId */
	char *new_history;          /* historyId stored at the end */
	char **ids;                 /* message ids of the current listing page */
	size_t nids, next;
	struct msg_list msgs;
	/* events */
	char *sync_token, *new_sync_token;
	struct event_list evs;      /* the current page */
	json_t *uids;               /* series id -> iCalUID (or null: series gone) */
	const char *lookup;         /* series id being looked up (key in uids) */
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
	for (size_t i = 0; i < p->nids; i++)
		if (strcmp(p->ids[i], id) == 0)
			return 0;
	char **nv = realloc(p->ids, (p->nids + 1) * sizeof *nv);
	if (!nv)
		return -1;
	p->ids = nv;
	if (!(nv[p->nids] = strdup(id)))
		return -1;
	p->nids++;
	return 0;
}

static void google_end(struct pass *p)
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
	free(p->old_cursor);
	free(p->page_token);
	free(p->history_id);
	free(p->new_history);
	ids_clear(p);
	msg_list_free(&p->msgs);
	free(p->sync_token);
	free(p->new_sync_token);
	event_list_free(&p->evs);
	json_decref(p->uids);
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
	if (!p || asprintf(&base, "%s/gmail/v1/users/me", l->cfg->api_base) < 0) {
		base = NULL;
		goto out;
	}
	rc = api_folder_begin(&google_folder_api, l, base, mode, move_id, res, &p->folder);
out:
	free(base);
	if (rc != PROV_OK) {
		google_end(p);
		return rc;
	}
	*out = p;
	return PROV_OK;
}

static int google_begin(const struct prov_link *l, enum stream s, const char *cursor,
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
	if (!p || (s != STREAM_MAIL && s != STREAM_EVENTS) || !l->cfg)
		goto fail;
	p->s = s;
	p->link = l->id;
	p->since = l->since;
	if (l->owner_tz && !(p->owner_tz = strdup(l->owner_tz)))
		goto fail;
	p->api = l->cfg->api_base;
	p->cal = l->cfg->calendar_base;
	if (!(p->uids = json_object()))
		goto fail;
	if ((rc = oauth_sess_init(&p->auth, WHO, l)) != PROV_OK)
		goto fail;
	rc = PROV_PERM;
	c = cursor && *cursor ? json_loads(cursor, 0, NULL) : NULL;
	if (cursor && *cursor && !json_is_object(c)) {
		log_warnx("google link %lld: unreadable cursor, resync", (long long)l->id);
		rc = PROV_CURSOR;
		goto fail;
	}
	if (!(p->old_cursor = strdup(cursor && *cursor ? cursor : "{}")))
		goto fail;
	if (s == STREAM_MAIL) {
		p->history_id = ju_dup(c, "history_id");
		p->first = !p->history_id;
		p->st = p->first ? ST_PROFILE : ST_HISTORY;
	} else {
		p->sync_token = ju_dup(c, "sync_token");
		p->first = !p->sync_token;
		p->st = ST_EVENTS;
	}
	if ((s == STREAM_MAIL && !p->api) || (s == STREAM_EVENTS && !p->cal))
		goto fail;
	json_decref(c);
	*out = p;
	return PROV_OK;
fail:
	json_decref(c);
	google_end(p);
	return rc;
}

/* ---- Requests ---------------------------------------------------------------------------- */

/* Append "&key=value" (encoded) to *url. Returns 0 or -1. */
static int add_q(char **url, const char *key, const char *value)
{
	char *v = ju_urlenc(value), *n = NULL;
	int rc = v && asprintf(&n, "%s%c%s=%s", *url, strchr(*url, '?') ? '&' : '?', key, v) >= 0 ? 0 : -1;
	free(v);
	free(*url);
	*url = rc == 0 ? n : NULL;
	return rc;
}

static char *build_url(struct pass *p)
{
	char *u = NULL, num[32];
	switch (p->st) {
	case ST_PROFILE:
		if (asprintf(&u, "%s/gmail/v1/users/me/profile", p->api) < 0)
			return NULL;
		return u;
	case ST_LIST:
		snprintf(num, sizeof num, "after:%lld", (long long)p->since);
		if (asprintf(&u, "%s/gmail/v1/users/me/messages?maxResults=%d", p->api, PAGE_MAIL) < 0 ||
		    add_q(&u, "q", num) < 0)
			return NULL;
		break;
	case ST_HISTORY:
		if (asprintf(&u, "%s/gmail/v1/users/me/history?historyTypes=messageAdded&maxResults=%d",
		    p->api, PAGE_MAIL) < 0 || add_q(&u, "startHistoryId", p->history_id) < 0)
			return NULL;
		break;
	case ST_GET: {
		char *id = ju_urlenc(p->ids[p->next]);
		if (!id || asprintf(&u, "%s/gmail/v1/users/me/messages/%s?format=raw", p->api, id) < 0)
			u = NULL;
		free(id);
		return u;
	}
	case ST_EVENTS:
		if (asprintf(&u, "%s/calendars/primary/events?singleEvents=true&showDeleted=true&maxResults=%d",
		    p->cal, PAGE_EVENTS) < 0 || (p->sync_token && add_q(&u, "syncToken", p->sync_token) < 0))
			return NULL;
		break;
	case ST_MASTER: {
		char *id = ju_urlenc(p->lookup);
		if (!id || asprintf(&u, "%s/calendars/primary/events/%s", p->cal, id) < 0)
			u = NULL;
		free(id);
		return u;
	}
	}
	if (u && p->page_token && add_q(&u, "pageToken", p->page_token) < 0)
		return NULL;
	return u;
}

/* Build the request of the current state and send it through the token session. */
static int go(struct pass *p, struct http_req *req)
{
	struct http_req api;
	char *u = build_url(p);
	free(p->url);
	p->url = u ? strdup(u) : NULL;
	if (!p->url || ju_get(&api, u, NULL) != STEP_MORE) {
		free(p->url);
		p->url = NULL;
		return PROV_TEMP;
	}
	return oauth_send(&p->auth, &api, req);
}

/* ---- Pure mapping ------------------------------------------------------------------------ */

int google_msg_folder(const json_t *labels)
{
	size_t i;
	json_t *v;
	int inbox = 0, sent = 0;
	json_array_foreach(labels, i, v) {
		const char *s = json_string_value(v);
		if (!s)
			continue;
		if (!strcmp(s, "DRAFT") || !strcmp(s, "SPAM") || !strcmp(s, "TRASH"))
			return -1;
		inbox |= !strcmp(s, "INBOX");
		sent |= !strcmp(s, "SENT");
	}
	return sent ? FOLDER_SENT : inbox ? FOLDER_INBOX : -1;
}

/* Start or end of an event: {"dateTime", "timeZone"} (a dateTime without an offset is read in
 * its timeZone, or the owner's zone when that is absent or unknown) or {"date"} (00:00 UTC). */
static int gtime(const json_t *o, const char *owner_tz, int64_t *t, int *all_day)
{
	const char *dt = ju_str(o, "dateTime"), *d = ju_str(o, "date");
	*all_day = !dt && d;
	if (dt)
		return ju_zoned_time(dt, ju_str(o, "timeZone"), owner_tz, t);
	return ju_date(d, t);
}

static int parse_people(const json_t *item, struct sync_event *e)
{
	const json_t *org = json_object_get(item, "organizer");
	const json_t *atts = json_object_get(item, "attendees");
	size_t i, n = json_array_size(atts);
	json_t *a;

	if (ju_str(org, "email"))
		ju_addr(&e->organizer, ju_str(org, "displayName"), ju_str(org, "email"));
	if (n && !(e->attendees = calloc(n, sizeof *e->attendees)))
		return -1;
	json_array_foreach(atts, i, a) {
		struct attendee *at = &e->attendees[e->n_attendees];
		if (ju_addr(&at->who, ju_str(a, "displayName"), ju_str(a, "email")) < 0)
			continue;
		const char *ps = ju_partstat(ju_str(a, "responseStatus"));
		at->partstat = ps ? strdup(ps) : NULL;
		e->n_attendees++;
	}
	return 0;
}

int google_event_parse(const json_t *item, const char *owner_tz, struct sync_event *e)
{
	const char *id = ju_str(item, "id"), *series = ju_str(item, "recurringEventId");
	const json_t *orig = json_object_get(item, "originalStartTime");
	int64_t t, end;
	int ad, ad2;
	char stamp[17];

	memset(e, 0, sizeof *e);
	if (!id || !*id)
		return -1;
	e->provider_id = strdup(series && *series ? series : id);
	e->uid = ju_dup(item, "iCalUID");
	e->etag = ju_dup(item, "etag");
	if (!e->provider_id)
		return -1;
	if (series && *series) {
		if (gtime(orig, owner_tz, &t, &ad) < 0)
			return -1;
		ju_stamp(t, ad, stamp);
		if (!(e->recurrence_id = strdup(stamp)))
			return -1;
	}
	const char *upd = ju_str(item, "updated");
	if (upd && ju_iso_time(upd, &e->updated) < 0)
		e->updated = 0;
	const char *status = ju_str(item, "status");
	if (status && strcmp(status, "cancelled") == 0) {
		if (e->recurrence_id)
			e->cancelled = 1;
		else
			e->deleted = 1;
		if (!json_object_get(item, "start"))
			return 0;
	}
	if (gtime(json_object_get(item, "start"), owner_tz, &t, &ad) < 0)
		return -1;
	e->start = t;
	e->all_day = ad;
	if (gtime(json_object_get(item, "end"), owner_tz, &end, &ad2) == 0 && end > t)
		e->duration_min = (int)((end - t) / 60);
	const char *tz = tz_resolve(ju_path(item, "start", "timeZone", NULL));
	e->tzid = tz ? strdup(tz) : NULL;
	e->title = strdup(ju_str(item, "summary") ? ju_str(item, "summary") : "");
	e->location = ju_dup(item, "location");
	e->description = ju_dup(item, "description");
	if (!e->title || parse_people(item, e) < 0)
		return -1;
	return 0;
}

/* ---- Mail -------------------------------------------------------------------------------- */

static char *mail_cursor(const char *history_id)
{
	json_t *c = json_pack("{s:s}", "history_id", history_id);
	char *s = c ? json_dumps(c, JSON_COMPACT) : NULL;
	json_decref(c);
	return s;
}

/* The page's messages are in: commit, then list the next page or finish. */
static int mail_page_done(struct pass *p, struct step_out *so, struct http_req *req)
{
	int last = !p->page_token, rc;
	char *cur = last ? mail_cursor(p->new_history) : strdup(p->old_cursor);
	ids_clear(p);
	if (!cur)
		return PROV_TEMP;
	rc = ju_commit(so, STREAM_MAIL, &p->msgs, NULL, cur, WHO, p->link);
	free(cur);
	if (rc)
		return rc;
	if (last)
		return STEP_DONE;
	p->st = p->first ? ST_LIST : ST_HISTORY;
	return go(p, req);
}

/* Fetch the next message of the page, or commit the page. */
static int fetch_next(struct pass *p, struct step_out *so, struct http_req *req)
{
	if (p->next < p->nids) {
		p->st = ST_GET;
		return go(p, req);
	}
	return mail_page_done(p, so, req);
}

static void take_page_token(struct pass *p, const json_t *j)
{
	free(p->page_token);
	p->page_token = ju_dup(j, "nextPageToken");
}

static int on_profile(struct pass *p, json_t *j, struct http_req *req)
{
	const json_t *h = json_object_get(j, "historyId");
	char num[32];
	if (json_is_integer(h))
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(h));
	else if (json_is_string(h))
		snprintf(num, sizeof num, "%s", json_string_value(h));
	else {
		log_warnx("google link %lld: profile without historyId", (long long)p->link);
		return PROV_TEMP;
	}
	if (!(p->new_history = strdup(num)))
		return PROV_TEMP;
	p->st = ST_LIST;
	return go(p, req);
}

static int on_list(struct pass *p, json_t *j, struct step_out *so, struct http_req *req)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(j, "messages"), i, m)
		if (ju_str(m, "id") && ids_add(p, ju_str(m, "id")) < 0)
			return PROV_TEMP;
	take_page_token(p, j);
	return fetch_next(p, so, req);
}

static int on_history(struct pass *p, json_t *j, struct step_out *so, struct http_req *req)
{
	size_t i, k;
	json_t *h, *a;
	json_array_foreach(json_object_get(j, "history"), i, h) {
		json_array_foreach(json_object_get(h, "messagesAdded"), k, a) {
			json_t *m = json_object_get(a, "message");
			if (ju_str(m, "id") && google_msg_folder(json_object_get(m, "labelIds")) >= 0 &&
			    ids_add(p, ju_str(m, "id")) < 0)
				return PROV_TEMP;
		}
	}
	take_page_token(p, j);
	if (!p->page_token) {
		const char *hid = ju_str(j, "historyId");
		free(p->new_history);
		p->new_history = strdup(hid && *hid ? hid : p->history_id);
		if (!p->new_history)
			return PROV_TEMP;
	}
	return fetch_next(p, so, req);
}

static int on_get(struct pass *p, json_t *j, struct step_out *so, struct http_req *req)
{
	const char *id = p->ids[p->next++];
	int folder = google_msg_folder(json_object_get(j, "labelIds"));
	size_t len = 0;
	char err[160], *raw = folder >= 0 ? ju_b64url_dec(ju_str(j, "raw"), &len) : NULL;

	if (folder >= 0 && !raw) {
		log_warnx("google link %lld: message %s skipped: no readable raw field", (long long)p->link, id);
		prov_skip_broken(so, SKIP_MAIL, id, 0, "no readable raw field");
	} else if (raw) {
		struct sync_msg *m = msg_list_add(&p->msgs);
		if (!m) {
			free(raw);
			return PROV_TEMP;
		}
		if (mime_parse(raw, len, m, err, sizeof err) < 0 || !(m->provider_id = strdup(id))) {
			log_warnx("google link %lld: message %s skipped: %s", (long long)p->link, id, err);
			prov_skip_broken(so, SKIP_MAIL, id, 0, err);
			msg_free(m);
			p->msgs.n--;
		} else {
			m->folder = (enum msg_folder)folder;
		}
		free(raw);
	}
	return fetch_next(p, so, req);
}

/* One message whose answer is not JSON is skipped: the pass and its cursor go on without it. */
static int skip_unreadable(struct pass *p, const char *why, struct step_out *so,
    struct http_req *req)
{
	char key[64];
	snprintf(key, sizeof key, "google link %lld: unreadable message", (long long)p->link);
	log_warnx_limited(key, "google link %lld: message %s skipped: malformed JSON (%s)",
	    (long long)p->link, p->ids[p->next], why);
	char detail[200];
	snprintf(detail, sizeof detail, "malformed JSON (%s)", why);
	prov_skip_broken(so, SKIP_MAIL, p->ids[p->next], 0, detail);
	p->next++;
	return fetch_next(p, so, req);
}

/* ---- Events ------------------------------------------------------------------------------ */

static char *events_cursor(const char *token)
{
	json_t *c = json_pack("{s:s}", "sync_token", token);
	char *s = c ? json_dumps(c, JSON_COMPACT) : NULL;
	json_decref(c);
	return s;
}

/* The first series of the page whose instances lack a UID we do not know yet, or NULL. */
static const char *missing_uid(struct pass *p)
{
	for (size_t i = 0; i < p->evs.n; i++) {
		struct sync_event *e = &p->evs.v[i];
		if (!e->uid && !e->deleted && !json_object_get(p->uids, e->provider_id))
			return e->provider_id;
	}
	return NULL;
}

/* Give instances their series' UID; an instance of a series that is gone becomes the
 * deletion of the whole series (once). */
static int fill_uids(struct pass *p)
{
	for (size_t i = 0; i < p->evs.n; i++) {
		struct sync_event *e = &p->evs.v[i];
		if (e->uid || e->deleted)
			continue;
		json_t *u = json_object_get(p->uids, e->provider_id);
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

static int events_page_done(struct pass *p, struct step_out *so, struct http_req *req)
{
	const char *series = missing_uid(p);
	int last = !p->page_token, rc;
	char *cur;

	if (series) {
		p->lookup = series;
		p->st = ST_MASTER;
		return go(p, req);
	}
	if (fill_uids(p) < 0)
		return PROV_TEMP;
	cur = last ? events_cursor(p->new_sync_token) : strdup(p->old_cursor);
	if (!cur)
		return PROV_TEMP;
	rc = ju_commit(so, STREAM_EVENTS, NULL, &p->evs, cur, WHO, p->link);
	free(cur);
	if (rc)
		return rc;
	if (last)
		return STEP_DONE;
	p->st = ST_EVENTS;
	return go(p, req);
}

static int on_events(struct pass *p, json_t *j, struct step_out *so, struct http_req *req)
{
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(j, "items"), i, it) {
		struct sync_event *e = event_list_add(&p->evs);
		if (!e)
			return PROV_TEMP;
		int bad = google_event_parse(it, p->owner_tz, e) < 0;
		if (bad) {
			log_warnx("google link %lld: event %s skipped: unreadable", (long long)p->link,
			    ju_str(it, "id") ? ju_str(it, "id") : "(no id)");
			prov_skip_broken(so, SKIP_EVENT, ju_str(it, "id"), 0, "unreadable event");
		}
		/* a first pass keeps what changed since the link, and deletions of single events */
		int old = p->first && !e->deleted && (e->cancelled || e->updated < p->since);
		if (old && !bad && !e->cancelled)
			prov_skip_event(so, e, e->provider_id, SKIP_OLDER);
		if (e->uid && !e->deleted && e->recurrence_id)
			json_object_set_new(p->uids, e->provider_id, json_string(e->uid));
		if (bad || old) {
			event_free(e);
			p->evs.n--;
		}
	}
	take_page_token(p, j);
	if (!p->page_token) {
		free(p->new_sync_token);
		if (!(p->new_sync_token = ju_dup(j, "nextSyncToken"))) {
			log_warnx("google link %lld: last events page without nextSyncToken", (long long)p->link);
			return PROV_TEMP;
		}
	}
	return events_page_done(p, so, req);
}

/* The series master of instances without a UID: its iCalUID, or gone. */
static int on_master(struct pass *p, const struct http_resp *resp, json_t *j, struct step_out *so,
    struct http_req *req)
{
	const char *uid = j ? ju_str(j, "iCalUID") : NULL;
	const char *status = j ? ju_str(j, "status") : NULL;
	int gone = resp->status == 404 || resp->status == 410 || (status && !strcmp(status, "cancelled"));
	json_object_set_new(p->uids, p->lookup, uid && *uid && !gone ? json_string(uid) : json_null());
	p->lookup = NULL;
	return events_page_done(p, so, req);
}

/* ---- Steps ------------------------------------------------------------------------------- */

/* Answers that are not an error for the state: a vanished message or series. */
static int expected_miss(struct pass *p, long status)
{
	return (p->st == ST_GET && status == 404) || (p->st == ST_MASTER && (status == 404 || status == 410));
}

static int google_step(struct pass *p, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	char why[JSON_ERROR_TEXT_LENGTH];
	json_t *j = NULL;
	int rc;

	memset(req, 0, sizeof *req);
	if (p->folder)
		return api_folder_step(p->folder, resp, req, so, retry_after);
	if (!resp)
		return go(p, req);
	if ((rc = oauth_answer(&p->auth, resp, req, so, retry_after)) != 0)
		return rc;
	if ((p->st == ST_HISTORY && resp->status == 404) || (p->st == ST_EVENTS && resp->status == 410)) {
		log_warnx("google link %lld: %s refused (HTTP %ld), resync", (long long)p->link,
		    p->st == ST_HISTORY ? "history id" : "sync token", resp->status);
		return PROV_CURSOR;
	}
	if (expected_miss(p, resp->status)) {
		if (p->st == ST_MASTER)
			return on_master(p, resp, NULL, so, req);
		log_info("google link %lld: message %s gone before it was read", (long long)p->link,
		    p->ids[p->next]);
		p->next++;
		return fetch_next(p, so, req);
	}
	if ((rc = ju_http_class(resp, retry_after)) != 0) {
		log_warnx("google link %lld: %s: HTTP %ld%s%s", (long long)p->link, p->url ? p->url : "?",
		    resp->status, resp->error ? ": " : "", resp->error ? resp->error : "");
		return rc;
	}
	if (p->st == ST_GET && !(j = ju_load(resp, why, sizeof why)))
		return skip_unreadable(p, why, so, req);
	if (!j && !(j = ju_parse(resp, WHO, p->link, p->url)))
		return PROV_TEMP;
	switch (p->st) {
	case ST_PROFILE: rc = on_profile(p, j, req); break;
	case ST_LIST: rc = on_list(p, j, so, req); break;
	case ST_HISTORY: rc = on_history(p, j, so, req); break;
	case ST_GET: rc = on_get(p, j, so, req); break;
	case ST_EVENTS: rc = on_events(p, j, so, req); break;
	case ST_MASTER: rc = on_master(p, resp, j, so, req); break;
	default: rc = PROV_PERM;
	}
	json_decref(j);
	return rc;
}

/* An outbox item's pass (push_begin): folder set-up and moves run the folder machine. */
static int google_push_step(struct pass *p, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	memset(req, 0, sizeof *req);
	if (p->folder)
		return api_folder_step(p->folder, resp, req, so, retry_after);
	return api_push_step(p->push, resp, req, so, retry_after);
}

/* A webhook subscription's pass (subscribe_begin). */
static int google_subscribe_step(struct pass *p, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	memset(req, 0, sizeof *req);
	return api_watch_step(p->watch, resp, req, so, retry_after);
}

static int google_push_begin(const struct prov_link *l, const struct push_item *it,
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
	    (rc = google_push_req(l, it, &req, res->error, sizeof res->error)) != STEP_MORE)
		goto fail;
	if ((rc = api_push_init(p->push, WHO, l, it, res, &req)) != PROV_OK)
		goto fail;
	p->push->on_ok = google_push_ok;
	p->push->dup_status = 409;
	*out = p;
	return PROV_OK;
fail:
	google_end(p);
	return rc == STEP_MORE ? PROV_TEMP : rc;
}

/* A webhook subscription for stream s (api_watch.h says which streams have one). */
static int google_subscribe_begin(const struct prov_link *l, enum stream s, const char *notify_url,
    struct subscription *sub, struct pass **out)
{
	struct pass *p = calloc(1, sizeof *p);
	int rc;

	*out = NULL;
	if (!p)
		return PROV_TEMP;
	if ((rc = api_watch_begin(WHO, l, s, notify_url, sub, &p->watch)) != PROV_OK) {
		google_end(p);
		return rc;
	}
	*out = p;
	return PROV_OK;
}


/* A re-match: messages.get of a Gmail id, events.get of an event id. */
static int google_fetch_begin(const struct prov_link *l, enum stream s, const char *provider_id,
    const char *cursor, struct prov_keep *keep, struct pass **out)
{
	struct pass *p = calloc(1, sizeof *p);
	char *id = ju_urlenc(provider_id), *url = NULL;
	int rc = PROV_PERM;
	(void)cursor;
	(void)keep;
	*out = NULL;
	if (!p || !id || !l->cfg) {
		rc = p && id ? PROV_PERM : PROV_TEMP;
	} else if (s == STREAM_MAIL && l->cfg->api_base) {
		if (asprintf(&url, "%s/gmail/v1/users/me/messages/%s?format=raw", l->cfg->api_base,
		    id) < 0)
			url = NULL;
		rc = api_fetch_begin(WHO, l, s, provider_id, url, google_fetched_mail, &p->fetch);
	} else if (s == STREAM_EVENTS && l->cfg->calendar_base) {
		if (asprintf(&url, "%s/calendars/primary/events/%s", l->cfg->calendar_base, id) < 0)
			url = NULL;
		rc = api_fetch_begin(WHO, l, s, provider_id, url, google_fetched_event, &p->fetch);
	}
	free(id);
	if (rc != PROV_OK) {
		google_end(p);
		return rc;
	}
	*out = p;
	return PROV_OK;
}

static int google_fetch_step(struct pass *p, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	return api_fetch_step(p->fetch, resp, req, so, retry_after);
}

const struct provider google_provider = {
	.name = "google",
	.streams = STREAM_MAIL | STREAM_EVENTS | STREAM_FOLDER,
	.begin = google_begin,
	.step = google_step,
	.end = google_end,
	.push_begin = google_push_begin,
	.push_step = google_push_step,
	.subscribe_begin = google_subscribe_begin,
	.subscribe_step = google_subscribe_step,
	.fetch_begin = google_fetch_begin,
	.fetch = google_fetch_step,
};
