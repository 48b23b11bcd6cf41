/* Nylas v3 provider: a step machine over a grant's messages (listed by received date, read as
 * raw MIME) and primary-calendar events (listed by updated_after), with OAuth token refresh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "core/log.h"
#include "core/tzwin.h"
#include "providers/json_util.h"
#include "providers/mime.h"
#include "providers/api_fetch.h"
#include "providers/api_folder.h"
#include "providers/api_push.h"
#include "providers/nylas.h"
#include "providers/oauth.h"

#define WHO "nylas"
#define PAGE 50
#define WINDOW_DAYS 365
#define STEP_DAYS 30            /* the whole window is listed again once its end is this much nearer */

enum st { ST_LIST, ST_RAW, ST_EVENTS };

struct todo {
	char *id;
	int folder;
};

struct pass {
	struct api_push *push;      /* a push pass (then nothing below is used), or NULL */
	struct api_folder *folder;  /* a CRM folder pass or push (likewise), or NULL */
	struct api_fetch *fetch;    /* a re-match fetch of one item (likewise), or NULL */
	struct oauth_sess auth;
	enum stream s;
	enum st st;
	int64_t link, since;
	const char *api;            /* borrowed from cfg */
	char *grant;                /* percent-encoded grant id */
	char *address;              /* the linked mailbox, to tell sent mail */
	char *url;
	char *old_cursor;
	char *page_token;           /* next_cursor of the last page, NULL on the last page */
	int64_t after, new_after;   /* mail: received date high-water mark */
	json_t *seen, *new_seen;    /* mail: ids taken at exactly after / new_after */
	struct todo *todo;
	size_t ntodo, next;
	struct msg_list msgs;
	int64_t upd, new_upd;       /* events: updated_at high-water mark */
	int64_t upd_query;          /* updated_after asked: upd - 1 with a cursor, since without */
	int64_t now, until;         /* events: the pass's clock; the end of the last full listing */
	int roll;                   /* events: list the whole moved window, changed or not */
	struct event_list evs;
};

static void todo_clear(struct pass *p)
{
	for (size_t i = 0; i < p->ntodo; i++)
		free(p->todo[i].id);
	free(p->todo);
	p->todo = NULL;
	p->ntodo = p->next = 0;
}

static void nylas_end(struct pass *p)
{
	if (!p)
		return;
	if (p->push)
		api_push_free(p->push);
	free(p->push);
	api_folder_free(p->folder);
	api_fetch_free(p->fetch);
	oauth_sess_free(&p->auth);
	free(p->grant);
	free(p->address);
	free(p->url);
	free(p->old_cursor);
	free(p->page_token);
	json_decref(p->seen);
	json_decref(p->new_seen);
	todo_clear(p);
	msg_list_free(&p->msgs);
	event_list_free(&p->evs);
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
	char *g = oauth_grant_id(l), *grant = g ? ju_urlenc(g) : NULL;
	free(g);
	if (!grant)
		goto out;
	if (!l->cfg || !l->cfg->api_base) {
		rc = PROV_PERM;
		goto out;
	}
	if (!p || asprintf(&base, "%s/v3/grants/%s", l->cfg->api_base, grant) < 0) {
		base = NULL;
		goto out;
	}
	rc = api_folder_begin(&nylas_folder_api, l, base, mode, move_id, res, &p->folder);
out:
	free(base);
	free(grant);
	if (rc != PROV_OK) {
		nylas_end(p);
		return rc;
	}
	*out = p;
	return PROV_OK;
}

