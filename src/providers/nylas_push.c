/* Nylas v3 pushes: events create (Idempotency-Key) / PUT / DELETE on the primary calendar and
 * messages/send, as requests and answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <jansson.h>

#include "providers/api_push.h"
#include "providers/json_util.h"
#include "providers/nylas.h"
#include "providers/oauth.h"

/* The send endpoint takes a JSON request of 3 MB at most (attachments base64 in it), a
 * multipart/form-data one of 25 MB. */
#define NYLAS_JSON_MAX (3 * 1000 * 1000)
#define NYLAS_SEND_MAX (25 * 1024 * 1024)

static json_t *when_of(const struct sync_event *e)
{
	int64_t dur = (int64_t)(e->duration_min > 0 ? e->duration_min : e->all_day ? 1440 : 30) * 60;
	const char *tz = e->tzid && *e->tzid ? e->tzid : "UTC";
	char a[11], b[11];
	if (!e->all_day)
		return json_pack("{s:I, s:I, s:s, s:s}", "start_time", (json_int_t)e->start, "end_time",
		    (json_int_t)(e->start + dur), "start_timezone", tz, "end_timezone", tz);
	api_push_date(e->start, a);
	api_push_date(e->start + dur - 86400, b);
	if (strcmp(a, b) >= 0)
		return json_pack("{s:s}", "date", a);
	return json_pack("{s:s, s:s}", "start_date", a, "end_date", b);
}

static json_t *people(const struct addr *v, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		if (!v[i].email)
			continue;
		json_t *x = json_pack("{s:s}", "email", v[i].email);
		if (x && v[i].name)
			json_object_set_new(x, "name", json_string(v[i].name));
		json_array_append_new(arr, x);
	}
	return arr;
}

char *nylas_event_body(const struct sync_event *e)
{
	json_t *o = json_object(), *ps = json_array();
	char *s = NULL;
	if (!o || !ps)
		goto out;
	json_object_set_new(o, "title", json_string(e->title ? e->title : ""));
	json_object_set_new(o, "description", json_string(e->description ? e->description : ""));
	json_object_set_new(o, "location", json_string(e->location ? e->location : ""));
	json_object_set_new(o, "when", when_of(e));
	for (size_t i = 0; i < e->n_attendees; i++) {
		const struct addr *a = &e->attendees[i].who;
		if (!a->email)
			continue;
		json_t *x = json_pack("{s:s}", "email", a->email);
		if (x && a->name)
			json_object_set_new(x, "name", json_string(a->name));
		json_array_append_new(ps, x);
	}
	json_object_set(o, "participants", ps);
	s = json_dumps(o, JSON_COMPACT);
out:
	json_decref(o);
	json_decref(ps);
	return s;
}

/* The messages/send body; reply_to_id (the answered message's Nylas id) makes Nylas thread it
 * and write In-Reply-To / References. with_files: the attachments go in it base64-encoded
 * (the JSON schema), else they are left for the multipart schema. */
