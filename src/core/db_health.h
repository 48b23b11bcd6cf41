/* The admins' health view of every link (GET /admin/health, `crmctl health`): one row per link
 * that is not unlinked, the links that need their user first, then the flagged ones. */
#ifndef CORE_DB_HEALTH_H
#define CORE_DB_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "core/db.h"

struct link_health {
	int64_t id;
	char *user_email, *user_name, *provider, *address, *status, *last_error;
	int64_t linked_at, last_success_at, next_due_at, last_error_at, rate_limited_until;
	int64_t cursor_refused_at, items_imported;
	int failures;
	int push_channels;          /* webhook subscriptions kept for the link */
	int64_t push_expires_at;    /* the first of them to expire, 0 when none */
	const char *problem;        /* link_health_problem()'s words, or NULL: static */
	int needs_user;             /* the user must sign in again (relink) */
	int rank;                   /* the list's order: 0 needs the user, 1 flagged, 2 fine */
};

struct health_list {
	struct link_health *v;
	size_t n;
};

/* Every link, ordered: needs the user, then flagged (a problem or an expired subscription),
 * then by id. poll_interval sets the stale window (three intervals). Returns 0 or -1. */
int db_health_links(struct db *db, int64_t now, int poll_interval, struct health_list *out);
void health_list_free(struct health_list *l);

/* One short word for a row's state: "needs re-link", "stale", "cursor refused",
 * "rate limited", "failing", "push expired" or "ok". */
const char *link_health_state(const struct link_health *h, int64_t now);

#endif
