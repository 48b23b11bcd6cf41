/* The engine's side of the outbox: claim -> push item -> driver push_begin -> step ... -> finish,
 * one struct push_run per item in flight, HTTP answers handed back by the engine's loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/crypto.h"
#include "core/db_sync.h"
#include "core/log.h"
#include "core/models.h"
#include "sync/drivers.h"
#include "sync/outbox.h"
#include "sync/push.h"
#include "sync/workers.h"

static const struct provider_cfg no_cfg;

struct push_run {
	struct pushes *ps;
	struct outbox_job job;
	struct push_item it;
	struct push_result res;
	struct link link;
	char *secret;
	struct prov_link pl;
	const struct provider *drv;
	struct pass *pass;
	struct sync_sink sink;
	struct sync_sink relay;         /* sink as the worker sees it (blocking drivers) */
	int (*save_progress)(void *ctx, const char *progress);   /* the outbox's, relayed */
	void *progress_ctx;
	const char *progress;
	int in_worker;
	long retry_after;
	int done;
	struct push_run *next;
};

struct pushes {
	struct app *app;
	struct http_pool *pool;
	struct workers *ws;
	struct push_run *runs;
	int n;
};

struct pushes *pushes_new(struct app *app, struct http_pool *pool, struct workers *ws)
{
	struct pushes *ps = calloc(1, sizeof *ps);
	if (ps) {
		ps->app = app;
		ps->pool = pool;
		ps->ws = ws;
	}
	return ps;
}

static int no_commit(void *ctx, enum stream s, struct msg_list *m, struct event_list *e,
    const char *cursor)
{
	(void)ctx; (void)s; (void)m; (void)e; (void)cursor;
	return -1;   /* a push stores no items */
}

static int save_secret(void *ctx, const char *secret_json)
{
	struct push_run *r = ctx;
	size_t len;
	uint8_t *blob = crypto_seal(r->ps->app->key, secret_json, strlen(secret_json), &len);
	if (!blob)
		return -1;
	int rc = db_sync_link_secret(r->ps->app->db, r->link.id, blob, len);
	free(blob);
	return rc;
}

static void run_free(struct push_run *r)
{
	if (r->pass && r->drv)
		r->drv->end(r->pass);
	push_result_clear(&r->res);
	outbox_job_free(&r->job);
	link_free(&r->link);
	free(r->secret);
	free(r);
}

/* Record the outcome; the run is freed by the caller's reap. */
static void finish(struct push_run *r, int rc, const struct http_resp *resp)
{
	if (rc != STEP_DONE && !r->res.error[0] && resp && resp->status >= 400)
		snprintf(r->res.error, sizeof r->res.error, "HTTP %ld from the provider",
		    resp->status);
	else if (rc != STEP_DONE && !r->res.error[0] && resp && resp->status == 0 && resp->error)
		snprintf(r->res.error, sizeof r->res.error, "%s", resp->error);
	outbox_finish(r->ps->app->db, &r->job, rc, &r->res, r->retry_after, time(NULL));
	r->done = 1;
}

static int do_progress(void *arg)
{
	struct push_run *r = arg;
	return r->save_progress(r->progress_ctx, r->progress);
}

/* save_progress() of a push on a worker: the outbox's, on the engine thread. */
static int relay_progress(void *ctx, const char *progress)
{
	struct push_run *r = ctx;
	if (!r->save_progress)
		return 0;
	r->progress = progress;
	return workers_on_engine(do_progress, r);
}

/* On a worker: the whole push of a blocking driver (SMTP send, IMAP APPEND or MOVE). */
static int push_job(void *arg)
{
	struct push_run *r = arg;
	struct http_req req = { 0 };
	int rc = r->drv->step(r->pass, NULL, &req, &r->relay, &r->retry_after);
	http_req_clear(&req);
	return rc == STEP_MORE ? PROV_TEMP : rc;
}

static void advance(struct push_run *r, const struct http_resp *resp)
{
	if (r->drv->blocking && r->ps->ws) {
		workers_relay_sink(&r->relay, &r->sink);
		if (workers_submit(r->ps->ws, push_job, r, r, r->ps->app->cfg.op_timeout_s) == 0) {
			r->in_worker = 1;
			return;
		}
	}
	while (!r->done) {
		struct http_req req = { 0 };
		int rc = r->drv->step(r->pass, resp, &req, &r->sink, &r->retry_after);
		if (rc == STEP_MORE && http_pool_start(r->ps->pool, &req, r) == 0)
			return;
		if (rc == STEP_MORE) {
			rc = PROV_TEMP;
			snprintf(r->res.error, sizeof r->res.error, "the request could not be started");
		}
		http_req_clear(&req);
		finish(r, rc, resp);
	}
}

