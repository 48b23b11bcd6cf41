/* Outbox items pushed out by the engine (engine-internal): each claimed item runs its driver's
 * push step machine, with HTTP through the engine's curl multi pool like a pull pass. */
#ifndef SYNC_PUSH_H
#define SYNC_PUSH_H

#include <stdint.h>

#include "core/app.h"
#include "sync/http.h"

struct pushes;

struct workers;

/* Pushes of blocking drivers (IMAP, SMTP) run on ws (borrowed). */
struct pushes *pushes_new(struct app *app, struct http_pool *pool, struct workers *ws);
/* Claim only items of the links whose lease holder holds (borrowed; NULL: any link). */
void pushes_holder(struct pushes *ps, const char *holder);
/* Claim due items (of only_link when non-zero) while fewer than max run, and start them. */
void pushes_start(struct pushes *ps, int64_t only_link, int max);
/* 1 when owner (from http_pool_done) is one of the pushes' transfers. */
int pushes_owns(const struct pushes *ps, const void *owner);
/* Hand a transfer's answer to its push; a finished push is recorded and freed. */
void pushes_answer(struct pushes *ps, void *owner, const struct http_resp *resp);
/* A push's worker job (owner) returned rc, or missed its deadline (timed_out_s > 0): record it. */
void pushes_stepped(struct pushes *ps, void *owner, int rc, int timed_out_s);
int pushes_running(const struct pushes *ps);
/* Free; items still running are handed back to the outbox (pending at once). With left_behind
 * (workers_stop() left threads busy) the items still on a worker are not freed. NULL is fine. */
void pushes_free(struct pushes *ps, int left_behind);

#endif
