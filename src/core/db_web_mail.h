/* Mail written in the CRM: the message a reply answers, storing a sent mail as the user's Sent
 * activity (its outbox item is queued by the caller in the same transaction), and the owner of
 * an outbox item for the Retry button. Implemented in db_web_mail.c. Strings in structs are
 * owned by them (released by their _free); arguments are borrowed. */
#ifndef CORE_DB_WEB_MAIL_H
#define CORE_DB_WEB_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/db.h"

struct reply_src {
	int64_t id, thread_id, sent_at;
	char *message_id;     /* without <> */
	char *refs;           /* space-separated, may be "" */
	char *subject, *from_name, *from_email, *to_list, *cc_list, *body_text;
	char *direction;      /* "sent" or "received", as seen by the viewer */
};
void reply_src_free(struct reply_src *r);
/* The message row msg_id as viewer sees it. Returns 0, 1 when there is none, -1. (Whether the
 * viewer may see it is the caller's check: db_msg_visible.) */
int db_web_mail_reply_src(struct db *db, int64_t msg_id, int64_t viewer_id, struct reply_src *r);

struct sent_mail {
	int64_t user_id, link_id;
	int64_t thread_id;            /* the replied thread, or 0 for a new one */
	int64_t sent_at;
	const char *message_id;       /* without <> */
	const char *in_reply_to;      /* without <>, may be NULL */
	const char *refs;             /* space-separated, may be NULL */
	const char *subject, *from_name, *from_email, *to_list, *cc_list, *body;
	const char *const *rcpt;      /* normalized To + Cc addresses, for matching contacts */
	size_t n_rcpt;
};
/* Store m as a message the user sent: messages row (joining thread_id or in a new thread
 * started now), message_users (direction 'sent', no provider id yet: the sync adds it when it
 * sees the mail in Sent, found by Message-ID) and message_contacts for every recipient that is a
 * contact. Call inside the caller's transaction. Returns 0 with *msg_id, or -1. */
int db_web_mail_store_sent(struct db *db, const struct sent_mail *m, int64_t *msg_id);

/* Who an outbox item belongs to and what it is about (0 when none). Returns 0, 1 when there is
 * no such item, -1. */
int db_web_outbox_item(struct db *db, int64_t id, int64_t *user_id, int64_t *appt_id,
    int64_t *msg_id);
/* The provider ("google", "microsoft", "nylas", "imap") the item went or goes to: its link, else
 * the owner's current link; "" when neither. Returns 0 or -1. */
int db_web_outbox_provider(struct db *db, int64_t id, char *out, size_t size);

#endif