/* Load the claimed item's link and driver and begin the push. */
static void begin(struct push_run *r)
{
	struct app *app = r->ps->app;
	const struct driver_set *ds = NULL;
	int rc;

	if (db_links_get(app->db, r->job.row.link_id, &r->link) != 0) {
		snprintf(r->res.error, sizeof r->res.error, "the link cannot be loaded");
		finish(r, PROV_TEMP, NULL);
		return;
	}
	ds = drivers_for(r->link.provider);
	r->drv = drivers_stream(ds, outbox_stream_of(r->job.row.kind));
	if (!r->drv || !r->drv->push_begin) {
		snprintf(r->res.error, sizeof r->res.error, "%s links cannot do this yet",
		    r->link.provider);
		finish(r, PROV_TEMP, NULL);   /* kept: it goes once the provider can */
		return;
	}
	r->secret = r->link.secret ? crypto_open(app->key, r->link.secret, r->link.secret_len) :
	    strdup("{}");
	if (!r->secret) {
		snprintf(r->res.error, sizeof r->res.error, "secret cannot be decrypted with this key");
		finish(r, PROV_AUTH, NULL);
		return;
	}
	const struct provider_cfg *pc = config_provider(&app->cfg, r->link.provider);
	r->pl = (struct prov_link){ .id = r->link.id, .address = r->link.address,
	    .settings = r->link.settings, .secret = r->secret,
	    .since = r->link.linked_at - (int64_t)r->link.backfill_days * 86400,
	    .cfg = pc ? pc : &no_cfg, .owner_tz = r->link.owner_tz };
	r->sink = (struct sync_sink){ .ctx = r, .commit = no_commit, .save_secret = save_secret };
	rc = outbox_job_item(app->db, &r->job, &r->it);
	if (rc == PROV_OK && r->drv->blocking) {
		r->save_progress = r->it.save_progress;
		r->progress_ctx = r->it.progress_ctx;
		r->it.save_progress = relay_progress;
		r->it.progress_ctx = r;
	}
	if (rc == PROV_OK)
		rc = r->drv->push_begin(&r->pl, &r->it, &r->res, &r->pass);
	if (rc != PROV_OK) {
		r->pass = NULL;
		finish(r, rc, NULL);
		return;
	}
	advance(r, NULL);
}

static void reap(struct pushes *ps)
{
	for (struct push_run **pr = &ps->runs; *pr;) {
		struct push_run *r = *pr;
		if (r->done) {
			*pr = r->next;
			ps->n--;
			run_free(r);
		} else {
			pr = &r->next;
		}
	}
}

void pushes_start(struct pushes *ps, int64_t only_link, int max)
{
	if (!ps)
		return;
	while (ps->n < max) {
		struct push_run *r = calloc(1, sizeof *r);
		if (!r)
			break;
		r->ps = ps;
		if (outbox_claim_for(ps->app->db, time(NULL), only_link, &r->job) != 1) {
			free(r);
			break;
		}
		r->next = ps->runs;
		ps->runs = r;
		ps->n++;
		begin(r);
	}
	reap(ps);
}

int pushes_owns(const struct pushes *ps, const void *owner)
{
	for (const struct push_run *r = ps ? ps->runs : NULL; r; r = r->next)
		if (r == owner)
			return 1;
	return 0;
}

void pushes_answer(struct pushes *ps, void *owner, const struct http_resp *resp)
{
	if (!pushes_owns(ps, owner))
		return;
	advance(owner, resp);
	reap(ps);
}

void pushes_stepped(struct pushes *ps, void *owner, int rc, int timed_out_s)
{
	struct push_run *r = owner;
	if (!pushes_owns(ps, owner))
		return;
	r->in_worker = 0;
	if (timed_out_s) {
		snprintf(r->res.error, sizeof r->res.error, "timed out after %d s", timed_out_s);
		rc = PROV_TEMP;
	}
	finish(r, rc, NULL);
	reap(ps);
}

int pushes_running(const struct pushes *ps)
{
	return ps ? ps->n : 0;
}

void pushes_free(struct pushes *ps, int left_behind)
{
	if (!ps)
		return;
	while (ps->runs) {
		struct push_run *r = ps->runs;
		ps->runs = r->next;
		if (!r->done)
			db_outbox_release(ps->app->db, r->job.row.id, time(NULL));
		if (!left_behind || !r->in_worker)
			run_free(r);   /* else a thread left behind may still use it: the process ends */
	}
	free(ps);
}
