/* The worker pool (see workers.h): one mutex over a job queue, a done list and the requests jobs
 * make of the engine; an eventfd wakes the engine; SIGUSR2 interrupts a cancelled job's reads. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "sync/workers.h"

#define DEFAULT_THREADS 8

struct job {
	int (*fn)(void *arg);
	void *arg, *owner;
	int timeout_s;
	int64_t deadline_ms;
	int rc, timed_out;
	struct job *next;
};

/* A job's request for the engine thread. */
struct call {
	int (*fn)(void *arg);
	void *arg;
	int rc, answered;
	struct call *next;
};

struct worker {
	struct workers *ws;
	pthread_t t;
	struct job *cur;            /* under mu */
	volatile sig_atomic_t cancel;
	int exited;                 /* under mu */
};

struct workers {
	pthread_mutex_t mu;
	pthread_cond_t work, answer;
	struct job *queue, *queue_tail, *done;
	struct call *calls;
	int efd, n, stopping, busy;
	int left;                   /* threads were left behind at stop: free nothing */
	int joined;
	struct worker *w;
};

static __thread struct worker *self;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wake(struct workers *ws)
{
	uint64_t one = 1;
	while (write(ws->efd, &one, sizeof one) < 0 && errno == EINTR)
		;
}

/* Nothing to do: the signal is only there to make a blocking read or poll return EINTR. */
static void on_interrupt(int sig)
{
	(void)sig;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct workers *ws = w->ws;
	self = w;
	pthread_mutex_lock(&ws->mu);
	for (;;) {
		while (!ws->queue && !ws->stopping)
			pthread_cond_wait(&ws->work, &ws->mu);
		if (!ws->queue)
			break;   /* stopping; jobs still queued then run cancelled, so each ends */
		struct job *j = ws->queue;
		ws->queue = j->next;
		if (!ws->queue)
			ws->queue_tail = NULL;
		j->deadline_ms = mono_ms() + (int64_t)j->timeout_s * 1000;
		w->cur = j;
		w->cancel = ws->stopping;
		pthread_mutex_unlock(&ws->mu);
		int rc = j->fn(j->arg);
		pthread_mutex_lock(&ws->mu);
		w->cur = NULL;
		j->rc = rc;
		j->next = ws->done;
		ws->done = j;
		wake(ws);
	}
	w->exited = 1;
	pthread_mutex_unlock(&ws->mu);
	wake(ws);
	return NULL;
}

struct workers *workers_new(int n)
{
	struct workers *ws = calloc(1, sizeof *ws);
	sigset_t block, old;
	if (!ws)
		return NULL;
	ws->n = n > 0 ? n : DEFAULT_THREADS;
	ws->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ws->efd < 0 || !(ws->w = calloc((size_t)ws->n, sizeof *ws->w))) {
		log_warn("workers: cannot start");
		if (ws->efd >= 0)
			close(ws->efd);
		free(ws);
		return NULL;
	}
	pthread_mutex_init(&ws->mu, NULL);
	pthread_cond_init(&ws->work, NULL);
	pthread_cond_init(&ws->answer, NULL);
	struct sigaction sa = { .sa_handler = on_interrupt };   /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	/* Stop signals go to the engine thread only; the workers keep SIGUSR2. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int started = 0;
	for (int i = 0; i < ws->n; i++) {
		ws->w[i].ws = ws;
		if (pthread_create(&ws->w[i].t, NULL, worker_main, &ws->w[i]) != 0)
			break;
		started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (started < ws->n) {
		log_warnx("workers: %d of %d threads started", started, ws->n);
		ws->n = started;
		if (!started) {
			workers_free(ws);
			return NULL;
		}
	}
	return ws;
}

int workers_submit(struct workers *ws, int (*fn)(void *arg), void *arg, void *owner,
    int timeout_s)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		return -1;
	*j = (struct job){ .fn = fn, .arg = arg, .owner = owner,
	    .timeout_s = timeout_s > 0 ? timeout_s : 60 };
	pthread_mutex_lock(&ws->mu);
	if (ws->stopping) {
		pthread_mutex_unlock(&ws->mu);
		free(j);
		return -1;
	}
	if (ws->queue_tail)
		ws->queue_tail->next = j;
	else
		ws->queue = j;
	ws->queue_tail = j;
	ws->busy++;
	pthread_cond_signal(&ws->work);
	pthread_mutex_unlock(&ws->mu);
	return 0;
}

int workers_fd(const struct workers *ws)
{
	return ws->efd;
}

/* Under mu: mark jobs past their deadline (or all, when stopping) and interrupt their threads;
 * a job goes on being interrupted until it returns, so a read that got a byte meanwhile is
 * interrupted at the next one. */
static void cancel_overdue(struct workers *ws, int64_t now)
{
	for (int i = 0; i < ws->n; i++) {
		struct worker *w = &ws->w[i];
		if (!w->cur || (!ws->stopping && now < w->cur->deadline_ms))
			continue;
		if (!w->cancel && !ws->stopping)
			w->cur->timed_out = w->cur->timeout_s;
		w->cancel = 1;
		pthread_kill(w->t, SIGUSR2);
	}
}

void workers_serve(struct workers *ws)
{
	uint64_t v;
	while (read(ws->efd, &v, sizeof v) > 0)
		;
	pthread_mutex_lock(&ws->mu);
	while (ws->calls) {
		struct call *c = ws->calls;
		ws->calls = c->next;
		if (ws->stopping) {
			c->rc = -1;
		} else {
			pthread_mutex_unlock(&ws->mu);
			c->rc = c->fn(c->arg);
			pthread_mutex_lock(&ws->mu);
		}
		c->answered = 1;
	}
	pthread_cond_broadcast(&ws->answer);
	cancel_overdue(ws, mono_ms());
	pthread_mutex_unlock(&ws->mu);
}

