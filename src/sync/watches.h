/* Push watches of every active link whose provider has one (IMAP IDLE): opened, re-armed,
 * reopened after errors, and their fds handed to the curl wait. Engine-internal. */
#ifndef SYNC_WATCHES_H
#define SYNC_WATCHES_H

#include <curl/curl.h>
#include <stdint.h>

#include "core/app.h"

struct watches;

/* news(ctx, link, stream) is called when the watched stream of a link may have something new
 * (news came, or the watch was just opened or lost, so something may have been missed). */
struct workers;

/* Watches are opened and closed by jobs on ws (borrowed), so a stalled server holds no one. */
struct watches *watches_new(struct app *app, void (*news)(void *ctx, int64_t link,
    unsigned stream), void *ctx, struct workers *ws);
/* Close every watch (the engine is stopping; opens in flight go on). */
void watches_close_all(struct watches *w);
/* Free; with left_behind (workers_stop() left threads busy) opens in flight are not freed. */
void watches_free(struct watches *w, int left_behind);
/* Open watches for active links (only link_id when non-zero), close those of links gone.
 * Looks at the database at most every 30 s. */
void watches_refresh(struct watches *w, int64_t link_id);
/* Watch only the links for which holds(ctx of watches_new, link) is 1 (the links whose lease
 * this daemon holds); the others' watches close at the next refresh. */
void watches_only(struct watches *w, int (*holds)(void *ctx, int64_t link));
/* Which links to watch changed: the next refresh looks at the database at once. */
void watches_recheck(struct watches *w);
/* A link just synced: look at the database again soon if it has no watch yet (a new link). */
void watches_kick(struct watches *w, int64_t link_id);
/* The fds to wait on (array owned by w, valid until the next call). */
unsigned watches_fds(struct watches *w, struct curl_waitfd **fds);
/* 1 when a watch has buffered news that needs no waiting. */
int watches_pending(struct watches *w);
/* 1 when owner (from workers_done) is one of the watches' open jobs. */
int watches_owns(const struct watches *w, const void *owner);
/* An open or check job ended with rc (timed_out_s > 0: past its deadline): the watch is in
 * use, or it is closed and the next open is due after watches_retry_delay(). */
void watches_opened(struct watches *w, void *owner, int rc, int timed_out_s);
/* After the wait: watches whose fd is readable, pending, or due for re-arming go to a check job
 * on a worker (leave IDLE, read, IDLE again) with the set-up deadline; none talks to its server
 * on the engine thread. */
void watches_after_wait(struct watches *w);

/* Seconds before reopening a watch after fails failures in a row: 1, 2, 4 ... 30 s, each +-20%
 * by rnd (any random number), never under 1. */
int watches_retry_delay(int fails, unsigned rnd);

#endif
