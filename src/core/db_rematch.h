/* rematch: items not imported for want of a contact, queued again when a contact gets one of
 * their addresses (triggers of migration 20 in schema.c fill the queue and wake the link), for
 * crm-sync to fetch by id and store; and the per-contact count of earlier items so added, for
 * the contact's activities page. Implemented in db_rematch.c; every function returns 0 (or a
 * count as said) and -1 on a database error. Arguments are borrowed. */
#ifndef CORE_DB_REMATCH_H
#define CORE_DB_REMATCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/db.h"
#include "core/skipped.h"

/* After this many fetches that failed for a while (the provider down, not the item gone), a
 * queued item is given up (its record of not being imported stays). */
#define REMATCH_MAX_TRIES 5

/* One queued item. Strings owned by the list (rematch_list_free). */
struct rematch_item {
	int64_t link_id, contact_id, queued_at;
	char *provider_id;
	enum skip_kind kind;
	int tries;
	char *link_address;         /* db_rematch_all only: the link's mailbox */
};
struct rematch_list {
	struct rematch_item *v;
	size_t n, cap;
};
void rematch_list_free(struct rematch_list *l);

/* The link's queued items, oldest first, at most max, appended to out. */
int db_rematch_take(struct db *db, int64_t link, int max, struct rematch_list *out);
/* Every queued item (for `crmctl rematch`), oldest first, at most max. */
int db_rematch_all(struct db *db, int max, struct rematch_list *out);
/* How many items link has queued. */
int db_rematch_count(struct db *db, int64_t link);
/* The item is dealt with (imported, or gone at the provider): off the queue. */
int db_rematch_done(struct db *db, int64_t link, const char *provider_id);
/* A fetch of it failed for a while: tries + 1, and off the queue once it reaches max. Returns
 * 1 when it went, 0 when it stays, -1. */
int db_rematch_failed(struct db *db, int64_t link, const char *provider_id, int max);
/* n more earlier items were added for contact at now (rematch_notices). */
int db_rematch_credit(struct db *db, int64_t contact, int n, int64_t now);
/* The contact's count of earlier items added at or after since: *n (0 when none) and *at. */
int db_rematch_notice(struct db *db, int64_t contact, int64_t since, int64_t *n, int64_t *at);

#endif