static int nylas_begin(const struct prov_link *l, enum stream s, const char *cursor,
    struct pass **out)
{
	struct pass *p = calloc(1, sizeof *p);
	json_t *c = NULL;
	char *g = NULL;
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
	p->api = l->cfg->api_base;
	p->address = l->address ? strdup(l->address) : NULL;
	if ((rc = oauth_sess_init(&p->auth, WHO, l)) != PROV_OK)
		goto fail;
	rc = PROV_TEMP;
	if (!(g = oauth_grant_id(l)) || !(p->grant = ju_urlenc(g)))
		goto fail;
	c = cursor && *cursor ? json_loads(cursor, 0, NULL) : NULL;
	if (cursor && *cursor && !json_is_object(c)) {
		log_warnx("nylas link %lld: unreadable cursor, resync", (long long)l->id);
		rc = PROV_CURSOR;
		goto fail;
	}
	if (!(p->old_cursor = strdup(cursor && *cursor ? cursor : "{}")))
		goto fail;
	json_t *a = json_object_get(c, "after"), *u = json_object_get(c, "updated_after");
	p->after = p->new_after = json_is_integer(a) ? json_integer_value(a) : l->since;
	p->upd = p->new_upd = json_is_integer(u) ? json_integer_value(u) : l->since;
	p->upd_query = json_is_integer(u) ? p->upd - 1 : l->since;
	p->now = prov_now(l);
	json_t *until = json_object_get(c, "until");
	p->until = json_is_integer(until) ? json_integer_value(until) : 0;
	if (s == STREAM_EVENTS && json_is_integer(u) &&
	    p->until < p->now + (int64_t)(WINDOW_DAYS - STEP_DAYS) * 86400) {
		/* occurrences the window gained belong to series that did not change: list it all;
		 * what did not change keeps its updated_at, which the store compares */
		p->roll = 1;
		p->upd_query = l->since;
	}
	if (s == STREAM_EVENTS && (p->roll || !json_is_integer(u)))
		p->until = p->now + (int64_t)WINDOW_DAYS * 86400;
	p->seen = json_is_array(json_object_get(c, "seen")) ? json_incref(json_object_get(c, "seen")) :
	    json_array();
	p->new_seen = json_copy(p->seen);
	if (!p->seen || !p->new_seen)
		goto fail;
	p->st = s == STREAM_MAIL ? ST_LIST : ST_EVENTS;
	free(g);
	json_decref(c);
	*out = p;
	return PROV_OK;
fail:
	free(g);
	json_decref(c);
	nylas_end(p);
	return rc;
}

/* ---- Requests ---------------------------------------------------------------------------- */

static char *build_url(struct pass *p)
{
	char *u = NULL, *id, *tok = p->page_token ? ju_urlenc(p->page_token) : NULL;
	int r = -1;
	switch (p->st) {
	case ST_LIST:
		r = asprintf(&u, "%s/v3/grants/%s/messages?limit=%d&received_after=%lld%s%s", p->api,
		    p->grant, PAGE, (long long)(p->after - 1), tok ? "&page_token=" : "", tok ? tok : "");
		break;
	case ST_RAW:
		id = ju_urlenc(p->todo[p->next].id);
		r = id ? asprintf(&u, "%s/v3/grants/%s/messages/%s?fields=raw_mime", p->api, p->grant, id) : -1;
		free(id);
		break;
	case ST_EVENTS:
		r = asprintf(&u, "%s/v3/grants/%s/events?calendar_id=primary&limit=%d&updated_after=%lld"
		    "&expand_recurring=true&show_cancelled=true&start=%lld&end=%lld%s%s", p->api, p->grant,
		    PAGE, (long long)p->upd_query, (long long)p->since,
		    (long long)p->now + (long long)WINDOW_DAYS * 86400, tok ? "&page_token=" : "",
		    tok ? tok : "");
		break;
	}
	free(tok);
	return r < 0 ? NULL : u;
}

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

static int when(const json_t *w, struct sync_event *e)
{
	const char *obj = ju_str(w, "object");
	const json_t *st = json_object_get(w, "start_time"), *et = json_object_get(w, "end_time");
	int64_t a, b;

	if (json_is_integer(st)) {
		e->start = json_integer_value(st);
		if (json_is_integer(et) && json_integer_value(et) > e->start)
			e->duration_min = (int)((json_integer_value(et) - e->start) / 60);
		const char *tz = tz_resolve(ju_str(w, "start_timezone"));   /* IANA or Windows */
		e->tzid = tz ? strdup(tz) : NULL;
		return 0;
	}
	e->all_day = 1;
	if (ju_str(w, "date") && (!obj || strcmp(obj, "date") == 0)) {
		if (ju_date(ju_str(w, "date"), &a) < 0)
			return -1;
		e->start = a;
		e->duration_min = 24 * 60;
		return 0;
	}
	if (ju_date(ju_str(w, "start_date"), &a) < 0 || ju_date(ju_str(w, "end_date"), &b) < 0 || b < a)
		return -1;
	e->start = a;
	e->duration_min = (int)((b - a) / 60) + 24 * 60;
	return 0;
}

