/* CalDAV provider: a step machine that lists the principal's calendars, then pulls each chosen
 * one's changes with sync-collection (or by ETag comparison) and calendar-multiget; pushes run
 * caldav_push.c's machine (their requests are in caldav_req.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/log.h"
#include "core/netguard.h"
#include "providers/caldav.h"
#include "providers/caldav_cals.h"
#include "providers/caldav_push.h"
#include "providers/davxml.h"
#include "providers/ical.h"

#define MAX_REDIRECTS 5
#define HORIZON_DAYS 365        /* recurring series are expanded this far ahead of today */
#define ROLL_DAYS 30            /* and again once the horizon comes this much nearer */
#define MAX_SERIES_ICS 65536    /* a larger series resource is not kept for re-expansion */

enum st { ST_PRINCIPAL, ST_HOME, ST_LIST, ST_PROBE, ST_SYNC, ST_ETAGS, ST_FETCH, ST_RECHECK };

struct pass {
	enum st st;
	int64_t link;
	char *target;           /* URL of the request in flight */
	char *userpwd;
	char *auth_url;         /* caldav_auth_url(): the origin userpwd may go to */
	/* the pass over the principal's calendars */
	int link_first;         /* the link's first pass (cursor NULL) */
	int fill;               /* a calendar without a cursor is imported whole (from ws on):
	                         * any pass but a first one without back-fill */
	int use_cursors;        /* 0 on a first pass or a resync: every calendar afresh */
	char *old_default;      /* the calendar pushes went to, from the link's cursor */
	char *legacy_url, *legacy_cursor;   /* a cursor from before several calendars */
	struct link_cal *known; /* the link's calendars (copied from prov_link.cals) */
	size_t n_known;
	struct cal_plan plan;
	size_t ci;              /* the calendar of plan being synced */
	/* the calendar being synced */
	char *cal;              /* calendar collection URL */
	int first;              /* no cursor: record the state, import nothing */
	char *token;            /* sync-token sent (token mode) */
	json_t *etags;          /* stored path -> etag (ETag mode), NULL in token mode */
	char *new_token;
	json_t *new_etags;
	char **todo;            /* raw hrefs to fetch */
	size_t ntodo, next;
	struct event_list deleted;   /* committed with the last page */
	int truncated;          /* the server cut the sync report (507): ask again */
	int redirects;
	int warned_auth;        /* logged once that a request went without the password */
	int sync_failed;        /* the sync report got a 5xx once already */
	int64_t ws, we;
	char *owner_tz;         /* the linked user's zone, for floating times and unknown TZIDs */
	int backfill;           /* first pass of a link with a back-fill: import from ws on */
	json_t *series;         /* path -> {etag, ics} of recurring resources, re-expanded forward */
	int64_t until;          /* the horizon the kept series were last expanded to */
	int roll;               /* the horizon came nearer: re-expand the kept series first */
	struct caldav_push *push;   /* set when this pass pushes an outbox item (caldav_push.c) */
	int fetch_one;          /* a re-match fetch of one resource (todo[0]): no cursor */
};

static char *jdup(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && *s ? strdup(s) : NULL;
}

/* s with a trailing '/', malloc'd. */
static char *with_slash(const char *s)
{
	char *r = NULL;
	size_t n = strlen(s);
	if (asprintf(&r, "%s%s", s, n && s[n - 1] == '/' ? "" : "/") < 0)
		return NULL;
	return r;
}

static void todo_clear(struct pass *p)
{
	for (size_t i = 0; i < p->ntodo; i++)
		free(p->todo[i]);
	free(p->todo);
	p->todo = NULL;
	p->ntodo = p->next = 0;
}

static int todo_add(struct pass *p, const char *href)
{
	char **nv = realloc(p->todo, (p->ntodo + 1) * sizeof *nv);
	if (!nv)
		return -1;
	p->todo = nv;
	if (!(p->todo[p->ntodo] = strdup(href)))
		return -1;
	p->ntodo++;
	return 0;
}

static void caldav_end(struct pass *p)
{
	if (!p)
		return;
	free(p->target);
	free(p->userpwd);
	free(p->owner_tz);
	free(p->auth_url);
	free(p->cal);
	free(p->old_default);
	free(p->legacy_url);
	free(p->legacy_cursor);
	for (size_t i = 0; i < p->n_known; i++) {
		free(p->known[i].href);
		free(p->known[i].cursor);
	}
	free(p->known);
	cal_plan_free(&p->plan);
	free(p->token);
	free(p->new_token);
	json_decref(p->etags);
	json_decref(p->new_etags);
	json_decref(p->series);
	todo_clear(p);
	event_list_free(&p->deleted);
	caldav_push_free(p->push);
	free(p);
}

