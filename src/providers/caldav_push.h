/* The CalDAV push step machine behind caldav_provider.push_begin (private to caldav*.c).
 *   CREATE  PUT <calendar>/<UID>.ics with If-None-Match: *; a 412 means an earlier attempt
 *           already made it: GET its ETag and report done (never two events).
 *   UPDATE  PUT with If-Match: <etag>; a 412 is a conflict (res->conflict: the provider's
 *           version wins), a 404 gone. Without a known etag: GET it first (404: gone when the
 *           event had been pushed before, else it is created).
 *   DELETE  DELETE <provider_id> with If-Match when the etag is known; 404/410: already gone;
 *           412: a conflict.
 * res->provider_id is caldav_event_provider_id() of the UID, res->etag the answer's ETag. */
#ifndef PROVIDERS_CALDAV_PUSH_H
#define PROVIDERS_CALDAV_PUSH_H

#include "providers/provider.h"

struct caldav_push;

/* Copies what it needs from l and it (both may go away after); res is borrowed for the push.
 * PROV_TEMP with res->error when no calendar URL is known yet (the first sync finds it),
 * PROV_PERM when the item is unusable. */
int caldav_push_new(const struct prov_link *l, const struct push_item *it,
    struct push_result *res, struct caldav_push **out);
/* Like provider.step: STEP_MORE with *req, STEP_DONE, or a prov_status with res->error. */
int caldav_push_step(struct caldav_push *p, const struct http_resp *resp, struct http_req *req,
    long *retry_after);
void caldav_push_free(struct caldav_push *p);

/* The URL the link's password was given for: settings' caldav_url, else calendar_url
 * (malloc'd, NULL when neither). Basic auth goes only to its origin (netguard_same_origin), never
 * to another host a redirect or a discovered href points at. Defined in caldav_req.c. */
char *caldav_auth_url(const struct prov_link *l);
/* "username:password" from settings and secret, malloc'd; NULL without a username (caldav_req.c). */
char *caldav_userpwd(const struct prov_link *l);
/* The class of a non-2xx answer (PROV_*), or 0 for 2xx; *retry_after for 429/503 (caldav.c). */
int caldav_classify(const struct http_resp *r, long *retry_after);

#endif
