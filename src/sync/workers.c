/* The worker pool (see workers.h): one mutex over two job queues (healthy and suspect work), a
 * done list and the thread table; an eventfd wakes the engine; SIGUSR2 interrupts a cancelled
 * job's reads. Threads start with the pool and more start on demand, up to GROW times the
 * configured count, when healthy work finds no idle thread; suspect work runs on at most half
 * of the configured count at once, and never starts a thread. */
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
#define GROW 4

struct job {
	int (*fn)(void *arg);
	void *arg, *owner;
	int timeout_s, lane;
	int64_t deadline_ms;
	int rc, timed_out;
	struct job *next;
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
	pthread_cond_t work;
	struct job *queue[2], *queue_tail[2], *done;
	int efd, stopping, busy;
	int n, max;                 /* threads started; the most there may be */
	int idle;                   /* threads waiting for work, or starting */
	int queued_healthy;         /* healthy jobs in the queue */
	int suspect_running, suspect_cap;
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

/* Under mu: the next job a thread may take (healthy first; suspect work within its cap, or any
 * queued job once the pool stops, so each ends), unlinked from its queue; NULL when none. */
static struct job *take_job(struct workers *ws)
{
	int lane = ws->queue[WORK_HEALTHY] ? WORK_HEALTHY :
	    ws->queue[WORK_SUSPECT] &&
	    (ws->stopping || ws->suspect_running < ws->suspect_cap) ? WORK_SUSPECT : -1;
	if (lane < 0)
		return NULL;
	struct job *j = ws->queue[lane];
	ws->queue[lane] = j->next;
	if (!ws->queue[lane])
		ws->queue_tail[lane] = NULL;
	if (lane == WORK_HEALTHY)
		ws->queued_healthy--;
	else
		ws->suspect_running++;
	return j;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct workers *ws = w->ws;
	self = w;
	pthread_mutex_lock(&ws->mu);
	for (int first = 1;; first = 0) {
		struct job *j;
		ws->idle += !first;   /* a starting thread was counted idle by start_thread */
		while (!(j = take_job(ws)) && !ws->stopping)
			pthread_cond_wait(&ws->work, &ws->mu);
		ws->idle--;
		if (!j)
			break;   /* stopping with nothing queued */
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
		if (j->lane == WORK_SUSPECT) {
			ws->suspect_running--;
			if (ws->queue[WORK_SUSPECT])
				pthread_cond_broadcast(&ws->work);   /* room for a waiting one */
		}
		wake(ws);
	}
	w->exited = 1;
	pthread_mutex_unlock(&ws->mu);
	wake(ws);
	return NULL;
}

/* Under mu: start one more thread (stop signals blocked in it, as in every worker); 0, or -1. */
static int start_thread(struct workers *ws)
{
	sigset_t block, old;
	if (ws->n >= ws->max)
		return -1;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	struct worker *w = &ws->w[ws->n];
	w->ws = ws;
	int rc = pthread_create(&w->t, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -1;
	ws->n++;
	ws->idle++;
	return 0;
}

struct workers *workers_new(int n)
{
	struct workers *ws = calloc(1, sizeof *ws);
	if (!ws)
		return NULL;
	int base = n > 0 ? n : DEFAULT_THREADS;
	ws->max = base * GROW;
	ws->suspect_cap = base / 2 > 0 ? base / 2 : 1;
	ws->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ws->efd < 0 || !(ws->w = calloc((size_t)ws->max, sizeof *ws->w))) {
		log_warn("workers: cannot start");
		if (ws->efd >= 0)
			close(ws->efd);
		free(ws);
		return NULL;
	}
	pthread_mutex_init(&ws->mu, NULL);
	pthread_cond_init(&ws->work, NULL);
	struct sigaction sa = { .sa_handler = on_interrupt };   /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	pthread_mutex_lock(&ws->mu);
	while (ws->n < base && start_thread(ws) == 0)
		;
	int started = ws->n;
	pthread_mutex_unlock(&ws->mu);
	if (started < base) {
		log_warnx("workers: %d of %d threads started", started, base);
		if (!started) {
			workers_free(ws);
			return NULL;
		}
	}
	return ws;
}

int workers_submit_in(struct workers *ws, enum work_lane lane, int (*fn)(void *arg), void *arg,
    void *owner, int timeout_s)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		return -1;
	*j = (struct job){ .fn = fn, .arg = arg, .owner = owner, .lane = lane,
	    .timeout_s = timeout_s > 0 ? timeout_s : 60 };
	pthread_mutex_lock(&ws->mu);
	if (ws->stopping) {
		pthread_mutex_unlock(&ws->mu);
		free(j);
		return -1;
	}
	if (ws->queue_tail[lane])
		ws->queue_tail[lane]->next = j;
	else
		ws->queue[lane] = j;
	ws->queue_tail[lane] = j;
	ws->busy++;
	if (lane == WORK_HEALTHY && ++ws->queued_healthy > ws->idle && start_thread(ws) == 0)
		log_debug("workers: %d threads (healthy work found none idle)", ws->n);
	pthread_cond_broadcast(&ws->work);
	pthread_mutex_unlock(&ws->mu);
	return 0;
}

int workers_submit(struct workers *ws, int (*fn)(void *arg), void *arg, void *owner,
    int timeout_s)
{
	return workers_submit_in(ws, WORK_HEALTHY, fn, arg, owner, timeout_s);
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

int workers_threads(struct workers *ws)
{
	pthread_mutex_lock(&ws->mu);
	int n = ws->n;
	pthread_mutex_unlock(&ws->mu);
	return n;
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
	for (int lane = 0; lane < 2; lane++)
		while (ws->queue[lane]) {
			struct job *j = ws->queue[lane];
			ws->queue[lane] = j->next;
			free(j);
		}
	while (ws->done) {
		struct job *j = ws->done;
		ws->done = j->next;
		free(j);
	}
	pthread_mutex_destroy(&ws->mu);
	pthread_cond_destroy(&ws->work);
	close(ws->efd);
	free(ws->w);
	free(ws);
}
