/* Webhook subscriptions of the engine (see subscribe.h): which are due, and storing them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/db_sync.h"
#include "core/log.h"
#include "sync/store.h"
#include "sync/subscribe.h"

#define TOKEN_BYTES 32

char *subscribe_url(const struct app *app, const struct driver_set *ds)
{
	const char *base = app->cfg.base_url;
	char *url = NULL;
	if (!ds || !ds->hook || !base)
		return NULL;
	int https = strncmp(base, "https://", 8) == 0;
	int http = strncmp(base, "http://", 7) == 0;
	if (!https && !(http && app->cfg.subscribe_insecure))
		return NULL;
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	if (asprintf(&url, "%.*s/hooks/%s", (int)n, base, ds->hook) < 0)
		return NULL;
	return url;
}

int subscribe_renew_due(int64_t renewed_at, int64_t expires_at, int64_t now)
{
	if (renewed_at <= 0 || expires_at <= renewed_at)
		return now >= expires_at - 3600;
	return (expires_at - now) * 5 < expires_at - renewed_at;
}

static char *new_token(void)
{
	unsigned char raw[TOKEN_BYTES];
	char *hex = malloc(TOKEN_BYTES * 2 + 1);
	if (!hex)
		return NULL;
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(hex, TOKEN_BYTES * 2 + 1, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	return hex;
}

int subscribe_due(struct db *db, int64_t link, enum stream s, int64_t now,
    struct subscription *sub)
{
	int64_t renewed_at = 0;
	memset(sub, 0, sizeof *sub);
	int rc = db_sync_channel_get(db, link, stream_name(s), sub, &renewed_at);
	if (rc < 0)
		return -1;
	if (rc == 0 && !subscribe_renew_due(renewed_at, sub->expires_at, now)) {
		subscription_clear(sub);
		return 0;
	}
	if (rc == 1 && !(sub->token = new_token()))
		return -1;
	return 1;
}

int subscribe_save(struct db *db, int64_t link, enum stream s, const struct subscription *sub,
    int64_t now)
{
	if (!sub->channel_id || !sub->token) {
		log_warnx("link %lld: %s subscription without an id, not kept", (long long)link,
		    stream_name(s));
		return -1;
	}
	return db_sync_channel_set(db, link, stream_name(s), sub, now);
}
