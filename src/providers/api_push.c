/* A push through a JSON provider API: one request with token refresh, the answer classed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/log.h"
#include "providers/api_push.h"
#include "providers/json_util.h"

int api_push_init(struct api_push *ap, const char *who, const struct prov_link *l,
    const struct push_item *it, struct push_result *res, struct http_req *req)
{
	int rc;
	ap->who = who;
	ap->link = l->id;
	ap->it = it;
	ap->res = res;
	ap->req = *req;
	memset(req, 0, sizeof *req);
	/* a mail that went out before a crash is not sent twice */
	ap->done = it->kind == PUSH_MAIL_SEND && it->progress && strcmp(it->progress, "sent") == 0;
	if ((rc = oauth_sess_init(&ap->auth, who, l)) != PROV_OK)
		snprintf(res->error, sizeof res->error, "no usable OAuth tokens: re-link needed");
	return rc;
}

void api_push_free(struct api_push *ap)
{
	oauth_sess_free(&ap->auth);
	http_req_clear(&ap->req);
	http_req_clear(&ap->pre);
}

static const char *kind_name(enum push_kind k)
{
	switch (k) {
	case PUSH_EVENT_CREATE: return "event create";
	case PUSH_EVENT_UPDATE: return "event update";
	case PUSH_EVENT_DELETE: return "event delete";
	case PUSH_MAIL_SEND: return "mail send";
	case PUSH_FOLDER_SETUP: return "folder setup";
	case PUSH_FOLDER_MOVE: return "folder move";
	}
	return "push";
}

/* The provider's error message in a JSON error answer, or "". */
static const char *error_text(json_t *j)
{
	json_t *e = json_object_get(j, "error");
	const char *m = json_is_string(e) ? json_string_value(e) : ju_str(e, "message");
	if (!m)
		m = ju_str(j, "error_description");
	return m ? m : "";
}

static int on_answer(struct api_push *ap, const struct http_resp *resp, long *retry_after)
{
	enum push_kind k = ap->it->kind;
	json_t *j = resp->body_len ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
	int rc = STEP_DONE;

	if (resp->status >= 200 && resp->status <= 299) {
		if (k == PUSH_MAIL_SEND && ap->it->save_progress &&
		    ap->it->save_progress(ap->it->progress_ctx, "sent") < 0)
			log_warnx("%s link %lld: mail sent, but its progress was not recorded", ap->who,
			    (long long)ap->link);
		if (ap->on_ok && ap->on_ok(ap, resp, j) < 0) {
			snprintf(ap->res->error, sizeof ap->res->error, "%s: unreadable answer", kind_name(k));
			rc = k == PUSH_MAIL_SEND ? STEP_DONE : PROV_TEMP;
		}
	} else if (k == PUSH_EVENT_CREATE && ap->dup_status && resp->status == ap->dup_status) {
		if (ap->on_ok)
			ap->on_ok(ap, resp, NULL);
	} else if (resp->status == 412 && k == PUSH_EVENT_UPDATE) {
		ap->res->conflict = 1;
	} else if ((resp->status == 404 || resp->status == 410) &&
	    (k == PUSH_EVENT_UPDATE || k == PUSH_EVENT_DELETE)) {
		ap->res->gone = 1;
	} else {
		rc = ju_http_class(resp, retry_after);
		snprintf(ap->res->error, sizeof ap->res->error, "%s: HTTP %ld%s%s%s%s", kind_name(k),
		    resp->status, *error_text(j) ? ": " : "", error_text(j),
		    resp->error ? ": " : "", resp->error ? resp->error : "");
		log_warnx("%s link %lld: %s", ap->who, (long long)ap->link, ap->res->error);
	}
	json_decref(j);
	return rc;
}

/* The answer to the request sent first (pre): the item unchanged sends the update next. */
static int on_pre_answer(struct api_push *ap, const struct http_resp *resp, struct http_req *req,
    long *retry_after)
{
	json_t *j = resp->body_len ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
	int rc = STEP_DONE;
	if (resp->status >= 200 && resp->status <= 299) {
		int changed = ap->on_pre(ap, j);
		if (changed < 0) {
			snprintf(ap->res->error, sizeof ap->res->error, "%s: unreadable answer",
			    kind_name(ap->it->kind));
			rc = PROV_TEMP;
		} else if (changed) {
			ap->res->conflict = 1;
		} else {
			rc = oauth_send(&ap->auth, &ap->req, req);
		}
	} else if (resp->status == 404 || resp->status == 410) {
		ap->res->gone = 1;
	} else {
		rc = ju_http_class(resp, retry_after);
		snprintf(ap->res->error, sizeof ap->res->error, "%s: reading it first: HTTP %ld%s%s",
		    kind_name(ap->it->kind), resp->status, *error_text(j) ? ": " : "", error_text(j));
		log_warnx("%s link %lld: %s", ap->who, (long long)ap->link, ap->res->error);
	}
	json_decref(j);
	return rc;
}

int api_push_step(struct api_push *ap, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	int rc;
	memset(req, 0, sizeof *req);
	if (ap->done)
		return STEP_DONE;
	if (!resp) {
		if (ap->on_pre && ap->pre.url) {
			ap->in_pre = 1;
			return oauth_send(&ap->auth, &ap->pre, req);
		}
		return oauth_send(&ap->auth, &ap->req, req);
	}
	if ((rc = oauth_answer(&ap->auth, resp, req, so, retry_after)) != 0) {
		if (rc == PROV_AUTH)
			snprintf(ap->res->error, sizeof ap->res->error, "login refused: re-link needed");
		return rc;
	}
	if (ap->in_pre) {
		ap->in_pre = 0;
		return on_pre_answer(ap, resp, req, retry_after);
	}
	return on_answer(ap, resp, retry_after);
}

void api_push_iso(int64_t t, int bare, char out[21])
{
	ju_iso(t, out);
	if (bare)
		out[19] = 0;
}

void api_push_date(int64_t t, char out[11])
{
	char iso[21];
	ju_iso(t, iso);
	memcpy(out, iso, 10);
	out[10] = 0;
}

char *api_push_b64(const char *data, size_t len, int url_safe)
{
	int variant = url_safe ? sodium_base64_VARIANT_URLSAFE_NO_PADDING : sodium_base64_VARIANT_ORIGINAL;
	size_t n = sodium_base64_encoded_len(len, variant);
	char *out = malloc(n);
	if (out)
		sodium_bin2base64(out, n, (const unsigned char *)data, len, variant);
	return out;
}
