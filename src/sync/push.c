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
	struct step_out out;            /* what a worker's step handed back (blocking drivers) */
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
	const char *holder;             /* borrowed: the lease holder claims are made for, or NULL */
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

static int save_secret(struct push_run *r, const char *secret_json)
{
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
	step_out_clear(&r->out);
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

/* Record what a step handed back, on the engine thread: a refreshed secret, and progress
 * through the outbox's save_progress() (the next step sees it in push_item.progress). A push
 * stores no items. */
static void take_out(struct push_run *r, struct step_out *o)
{
	if (o->secret && save_secret(r, o->secret) != 0)
		log_warnx("outbox %lld: could not store the refreshed token",
		    (long long)r->job.row.id);
	if (o->progress) {
		if (r->it.save_progress && r->it.save_progress(r->it.progress_ctx, o->progress) != 0)
			log_warnx("outbox %lld: could not record that the message was %s",
			    (long long)r->job.row.id, o->progress);
		r->it.progress = o->progress;
	}
	step_out_clear(o);
}

/* On a worker: one step of a blocking driver's push (SMTP send, IMAP APPEND or MOVE); what it
 * hands back waits in r->out for pushes_stepped(). */
static int push_job(void *arg)
{
	struct push_run *r = arg;
	struct http_req req = { 0 };
	int rc = r->drv->push_step(r->pass, NULL, &req, &r->out, &r->retry_after);
	http_req_clear(&req);
	return rc == STEP_MORE ? PROV_TEMP : rc;
}

static void advance(struct push_run *r, const struct http_resp *resp)
{
	while (!r->done) {
		if (r->drv->blocking && r->ps->ws) {
			step_out_clear(&r->out);
			/* A send that failed before (a silent or slow SMTP server) is suspect work. */
			enum work_lane lane = r->job.row.attempts > 1 || r->link.failures > 0 ?
			    WORK_SUSPECT : WORK_HEALTHY;
			if (workers_submit_in(r->ps->ws, lane, push_job, r, r,
			    r->ps->app->cfg.op_timeout_s) == 0) {
				r->in_worker = 1;
				return;
			}
		}
		struct http_req req = { 0 };
		struct step_out out = { 0 };
		int rc = r->drv->push_step(r->pass, resp, &req, &out, &r->retry_after);
		take_out(r, &out);
		if (rc == STEP_PAGE) {
			http_req_clear(&req);
			resp = NULL;
			continue;
		}
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
	if (!r->drv || !r->drv->push_begin || !r->drv->push_step) {
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
	rc = outbox_job_item(app->db, &r->job, &r->it);
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
		if (outbox_claim_for(ps->app->db, time(NULL), only_link, ps->holder, &r->job) != 1) {
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

void pushes_holder(struct pushes *ps, const char *holder)
{
	if (ps)
		ps->holder = holder;
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
	take_out(r, &r->out);   /* progress counts even late: the message went out */
	if (timed_out_s) {
		snprintf(r->res.error, sizeof r->res.error, "timed out after %d s", timed_out_s);
		rc = PROV_TEMP;
	}
	if (rc == STEP_PAGE)
		advance(r, NULL);
	else
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
