/* A link's pass: its streams one after the other through their drivers, errors classed into
 * retry with back-off, wait, re-link, or resync from a fresh cursor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/crypto.h"
#include "core/db_link_cals.h"
#include "core/db_rematch.h"
#include "core/db_skipped.h"
#include "core/db_outbox.h"
#include "core/db_sync.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "providers/caldav.h"
#include "sync/keep.h"
#include "sync/run.h"
#include "sync/subscribe.h"

#define BACKOFF_CAP_S 900       /* 15 min */
#define BACKOFF_JITTER_PCT 20   /* each wait is drawn from +-20% of its nominal value */
#define REMATCH_PER_RUN 200     /* queued items a pass fetches again; the rest wait for the next */

static const struct provider_cfg no_cfg;

long run_backoff_s(int failures, unsigned rnd)
{
	int f = failures < 0 ? 0 : failures > 10 ? 10 : failures;
	long ms = 1000L << f;
	if (ms > BACKOFF_CAP_S * 1000L)
		ms = BACKOFF_CAP_S * 1000L;
	long span = ms * BACKOFF_JITTER_PCT / 100;
	ms += (long)(rnd % (unsigned)(2 * span + 1)) - span;
	return (ms + 500) / 1000 > 0 ? (ms + 500) / 1000 : 1;
}

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int save_secret(struct run *r, const char *secret_json)
{
	size_t len;
	uint8_t *blob = crypto_seal(r->app->key, secret_json, strlen(secret_json), &len);
	if (!blob)
		return -1;
	int rc = db_sync_link_secret(r->app->db, r->link.id, blob, len);
	free(blob);
	return rc;
}


struct run *run_new(struct app *app, struct http_pool *pool, int64_t link_id, unsigned mask)
{
	struct run *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->app = app;
	r->pool = pool;
	if (db_links_get(app->db, link_id, &r->link) != 0) {
		log_warnx("link %lld: cannot be loaded", (long long)link_id);
		free(r);
		return NULL;
	}
	if (strcmp(r->link.status, "active") != 0) {
		run_free(r);
		return NULL;
	}
	r->t0_ms = now_ms();
	r->ds = drivers_for(r->link.provider);
	r->secret = r->link.secret ? crypto_open(app->key, r->link.secret, r->link.secret_len) :
	    strdup("{}");
	if (!r->ds || !r->secret) {
		snprintf(r->error, sizeof r->error, "%s", !r->ds ? "unknown provider" :
		    "secret cannot be decrypted with this key");
		r->failed = PROV_PERM;
		r->n_streams = 0;
	} else {
		unsigned want = mask ? mask : STREAM_MAIL | STREAM_EVENTS | STREAM_FOLDER;
		if (r->link.sync_email && r->ds->mail && (want & STREAM_MAIL))
			r->streams[r->n_streams++] = STREAM_MAIL;
		if (r->link.sync_calendar && r->ds->events && (want & STREAM_EVENTS))
			r->streams[r->n_streams++] = STREAM_EVENTS;
		if (r->link.sync_folder && r->ds->folder && (want & STREAM_FOLDER))
			r->streams[r->n_streams++] = STREAM_FOLDER;
		r->partial = mask != 0 && (want & (STREAM_MAIL | STREAM_EVENTS | STREAM_FOLDER)) !=
		    (STREAM_MAIL | STREAM_EVENTS | STREAM_FOLDER);
	}
	if (r->ds && r->ds->events == &caldav_provider && db_link_cals_get(app->db, r->link.id,
	    &r->cals) != 0)
		log_warnx("link %lld: its calendars cannot be read", (long long)link_id);
	const struct provider_cfg *pc = config_provider(&app->cfg, r->link.provider);
	r->pl = (struct prov_link){ .id = r->link.id, .address = r->link.address,
	    .settings = r->link.settings, .secret = r->secret,
	    .since = r->link.linked_at - (int64_t)r->link.backfill_days * 86400,
	    .cfg = pc ? pc : &no_cfg, .now = clock_now(), .linked_at = r->link.linked_at,
	    .owner_tz = r->link.owner_tz, .cals = r->cals.v, .n_cals = r->cals.n };
	r->store = (struct store){ .db = app->db, .link_id = r->link.id,
	    .user_id = r->link.user_id, .address = r->link.address,
	    .skipped_max = app->cfg.skipped_max, .files_dir = app->cfg.files,
	    .attach_max = (size_t)app->cfg.attachment_max_mb * 1024 * 1024 };
	db_sync_link_attempt(app->db, r->link.id, time(NULL));
	return r;
}

