/* Nylas' side of the CRM folder: folders CRM and Processed (/folders), messages listed with
 * in=<CRM id>, read with fields=raw_mime, moved by PUT of the message's folders. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "providers/api_folder.h"
#include "providers/json_util.h"

static char *folders_url(const char *base, const char *page)
{
	char *u = NULL, *p = page ? ju_urlenc(page) : NULL;
	if ((page && !p) || asprintf(&u, "%s/folders%s%s", base, p ? "?page_token=" : "",
	    p ? p : "") < 0)
		u = NULL;
	free(p);
	return u;
}

static int folders_read(const json_t *j, char **crm, char **processed, char **next)
{
	const json_t *v = json_object_get(j, "data"), *f;
	size_t i;
	*next = ju_dup(j, "next_cursor");
	if (!json_is_array(v))
		return -1;
	json_array_foreach(v, i, f) {
		const char *name = ju_str(f, "name"), *id = ju_str(f, "id");
		if (api_folder_take(crm, name, id, API_FOLDER_CRM) < 0 ||
		    api_folder_take(processed, name, id, API_FOLDER_PROCESSED) < 0)
			return -1;
	}
	return 0;
}

static int create_req(const char *base, const char *name, char **url, char **body)
{
	json_t *o = json_pack("{s:s}", "name", name);
	*url = NULL;
	*body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!*body || asprintf(url, "%s/folders", base) < 0) {
		*url = NULL;
		return -1;
	}
	return 0;
}

static char *created_id(const json_t *j)
{
	return ju_dup(json_object_get(j, "data"), "id");
}

static char *messages_url(const char *base, const char *crm, const char *page)
{
	char *u = NULL, *f = ju_urlenc(crm), *p = page ? ju_urlenc(page) : NULL;
	if (!f || (page && !p) || asprintf(&u, "%s/messages?limit=50&in=%s%s%s", base, f,
	    p ? "&page_token=" : "", p ? p : "") < 0)
		u = NULL;
	free(f);
	free(p);
	return u;
}

/* Items keep the message's folders: a move replaces the list. */
static int messages_read(const json_t *j, json_t *items, char **next)
{
	const json_t *v = json_object_get(j, "data"), *m;
	size_t i;
	*next = ju_dup(j, "next_cursor");
	if (!json_is_array(v))
		return -1;
	json_array_foreach(v, i, m) {
		const json_t *fl = json_object_get(m, "folders");
		if (!ju_str(m, "id"))
			continue;
		if (json_array_append_new(items, json_pack("{s:s, s:o}", "id", ju_str(m, "id"),
		    "folders", json_is_array(fl) ? json_deep_copy(fl) : json_array())) < 0)
			return -1;
	}
	return 0;
}

static char *raw_url(const char *base, const char *id)
{
	char *u = NULL, *e = ju_urlenc(id);
	if (!e || asprintf(&u, "%s/messages/%s?fields=raw_mime", base, e) < 0)
		u = NULL;
	free(e);
	return u;
}

static char *raw_read(const struct http_resp *resp, const json_t *j, size_t *len)
{
	const char *raw = ju_str(json_object_get(j, "data"), "raw_mime");
	(void)resp;
	return raw ? ju_b64url_dec(raw, len) : NULL;
}

/* The message's folders without CRM, with Processed. */
static int move_req(const char *base, const json_t *item, const char *crm, const char *processed,
    const char **method, char **url, char **body)
{
	json_t *fl = json_array(), *o = NULL, *f;
	char *e = ju_urlenc(ju_str(item, "id") ? ju_str(item, "id") : "");
	size_t i;

	*method = "PUT";
	*url = *body = NULL;
	json_array_foreach(json_object_get(item, "folders"), i, f)
		if (json_is_string(f) && strcmp(json_string_value(f), crm) != 0 &&
		    strcmp(json_string_value(f), processed) != 0)
			json_array_append(fl, f);
	json_array_append_new(fl, json_string(processed));
	o = json_pack("{s:O}", "folders", fl);
	*body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (!e || !*body || asprintf(url, "%s/messages/%s", base, e) < 0)
		*url = NULL;
	json_decref(fl);
	json_decref(o);
	free(e);
	return *url ? 0 : -1;
}

const struct folder_api nylas_folder_api = {
	.who = "nylas",
	.folders_url = folders_url,
	.folders_read = folders_read,
	.create_req = create_req,
	.created_id = created_id,
	.messages_url = messages_url,
	.messages_read = messages_read,
	.raw_url = raw_url,
	.raw_read = raw_read,
	.move_req = move_req,
};
