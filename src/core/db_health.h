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
	int64_t newest_item_at;     /* the newest item's date the link stored, 0: none (a proxy for
	                             * the newest at the provider: see link_health_lag) */
	char *push_state;           /* "idle", "reconnecting", "unsupported" or "" (no watch) */
	int64_t push_state_at;      /* when crm-sync wrote it */
	int64_t errors_hour, rate_limited_hour;   /* failed passes and 429s since an hour ago */
	int64_t imported_today, skipped_today;    /* items new and items left out since day_start */
	int64_t relink_notice_at;   /* when the user was mailed about the re-link, 0: not */
};

struct health_list {
	struct link_health *v;
	size_t n;
};

/* Every link, ordered: needs the user, then flagged (a problem or an expired subscription),
 * then by id. poll_interval sets the stale window (three intervals); "today" starts at
 * day_start (the viewer's midnight). Returns 0 or -1. */
int db_health_links(struct db *db, int64_t now, int64_t day_start, int poll_interval,
    struct health_list *out);
void health_list_free(struct health_list *l);

/* One short word for a row's state: "needs re-link", "stale", "cursor refused",
 * "rate limited", "failing", "push expired" or "ok". */
const char *link_health_state(const struct link_health *h, int64_t now);

/* The lag in seconds: now minus the newest item's date the link has stored (a mail's date, an
 * event's last change at the provider, a mail seen and left out). The provider's own newest
 * item is not asked for; the stored newest is a fair proxy while the link syncs, and it grows
 * when the link stops (and while the mailbox is quiet: read it beside last_success_at). -1 when
 * the link has stored nothing. */
int64_t link_health_lag(const struct link_health *h, int64_t now);
/* The push watch in words ("IDLE held", ...), "" when the link has no watch. Static. */
const char *link_health_push_words(const struct link_health *h);
/* A lag for people: "45 s", "12 min", "3 h", "4 days", or "no items yet" when s < 0. */
char *fmt_lag(int64_t s, char *out, size_t size);

#endif