static void end_pass(struct run *r)
{
	if (r->pass && r->drv)
		r->drv->end(r->pass);
	r->pass = NULL;
}

/* Remember the first (worst) failure of the pass. */
static void note_error(struct run *r, int rc, long retry_after, const struct http_resp *resp)
{
	enum stream s = r->streams[r->cur];
	if (!r->failed || rc == PROV_AUTH)
		r->failed = rc;
	if (rc == PROV_RATE && retry_after > r->retry_after)
		r->retry_after = retry_after;
	if (resp && resp->status == 0 && resp->error)
		snprintf(r->error, sizeof r->error, "%s: %s (%s)", stream_name(s),
		    prov_status_str(rc), resp->error);
	else if (resp && resp->status >= 400)
		snprintf(r->error, sizeof r->error, "%s: %s (HTTP %ld)", stream_name(s),
		    prov_status_str(rc), resp->status);
	else if (r->why[0])
		snprintf(r->error, sizeof r->error, "%s: %s (%s)", stream_name(s),
		    prov_status_str(rc), r->why);
	else
		snprintf(r->error, sizeof r->error, "%s: %s", stream_name(s), prov_status_str(rc));
}

/* Begin the current stream's pass. Returns 0, or a prov_status. */
static int begin_stream(struct run *r)
{
	enum stream s = r->streams[r->cur];
	r->store.pending_bad = 0;   /* skips of a stream that failed are met again, not counted */
	r->why[0] = '\0';
	char *cursor = NULL;
	r->drv = drivers_stream(r->ds, s);
	r->first_pass = 0;
	if (r->resync) {
		r->resync = 0;
		cursor = strdup(PROV_RESYNC);
	} else {
		int got = db_sync_cursor_get(r->app->db, r->link.id, stream_name(s), &cursor);
		if (got < 0)
			return PROV_TEMP;
		r->first_pass = got == 1;
	}
	int rc = r->drv->begin_kept ? r->drv->begin_kept(&r->pl, s, cursor, &r->keep, &r->pass) :
	    r->drv->begin(&r->pl, s, cursor, &r->pass);
	free(cursor);
	if (rc != PROV_OK)
		r->pass = NULL;
	return rc;
}

/* The calendar stream's first pass went well: CRM appointments made before the link (from a
 * day ago on) go out to the newly linked calendar. The pass has matched what the calendar
 * already holds, so only those it does not know are queued. */
static void first_events_done(struct run *r)
{
	struct db *db = r->app->db;
	char *cursor = NULL;
	if (db_sync_cursor_get(db, r->link.id, stream_name(STREAM_EVENTS), &cursor) != 0)
		return;   /* no cursor stored: not a first pass that counts */
	free(cursor);
	int n = -1;
	if (db_begin(db) == 0) {
		n = db_outbox_backfill(db, r->link.user_id, (int64_t)time(NULL) - 86400);
		if (n < 0 || db_commit(db) != 0) {
			db_rollback(db);
			n = -1;
		}
	}
	if (n < 0)
		log_warnx("link %lld: CRM appointments not queued for the new calendar",
		    (long long)r->link.id);
	else if (n > 0)
		log_info("link %lld: %d CRM appointments queued for the new calendar",
		    (long long)r->link.id, n);
}

/* Handle a stream's failure class; the run goes on with the next stream, or the same one
 * again from a fresh cursor after PROV_CURSOR, or stops after PROV_AUTH. */
