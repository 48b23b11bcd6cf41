/* How the pages show an outbox item (a mail being sent, an appointment being pushed): a state
 * class, one line of text and whether Retry is offered (POST /outbox/{id}/retry). */
#ifndef WEB_OUTBOX_VIEW_H
#define WEB_OUTBOX_VIEW_H

#include <stdint.h>

#include "core/db_outbox.h"
#include "web/web.h"

struct outbox_label {
	char cls[16];        /* "pending", "done", "failed"; "" when there is no item */
	char text[480];
	int64_t retry_id;    /* the outbox row to retry, 0 when Retry is not offered */
};

/* Pure: the label of a mail_send item / of an appointment push to provider ("google",
 * "microsoft", "nylas", "imap" or ""). */
void outbox_label_mail(const struct outbox_state *s, struct outbox_label *l);
void outbox_label_event(const struct outbox_state *s, const char *provider, struct outbox_label *l);

/* The label of the newest item of messages row msg_id / appointment appt_id (cls "" when none).
 * Returns 0 or -1. */
int outbox_label_for_message(struct ctx *c, int64_t msg_id, struct outbox_label *l);
int outbox_label_for_appointment(struct ctx *c, int64_t appt_id, struct outbox_label *l);

/* Set push_state, push_text and push_retry in v from l. */
void outbox_label_view(struct view *v, const struct outbox_label *l);

#endif
