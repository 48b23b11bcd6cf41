/* CalDAV push: create, update and delete one CRM appointment as <UID>.ics, idempotent on retry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "core/netguard.h"
#include "providers/caldav.h"
#include "providers/caldav_push.h"
#include "providers/ical.h"

#define PUSH_PRODID "-//CRM//Calendar Sync//EN"

enum pst {
	P_PUT_NEW,          /* PUT If-None-Match: * */
	P_PUT_MATCH,        /* PUT If-Match: etag */
	P_PUT_ANY,          /* PUT without condition (the server gives no ETags) */
	P_GET_CREATED,      /* after a 412 on create: learn the ETag */
	P_GET_CURRENT,      /* update without a known etag: learn it */
	P_DELETE,
};

struct caldav_push {
	enum push_kind kind;
	enum pst st;
	int64_t link;
	int known;              /* the event had been pushed or pulled before */
	char *url, *del_url, *pid, *userpwd, *body, *etag;
	char *auth_url;          /* caldav_auth_url(): where userpwd may go */
	struct push_result *res;
};

void caldav_push_free(struct caldav_push *p)
{
	if (!p)
		return;
	free(p->url);
	free(p->del_url);
	free(p->pid);
	free(p->userpwd);
	free(p->auth_url);
	free(p->body);
	free(p->etag);
	free(p);
}

static char *userpwd_of(const struct prov_link *l)
{
	json_t *s = json_loads(l->settings ? l->settings : "{}", 0, NULL);
	json_t *k = json_loads(l->secret ? l->secret : "{}", 0, NULL);
	const char *user = json_string_value(json_object_get(s, "username"));
	const char *pw = json_string_value(json_object_get(k, "password"));
	char *r = NULL;
	if (!user || !*user)
		user = l->address;
	if (user && asprintf(&r, "%s:%s", user, pw ? pw : "") < 0)
		r = NULL;
	json_decref(s);
	json_decref(k);
	return r;
}

/* The URL caldav_delete_req() would use for provider_id, malloc'd. */
static char *delete_url(const struct prov_link *l, const char *cursor, const char *provider_id)
{
	struct http_req req;
	if (caldav_delete_req(l, cursor, provider_id, NULL, &req) != PROV_OK)
		return NULL;
	char *url = req.url;
	req.url = NULL;
	http_req_clear(&req);
	return url;
}

int caldav_push_new(const struct prov_link *l, const struct push_item *it,
    struct push_result *res, struct caldav_push **out)
{
	struct caldav_push *p = calloc(1, sizeof *p);
	const char *uid = it->event ? it->event->uid : NULL;
	const char *why = NULL;

	*out = NULL;
	if (!p)
		return PROV_TEMP;
	p->kind = it->kind;
	p->link = l->id;
	p->res = res;
	p->known = it->provider_id != NULL;
	p->userpwd = userpwd_of(l);
	p->auth_url = caldav_auth_url(l);
	p->etag = it->etag ? strdup(it->etag) : NULL;
	if (uid && *uid && it->kind == PUSH_EVENT_UPDATE && it->provider_id &&
	    !strstr(it->provider_id, "://")) {
		/* an event the link knows stays where it is, in whichever of its calendars */
		p->url = delete_url(l, it->cursor, it->provider_id);
		p->pid = strdup(it->provider_id);
	} else if (uid && *uid) {
		p->url = caldav_event_url(l, it->cursor, uid);
		p->pid = caldav_event_provider_id(l, it->cursor, uid);
	}
	switch (it->kind) {
	case PUSH_EVENT_CREATE:
	case PUSH_EVENT_UPDATE:
		if (!uid || !*uid)
			why = "the appointment has no UID";
		else if (!p->url || !p->pid)
			why = "no calendar known for this link yet (first calendar sync pending)";
		else if (!(p->body = ical_build_seq(it->event, PUSH_PRODID, it->sequence)))
			why = "the appointment cannot be written as iCalendar";
		p->st = it->kind == PUSH_EVENT_CREATE ? P_PUT_NEW : p->etag ? P_PUT_MATCH :
		    P_GET_CURRENT;
		break;
	case PUSH_EVENT_DELETE:
		p->st = P_DELETE;
		p->del_url = it->provider_id ? delete_url(l, it->cursor, it->provider_id) :
		    p->url ? strdup(p->url) : NULL;
		if (!p->del_url)
			why = "no calendar event to delete";
		break;
	default:
		why = "CalDAV links push appointments only";
	}
	if (why) {
		snprintf(res->error, sizeof res->error, "%s", why);
		int later = (it->kind == PUSH_EVENT_CREATE || it->kind == PUSH_EVENT_UPDATE) &&
		    uid && *uid && !p->url;
		caldav_push_free(p);
		return later ? PROV_TEMP : PROV_PERM;   /* the calendar is found by the first sync */
	}
	*out = p;
	return PROV_OK;
}