static int people(const json_t *item, struct sync_event *e)
{
	const json_t *ps = json_object_get(item, "participants"), *a;
	const json_t *org = json_object_get(item, "organizer");
	size_t i, n = json_array_size(ps);
	if (ju_str(org, "email"))
		ju_addr(&e->organizer, ju_str(org, "name"), ju_str(org, "email"));
	if (n && !(e->attendees = calloc(n, sizeof *e->attendees)))
		return -1;
	json_array_foreach(ps, i, a) {
		struct attendee *at = &e->attendees[e->n_attendees];
		if (ju_addr(&at->who, ju_str(a, "name"), ju_str(a, "email")) < 0)
			continue;
		const char *st = ju_partstat(ju_str(a, "status"));
		at->partstat = st ? strdup(st) : NULL;
		e->n_attendees++;
	}
	return 0;
}

int nylas_event_parse(const json_t *item, struct sync_event *e)
{
	const char *id = ju_str(item, "id"), *master = ju_str(item, "master_event_id");
	const json_t *w = json_object_get(item, "when"), *orig = json_object_get(item, "original_start_time");
	char stamp[17];

	memset(e, 0, sizeof *e);
	if (!id || !*id)
		return -1;
	if (master && *master) {
		if (!json_is_integer(orig))
			return -1;
		ju_stamp(json_integer_value(orig), ju_str(w, "start_time") == NULL &&
		    !json_is_integer(json_object_get(w, "start_time")), stamp);
		e->provider_id = strdup(master);
		e->recurrence_id = strdup(stamp);
		if (!e->recurrence_id)
			return -1;
	} else {
		e->provider_id = strdup(id);
	}
	e->uid = ju_dup(item, "ical_uid");
	if (!e->provider_id)
		return -1;
	e->updated = json_integer_value(json_object_get(item, "updated_at"));
	/* the version the store compares: listing it again stores nothing */
	if (e->updated && !(e->etag = nylas_event_etag(item)))
		return -1;
	const char *status = ju_str(item, "status");
	if (status && strcmp(status, "cancelled") == 0) {
		if (e->recurrence_id)
			e->cancelled = 1;
		else
			e->deleted = 1;
	}
	if (!w && e->deleted)
		return 0;
	if (when(w, e) < 0)
		return -1;
	e->title = strdup(ju_str(item, "title") ? ju_str(item, "title") : "");
	e->location = ju_dup(item, "location");
	e->description = ju_dup(item, "description");
	if (!e->title || people(item, e) < 0)
		return -1;
	return 0;
}

/* The folder of a listed message, or -1 to skip it. */
static int msg_folder(struct pass *p, const json_t *m)
{
	const json_t *fs = json_object_get(m, "folders"), *f;
	size_t i;
	int inbox = 0, sent = 0;
	json_array_foreach(fs, i, f) {
		const char *s = json_string_value(f);
		if (!s)
			continue;
		if (!strcasecmp(s, "DRAFT") || !strcasecmp(s, "DRAFTS") || !strcasecmp(s, "TRASH") ||
		    !strcasecmp(s, "SPAM") || !strcasecmp(s, "JUNK"))
			return -1;
		inbox |= !strcasecmp(s, "INBOX");
		sent |= !strcasecmp(s, "SENT");
	}
	if (sent)
		return FOLDER_SENT;
	if (inbox)
		return FOLDER_INBOX;
	const json_t *from = json_array_get(json_object_get(m, "from"), 0);
	const char *fe = ju_str(from, "email");
	return p->address && fe && strcasecmp(p->address, fe) == 0 ? FOLDER_SENT : FOLDER_INBOX;
}

/* ---- Mail -------------------------------------------------------------------------------- */

static int seen_has(const json_t *seen, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(seen, i, v)
		if (json_string_value(v) && strcmp(json_string_value(v), id) == 0)
			return 1;
	return 0;
}

static char *mail_cursor(struct pass *p)
{
	json_t *c = json_pack("{s:I, s:O}", "after", (json_int_t)p->new_after, "seen", p->new_seen);
	char *s = c ? json_dumps(c, JSON_COMPACT) : NULL;
	json_decref(c);
	return s;
}