static void stream_failed(struct run *r, int rc, long retry_after, const struct http_resp *resp)
{
	end_pass(r);
	if (rc == PROV_CURSOR && r->resyncs++ == 0) {
		enum stream s = r->streams[r->cur];
		log_warnx("link %lld: %s cursor refused, syncing again from a fresh one",
		    (long long)r->link.id, stream_name(s));
		db_sync_cursor_drop(r->app->db, r->link.id, stream_name(s), time(NULL));
		r->resync = 1;
		return;
	}
	note_error(r, rc == PROV_CURSOR ? PROV_TEMP : rc, retry_after, resp);
	r->cur = rc == PROV_AUTH ? r->n_streams : r->cur + 1;
}

/* After a full pass that went well: start the next webhook subscription that is missing or
 * running out (subscribe.h). Returns 1 with r->pass set, 0 when there is nothing (more) to do. */
static int sub_next(struct run *r)
{
	if (r->failed || r->partial || !r->ds)
		return 0;
	char *url = subscribe_url(r->app, r->ds);
	int started = 0;
	for (; url && !started && r->sub_cur < r->n_streams; r->sub_cur++) {
		enum stream s = r->streams[r->sub_cur];
		const struct provider *drv = drivers_stream(r->ds, s);
		if (!drv || !drv->subscribe_begin || !drv->subscribe_step)
			continue;
		int due = subscribe_due(r->app->db, r->link.id, s, time(NULL), &r->sub);
		if (due <= 0)
			continue;
		int rc = drv->subscribe_begin(&r->pl, s, url, &r->sub, &r->pass);
		if (rc == PROV_OK && r->pass) {
			r->drv = drv;
			r->subbing = 1;
			started = 1;
			break;
		}
		if (rc != PROV_PERM)   /* PERM: no webhook for this stream (Gmail): polling only */
			log_warnx("link %lld: %s webhook subscription not started: %s",
			    (long long)r->link.id, stream_name(s), prov_status_str(rc));
		r->pass = NULL;
		subscription_clear(&r->sub);
	}
	free(url);
	return started;
}

/* A subscription machine ended with status (STEP_DONE or an error class): keep or log it. */
static void sub_done(struct run *r, int status)
{
	enum stream s = r->streams[r->sub_cur];
	end_pass(r);
	if (status == STEP_DONE && subscribe_save(r->app->db, r->link.id, s, &r->sub,
	    time(NULL)) == 0)
		log_info("link %lld: %s webhook %s until %lld", (long long)r->link.id,
		    stream_name(s), r->sub.channel_id, (long long)r->sub.expires_at);
	else
		log_warnx("link %lld: %s webhook subscription failed (%s); polling goes on",
		    (long long)r->link.id, stream_name(s),
		    status == STEP_DONE ? "not stored" : prov_status_str(status));
	subscription_clear(&r->sub);
	r->subbing = 0;
	r->sub_cur++;
}

/* ---- Re-match ------------------------------------------------------------------------------ */

static enum stream rm_stream(const struct rematch_item *it)
{
	return it->kind == SKIP_EVENT ? STREAM_EVENTS : STREAM_MAIL;
}

/* The fetch of rm.v[rm_cur] ended with status (STEP_DONE or an error class): off the queue
 * when done or gone, credited to the contact when it is imported now (its record of not being
 * imported went: by this fetch, or by a pass since it was queued); tried again at a later
 * pass when the provider failed for a while (and, after a re-link or rate limit, no further
 * fetch this run). */