/* Read a calendar's own cursor into p; -1 when it is not one of ours. */
static int load_cursor(struct pass *p, const char *cursor)
{
	json_t *c = json_loads(cursor, 0, NULL);
	int rc = -1;

	if (!json_is_object(c))
		goto out;
	p->token = jdup(c, "token");
	json_t *e = json_object_get(c, "etags");
	if (json_is_object(e))
		p->etags = json_incref(e);
	if (!p->token && !p->etags)
		goto out;
	json_t *ser = json_object_get(c, "series");
	p->series = json_is_object(ser) ? json_incref(ser) : json_object();
	json_t *until = json_object_get(c, "until");
	p->until = json_is_integer(until) ? json_integer_value(until) : 0;
	rc = p->series ? 0 : -1;
out:
	json_decref(c);
	return rc;
}

/* The link's own cursor: {"v": 2, "cal": "<the calendar pushes go to>"}; before a link had
 * several calendars it was one calendar's cursor, which that calendar takes over. */
static int load_link_cursor(struct pass *p, const char *cursor)
{
	json_t *c = json_loads(cursor, 0, NULL);
	int rc = -1;
	if (!json_is_object(c))
		goto out;
	p->old_default = jdup(c, "cal");
	if (!json_object_get(c, "v") && p->old_default) {
		p->legacy_url = with_slash(p->old_default);
		p->legacy_cursor = strdup(cursor);
		if (!p->legacy_url || !p->legacy_cursor)
			goto out;
	}
	rc = 0;
out:
	json_decref(c);
	return rc;
}

static int copy_known(struct pass *p, const struct prov_link *l)
{
	if (!l->n_cals)
		return 0;
	if (!(p->known = calloc(l->n_cals, sizeof *p->known)))
		return -1;
	for (size_t i = 0; i < l->n_cals; i++) {
		struct link_cal *k = &p->known[p->n_known++];
		k->chosen = l->cals[i].chosen;
		k->href = l->cals[i].href ? strdup(l->cals[i].href) : NULL;
		k->cursor = l->cals[i].cursor ? strdup(l->cals[i].cursor) : NULL;
		if ((l->cals[i].href && !k->href) || (l->cals[i].cursor && !k->cursor))
			return -1;
	}
	return 0;
}

static int caldav_begin(const struct prov_link *l, enum stream s, const char *cursor, struct pass **out)
{
	struct pass *p = calloc(1, sizeof *p);
	json_t *set = NULL;
	int rc = PROV_PERM;
	int64_t now = prov_now(l);

	*out = NULL;
	if (!p || s != STREAM_EVENTS)
		goto fail;
	p->link = l->id;
	p->ws = l->since > 0 ? l->since : now - 30 * 86400;
	p->we = now + (int64_t)HORIZON_DAYS * 86400;
	p->owner_tz = l->owner_tz ? strdup(l->owner_tz) : NULL;
	p->userpwd = caldav_userpwd(l);
	p->auth_url = caldav_auth_url(l);
	if (copy_known(p, l) < 0)
		goto fail;
	p->link_first = !cursor || !*cursor;
	p->use_cursors = !p->link_first && strcmp(cursor, PROV_RESYNC) != 0;
	p->fill = !p->link_first || (l->since > 0 && l->linked_at > l->since);
	if (p->use_cursors && load_link_cursor(p, cursor) < 0) {
		log_warnx("caldav link %lld: unreadable cursor, resync", (long long)l->id);
		rc = PROV_CURSOR;
		goto fail;
	}
	set = json_loads(l->settings ? l->settings : "{}", 0, NULL);
	char *cal = jdup(set, "calendar_url"), *base = jdup(set, "caldav_url");
	if (cal) {   /* one calendar named in the settings: only that one */
		char *u = with_slash(cal);
		p->target = u;
		p->st = ST_PROBE;
	} else if (base) {
		p->target = strdup(base);
		p->st = ST_PRINCIPAL;
	}
	free(cal);
	free(base);
	json_decref(set);
	set = NULL;   /* fail: below decrefs it again */
	if (!p->target) {
		log_warnx("caldav link %lld: settings lack caldav_url", (long long)l->id);
		goto fail;
	}
	*out = p;
	return PROV_OK;
fail:
	json_decref(set);
	caldav_end(p);
	return rc;
}

/* ---- Requests ---------------------------------------------------------------------------- */

