/* The CRM folder through a JSON provider API (Gmail labels, Graph mail folders, Nylas folders):
 * find or create CRM and Processed, import what is in CRM, then move it to Processed. */
#ifndef PROVIDERS_API_FOLDER_H
#define PROVIDERS_API_FOLDER_H

#include <jansson.h>

#include "providers/oauth.h"
#include "providers/provider.h"

#define API_FOLDER_CRM "CRM"
#define API_FOLDER_PROCESSED "Processed"

/* What one provider's API looks like for folders. base is the provider's mailbox URL
 * (Gmail ".../gmail/v1/users/me", Graph ".../me", Nylas ".../v3/grants/<grant>"). Every
 * returned string is malloc'd; functions returning int give 0 or -1 (out of memory, or an
 * answer that does not have the expected shape). */
struct folder_api {
	const char *who;            /* provider name for logs */
	/* GET URL of one page of the folder (label) listing; page NULL for the first. */
	char *(*folders_url)(const char *base, const char *page);
	/* From a listing page: the ids of the folders named CRM and Processed (compared without
	 * case; *crm / *processed set only when found and still NULL) and the next page (NULL
	 * when last). */
	int (*folders_read)(const json_t *j, char **crm, char **processed, char **next);
	/* The POST creating a folder named name: URL and JSON body. */
	int (*create_req)(const char *base, const char *name, char **url, char **body);
	/* The id of a created folder from the answer, NULL when absent. */
	char *(*created_id)(const json_t *j);
	/* GET URL of one page of the messages in folder crm; page NULL for the first. */
	char *(*messages_url)(const char *base, const char *crm, const char *page);
	/* Append each message of a listing page to items (objects with at least "id"; the
	 * provider may keep more of the listing for move_req) and the next page. */
	int (*messages_read)(const json_t *j, json_t *items, char **next);
	/* GET URL of message id as raw MIME. */
	char *(*raw_url)(const char *base, const char *id);
	/* The raw MIME in the answer to raw_url (the body, or a base64url field of the JSON j,
	 * which is NULL when the body is not JSON); length in *len. NULL when absent. */
	char *(*raw_read)(const struct http_resp *resp, const json_t *j, size_t *len);
	/* The request moving item (from messages_read, or {"id": ...} for a push) from folder
	 * crm to folder processed: method (a literal), URL and JSON body. */
	int (*move_req)(const char *base, const json_t *item, const char *crm,
	    const char *processed, const char **method, char **url, char **body);
};

/* For folders_read: copy id into *slot when *slot is still NULL and name is want (compared
 * without case). Returns 0, or -1 when out of memory. */
int api_folder_take(char **slot, const char *name, const char *id, const char *want);

/* The Gmail, Graph and Nylas descriptions (google_folder.c, graph_folder.c, nylas_folder.c). */
extern const struct folder_api google_folder_api, graph_folder_api, nylas_folder_api;

enum api_folder_mode {
	API_FOLDER_PASS,    /* STREAM_FOLDER pass: set up, import CRM, move each to Processed */
	API_FOLDER_SETUP,   /* PUSH_FOLDER_SETUP: find or create both folders */
	API_FOLDER_MOVE,    /* PUSH_FOLDER_MOVE: move one message to Processed */
};

struct api_folder;

/* Start a folder machine for link l with mailbox URL base (copied). move_id: the message of
 * API_FOLDER_MOVE (copied), else NULL. res: the push result for the push modes (borrowed;
 * res->error is filled on failure), NULL for a pass. Returns PROV_OK with *out set, or a
 * prov_status (PROV_AUTH when the link has no usable token). */
int api_folder_begin(const struct folder_api *api, const struct prov_link *l, const char *base,
    enum api_folder_mode mode, const char *move_id, struct push_result *res,
    struct api_folder **out);
/* The step, as struct provider's step(). A pass commits each batch of imported messages
 * (folder FOLDER_CRM, provider_id = the provider's message id) with the cursor
 * {"crm": id, "processed": id} before moving them, so a crash re-imports (the store keeps one
 * copy per Message-ID) and never loses a message. A message that cannot be read or parsed is
 * logged and left in CRM. */
int api_folder_step(struct api_folder *f, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after);
void api_folder_free(struct api_folder *f);

#endif
