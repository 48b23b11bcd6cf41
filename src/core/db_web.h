/* Reads and writes of the web pages that are not calendars: one appointment with its attendees,
 * a message thread, contacts, accounts and users for pickers. Implemented in db_web_*.c.
 * Strings in these structs are owned by them and released by their _free function. */
#ifndef CORE_DB_WEB_H
#define CORE_DB_WEB_H

#include <stddef.h>
#include <stdint.h>
#include "core/db.h"

/* A list of rows of up to 6 strings and one id; used for small tables (attendees, users,
 * contacts, accounts). Cells are owned ("" for NULL). */
struct web_row {
	int64_t id;
	char *c[6];
};
struct web_rows {
	struct web_row *v;
	size_t n, cap;
};
void web_rows_free(struct web_rows *r);
/* Step a bound statement and append its rows: column 0 is the id when with_id, then ncols
 * text cells. Resets st. Returns 0 or -1. */
int db_web_rows_collect(struct db *db, struct db_stmt *st, int with_id, int ncols,
    struct web_rows *out);

struct appt_view {
	int64_t id, assigned_user_id, account_id, start_at;
	int duration_min, all_day, complete, hidden, imported;
	char *source, *type, *assigned_name, *time_zone, *location, *title, *note,
	    *completion_note, *regarding;
	/* who or where it is for: account (or first matched contact's account) */
	char *acct_number, *acct_name, *acct_address1, *acct_city_line;
};
void appt_view_free(struct appt_view *a);

enum web_access { ACCESS_NONE = 0, ACCESS_VIEW = 1, ACCESS_EDIT = 2 };

/* Returns 0, 1 when not found (or hidden), -1 on error. */
int db_web_appt_get(struct db *db, int64_t id, struct appt_view *a);
/* What viewer may do with the appointment: edit when their own copy is on their calendar, view
 * when they may see another copy of it (core/visibility.h). Returns the access or -1. */
int db_web_appt_access(struct db *db, int64_t id, int64_t viewer_id);
/* Attendees: c[0] name, c[1] e-mail, c[2] phone (from the matching contact). Returns 0 or -1. */
int db_web_appt_attendees(struct db *db, int64_t id, struct web_rows *out);
/* CRM-owned fields, editable on every appointment. Returns 0 or -1. */
int db_web_appt_set_crm_fields(struct db *db, int64_t id, const char *note,
    const char *completion_note, int complete);
/* Provider-owned fields of a CRM appointment (the caller refuses this for imported ones);
 * queues the change for the owner's calendar. Returns 0 or -1. */
int db_web_appt_set_fields(struct db *db, int64_t id, int64_t start_at, int duration_min,
    const char *time_zone, const char *location, const char *title, const char *type);
/* Hide user's own copy for good (a later sync keeps it hidden); the other users keep theirs.
 * When no copy is left the appointment is hidden too. A CRM appointment deleted by its assigned
 * user has the delete queued for that user's calendar. Returns 0 or -1. */
int db_web_appt_hide(struct db *db, int64_t id, int64_t user_id);
/* Queue an outgoing change for the appointment's assigned user through db_outbox_event (kind:
 * event_create, event_update, event_delete). Returns 0 or -1. */
int db_web_outbox_event(struct db *db, int64_t appt_id, const char *kind);

struct msg_view {
	int64_t id;
	int64_t sent_at;
	char *subject, *from_name, *from_email, *to_list, *cc_list, *body_text, *direction;
};
struct thread_msgs {
	struct msg_view *v;
	size_t n, cap;
};
void thread_msgs_free(struct thread_msgs *l);
/* The thread of a message. Returns 0, 1 when not found, -1 on error. */
int db_web_msg_thread_of(struct db *db, int64_t message_id, int64_t *thread_id);
/* 1 if user holds a copy (not hidden) of a message of the thread, 0 if not, -1 on error.
 * (Whether a viewer may see a message is db_msg_visible, core/db_calendar.h.) */
int db_web_thread_held(struct db *db, int64_t thread_id, int64_t user_id);
/* The messages of the thread the viewer may see (core/visibility.h), oldest first; direction as
 * seen by viewer. Returns 0 or -1. */
int db_web_thread_messages(struct db *db, int64_t thread_id, int64_t viewer_id,
    struct thread_msgs *out);
/* Set the Regarding of a thread / appointment. Returns 0 or -1. */
int db_web_thread_set_regarding(struct db *db, int64_t thread_id, const char *text);
int db_web_appt_set_regarding(struct db *db, int64_t appt_id, const char *text);

/* Users for the calendar picker: c[0] name, c[1] e-mail, c[2] privacy. Returns 0 or -1. */
int db_web_users(struct db *db, struct web_rows *out);
/* Accounts whose number or name contains q (all when q is empty), at most limit:
 * c[0] number, c[1] name, c[2] address line, c[3] status, c[4] contact count. */
int db_web_accounts_search(struct db *db, const char *q, int limit, struct web_rows *out);
/* Contacts of an account: c[0] name, c[1] first e-mail, c[2] phone. Returns 0 or -1. */
int db_web_account_contacts(struct db *db, int64_t account_id, struct web_rows *out);
/* One contact: c[0] name, c[1] e-mails (comma-separated), c[2] phone, c[3] account number,
 * c[4] account name. Returns 0, 1 when not found, -1 on error. */
int db_web_contact_get(struct db *db, int64_t id, struct web_row *out);
void web_row_free(struct web_row *r);

#endif
