/* Push watches (see watches.h): one slot per link with a watch driver and the stream enabled. */
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "core/crypto.h"
#include "core/db_sync.h"
#include "core/log.h"
#include "core/models.h"
#include "sync/drivers.h"
#include "sync/watches.h"
#include "sync/workers.h"

#define REFRESH_S 30
#define RETRY_S 30            /* cap of the reopen back-off: 1, 2, 4 ... 30 s, +-20% */
#define OPEN_TIMEOUT_S 30     /* cap of the set-up and re-arm deadline (connect, login, IDLE) */
#define MAX_LINKS 100000

struct slot {
	int64_t link_id;
	const struct watch_driver *wd;
	struct watch *w;            /* NULL while closed */
	int64_t retry_at;           /* when to try opening again */
	int64_t rearm_at;           /* when to call check() without news */
	int seen;                   /* still an active link at the last refresh */
	int disabled;               /* the server cannot push */
	int opening;                /* an open or check job is on a worker (it holds the watch) */
	int fails;                  /* opens that failed in a row, for the back-off */
	int efd;                    /* the watch's fd in the epoll set, or -1 */
	const char *pstate;         /* static: the push_state last written for the link, or NULL */
	int64_t pstate_at;          /* ... and when (0: never written by this daemon) */
};

/* A watch being opened on a worker (its own copies of the link's strings), or an open watch
 * being checked there (check set: DONE, read what came, IDLE again; got is the watch). */
struct opening {
	int64_t link_id;
	const struct watch_driver *wd;
	char *address, *settings, *secret;
	int64_t since;
	struct watch *got;
	int check, news;
	struct opening *next;
};

/* A watch being closed on a worker (IDLE DONE and LOGOUT wait for the server). */
struct closing {
	const struct watch_driver *wd;
	struct watch *w;
};

struct watches {
	struct app *app;
	void (*news)(void *ctx, int64_t link, unsigned stream);
	void *ctx;
	struct slot *v;
	size_t n, cap;
	struct curl_waitfd *fds;
	size_t cap_fds;
	unsigned n_fds;
	int64_t refreshed_at;
	int (*holds)(void *ctx, int64_t link);   /* NULL: every link is this daemon's */
	struct workers *ws;
	struct opening *openings;   /* jobs in flight */
	int epfd;                   /* every open watch's fd: the loop polls this one fd */
	size_t n_reg;               /* fds in it */
	int maybe_pending;          /* a watch came back: its stream may hold read data */
	int64_t next_scan;          /* when watches are next looked at for re-arming */
};

struct watches *watches_new(struct app *app, void (*news)(void *ctx, int64_t link,
    unsigned stream), void *ctx, struct workers *ws)
{
	struct watches *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->app = app;
	w->news = news;
	w->ctx = ctx;
	w->ws = ws;
	if ((w->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		log_warn("push: epoll");
		free(w);
		return NULL;
	}
	return w;
}

/* A slot's watch goes in (or out of) the epoll set with it: the loop waits on one fd however
 * many watches are open, and finds the ready ones without looking at the others. */
static void slot_set_watch(struct watches *w, struct slot *s, struct watch *x)
{
	if (s->efd >= 0) {
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, s->efd, NULL);
		s->efd = -1;
		w->n_reg--;
	}
	s->w = x;
	int fd = x ? s->wd->fd(x) : -1;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLPRI, .data.u64 = (uint64_t)s->link_id };
	if (fd >= 0 && epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) == 0) {
		s->efd = fd;
		w->n_reg++;
	}
	if (x)
		w->maybe_pending = 1;
}

static int close_job(void *arg)
{
	struct closing *c = arg;
	c->wd->close(c->w);
	free(c);
	return 0;
}

static void watch_close(struct watches *w, const struct watch_driver *wd, struct watch *x)
{
	struct closing *c = x && w->ws ? malloc(sizeof *c) : NULL;
	if (c) {
		*c = (struct closing){ wd, x };
		/* A close waits for the server's LOGOUT: never urgent, and a silent server holds it. */
		if (workers_submit_in(w->ws, WORK_SUSPECT, close_job, c, NULL, OPEN_TIMEOUT_S) == 0)
			return;
		free(c);
	}
	if (x)
		wd->close(x);
}

