/* Webhook subscriptions kept by the engine (engine-internal): one push_channels row per link
 * and stream whose driver has subscribe_begin, made after a pass that went well and renewed when
 * less than a fifth of its life remains, only when the web app is reachable (base_url https, or
 * [sync] subscribe_insecure = 1 in tests). A failed subscription is logged; polling goes on. */
#ifndef SYNC_SUBSCRIBE_H
#define SYNC_SUBSCRIBE_H

#include <stdint.h>

#include "core/app.h"
#include "providers/provider.h"
#include "sync/drivers.h"

/* The notify URL for driver set ds (base_url + /hooks/NAME, malloc'd), or NULL when the set has
 * no webhook or base_url is not reachable from the providers. */
char *subscribe_url(const struct app *app, const struct driver_set *ds);

/* Whether stream s of link needs its subscription made or renewed at now; *sub gets the
 * stored row (channel_id NULL: make one; token always set, new ones random). Returns 1 with
 * *sub filled (clear it with subscription_clear), 0 when the current one is good, -1. */
int subscribe_due(struct db *db, int64_t link, enum stream s, int64_t now,
    struct subscription *sub);

/* Pure: a subscription made or renewed at renewed_at and running out at expires_at is due for
 * renewal at now when less than a fifth of its life remains (or it has no known start). */
int subscribe_renew_due(int64_t renewed_at, int64_t expires_at, int64_t now);

/* Store the subscription a provider made or renewed for stream s. Returns 0 or -1. */
int subscribe_save(struct db *db, int64_t link, enum stream s, const struct subscription *sub,
    int64_t now);

#endif
