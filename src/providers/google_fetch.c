/* Google's answers to a re-match fetch (provider.fetch_begin, api_fetch.h): a Gmail message
 * and a Calendar event read by id. */
#include <stdio.h>
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

#define SERIES_DAYS 365   /* a series' occurrences are listed this far ahead, as a pull has them */

/* The series master's answer: ask for its occurrences (events.list by iCalUID, single events,
 * from the link's start on), the UID kept in f->note for occurrences that lack it. */
static int ask_occurrences(struct api_fetch *f, const json_t *master)
{
	const char *uid = ju_str(master, "iCalUID");
	char *base = NULL, *u = NULL, *enc = NULL, from[21], to[21];
	char *slash = strrchr(f->url, '/');
	if (!uid || !*uid || !slash)
		return PROV_PERM;
	ju_iso(f->since > 0 ? f->since : f->now - 30 * 86400, from);
	ju_iso(f->now + (int64_t)SERIES_DAYS * 86400, to);
	free(f->note);
	if (!(f->note = strdup(uid)) || !(base = strndup(f->url, (size_t)(slash - f->url))) ||
	    !(enc = ju_urlenc(uid)) || asprintf(&u, "%s?iCalUID=%s&singleEvents=true&maxResults=250"
	    "&timeMin=%s&timeMax=%s", base, enc, from, to) < 0)
		u = NULL;
	free(base);
	free(enc);
	if (!u)
		return PROV_TEMP;
	free(f->url);
	f->url = u;
	return STEP_MORE;
}

/* The occurrences' answer: each with the series' UID, under the series id. */
static int take_occurrences(struct api_fetch *f, const json_t *j, struct step_out *so)
{
	struct event_list evs = { 0 };
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(j, "items"), i, it) {
		struct sync_event *e = event_list_add(&evs);
		if (!e) {
			event_list_free(&evs);
			return PROV_TEMP;
		}
		if (google_event_parse(it, f->owner_tz, e) < 0 || e->deleted ||
		    (!e->uid && !(e->uid = strdup(f->note)))) {
			event_free(e);
			evs.n--;
		}
	}
	return api_fetch_event(f, &evs, so);
}

/* events.get: a single event; a series master brings its occurrences with a second request. */
int google_fetched_event(struct api_fetch *f, const struct http_resp *resp, struct step_out *so)
{
	struct event_list evs = { 0 };
	json_t *j = ju_parse(resp, WHO, f->link, f->url);
	struct sync_event *e = NULL;
	int rc = PROV_PERM;
	if (!j)
		rc = PROV_TEMP;
	else if (f->answers > 0)
		rc = take_occurrences(f, j, so);
	else if (json_object_get(j, "recurrence"))
		rc = ask_occurrences(f, j);
	else if (!(e = event_list_add(&evs)))
		rc = PROV_TEMP;
	else if (google_event_parse(j, f->owner_tz, e) == 0)
		rc = api_fetch_event(f, &evs, so);
	event_list_free(&evs);
	json_decref(j);
	return rc;
}
