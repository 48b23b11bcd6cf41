/* CalDAV provider: discovery, sync-collection (or ETag comparison) pulls, and pushes of events. */
#ifndef PROVIDERS_CALDAV_H
#define PROVIDERS_CALDAV_H

#include "providers/provider.h"

/* The driver (STREAM_EVENTS). Link settings JSON: {"caldav_url": "http://host:5232/",
 * "username": "alice", "calendar_url": optional}; secret JSON: {"password": "..."} sent as basic
 * auth. Without calendar_url every pass lists the principal's calendars (current-user-principal
 * -> calendar-home-set -> Depth 1), keeping those that take VEVENTs (no VTODO-only list, inbox,
 * outbox or subscription); with it, that one calendar only.
 *
 * Each calendar has its own cursor (prov_link.cals, written back as CAL_CURSOR notes in
 * step_out.cals with the page that reaches it): {"cal": "<calendar URL>", "token": "<sync-token>"}
 * or, for servers without sync-collection, {"cal": "...", "etags": {"<path>": "<etag>", ...}},
 * with the recurring series kept for re-expansion. The link's cursor is {"v": 2, "cal": "<the
 * calendar pushes go to>"}: the one used before while it is chosen, else the first chosen one. A
 * link's cursor from before (one calendar's) becomes that calendar's own.
 * Calendars found for the first time are noted (CAL_SEEN) and chosen; one gone from the server
 * is noted CAL_GONE, and a gone or unchosen calendar's items go (a prefix deletion of its path).
 * A link's first pass without a back-fill imports nothing: it records each calendar's state.
 * A calendar without a cursor on any other pass (a back-fill, one created or chosen later, a
 * resync) is listed whole and imported from prov_link.since on; the single events that ended
 * before are noted SKIP_OLDER (a time-range calendar-query would hide them from the record of
 * what was not imported, and costs the same round trips). Later passes import what changed since: each resource becomes its
 * sync_event(s) with provider_id = the resource's percent-decoded path ("/alice/cal/x.ics", so
 * the same UID in two calendars has two provider ids, aliases of one copy) and etag set;
 * recurring events come expanded from prov_link.since (or now - 30 days) to now + 365 days; a
 * removed resource comes as one item with deleted=1, prefix=1 and only provider_id (so a meeting
 * another of the link's calendars also holds stays, under that calendar's resource). Pages of at most
 * CALDAV_BATCH resources are committed without a cursor, a calendar's last with its new one.
 * A refused sync-token gives PROV_CURSOR (start again with PROV_RESYNC: every calendar afresh);
 * 401 PROV_AUTH; 429/503 PROV_RATE with Retry-After (60 s if absent); 5xx and transfer errors
 * PROV_TEMP. */
extern const struct provider caldav_provider;
/* caldav_provider.push_begin takes PUSH_EVENT_CREATE/UPDATE/DELETE (see caldav_push.h): a new
 * event goes to settings' calendar_url or push_item.cursor's "cal" (the link's events cursor);
 * an update or delete of a known event goes to its own resource, in whichever calendar. */

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