static char *events_cursor(struct pass *p)
{
	json_t *c = json_pack("{s:I}", "updated_after", (json_int_t)p->new_upd);
	if (c && p->until)
		json_object_set_new(c, "until", json_integer(p->until));
	char *s = c ? json_dumps(c, JSON_COMPACT) : NULL;
	json_decref(c);
	return s;
}

static int page_done(struct pass *p, struct step_out *so, struct http_req *req)
{
	int last = !p->page_token, rc;
	char *cur = !last ? strdup(p->old_cursor) : p->s == STREAM_MAIL ? mail_cursor(p) : events_cursor(p);
	todo_clear(p);
	if (!cur)
		return PROV_TEMP;
	rc = ju_commit(so, p->s, &p->msgs, &p->evs, cur, WHO, p->link);
	free(cur);
	if (rc)
		return rc;
	if (last)
		return STEP_DONE;
	p->st = p->s == STREAM_MAIL ? ST_LIST : ST_EVENTS;
	return go(p, req);
}

static int fetch_next(struct pass *p, struct step_out *so, struct http_req *req)
{
	if (p->next < p->ntodo) {
		p->st = ST_RAW;
		return go(p, req);
	}
	return page_done(p, so, req);
}

/* Note a listed message in the high-water mark; 1 when it is new to us. */
static int mark(struct pass *p, const char *id, int64_t date)
{
	if (date < p->after || (date == p->after && seen_has(p->seen, id)))
		return 0;
	if (date > p->new_after) {
		p->new_after = date;
		json_array_clear(p->new_seen);
	}
	if (date == p->new_after && !seen_has(p->new_seen, id))
		json_array_append_new(p->new_seen, json_string(id));
	return 1;
}

static void take_page_token(struct pass *p, const json_t *j)
{
	free(p->page_token);
	p->page_token = ju_dup(j, "next_cursor");
}

static int on_list(struct pass *p, json_t *j, struct step_out *so, struct http_req *req)
{
	size_t i;
	json_t *m;
	json_t *data = json_object_get(j, "data");
	json_array_foreach(data, i, m) {
		const char *id = ju_str(m, "id");
		json_int_t date = json_integer_value(json_object_get(m, "date"));
		if (!id || !mark(p, id, date))
			continue;
		int folder = msg_folder(p, m);
		if (folder < 0)
			continue;
		struct todo *nv = realloc(p->todo, (p->ntodo + 1) * sizeof *nv);
		if (!nv)
			return PROV_TEMP;
		p->todo = nv;
		if (!(nv[p->ntodo].id = strdup(id)))
			return PROV_TEMP;
		nv[p->ntodo++].folder = folder;
	}
	take_page_token(p, j);
	return fetch_next(p, so, req);
}

static int on_raw(struct pass *p, json_t *j, struct step_out *so, struct http_req *req)
{
	struct todo *t = &p->todo[p->next++];
	size_t len = 0;
	char err[160] = "no raw_mime", *raw = ju_b64url_dec(ju_path(j, "data", "raw_mime", NULL), &len);
	struct sync_msg *m = raw ? msg_list_add(&p->msgs) : NULL;

	if (raw && !m) {
		free(raw);
		return PROV_TEMP;
	}
	if (!raw || mime_parse(raw, len, m, err, sizeof err) < 0 || !(m->provider_id = strdup(t->id))) {
		log_warnx("nylas link %lld: message %s skipped: %s", (long long)p->link, t->id, err);
		prov_skip_broken(so, SKIP_MAIL, t->id, 0, err);
		if (m) {
			msg_free(m);
			p->msgs.n--;
		}
	} else {
		m->folder = (enum msg_folder)t->folder;
	}
	free(raw);
	return fetch_next(p, so, req);
}

/* ---- Events ------------------------------------------------------------------------------ */

