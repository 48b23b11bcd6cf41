/* The web app's SQL around linking a mailbox: single-use OAuth states, resync / unlink of a link,
 * the Sync settings (streams, calendar privacy and shares), sync health, and the lookups that
 * webhooks verify callers with (push channels, Nylas grants). Implemented in db_link_flow.c;
 * every function returns 0 (or as said) and -1 on a database error. Strings borrowed. */
#ifndef CORE_DB_LINK_FLOW_H
#define CORE_DB_LINK_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "core/db.h"
#include "core/db_web.h"
#include "core/models.h"

#define OAUTH_STATE_TTL 600   /* seconds a started link flow may take */

/* ---- OAuth states ----------------------------------------------------------------------- */

struct oauth_state {
	int64_t user_id, expires_at;
	char session_hash[65];    /* SHA-256 hex of the session cookie that started the flow */
	char provider[16];
	char verifier[96];        /* PKCE code_verifier */
	char purpose[8];          /* "link" or "resync" */
};

/* Remember a started flow (expires OAUTH_STATE_TTL seconds after now); old ones are purged. */
int db_oauth_state_add(struct db *db, const char *state, const struct oauth_state *s,
    int64_t now);
/* Take the state out (it is deleted whatever it holds: single use). Returns 0 with *s filled,
 * 1 when there is no such state, -1. */
int db_oauth_state_take(struct db *db, const char *state, struct oauth_state *s);

/* ---- Links ------------------------------------------------------------------------------ */

/* Resync: a new secret for the same mailbox; the row, cursors and history stay. The link
 * becomes active again (failures and last error cleared) and is woken. settings may be NULL
 * (unchanged). */
int db_link_resync(struct db *db, int64_t link, const uint8_t *blob, size_t len,
    const char *settings);
/* Unlink: status 'unlinked', secret and cursors and push channels deleted, history kept. */
int db_link_unlink(struct db *db, int64_t link);
/* Which streams the link syncs. */
int db_link_set_streams(struct db *db, int64_t link, int email, int calendar, int folder);
/* The active link whose settings hold this Nylas grant_id: its id, 0 when none, -1. */
int64_t db_link_by_grant(struct db *db, const char *grant_id);
/* A push channel (Google channel id / Graph subscription id): 0 with its link and token
 * (malloc'd, *token_out) set, 1 when unknown (or its link is not active), -1. */
int db_push_channel_find(struct db *db, const char *channel_id, int64_t *link, char **token_out);

/* ---- Sync health ------------------------------------------------------------------------ */

/* Why a link is unhealthy at now, or NULL when it is fine (pure): status relink, a cursor
 * refused within three poll intervals, an IMAP link whose address is not proved (provider
 * and proved_at read), or no successful pass for three poll intervals. */
const char *link_health_problem(const struct link *l, int poll_interval, int64_t now);
/* link_health_problem()'s answer when the provider refused the cursor (compare the pointer). */
extern const char link_health_cursor_refused[];
/* 1 when the user's current link is unhealthy, 0 when fine or none, -1. One indexed read. */
int db_link_health_flag(struct db *db, int64_t user_id, int poll_interval, int64_t now);

/* ---- Calendar privacy ------------------------------------------------------------------- */

int db_user_set_privacy(struct db *db, int64_t user_id, const char *privacy);
/* Other users: c[0] name, c[1] e-mail, c[2] "1" when owner shares their calendar with them. */
int db_user_colleagues(struct db *db, int64_t owner, struct web_rows *out);
/* Replace the owner's shares with viewers (ids not naming another user are ignored). */
int db_user_shares_set(struct db *db, int64_t owner, const int64_t *viewers, size_t n);

#endif
