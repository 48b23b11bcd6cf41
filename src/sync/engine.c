/* The engine's loop: due links and wake-ups from the database, runs advanced by the curl multi
 * loop, and push watches polled beside curl's sockets. One thread for every link. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/db_sync.h"
#include "core/log.h"
#include "sync/engine.h"
#include "sync/keep.h"
#include "sync/push.h"
#include "sync/run.h"
#include "sync/watches.h"

#define POLL_DB_MS 500          /* how often wake-ups and due links are looked for */
#define MAX_DUE 4096
#define MAX_PUSHES 16         /* outbox items pushed at the same time (push.c) */

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
	long failed_runs;           /* passes that ended with a failure */
};

static int is_running(const struct engine *e, int64_t id)
{
	for (const struct run *r = e->runs; r; r = r->next)
		if (r->link.id == id)
			return 1;
	return 0;
}

/* Queue a link to sync the streams in mask (0: all) unless it is running already; a link
 * already queued gets the union of both. */
static void enqueue(struct engine *e, int64_t id, unsigned mask)
{
	if (is_running(e, id))
		return;
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

/* A push watch saw news on its stream: sync that stream only. */
static void on_news(void *ctx, int64_t link_id, unsigned stream)
{
	enqueue(ctx, link_id, stream);
}

/* Pick up wake-ups and links that fell due. */
static void look_for_due(struct engine *e)
{
	static int64_t ids[MAX_DUE];
	size_t n = 0;
	int64_t now = time(NULL);
	db_sync_take_wakes(e->app->db, now);
	if (db_sync_due(e->app->db, now, ids, MAX_DUE, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (!e->o->link_id || ids[i] == e->o->link_id)
			enqueue(e, ids[i], 0);
}

/* Start queued links while there is room; IMAP passes run to their end right here. */
static void start_queued(struct engine *e, volatile sig_atomic_t *stop)
{
	while (e->n_queue && e->n_runs < e->max_runs && !*stop) {
		struct queued q = e->queue[0];
		memmove(e->queue, e->queue + 1, (e->n_queue - 1) * sizeof *e->queue);
		e->n_queue--;
		struct run *r = run_new(e->app, e->pool, q.id, q.mask);
		if (!r)
			continue;
		keeps_take(e->keeps, q.id, &r->keep);
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

/* --once: the --link one whether due or not, else every due link. */
static void first_queue(struct engine *e)
{
	if (e->o->link_id)
		enqueue(e, e->o->link_id, 0);
	else
		look_for_due(e);
}

int engine_run(struct app *app, const struct engine_opts *o, volatile sig_atomic_t *stop)
{
	struct engine e = { .app = app, .o = o, .max_runs = o->max_runs > 0 ? o->max_runs : 32 };
	int64_t next_db_ms = 0;
	int rc = -1;

	if (!(e.pool = http_pool_new()) || !(e.pushes = pushes_new(app, e.pool)) ||
	    !(e.keeps = keeps_new(o->once ? 0 : app->cfg.keep_connections, app->cfg.keep_idle_s)))
		goto out;
	if (!o->once && o->push && !(e.w = watches_new(app, on_news, &e)))
		goto out;
	if (o->once)
		first_queue(&e);
	while (!*stop) {
		int64_t t = now_ms();
		if (!o->once && t >= next_db_ms) {
			look_for_due(&e);
			pushes_start(e.pushes, o->link_id, MAX_PUSHES);
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
		struct curl_waitfd *fds = NULL;
		unsigned n_fds = e.w ? watches_fds(e.w, &fds) : 0;
		int busy = (e.n_queue && e.n_runs < e.max_runs) || (e.w && watches_pending(e.w));
		int wait = busy ? 0 : (int)(next_db_ms > t ? (next_db_ms - t < 200 ? next_db_ms - t : 200)
		    : 0);
		if (o->once && !busy)
			wait = 200;
		if (http_pool_wait(e.pool, fds, n_fds, wait) != 0)
			log_warnx("http: curl multi failed");
		if (e.w)
			watches_after_wait(e.w);
		hand_back_answers(&e);
		reap(&e);
	}
	rc = o->once && e.failed_runs ? 1 : 0;
out:
	while (e.runs) {
		struct run *r = e.runs;
		e.runs = r->next;
		run_free(r);
	}
	watches_free(e.w);
	keeps_free(e.keeps);
	pushes_free(e.pushes);
	http_pool_free(e.pool);
	free(e.queue);
	return rc;
}
