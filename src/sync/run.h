/* One link's pass over its streams (engine-internal): start, advance on each HTTP answer, and
 * record the outcome on the link with one log line. */
#ifndef SYNC_RUN_H
#define SYNC_RUN_H

#include <stdint.h>

#include "core/app.h"
#include "core/db_rematch.h"
#include "core/models.h"
#include "providers/provider.h"
#include "sync/drivers.h"
#include "sync/http.h"
#include "sync/store.h"

struct run {
	struct app *app;
	struct http_pool *pool;
	struct link link;
	char *secret;                   /* decrypted secret JSON */
	struct prov_link pl;
	struct link_cal_list cals;      /* the link's calendars (CalDAV), pl.cals points here */
	const struct driver_set *ds;
	enum stream streams[3];
	size_t n_streams, cur;
	const struct provider *drv;     /* the current stream's driver */
	struct pass *pass;
	int resync;                     /* restart the current stream with PROV_RESYNC */
	int resyncs;
	int first_pass;                 /* the current stream had no cursor when it began */
	struct store store;
	int waiting;                    /* an HTTP request is out */
	int64_t t0_ms;
	long round_trips;
	int64_t store_ms;               /* time spent writing pages */
	int failed;                     /* worst prov_status seen, 0 when none */
	long retry_after;
	char error[256];
	char why[200];                  /* the driver's words for the failure it is returning */
	int done;
	unsigned again;                 /* woken while running: run again at once after it ends,
	                                 * for these streams (RUN_AGAIN_ALL: every stream) */
	int lost;                       /* the link's lease went to another daemon: the pass ends
	                                 * and records nothing on the link */
	int partial;                    /* only some streams (push news): the poll stays due */
	int subbing;                    /* pass is a webhook subscription machine (subscribe.h) */
	size_t sub_cur;                 /* the stream whose subscription is looked at next */
	struct subscription sub;        /* the one being made or renewed */
	struct prov_keep keep;          /* the link's kept connection, handed to the drivers */
	/* Re-match (before the streams): items queued for the link now that a contact has one of
	 * their addresses, each fetched again by id (provider.fetch_begin) and stored. */
	int rm_loaded;
	struct rematch_list rm;
	size_t rm_cur;
	int fetching;                   /* pass is the fetch of rm.v[rm_cur] */
	int rm_left;                    /* items this run left queued (failed for a while) */
	int rm_added;                   /* items the re-match imported */
	/* Set by the engine: hand one step() of a blocking driver (provider.blocking) to a worker,
	 * which fills out; 0 when handed off, and run_stepped() brings the outcome back and
	 * commits out's page on the engine thread. */
	int (*offload)(struct run *r);
	void *offload_ctx;
	struct step_out out;
	int stepped, step_rc, step_timed_out;
	long step_retry_after;
	struct run *next;
};

/* Load link_id and begin its pass over the streams in mask (0: every stream the link syncs);
 * nothing runs yet. NULL when the link is not active or cannot be loaded (logged). */
#define RUN_AGAIN_ALL 0x8000u
struct run *run_new(struct app *app, struct http_pool *pool, int64_t link_id, unsigned mask);
/* Move the pass on: resp is the answer to the request the run was waiting for, or NULL.
 * Returns when a request is out or the run is done (then the outcome is recorded). */
void run_advance(struct run *r, const struct http_resp *resp);
/* The step handed off by offload() returned rc, or missed its deadline (timed_out_s > 0): go on
 * as run_advance() does. */
void run_stepped(struct run *r, int rc, int timed_out_s);
/* The driver operation that steps the current pass: pull, subscription or re-match fetch. */
int (*run_step_fn(const struct run *r))(struct pass *, const struct http_resp *,
    struct http_req *, struct step_out *, long *);
/* Free the run; a pass still going is ended without recording anything. */
void run_free(struct run *r);

int64_t now_ms(void);
/* Seconds to wait after a failed pass when failures passes in a row failed before it: 1, 2, 4
 * ... up to 15 min, each +-20% by rnd (any random number), never under 1. A pass that goes well
 * sets failures back to 0; a rate limit waits its Retry-After instead. */
long run_backoff_s(int failures, unsigned rnd);

#endif
