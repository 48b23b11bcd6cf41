/* The engine's loop: due links and wake-ups from the database, runs advanced by the curl multi
 * loop and by worker results (blocking IMAP/SMTP work, workers.h), and push watches polled beside
 * curl's sockets. The engine thread owns the database; see src/sync/README. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/db_skipped.h"
#include "core/db_sync.h"
#include "core/log.h"
#include "providers/smtp.h"
#include "sync/engine.h"
#include "sync/keep.h"
#include "sync/leases.h"
#include "sync/notices.h"
#include "sync/probes.h"
#include "sync/proofs.h"
#include "sync/push.h"
#include "sync/run.h"
#include "sync/watches.h"
#include "sync/workers.h"

#define POLL_DB_MS 500          /* how often wake-ups and due links are looked for */
#define QUICK_LOOK_MS 25        /* how often the database is asked whether another process
                                 * wrote (PRAGMA data_version): a wake-up then is taken at once */
#define MAX_DUE 4096
#define MAX_PUSHES 16         /* outbox items pushed at the same time (push.c) */
#define STOP_BOUND_MS 1500    /* how long a stop waits for the workers */

/* A link waiting to run, and which streams (0: all; STREAM_MAIL after IMAP IDLE news). */
struct queued {
	int64_t id;
	unsigned mask;
};

struct engine {
	struct app *app;
	const struct engine_opts *o;
	struct http_pool *pool;
	struct run *runs;           /* running */
	int n_runs, max_runs;
	struct queued *queue;       /* due, not yet started */
	size_t n_queue, cap_queue;
	struct keeps *keeps;        /* connections kept between passes (IMAP) */
	struct watches *w;
	struct pushes *pushes;      /* outbox items in flight (push.c) */
	struct probes *probes;      /* login tests of the link form (probes.c) */
	int max_probes;
	struct proofs *proofs;      /* IMAP links proving their address (proofs.c) */
	struct notices *notices;    /* re-link notices mailed to users (notices.c) */
	int max_proofs;
	long failed_runs;           /* passes that ended with a failure */
	struct workers *ws;         /* blocking work (workers.h) */
	struct curl_waitfd *fds;    /* the watches' epoll fd and the workers' eventfd */
	unsigned cap_fds;
	struct leases *leases;      /* the links this daemon may work (NULL with --once: all) */
};

static struct run *running(const struct engine *e, int64_t id)
{
	for (struct run *r = e->runs; r; r = r->next)
		if (r->link.id == id)
			return r;
	return NULL;
}

/* Queue a link to sync the streams in mask (0: all) unless it is running already; a link
 * already queued gets the union of both. A wake-up (news from a watch, a webhook, Sync now)
 * of a running link is kept on its run, which may have read its streams before the news
 * came: the link runs again as soon as the pass ends. */
static void enqueue_as(struct engine *e, int64_t id, unsigned mask, int woken)
{
	struct run *r = running(e, id);
	if (r) {
		if (woken)
			r->again |= mask ? mask : RUN_AGAIN_ALL;
		return;
	}
	for (size_t i = 0; i < e->n_queue; i++) {
		if (e->queue[i].id != id)
			continue;
		e->queue[i].mask = e->queue[i].mask && mask ? e->queue[i].mask | mask : 0;
		return;
	}
	if (e->n_queue == e->cap_queue) {
		size_t ncap = e->cap_queue ? e->cap_queue * 2 : 64;
		struct queued *nq = realloc(e->queue, ncap * sizeof *nq);
		if (!nq)
			return;
		e->queue = nq;
		e->cap_queue = ncap;
	}
	e->queue[e->n_queue++] = (struct queued){ id, mask };
}

static void enqueue(struct engine *e, int64_t id, unsigned mask)
{
	enqueue_as(e, id, mask, 0);
}

/* 1 when this daemon may work the link: it holds its lease (or works without leases). */
static int holds(void *ctx, int64_t id)
{
	struct engine *e = ctx;
	return !e->leases || leases_holds(e->leases, id);
}

static int running_cb(void *ctx, int64_t id)
{
	return running(ctx, id) != NULL;
}

/* Renew and claim leases; links lost leave the queue (a pass running on one ends at its next
 * page, whose commit finds the lease gone), and the watches follow the held set. */
