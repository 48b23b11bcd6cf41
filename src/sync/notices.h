/* The engine's re-link notices (engine-internal): when a link turns to 'relink', its user gets
 * one mail through the company's relay ([notify] smtp_url; core/notify.h) saying the mailbox
 * must be linked again, and no other until a pass of the link has gone well again. The send is
 * a worker job (SMTP blocks); claims and outcomes are on the engine thread. */
#ifndef SYNC_NOTICES_H
#define SYNC_NOTICES_H

#include "core/app.h"

struct notices;
struct workers;

/* Jobs run on ws (borrowed). NULL when out of memory or when [notify] smtp_url does not parse
 * (logged); a config without smtp_url gives notices that never send. */
struct notices *notices_new(struct app *app, struct workers *ws);
/* Claim one link that waits for its notice and start its send, when none is running. */
void notices_start(struct notices *ns);
/* 1 when owner (from workers_done) is the send job. */
int notices_owns(const struct notices *ns, const void *owner);
/* The send returned rc (a prov_status), or missed its deadline (timed_out_s > 0): log it. */
void notices_stepped(struct notices *ns, void *owner, int rc, int timed_out_s);
/* Free; with left_behind a send still on a worker is not freed. NULL is fine. */
void notices_free(struct notices *ns, int left_behind);

#endif
