/* What a calendar shows: appointments and e-mail threads of a user, an account or a contact in
 * a time range, each marked with whether the viewer may see its details (privacy rules). */
#ifndef CORE_DB_CALENDAR_H
#define CORE_DB_CALENDAR_H

#include <stddef.h>
#include <stdint.h>
#include "core/db.h"

enum cal_kind { CAL_APPT, CAL_EMAIL };
enum cal_scope { CAL_USER, CAL_ACCOUNT, CAL_CONTACT };

struct cal_item {
	enum cal_kind kind;
	int64_t id;            /* appointment id, or the id of that first message */
	int64_t thread_id;     /* e-mail only */
	int64_t start_at;      /* appointment start, or when the thread's first message the
	                          viewer sees was sent */
	int duration_min, all_day;
	int detail;            /* 0: show only as Busy (appointments) / not at all (e-mail) */
	char *title;           /* title or subject; owned: one block holding all three strings */
	char *user_name;       /* owning user; in title's block */
	char *regarding;       /* in title's block */
};

struct cal_items {
	struct cal_item *v;
	size_t n, cap;
};
void cal_items_free(struct cal_items *l);

/* The days a calendar shows, twice: as the instants [from, to) where the viewer's local days
 * begin and end (timed items and mail are placed by instant), and as the dates themselves,
 * [date_from, date_to) at 00:00 UTC of the first date and of the date after the last (all-day
 * items are dates, placed by date in every zone). */
struct cal_span {
	int64_t from, to;
	int64_t date_from, date_to;
};

/* An all-day item longer than this many days is found only by its first CAL_ALLDAY_MAX_DAYS
 * dates: it bounds the index range of the by-date query. */
#define CAL_ALLDAY_MAX_DAYS 366

/* Append to out every item of scope_id (a user, account or contact id) in span, as seen by
 * viewer_id, ordered by start: timed appointments and threads starting in [from, to), all-day
 * appointments covering a date of [date_from, date_to). E-mail threads the viewer may not see
 * are left out; appointments the viewer may not see come with detail = 0.
 * Returns 0 or -1. out owns what is added. */
int db_calendar_items(struct db *db, enum cal_scope scope, int64_t scope_id, int64_t viewer_id,
    const struct cal_span *span, struct cal_items *out);

/* 1 if viewer may see the details of owner's calendar (own, public, or shared), 0 if not,
 * -1 on error. */
int db_calendar_visible(struct db *db, int64_t owner_id, int64_t viewer_id);
/* The rule of core/visibility.h for one message / one appointment: 1 if viewer may see it
 * (0 also when there is no such row), -1 on error. */
int db_msg_visible(struct db *db, int64_t msg_id, int64_t viewer_id);
int db_appt_visible(struct db *db, int64_t appt_id, int64_t viewer_id);

#endif
