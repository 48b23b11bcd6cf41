/* Graph's side of the CRM folder: mail folders CRM and Processed (/me/mailFolders), messages
 * listed in CRM, read as MIME ($value), moved with /messages/{id}/move. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "providers/api_folder.h"
#include "providers/json_util.h"

/* Graph pages by @odata.nextLink, a whole URL. */
static char *folders_url(const char *base, const char *page)
{
	char *u = NULL;
	if (page)
		return strdup(page);
	return asprintf(&u, "%s/mailFolders?$top=100&$select=id,displayName", base) < 0 ? NULL : u;
}

static int folders_read(const json_t *j, char **crm, char **processed, char **next)
{
	const json_t *v = json_object_get(j, "value"), *f;
	size_t i;
	*next = ju_dup(j, "@odata.nextLink");
	if (!json_is_array(v))
		return -1;
	json_array_foreach(v, i, f) {
		const char *name = ju_str(f, "displayName"), *id = ju_str(f, "id");
		if (api_folder_take(crm, name, id, API_FOLDER_CRM) < 0 ||
		    api_folder_take(processed, name, id, API_FOLDER_PROCESSED) < 0)
			return -1;
	}
	return 0;
}

static int create_req(const char *base, const char *name, char **url, char **body)
{
	json_t *o = json_pack("{s:s, s:b}", "displayName", name, "isHidden", 0);
	*url = NULL;
	*body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!*body || asprintf(url, "%s/mailFolders", base) < 0) {
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
	char *u = NULL, *f = page ? NULL : ju_urlenc(crm);
	if (page)
		return strdup(page);
	if (!f || asprintf(&u, "%s/mailFolders/%s/messages?$select=id&$top=50", base, f) < 0)
		u = NULL;
	free(f);
	return u;
}

static int messages_read(const json_t *j, json_t *items, char **next)
{
	const json_t *v = json_object_get(j, "value"), *m;
	size_t i;
	*next = ju_dup(j, "@odata.nextLink");
	if (!json_is_array(v))
		return -1;
	json_array_foreach(v, i, m)
		if (ju_str(m, "id") && json_array_append_new(items, json_pack("{s:s}", "id",
		    ju_str(m, "id"))) < 0)
			return -1;
	return 0;
}

static char *raw_url(const char *base, const char *id)
{
	char *u = NULL, *e = ju_urlenc(id);
	if (!e || asprintf(&u, "%s/messages/%s/$value", base, e) < 0)
		u = NULL;
	free(e);
	return u;
}

static char *raw_read(const struct http_resp *resp, const json_t *j, size_t *len)
{
	char *raw;
	if (j || !resp->body || !resp->body_len || !(raw = malloc(resp->body_len + 1)))
		return NULL;   /* a JSON answer is not a MIME message */
	memcpy(raw, resp->body, resp->body_len);
	raw[resp->body_len] = 0;
	*len = resp->body_len;
	return raw;
}

static int move_req(const char *base, const json_t *item, const char *crm, const char *processed,
    const char **method, char **url, char **body)
{
	json_t *o = json_pack("{s:s}", "destinationId", processed);
	char *e = ju_urlenc(ju_str(item, "id") ? ju_str(item, "id") : "");
	(void)crm;
	*method = "POST";
	*url = NULL;
	*body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!e || !*body || asprintf(url, "%s/messages/%s/move", base, e) < 0)
		*url = NULL;
	free(e);
	return *url ? 0 : -1;
}

const struct folder_api graph_folder_api = {
	.who = "microsoft",
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
