/* Google provider: Gmail API (history, raw messages) and Calendar API v3 (events with sync
 * tokens) behind the driver table. */
#ifndef PROVIDERS_GOOGLE_H
#define PROVIDERS_GOOGLE_H

#include <jansson.h>

#include "providers/provider.h"

/* The driver (STREAM_MAIL | STREAM_EVENTS | STREAM_FOLDER), name "google". Endpoints: cfg->api_base (Gmail,
 * "https://gmail.googleapis.com": paths /gmail/v1/users/me/...), cfg->calendar_base
 * ("https://www.googleapis.com/calendar/v3": paths /calendars/primary/events), cfg->token_url.
 * Secret JSON as in oauth.h.
 *
 * Mail cursor (compact JSON): {"history_id": "<Gmail historyId>"}. A pass with a cursor lists
 * users.history (historyTypes=messageAdded, paged), fetches each added message that carries
 * the INBOX or SENT label with messages.get format=raw and parses it with mime_parse
 * (provider_id = Gmail message id; SENT label -> FOLDER_SENT, else FOLDER_INBOX). A history id
 * Gmail no longer knows (404) gives PROV_CURSOR.
 * Without a cursor (a first pass, or a resync after PROV_CURSOR) the pass reads the profile's
 * historyId first, then lists the messages received after prov_link.since (q=after:<since>),
 * so a new link imports only what came after it (or the back-fill) and a resync refetches
 * what the lost cursor would have brought, with the same provider ids: no duplicates.
 *
 * Events cursor: {"sync_token": "<nextSyncToken>"}. events.list on the primary calendar with
 * singleEvents=true and showDeleted=true, paged; with a cursor only changes come. Without one
 * (first pass or resync after 410 Gone -> PROV_CURSOR) every page is read to get the
 * nextSyncToken and only events updated at or after prov_link.since are kept (plus deletions),
 * which is the "only new since the link" rule and makes a resync lossless.
 * Event mapping: see google_event_parse.
 *
 * Pages are committed as they come: intermediate ones with the old cursor ("{}" on a first
 * pass, which reads as no cursor), the last one with the new cursor, so a crash repeats a page
 * and never skips one. */
extern const struct provider google_provider;

/* One Calendar API event resource into *out (zeroed first; free with event_free also after a
 * failure): provider_id = id, or recurringEventId for an instance with recurrence_id from
 * originalStartTime ("YYYYMMDDTHHMMSSZ", or "YYYYMMDD" for a date); uid = iCalUID; status
 * "cancelled" -> deleted (single event or whole series) or cancelled (an instance); start from
 * start.dateTime (any offset; without one, in start.timeZone, or owner_tz when that is absent
 * or unknown) or start.date (all-day, midnight UTC); tzid = start.timeZone;
 * duration from end; attendees with PARTSTAT from responseStatus; updated from "updated".
 * Returns 0, or -1 when the item has no id or unreadable times. */
int google_event_parse(const json_t *item, const char *owner_tz, struct sync_event *out);

/* Re-match fetches (google_fetch.c), api_fetch parse functions: messages.get format=raw (its
 * labels say the folder: a draft, spam or trash is not imported) and events.get (a single
 * event; a series master's occurrences come from events.list by its iCalUID, from the link's
 * start to a year ahead). */
struct api_fetch;
int google_fetched_mail(struct api_fetch *f, const struct http_resp *resp, struct step_out *so);
int google_fetched_event(struct api_fetch *f, const struct http_resp *resp, struct step_out *so);

/* The folder of a Gmail message from its labelIds: FOLDER_SENT when SENT is there, else
 * FOLDER_INBOX when INBOX is; -1 for drafts, spam, trash and anything else. */
int google_msg_folder(const json_t *label_ids);

/* ---- Pushing (google_push.c) ----------------------------------------------------------
 * push_begin serves PUSH_EVENT_CREATE (events.insert on the primary calendar with id = the
 * push_item's idempotency key, which must be base32hex, iCalUID = the event's UID,
 * sendUpdates=all; a 409 means an earlier attempt made it: done, provider_id = the key),
 * PUSH_EVENT_UPDATE (PATCH with If-Match: etag; 412 -> conflict), PUSH_EVENT_DELETE (404/410 ->
 * gone) and PUSH_MAIL_SEND (messages.send of the raw message; provider_id = the Gmail id).
 * PUSH_FOLDER_SETUP / PUSH_FOLDER_MOVE and the STREAM_FOLDER pass run api_folder.c with
 * google_folder.c (user labels CRM and Processed; messages.modify adds Processed and removes
 * CRM). */
struct api_push;

/* The request of one push item into *req. Returns STEP_MORE, PROV_PERM (err set) when the item
 * cannot be pushed, or PROV_TEMP. */
int google_push_req(const struct prov_link *l, const struct push_item *it, struct http_req *req,
    char *err, size_t errlen);
/* Read a 2xx (or 409) answer into the push result. Returns 0 or -1. */
int google_push_ok(struct api_push *ap, const struct http_resp *resp, json_t *j);
/* The Calendar API JSON of e: summary, location, description, start/end (dateTime in UTC with
 * timeZone = tzid, or date for all-day), attendees, and id + iCalUID when id is given (insert),
 * sequence when > 0. Malloc'd. */
char *google_event_body(const struct sync_event *e, const char *id, int sequence);

#endif
