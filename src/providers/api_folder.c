/* The CRM folder step machine shared by the JSON API providers: folders found or created,
 * messages in CRM imported batch by batch, each batch moved to Processed once committed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/log.h"
#include "providers/api_folder.h"
#include "providers/json_util.h"
#include "providers/mime.h"

#define MAX_ITEMS 500   /* messages taken from CRM in one pass; the rest come next pass */
#define BATCH 20        /* messages committed together before they are moved */

enum st { ST_FOLDERS, ST_CREATE, ST_LIST, ST_GET, ST_MOVE };

struct api_folder {
	const struct folder_api *api;
	struct oauth_sess auth;
	int64_t link;
	char *base;
	enum api_folder_mode mode;
	struct push_result *res;    /* push modes: borrowed from the engine */
	enum st st;
	char *url;                  /* the request in flight, for logs */
	char *page;                 /* next page of the listing being read */
	char *crm, *processed;      /* folder ids */
	const char *creating;       /* name of the folder being created */
	int relisted;               /* a create was refused as a duplicate: listed once more */
	json_t *items;              /* messages listed in CRM */
	size_t next;                /* next item to fetch */
	json_t *moves;              /* items of the batch read and parsed, to move once committed */
	size_t move_i;
	struct msg_list msgs;
	size_t imported;
};

void api_folder_free(struct api_folder *f)
{
	if (!f)
		return;
	oauth_sess_free(&f->auth);
	free(f->base);
	free(f->url);
	free(f->page);
	free(f->crm);
	free(f->processed);
	json_decref(f->items);
	json_decref(f->moves);
	msg_list_free(&f->msgs);
	free(f);
}

int api_folder_begin(const struct folder_api *api, const struct prov_link *l, const char *base,
    enum api_folder_mode mode, const char *move_id, struct push_result *res,
    struct api_folder **out)
{
	struct api_folder *f = calloc(1, sizeof *f);
	int rc = PROV_TEMP;

	*out = NULL;
	if (!f || !base || !(f->base = strdup(base)) || !(f->items = json_array()) ||
	    !(f->moves = json_array()))
		goto fail;
	f->api = api;
	f->link = l->id;
	f->mode = mode;
	f->res = res;
	if (mode == API_FOLDER_MOVE && (!move_id ||
	    json_array_append_new(f->moves, json_pack("{s:s}", "id", move_id)) < 0)) {
		rc = move_id ? PROV_TEMP : PROV_PERM;
		if (res)
			snprintf(res->error, sizeof res->error, "no message to move");
		goto fail;
	}
	if ((rc = oauth_sess_init(&f->auth, api->who, l)) != PROV_OK) {
		if (res)
			snprintf(res->error, sizeof res->error, "no usable OAuth tokens: re-link needed");
		goto fail;
	}
	*out = f;
	return PROV_OK;
fail:
	api_folder_free(f);
	return rc;
}

int api_folder_take(char **slot, const char *name, const char *id, const char *want)
{
	if (*slot || !name || !id || !*id || strcasecmp(name, want) != 0)
		return 0;
	return (*slot = strdup(id)) ? 0 : -1;
}

/* ---- Requests ---------------------------------------------------------------------------- */

/* Send method url (taken) with body (taken, may be NULL) through the token session. */
static int send(struct api_folder *f, struct http_req *req, const char *method, char *url,
    char *body)
{
	struct http_req api;
	free(f->url);
	f->url = url ? strdup(url) : NULL;
	if (!f->url) {
		free(url);
		free(body);
		return PROV_TEMP;
	}
	if (ju_send(&api, method, url, body, NULL) != STEP_MORE)
		return PROV_TEMP;   /* url and body freed */
	return oauth_send(&f->auth, &api, req);
}

static int get(struct api_folder *f, struct http_req *req, char *url)
{
	return send(f, req, "GET", url, NULL);
}

static int list_folders(struct api_folder *f, struct http_req *req)
{
	f->st = ST_FOLDERS;
	return get(f, req, f->api->folders_url(f->base, f->page));
}

static int list_messages(struct api_folder *f, struct http_req *req)
{
	f->st = ST_LIST;
	return get(f, req, f->api->messages_url(f->base, f->crm, f->page));
}

/* ---- The flow ---------------------------------------------------------------------------- */

static int fetch_next(struct api_folder *f, struct step_out *so, struct http_req *req);

