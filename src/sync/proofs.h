/* The engine's side of proving an IMAP link's address (engine-internal; core/link_proof.h):
 * for a link waiting for a code, a worker sends one to the address through the link's own
 * SMTP; for a link with a live code, a worker looks in its INBOX (Subject headers only) every
 * PROOFS_CHECK_S seconds and, when the code mail is there, deletes it and the link is proved.
 * Outcomes are written on the engine thread. */
#ifndef SYNC_PROOFS_H
#define SYNC_PROOFS_H

#include "core/app.h"

#define PROOFS_CHECK_S 5

struct proofs;
struct workers;

/* Jobs run on ws (borrowed). NULL when out of memory. */
struct proofs *proofs_new(struct app *app, struct workers *ws);
/* Claim codes to send and INBOXes to look at while fewer than max jobs run. */
void proofs_start(struct proofs *ps, int max);
/* 1 when owner (from workers_done) is one of the jobs. */
int proofs_owns(const struct proofs *ps, const void *owner);
/* A job returned rc, or missed its deadline (timed_out_s > 0): write the outcome. */
void proofs_stepped(struct proofs *ps, void *owner, int rc, int timed_out_s);
/* Free; with left_behind the jobs still on a worker are not freed. NULL is fine. */
void proofs_free(struct proofs *ps, int left_behind);

#endif
