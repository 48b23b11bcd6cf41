/* The sync engine: one thread drives every link. It picks due links (poll interval with jitter,
 * back-off after errors, wake-ups set in the database), runs each link's streams through its
 * provider drivers (HTTP through one curl multi handle, IMAP inside step()), stores pages with
 * store.c, and keeps push watches (IMAP IDLE) whose news make a link due at once. */
#ifndef SYNC_ENGINE_H
#define SYNC_ENGINE_H

#include <signal.h>
#include <stdint.h>

#include "core/app.h"

struct engine_opts {
	int once;           /* one pass over every due link (or the --link one), then return */
	int64_t link_id;    /* only this link; with once, it runs whether due or not */
	int max_runs;       /* links synced at the same time; 0: 32 */
	int push;           /* keep push watches (IMAP IDLE); ignored with once */
};

/* Run until *stop is set (SIGTERM) or, with once, until the pass is over. A stop lets the
 * running write finish; transfers in flight are dropped (their page was not committed, so the
 * next start repeats it). Returns 0; 1 with once when a link's pass failed; -1 when the engine
 * could not start. */
int engine_run(struct app *app, const struct engine_opts *o, volatile sig_atomic_t *stop);

#endif