static void fetch_done(struct run *r, int status)
{
	const struct rematch_item *it = &r->rm.v[r->rm_cur];
	struct db *db = r->app->db;
	end_pass(r);
	r->fetching = 0;
	r->rm_cur++;
	if (status == STEP_DONE || status == PROV_PERM) {
		int added = status == STEP_DONE &&
		    db_skipped_has(db, r->link.id, it->provider_id) == 0;
		if (db_rematch_done(db, r->link.id, it->provider_id) != 0 ||
		    (added && db_rematch_credit(db, it->contact_id, 1, (int64_t)time(NULL)) != 0))
			log_warnx("link %lld: re-match of %s %s not recorded", (long long)r->link.id,
			    skip_kind_name(it->kind), it->provider_id);
		r->rm_added += added;
		log_info("link %lld: %s %s fetched again for contact %lld: %s", (long long)r->link.id,
		    skip_kind_name(it->kind), it->provider_id, (long long)it->contact_id,
		    status == PROV_PERM ? "gone at the provider" : added ? "imported" :
		    "still not imported");
		return;
	}
	int gone = db_rematch_failed(db, r->link.id, it->provider_id, REMATCH_MAX_TRIES);
	r->rm_left += gone == 0;
	log_warnx("link %lld: %s %s not fetched again: %s%s", (long long)r->link.id,
	    skip_kind_name(it->kind), it->provider_id, prov_status_str(status),
	    gone > 0 ? " (given up)" : "");
	if (status == PROV_AUTH || status == PROV_RATE) {   /* the rest waits for a later pass */
		r->rm_left += (int)(r->rm.n - r->rm_cur);
		r->rm_cur = r->rm.n;
	}
}

/* Begin the fetch of the next queued item (before the link's streams). Returns 1 with r->pass
 * set, 0 when none is left. */
static int fetch_next(struct run *r)
{
	if (r->failed == PROV_AUTH || !r->ds)
		return 0;
	if (!r->rm_loaded) {
		r->rm_loaded = 1;
		if (db_rematch_take(r->app->db, r->link.id, REMATCH_PER_RUN, &r->rm) != 0)
			return 0;
	}
	while (r->rm_cur < r->rm.n) {
		const struct rematch_item *it = &r->rm.v[r->rm_cur];
		enum stream s = rm_stream(it);
		const struct provider *drv = drivers_stream(r->ds, s);
		int synced = s == STREAM_MAIL ? r->link.sync_email : r->link.sync_calendar;
		if (!drv || !drv->fetch_begin || !drv->fetch || !synced) {
			r->rm_cur++;   /* cannot come back: as if gone */
			db_rematch_done(r->app->db, r->link.id, it->provider_id);
			continue;
		}
		if (db_skipped_has(r->app->db, r->link.id, it->provider_id) == 0) {
			fetch_done(r, STEP_DONE);   /* imported meanwhile (another copy, an earlier pass) */
			continue;
		}
		char *cursor = NULL;
		if (db_sync_cursor_get(r->app->db, r->link.id, stream_name(s), &cursor) < 0)
			cursor = NULL;
		r->why[0] = '\0';
		int rc = drv->fetch_begin(&r->pl, s, it->provider_id, cursor, &r->keep, &r->pass);
		free(cursor);
		if (rc == PROV_OK && r->pass) {
			r->drv = drv;
			r->fetching = 1;
			return 1;
		}
		r->pass = NULL;
		fetch_done(r, rc == PROV_OK ? PROV_TEMP : rc);
	}
	return 0;
}

int (*run_step_fn(const struct run *r))(struct pass *, const struct http_resp *,
    struct http_req *, struct step_out *, long *)
{
	return r->fetching ? r->drv->fetch : r->subbing ? r->drv->subscribe_step : r->drv->step;
}

