/* link_calendars: the calendars of each CalDAV link, which ones the user syncs, and each one's
 * own cursor (migration m18 in schema.c). */
#ifndef CORE_DB_LINK_CALS_H
#define CORE_DB_LINK_CALS_H

#include <stdint.h>

#include "core/db.h"
#include "core/link_cals.h"

/* The link's calendars in the order they were found into out (emptied first; op unset).
 * 0 or -1. */
int db_link_cals_get(struct db *db, int64_t link_id, struct link_cal_list *out);
/* Write one note of a driver (c->op says what); inside the caller's transaction. 0 or -1. */
int db_link_cals_apply(struct db *db, int64_t link_id, const struct link_cal *c);
/* The user (un)checks a calendar on Sync settings: 1 when it changed, 0 when not (or unknown),
 * -1 on a database error. Unchecked, the next pass drops its copies; checked again, it is
 * synced afresh. */
int db_link_cals_choose(struct db *db, int64_t link_id, const char *href, int chosen);

#endif