static int fill_req(struct pass *p, struct http_req *req, const char *method, const char *depth,
    char *body)
{
	memset(req, 0, sizeof *req);
	req->method = method;
	req->url = strdup(p->target);
	req->guard = 1;
	req->headers = calloc(3, sizeof *req->headers);
	req->body = body;
	req->body_len = body ? strlen(body) : 0;
	int auth = p->userpwd && netguard_same_origin(p->target, p->auth_url);
	if (p->userpwd && !auth && !p->warned_auth) {
		p->warned_auth = 1;
		log_warnx("caldav link %lld: %s is not where the password was given (%s): asked "
		    "without it", (long long)p->link, p->target, p->auth_url ? p->auth_url : "?");
	}
	req->userpwd = auth ? strdup(p->userpwd) : NULL;
	if (req->headers) {
		req->headers[0] = strdup("Content-Type: application/xml; charset=utf-8");
		if (asprintf(&req->headers[1], "Depth: %s", depth) < 0)
			req->headers[1] = NULL;
	}
	if (!req->url || !body || !req->headers || !req->headers[0] || !req->headers[1] ||
	    (auth && !req->userpwd)) {
		http_req_clear(req);
		return PROV_TEMP;
	}
	return STEP_MORE;
}

static int make_req(struct pass *p, struct http_req *req)
{
	switch (p->st) {
	case ST_PRINCIPAL: return fill_req(p, req, "PROPFIND", "0", dav_body_principal());
	case ST_HOME: return fill_req(p, req, "PROPFIND", "0", dav_body_home());
	case ST_LIST: return fill_req(p, req, "PROPFIND", "1", dav_body_calendars());
	case ST_PROBE:
	case ST_RECHECK: return fill_req(p, req, "PROPFIND", "0", dav_body_calendars());
	case ST_SYNC: return fill_req(p, req, "REPORT", "0", dav_body_sync(p->token));
	case ST_ETAGS: return fill_req(p, req, "PROPFIND", "1", dav_body_etags());
	case ST_FETCH: {
		size_t n = p->ntodo - p->next;
		if (n > CALDAV_BATCH)
			n = CALDAV_BATCH;
		return fill_req(p, req, "REPORT", "1", dav_body_multiget(p->todo + p->next, n));
	}
	}
	return PROV_PERM;
}

int caldav_classify(const struct http_resp *r, long *retry_after)
{
	if (r->status == 0)
		return PROV_TEMP;
	if (r->status >= 200 && r->status <= 299)
		return 0;
	if (r->status == 429 || r->status == 503) {
		*retry_after = r->retry_after > 0 ? r->retry_after : 60;
		return PROV_RATE;
	}
	if (r->status == 401)
		return PROV_AUTH;
	if (r->status >= 500)
		return PROV_TEMP;
	return PROV_PERM;
}

static const char *st_name(enum st s)
{
	static const char *names[] = { "principal", "home", "calendars", "probe", "sync", "etags",
		"multiget", "recheck" };
	return names[s];
}

/* Check the status and parse a multistatus; returns 0 or a prov_status. */
static int expect_ms(struct pass *p, const struct http_resp *r, struct dav_ms *ms, long *retry_after)
{
	char err[128];
	int c = caldav_classify(r, retry_after);

	if (c) {
		log_warnx("caldav link %lld: %s %s: HTTP %ld%s%s", (long long)p->link, st_name(p->st),
		    p->target, r->status, r->error ? ": " : "", r->error ? r->error : "");
		return c;
	}
	if (dav_parse_multistatus(r->body, r->body_len, ms, err, sizeof err) < 0) {
		log_warnx("caldav link %lld: %s %s: %s", (long long)p->link, st_name(p->st), p->target, err);
		return PROV_TEMP;
	}
	return 0;
}

/* Point the next request at href (relative to the current target) in state st. */
static int go(struct pass *p, enum st st, const char *href, struct http_req *req)
{
	if (href) {
		char *u = dav_resolve(p->target, href);
		if (!u)
			return PROV_PERM;
		free(p->target);
		p->target = u;
	}
	p->st = st;
	return make_req(p, req);
}

/* ---- Committing -------------------------------------------------------------------------- */

/* The current calendar's own cursor (compact JSON, malloc'd). */
static char *cursor_json(struct pass *p)
{
	json_t *c = json_object();
	char *s = NULL;
	if (!c)
		return NULL;
	json_object_set_new(c, "cal", json_string(p->cal));
	if (p->new_etags || (p->etags && !p->token))
		json_object_set(c, "etags", p->new_etags ? p->new_etags : p->etags);
	else
		json_object_set_new(c, "token", json_string(p->new_token ? p->new_token : p->token));
	if (json_object_size(p->series)) {
		json_object_set_new(c, "until", json_integer(p->until));
		json_object_set(c, "series", p->series);
	}
	s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
	return s;
}

/* The link's cursor: the calendar pushes go to (malloc'd). */
static char *link_cursor_json(struct pass *p)
{
	json_t *c = json_pack("{s:i,s:s?}", "v", 2, "cal", p->plan.default_url);
	char *s = c ? json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(c);
	return s;
}