static void run_finish(struct run *r)
{
	struct app *app = r->app;
	int64_t now = time(NULL), next;
	int poll = app->cfg.poll_interval > 0 ? app->cfg.poll_interval : 900;
	char streams[64] = "";
	for (size_t i = 0; i < r->n_streams; i++)
		snprintf(streams + strlen(streams), sizeof streams - strlen(streams), "%s%s",
		    i ? "+" : "", stream_name(r->streams[i]));
	r->done = 1;
	if (r->lost) {
		log_info("link %lld %s: lease lost to another daemon; pass ended, %ld new, %ld updated",
		    (long long)r->link.id, r->link.address, r->store.c.new_items, r->store.c.updated);
		return;
	}
	if (r->failed && db_disk_full(app->db))
		snprintf(r->error, sizeof r->error, "disk full: the database cannot grow (SQLITE_FULL)");
	/* the outcome and its count for the health view in one short transaction (or each on its
	 * own when none can start: the outcome matters more than the count) */
	int tx = db_begin(app->db) == 0;
	if (!r->failed) {
		next = now + poll + (poll >= 10 ? rand() % (poll / 10 + 1) : 0);
		db_sync_link_ok(app->db, r->link.id, now, r->partial ? 0 : next);
	} else if (r->failed == PROV_AUTH) {
		db_sync_link_failed(app->db, r->link.id, now, now + 86400, r->error, 1);
	} else {
		/* A rate limit waits its Retry-After exactly (60 s when the server gave none); any
		 * other failure backs off, but never ends inside a Retry-After another stream got. */
		long wait = r->failed == PROV_RATE ? 60 : run_backoff_s(r->link.failures,
		    (unsigned)rand());
		if (r->retry_after > 0 && (r->failed == PROV_RATE || r->retry_after > wait))
			wait = r->retry_after;
		next = now + wait;
		db_sync_link_failed(app->db, r->link.id, now, next, r->error, 0);
		if (r->retry_after > 0 || r->failed == PROV_RATE)
			db_sync_link_rate_limited(app->db, r->link.id,
			    now + (r->retry_after > 0 ? r->retry_after : wait));
	}
	if (r->failed)
		db_sync_link_event(app->db, r->link.id, now,
		    r->failed == PROV_RATE ? "rate_limited" : "error", 1);
	if (tx && db_commit(app->db) != 0) {
		db_rollback(app->db);
		log_warnx("link %lld: the pass's outcome was not stored", (long long)r->link.id);
	}
	/* items queued while this pass ran were not loaded: their wake-up met a running link */
	int queued = r->ds ? db_rematch_count(app->db, r->link.id) : 0;
	if (queued > r->rm_left && r->failed != PROV_AUTH)
		db_links_wake(app->db, r->link.id);
	if (r->rm_added)
		log_info("link %lld: %d earlier items imported for new contacts", (long long)r->link.id,
		    r->rm_added);
	if (!r->failed) {
		log_info("link %lld %s: %s: %ld new, %ld updated, %ld skipped, %ld errors, %ld round"
		    " trips, %lld ms (store %lld ms)", (long long)r->link.id, r->link.address,
		    *streams ? streams : "nothing", r->store.c.new_items, r->store.c.updated,
		    r->store.c.skipped, r->store.c.errors, r->round_trips,
		    (long long)(now_ms() - r->t0_ms), (long long)r->store_ms);
		return;
	}
	/* A failing link retries after 1 s, 2 s, 4 s ...: one line per link and fault a minute. */
	char key[64];
	snprintf(key, sizeof key, "link %lld failed: %s", (long long)r->link.id,
	    prov_status_str(r->failed));
	log_warnx_limited(key, "link %lld %s: %s: %ld new, %ld updated, %ld skipped, %ld errors,"
	    " %ld round trips, %lld ms; failed: %s", (long long)r->link.id, r->link.address,
	    *streams ? streams : "nothing", r->store.c.new_items, r->store.c.updated,
	    r->store.c.skipped, r->store.c.errors, r->round_trips,
	    (long long)(now_ms() - r->t0_ms), r->error);
}

/* Store what a step handed back, on the engine thread: a refreshed secret first (the request
 * that follows may depend on it), then the page with the stream's cursor in one transaction,
 * before the next page is asked for. 0, or -1 when the page could not be stored. */
static int take_out(struct run *r, struct step_out *o)
{
	int rc = 0;
	r->store.pending_bad += o->skipped;   /* counted on the link with the next stored cursor */
	if (o->failed)
		snprintf(r->why, sizeof r->why, "%s", o->failed);
	if (o->secret && save_secret(r, o->secret) != 0)
		log_warnx("link %lld: could not store the refreshed token", (long long)r->link.id);
	if (!o->has_page && o->skips.n) {   /* no page to go with: in a transaction of their own */
		if (db_begin(r->store.db) == 0) {
			for (size_t i = 0; i < o->skips.n; i++)
				store_note_skip(&r->store, &o->skips.v[i]);
			if (db_commit(r->store.db) != 0)
				db_rollback(r->store.db);
		}
	}
	if (o->has_page) {
		int64_t t0 = now_ms();
		r->store.notes = &o->skips;
		r->store.cals = &o->cals;
		rc = store_commit(&r->store, o->stream, &o->msgs, &o->events, o->cursor);
		r->store_ms += now_ms() - t0;
		if (rc < 0 && r->store.lease_lost)
			r->lost = 1;
		else if (rc < 0)
			log_warnx("link %lld: %s: storing a page failed", (long long)r->link.id,
			    stream_name(o->stream));
	}
	step_out_clear(o);
	return rc < 0 ? -1 : 0;
}