static char *send_body(const struct sync_msg *m, const char *reply_to_id, int with_files)
{
	json_t *o = json_pack("{s:s, s:s, s:o, s:o}", "subject", m->subject ? m->subject : "", "body",
	    m->body_text ? m->body_text : "", "to", people(m->to, m->n_to), "cc", people(m->cc, m->n_cc));
	if (o && reply_to_id && json_object_set_new(o, "reply_to_message_id",
	    json_string(reply_to_id)) != 0) {
		json_decref(o);
		o = NULL;
	}
	json_t *files = o && with_files && m->n_attachments ? json_array() : NULL;
	for (size_t i = 0; files && i < m->n_attachments; i++) {
		const struct sync_attach *a = &m->attachments[i];
		char *b64 = api_push_b64((const char *)a->data, a->size, 0);
		json_t *x = b64 ? json_pack("{s:s, s:s, s:s, s:I}", "filename", a->name, "content_type",
		    a->media_type, "content", b64, "size", (json_int_t)a->size) : NULL;
		free(b64);
		if (!x || json_array_append_new(files, x) != 0) {
			json_decref(files);
			json_decref(o);
			return NULL;
		}
	}
	if (files && json_object_set_new(o, "attachments", files) != 0) {
		json_decref(o);
		return NULL;
	}
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

/* A multipart/form-data body: the message JSON in the field "message", then each attachment as
 * a file part "file<i>". Returns it malloc'd with its length and the boundary, or NULL. */
static char *send_multipart(const struct sync_msg *m, const char *json, size_t *len,
    char *boundary, size_t blen)
{
	FILE *f;
	char *out = NULL;
	size_t n = 0;
	unsigned char rnd[12];
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		return NULL;
	snprintf(boundary, blen, "crm-%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0],
	    rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], rnd[8], rnd[9], rnd[10], rnd[11]);
	if (!(f = open_memstream(&out, &n)))
		return NULL;
	fprintf(f, "--%s\r\nContent-Disposition: form-data; name=\"message\"\r\n"
	    "Content-Type: application/json\r\n\r\n%s\r\n", boundary, json);
	for (size_t i = 0; i < m->n_attachments; i++) {
		const struct sync_attach *a = &m->attachments[i];
		/* quotes and backslashes in the name as the HTML form encoding writes them */
		fprintf(f, "--%s\r\nContent-Disposition: form-data; name=\"file%zu\"; filename=\"",
		    boundary, i);
		for (const char *c = a->name; *c; c++) {
			if (*c == '"')
				fputs("%22", f);
			else if (*c == '\\')
				fputs("%5C", f);
			else
				fputc(*c, f);
		}
		fprintf(f, "\"\r\nContent-Type: %s\r\n\r\n", a->media_type);
		fwrite(a->data, 1, a->size, f);
		fputs("\r\n", f);
	}
	fprintf(f, "--%s--\r\n", boundary);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	*len = n;
	return out;
}

/* The messages/send request: JSON when it stays within NYLAS_JSON_MAX, else multipart. */
static int send_req(const struct sync_msg *m, const char *reply_to_id, char *url,
    struct http_req *req, char *err, size_t errlen)
{
	size_t total = 0;
	for (size_t i = 0; i < m->n_attachments; i++) {
		if (!m->attachments[i].data && m->attachments[i].size) {
			snprintf(err, errlen, "nylas: attachment \"%s\" could not be read to send",
			    m->attachments[i].name);
			free(url);
			return PROV_PERM;
		}
		total += m->attachments[i].size;
	}
	if (total > NYLAS_SEND_MAX) {
		snprintf(err, errlen, "nylas: the attachments are larger than the 25 MB Nylas sends");
		free(url);
		return PROV_PERM;
	}
	char *body = send_body(m, reply_to_id, 1);
	if (!body) {
		free(url);
		return PROV_TEMP;
	}
	if (strlen(body) <= NYLAS_JSON_MAX)
		return ju_send(req, "POST", url, body, NULL);
	free(body);
	char *json = send_body(m, reply_to_id, 0), boundary[64], ctype[128];
	size_t len = 0;
	body = json ? send_multipart(m, json, &len, boundary, sizeof boundary) : NULL;
	free(json);
	if (!body) {
		free(url);
		return PROV_TEMP;
	}
	snprintf(ctype, sizeof ctype, "multipart/form-data; boundary=%s", boundary);
	int rc = ju_send(req, "POST", url, body, ctype);
	req->body_len = len;   /* the file parts may hold NUL bytes */
	return rc;
}

/* api_base/v3/grants/<grant>/<rest>, malloc'd. */
static char *grant_url(const struct prov_link *l, const char *rest, const char *id, const char *query)
{
	char *g = oauth_grant_id(l), *ge = g ? ju_urlenc(g) : NULL, *ie = id ? ju_urlenc(id) : NULL;
	char *u = NULL;
	if (ge && (!id || ie) && asprintf(&u, "%s/v3/grants/%s/%s%s%s%s", l->cfg->api_base, ge, rest,
	    ie ? "/" : "", ie ? ie : "", query) < 0)
		u = NULL;
	free(g);
	free(ge);
	free(ie);
	return u;
}