/* A page without the link's cursor (an intermediate page of a calendar). */
static int commit(struct pass *p, struct step_out *so, struct event_list *ev, const char *cursor)
{
	struct event_list empty = { 0 };
	if (step_out_page(so, STREAM_EVENTS, NULL, ev ? ev : &empty, cursor) < 0) {
		log_warnx("caldav link %lld: storing a page failed", (long long)p->link);
		return PROV_TEMP;
	}
	event_list_free(ev ? ev : &empty);
	return 0;
}

/* A page that brings the current calendar to cal_cursor (owned: taken), with the link's cursor. */
static int commit_cal(struct pass *p, struct step_out *so, struct event_list *ev, char *cal_cursor)
{
	struct link_cal *n = cal_cursor ? link_cal_list_add(&so->cals) : NULL;
	char *lc = n ? link_cursor_json(p) : NULL;
	int rc = PROV_TEMP;
	if (n) {
		n->op = CAL_CURSOR;
		n->cursor = cal_cursor;
		cal_cursor = NULL;
		n->href = strdup(p->cal);
	}
	if (n && n->href && lc)
		rc = commit(p, so, ev, lc);
	free(cal_cursor);
	free(lc);
	return rc;
}

/* Forget what belongs to the calendar just synced. */
static void cal_clear(struct pass *p)
{
	free(p->cal);
	free(p->token);
	free(p->new_token);
	json_decref(p->etags);
	json_decref(p->new_etags);
	json_decref(p->series);
	p->cal = p->token = p->new_token = NULL;
	p->etags = p->new_etags = p->series = NULL;
	todo_clear(p);
	event_list_free(&p->deleted);
	p->first = p->backfill = p->truncated = p->sync_failed = p->roll = 0;
	p->until = 0;
	p->redirects = 0;
}

static int remember(struct pass *p, const char *token, struct step_out *so, struct http_req *req);
static int roll_forward(struct pass *p, struct step_out *so);

/* Start the next calendar of the plan, or end the pass. */
static int next_calendar(struct pass *p, struct step_out *so, struct http_req *req)
{
	cal_clear(p);
	if (p->ci >= p->plan.n)
		return STEP_DONE;
	struct cal_work *w = &p->plan.v[p->ci];
	if (!(p->cal = strdup(w->url)))
		return PROV_TEMP;
	if (w->cursor && load_cursor(p, w->cursor) < 0) {
		log_warnx("caldav link %lld: %s: unreadable cursor, synced afresh", (long long)p->link,
		    p->cal);
		json_decref(p->etags);
		json_decref(p->series);
		free(p->token);
		p->etags = p->series = NULL;
		p->token = NULL;
		free(w->cursor);
		w->cursor = NULL;
	}
	if (w->cursor) {
		p->roll = p->until < p->we - (int64_t)ROLL_DAYS * 86400;
		if (p->roll && !json_object_size(p->series)) {   /* nothing to expand: just move on */
			p->roll = 0;
			p->until = p->we;
		}
		int rc;
		if (p->roll && (rc = roll_forward(p, so)) != 0)
			return rc;
		return go(p, p->token ? ST_SYNC : ST_ETAGS, p->cal, req);
	}
	p->first = 1;
	p->backfill = p->fill;
	p->until = p->we;
	if (!(p->series = json_object()))
		return PROV_TEMP;
	free(p->target);
	if (!(p->target = strdup(p->cal)))
		return PROV_TEMP;
	return remember(p, w->token, so, req);
}

/* Commit the last page of the current calendar with its new cursor; then ask for the rest of a
 * cut sync report, or go on with the next calendar. */
static int finish(struct pass *p, struct step_out *so, struct event_list *ev, struct http_req *req)
{
	char *cur = cursor_json(p);
	int rc;

	for (size_t i = 0; i < p->deleted.n; i++) {
		struct sync_event *d = event_list_add(ev);
		if (!d) {
			free(cur);
			return PROV_TEMP;
		}
		*d = p->deleted.v[i];
		memset(&p->deleted.v[i], 0, sizeof p->deleted.v[i]);
	}
	event_list_free(&p->deleted);
	rc = cur ? commit_cal(p, so, ev, cur) : PROV_TEMP;
	if (rc)
		return rc;
	if (!p->truncated) {
		p->ci++;
		return next_calendar(p, so, req);
	}
	p->truncated = 0;
	free(p->token);
	p->token = p->new_token;
	p->new_token = NULL;
	todo_clear(p);
	return go(p, ST_SYNC, p->cal, req);
}

static int add_deleted(struct pass *p, struct event_list *l, const char *path)
{
	json_object_del(p->series, path);
	struct sync_event *e = event_list_add(l);
	if (!e || !(e->provider_id = strdup(path)))
		return -1;
	e->deleted = 1;
	e->prefix = 1;   /* the same meeting in another of the link's calendars stays */
	return 0;
}

