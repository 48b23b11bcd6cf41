/* Provider webhook subscriptions as step machines: Google Calendar watch channels and Microsoft
 * Graph change-notification subscriptions, created and renewed for the engine. */
#ifndef PROVIDERS_API_WATCH_H
#define PROVIDERS_API_WATCH_H

#include <jansson.h>

#include "providers/provider.h"

/* Google: STREAM_EVENTS only, a watch channel on the primary calendar.
 * Create: POST {calendar_base}/calendars/primary/events/watch {id: a new UUID, type:
 * "web_hook", address: notify_url, token: sub->token, expiration: now + GOOGLE_WATCH_S in ms}.
 * Renew (sub->channel_id set): channels cannot be extended, so a new channel is created the
 * same way and then the old one stopped (POST {calendar_base}/channels/stop {id, resourceId});
 * a failed stop is only logged (the old channel runs out by itself).
 * Gmail has no webhook of its own (its push goes through Cloud Pub/Sub, which this product
 * does not use): STREAM_MAIL gives PROV_PERM and Gmail relies on polling, plus the wake-up a
 * calendar notification gives the whole link. */
#define GOOGLE_WATCH_S (7 * 86400)
/* Graph: STREAM_MAIL (resource "me/mailFolders('inbox')/messages") and STREAM_EVENTS
 * ("me/events"), changeType "created,updated,deleted", clientState = sub->token.
 * Create: POST {api_base}/subscriptions with expirationDateTime = now + GRAPH_SUB_MIN minutes
 * (the documented maximum for messages and events is 4230 minutes). Renew: PATCH
 * {api_base}/subscriptions/{id} with a new expirationDateTime; 404 (the subscription is gone)
 * creates a new one. STREAM_FOLDER gives PROV_PERM. */
#define GRAPH_SUB_MIN 4200

struct api_watch;

/* Start a subscription machine for link l (provider "google" or "microsoft"); sub is borrowed
 * until the machine is freed and is updated on STEP_DONE (channel_id, resource_id,
 * expires_at; the token is kept). Returns PROV_OK with *out set, PROV_PERM when the provider
 * has no webhook for stream s or the token is missing, PROV_AUTH without usable OAuth tokens,
 * or PROV_TEMP. */
int api_watch_begin(const char *provider, const struct prov_link *l, enum stream s,
    const char *notify_url, struct subscription *sub, struct api_watch **out);
/* The step, as struct provider's step(). */
int api_watch_step(struct api_watch *w, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after);
void api_watch_free(struct api_watch *w);

/* Pure parts, for the tests. */
/* A random UUID (RFC 4122 version 4) into out[37]. */
void api_watch_uuid(char out[37]);
/* Bodies (malloc'd JSON). */
char *google_watch_body(const char *channel_id, const char *address, const char *token,
    int64_t expires_at);
char *graph_sub_body(enum stream s, const char *notify_url, const char *token, int64_t expires_at);
/* Read a channel / subscription answer into sub: id (Google also resourceId) and the expiry
 * (Google "expiration" in ms as a string or number; Graph "expirationDateTime"), asked_exp
 * when the answer has none. Returns 0, or -1 when the answer has no id. */
int google_watch_read(const json_t *j, int64_t asked_exp, struct subscription *sub);
int graph_sub_read(const json_t *j, int64_t asked_exp, struct subscription *sub);

#endif
