/* Gmail's side of the CRM folder: user labels CRM and Processed (users.labels), messages
 * listed by label, read with format=raw, moved with messages.modify. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "providers/api_folder.h"
#include "providers/json_util.h"

static char *folders_url(const char *base, const char *page)
{
	char *u = NULL;
	(void)page;   /* labels.list is not paged */
	return asprintf(&u, "%s/labels", base) < 0 ? NULL : u;
}

static int folders_read(const json_t *j, char **crm, char **processed, char **next)
{
	const json_t *v = json_object_get(j, "labels"), *f;
	size_t i;
	*next = NULL;
	if (!json_is_array(v))
		return json_object_size(j) == 0 ? 0 : -1;   /* an account without labels: {} */
	json_array_foreach(v, i, f)
		if (api_folder_take(crm, ju_str(f, "name"), ju_str(f, "id"), API_FOLDER_CRM) < 0 ||
		    api_folder_take(processed, ju_str(f, "name"), ju_str(f, "id"),
		    API_FOLDER_PROCESSED) < 0)
			return -1;
	return 0;
}

static int create_req(const char *base, const char *name, char **url, char **body)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "name", name, "labelListVisibility", "labelShow",
	    "messageListVisibility", "show");
	*url = NULL;
	*body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!*body || asprintf(url, "%s/labels", base) < 0) {
		*url = NULL;
		return -1;
	}
	return 0;
}

static char *created_id(const json_t *j)
{
	return ju_dup(j, "id");
}

static char *messages_url(const char *base, const char *crm, const char *page)
{
	char *u = NULL, *l = ju_urlenc(crm), *p = page ? ju_urlenc(page) : NULL;
	if (!l || (page && !p) || asprintf(&u, "%s/messages?maxResults=100&labelIds=%s%s%s", base, l,
	    p ? "&pageToken=" : "", p ? p : "") < 0)
		u = NULL;
	free(l);
	free(p);
	return u;
}

static int messages_read(const json_t *j, json_t *items, char **next)
{
	const json_t *m;
	size_t i;
	*next = ju_dup(j, "nextPageToken");
	json_array_foreach(json_object_get(j, "messages"), i, m)
		if (ju_str(m, "id") && json_array_append_new(items, json_pack("{s:s}", "id",
		    ju_str(m, "id"))) < 0)
			return -1;
	return 0;
}

static char *raw_url(const char *base, const char *id)
{
	char *u = NULL, *e = ju_urlenc(id);
	if (!e || asprintf(&u, "%s/messages/%s?format=raw", base, e) < 0)
		u = NULL;
	free(e);
	return u;
}

static char *raw_read(const struct http_resp *resp, const json_t *j, size_t *len)
{
	(void)resp;
	const char *raw = ju_str(j, "raw");
	return raw ? ju_b64url_dec(raw, len) : NULL;
}

static int move_req(const char *base, const json_t *item, const char *crm, const char *processed,
    const char **method, char **url, char **body)
{
	json_t *o = json_pack("{s:[s], s:[s]}", "addLabelIds", processed, "removeLabelIds", crm);
	char *e = ju_urlenc(ju_str(item, "id") ? ju_str(item, "id") : "");
	*method = "POST";
	*url = NULL;
	*body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!e || !*body || asprintf(url, "%s/messages/%s/modify", base, e) < 0)
		*url = NULL;
	free(e);
	return *url ? 0 : -1;
}

const struct folder_api google_folder_api = {
	.who = "google",
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
