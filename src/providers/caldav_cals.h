/* Which calendars of a CalDAV principal a pass syncs (pure; private to caldav*.c): the listing
 * against the link's known calendars gives the notes for link_calendars, the drops of
 * calendars that went or were unchecked, and the calendars to sync, each with its cursor. */
#ifndef PROVIDERS_CALDAV_CALS_H
#define PROVIDERS_CALDAV_CALS_H

#include "core/link_cals.h"
#include "providers/provider.h"

/* A calendar the server lists (taking VEVENTs), as the listing gives it; strings owned. */
struct dav_cal {
	char *url;      /* absolute, with a trailing '/' */
	char *name, *color;
	char *token;    /* its sync-token, NULL when the server has none */
};
struct dav_cal_list {
	struct dav_cal *v;
	size_t n, cap;
};
struct dav_cal *dav_cal_list_add(struct dav_cal_list *l);
void dav_cal_list_free(struct dav_cal_list *l);

/* One calendar the pass syncs; strings owned. */
struct cal_work {
	char *url;
	char *cursor;   /* its own cursor, NULL: none (record its state, or import it afresh) */
	char *token;    /* the listing's sync-token, NULL: none */
};
struct cal_plan {
	struct cal_work *v;
	size_t n;
	char *default_url;   /* where pushes go: the calendar used before when still chosen,
	                      * else the first chosen one; NULL when none is chosen */
};
void cal_plan_free(struct cal_plan *p);

/* Plan a pass. known: the link's calendars (prov_link.cals); found: what the server lists;
 * use_cursors: 0 on a first pass or a resync (every calendar starts afresh); old_default: the
 * calendar pushes went to; legacy_url / legacy_cursor: the one calendar and cursor of a link
 * synced before it had several (both NULL otherwise). Appends to notes a CAL_SEEN for each
 * found calendar (a new one chosen), a CAL_GONE for each known one no longer found, and to drops
 * a prefix deletion (sync_event.prefix) of each gone or unchosen calendar's path. 0 or -1. */
int caldav_plan(const struct link_cal *known, size_t n_known, const struct dav_cal_list *found,
    int use_cursors, const char *old_default, const char *legacy_url, const char *legacy_cursor,
    struct link_cal_list *notes, struct event_list *drops, struct cal_plan *plan);

#endif
