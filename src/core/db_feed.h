/* The private calendar feed: the user's feed secret (users.feed_secret keeps only its SHA-256,
 * so the address is shown once, when it is made) and the appointments the
 * feed lists. Implemented in db_feed.c; functions return 0 (or as said) and -1 on a database
 * error; arguments are borrowed. */
#ifndef CORE_DB_FEED_H
#define CORE_DB_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "core/db.h"
#include "core/feed_ics.h"

/* *on = 1 when the user's feed is on. */
int db_feed_on(struct db *db, int64_t user_id, int *on);
/* Turn the feed on with secret (its hash is stored), or off with NULL. */
int db_feed_secret_set(struct db *db, int64_t user_id, const char *secret);
/* The user whose feed secret is secret. Returns 0, 1 when none, -1. */
int db_feed_user_by_secret(struct db *db, const char *secret, int64_t *user_id);

/* The feed's rows: the events point into strings this list owns. */
struct feed_rows {
	struct feed_event *v;
	size_t n, cap;
};
void feed_rows_free(struct feed_rows *r);
/* Appointments on the user's calendar (imported and CRM ones): their own copies, not hidden
 * by them (core/visibility.h), starting in
 * [from, to), by start. */
int db_feed_events(struct db *db, int64_t user_id, int64_t from, int64_t to,
    struct feed_rows *out);

#endif
