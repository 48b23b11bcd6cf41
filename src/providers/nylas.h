/* Nylas v3 provider: a grant's messages (raw MIME) and primary-calendar events behind the
 * driver table. */
#ifndef PROVIDERS_NYLAS_H
#define PROVIDERS_NYLAS_H

#include <jansson.h>

#include "providers/provider.h"

/* The driver (STREAM_MAIL | STREAM_EVENTS | STREAM_FOLDER), name "nylas". Endpoints: cfg->api_base
 * ("https://api.us.nylas.com": paths /v3/grants/{grant}/...), cfg->token_url. The grant is the
 * link settings' "grant_id", else the secret's (the token answer carries it), else "me".
 * Requests carry the grant's access token (refreshed as in oauth.h).
 *
 * Mail cursor (compact JSON): {"after": <epoch>, "seen": ["<id>", ...]}: the newest received
 * date taken so far and the ids taken with exactly that date. A pass lists
 * /messages?received_after=<after - 1> (paged by next_cursor), skips the seen ids, and reads
 * each message as MIME (?fields=raw_mime) through mime_parse (provider_id = Nylas message id;
 * folder SENT -> FOLDER_SENT, INBOX -> FOLDER_INBOX, drafts/trash/spam skipped, others by
 * whether the linked address sent it). Without a cursor after = prov_link.since.
 *
 * Events cursor: {"updated_after": <epoch>}: /events?calendar_id=primary&updated_after=<t - 1>
 * &expand_recurring=true&show_cancelled=true&start=<since>&end=<now + 365 d>, paged, keeping
 * events with updated_at >= t: repeating the last second catches changes made within it and is
 * harmless (items are upserted). Without a cursor updated_after = prov_link.since. Mapping: see nylas_event_parse.
 *
 * Intermediate pages are committed with the old cursor, the last with the new one. */
extern const struct provider nylas_provider;

/* One Nylas event into *out (zeroed first; free with event_free also after a failure):
 * provider_id = id, or master_event_id with recurrence_id from original_start_time for an
 * occurrence; uid = ical_uid; status "cancelled" -> deleted (single) or cancelled
 * (occurrence); when: timespan (start_time/end_time, start_timezone), date, or datespan (end
 * date inclusive); participants with PARTSTAT from status yes/no/maybe/noreply; updated_at.
 * Returns 0, or -1 when unreadable. */
int nylas_event_parse(const json_t *item, struct sync_event *out);

/* ---- Pushing (nylas_push.c) -----------------------------------------------------------
 * push_begin serves PUSH_EVENT_CREATE (POST events?calendar_id=primary with Idempotency-Key),
 * PUSH_EVENT_UPDATE (PUT), PUSH_EVENT_DELETE (404 -> gone) and PUSH_MAIL_SEND (messages/send
 * from the parsed message: subject, text body, to, cc). PUSH_FOLDER_SETUP / PUSH_FOLDER_MOVE
 * and the STREAM_FOLDER pass run api_folder.c with nylas_folder.c (folders CRM and Processed;
 * a move PUTs the message's folders without CRM, with Processed). */
struct api_push;

/* The request of one push item into *req. Returns STEP_MORE, PROV_PERM (err set) when the item
 * cannot be pushed, or PROV_TEMP. */
int nylas_push_req(const struct prov_link *l, const struct push_item *it, struct http_req *req,
    char *err, size_t errlen);
/* Read a 2xx answer into the push result. Returns 0 or -1. */
int nylas_push_ok(struct api_push *ap, const struct http_resp *resp, json_t *j);
/* Nylas has no precondition on an update: an update of an event whose version is known (its
 * etag, "u<updated_at>" as the listing makes it) reads the event first into *pre, and
 * nylas_push_pre_ok compares (api_push's on_pre). Returns STEP_MORE with *pre filled, 0 when
 * nothing needs reading first, or PROV_TEMP. */
int nylas_push_pre(const struct prov_link *l, const struct push_item *it, struct http_req *pre);
int nylas_push_pre_ok(struct api_push *ap, json_t *j);
/* The version tag of a Nylas event object, "u<updated_at>", malloc'd, or NULL without one. */
char *nylas_event_etag(const json_t *event);
/* The Nylas event JSON of e (when: timespan with the zone, date or datespan; participants).
 * Malloc'd. */
char *nylas_event_body(const struct sync_event *e);

#endif
