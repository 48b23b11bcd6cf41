/* The login tests of the IMAP + CalDAV link form (engine-internal): claimed from the database,
 * each runs on a worker under [sync] probe_timeout_s, and its outcome is written back for the
 * web page that polls it (core/db_link_probe.h). */
#ifndef SYNC_PROBES_H
#define SYNC_PROBES_H

#include "core/app.h"

struct probes;
struct workers;

/* Tests run on ws (borrowed). NULL when out of memory. */
struct probes *probes_new(struct app *app, struct workers *ws);
/* Claim queued tests while fewer than max run, and hand them to the workers; now and then drop
 * the secrets of expired tests. */
void probes_start(struct probes *ps, int max);
/* 1 when owner (from workers_done) is one of the tests. */
int probes_owns(const struct probes *ps, const void *owner);
/* A test's job returned rc, or missed its deadline (timed_out_s > 0): write the outcome. */
void probes_stepped(struct probes *ps, void *owner, int rc, int timed_out_s);
/* Free; with left_behind (workers_stop() left threads busy) the tests still on a worker are not
 * freed. Tests not finished stay 'running' in the database and fail at their expiry. NULL is
 * fine. */
void probes_free(struct probes *ps, int left_behind);

#endif
