/* A small pool of threads for the blocking network work of the engine (IMAP passes, SMTP sends,
 * IDLE set-up): jobs go in from the engine thread, results come back through one eventfd the
 * engine polls beside curl's sockets. A job touches no database: a driver's step ends with what
 * it found, and the engine thread stores it. See src/sync/README. */
#ifndef SYNC_WORKERS_H
#define SYNC_WORKERS_H

#include <stdint.h>

#include "providers/provider.h"

struct workers;

/* Work of a link whose last pass, watch open or send failed (a silent or slow server, likely to
 * hold its thread until its deadline) is suspect: it runs on at most half of the configured
 * threads at once, so such servers cannot take every thread. Healthy work runs first and, when
 * no thread is idle, starts another, up to four times the configured count. */
enum work_lane { WORK_HEALTHY, WORK_SUSPECT };

/* n threads to start with (0: 8). NULL when they cannot start (logged). */
struct workers *workers_new(int n);
/* Run fn(arg) on a worker; it must be done within timeout_s of its start. Past that deadline the
 * job is cancelled: its thread's blocking reads are interrupted until fn returns, and
 * workers_cancelled() turns true for it. owner comes back with the result. 0, or -1. */
int workers_submit(struct workers *ws, int (*fn)(void *arg), void *arg, void *owner,
    int timeout_s);
/* The same, for work of the given lane (workers_submit is WORK_HEALTHY). */
int workers_submit_in(struct workers *ws, enum work_lane lane, int (*fn)(void *arg), void *arg,
    void *owner, int timeout_s);
/* The eventfd to poll for reading: a job finished. */
int workers_fd(const struct workers *ws);
/* Engine thread, after the fd turned readable or at any time: drain the fd, cancel jobs past
 * their deadline. */
void workers_serve(struct workers *ws);
/* A finished job: 1 with *owner, *rc (fn's return) and *timed_out (its seconds, or 0) set; 0
 * when none is waiting. */
int workers_done(struct workers *ws, void **owner, int *rc, int *timed_out);
/* Jobs queued or running. */
int workers_busy(const struct workers *ws);
/* Threads started so far. */
int workers_threads(struct workers *ws);
/* Cancel every job (queued ones still run, cancelled from their start, so each can clean up),
 * and wait up to bound_ms for the threads: 0 when all
 * ended (workers_done() then gives the last results), 1 when some are left behind (the process
 * is ending). NULL is fine. */
int workers_stop(struct workers *ws, int bound_ms);
/* Free after workers_stop() (stops with no bound first if needed); nothing when threads were
 * left behind. NULL is fine. */
void workers_free(struct workers *ws);

/* In a job: 1 once it is past its deadline or the pool is stopping, else 0. */
int workers_cancelled(void);

#endif
