/* The calendars of a link (CalDAV: every calendar of the principal), as the engine hands them to
 * the driver and as the driver reports what it found (pure; the rows live in link_calendars,
 * see core/db_link_cals.h). */
#ifndef CORE_LINK_CALS_H
#define CORE_LINK_CALS_H

#include <stddef.h>

/* What a driver's note asks the engine to write (step_out.cals). */
enum cal_op {
	CAL_SEEN,     /* the calendar is on the server: add it (chosen as given) or update its name
	               * and color (chosen kept) */
	CAL_GONE,     /* removed on the server: the row goes */
	CAL_CURSOR,   /* its own cursor after the page (NULL: none, synced afresh when chosen) */
};

/* One calendar; strings owned by the list. */
struct link_cal {
	char *href;       /* absolute URL of the collection, with a trailing '/' */
	char *name;       /* displayname, may be NULL */
	char *color;      /* calendar-color ("#rrggbb"), may be NULL */
	int chosen;       /* the user syncs it */
	char *cursor;     /* its own sync cursor, NULL: never synced (or to sync afresh) */
	enum cal_op op;   /* in a step_out note only */
};
struct link_cal_list {
	struct link_cal *v;
	size_t n, cap;
};
/* A new zeroed entry at the end of l (NULL when out of memory). */
struct link_cal *link_cal_list_add(struct link_cal_list *l);
/* Free every string and the array; l is left empty. */
void link_cal_list_free(struct link_cal_list *l);

#endif