static int on_events(struct pass *p, json_t *j, struct step_out *so, struct http_req *req)
{
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(j, "data"), i, it) {
		struct sync_event *e = event_list_add(&p->evs);
		if (!e)
			return PROV_TEMP;
		if (nylas_event_parse(it, e) < 0 || (!e->deleted && !e->uid)) {
			log_warnx("nylas link %lld: event %s skipped: unreadable", (long long)p->link,
			    ju_str(it, "id") ? ju_str(it, "id") : "(no id)");
			prov_skip_broken(so, SKIP_EVENT, ju_str(it, "id"), 0, "unreadable event");
			event_free(e);
			p->evs.n--;
			continue;
		}
		if (!p->roll && e->updated && e->updated < p->upd) {   /* the repeated second's older ones */
			event_free(e);
			p->evs.n--;
			continue;
		}
		if (e->updated > p->new_upd)
			p->new_upd = e->updated;
	}
	take_page_token(p, j);
	return page_done(p, so, req);
}

/* ---- Steps ------------------------------------------------------------------------------- */

static int nylas_step(struct pass *p, const struct http_resp *resp, struct http_req *req,
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
	if (p->st == ST_RAW && resp->status == 404) {
		log_info("nylas link %lld: message %s gone before it was read", (long long)p->link,
		    p->todo[p->next].id);
		p->next++;
		return fetch_next(p, so, req);
	}
	if ((rc = ju_http_class(resp, retry_after)) != 0) {
		log_warnx("nylas link %lld: %s: HTTP %ld%s%s", (long long)p->link, p->url ? p->url : "?",
		    resp->status, resp->error ? ": " : "", resp->error ? resp->error : "");
		return rc;
	}
	if (!(j = ju_parse(resp, WHO, p->link, p->url)))
		return PROV_TEMP;
	switch (p->st) {
	case ST_LIST: rc = on_list(p, j, so, req); break;
	case ST_RAW: rc = on_raw(p, j, so, req); break;
	case ST_EVENTS: rc = on_events(p, j, so, req); break;
	default: rc = PROV_PERM;
	}
	json_decref(j);
	return rc;
}

char *nylas_event_etag(const json_t *event)
{
	json_int_t upd = json_integer_value(json_object_get(event, "updated_at"));
	char *tag;
	return upd && asprintf(&tag, "u%lld", (long long)upd) >= 0 ? tag : NULL;
}

/* An outbox item's pass (push_begin): folder set-up and moves run the folder machine. */
static int nylas_push_step(struct pass *p, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	memset(req, 0, sizeof *req);
	if (p->folder)
		return api_folder_step(p->folder, resp, req, so, retry_after);
	return api_push_step(p->push, resp, req, so, retry_after);
}

static int nylas_push_begin(const struct prov_link *l, const struct push_item *it,
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
	    (rc = nylas_push_req(l, it, &req, res->error, sizeof res->error)) != STEP_MORE)
		goto fail;
	if ((rc = api_push_init(p->push, WHO, l, it, res, &req)) != PROV_OK)
		goto fail;
	p->push->on_ok = nylas_push_ok;
	if ((rc = nylas_push_pre(l, it, &p->push->pre)) == STEP_MORE)
		p->push->on_pre = nylas_push_pre_ok;
	else if (rc != 0)
		goto fail;
	*out = p;
	return PROV_OK;
fail:
	nylas_end(p);
	return rc == STEP_MORE ? PROV_TEMP : rc;
}


/* /messages/{id}?fields=raw_mime: the MIME, base64url in data.raw_mime. */
static int fetched_raw(struct api_fetch *f, const struct http_resp *resp, struct step_out *so)
{
	json_t *j = ju_parse(resp, WHO, f->link, f->url);
	size_t len = 0;
	char *raw = j ? ju_b64url_dec(ju_path(j, "data", "raw_mime", NULL), &len) : NULL;
	int rc = raw ? api_fetch_mime(f, raw, len, -1, so) : PROV_PERM;
	if (j && !raw)
		log_warnx("nylas link %lld: message %s fetched again without raw_mime", (long long)f->link,
		    f->provider_id);
	free(raw);
	json_decref(j);
	return rc;
}

/* A series master's answer: ask for its occurrences (the events list expanded, by
 * master_event_id, from the link's start to a year ahead, as a pull has them). */
