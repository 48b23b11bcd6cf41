/* Login tests of the IMAP + CalDAV link form, queued by the web app and run by crm-sync (table
 * link_probes). pending -> running (claimed by crm-sync) -> ok | failed; an ok test becomes
 * saved when the web app takes its secret to save the link. Every function returns 0 (or as
 * said) and -1 on a database error; strings are borrowed unless said. */
#ifndef CORE_DB_LINK_PROBE_H
#define CORE_DB_LINK_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "core/db.h"

#define LINK_PROBE_PICKUP_S 30    /* how long a queued test may wait for crm-sync to take it */
#define LINK_PROBE_KEEP_S 3600    /* rows are deleted this long after they were made */

struct link_probe {
	int64_t id, user_id, created_at, expires_at;
	char purpose[8];              /* "link" or "resync" */
	char state[8];                /* "pending", "running", "ok", "failed", "saved" */
	char *address;                /* owned: the mailbox address, normalized */
	char *settings;               /* owned: the settings JSON the link gets */
	char *error;                  /* owned: the failure for the user, or NULL */
	uint8_t *secret;              /* owned: the sealed secret (db_link_probe_claim only) */
	size_t secret_len;
};
void link_probe_free(struct link_probe *p);

/* ---- The web app ------------------------------------------------------------------------ */

/* Queue a test for user_id: purpose, address, settings as in struct link_probe, the sealed
 * secret blob; it expires timeout_s + LINK_PROBE_PICKUP_S after now. Old rows are purged
 * first. *id gets the new row's id. */
int db_link_probe_add(struct db *db, int64_t user_id, const char *purpose, const char *address,
    const char *settings, const uint8_t *blob, size_t len, int timeout_s, int64_t now,
    int64_t *id);
/* How many tests user_id queued at or after since; -1. */
int db_link_probe_count_since(struct db *db, int64_t user_id, int64_t since);
/* The test id if it belongs to user_id (its secret is not read): 0 with *p filled, 1 when
 * there is none, -1. */
int db_link_probe_get(struct db *db, int64_t id, int64_t user_id, struct link_probe *p);
/* Take the sealed secret of user_id's succeeded test id once (it becomes 'saved' and loses the
 * secret): 0 with *blob (malloc'd) and *len set, 1 when it is not (or no longer) 'ok', -1. */
int db_link_probe_take(struct db *db, int64_t id, int64_t user_id, uint8_t **blob, size_t *len);
/* A saved test whose link was refused after all: 'failed' with message. */
int db_link_probe_refused(struct db *db, int64_t id, const char *message);

/* ---- crm-sync --------------------------------------------------------------------------- */

/* Claim the oldest queued test that can still finish timeout_s from now before it expires: 1
 * with *p filled (secret included; state 'running'), 0 when none waits, -1. */
int db_link_probe_claim(struct db *db, int64_t now, int timeout_s, struct link_probe *p);
/* The outcome of a running test: ok keeps its secret for the web app, a failure (message for
 * the user) drops it. */
int db_link_probe_finish(struct db *db, int64_t id, int ok, const char *message, int64_t now);
/* Expired tests not yet saved fail with message and lose their secret (a test that worked but
 * whose page was left keeps it no longer than that); rows made LINK_PROBE_KEEP_S before now
 * are deleted. */
int db_link_probe_purge(struct db *db, int64_t now, const char *message);

#endif