int nylas_push_req(const struct prov_link *l, const struct push_item *it, struct http_req *req,
    char *err, size_t errlen)
{
	char *url = NULL, *body = NULL, key[300];
	int create = it->kind == PUSH_EVENT_CREATE;

	memset(req, 0, sizeof *req);
	if (!l->cfg || !l->cfg->api_base) {
		snprintf(err, errlen, "nylas endpoints are not configured");
		return PROV_PERM;
	}
	switch (it->kind) {
	case PUSH_EVENT_CREATE:
	case PUSH_EVENT_UPDATE:
		if (!it->event || (!create && !it->provider_id))
			break;
		url = grant_url(l, "events", create ? NULL : it->provider_id, "?calendar_id=primary");
		body = nylas_event_body(it->event);
		if (!url || !body || ju_send(req, create ? "POST" : "PUT", url, body, NULL) != STEP_MORE) {
			free(url);
			free(body);
			return PROV_TEMP;
		}
		snprintf(key, sizeof key, "Idempotency-Key: %s", it->idempotency_key ? it->idempotency_key : "");
		return create && it->idempotency_key && ju_add_header(req, key) < 0 ? PROV_TEMP : STEP_MORE;
	case PUSH_EVENT_DELETE:
		if (!it->provider_id)
			break;
		url = grant_url(l, "events", it->provider_id, "?calendar_id=primary");
		return url ? ju_send(req, "DELETE", url, NULL, NULL) : PROV_TEMP;
	case PUSH_MAIL_SEND:
		if (!it->mail || !(url = grant_url(l, "messages/send", NULL, "")))
			break;
		return send_req(it->mail, it->reply_to_id, url, req, err, errlen);
	default:
		snprintf(err, errlen, "nylas: this push is not supported");
		return PROV_PERM;
	}
	snprintf(err, errlen, "nylas: the outgoing item lacks what it needs");
	return PROV_PERM;
}

int nylas_push_pre(const struct prov_link *l, const struct push_item *it, struct http_req *pre)
{
	memset(pre, 0, sizeof *pre);
	if (it->kind != PUSH_EVENT_UPDATE || !it->etag || !it->provider_id)
		return 0;
	char *url = grant_url(l, "events", it->provider_id, "?calendar_id=primary");
	return url ? ju_send(pre, "GET", url, NULL, NULL) : PROV_TEMP;
}

int nylas_push_pre_ok(struct api_push *ap, json_t *j)
{
	json_t *ev = json_object_get(j, "data");
	char *now = ev ? nylas_event_etag(ev) : NULL;
	if (!now)
		return -1;
	int changed = strcmp(now, ap->it->etag) != 0;
	free(now);
	return changed;
}

int nylas_push_ok(struct api_push *ap, const struct http_resp *resp, json_t *j)
{
	const char *id = ju_path(j, "data", "id", NULL);
	(void)resp;
	if (ap->it->kind == PUSH_EVENT_DELETE)
		return 0;
	if (!id && ap->it->kind == PUSH_EVENT_UPDATE)
		id = ap->it->provider_id;
	ap->res->provider_id = id ? strdup(id) : NULL;
	/* Nylas answers a send with the message as its listing shows it: the same id */
	if (id && ap->it->kind == PUSH_MAIL_SEND && !(ap->res->listed_id = strdup(id)))
		return -1;
	const char *uid = ap->it->kind == PUSH_MAIL_SEND ? NULL : ju_path(j, "data", "ical_uid", NULL);
	ap->res->uid = uid && *uid ? strdup(uid) : NULL;
	/* the version written, so that the next update compares against it */
	if (ap->it->kind != PUSH_MAIL_SEND)
		ap->res->etag = nylas_event_etag(json_object_get(j, "data"));
	return id || ap->it->kind == PUSH_MAIL_SEND ? 0 : -1;
}
