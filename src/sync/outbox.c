/* The outbox for the engine: claim, the push item of a claimed row, and the outcome recorded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/db_sync.h"
#include "core/log.h"
#include "core/uid.h"
#include "providers/mime.h"
#include "sync/outbox.h"

#define NOTE_CONFLICT "changed at the provider; kept the provider's version"

int outbox_claim_for(struct db *db, int64_t now, int64_t only_link, const char *holder,
    struct outbox_job *job)
{
	memset(job, 0, sizeof *job);
	job->db = db;
	return db_outbox_claim(db, now, OUTBOX_LEASE_S, only_link, holder, &job->row);
}

int outbox_claim_due(struct db *db, int64_t now, struct outbox_job *job)
{
	return outbox_claim_for(db, now, 0, NULL, job);
}

enum stream outbox_stream_of(enum push_kind k)
{
	switch (k) {
	case PUSH_EVENT_CREATE:
	case PUSH_EVENT_UPDATE:
	case PUSH_EVENT_DELETE:
		return STREAM_EVENTS;
	case PUSH_MAIL_SEND:
		return STREAM_MAIL;
	case PUSH_FOLDER_SETUP:
	case PUSH_FOLDER_MOVE:
		break;
	}
	return STREAM_FOLDER;
}

/* push_item.save_progress: note progress in the payload at once, so a retry skips that step. */
static int save_progress(void *ctx, const char *progress)
{
	struct outbox_job *job = ctx;
	json_t *o = json_loads(job->row.payload, 0, NULL);
	int rc = -1;
	if (!json_is_object(o) || json_object_set_new(o, "progress", json_string(progress)) != 0)
		goto out;
	char *text = json_dumps(o, JSON_COMPACT);
	if (text && db_outbox_set_payload(job->db, job->row.id, text, time(NULL)) == 0) {
		free(job->row.payload);
		job->row.payload = text;
		text = NULL;
		rc = 0;
	}
	free(text);
out:
	if (rc != 0)
		log_warnx("outbox %lld: progress \"%s\" not recorded", (long long)job->row.id,
		    progress);
	json_decref(o);
	return rc;
}

static int perm(struct outbox_job *job, const char *why)
{
	snprintf(job->error, sizeof job->error, "%s", why);
	return PROV_PERM;
}

static int event_item(struct db *db, struct outbox_job *job, struct push_item *it)
{
	int rc = db_outbox_event_load(db, job->row.appointment_id, &job->ev, &it->sequence);
	if (rc < 0)
		return PROV_TEMP;
	if (rc > 0 || !job->row.appointment_id)
		return perm(job, "the appointment no longer exists");
	if (db_outbox_provider_ref(db, job->row.appointment_id, job->row.user_id, job->row.link_id,
	    &job->provider_id, &job->etag) != 0)
		return PROV_TEMP;
	if (db_sync_cursor_get(db, job->row.link_id, "events", &job->cursor) < 0)
		return PROV_TEMP;
	it->event = &job->ev;
	it->provider_id = job->provider_id;
	it->etag = job->etag;
	it->cursor = job->cursor;
	if (job->row.kind == PUSH_EVENT_CREATE)
		it->sequence = 0;
	return PROV_OK;
}

static int mail_item(struct db *db, struct outbox_job *job, json_t *payload, struct push_item *it)
{
	json_t *raw = json_object_get(payload, "raw");
	char err[128];
	if (!json_is_string(raw) || json_string_length(raw) == 0)
		return perm(job, "the message to send is missing");
	job->raw_len = json_string_length(raw);
	if (!(job->raw = malloc(job->raw_len + 1)))
		return PROV_TEMP;
	memcpy(job->raw, json_string_value(raw), job->raw_len);
	job->raw[job->raw_len] = 0;
	if (mime_parse(job->raw, job->raw_len, &job->mail, err, sizeof err) != 0)
		return perm(job, "the message to send is not a mail message");
	it->raw = job->raw;
	it->raw_len = job->raw_len;
	it->mail = &job->mail;
	/* a reply names its parent as the provider knows it (Nylas threads by that id) */
	if (job->mail.in_reply_to && db_sync_msg_provider_id(db, job->row.link_id,
	    job->mail.in_reply_to, &job->reply_to_id) < 0)
		return PROV_TEMP;
	it->reply_to_id = job->reply_to_id;
	return PROV_OK;
}

int outbox_job_item(struct db *db, struct outbox_job *job, struct push_item *it)
{
	json_t *payload = json_loads(job->row.payload ? job->row.payload : "{}", 0, NULL);
	int rc = PROV_OK;

	memset(it, 0, sizeof *it);
	job->db = db;
	it->kind = job->row.kind;
	it->idempotency_key = job->row.idempotency_key;
	it->save_progress = save_progress;
	it->progress_ctx = job;
	if (!json_is_object(payload)) {
		rc = perm(job, "the queued item is damaged");
		goto out;
	}
	const char *progress = json_string_value(json_object_get(payload, "progress"));
	if (progress && !(job->progress = strdup(progress))) {
		rc = PROV_TEMP;
		goto out;
	}
	it->progress = job->progress;
	switch (job->row.kind) {
	case PUSH_EVENT_CREATE:
	case PUSH_EVENT_UPDATE:
	case PUSH_EVENT_DELETE:
		rc = event_item(db, job, it);
		break;
	case PUSH_MAIL_SEND:
		rc = mail_item(db, job, payload, it);
		break;
	case PUSH_FOLDER_MOVE: {
		const char *pid = json_string_value(json_object_get(payload, "provider_id"));
		if (!pid || !(job->provider_id = strdup(pid)))
			rc = pid ? PROV_TEMP : perm(job, "no message to move");
		it->provider_id = job->provider_id;
		break;
	}
	case PUSH_FOLDER_SETUP:
		break;
	}
out:
	json_decref(payload);
	return rc;
}

