/* The engine's side of the link form's login tests: claim -> open the secret -> worker job
 * (login_test_run) -> outcome written on the engine thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/crypto.h"
#include "core/db_link_probe.h"
#include "core/log.h"
#include "providers/login_test.h"
#include "providers/provider.h"
#include "sync/probes.h"
#include "sync/workers.h"

#define PURGE_EVERY_S 5

static const char MSG_EXPIRED[] = "The connection test did not finish in time; try again.";

struct probe_run {
	struct link_probe row;
	char *secret;                 /* the opened secret JSON; wiped at free */
	struct login_test t;
	char msg[600], detail[512];   /* written by the job, read after it is done */
	struct probe_run *next;
};

struct probes {
	struct app *app;
	struct workers *ws;
	struct probe_run *runs;
	int n;
	int64_t next_purge;
};

struct probes *probes_new(struct app *app, struct workers *ws)
{
	struct probes *ps = calloc(1, sizeof *ps);
	if (ps) {
		ps->app = app;
		ps->ws = ws;
	}
	return ps;
}

static void run_free(struct probe_run *r)
{
	if (r->secret)
		explicit_bzero(r->secret, strlen(r->secret));
	free(r->secret);
	link_probe_free(&r->row);
	free(r);
}

/* On a worker: the whole test. */
static int probe_job(void *arg)
{
	struct probe_run *r = arg;
	return login_test_run(&r->t, r->msg, sizeof r->msg, r->detail, sizeof r->detail);
}

/* Write the outcome of r (rc a prov_status) and log it. */
static void record(struct probes *ps, struct probe_run *r, int rc)
{
	if (rc == PROV_OK)
		log_info("link test %lld of user %lld: %s works", (long long)r->row.id,
		    (long long)r->row.user_id, r->row.address);
	else
		log_info("link test %lld of user %lld: %s failed: %s", (long long)r->row.id,
		    (long long)r->row.user_id, r->row.address, r->detail[0] ? r->detail : r->msg);
	if (db_link_probe_finish(ps->app->db, r->row.id, rc == PROV_OK, rc == PROV_OK ? NULL :
	    r->msg, time(NULL)) != 0)
		log_warnx("link test %lld: the outcome could not be written", (long long)r->row.id);
}

/* Start r on a worker; 0, or -1 with its outcome written (it is freed by the caller). */
static int begin(struct probes *ps, struct probe_run *r)
{
	int timeout = ps->app->cfg.probe_timeout_s;
	r->secret = crypto_open(ps->app->key, r->row.secret, r->row.secret_len);
	if (!r->secret) {
		snprintf(r->msg, sizeof r->msg, "The test could not read the password; try again.");
		snprintf(r->detail, sizeof r->detail, "secret cannot be decrypted with this key");
		record(ps, r, PROV_PERM);
		return -1;
	}
	r->t = (struct login_test){ .address = r->row.address, .settings = r->row.settings,
		.secret = r->secret, .timeout_s = timeout, .cancelled = workers_cancelled };
	if (workers_submit(ps->ws, probe_job, r, r, timeout) != 0) {
		snprintf(r->msg, sizeof r->msg, "The test could not start; try again.");
		record(ps, r, PROV_TEMP);
		return -1;
	}
	return 0;
}

void probes_start(struct probes *ps, int max)
{
	if (!ps)
		return;
	int64_t now = time(NULL);
	if (now >= ps->next_purge) {
		db_link_probe_purge(ps->app->db, now, MSG_EXPIRED);
		ps->next_purge = now + PURGE_EVERY_S;
	}
	while (ps->n < max) {
		struct probe_run *r = calloc(1, sizeof *r);
		if (!r)
			break;
		if (db_link_probe_claim(ps->app->db, now, ps->app->cfg.probe_timeout_s, &r->row) != 1) {
			free(r);
			break;
		}
		if (begin(ps, r) != 0) {
			run_free(r);
			continue;
		}
		r->next = ps->runs;
		ps->runs = r;
		ps->n++;
	}
}

int probes_owns(const struct probes *ps, const void *owner)
{
	for (const struct probe_run *r = ps ? ps->runs : NULL; r; r = r->next)
		if (r == owner)
			return 1;
	return 0;
}

void probes_stepped(struct probes *ps, void *owner, int rc, int timed_out_s)
{
	for (struct probe_run **pr = ps ? &ps->runs : NULL; pr && *pr; pr = &(*pr)->next) {
		struct probe_run *r = *pr;
		if (r != owner)
			continue;
		if (timed_out_s) {
			login_test_failed_msg(r->msg, sizeof r->msg);
			snprintf(r->detail, sizeof r->detail, "timed out after %d s", timed_out_s);
			rc = PROV_TEMP;
		}
		record(ps, r, rc);
		*pr = r->next;
		ps->n--;
		run_free(r);
		return;
	}
}

void probes_free(struct probes *ps, int left_behind)
{
	if (!ps)
		return;
	while (ps->runs) {
		struct probe_run *r = ps->runs;
		ps->runs = r->next;
		if (!left_behind)
			run_free(r);   /* else a thread left behind may still use it: the process ends */
	}
	free(ps);
}
