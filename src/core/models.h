/* The CRM's records as the programs see them, and their database functions
 * (db_<table>_<verb>, implemented in src/core/db_<table>.c). Strings in a struct are owned by
 * it and released by its _free function. */
#ifndef CORE_MODELS_H
#define CORE_MODELS_H

#include <stdint.h>
#include "core/db.h"

struct user {
	int64_t id;
	char *name, *email, *role, *title, *time_zone, *calendar_privacy;
};
void user_free(struct user *u);

/* Add a user; password is hashed with argon2id. Returns 0, or -1 (duplicate e-mail, bad zone). */
int db_users_add(struct db *db, const char *name, const char *email, const char *password,
    const char *role, const char *time_zone, int64_t *id);
/* Set the password of the user with email and end all their sessions, in one transaction.
 * Returns 0, or -1 (no such user, database error). */
int db_users_set_password(struct db *db, const char *email, const char *password);
/* Load by id / e-mail into *u. Returns 0, 1 when not found, -1 on error. */
int db_users_get(struct db *db, int64_t id, struct user *u);
int db_users_get_by_email(struct db *db, const char *email, struct user *u);
/* Call each(ctx, user) for every user by id; stops at the first non-zero answer, which it
 * returns. Returns 0, that answer, or -1 on a database error. */
int db_users_list(struct db *db, int (*each)(void *ctx, const struct user *u), void *ctx);
/* Check a password; returns 0 and the user id when it matches, 1 when not, -1 on error. */
int db_users_check_password(struct db *db, const char *email, const char *password, int64_t *id);

struct account {
	int64_t id;
	char *number, *name, *address1, *address2, *city, *state, *zip, *status, *division,
	    *account_manager, *class_, *bill_group, *billing_mode, *billing_cycle, *billed_thru;
	int64_t aging[6];   /* cents: current, 1-30, 31-60, 61-90, 91-120, 120+ */
};
void account_free(struct account *a);
/* Insert or update by number; sets a->id. Returns 0 or -1. */
int db_accounts_upsert(struct db *db, struct account *a);
/* Returns 0, 1 when not found, -1 on error. */
int db_accounts_get_by_number(struct db *db, const char *number, struct account *a);
int db_accounts_get(struct db *db, int64_t id, struct account *a);

/* Insert or update the contact (account, name) with its phone and e-mail addresses (already
 * normalized; replaces the old set). Returns 0 or -1; sets *id. */
int db_contacts_upsert(struct db *db, int64_t account_id, const char *name, const char *phone,
    const char *const *emails, size_t n_emails, int64_t *id);
/* Give the contact (account, name) the address email (normalized), creating the contact when
 * there is none, keeping its other addresses; *added (may be NULL) is 1 when the address is new
 * to it. A new address queues the contact's earlier items again (re-match, db_rematch.h). */
int db_contacts_add_email(struct db *db, int64_t account_id, const char *name,
    const char *email, int64_t *id, int *added);
/* The account whose number, else whose name, is number_or_name: its id, 0 when none, -1. */
int64_t db_accounts_find(struct db *db, const char *number_or_name);
/* 1 when the account has a contact of that name, 0 when not, -1 on error. */
int db_contacts_exists(struct db *db, int64_t account_id, const char *name);

struct link {
	int64_t id, user_id;
	char *provider, *address, *status, *settings, *last_error;
	char *owner_tz;      /* the linked user's time zone */
	int sync_email, sync_calendar, sync_folder, backfill_days, failures;
	int64_t linked_at, last_success_at, last_attempt_at, next_due_at, items_imported;
	int64_t cursor_refused_at;
	int64_t rate_limited_until;  /* 0, or when a rate limit lets sync try again */
	int64_t items_skipped;       /* broken items passes skipped (each logged once) */
	int64_t proved_at;           /* 0: an IMAP link whose address is not proved yet */
	uint8_t *secret;     /* sealed blob, see crypto.h */
	size_t secret_len;
};
void link_free(struct link *l);
/* Create a link (status active, due at once). secret_blob may be NULL. Returns 0, or -1
 * (the address or the user already has an active link: check with db_links_find_address). */
int db_links_add(struct db *db, int64_t user_id, const char *provider, const char *address,
    const char *settings, const uint8_t *secret_blob, size_t secret_len, int64_t *id);
/* Returns 0, 1 when not found, -1 on error. */
int db_links_get(struct db *db, int64_t id, struct link *l);
/* The user's current (not unlinked) link. Returns 0, 1 when none, -1 on error. */
int db_links_get_for_user(struct db *db, int64_t user_id, struct link *l);
/* Call each(ctx, link, its user's e-mail) for every link by id (unlinked ones too); stops at
 * the first non-zero answer, which it returns. Returns 0, that answer, or -1. */
int db_links_list(struct db *db, int (*each)(void *ctx, const struct link *l,
    const char *user_email), void *ctx);
/* The user id holding a proved (not unlinked) link to address, or 0 when free: a link whose
 * address is not proved yet holds nothing. -1 on error. */
int64_t db_links_find_address(struct db *db, const char *address);
/* Ask the sync daemon to sync this link at once. Returns 0 or -1. */
int db_links_wake(struct db *db, int64_t id);

/* Company name and default zone. */
int db_company_set(struct db *db, const char *name, const char *time_zone);

#endif