/* Fetch what is in todo, or finish at once when nothing is. */
static int fetch_or_finish(struct pass *p, struct step_out *so, struct http_req *req)
{
	struct event_list none = { 0 };
	if (p->next < p->ntodo)
		return go(p, ST_FETCH, p->cal, req);
	return finish(p, so, &none, req);
}

/* ---- Answers ----------------------------------------------------------------------------- */

static int on_principal(struct pass *p, struct dav_ms *ms, struct http_req *req)
{
	struct dav_resp *r = ms->n ? &ms->v[0] : NULL;
	if (r && r->home)
		return go(p, ST_LIST, r->home, req);
	if (r && r->principal)
		return go(p, ST_HOME, r->principal, req);
	return go(p, ST_LIST, NULL, req);   /* the URL may be the home or the calendar itself */
}

static int on_home(struct pass *p, struct dav_ms *ms, struct http_req *req)
{
	if (ms->n && ms->v[0].home)
		return go(p, ST_LIST, ms->v[0].home, req);
	log_warnx("caldav link %lld: no calendar-home-set at %s", (long long)p->link, p->target);
	return PROV_PERM;
}

/* A calendar without a cursor: record its token (or ETags), or list it whole to import it. */
static int remember(struct pass *p, const char *token, struct step_out *so, struct http_req *req)
{
	if (!token)
		return go(p, ST_ETAGS, p->cal, req);
	if (p->backfill) {   /* an empty token lists every resource, with the current token */
		free(p->token);
		if (!(p->token = strdup("")))
			return PROV_TEMP;
		return go(p, ST_SYNC, p->cal, req);
	}
	if (!(p->new_token = strdup(token)))
		return PROV_TEMP;
	struct event_list none = { 0 };
	return finish(p, so, &none, req);
}

/* The calendars are known: note them, drop those gone or unchecked, and sync the chosen ones
 * one after the other. */
static int plan_pass(struct pass *p, struct dav_cal_list *found, struct step_out *so,
    struct http_req *req)
{
	struct event_list drops = { 0 };
	char *lc = NULL;
	int rc = PROV_TEMP;

	if (!found->n) {
		log_warnx("caldav link %lld: no event calendar under %s", (long long)p->link,
		    p->target);
		return PROV_PERM;
	}
	if (caldav_plan(p->known, p->n_known, found, p->use_cursors, p->old_default,
	    p->legacy_url, p->legacy_cursor, &so->cals, &drops, &p->plan) < 0)
		goto out;
	for (size_t i = 0; i < p->plan.n; i++) {
		struct cal_work *w = &p->plan.v[i];
		log_info("caldav link %lld: calendar %s%s", (long long)p->link, w->url,
		    w->cursor ? "" : " (no cursor yet)");
		/* the cursor from before several calendars becomes its calendar's own at once */
		if (w->cursor && p->legacy_cursor && strcmp(w->cursor, p->legacy_cursor) == 0) {
			struct link_cal *n = link_cal_list_add(&so->cals);
			if (!n || !(n->href = strdup(w->url)) || !(n->cursor = strdup(w->cursor)))
				goto out;
			n->op = CAL_CURSOR;
		}
	}
	/* a first pass stores the link's cursor with its first calendar's */
	if (!p->link_first || !p->plan.n)
		lc = link_cursor_json(p);
	if ((!p->link_first || !p->plan.n) && !lc)
		goto out;
	if ((rc = commit(p, so, &drops, lc)) != 0)
		goto out;
	p->ci = 0;
	rc = next_calendar(p, so, req);
out:
	event_list_free(&drops);
	free(lc);
	return rc;
}

static int add_found(struct pass *p, struct dav_cal_list *found, const struct dav_resp *r)
{
	struct dav_cal *c = dav_cal_list_add(found);
	char *u = c ? dav_resolve(p->target, r->href) : NULL;
	if (!c || !u)
		return -1;
	c->url = with_slash(u);
	free(u);
	c->name = r->displayname ? strdup(r->displayname) : NULL;
	c->color = r->color ? strdup(r->color) : NULL;
	c->token = r->sync_token ? strdup(r->sync_token) : NULL;
	return c->url ? 0 : -1;
}

/* The home's listing: every calendar that takes events (not a VTODO-only list, nor an inbox,
 * outbox or subscription, which are no calendar collections). */
static int on_list(struct pass *p, struct dav_ms *ms, struct step_out *so, struct http_req *req)
{
	struct dav_cal_list found = { 0 };
	int rc = PROV_TEMP;
	for (size_t i = 0; i < ms->n; i++) {
		struct dav_resp *r = &ms->v[i];
		if (!r->is_calendar || (r->comp_set && !r->has_vevent))
			continue;
		if (add_found(p, &found, r) < 0)
			goto out;
	}
	rc = plan_pass(p, &found, so, req);
out:
	dav_cal_list_free(&found);
	return rc;
}