int workers_done(struct workers *ws, void **owner, int *rc, int *timed_out)
{
	pthread_mutex_lock(&ws->mu);
	struct job *j = ws->done;
	if (j) {
		ws->done = j->next;
		ws->busy--;
	}
	pthread_mutex_unlock(&ws->mu);
	if (!j)
		return 0;
	*owner = j->owner;
	*rc = j->rc;
	*timed_out = j->timed_out;
	free(j);
	return 1;
}

int workers_busy(const struct workers *ws)
{
	return ws ? ws->busy : 0;
}

int workers_on_engine(int (*fn)(void *arg), void *arg)
{
	struct worker *w = self;
	if (!w)
		return fn(arg);
	struct workers *ws = w->ws;
	struct call c = { .fn = fn, .arg = arg };
	pthread_mutex_lock(&ws->mu);
	if (ws->stopping) {
		pthread_mutex_unlock(&ws->mu);
		return -1;
	}
	c.next = ws->calls;
	ws->calls = &c;
	wake(ws);
	while (!c.answered)
		pthread_cond_wait(&ws->answer, &ws->mu);
	if (w->cur && !w->cancel)   /* a page was stored: the next operation has its own time */
		w->cur->deadline_ms = mono_ms() + (int64_t)w->cur->timeout_s * 1000;
	pthread_mutex_unlock(&ws->mu);
	return c.rc;
}

int workers_cancelled(void)
{
	return self && (self->cancel || self->ws->stopping);
}

int workers_stop(struct workers *ws, int bound_ms)
{
	if (!ws)
		return 0;
	int64_t until = mono_ms() + bound_ms;
	int left;
	pthread_mutex_lock(&ws->mu);
	ws->stopping = 1;
	pthread_cond_broadcast(&ws->work);
	for (;;) {
		while (ws->calls) {
			struct call *c = ws->calls;
			ws->calls = c->next;
			c->rc = -1;
			c->answered = 1;
		}
		pthread_cond_broadcast(&ws->answer);
		cancel_overdue(ws, mono_ms());
		left = 0;
		for (int i = 0; i < ws->n; i++)
			left += !ws->w[i].exited;
		if (!left || mono_ms() >= until)
			break;
		pthread_mutex_unlock(&ws->mu);
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&ws->mu);
	}
	pthread_mutex_unlock(&ws->mu);
	if (left) {
		log_warnx("workers: %d threads still busy at stop, left behind", left);
		ws->left = 1;
		return 1;
	}
	for (int i = 0; i < ws->n && !ws->joined; i++)
		pthread_join(ws->w[i].t, NULL);
	ws->joined = 1;
	return 0;
}

void workers_free(struct workers *ws)
{
	if (!ws || ws->left)
		return;
	if (!ws->joined && workers_stop(ws, 0) != 0)
		return;
	while (ws->queue) {
		struct job *j = ws->queue;
		ws->queue = j->next;
		free(j);
	}
	while (ws->done) {
		struct job *j = ws->done;
		ws->done = j->next;
		free(j);
	}
	pthread_mutex_destroy(&ws->mu);
	pthread_cond_destroy(&ws->work);
	pthread_cond_destroy(&ws->answer);
	close(ws->efd);
	free(ws->w);
	free(ws);
}

/* ---- The relay sink ---------------------------------------------------------------------- */

struct commit_args {
	struct sync_sink *t;
	enum stream s;
	struct msg_list *msgs;
	struct event_list *events;
	const char *cursor;
	const char *secret;
};

static int do_commit(void *arg)
{
	struct commit_args *a = arg;
	return a->t->commit ? a->t->commit(a->t->ctx, a->s, a->msgs, a->events, a->cursor) : -1;
}

static int do_secret(void *arg)
{
	struct commit_args *a = arg;
	return a->t->save_secret ? a->t->save_secret(a->t->ctx, a->secret) : -1;
}

static int do_skipped(void *arg)
{
	struct commit_args *a = arg;
	if (a->t->skipped)
		a->t->skipped(a->t->ctx);
	return 0;
}

static int do_failed(void *arg)
{
	struct commit_args *a = arg;
	if (a->t->failed)
		a->t->failed(a->t->ctx, a->secret);
	return 0;
}

static int relay_commit(void *ctx, enum stream s, struct msg_list *msgs,
    struct event_list *events, const char *cursor)
{
	struct commit_args a = { .t = ctx, .s = s, .msgs = msgs, .events = events,
	    .cursor = cursor };
	return workers_on_engine(do_commit, &a);
}

static int relay_secret(void *ctx, const char *secret_json)
{
	struct commit_args a = { .t = ctx, .secret = secret_json };
	return workers_on_engine(do_secret, &a);
}

static void relay_skipped(void *ctx)
{
	struct commit_args a = { .t = ctx };
	workers_on_engine(do_skipped, &a);
}

static void relay_failed(void *ctx, const char *why)
{
	struct commit_args a = { .t = ctx, .secret = why };   /* secret: the one text field */
	workers_on_engine(do_failed, &a);
}

void workers_relay_sink(struct sync_sink *relay, struct sync_sink *target)
{
	*relay = (struct sync_sink){ .ctx = target, .commit = relay_commit,
	    .save_secret = relay_secret, .skipped = relay_skipped, .failed = relay_failed };
}