static int move_next(struct api_folder *f, struct step_out *so, struct http_req *req)
{
	const char *method = NULL;
	char *url = NULL, *body = NULL;

	if (f->move_i >= json_array_size(f->moves)) {
		json_array_clear(f->moves);
		f->move_i = 0;
		return fetch_next(f, so, req);
	}
	f->st = ST_MOVE;
	if (f->api->move_req(f->base, json_array_get(f->moves, f->move_i), f->crm, f->processed,
	    &method, &url, &body) < 0) {
		free(url);
		free(body);
		return PROV_TEMP;
	}
	return send(f, req, method, url, body);
}

static char *cursor_json(struct api_folder *f)
{
	json_t *c = json_pack("{s:s, s:s}", "crm", f->crm, "processed", f->processed);
	char *s = c ? json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(c);
	return s;
}

/* Read the next message of CRM, or commit the batch read so far and move it to Processed. */
static int fetch_next(struct api_folder *f, struct step_out *so, struct http_req *req)
{
	size_t n = json_array_size(f->items);
	if (f->next < n && json_array_size(f->moves) < BATCH) {
		const char *id = ju_str(json_array_get(f->items, f->next), "id");
		f->st = ST_GET;
		return get(f, req, f->api->raw_url(f->base, id));
	}
	if (json_array_size(f->moves) > 0) {
		size_t k = f->msgs.n;
		char *cur = f->mode == API_FOLDER_PASS ? cursor_json(f) : NULL;
		if (f->mode == API_FOLDER_PASS) {
			int rc = cur ? ju_commit(so, STREAM_FOLDER, &f->msgs, NULL, cur, f->api->who,
			    f->link) : PROV_TEMP;
			free(cur);
			if (rc)
				return rc;
			f->imported += k;
		}
		return move_next(f, so, req);
	}
	if (f->mode == API_FOLDER_PASS && f->imported)
		log_info("%s link %lld: CRM folder: %zu message(s) imported and moved to Processed",
		    f->api->who, (long long)f->link, f->imported);
	return STEP_DONE;
}

/* Both folders known (or one to create next), then the work of the mode. */
static int ensure(struct api_folder *f, struct step_out *so, struct http_req *req)
{
	char *url = NULL, *body = NULL;
	if (!f->crm || !f->processed) {
		f->creating = !f->crm ? API_FOLDER_CRM : API_FOLDER_PROCESSED;
		f->st = ST_CREATE;
		if (f->api->create_req(f->base, f->creating, &url, &body) < 0) {
			free(url);
			free(body);
			return PROV_TEMP;
		}
		return send(f, req, "POST", url, body);
	}
	free(f->page);
	f->page = NULL;
	switch (f->mode) {
	case API_FOLDER_SETUP:
		return STEP_DONE;
	case API_FOLDER_MOVE:
		return move_next(f, so, req);
	case API_FOLDER_PASS:
		break;
	}
	return list_messages(f, req);
}

static int on_folders(struct api_folder *f, json_t *j, struct step_out *so,
    struct http_req *req)
{
	char *next = NULL;
	if (f->api->folders_read(j, &f->crm, &f->processed, &next) < 0) {
		log_warnx("%s link %lld: %s: unreadable folder list", f->api->who, (long long)f->link,
		    f->url ? f->url : "?");
		free(next);
		return PROV_TEMP;
	}
	free(f->page);
	f->page = next;
	if (next && (!f->crm || !f->processed))
		return list_folders(f, req);
	return ensure(f, so, req);
}

static int on_created(struct api_folder *f, json_t *j, struct step_out *so,
    struct http_req *req)
{
	char *id = f->api->created_id(j);
	if (!id) {
		log_warnx("%s link %lld: folder %s created without an id", f->api->who,
		    (long long)f->link, f->creating);
		return PROV_TEMP;
	}
	log_info("%s link %lld: created folder %s", f->api->who, (long long)f->link, f->creating);
	if (strcmp(f->creating, API_FOLDER_CRM) == 0)
		f->crm = id;
	else
		f->processed = id;
	return ensure(f, so, req);
}

