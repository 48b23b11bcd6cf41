/* A small per-worker cache of rendered GET pages (calendars), valid only while the database is
 * unchanged: a commit by any other connection or any write by this worker's own connection
 * (db_change_state) makes every entry stale. Entries also expire
 * after PAGE_CACHE_TTL seconds, so "today" and session expiry are never out of date for long.
 * The session is still checked on every request before the cache is consulted. */
#ifndef WEB_PAGE_CACHE_H
#define WEB_PAGE_CACHE_H

#include <stdint.h>
#include "core/db.h"
#include "web/request.h"

#define PAGE_CACHE_TTL 60
#define PAGE_CACHE_SLOTS 32

struct page_cache;

/* NULL when out of memory (the app then runs without a cache). */
struct page_cache *page_cache_new(void);
void page_cache_free(struct page_cache *pc);

/* If key holds a page made from the database as it is now, copy it into out (status, body,
 * content type) and return 1; else 0. pc may be NULL. */
int page_cache_get(struct page_cache *pc, struct db *db, const char *key, int64_t now,
    struct resp *out);
/* Remember the page r under key (only a 200 without cookies or a redirect is kept). */
void page_cache_put(struct page_cache *pc, struct db *db, const char *key, int64_t now,
    const struct resp *r);

#endif
