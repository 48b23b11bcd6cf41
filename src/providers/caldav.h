/* CalDAV provider: discovery, sync-collection (or ETag comparison) pulls, and pushes of events. */
#ifndef PROVIDERS_CALDAV_H
#define PROVIDERS_CALDAV_H

#include "providers/provider.h"

/* The driver (STREAM_EVENTS). Link settings JSON: {"caldav_url": "http://host:5232/",
 * "username": "alice", "calendar_url": optional}; secret JSON: {"password": "..."} sent as basic
 * auth. Without calendar_url the calendar is discovered (current-user-principal ->
 * calendar-home-set -> the first calendar taking VEVENTs).
 *
 * Cursor (opaque to the engine, compact JSON): {"cal": "<calendar URL>", "token": "<sync-token>"}
 * or, for servers without sync-collection, {"cal": "...", "etags": {"<path>": "<etag>", ...}}.
 * A first pass (cursor NULL) imports nothing: it only records the calendar's current state.
 * Later passes import what changed since: each resource becomes its sync_event(s) with
 * provider_id = the resource's percent-decoded path ("/alice/cal/x.ics") and etag set; recurring
 * events come expanded from prov_link.since (or now - 30 days) to now + 365 days; a removed
 * resource comes as one item with deleted=1 and only provider_id. Pages of at most
 * CALDAV_BATCH resources are committed with the old cursor, the last with the new one.
 * A refused sync-token gives PROV_CURSOR (start again with cursor NULL); 401 PROV_AUTH; 429/503
 * PROV_RATE with Retry-After (60 s if absent); 5xx and transfer errors PROV_TEMP. */
extern const struct provider caldav_provider;
/* caldav_provider.push_begin takes PUSH_EVENT_CREATE/UPDATE/DELETE (see caldav_push.h): the
 * calendar URL comes from settings' calendar_url or push_item.cursor (the events cursor). */

#define CALDAV_BATCH 100

/* ---- Pushing a CRM appointment out (used by the outgoing queue) ---------------------------
 * l gives settings and secret as above; cursor is the link's stored events cursor (it holds the
 * discovered calendar URL; settings' calendar_url wins). All fill *req (owned by the caller,
 * release with http_req_clear) and return PROV_OK, or PROV_PERM when no calendar URL is known or
 * the input is unusable. */

/* The absolute URL of the resource "<calendar>/<UID>.ics" (UID percent-encoded), malloc'd, and
 * the provider_id sync will report for it ("/alice/cal/<UID>.ics", decoded), malloc'd. */
char *caldav_event_url(const struct prov_link *l, const char *cursor, const char *uid);
char *caldav_event_provider_id(const struct prov_link *l, const char *cursor, const char *uid);

/* PUT text/calendar of e (ical_build_seq with sequence) to caldav_event_url(e->uid): with
 * etag NULL a create (If-None-Match: *), else an update (If-Match: etag). */
int caldav_put_req(const struct prov_link *l, const char *cursor, const struct sync_event *e,
    int sequence, const char *etag, struct http_req *req);

/* DELETE of the event with this provider_id (a path as sync reports it, or an absolute URL),
 * with If-Match when etag is given. */
int caldav_delete_req(const struct prov_link *l, const char *cursor, const char *provider_id,
    const char *etag, struct http_req *req);

/* Class of the answer to a PUT or DELETE: 2xx PROV_OK (a DELETE's 404 too: already gone), 412
 * (ETag changed, or the UID exists on create) PROV_PERM, 401/403 PROV_AUTH, 429/503 PROV_RATE
 * with *retry_after, 5xx and transfer errors PROV_TEMP, other 4xx PROV_PERM. After a PUT the
 * new ETag, when the server sends one, is in resp->etag. */
int caldav_push_result(const struct http_resp *resp, int is_delete, long *retry_after);

#endif
