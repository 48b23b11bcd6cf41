/* CRM-made appointments: creation with their contacts as attendees. (Reading and editing them
 * for pages, and imported ones, live in their own db_ files.) */
#ifndef CORE_APPOINTMENTS_H
#define CORE_APPOINTMENTS_H

#include <stddef.h>
#include <stdint.h>
#include "core/db.h"

struct appt_new {
	int64_t assigned_user_id;
	int64_t account_id;             /* 0 for none */
	const char *type;               /* a CRM type: "Follow Up", "Site Visit", ... */
	int64_t start_at;               /* UTC epoch */
	int duration_min;
	int all_day;
	const char *time_zone;          /* zone it was entered in */
	const char *location, *title, *note;
	const int64_t *contact_ids;     /* invited contacts (their first e-mail is used) */
	size_t n_contacts;
};

/* Create the appointment, its owner row, attendees (organizer = assigned user) and contact
 * matches in one savepoint. Returns 0 with *id set, or -1. Borrowed inputs. */
int db_appointments_create_crm(struct db *db, const struct appt_new *a, int64_t *id);
/* How many appointments were made in the CRM (not synced in), or -1 on error. */
int64_t db_appointments_count_crm(struct db *db);

#endif
