/* The worker pool: results come back through its eventfd, a job blocked in a read is
 * interrupted at its deadline, a stop is bounded, suspect work cannot take every thread and
 * healthy work never waits behind blocked jobs. */
#include <poll.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sync/workers.h"
#include "t.h"

static int64_t ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Serve the pool until one job is done or limit_ms pass; 1 with the results set. */
static int wait_done(struct workers *ws, int limit_ms, void **owner, int *rc, int *timed_out)
{
	int64_t until = ms() + limit_ms;
	while (ms() < until) {
		struct pollfd p = { .fd = workers_fd(ws), .events = POLLIN };
		poll(&p, 1, 50);
		workers_serve(ws);
		if (workers_done(ws, owner, rc, timed_out))
			return 1;
	}
	return 0;
}

static int add_one(void *arg)
{
	return *(int *)arg + 1;
}

static void test_result_comes_back_with_its_owner(void)
{
	struct workers *ws = workers_new(2);
	int in = 41, owner_tag, rc = 0, tmo = 1;
	void *owner = NULL;
	CHECK(ws);
	CHECK_INT(workers_submit(ws, add_one, &in, &owner_tag, 5), 0);
	CHECK(wait_done(ws, 2000, &owner, &rc, &tmo));
	CHECK(owner == &owner_tag);
	CHECK_INT(rc, 42);
	CHECK_INT(tmo, 0);
	CHECK_INT(workers_busy(ws), 0);
	CHECK_INT(workers_stop(ws, 1000), 0);
	workers_free(ws);
}

/* A read from a peer that never writes, as a silent server. */
static int read_silence(void *arg)
{
	char c;
	int fd = *(int *)arg;
	for (;;) {
		ssize_t n = read(fd, &c, 1);
		if (n < 0 && workers_cancelled())
			return -1;
		if (n <= 0)
			return -2;
	}
}

static void test_a_job_past_its_deadline_is_interrupted(void)
{
	struct workers *ws = workers_new(2);
	int sv[2], rc = 0, tmo = 0;
	void *owner;
	CHECK(ws);
	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int64_t t0 = ms();
	CHECK_INT(workers_submit(ws, read_silence, &sv[0], NULL, 1), 0);
	CHECK(wait_done(ws, 5000, &owner, &rc, &tmo));
	int64_t took = ms() - t0;
	CHECK_INT(rc, -1);
	CHECK_INT(tmo, 1);
	CHECK(took >= 900 && took < 2000);
	CHECK_INT(workers_stop(ws, 1000), 0);
	workers_free(ws);
	close(sv[0]);
	close(sv[1]);
}

static void test_a_stop_ends_blocked_jobs_within_its_bound(void)
{
	struct workers *ws = workers_new(3);
	int sv[2];
	CHECK(ws);
	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	for (int i = 0; i < 5; i++)   /* more jobs than threads: queued ones end too */
		CHECK_INT(workers_submit(ws, read_silence, &sv[0], NULL, 600), 0);
	struct timespec pause = { 0, 100 * 1000000 };
	nanosleep(&pause, NULL);
	int64_t t0 = ms();
	CHECK_INT(workers_stop(ws, 1500), 0);
	CHECK(ms() - t0 < 1500);
	int n = 0, rc, tmo;
	void *owner;
	while (workers_done(ws, &owner, &rc, &tmo))
		n++;
	CHECK_INT(n, 5);
	CHECK_INT(workers_submit(ws, add_one, &n, NULL, 5), -1);
	workers_free(ws);
	close(sv[0]);
	close(sv[1]);
}

/* A job that counts its start and then reads from a peer that never writes. */
static atomic_int started;
static int count_then_read_silence(void *arg)
{
	atomic_fetch_add(&started, 1);
	return read_silence(arg);
}

static void pause_ms(int n)
{
	struct timespec ts = { n / 1000, (long)(n % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static void test_suspect_work_runs_on_half_the_threads_and_healthy_work_still_runs(void)
{
	struct workers *ws = workers_new(4);
	int sv[2], in = 1, rc = 0, tmo = 0;
	void *owner = NULL;
	CHECK(ws);
	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	atomic_store(&started, 0);
	for (int i = 0; i < 6; i++)   /* six silent servers */
		CHECK_INT(workers_submit_in(ws, WORK_SUSPECT, count_then_read_silence, &sv[0],
		    NULL, 30), 0);
	pause_ms(300);
	CHECK_INT(atomic_load(&started), 2);
	CHECK_INT(workers_threads(ws), 4);   /* suspect work starts no thread */
	int64_t t0 = ms();
	CHECK_INT(workers_submit(ws, add_one, &in, &in, 5), 0);
	CHECK(wait_done(ws, 2000, &owner, &rc, &tmo));
	CHECK(owner == &in);
	CHECK_INT(rc, 2);
	CHECK(ms() - t0 < 500);
	CHECK_INT(atomic_load(&started), 2);
	CHECK_INT(workers_stop(ws, 1500), 0);
	workers_free(ws);
	close(sv[0]);
	close(sv[1]);
}

static void test_healthy_work_starts_a_thread_when_none_is_idle_up_to_four_times(void)
{
	struct workers *ws = workers_new(2);
	int sv[2], in = 1, rc = 0, tmo = 0;
	void *owner = NULL;
	CHECK(ws);
	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	atomic_store(&started, 0);
	for (int i = 0; i < 2; i++)
		CHECK_INT(workers_submit(ws, count_then_read_silence, &sv[0], NULL, 30), 0);
	pause_ms(200);
	CHECK_INT(atomic_load(&started), 2);
	int64_t t0 = ms();
	CHECK_INT(workers_submit(ws, add_one, &in, &in, 5), 0);
	CHECK(wait_done(ws, 2000, &owner, &rc, &tmo));
	CHECK_INT(rc, 2);
	CHECK(ms() - t0 < 500);
	CHECK_INT(workers_threads(ws), 3);
	for (int i = 0; i < 10; i++)   /* far more blocked work than the pool may grow to */
		CHECK_INT(workers_submit(ws, count_then_read_silence, &sv[0], NULL, 30), 0);
	pause_ms(300);
	CHECK_INT(workers_threads(ws), 8);
	CHECK_INT(atomic_load(&started), 8);
	CHECK_INT(workers_stop(ws, 1500), 0);
	int n = 0;
	while (workers_done(ws, &owner, &rc, &tmo))
		n++;
	CHECK_INT(n, 12);
	workers_free(ws);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	static const struct t_case cases[] = {
		{ "a job's result comes back with its owner", test_result_comes_back_with_its_owner },
		{ "a job blocked in a read past its deadline is interrupted and timed out",
		    test_a_job_past_its_deadline_is_interrupted },
		{ "a stop ends blocked and queued jobs within its bound",
		    test_a_stop_ends_blocked_jobs_within_its_bound },
		{ "suspect work runs on half the threads and healthy work still runs at once",
		    test_suspect_work_runs_on_half_the_threads_and_healthy_work_still_runs },
		{ "healthy work starts a thread when none is idle, up to four times the pool",
		    test_healthy_work_starts_a_thread_when_none_is_idle_up_to_four_times },
	};
	return t_run(cases, sizeof cases / sizeof cases[0]);
}
