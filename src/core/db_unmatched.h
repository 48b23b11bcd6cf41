/* The Unmatched list: messages dragged into the CRM folder that matched no contact, until the
 * user assigns one to a contact (it then becomes an imported mail like any other) or discards
 * it. Implemented in db_unmatched.c; every function returns 0 (or as said) and -1 on a
 * database error. Strings in structs are owned by them; arguments are borrowed. */
#ifndef CORE_DB_UNMATCHED_H
#define CORE_DB_UNMATCHED_H

#include <stddef.h>
#include <stdint.h>

#include "core/db.h"

struct unmatched {
	int64_t id, sent_at;
	char *from_name, *from_email, *subject, *to_list, *preview;   /* preview: start of the body */
};
struct unmatched_list {
	struct unmatched *v;
	size_t n, cap;
};
void unmatched_list_free(struct unmatched_list *l);

/* The user's unmatched messages, newest first (at most limit). */
int db_unmatched_list(struct db *db, int64_t user_id, int limit, struct unmatched_list *out);
/* How many the user has, or -1. */
int64_t db_unmatched_count(struct db *db, int64_t user_id);

/* Contacts to pick from, by name (at most limit): id, c[0] name, c[1] account name, c[2] first
 * e-mail (struct web_rows of core/db_web.h). */
struct web_rows;
int db_unmatched_contacts(struct db *db, int limit, struct web_rows *out);

/* Assign the user's unmatched message id to contact_id, inside the caller's transaction: it
 * joins messages (found by Message-ID, or added to the thread its In-Reply-To / References
 * lead to, or a new thread), message_users (the link and provider id it came through; direction
 * 'sent' when From is the link's address) and message_contacts; the unmatched row goes.
 * Returns 0 with *msg_id (the messages row), 1 when the message or the contact does not exist
 * (or is not the user's), -1. */
int db_unmatched_assign(struct db *db, int64_t id, int64_t user_id, int64_t contact_id,
    int64_t *msg_id);
/* Delete the user's unmatched message id, remembering its Message-ID for the link so a later
 * pass of the CRM folder does not bring it back. Returns 0, 1 when there is none, -1. */
int db_unmatched_discard(struct db *db, int64_t id, int64_t user_id);

#endif
