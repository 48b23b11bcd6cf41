/* Microsoft 365 provider: Microsoft Graph mail delta (Inbox, Sent Items, raw MIME) and
 * calendarView delta behind the driver table. */
#ifndef PROVIDERS_GRAPH_H
#define PROVIDERS_GRAPH_H

/* sendMail takes a request of about 4 MB at most and the MIME goes in it base64-encoded, so a
 * message larger than this is refused (an upload session for large attachments is not made). */
#define GRAPH_SEND_RAW_MAX (3 * 1024 * 1024)

#include <jansson.h>

#include "providers/provider.h"

/* The driver (STREAM_MAIL | STREAM_EVENTS | STREAM_FOLDER), name "microsoft". Endpoints: cfg->api_base
 * ("https://graph.microsoft.com/v1.0": paths /me/...), cfg->token_url. Secret JSON as in
 * oauth.h.
 *
 * Mail cursor (compact JSON): {"inbox": "<link>", "sent": "<link>"}, each link the folder's
 * @odata.deltaLink, or an @odata.nextLink when a pass stopped between pages (resuming there
 * neither repeats nor skips a committed page). A pass walks /me/mailFolders/inbox/messages/delta
 * then /me/mailFolders/sentitems/messages/delta; a folder without a link starts afresh with
 * $filter=receivedDateTime ge <prov_link.since>, so a first pass (and a resync) imports what
 * came since the link, with the same ids: no duplicates. Each new or changed message is read as
 * MIME from /me/messages/{id}/$value and parsed with mime_parse (provider_id = Graph id;
 * Inbox -> FOLDER_INBOX, Sent Items -> FOLDER_SENT); @removed entries are ignored.
 *
 * Events cursor: {"events": "<link>"} over /me/calendarView/delta with the window
 * startDateTime = prov_link.since, endDateTime = link time + 365 days (the window is kept in the
 * delta link). Times come in UTC (Prefer: outlook.timezone="UTC"), bodies as text. A first pass
 * keeps only events modified at or after since (and deletions). Mapping: see graph_event_parse.
 *
 * 410 Gone or an error code syncStateNotFound / resyncRequired gives PROV_CURSOR. */
extern const struct provider graph_provider;

/* One Graph event (or @removed entry) into *out (zeroed first; free with event_free also after
 * a failure). singleInstance: provider_id = id, uid = uid or iCalUId. occurrence / exception:
 * provider_id = the occurrence's own id, recurrence_id from originalStart, uid = uid (the
 * series' UID; NULL when only the per-occurrence iCalUId is given: the pass looks the series'
 * UID up through seriesMasterId). isCancelled -> cancelled. @removed -> deleted with
 * provider_id = id, whatever the id looks like.
 * Why occurrences keep their own id: calendarView delta reports a cancelled occurrence, and
 * each occurrence of a deleted series, as @removed with only that occurrence's id, which is
 * opaque on real Graph (nothing in it names the series or the date). Stored under that id
 * (appointment_users.provider_id; the store finds the row by UID + RECURRENCE-ID), the
 * removal deletes exactly that occurrence. No map from occurrence ids to series is kept. Times from start/end dateTime read
 * in their timeZone (a Windows name through the CLDR table, core/tzwin.h; absent or unknown:
 * owner_tz, the linked user's zone, NULL: UTC); all-day: the date at midnight UTC; tzid from
 * originalStartTimeZone (IANA, or a Windows name mapped to IANA). Returns 0, 1 for an item to
 * skip quietly (a series master), or -1 when unreadable. */
int graph_event_parse(const json_t *item, const char *owner_tz, struct sync_event *out);

/* IANA name for a Windows or IANA time zone name ("UTC" for Graph's names of UTC), or NULL when
 * unknown. Borrowed. */
const char *graph_tz_iana(const char *name);

/* ---- Pushing (graph_push.c) -----------------------------------------------------------
 * push_begin serves PUSH_EVENT_CREATE (POST /me/events with transactionId = the idempotency
 * key: a repeat returns the first event), PUSH_EVENT_UPDATE (PATCH with If-Match; 412 ->
 * conflict), PUSH_EVENT_DELETE (404 -> gone) and PUSH_MAIL_SEND (sendMail of the raw MIME,
 * base64, which saves a copy in Sent Items). PUSH_FOLDER_SETUP / PUSH_FOLDER_MOVE and the
 * STREAM_FOLDER pass run api_folder.c with graph_folder.c (mail folders CRM and Processed;
 * /messages/{id}/move, which gives the message a new id: the imported copy keeps the old). */
struct api_push;

/* The request of one push item into *req. Returns STEP_MORE, PROV_PERM (err set) when the item
 * cannot be pushed, or PROV_TEMP. */
int graph_push_req(const struct prov_link *l, const struct push_item *it, struct http_req *req,
    char *err, size_t errlen);
/* Read a 2xx answer into the push result. Returns 0 or -1. */
int graph_push_ok(struct api_push *ap, const struct http_resp *resp, json_t *j);
/* The Graph event JSON of e (times in UTC, isAllDay, attendees required), with transactionId
 * when given (create). Malloc'd. */
char *graph_event_body(const struct sync_event *e, const char *transaction_id);

#endif