static int on_list(struct api_folder *f, json_t *j, struct step_out *so, struct http_req *req)
{
	char *next = NULL;
	if (f->api->messages_read(j, f->items, &next) < 0) {
		log_warnx("%s link %lld: %s: unreadable message list", f->api->who, (long long)f->link,
		    f->url ? f->url : "?");
		free(next);
		return PROV_TEMP;
	}
	free(f->page);
	f->page = next;
	if (next && json_array_size(f->items) < MAX_ITEMS)
		return list_messages(f, req);
	return fetch_next(f, so, req);
}

static int on_raw(struct api_folder *f, const struct http_resp *resp, struct step_out *so,
    struct http_req *req)
{
	json_t *item = json_array_get(f->items, f->next++);
	const char *id = ju_str(item, "id");
	json_t *j = resp->body_len ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
	size_t len = 0;
	char err[160] = "no raw message in the answer";
	char *raw = f->api->raw_read(resp, j, &len);
	struct sync_msg *m = raw ? msg_list_add(&f->msgs) : NULL;
	int rc = 0;

	json_decref(j);
	if (raw && !m) {
		rc = PROV_TEMP;
	} else if (!raw || mime_parse(raw, len, m, err, sizeof err) < 0 ||
	    !(m->provider_id = strdup(id))) {
		log_warnx("%s link %lld: CRM folder: message %s left in CRM: %s", f->api->who,
		    (long long)f->link, id, err);
		if (m) {
			msg_free(m);
			f->msgs.n--;
		}
	} else {
		m->folder = FOLDER_CRM;
		rc = json_array_append(f->moves, item) < 0 ? PROV_TEMP : 0;
	}
	free(raw);
	return rc ? rc : fetch_next(f, so, req);
}

/* ---- Steps ------------------------------------------------------------------------------- */

/* A 4xx answer to a create that means the name is taken (Gmail and Graph 409, Nylas 400). */
static int duplicate(long status)
{
	return status == 409 || status == 400 || status == 422;
}

static int failed(struct api_folder *f, const struct http_resp *resp, int rc)
{
	const char *what = f->st == ST_CREATE ? "creating a folder" : f->st == ST_MOVE ?
	    "moving to Processed" : "reading folders";
	log_warnx("%s link %lld: %s: %s: HTTP %ld%s%s", f->api->who, (long long)f->link, what,
	    f->url ? f->url : "?", resp->status, resp->error ? ": " : "",
	    resp->error ? resp->error : "");
	if (f->res)
		snprintf(f->res->error, sizeof f->res->error, "%s: HTTP %ld", what, resp->status);
	return rc;
}

int api_folder_step(struct api_folder *f, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	json_t *j = NULL;
	int rc;

	memset(req, 0, sizeof *req);
	if (!resp)
		return list_folders(f, req);
	if ((rc = oauth_answer(&f->auth, resp, req, so, retry_after)) != 0) {
		if (rc == PROV_AUTH && f->res)
			snprintf(f->res->error, sizeof f->res->error, "login refused: re-link needed");
		return rc;
	}
	if (f->st == ST_CREATE && duplicate(resp->status) && !f->relisted) {
		f->relisted = 1;   /* made meanwhile (or by an earlier attempt): find it */
		free(f->page);
		f->page = NULL;
		return list_folders(f, req);
	}
	rc = ju_http_class(resp, retry_after);
	if (f->st == ST_GET && (resp->status == 404 || rc == PROV_PERM)) {
		log_info("%s link %lld: CRM folder: message %s unreadable (HTTP %ld), skipped",
		    f->api->who, (long long)f->link, ju_str(json_array_get(f->items, f->next), "id"),
		    resp->status);
		f->next++;
		return fetch_next(f, so, req);
	}
	if (f->st == ST_GET && rc == 0)
		return on_raw(f, resp, so, req);
	if (f->st == ST_MOVE && (rc == 0 || resp->status == 404 ||
	    (rc == PROV_PERM && f->mode == API_FOLDER_PASS))) {
		if (rc)
			failed(f, resp, rc);
		f->move_i++;
		return move_next(f, so, req);
	}
	if (rc)
		return failed(f, resp, rc);
	if (!(j = ju_parse(resp, f->api->who, f->link, f->url)))
		return PROV_TEMP;
	switch (f->st) {
	case ST_FOLDERS: rc = on_folders(f, j, so, req); break;
	case ST_CREATE: rc = on_created(f, j, so, req); break;
	case ST_LIST: rc = on_list(f, j, so, req); break;
	default: rc = PROV_PERM;
	}
	json_decref(j);
	return rc;
}
