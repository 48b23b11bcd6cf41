/* The engine's side of link leases (engine-internal): this daemon's holder id, the links whose
 * lease it holds, and the tick that renews, claims, gives back and takes over (core/db_leases.h).
 * Only held links get passes, IMAP IDLE watches and pushes; a page commit checks the lease. */
#ifndef SYNC_LEASES_H
#define SYNC_LEASES_H

#include <stddef.h>
#include <stdint.h>

#include "core/app.h"

struct leases;

/* A holder "host:pid:random" for this process; nothing is claimed until the first tick. NULL
 * when out of memory. */
struct leases *leases_new(struct app *app);
/* Give back every lease (a clean stop) and free. NULL is fine. */
void leases_free(struct leases *l);
const char *leases_holder(const struct leases *l);
/* Monotonic ms when the next tick is due: every lease_s / 3. */
int64_t leases_next_ms(const struct leases *l);
/* The tick: forget holders on this host whose process is gone (kill(pid, 0) says ESRCH), renew,
 * claim up to the fair share, give back what is held beyond it (never a link for which
 * running(ctx, link) is 1), and read what is held. Links held before and not now go to lost
 * (at most max_lost, *n_lost of them). Returns 1 when the held set changed, 0 when not, -1 on
 * a database error (the held set stays as it was; page commits still check). */
int leases_tick(struct leases *l, int64_t now_ms, int (*running)(void *ctx, int64_t link),
    void *ctx, int64_t *lost, size_t max_lost, size_t *n_lost);
/* 1 when this daemon held link's lease at the last tick. */
int leases_holds(const struct leases *l, int64_t link);
/* 1 when some active link is free (new, or its holder's lease expired): tick now rather than
 * at the next lease_s / 3. */
int leases_any_free(struct leases *l, int64_t now);
/* Take the wake-ups of the held links (the others' stay for their holders); their ids go to
 * ids. Returns 0 or -1. */
int leases_take_wakes(struct leases *l, int64_t now, int64_t *ids, size_t max, size_t *n);
/* The held links that are due at now (seconds), soonest first. Returns 0 or -1. */
int leases_due(struct leases *l, int64_t now, int64_t *ids, size_t max, size_t *n);
/* How many links are held. */
size_t leases_count(const struct leases *l);

#endif