void run_advance(struct run *r, const struct http_resp *resp)
{
	r->waiting = 0;
	while (!r->done) {
		if (!r->pass) {
			if (fetch_next(r)) {
				/* re-match first: a woken link brings the queued items at once */
			} else if (r->cur >= r->n_streams) {
				if (!sub_next(r)) {
					run_finish(r);
					return;
				}
			} else {
				int rc = begin_stream(r);
				if (rc != PROV_OK) {
					stream_failed(r, rc, 0, NULL);
					continue;
				}
			}
			resp = NULL;
		}
		struct http_req req = { 0 };
		long retry_after = 0;
		struct http_resp late = { 0 };
		char late_error[64];
		struct step_out out = { 0 };
		int rc;
		if (r->stepped) {
			r->stepped = 0;
			rc = r->step_rc;
			retry_after = r->step_retry_after;
			out = r->out;
			r->out = (struct step_out){ 0 };
			if (r->step_timed_out) {
				snprintf(late_error, sizeof late_error, "timed out after %d s",
				    r->step_timed_out);
				late.error = late_error;
				resp = &late;
				step_out_clear(&out);   /* a late job's page waits for the next pass */
			}
		} else if (r->drv->blocking && !r->subbing && r->offload && r->offload(r) == 0) {
			r->waiting = 1;
			return;
		} else {
			rc = run_step_fn(r)(r->pass, resp, &req, &out, &retry_after);
		}
		if (take_out(r, &out) != 0 && rc >= STEP_DONE) {
			http_req_clear(&req);
			rc = PROV_TEMP;
		}
		if (r->lost) {   /* the new holder reads the page again from the stored cursor */
			http_req_clear(&req);
			end_pass(r);
			r->subbing = 0;
			r->failed = PROV_TEMP;
			r->cur = r->n_streams;
			run_finish(r);
			return;
		}
		if (rc == STEP_PAGE) {
			/* the page is stored: the driver goes on from it */
			http_req_clear(&req);
		} else if (rc == STEP_MORE) {
			r->round_trips++;
			if (http_pool_start(r->pool, &req, r) == 0) {
				r->waiting = 1;
				return;
			}
			if (r->fetching)
				fetch_done(r, PROV_TEMP);
			else if (r->subbing)
				sub_done(r, PROV_TEMP);
			else
				stream_failed(r, PROV_TEMP, 0, NULL);
		} else if (rc == STEP_DONE) {
			http_req_clear(&req);
			if (r->fetching) {
				fetch_done(r, rc);
			} else if (r->subbing) {
				sub_done(r, rc);
			} else {
				end_pass(r);
				if (r->first_pass && r->streams[r->cur] == STREAM_EVENTS)
					first_events_done(r);
				r->cur++;
			}
		} else {
			http_req_clear(&req);
			if (r->fetching)
				fetch_done(r, rc);
			else if (r->subbing)
				sub_done(r, rc);
			else
				stream_failed(r, rc, retry_after, resp);
		}
		resp = NULL;
	}
}

void run_stepped(struct run *r, int rc, int timed_out_s)
{
	r->stepped = 1;
	r->step_rc = timed_out_s ? PROV_TEMP : rc == STEP_MORE ? PROV_TEMP : rc;   /* no HTTP */
	r->step_timed_out = timed_out_s;
	run_advance(r, NULL);
}

void run_free(struct run *r)
{
	if (!r)
		return;
	end_pass(r);
	step_out_clear(&r->out);
	subscription_clear(&r->sub);
	rematch_list_free(&r->rm);
	keep_close(&r->keep);
	link_free(&r->link);
	link_cal_list_free(&r->cals);
	free(r->secret);
	free(r);
}