/* The one calendar the settings name. */
static int on_probe(struct pass *p, struct dav_ms *ms, struct step_out *so, struct http_req *req)
{
	struct dav_cal_list found = { 0 };
	struct dav_cal *c = dav_cal_list_add(&found);
	int rc = PROV_TEMP;
	if (c && (c->url = strdup(p->target)) && (!ms->n || !ms->v[0].sync_token ||
	    (c->token = strdup(ms->v[0].sync_token)))) {
		if (ms->n && ms->v[0].displayname)
			c->name = strdup(ms->v[0].displayname);
		rc = plan_pass(p, &found, so, req);
	}
	dav_cal_list_free(&found);
	return rc;
}

/* 1 when href names the calendar itself or another collection. */
static int is_collection_href(struct pass *p, const char *path)
{
	char *cal = dav_path(p->cal);
	size_t n = strlen(path);
	int r = (cal && strcmp(cal, path) == 0) || (n && path[n - 1] == '/');
	free(cal);
	return r;
}

static int on_sync(struct pass *p, struct dav_ms *ms, struct step_out *so, struct http_req *req)
{
	for (size_t i = 0; i < ms->n; i++) {
		struct dav_resp *r = &ms->v[i];
		char *path = dav_path(r->href);
		int rc = 0;
		if (!path)
			return PROV_TEMP;
		if (is_collection_href(p, path)) {
			if (r->status == 507)
				p->truncated = 1;
		} else if (r->status == 404) {
			rc = add_deleted(p, &p->deleted, path);
		} else {
			rc = todo_add(p, r->href);
		}
		free(path);
		if (rc < 0)
			return PROV_TEMP;
	}
	if (!ms->sync_token) {
		log_warnx("caldav link %lld: sync report without a sync-token", (long long)p->link);
		return PROV_TEMP;
	}
	free(p->new_token);
	p->new_token = ms->sync_token;
	ms->sync_token = NULL;
	return fetch_or_finish(p, so, req);
}

static int on_etags(struct pass *p, struct dav_ms *ms, struct step_out *so, struct http_req *req)
{
	if (!(p->new_etags = json_object()))
		return PROV_TEMP;
	for (size_t i = 0; i < ms->n; i++) {
		struct dav_resp *r = &ms->v[i];
		char *path = dav_path(r->href);
		if (!path)
			return PROV_TEMP;
		if (!r->is_collection && r->etag && !is_collection_href(p, path)) {
			const char *old = json_string_value(json_object_get(p->etags, path));
			json_object_set_new(p->new_etags, path, json_string(r->etag));
			if ((!p->first || p->backfill) && (!old || strcmp(old, r->etag) != 0) &&
			    todo_add(p, r->href) < 0) {
				free(path);
				return PROV_TEMP;
			}
		}
		free(path);
	}
	const char *key;
	json_t *v;
	json_object_foreach(p->etags, key, v)
		if (!json_object_get(p->new_etags, key) && add_deleted(p, &p->deleted, key) < 0)
			return PROV_TEMP;
	return fetch_or_finish(p, so, req);
}

/* Keep a recurring resource's iCalendar in the cursor, so a later pass can expand it further
 * ahead without downloading it again; forget it when it no longer recurs. Returns 0 or -1. */
static int keep_series(struct pass *p, const char *path, const char *etag, const char *ics)
{
	size_t n = strlen(ics);
	if ((!strstr(ics, "RRULE") && !strstr(ics, "RDATE")) || n > MAX_SERIES_ICS) {
		if (n > MAX_SERIES_ICS)
			log_warnx("caldav link %lld: %s is %zu bytes, not kept for re-expansion",
			    (long long)p->link, path, n);
		json_object_del(p->series, path);
		return 0;
	}
	return json_object_set_new(p->series, path, json_pack("{s:s?,s:s}", "etag", etag,
	    "ics", ics));
}

/* The horizon came nearer: expand every kept series to p->we and store it with the cursor's new
 * horizon. Unchanged occurrences keep their etag, so the store only adds the new ones. */
