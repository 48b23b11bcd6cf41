/* Fetching one item again by id from an OAuth API (see api_fetch.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "providers/api_fetch.h"
#include "providers/json_util.h"
#include "providers/mime.h"

void api_fetch_free(struct api_fetch *f)
{
	if (!f)
		return;
	oauth_sess_free(&f->auth);
	free(f->url);
	free(f->provider_id);
	free(f->address);
	free(f->owner_tz);
	free(f->note);
	free(f);
}

int api_fetch_begin(const char *who, const struct prov_link *l, enum stream s,
    const char *provider_id, char *url,
    int (*parse)(struct api_fetch *, const struct http_resp *, struct step_out *),
    struct api_fetch **out)
{
	struct api_fetch *f = calloc(1, sizeof *f);
	int rc = PROV_TEMP;
	*out = NULL;
	if (!f || !url) {
		free(url);
		free(f);
		return url ? PROV_TEMP : PROV_PERM;
	}
	f->who = who;
	f->link = l->id;
	f->s = s;
	f->url = url;
	f->parse = parse;
	f->since = l->since;
	f->now = prov_now(l);
	if (!(f->provider_id = strdup(provider_id)) ||
	    (l->address && !(f->address = strdup(l->address))) ||
	    (l->owner_tz && !(f->owner_tz = strdup(l->owner_tz))))
		goto fail;
	if ((rc = oauth_sess_init(&f->auth, who, l)) != PROV_OK)
		goto fail;
	*out = f;
	return PROV_OK;
fail:
	api_fetch_free(f);
	return rc;
}

/* A GET of f->url through the token session. */
static int send_get(struct api_fetch *f, struct http_req *req)
{
	struct http_req api;
	char *u = strdup(f->url);
	if (!u || ju_get(&api, u, NULL) != STEP_MORE)
		return PROV_TEMP;
	return oauth_send(&f->auth, &api, req);
}

int api_fetch_step(struct api_fetch *f, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	int rc;
	memset(req, 0, sizeof *req);
	if (!resp)
		return send_get(f, req);
	if ((rc = oauth_answer(&f->auth, resp, req, so, retry_after)) != 0)
		return rc;
	if (resp->status == 404 || resp->status == 410) {
		log_info("%s link %lld: %s not fetched again: gone (HTTP %ld)", f->who,
		    (long long)f->link, f->provider_id, resp->status);
		return PROV_PERM;
	}
	if ((rc = ju_http_class(resp, retry_after)) != 0) {
		log_warnx("%s link %lld: %s: HTTP %ld%s%s", f->who, (long long)f->link, f->url,
		    resp->status, resp->error ? ": " : "", resp->error ? resp->error : "");
		return rc;
	}
	rc = f->parse(f, resp, so);
	f->answers++;
	if (rc == STEP_MORE)
		return send_get(f, req);
	return rc == PROV_OK ? STEP_DONE : rc;
}

enum msg_folder api_fetch_folder(const struct api_fetch *f, const struct sync_msg *m)
{
	return f->address && m->from.email && strcasecmp(f->address, m->from.email) == 0 ?
	    FOLDER_SENT : FOLDER_INBOX;
}

int api_fetch_mime(struct api_fetch *f, const char *raw, size_t len, int folder,
    struct step_out *so)
{
	struct msg_list msgs = { 0 };
	char err[160];
	struct sync_msg *m = msg_list_add(&msgs);
	if (!m)
		return PROV_TEMP;
	if (mime_parse(raw, len, m, err, sizeof err) < 0 || !(m->provider_id = strdup(f->provider_id))) {
		log_warnx("%s link %lld: message %s fetched again and skipped: %s", f->who,
		    (long long)f->link, f->provider_id, err);
		prov_skip_broken(so, SKIP_MAIL, f->provider_id, 0, err);
		msg_list_free(&msgs);
		return PROV_PERM;
	}
	m->folder = folder >= 0 ? (enum msg_folder)folder : api_fetch_folder(f, m);
	int rc = ju_commit(so, STREAM_MAIL, &msgs, NULL, NULL, f->who, f->link);
	msg_list_free(&msgs);
	return rc ? rc : PROV_OK;
}

int api_fetch_event(struct api_fetch *f, struct event_list *evs, struct step_out *so)
{
	if (!evs->n || evs->v[0].deleted) {
		event_list_free(evs);
		return PROV_PERM;
	}
	int rc = ju_commit(so, STREAM_EVENTS, NULL, evs, NULL, f->who, f->link);
	event_list_free(evs);
	return rc ? rc : PROV_OK;
}
