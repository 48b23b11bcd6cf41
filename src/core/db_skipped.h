/* skipped_items: what the sync saw and did not import, and why (core/skipped.h), for Sync
 * settings' "Not imported" list and `crmctl why`. Implemented in db_skipped.c; every function
 * returns 0 (or a count as said) and -1 on a database error. Arguments are borrowed. */
#ifndef CORE_DB_SKIPPED_H
#define CORE_DB_SKIPPED_H

#include <stdint.h>

#include "core/db.h"
#include "core/skipped.h"

/* Record that link saw it at now and did not import it: one row per (link, provider id), so a
 * re-seen item updates its row (reason, details, recorded_at) instead of adding one. */
int db_skipped_record(struct db *db, int64_t link, const struct skipped_item *it, int64_t now);
/* Forget the link's record of provider_id (the item has been imported since). */
int db_skipped_forget(struct db *db, int64_t link, const char *provider_id);
/* 1 when link has a record of provider_id, 0 when not, -1. */
int db_skipped_has(struct db *db, int64_t link, const char *provider_id);
/* Keep the newest max records of link (by recorded_at), deleting the rest. Returns how many
 * went, or -1. */
int db_skipped_bound(struct db *db, int64_t link, int64_t max);
/* Delete records older than days before now, then bound every link to max. Returns how many
 * went, or -1. */
int db_skipped_prune(struct db *db, int64_t now, int days, int64_t max);

/* The records of user's own links, newest item first, matching q (a part of an address, of
 * From or of the subject; NULL or "": all), at most limit from offset; *total (when not
 * NULL) gets how many match. Items appended to out. */
int db_skipped_list(struct db *db, int64_t user, const char *q, int limit, int offset,
    struct skipped_list *out, int64_t *total);
/* Every link's records about what: an address (exactly, any position), a Message-ID or UID
 * (with or without <>), or a provider id; newest first, at most limit. */
int db_skipped_why(struct db *db, const char *what, int limit, struct skipped_list *out);

/* Where what (a Message-ID or UID, with or without <>, or a provider id) was imported: one
 * line per copy ("mail 12 \"Subject\" for alice@crm.example (link 3, INBOX/1/5)"), appended to
 * *lines (malloc'd array of malloc'd strings, *n of them). */
int db_skipped_imported(struct db *db, const char *what, char ***lines, size_t *n);

#endif