static int roll_forward(struct pass *p, struct step_out *so)
{
	struct event_list batch = { 0 };
	char err[160];
	const char *path;
	json_t *v;
	int rc = 0;

	p->roll = 0;
	json_object_foreach(p->series, path, v) {
		const char *ics = json_string_value(json_object_get(v, "ics"));
		const char *etag = json_string_value(json_object_get(v, "etag"));
		size_t before = batch.n;
		if (!ics)
			continue;
		if (ical_parse(ics, strlen(ics), p->ws, p->we, p->owner_tz, &batch, err, sizeof err) < 0)
			log_warnx("caldav link %lld: %s not re-expanded: %s", (long long)p->link, path, err);
		for (size_t i = before; i < batch.n; i++) {
			batch.v[i].provider_id = strdup(path);
			batch.v[i].etag = etag ? strdup(etag) : NULL;
			if (!batch.v[i].provider_id || (etag && !batch.v[i].etag))
				rc = -1;
		}
	}
	p->until = p->we;
	char *cur = rc == 0 ? cursor_json(p) : NULL;
	rc = cur ? commit_cal(p, so, &batch, cur) : PROV_TEMP;
	event_list_free(&batch);
	if (rc == 0)
		log_info("caldav link %lld: %s: %zu series expanded forward", (long long)p->link,
		    p->cal, json_object_size(p->series));
	return rc;
}

/* One resource of a multiget: its events (or its deletion) into batch. */
static int take_resource(struct pass *p, struct dav_resp *r, struct event_list *batch,
    struct step_out *so)
{
	char err[160];
	char *path = dav_path(r->href);
	int rc = 0;

	if (!path)
		return -1;
	if (r->status == 404) {
		rc = add_deleted(p, batch, path);
	} else if (!r->calendar_data) {
		log_warnx("caldav link %lld: %s came without calendar-data", (long long)p->link, path);
	} else {
		size_t before = batch->n;
		if (ical_parse(r->calendar_data, strlen(r->calendar_data), p->ws, p->we, p->owner_tz,
		    batch, err, sizeof err) < 0) {
			log_warnx("caldav link %lld: %s skipped: %s", (long long)p->link, path, err);
			prov_skip_broken(so, SKIP_EVENT, path, 0, err);
		}
		if (p->backfill)
			event_list_drop_ended(batch, before, p->ws, so, path);
		for (size_t i = before; i < batch->n; i++) {
			batch->v[i].provider_id = strdup(path);
			batch->v[i].etag = r->etag ? strdup(r->etag) : NULL;
			if (!batch->v[i].provider_id)
				rc = -1;
		}
		if (rc == 0 && keep_series(p, path, r->etag, r->calendar_data) < 0)
			rc = -1;
	}
	free(path);
	return rc;
}

/* The re-match fetch's answer: the resource's events as a page without a cursor, or PROV_PERM
 * when it is gone. */
static int on_fetch_one(struct pass *p, struct dav_ms *ms, struct step_out *so)
{
	struct event_list batch = { 0 };
	int rc = PROV_PERM;
	for (size_t i = 0; i < ms->n; i++)
		if (take_resource(p, &ms->v[i], &batch, so) < 0) {
			event_list_free(&batch);
			return PROV_TEMP;
		}
	for (size_t i = 0; i < batch.n; i++)
		if (!batch.v[i].deleted)
			rc = PROV_OK;
	if (rc == PROV_OK)
		rc = commit(p, so, &batch, NULL);
	else
		log_info("caldav link %lld: %s not fetched again: gone", (long long)p->link,
		    p->todo[0]);
	event_list_free(&batch);
	return rc == PROV_OK ? STEP_DONE : rc;
}

static int on_fetch(struct pass *p, struct dav_ms *ms, struct step_out *so, struct http_req *req)
{
	struct event_list batch = { 0 };
	int rc;
	size_t n = p->ntodo - p->next;

	if (p->fetch_one)
		return on_fetch_one(p, ms, so);

	for (size_t i = 0; i < ms->n; i++)
		if (take_resource(p, &ms->v[i], &batch, so) < 0) {
			event_list_free(&batch);
			return PROV_TEMP;
		}
	p->next += n > CALDAV_BATCH ? CALDAV_BATCH : n;
	if (p->next >= p->ntodo) {
		rc = finish(p, so, &batch, req);
		event_list_free(&batch);
		return rc;
	}
	rc = commit(p, so, &batch, NULL);
	event_list_free(&batch);
	return rc ? rc : make_req(p, req);
}