static void tick_leases(struct engine *e, int64_t t)
{
	static int64_t lost[4096];
	size_t n_lost = 0;
	if (leases_tick(e->leases, t, running_cb, e, lost, sizeof lost / sizeof lost[0], &n_lost) != 1)
		return;
	for (size_t i = 0; i < n_lost; i++)
		keeps_drop(e->keeps, lost[i]);   /* its IMAP connection is the new holder's to make */
	for (size_t i = 0; i < e->n_queue;) {
		if (!leases_holds(e->leases, e->queue[i].id)) {
			memmove(e->queue + i, e->queue + i + 1, (e->n_queue - i - 1) * sizeof *e->queue);
			e->n_queue--;
		} else {
			i++;
		}
	}
	if (e->w)
		watches_recheck(e->w);
}

/* A push watch saw news on its stream: sync that stream only. */
static void on_news(void *ctx, int64_t link_id, unsigned stream)
{
	enqueue_as(ctx, link_id, stream, 1);
}

/* Pick up wake-ups and links that fell due. */
static void look_for_due(struct engine *e)
{
	static int64_t ids[MAX_DUE];
	size_t n = 0;
	int64_t now = time(NULL);
	if (e->leases ? leases_take_wakes(e->leases, now, ids, MAX_DUE, &n) == 0 :   /* own links */
	    db_sync_take_wakes(e->app->db, now, ids, MAX_DUE, &n) == 0)
		for (size_t i = 0; i < n; i++)
			if (!e->o->link_id || ids[i] == e->o->link_id)
				enqueue_as(e, ids[i], 0, 1);
	if (e->leases ? leases_due(e->leases, now, ids, MAX_DUE, &n) != 0 :
	    db_sync_due(e->app->db, now, ids, MAX_DUE, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (!e->o->link_id || ids[i] == e->o->link_id)
			enqueue(e, ids[i], 0);
}

/* On a worker: one step of a blocking driver; what it hands back (a page) waits in r->out for
 * the engine thread, which commits it in run_stepped() (run.h offload). */
static int run_step_job(void *arg)
{
	struct run *r = arg;
	struct http_req req = { 0 };
	int rc = run_step_fn(r)(r->pass, NULL, &req, &r->out, &r->step_retry_after);
	http_req_clear(&req);
	return rc;
}

static int offload_run(struct run *r)
{
	struct engine *e = r->offload_ctx;
	step_out_clear(&r->out);
	r->step_retry_after = 0;
	/* A link whose last pass failed may be on a silent server: it must not take every thread. */
	return workers_submit_in(e->ws, r->link.failures > 0 ? WORK_SUSPECT : WORK_HEALTHY,
	    run_step_job, r, r, e->app->cfg.op_timeout_s);
}

/* Start queued links while there is room; blocking steps go to the workers. */
static void start_queued(struct engine *e, volatile sig_atomic_t *stop)
{
	while (e->n_queue && e->n_runs < e->max_runs && !*stop) {
		struct queued q = e->queue[0];
		memmove(e->queue, e->queue + 1, (e->n_queue - 1) * sizeof *e->queue);
		e->n_queue--;
		if (!holds(e, q.id))
			continue;
		struct run *r = run_new(e->app, e->pool, q.id, q.mask);
		if (!r)
			continue;
		r->store.lease_holder = leases_holder(e->leases);
		keeps_take(e->keeps, q.id, &r->keep);
		r->offload = offload_run;
		r->offload_ctx = e;
		r->next = e->runs;
		e->runs = r;
		e->n_runs++;
		run_advance(r, NULL);
	}
}

static void reap(struct engine *e)
{
	for (struct run **pr = &e->runs; *pr;) {
		struct run *r = *pr;
		if (r->done) {
			e->failed_runs += r->failed != 0;
			if (e->w && !r->failed && r->ds && r->ds->watch)
				watches_kick(e->w, r->link.id);
			*pr = r->next;
			e->n_runs--;
			keeps_put(e->keeps, r->link.id, &r->keep, now_ms() / 1000);
			/* Woken while it ran: again at once, unless it failed (its back-off holds). */
			if (r->again && !r->failed)
				enqueue(e, r->link.id, r->again & RUN_AGAIN_ALL ? 0 : r->again);
			if (r->lost)
				keeps_drop(e->keeps, r->link.id);
			run_free(r);
		} else {
			pr = &r->next;
		}
	}
}

static void hand_back_answers(struct engine *e)
{
	struct http_resp resp;
	void *owner;
	struct http_xfer *x;
	while ((x = http_pool_done(e->pool, &owner, &resp))) {
		if (pushes_owns(e->pushes, owner))
			pushes_answer(e->pushes, owner, &resp);
		else
			run_advance(owner, &resp);
		http_xfer_free(e->pool, x);
	}
}

static struct run *run_of(struct engine *e, void *owner)
{
	for (struct run *r = e->runs; r; r = r->next)
		if (r == owner)
			return r;
	return NULL;
}

/* Run what the workers ask of the engine, and hand finished jobs to their owners. */
static void hand_back_results(struct engine *e)
{
	void *owner;
	int rc, timed_out;
	struct run *r;
	workers_serve(e->ws);
	while (workers_done(e->ws, &owner, &rc, &timed_out)) {
		if (pushes_owns(e->pushes, owner))
			pushes_stepped(e->pushes, owner, rc, timed_out);
		else if (probes_owns(e->probes, owner))
			probes_stepped(e->probes, owner, rc, timed_out);
		else if (proofs_owns(e->proofs, owner))
			proofs_stepped(e->proofs, owner, rc, timed_out);
		else if (notices_owns(e->notices, owner))
			notices_stepped(e->notices, owner, rc, timed_out);
		else if (e->w && watches_owns(e->w, owner))
			watches_opened(e->w, owner, rc, timed_out);
		else if ((r = run_of(e, owner)))
			run_stepped(r, rc, timed_out);
	}
}

/* The fds to wait on: the watches' and the workers' eventfd last. */
static unsigned wait_fds(struct engine *e, struct curl_waitfd **out)
{
	struct curl_waitfd *wfds = NULL;
	unsigned n = e->w ? watches_fds(e->w, &wfds) : 0;
	if (n + 1 > e->cap_fds) {
		struct curl_waitfd *nf = realloc(e->fds, (n + 1) * sizeof *nf);
		if (!nf)
			return 0;
		e->fds = nf;
		e->cap_fds = n + 1;
	}
	if (n)
		memcpy(e->fds, wfds, n * sizeof *wfds);
	e->fds[n] = (struct curl_waitfd){ .fd = workers_fd(e->ws), .events = CURL_WAIT_POLLIN };
	*out = wfds;
	return n + 1;
}

/* --once: the --link one whether due or not, else every due link. */
static void first_queue(struct engine *e)
{
	if (e->o->link_id)
		enqueue(e, e->o->link_id, 0);
	else
		look_for_due(e);
}

/* Records of items not imported older than [sync] skipped_days go, and each link keeps its
 * newest skipped_max; the links' outcome counts (link_events) older than two days go too; run at start and then every PRUNE_SKIPPED_MS. */
#define PRUNE_SKIPPED_MS (10 * 60 * 1000)
static void prune_skipped(struct app *app)
{
	if (db_begin(app->db) != 0)
		return;
	int n = db_skipped_prune(app->db, (int64_t)time(NULL), app->cfg.skipped_days,
	    app->cfg.skipped_max);
	if (n < 0 || db_commit(app->db) != 0) {
		db_rollback(app->db);
		log_warnx("records of items not imported: pruning failed");
		return;
	}
	if (n > 0)
		log_info("records of items not imported: %d pruned", n);
	/* the health view counts the last hour and today: two days of counts are plenty */
	if (db_sync_link_events_prune(app->db, (int64_t)time(NULL) - 2 * 86400) < 0)
		log_warnx("link outcome counts: pruning failed");
}

int engine_run(struct app *app, const struct engine_opts *o, volatile sig_atomic_t *stop)
{
	struct engine e = { .app = app, .o = o, .max_runs = o->max_runs > 0 ? o->max_runs : 32 };
	int64_t next_db_ms = 0, next_prune_ms = 0, next_look_ms = 0, seen_version = -1;
	int rc = -1;

	if (!(e.ws = workers_new(app->cfg.sync_workers)) || !(e.pool = http_pool_new()) ||
	    !(e.pushes = pushes_new(app, e.pool, e.ws)) || !(e.probes = probes_new(app, e.ws)) ||
	    !(e.proofs = proofs_new(app, e.ws)) || !(e.notices = notices_new(app, e.ws)) ||
	    !(e.keeps = keeps_new(o->once ? 0 : app->cfg.keep_connections, app->cfg.keep_idle_s)))
		goto out;
	keeps_offload(e.keeps, e.ws);
	/* login tests take at most half the workers, so a silent server named in the link form
	 * cannot hold every link's sync */
	e.max_probes = app->cfg.sync_workers > 1 ? app->cfg.sync_workers / 2 : 1;
	/* proofs (a send, an INBOX look) take at most a quarter, for the same reason */
	e.max_proofs = app->cfg.sync_workers > 3 ? app->cfg.sync_workers / 4 : 1;
	smtp_set_cancel(workers_cancelled);
	if (!o->once) {   /* a daemon works the links whose lease it holds */
		if (!(e.leases = leases_new(app)))
			goto out;
		pushes_holder(e.pushes, leases_holder(e.leases));
		tick_leases(&e, now_ms());
	}
	if (!o->once && o->push && !(e.w = watches_new(app, on_news, &e, e.ws)))
		goto out;
	if (e.w)
		watches_only(e.w, holds);
	if (o->once)
		first_queue(&e);
	while (!*stop) {
		int64_t t = now_ms();
		if (t >= next_prune_ms) {
			prune_skipped(app);
			next_prune_ms = t + PRUNE_SKIPPED_MS;
		}
		if (e.leases && (t >= leases_next_ms(e.leases) || (t >= next_db_ms &&
		    leases_any_free(e.leases, time(NULL)) == 1)))
			tick_leases(&e, t);   /* a new link or an expired lease is taken at once */
		if (!o->once && t >= next_look_ms && t < next_db_ms) {
			/* Sync now, a webhook or a contact from the web app (or another daemon) wrote:
			 * look for wake-ups now rather than at the next tick. */
			int64_t v, own;
			if (db_change_state(app->db, &v, &own) == 0 && v != seen_version) {
				if (seen_version >= 0)
					next_db_ms = t;
				seen_version = v;
			}
			next_look_ms = t + QUICK_LOOK_MS;
		}
		if (!o->once && t >= next_db_ms) {
			look_for_due(&e);
			pushes_start(e.pushes, o->link_id, MAX_PUSHES);
			probes_start(e.probes, e.max_probes);
			proofs_start(e.proofs, e.max_proofs);
			notices_start(e.notices);
			if (e.w)
				watches_refresh(e.w, o->link_id);
			keeps_expire(e.keeps, t / 1000);
			next_db_ms = t + POLL_DB_MS;
		}
		if (o->once)
			pushes_start(e.pushes, o->link_id, MAX_PUSHES);
		start_queued(&e, stop);
		reap(&e);
		if (o->once && e.n_runs == 0 && e.n_queue == 0 && pushes_running(e.pushes) == 0)
			break;
		struct curl_waitfd *wfds = NULL;
		unsigned n_fds = wait_fds(&e, &wfds);
		int busy = (e.n_queue && e.n_runs < e.max_runs) || (e.w && watches_pending(e.w));
		int64_t until = o->once || next_look_ms > next_db_ms ? next_db_ms : next_look_ms;
		int wait = busy ? 0 : (int)(until > t ? (until - t < 200 ? until - t : 200) : 0);
		if (o->once && !busy)
			wait = 200;
		if (http_pool_wait(e.pool, e.fds, n_fds, wait) != 0)
			log_warnx("http: curl multi failed");
		for (unsigned i = 0; i + 1 < n_fds; i++)
			wfds[i].revents = e.fds[i].revents;
		hand_back_results(&e);
		if (e.w)
			watches_after_wait(e.w);
		hand_back_answers(&e);
		start_queued(&e, stop);   /* news and results are acted on now, not at the tick */
		reap(&e);
	}
	rc = o->once && e.failed_runs ? 1 : 0;
out:
	/* Kept and watch connections are closed by jobs too, so a stalled server holds no stop. */
	watches_close_all(e.w);
	keeps_free(e.keeps);
	int left = workers_stop(e.ws, STOP_BOUND_MS);
	if (!left) {   /* the last results: watch opens hold something to close, tests an outcome */
		void *owner;
		int jrc, timed_out;
		while (e.ws && workers_done(e.ws, &owner, &jrc, &timed_out))
			if (e.w && watches_owns(e.w, owner))
				watches_opened(e.w, owner, jrc, timed_out);
			else if (probes_owns(e.probes, owner))
				probes_stepped(e.probes, owner, jrc, timed_out);
			else if (proofs_owns(e.proofs, owner))
				proofs_stepped(e.proofs, owner, jrc, timed_out);
			else if (notices_owns(e.notices, owner))
				notices_stepped(e.notices, owner, jrc, timed_out);
	}
	watches_free(e.w, left);
	while (e.runs) {
		struct run *r = e.runs;
		e.runs = r->next;
		if (!left || !r->waiting || !r->drv || !r->drv->blocking)
			run_free(r);   /* else a thread left behind may still use it: the process ends */
	}
	pushes_free(e.pushes, left);
	leases_free(e.leases);   /* after the pushes handed their items back */
	probes_free(e.probes, left);
	proofs_free(e.proofs, left);
	notices_free(e.notices, left);
	workers_free(e.ws);
	http_pool_free(e.pool);
	free(e.queue);
	free(e.fds);
	return rc;
}
