/* The outbox as the engine drives it: claim a due item, build its push_item, run the driver's
 * push step machine, and record the outcome (provider ids, back-off, failure, re-link).
 *
 * How the engine's loop drives one job (HTTP goes through the curl multi pool like a pull):
 *
 *   struct outbox_job job; struct push_item it; struct push_result res = { 0 };
 *   if (outbox_claim_due(db, time(NULL), &job) != 1) return;          // nothing due
 *   const struct provider *drv = <driver of job.row.kind's stream for the link>;
 *   int rc = outbox_job_item(db, &job, &it);                           // PROV_OK or a class
 *   if (rc == PROV_OK) rc = drv->push_begin(&pl, &it, &res, &pass);   // pl: the link's prov_link
 *   req = {0}; resp = NULL;
 *   while (rc == PROV_OK && ((rc = drv->push_step(pass, resp, &req, &out, &retry_after))
 *       == STEP_MORE || rc == STEP_PAGE))                              // out: struct step_out
 *       resp = <record out.secret, out.progress; perform req, wait>;  // async in the real loop
 *   outbox_finish(db, &job, rc, &res, retry_after, time(NULL));       // rc: STEP_DONE or class
 *   if (pass) drv->end(pass);  push_result_clear(&res);  outbox_job_free(&job);
 *
 * Which stream serves a kind: outbox_stream_of(). A push hands back no page.
 * src/sync/push.c is that loop inside the engine. */
#ifndef SYNC_OUTBOX_H
#define SYNC_OUTBOX_H

#include <stdint.h>

#include "core/db.h"
#include "core/db_outbox.h"
#include "providers/provider.h"

#define OUTBOX_LEASE_S 600          /* a claimed item comes back after this if never finished */
#define OUTBOX_BACKOFF_BASE_S 30    /* first retry after a temporary failure */
#define OUTBOX_BACKOFF_CAP_S 3600   /* then doubling up to this, and every this long for ever */

/* One claimed item and everything its push_item points at (owned). */
struct outbox_job {
	struct outbox_row row;
	struct db *db;                  /* borrowed: where save_progress writes */
	struct sync_event ev;           /* CREATE/UPDATE/DELETE: the appointment */
	struct sync_msg mail;           /* MAIL_SEND: raw parsed */
	char *raw;
	size_t raw_len;
	char *provider_id, *etag;       /* UPDATE/DELETE: from appointment_users; FOLDER_MOVE */
	char *cursor;                   /* the link's events cursor */
	char *reply_to_id;              /* MAIL_SEND: the link's id of the answered message */
	char *progress;                 /* from the payload, NULL when none */
	char error[256];                /* why outbox_job_item() refused */
};

/* Claim the oldest due item (see db_outbox_claim) into *job. Returns 1, 0 when none, -1. */
int outbox_claim_due(struct db *db, int64_t now, struct outbox_job *job);
/* The same for one link only (only_link 0: any), and with holder (non-NULL) for the links whose
 * lease it holds only (several daemons on one database, db_leases.h). */
int outbox_claim_for(struct db *db, int64_t now, int64_t only_link, const char *holder,
    struct outbox_job *job);

/* The stream whose driver pushes this kind (STREAM_EVENTS, STREAM_MAIL, STREAM_FOLDER). */
enum stream outbox_stream_of(enum push_kind k);

/* Fill *it from the job (the appointment row and attendees, the raw mail, provider id and
 * etag, the events cursor, progress and its callback). *it borrows from job until
 * outbox_job_free(). Returns PROV_OK, PROV_TEMP (database trouble) or PROV_PERM with
 * job->error (the appointment is gone, the payload is unusable): pass it to outbox_finish. */
int outbox_job_item(struct db *db, struct outbox_job *job, struct push_item *it);

/* Record the outcome. status: STEP_DONE (or PROV_OK) with *res, or a prov_status; res may be
 * NULL for an error that came before push_begin. Done: for events the provider id and etag are
 * stored on appointment_users (appointment, user, link) so the next pull updates the same
 * appointment; a conflict is done with the note "changed at the provider; kept the provider's
 * version". TEMP/RATE/CURSOR: pending again after an exponential back-off (RATE: at least
 * retry_after), never dropped. AUTH: pending, and the link is marked 'relink'. PERM: failed with
 * the reason. Returns 0 or -1. */
int outbox_finish(struct db *db, const struct outbox_job *job, int status,
    const struct push_result *res, long retry_after, int64_t now);

void outbox_job_free(struct outbox_job *job);
void push_result_clear(struct push_result *res);   /* frees the strings, zeroes */

#endif