static int ask_occurrences(struct api_fetch *f)
{
	char *at = strstr(f->url, "/events/"), *id = ju_urlenc(f->provider_id), *u = NULL;
	int64_t from = f->since > 0 ? f->since : f->now - 30 * 86400;
	if (at && id && asprintf(&u, "%.*s/events?calendar_id=primary&expand_recurring=true"
	    "&master_event_id=%s&start=%lld&end=%lld&limit=200", (int)(at - f->url), f->url, id,
	    (long long)from, (long long)(f->now + 365 * 86400LL)) < 0)
		u = NULL;
	free(id);
	if (!u)
		return at ? PROV_TEMP : PROV_PERM;
	free(f->url);
	f->url = u;
	return STEP_MORE;
}

/* The occurrences' answer: those of the series, under its id. */
static int take_occurrences(struct api_fetch *f, const json_t *j, struct step_out *so)
{
	struct event_list evs = { 0 };
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(j, "data"), i, it) {
		struct sync_event *e = event_list_add(&evs);
		if (!e) {
			event_list_free(&evs);
			return PROV_TEMP;
		}
		if (nylas_event_parse(it, e) < 0 || e->deleted || !e->recurrence_id ||
		    strcmp(e->provider_id, f->provider_id) != 0) {
			event_free(e);
			evs.n--;
		}
	}
	return api_fetch_event(f, &evs, so);
}

/* /events/{id}: data is the event; a series master brings its occurrences with a second
 * request. */
static int fetched_nylas_event(struct api_fetch *f, const struct http_resp *resp,
    struct step_out *so)
{
	struct event_list evs = { 0 };
	json_t *j = ju_parse(resp, WHO, f->link, f->url);
	json_t *d = json_object_get(j, "data");
	struct sync_event *e = NULL;
	int rc = PROV_PERM;
	if (!j)
		rc = PROV_TEMP;
	else if (f->answers > 0)
		rc = take_occurrences(f, j, so);
	else if (json_array_size(json_object_get(d, "recurrence")) > 0 &&
	    !ju_str(d, "master_event_id"))
		rc = ask_occurrences(f);
	else if (d && !(e = event_list_add(&evs)))
		rc = PROV_TEMP;
	else if (e && nylas_event_parse(d, e) == 0)
		rc = api_fetch_event(f, &evs, so);
	event_list_free(&evs);
	json_decref(j);
	return rc;
}

/* A re-match: the message's MIME or the event, by Nylas id, in the link's grant. */
static int nylas_fetch_begin(const struct prov_link *l, enum stream s, const char *provider_id,
    const char *cursor, struct prov_keep *keep, struct pass **out)
{
	struct pass *p = calloc(1, sizeof *p);
	char *id = ju_urlenc(provider_id), *g = p ? oauth_grant_id(l) : NULL, *grant = NULL;
	char *url = NULL;
	int rc = PROV_PERM;
	(void)cursor;
	(void)keep;
	*out = NULL;
	if (!p || !id || !g || !(grant = ju_urlenc(g))) {
		rc = PROV_TEMP;
	} else if (l->cfg && l->cfg->api_base && (s == STREAM_MAIL || s == STREAM_EVENTS)) {
		if ((s == STREAM_MAIL ? asprintf(&url, "%s/v3/grants/%s/messages/%s?fields=raw_mime",
		    l->cfg->api_base, grant, id) : asprintf(&url,
		    "%s/v3/grants/%s/events/%s?calendar_id=primary", l->cfg->api_base, grant, id)) < 0)
			url = NULL;
		rc = api_fetch_begin(WHO, l, s, provider_id, url,
		    s == STREAM_MAIL ? fetched_raw : fetched_nylas_event, &p->fetch);
	}
	free(id);
	free(g);
	free(grant);
	if (rc != PROV_OK) {
		nylas_end(p);
		return rc;
	}
	*out = p;
	return PROV_OK;
}

static int nylas_fetch_step(struct pass *p, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	return api_fetch_step(p->fetch, resp, req, so, retry_after);
}

const struct provider nylas_provider = {
	.name = "nylas",
	.streams = STREAM_MAIL | STREAM_EVENTS | STREAM_FOLDER,
	.begin = nylas_begin,
	.step = nylas_step,
	.end = nylas_end,
	.push_begin = nylas_push_begin,
	.push_step = nylas_push_step,
	.fetch_begin = nylas_fetch_begin,
	.fetch = nylas_fetch_step,
};