/* Write the link's push_state when it changed (an open, a loss, a close; not every re-arm). */
static void slot_state(struct watches *w, struct slot *s, const char *state)
{
	if (s->pstate == state || (s->pstate && state && strcmp(s->pstate, state) == 0))
		return;
	int64_t now = time(NULL);
	/* clearing touches only what this daemon wrote: another may hold the link's watch now */
	if (!state && !s->pstate_at)
		return;
	if (db_sync_link_push_state(w->app->db, s->link_id, state, now, state ? 0 : s->pstate_at) != 0)
		return;
	s->pstate = state;
	s->pstate_at = state ? now : 0;
}

static void slot_close(struct watches *w, struct slot *s)
{
	struct watch *x = s->w;
	slot_set_watch(w, s, NULL);
	watch_close(w, s->wd, x);
}

static void opening_free(struct opening *o)
{
	free(o->address);
	free(o->settings);
	free(o->secret);
	free(o);
}

void watches_close_all(struct watches *w)
{
	for (size_t i = 0; w && i < w->n; i++) {
		slot_close(w, &w->v[i]);
		slot_state(w, &w->v[i], NULL);
	}
}

void watches_free(struct watches *w, int left_behind)
{
	if (!w)
		return;
	watches_close_all(w);
	while (w->openings && !left_behind) {   /* else threads left behind may use them */
		struct opening *o = w->openings;
		w->openings = o->next;
		watch_close(w, o->wd, o->got);
		opening_free(o);
	}
	free(w->v);
	free(w->fds);
	if (w->epfd >= 0)
		close(w->epfd);
	free(w);
}

static struct slot *slot_find(struct watches *w, int64_t link_id)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].link_id == link_id)
			return &w->v[i];
	return NULL;
}

static struct slot *slot_get(struct watches *w, int64_t link_id)
{
	struct slot *s = slot_find(w, link_id);
	if (s)
		return s;
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 16;
		struct slot *nv = realloc(w->v, ncap * sizeof *nv);
		if (!nv)
			return NULL;
		w->v = nv;
		w->cap = ncap;
	}
	s = &w->v[w->n++];
	memset(s, 0, sizeof *s);
	s->link_id = link_id;
	s->efd = -1;
	return s;
}

/* On a worker: open the watch (connect, login, IDLE). A stopping pool closes it at once. */
static int open_job(void *arg)
{
	struct opening *o = arg;
	struct prov_link pl = { .id = o->link_id, .address = o->address, .settings = o->settings,
	    .secret = o->secret, .since = o->since, .cfg = NULL };
	int rc = o->secret ? o->wd->open(&pl, &o->got) : PROV_PERM;
	if (rc == PROV_OK && workers_cancelled()) {
		o->wd->close(o->got);
		o->got = NULL;
		rc = PROV_TEMP;
	}
	return rc;
}

/* Seconds before the next open after fails failures in a row: 1, 2, 4 ... RETRY_S, each
 * +-20% by rnd (whole seconds, never under 1), so links of one server that fail together do not
 * come back together. */
int watches_retry_delay(int fails, unsigned rnd)
{
	int d = 1 << (fails > 1 ? (fails - 1 < 5 ? fails - 1 : 5) : 0);
	long ms = (d < RETRY_S ? d : RETRY_S) * 1000L, span = ms / 5;
	ms += (long)(rnd % (unsigned)(2 * span + 1)) - span;
	return (int)((ms + 500) / 1000 > 0 ? (ms + 500) / 1000 : 1);
}

static int op_timeout(const struct watches *w)
{
	return w->app->cfg.op_timeout_s > 0 && w->app->cfg.op_timeout_s < OPEN_TIMEOUT_S ?
	    w->app->cfg.op_timeout_s : OPEN_TIMEOUT_S;
}

/* Start opening the watch of one link on a worker (the link's strings copied for it). */
static void slot_open(struct watches *w, struct slot *s, const struct link *l)
{
	struct opening *o = calloc(1, sizeof *o);
	if (!o)
		return;
	*o = (struct opening){ .link_id = l->id, .wd = s->wd, .since = l->linked_at,
	    .address = l->address ? strdup(l->address) : NULL,
	    .settings = l->settings ? strdup(l->settings) : NULL,
	    .secret = l->secret ? crypto_open(w->app->key, l->secret, l->secret_len) :
	    strdup("{}") };
	if (workers_submit_in(w->ws, s->fails > 0 || l->failures > 0 ? WORK_SUSPECT : WORK_HEALTHY,
	    open_job, o, o, op_timeout(w)) != 0) {
		opening_free(o);
		return;
	}
	o->next = w->openings;
	w->openings = o;
	s->opening = 1;
}

