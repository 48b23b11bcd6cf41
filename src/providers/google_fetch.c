/* Google's answers to a re-match fetch (provider.fetch_begin, api_fetch.h): a Gmail message
 * and a Calendar event read by id. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "providers/api_fetch.h"
#include "providers/google.h"
#include "providers/json_util.h"

#define WHO "google"

/* messages.get format=raw: the labels say the folder (a draft, spam or trash is not imported). */
int google_fetched_mail(struct api_fetch *f, const struct http_resp *resp, struct step_out *so)
{
	char why[JSON_ERROR_TEXT_LENGTH];
	size_t len = 0;
	json_t *j = ju_load(resp, why, sizeof why);
	int folder = j ? google_msg_folder(json_object_get(j, "labelIds")) : -1;
	char *raw = folder >= 0 ? ju_b64url_dec(ju_str(j, "raw"), &len) : NULL;
	int rc = raw ? api_fetch_mime(f, raw, len, folder, so) : PROV_PERM;
	if (!raw)
		log_info("google link %lld: message %s fetched again: %s", (long long)f->link,
		    f->provider_id, !j ? why : folder < 0 ? "not in INBOX or SENT" : "no raw field");
	free(raw);
	json_decref(j);
	return rc;
}

/* events.get: a single event (a recurring one is left to its series' next change). */
int google_fetched_event(struct api_fetch *f, const struct http_resp *resp, struct step_out *so)
{
	struct event_list evs = { 0 };
	json_t *j = ju_parse(resp, WHO, f->link, f->url);
	struct sync_event *e = j ? event_list_add(&evs) : NULL;
	int rc = PROV_PERM;
	if (j && !e)
		rc = PROV_TEMP;
	else if (e && !json_object_get(j, "recurrence") &&
	    google_event_parse(j, f->owner_tz, e) == 0)
		rc = api_fetch_event(f, &evs, so);
	event_list_free(&evs);
	json_decref(j);
	return rc;
}
