/* CalDAV requests outside a pass: the calendar and resource URLs of a pushed event, its PUT and
 * DELETE, the class of their answers, and the credentials every CalDAV request carries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/netguard.h"
#include "providers/caldav.h"
#include "providers/caldav_push.h"
#include "providers/davxml.h"
#include "providers/ical.h"

#define CALDAV_PRODID "-//CRM//Calendar Sync//EN"

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

char *caldav_userpwd(const struct prov_link *l)
{
	json_t *s = json_loads(l->settings ? l->settings : "{}", 0, NULL);
	json_t *k = json_loads(l->secret ? l->secret : "{}", 0, NULL);
	const char *user = json_string_value(json_object_get(s, "username"));
	const char *pw = json_string_value(json_object_get(k, "password"));
	char *r = NULL;
	if (user && *user && asprintf(&r, "%s:%s", user, pw ? pw : "") < 0)
		r = NULL;
	json_decref(s);
	json_decref(k);
	return r;
}

char *caldav_auth_url(const struct prov_link *l)
{
	json_t *s = json_loads(l->settings ? l->settings : "{}", 0, NULL);
	char *u = jdup(s, "caldav_url");
	if (!u)
		u = jdup(s, "calendar_url");
	json_decref(s);
	return u;
}

/* ---- Pushing ----------------------------------------------------------------------------- */

/* The calendar URL: settings' calendar_url, else the cursor's; malloc'd with a trailing '/'. */
static char *calendar_of(const struct prov_link *l, const char *cursor)
{
	json_t *s = json_loads(l->settings ? l->settings : "{}", 0, NULL);
	json_t *c = cursor ? json_loads(cursor, 0, NULL) : NULL;
	char *cal = jdup(s, "calendar_url");
	char *r;
	if (!cal)
		cal = jdup(c, "cal");
	r = cal ? with_slash(cal) : NULL;
	free(cal);
	json_decref(s);
	json_decref(c);
	return r;
}

char *caldav_event_url(const struct prov_link *l, const char *cursor, const char *uid)
{
	char *cal = uid && *uid ? calendar_of(l, cursor) : NULL;
	char *seg = cal ? dav_escape_segment(uid) : NULL;
	char *r = NULL;
	if (seg && asprintf(&r, "%s%s.ics", cal, seg) < 0)
		r = NULL;
	free(cal);
	free(seg);
	return r;
}

char *caldav_event_provider_id(const struct prov_link *l, const char *cursor, const char *uid)
{
	char *u = caldav_event_url(l, cursor, uid);
	char *r = u ? dav_path(u) : NULL;
	free(u);
	return r;
}

/* Fill req with method, url and two headers (the second may be NULL). */
static int push_req(const struct prov_link *l, struct http_req *req, const char *method, char *url,
    const char *h1, const char *h2, char *body)
{
	memset(req, 0, sizeof *req);
	req->method = method;
	req->url = url;
	req->guard = 1;
	req->body = body;
	req->body_len = body ? strlen(body) : 0;
	char *auth_url = caldav_auth_url(l);
	req->userpwd = url && netguard_same_origin(url, auth_url) ? caldav_userpwd(l) : NULL;
	free(auth_url);
	req->headers = calloc(3, sizeof *req->headers);
	int n = 0;
	if (req->headers && h1)
		req->headers[n++] = strdup(h1);
	if (req->headers && h2)
		req->headers[n++] = strdup(h2);
	if (!url || !req->headers || (h1 && !req->headers[0]) || (h2 && !req->headers[n - 1])) {
		http_req_clear(req);
		return PROV_PERM;
	}
	return PROV_OK;
}

int caldav_put_req(const struct prov_link *l, const char *cursor, const struct sync_event *e,
    int sequence, const char *etag, struct http_req *req)
{
	char *cond = NULL;
	memset(req, 0, sizeof *req);
	if (!e || !e->uid)
		return PROV_PERM;
	char *url = caldav_event_url(l, cursor, e->uid);
	char *body = url ? ical_build_seq(e, CALDAV_PRODID, sequence) : NULL;
	if (!body || (etag ? asprintf(&cond, "If-Match: %s", etag) : asprintf(&cond, "If-None-Match: *")) < 0) {
		free(url);
		free(body);
		return PROV_PERM;
	}
	int rc = push_req(l, req, "PUT", url, "Content-Type: text/calendar; charset=utf-8", cond, body);
	free(cond);
	return rc;
}

/* "/alice/cal/a@b.ics" -> "/alice/cal/a%40b.ics": each segment escaped, slashes kept. */
static char *encode_path(const char *path)
{
	char *buf = NULL, *dup = strdup(path);
	size_t len = 0;
	FILE *f = dup ? open_memstream(&buf, &len) : NULL;
	if (!f) {
		free(dup);
		return NULL;
	}
	for (char *s = dup, *slash; s; s = slash ? slash + 1 : NULL) {
		slash = strchr(s, '/');
		if (slash)
			*slash = 0;
		char *seg = dav_escape_segment(s);
		fputs(seg ? seg : "", f);
		free(seg);
		if (slash)
			fputc('/', f);
	}
	free(dup);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int caldav_delete_req(const struct prov_link *l, const char *cursor, const char *provider_id,
    const char *etag, struct http_req *req)
{
	char *url = NULL, *cond = NULL;
	memset(req, 0, sizeof *req);
	if (!provider_id || !*provider_id)
		return PROV_PERM;
	if (strstr(provider_id, "://")) {
		url = strdup(provider_id);
	} else {
		char *cal = calendar_of(l, cursor);
		char *origin = cal ? dav_origin(cal) : NULL;
		char *path = origin ? encode_path(provider_id) : NULL;
		if (path && asprintf(&url, "%s%s", origin, path) < 0)
			url = NULL;
		free(cal);
		free(origin);
		free(path);
	}
	if (!url || (etag && asprintf(&cond, "If-Match: %s", etag) < 0)) {
		free(url);
		return PROV_PERM;
	}
	int rc = push_req(l, req, "DELETE", url, cond, NULL, NULL);
	free(cond);
	return rc;
}

int caldav_push_result(const struct http_resp *resp, int is_delete, long *retry_after)
{
	if (is_delete && (resp->status == 404 || resp->status == 410))
		return PROV_OK;
	if (resp->status == 403)
		return PROV_AUTH;
	int c = caldav_classify(resp, retry_after);
	return c ? c : PROV_OK;
}