/* Fill req for the current state. */
static int emit(struct caldav_push *p, struct http_req *req)
{
	char *cond = NULL;
	int put = p->st == P_PUT_NEW || p->st == P_PUT_MATCH || p->st == P_PUT_ANY;
	int n = 0;

	memset(req, 0, sizeof *req);
	if (p->st == P_PUT_NEW)
		cond = strdup("If-None-Match: *");
	else if ((p->st == P_PUT_MATCH || p->st == P_DELETE) && p->etag &&
	    asprintf(&cond, "If-Match: %s", p->etag) < 0)
		cond = NULL;
	req->method = put ? "PUT" : p->st == P_DELETE ? "DELETE" : "GET";
	req->url = strdup(p->st == P_DELETE ? p->del_url : p->url);
	req->guard = 1;
	int auth = p->userpwd && req->url && netguard_same_origin(req->url, p->auth_url);
	req->userpwd = auth ? strdup(p->userpwd) : NULL;
	req->headers = calloc(3, sizeof *req->headers);
	if (req->headers && put)
		req->headers[n++] = strdup("Content-Type: text/calendar; charset=utf-8");
	if (req->headers && cond)
		req->headers[n++] = cond;
	else
		free(cond);
	if (put) {
		req->body = strdup(p->body);
		req->body_len = req->body ? strlen(req->body) : 0;
	}
	for (int i = 0; req->headers && i < n; i++)
		if (!req->headers[i])
			goto fail;
	if (!req->url || !req->headers || (put && !req->body) || (auth && !req->userpwd))
		goto fail;
	return STEP_MORE;
fail:
	http_req_clear(req);
	snprintf(p->res->error, sizeof p->res->error, "out of memory");
	return PROV_TEMP;
}

static int done(struct caldav_push *p, const char *etag)
{
	p->res->provider_id = p->pid;
	p->pid = NULL;
	p->res->etag = etag ? strdup(etag) : NULL;
	return STEP_DONE;
}

static int go(struct caldav_push *p, enum pst st, struct http_req *req)
{
	p->st = st;
	return emit(p, req);
}

/* A failed answer: its class, with the reason in res->error. */
static int failed(struct caldav_push *p, const struct http_resp *r, long *retry_after)
{
	int rc = caldav_push_result(r, 0, retry_after);
	if (rc == PROV_OK)
		rc = PROV_PERM;
	if (r->status == 0)
		snprintf(p->res->error, sizeof p->res->error, "%s: %s", p->url ? p->url : p->del_url,
		    r->error ? r->error : "transfer failed");
	else
		snprintf(p->res->error, sizeof p->res->error, "%s %s: HTTP %ld",
		    p->st == P_DELETE ? "DELETE" : p->st == P_GET_CREATED || p->st == P_GET_CURRENT ?
		    "GET" : "PUT", p->st == P_DELETE ? p->del_url : p->url, r->status);
	log_warnx("caldav link %lld: push: %s", (long long)p->link, p->res->error);
	return rc;
}

int caldav_push_step(struct caldav_push *p, const struct http_resp *r, struct http_req *req,
    long *retry_after)
{
	memset(req, 0, sizeof *req);
	if (!r)
		return emit(p, req);
	int ok = r->status >= 200 && r->status <= 299;
	switch (p->st) {
	case P_PUT_NEW:
		if (r->status == 412)       /* made by an earlier attempt of this same item */
			return go(p, P_GET_CREATED, req);
		/* fall through */
	case P_PUT_ANY:
		if (ok)
			return done(p, r->etag);
		break;
	case P_PUT_MATCH:
		if (ok)
			return done(p, r->etag);
		if (r->status == 412) {
			p->res->conflict = 1;
			return STEP_DONE;
		}
		if (r->status == 404 || r->status == 410) {
			p->res->gone = 1;
			return STEP_DONE;
		}
		break;
	case P_GET_CREATED:
		if (ok)
			return done(p, r->etag);
		break;
	case P_GET_CURRENT:
		if (ok && r->etag) {
			free(p->etag);
			p->etag = strdup(r->etag);
			return go(p, p->etag ? P_PUT_MATCH : P_PUT_ANY, req);
		}
		if (ok)
			return go(p, P_PUT_ANY, req);
		if ((r->status == 404 || r->status == 410) && p->known) {
			p->res->gone = 1;
			return STEP_DONE;
		}
		if (r->status == 404 || r->status == 410)
			return go(p, P_PUT_NEW, req);
		break;
	case P_DELETE:
		if (ok)
			return STEP_DONE;
		if (r->status == 404 || r->status == 410) {
			p->res->gone = 1;
			return STEP_DONE;
		}
		if (r->status == 412) {
			p->res->conflict = 1;
			return STEP_DONE;
		}
		break;
	}
	return failed(p, r, retry_after);
}