int watches_owns(const struct watches *w, const void *owner)
{
	for (const struct opening *o = w->openings; o; o = o->next)
		if (o == owner)
			return 1;
	return 0;
}

void watches_opened(struct watches *w, void *owner, int rc, int timed_out_s)
{
	struct opening *o = owner, **po = &w->openings;
	int64_t now = time(NULL);
	while (*po && *po != o)
		po = &(*po)->next;
	if (!*po)
		return;
	*po = o->next;
	struct slot *s = NULL;
	for (size_t i = 0; i < w->n && !s; i++)
		if (w->v[i].link_id == o->link_id)
			s = &w->v[i];
	if (timed_out_s)
		rc = rc == PROV_OK ? PROV_TEMP : rc;   /* a late job's watch was closed by it */
	if (!s || s->w) {   /* the link went away meanwhile */
		watch_close(w, o->wd, o->got);
	} else if (rc == PROV_OK) {
		s->opening = 0;
		s->fails = 0;
		s->wd = o->wd;
		slot_set_watch(w, s, o->got);
		s->rearm_at = now + s->wd->refresh_s;
		if (!o->check)
			log_debug("link %lld: push watch open", (long long)o->link_id);
		slot_state(w, s, "idle");
		/* Mail may have come while no watch was open. */
		if (!o->check || o->news)
			w->news(w->ctx, o->link_id, s->wd->stream);
	} else {
		char key[64];
		s->opening = 0;
		s->fails++;
		s->retry_at = now + (rc == PROV_PERM ? 3600 :
		    watches_retry_delay(s->fails, (unsigned)rand()));
		slot_state(w, s, rc == PROV_PERM ? "unsupported" : "reconnecting");
		snprintf(key, sizeof key, "link %lld: watch %d", (long long)o->link_id, rc);
		if (rc == PROV_PERM)
			log_info("link %lld: no push on this server, polling only",
			    (long long)o->link_id);
		else if (timed_out_s)
			log_warnx_limited(key, "link %lld: IDLE connection: %s timed out after %d s, "
			    "again in %lld s", (long long)o->link_id, o->check ? "re-arming" :
			    "set-up", timed_out_s, (long long)(s->retry_at - now));
		else if (o->check)
			log_info("link %lld: push watch closed (%s), reopening",
			    (long long)o->link_id, prov_status_str(rc));
		if (o->check) {   /* something may have come on the watch it lost */
			w->refreshed_at = 0;
			w->news(w->ctx, o->link_id, s->wd->stream);
		}
	}
	opening_free(o);
}

void watches_refresh(struct watches *w, int64_t link_id)
{
	static int64_t ids[MAX_LINKS];
	int64_t now = time(NULL);
	size_t n = 0;
	if (now - w->refreshed_at < REFRESH_S && w->refreshed_at)
		goto retry;
	w->refreshed_at = now;
	if (db_sync_active(w->app->db, ids, MAX_LINKS, &n) != 0)
		return;
	size_t over = 0;
	for (size_t i = 0; i < w->n; i++)
		w->v[i].seen = 0;
	for (size_t i = 0; i < n; i++) {
		if ((link_id && ids[i] != link_id) || (w->holds && !w->holds(w->ctx, ids[i])))
			continue;
		struct link l;
		if (db_links_get(w->app->db, ids[i], &l) != 0)
			continue;
		const struct driver_set *ds = drivers_for(l.provider);
		int want = ds && ds->watch && ((ds->watch->stream == STREAM_MAIL && l.sync_email) ||
		    (ds->watch->stream == STREAM_EVENTS && l.sync_calendar));
		struct slot *s = want ? slot_find(w, l.id) : NULL;
		if (want && !s) {
			if (w->n < (size_t)w->app->cfg.push_connections)
				s = slot_get(w, l.id);
			else
				over++;
		}
		if (s) {
			s->seen = 1;
			s->wd = ds->watch;
			if (!s->w && !s->opening && now >= s->retry_at)
				slot_open(w, s, &l);
		}
		link_free(&l);
	}
	for (size_t i = 0; i < w->n;) {
		if (!w->v[i].seen) {
			slot_close(w, &w->v[i]);
			slot_state(w, &w->v[i], NULL);
			w->v[i] = w->v[--w->n];
		} else {
			i++;
		}
	}
	if (over)
		log_warnx_limited("push connections full", "push: %zu links hold a push connection,"
		    " %zu more are polled every [sync] poll_interval ([sync] push_connections is %d)",
		    w->n, over, w->app->cfg.push_connections);
	return;
retry:
	for (size_t i = 0; i < w->n; i++) {
		struct slot *s = &w->v[i];
		struct link l;
		if (s->w || s->opening || now < s->retry_at ||
		    (w->holds && !w->holds(w->ctx, s->link_id)) ||
		    db_links_get(w->app->db, s->link_id, &l) != 0)
			continue;
		if (strcmp(l.status, "active") == 0)
			slot_open(w, s, &l);
		link_free(&l);
	}
}

