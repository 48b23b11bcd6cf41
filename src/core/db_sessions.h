/* Web sessions (only a hash of the cookie token is stored) and login throttling. */
#ifndef CORE_DB_SESSIONS_H
#define CORE_DB_SESSIONS_H

#include <stdint.h>
#include "core/db.h"

#define SESSION_TOKEN_MAX 64   /* cookie token and CSRF token, with NUL */

/* Create a session for user_id lasting hours. Writes the cookie token and the CSRF token
 * (both NUL-terminated, SESSION_TOKEN_MAX bytes each). Returns 0 or -1. */
int db_sessions_create(struct db *db, int64_t user_id, int hours, char token[SESSION_TOKEN_MAX],
    char csrf[SESSION_TOKEN_MAX]);
/* Look up a live session by cookie token. Returns 0 with *user_id and csrf set, 1 when there
 * is none (unknown or expired), -1 on error. */
int db_sessions_get(struct db *db, const char *token, int64_t *user_id,
    char csrf[SESSION_TOKEN_MAX]);
/* End the session of token (no error when it does not exist). Returns 0 or -1. */
int db_sessions_delete(struct db *db, const char *token);
/* Remove expired sessions and stale login failures. Returns 0 or -1. */
int db_sessions_purge(struct db *db, int64_t now);

/* Login throttling per key (web/page_login.c says which keys and which delays). */
/* 1 when key is locked at now (with *until set), 0 when not, -1 on error. */
int db_login_locked(struct db *db, const char *key, int64_t now, int64_t *until);
/* Count a failure for key (a count older than window seconds starts again at 1); the count
 * into *failures. Returns 0 or -1. */
int db_login_failed(struct db *db, const char *key, int64_t now, int window, int *failures);
/* Lock key until the time until. Returns 0 or -1. */
int db_login_lock(struct db *db, const char *key, int64_t until);
/* Forget key's failures after a successful login. Returns 0 or -1. */
int db_login_clear(struct db *db, const char *key);

#endif