/* Seconds to wait before the next attempt after a temporary failure. */
static long backoff(int attempts, int status, long retry_after)
{
	int shift = attempts > 1 ? attempts - 1 : 0;
	long wait = shift >= 7 ? OUTBOX_BACKOFF_CAP_S : (long)OUTBOX_BACKOFF_BASE_S << shift;
	if (wait > OUTBOX_BACKOFF_CAP_S)
		wait = OUTBOX_BACKOFF_CAP_S;
	if (status == PROV_RATE && retry_after > wait)
		wait = retry_after;
	return wait;
}

/* What a done push changes besides the row: the event's provider id and etag. */
static int record_done(struct db *db, const struct outbox_job *job, const struct push_result *res,
    const char **note)
{
	int is_event = outbox_stream_of(job->row.kind) == STREAM_EVENTS;
	if (res && res->conflict)
		*note = NOTE_CONFLICT;
	else if (res && res->gone)
		*note = job->row.kind == PUSH_EVENT_DELETE ? "already deleted at the provider" :
		    "deleted at the provider";
	if (job->row.kind == PUSH_MAIL_SEND && res && res->listed_id && job->row.message_id)
		/* the provider's id of the sent mail: its copy in Sent is then this same row */
		return db_sync_msg_user_add(db, job->row.message_id, job->row.user_id,
		    job->row.link_id, res->listed_id, "sent") < 0 ? -1 : 0;
	if (!is_event || job->row.kind == PUSH_EVENT_DELETE || *note || !job->row.appointment_id)
		return 0;
	const char *pid = res && res->provider_id ? res->provider_id : job->provider_id;
	if (!pid)
		return 0;
	if (db_sync_appt_user_set(db, job->row.appointment_id, job->row.user_id, job->row.link_id,
	    pid, res ? res->etag : NULL) != 0)
		return -1;
	/* The provider's own UID for it, so a colleague's calendar showing it joins this one. */
	char *uid = res && res->uid ? uid_canonical(res->uid) : NULL;
	int rc = uid ? db_sync_appt_alias_set(db, job->row.link_id, pid, job->row.appointment_id,
	    job->row.user_id, uid, 0) : 0;
	free(uid);
	return rc;
}

/* A sent mail's payload is the whole MIME, its files base64: once done it is replaced by the
 * Message-ID alone (the Sent message keeps the text and the files; a done item never goes
 * again). */
static int drop_sent_mime(struct db *db, const struct outbox_job *job, int64_t now)
{
	if (job->row.kind != PUSH_MAIL_SEND)
		return 0;
	json_t *o = json_pack("{s:s}", "sent", job->mail.message_id ? job->mail.message_id : "");
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc = text ? db_outbox_set_payload(db, job->row.id, text, now) : -1;
	free(text);
	json_decref(o);
	return rc;
}

int outbox_finish(struct db *db, const struct outbox_job *job, int status,
    const struct push_result *res, long retry_after, int64_t now)
{
	const char *why = res && res->error[0] ? res->error : job->error[0] ? job->error :
	    prov_status_str(status);
	const char *note = NULL;
	char buf[300];
	int rc = -1;

	if (db_begin(db) != 0)
		return -1;
	if (status == STEP_DONE || status == PROV_OK) {
		if (record_done(db, job, res, &note) != 0 || drop_sent_mime(db, job, now) != 0 ||
		    db_outbox_settle(db, job->row.id, "done", 0, note, now) != 0)
			goto out;
	} else if (status == PROV_PERM) {
		if (db_outbox_settle(db, job->row.id, "failed", 0, why, now) != 0)
			goto out;
	} else if (status == PROV_AUTH) {
		snprintf(buf, sizeof buf, "the provider refused the login: %s", why);
		if (db_outbox_settle(db, job->row.id, "pending", now, buf, now) != 0 ||
		    db_outbox_link_relink(db, job->row.link_id, buf, now) != 0)
			goto out;
	} else {
		long wait = backoff(job->row.attempts, status, retry_after);
		if (db_outbox_settle(db, job->row.id, "pending", now + wait, why, now) != 0)
			goto out;
		if (status == PROV_RATE && retry_after > 0 &&
		    db_sync_link_rate_limited(db, job->row.link_id, now + retry_after) != 0)
			goto out;
		if (status == PROV_RATE &&
		    db_sync_link_event(db, job->row.link_id, now, "rate_limited", 1) != 0)
			goto out;
	}
	rc = db_commit(db);
out:
	if (rc != 0)
		db_rollback(db);
	log_info("outbox %lld (%s, link %lld, attempt %d): %s%s%s", (long long)job->row.id,
	    outbox_kind_name(job->row.kind), (long long)job->row.link_id, job->row.attempts,
	    status == STEP_DONE || status == PROV_OK ? "done" : prov_status_str(status),
	    note || (status != STEP_DONE && status != PROV_OK) ? ": " : "",
	    note ? note : status != STEP_DONE && status != PROV_OK ? why : "");
	return rc;
}

void outbox_job_free(struct outbox_job *job)
{
	outbox_row_free(&job->row);
	event_free(&job->ev);
	msg_free(&job->mail);
	free(job->raw);
	free(job->provider_id);
	free(job->reply_to_id);
	free(job->etag);
	free(job->cursor);
	free(job->progress);
	memset(job, 0, sizeof *job);
}

void push_result_clear(struct push_result *res)
{
	free(res->provider_id);
	free(res->listed_id);
	free(res->etag);
	free(res->uid);
	memset(res, 0, sizeof *res);
}