void watches_only(struct watches *w, int (*holds)(void *ctx, int64_t link))
{
	w->holds = holds;
}

void watches_recheck(struct watches *w)
{
	w->refreshed_at = 0;
}

void watches_kick(struct watches *w, int64_t link_id)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].link_id == link_id)
			return;
	int64_t now = time(NULL);
	if (w->refreshed_at && now - w->refreshed_at >= 2) {
		w->refreshed_at = 0;
	}
}

unsigned watches_fds(struct watches *w, struct curl_waitfd **fds)
{
	if (!w->n_reg)
		return 0;
	if (w->cap_fds < 1) {
		struct curl_waitfd *nf = realloc(w->fds, sizeof *nf);
		if (!nf)
			return 0;
		w->fds = nf;
		w->cap_fds = 1;
	}
	w->fds[0] = (struct curl_waitfd){ .fd = w->epfd, .events = CURL_WAIT_POLLIN };
	w->n_fds = 1;
	*fds = w->fds;
	return 1;
}

int watches_pending(struct watches *w)
{
	return w->maybe_pending;
}

/* On a worker: leave IDLE, read what came, and IDLE again; a watch that failed (or whose job
 * is past its deadline) is closed here, on the thread that does its I/O. */
static int check_job(void *arg)
{
	struct opening *o = arg;
	int rc = o->wd->check(o->got, &o->news);
	if (rc != PROV_OK || workers_cancelled()) {
		o->wd->close(o->got);
		o->got = NULL;
		rc = rc == PROV_OK ? PROV_TEMP : rc;
	}
	return rc;
}

/* Hand an open watch to a check job: the slot has no watch (and no fd to poll) until it is
 * back, so a server that answers DONE slowly holds only a worker, never the engine thread. */
static void slot_check(struct watches *w, struct slot *s)
{
	struct opening *o = calloc(1, sizeof *o);
	if (!o)
		return;
	*o = (struct opening){ .link_id = s->link_id, .wd = s->wd, .got = s->w, .check = 1 };
	if (workers_submit(w->ws, check_job, o, o, op_timeout(w)) != 0) {
		free(o);
		return;
	}
	o->next = w->openings;
	w->openings = o;
	slot_set_watch(w, s, NULL);
	s->opening = 1;
}

void watches_after_wait(struct watches *w)
{
	int64_t now = time(NULL);
	struct epoll_event ev[64];
	int k;
	do {   /* the ready watches: each goes to a check job and out of the set */
		k = w->n_reg ? epoll_wait(w->epfd, ev, 64, 0) : 0;
		for (int i = 0; i < k; i++) {
			struct slot *s = slot_find(w, (int64_t)ev[i].data.u64);
			if (s && s->w)
				slot_check(w, s);
		}
	} while (k == 64);
	/* Data a watch's stream already read (news that came with the IDLE answer) shows on no
	 * fd: looked at when a watch came back; due re-arms once a second. */
	if (w->maybe_pending || now >= w->next_scan) {
		w->maybe_pending = 0;
		w->next_scan = now + 1;
		for (size_t i = 0; i < w->n; i++) {
			struct slot *s = &w->v[i];
			if (s->w && (s->wd->pending(s->w) || now >= s->rearm_at))
				slot_check(w, s);
		}
	}
	w->n_fds = 0;
}
