/* The outbox table: CRM-side changes (appointments out, mail out, CRM folder work) queued for the
 * sync daemon. The web app enqueues (inside its own transaction) and reads the push state; the
 * engine claims and finishes items through src/sync/outbox.h. Every function returns 0 (or as
 * said) and -1 on a database error. Strings are borrowed unless said otherwise. */
#ifndef CORE_DB_OUTBOX_H
#define CORE_DB_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "core/db.h"
#include "core/items.h"

/* ---- Enqueue (web app, crmctl) -----------------------------------------------------------
 * Each makes a fresh idempotency key (32 lower-case hex digits, valid as Google's client event
 * id) that stays with the item across every retry, and sets wake on the user's active link so
 * the daemon acts at once. A user without an active link keeps the item pending until linked.
 * *id (may be NULL) gets the outbox row id. */

/* Queue a change of CRM appointment appointment_id for user_id's calendar; kind is
 * PUSH_EVENT_CREATE, _UPDATE or _DELETE. The push reads the appointment row when it runs, so:
 * an update is folded into a waiting update, or into a waiting create not yet attempted;
 * a delete while a never-attempted create waits cancels both (and *id is 0: nothing queued);
 * a delete drops the updates still waiting. Items already being pushed are never folded into. */
int db_outbox_event(struct db *db, int64_t user_id, int64_t appointment_id, enum push_kind kind,
    int64_t *id);

/* Queue raw (an RFC 5322 message from mime_build, with its Message-ID) to be sent through
 * user_id's mailbox. message_row_id is the messages row showing it as a Sent activity (0: none). */
int db_outbox_mail(struct db *db, int64_t user_id, int64_t message_row_id, const char *raw,
    size_t raw_len, int64_t *id);

/* Queue CRM folder work: PUSH_FOLDER_SETUP (provider_id NULL) or PUSH_FOLDER_MOVE of the
 * message provider_id to Processed. */
int db_outbox_folder(struct db *db, int64_t user_id, enum push_kind kind, const char *provider_id,
    int64_t *id);

/* Queue PUSH_EVENT_CREATE for each of user_id's CRM appointments (assigned to them, not
 * hidden or cancelled, starting at or after since) that the user's calendar does not know
 * (appointment_users.provider_id NULL) and that has no create waiting already: what was made
 * in the CRM before the calendar was linked. At most 500, soonest first. Returns how many were
 * queued, or -1. The user's event items waiting for a retry are made due at once (they may
 * have waited for the calendar to be known). Call inside a transaction. */
int db_outbox_backfill(struct db *db, int64_t user_id, int64_t since);

/* ---- Push state for the pages ------------------------------------------------------------ */

struct outbox_state {
	int64_t id;                 /* the row, for db_outbox_retry() */
	char kind[16];              /* "event_create", "mail_send", ... */
	char state[16];             /* "pending", "done" or "failed" */
	int attempts;
	int64_t next_attempt_at;    /* pending: when it is tried next (0: at once) */
	char *last_error;           /* owned, NULL when none; for done items a note such as
	                             * "changed at the provider; kept the provider's version" */
};
void outbox_state_free(struct outbox_state *s);
/* The newest item of the appointment / of the messages row. Returns 0, 1 when none, -1. */
int db_outbox_state_for_appointment(struct db *db, int64_t appointment_id,
    struct outbox_state *s);
int db_outbox_state_for_message(struct db *db, int64_t message_row_id, struct outbox_state *s);
/* Try a failed (or waiting) item again at once; wakes the link. Returns 0, 1 when there is no
 * such item or it is done, -1. */
int db_outbox_retry(struct db *db, int64_t id);

/* ---- For the engine (src/sync/outbox.c) ------------------------------------------------- */

struct outbox_row {
	int64_t id, user_id, link_id;   /* link_id: the user's active link at claim time */
	int64_t appointment_id, message_id;   /* 0 when none */
	enum push_kind kind;
	int attempts;                   /* counting the attempt just claimed */
	char *payload;                  /* owned JSON object text */
	char *idempotency_key;          /* owned */
};
void outbox_row_free(struct outbox_row *r);

/* Claim the oldest due item: pending, next_attempt_at <= now, not leased, its user's link
 * active, no older pending item of the same appointment, and no other item of the user in
 * flight. The claim holds a lease of lease_s seconds (a crashed daemon's items come back after
 * it) and counts an attempt. only_link non-zero: items of that link only. holder non-NULL:
 * items of links whose lease holder holds (db_leases.h) only, and the claim names it, so one
 * item goes out once however many daemons run and a gone holder's claims come back at once.
 * Returns 1 with *r filled, 0 when nothing is due, -1. */
int db_outbox_claim(struct db *db, int64_t now, int64_t lease_s, int64_t only_link,
    const char *holder, struct outbox_row *r);
/* Hand back a claim that was never finished (the daemon stops): pending again at once. */
int db_outbox_release(struct db *db, int64_t id, int64_t now);
/* Replace the item's payload (progress of a multi-step push). */
int db_outbox_set_payload(struct db *db, int64_t id, const char *payload, int64_t now);
/* End a claim: state "done", "failed" or "pending" (then next_attempt_at applies); note goes
 * to last_error (NULL clears it). */
int db_outbox_settle(struct db *db, int64_t id, const char *state, int64_t next_attempt_at,
    const char *note, int64_t now);
/* The provider refused the link's credentials: status 'relink' with the reason. */
int db_outbox_link_relink(struct db *db, int64_t link_id, const char *error, int64_t now);

/* The CRM appointment as the event to push: *e zeroed and filled (owned, release with
 * event_free): uid, start, duration, all-day, zone, title, location, description, cancelled,
 * organizer and attendees; *sequence grows with each CRM edit. Returns 0, 1 when the
 * appointment no longer exists, -1. */
int db_outbox_event_load(struct db *db, int64_t appointment_id, struct sync_event *e,
    int *sequence);
/* The provider id and etag under which the user's link knows the appointment (malloc'd, NULL
 * when unknown). Returns 0 or -1. */
int db_outbox_provider_ref(struct db *db, int64_t appointment_id, int64_t user_id,
    int64_t link_id, char **provider_id, char **etag);

const char *outbox_kind_name(enum push_kind k);
/* The push_kind of a kind name; -1 when unknown. */
int outbox_kind_parse(const char *name);

#endif