static int is_redirect(long s)
{
	return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

static int caldav_step(struct pass *p, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	struct dav_ms ms = { 0 };
	int rc;

	memset(req, 0, sizeof *req);
	if (!resp)
		return make_req(p, req);
	if (is_redirect(resp->status) && resp->location && p->redirects++ < MAX_REDIRECTS)
		return go(p, p->st, resp->location, req);
	if (p->st == ST_SYNC && (resp->status == 403 || resp->status == 409) &&
	    (resp->status == 409 || dav_is_sync_token_error(resp->body, resp->body_len))) {
		log_warnx("caldav link %lld: %s: sync-token refused, resync", (long long)p->link,
		    p->cal);
		return PROV_CURSOR;
	}
	/* Some servers (Xandikos) answer an unknown token with a 500: if the calendar itself answers
	 * and the report fails again, the token is what they refuse. */
	if (p->st == ST_SYNC && resp->status >= 500 && resp->status != 503) {
		if (p->sync_failed++) {
			log_warnx("caldav link %lld: sync report fails (HTTP %ld) on a healthy calendar, "
			    "resync", (long long)p->link, resp->status);
			return PROV_CURSOR;
		}
		return go(p, ST_RECHECK, NULL, req);
	}
	if ((rc = expect_ms(p, resp, &ms, retry_after)) != 0)
		return rc;
	if (resp->status != 207) {
		log_warnx("caldav link %lld: %s %s: HTTP %ld, not 207", (long long)p->link,
		    st_name(p->st), p->target, resp->status);
		dav_ms_free(&ms);
		return PROV_PERM;
	}
	switch (p->st) {
	case ST_PRINCIPAL: rc = on_principal(p, &ms, req); break;
	case ST_HOME: rc = on_home(p, &ms, req); break;
	case ST_LIST: rc = on_list(p, &ms, so, req); break;
	case ST_PROBE: rc = on_probe(p, &ms, so, req); break;
	case ST_SYNC: rc = on_sync(p, &ms, so, req); break;
	case ST_ETAGS: rc = on_etags(p, &ms, so, req); break;
	case ST_FETCH: rc = on_fetch(p, &ms, so, req); break;
	case ST_RECHECK: rc = go(p, ST_SYNC, NULL, req); break;
	default: rc = PROV_PERM;
	}
	dav_ms_free(&ms);
	return rc;
}

/* An outbox item: the pass only carries the push step machine of caldav_push.c. */
/* An outbox item's pass (push_begin). */
static int caldav_pass_push_step(struct pass *p, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	(void)so;
	memset(req, 0, sizeof *req);
	return caldav_push_step(p->push, resp, req, retry_after);
}

static int caldav_push_begin(const struct prov_link *l, const struct push_item *it,
    struct push_result *res, struct pass **out)
{
	struct pass *p = calloc(1, sizeof *p);
	*out = NULL;
	if (!p)
		return PROV_TEMP;
	int rc = caldav_push_new(l, it, res, &p->push);
	if (rc != PROV_OK) {
		free(p);
		return rc;
	}
	p->link = l->id;
	*out = p;
	return PROV_OK;
}

/* The calendar collection holding the resource at path (the link may sync several): the
 * path's folder, resolved against the link's CalDAV URL. NULL when there is none. */
static char *calendar_holding(const struct prov_link *l, const char *path)
{
	char *base = caldav_auth_url(l);
	char *u = base ? dav_resolve(base, path) : NULL;
	char *slash = u ? strrchr(u, '/') : NULL;
	free(base);
	if (!slash || slash[1] == '\0') {   /* not a resource inside a collection */
		free(u);
		return NULL;
	}
	slash[1] = '\0';
	return u;
}

/* A re-match: the resource at path (the event's provider id) fetched again from the link's
 * calendar with a calendar-multiget, as a pull fetches it. */
static int caldav_fetch_begin(const struct prov_link *l, enum stream s, const char *path,
    const char *cursor, struct prov_keep *keep, struct pass **out)
{
	struct pass *p = calloc(1, sizeof *p);
	int64_t now = prov_now(l);
	(void)keep;
	*out = NULL;
	if (!p)
		return PROV_TEMP;
	if (s != STREAM_EVENTS || !path) {
		free(p);
		return PROV_PERM;
	}
	p->link = l->id;
	p->fetch_one = 1;
	p->ws = l->since > 0 ? l->since : now - 30 * 86400;
	p->we = now + (int64_t)HORIZON_DAYS * 86400;
	p->owner_tz = l->owner_tz ? strdup(l->owner_tz) : NULL;
	(void)cursor;
	p->userpwd = caldav_userpwd(l);
	p->auth_url = caldav_auth_url(l);
	p->cal = calendar_holding(l, path);
	p->series = json_object();
	if (!p->cal || !p->series || !(p->target = strdup(p->cal)) || todo_add(p, path) < 0) {
		int rc = p->cal ? PROV_TEMP : PROV_PERM;
		caldav_end(p);
		return rc;
	}
	p->st = ST_FETCH;
	*out = p;
	return PROV_OK;
}

const struct provider caldav_provider = {
	.name = "caldav",
	.streams = STREAM_EVENTS,
	.begin = caldav_begin,
	.step = caldav_step,
	.end = caldav_end,
	.push_begin = caldav_push_begin,
	.push_step = caldav_pass_push_step,
	.fetch_begin = caldav_fetch_begin,
	.fetch = caldav_step,   /* the pass knows it fetches one resource (pass.fetch_one) */
};
