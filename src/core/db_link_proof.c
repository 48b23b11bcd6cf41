/* The proofs of IMAP links' addresses: SQL for the web app and crm-sync (db_link_proof.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db_link_proof.h"
#include "core/log.h"

static const char SQL_ADD_LINK[] =
    "INSERT INTO links (user_id, provider, address, settings, secret, linked_at, next_due_at,"
    " wake, proved_at) VALUES (?1, 'imap', ?2, ?3, ?4, ?5, 0, 0, NULL) RETURNING id";
static const char SQL_ADD_PROOF[] = "INSERT INTO link_proofs (link_id) VALUES (?)";
static const char SQL_GET[] =
    "SELECT p.link_id, l.user_id, coalesce(p.code_hash, ''), coalesce(p.sent_at, 0),"
    " p.expires_at, p.tries, p.tried_at, coalesce(p.proved_at, 0), coalesce(p.error, ''),"
    " l.address, l.status FROM link_proofs p JOIN links l ON l.id = p.link_id"
    " WHERE p.link_id = ?1 AND l.user_id = ?2";
static const char SQL_TRY[] =
    "UPDATE link_proofs SET tries = tries + 1, tried_at = ?2 WHERE link_id = ?1 AND tries = ?3";
static const char SQL_RESEND[] =
    "UPDATE link_proofs SET sent_at = NULL, code_hash = NULL, error = NULL, tries = 0"
    " WHERE link_id = ?1 AND proved_at IS NULL AND sent_at IS NOT NULL AND sent_at <= ?2";
static const char SQL_HOLDER[] =
    "SELECT count(*) FROM links o JOIN links l ON l.id = ?1 WHERE o.address = l.address"
    " AND o.id != l.id AND o.status != 'unlinked' AND o.proved_at IS NOT NULL";
static const char SQL_PROVE_LINK[] =
    "UPDATE links SET proved_at = ?2, wake = 1, next_due_at = 0 WHERE id = ?1"
    " AND proved_at IS NULL AND status = 'active'";
static const char SQL_PROVE[] =
    "UPDATE link_proofs SET proved_at = ?2, code_hash = NULL, error = NULL WHERE link_id = ?1";
static const char SQL_LOST_LINK[] =
    "UPDATE links SET status = 'unlinked', secret = NULL WHERE id = ?1 AND proved_at IS NULL";
static const char SQL_LOST[] =
    "UPDATE link_proofs SET code_hash = NULL, error = ?2 WHERE link_id = ?1";
/* The claims look first and write only when there is something (the engine asks at every
 * tick: no write transaction then), and the write claims only what still waits. */
static const char SQL_TO_SEND[] =
    "SELECT p.link_id FROM link_proofs p JOIN links l ON l.id = p.link_id"
    " WHERE p.sent_at IS NULL AND p.proved_at IS NULL AND l.status = 'active'"
    " AND l.proved_at IS NULL ORDER BY p.link_id LIMIT 1";
static const char SQL_CLAIM_SEND[] =
    "UPDATE link_proofs SET sent_at = ?2, code_hash = NULL, error = NULL, tries = 0"
    " WHERE link_id = ?1 AND sent_at IS NULL AND proved_at IS NULL";
static const char SQL_SENT[] =
    "UPDATE link_proofs SET code_hash = ?2, message_id = ?3, expires_at = ?4, tries = 0,"
    " tried_at = 0, checked_at = 0, error = NULL WHERE link_id = ?1";
static const char SQL_SEND_FAILED[] =
    "UPDATE link_proofs SET code_hash = NULL, error = ?2 WHERE link_id = ?1";
static const char SQL_TO_CHECK[] =
    "SELECT p.link_id, p.code_hash FROM link_proofs p JOIN links l ON l.id = p.link_id"
    " WHERE p.code_hash IS NOT NULL AND p.proved_at IS NULL AND p.expires_at > ?1"
    " AND p.checked_at <= ?1 - ?2 AND l.status = 'active' AND l.proved_at IS NULL"
    " ORDER BY p.checked_at, p.link_id LIMIT 1";
static const char SQL_CLAIM_CHECK[] =
    "UPDATE link_proofs SET checked_at = ?2 WHERE link_id = ?1 AND code_hash IS NOT NULL";

/* Bind ?1 = a, ?2 = b and step st to its end: 0 or -1. */
static int run2(struct db *db, const char *sql, int64_t a, int64_t b)
{
	struct db_stmt *st = db_stmt(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, a);
	db_bind_int64(st, 2, b);
	return db_step_done(db, st);
}

/* Bind ?1 = a, ?2 = text b and step st to its end: 0 or -1. */
static int run_text(struct db *db, const char *sql, int64_t a, const char *b)
{
	struct db_stmt *st = db_stmt(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, a);
	db_bind_text(st, 2, b);
	return db_step_done(db, st);
}

int db_link_proof_add_link(struct db *db, int64_t user_id, const char *address,
    const char *settings, const uint8_t *blob, size_t len, int64_t now, int64_t *id)
{
	if (db_begin(db) != 0)
		return -1;
	struct db_stmt *st = db_stmt(db, SQL_ADD_LINK);
	if (!st)
		goto fail;
	db_bind_int64(st, 1, user_id);
	db_bind_text(st, 2, address);
	db_bind_text(st, 3, settings ? settings : "{}");
	db_bind_blob(st, 4, blob, len);
	db_bind_int64(st, 5, now);
	if (db_step_id(db, st, id) != 0)
		goto fail;
	if (!(st = db_stmt(db, SQL_ADD_PROOF)))
		goto fail;
	db_bind_int64(st, 1, *id);
	if (db_step_done(db, st) != 0 || db_commit(db) != 0)
		goto fail;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

static void copy_col(char *dst, size_t size, struct db_stmt *st, int i)
{
	const char *s = db_col_text(st, i);
	snprintf(dst, size, "%s", s ? (const char *)s : "");
}

int db_link_proof_get(struct db *db, int64_t link_id, int64_t user_id, struct link_proof *p)
{
	struct db_stmt *st = db_stmt(db, SQL_GET);
	if (!st)
		return -1;
	memset(p, 0, sizeof *p);
	db_bind_int64(st, 1, link_id);
	db_bind_int64(st, 2, user_id);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		p->link_id = db_col_int64(st, 0);
		p->user_id = db_col_int64(st, 1);
		copy_col(p->code_hash, sizeof p->code_hash, st, 2);
		p->sent_at = db_col_int64(st, 3);
		p->expires_at = db_col_int64(st, 4);
		p->tries = db_col_int(st, 5);
		p->tried_at = db_col_int64(st, 6);
		p->proved_at = db_col_int64(st, 7);
		copy_col(p->error, sizeof p->error, st, 8);
		copy_col(p->address, sizeof p->address, st, 9);
		copy_col(p->link_status, sizeof p->link_status, st, 10);
	} else if (rc != DB_DONE) {
		log_warnx("db: link_proofs: %s", db_errmsg(db));
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : -1;
}

int db_link_proof_try(struct db *db, int64_t link_id, int tries, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_TRY);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link_id);
	db_bind_int64(st, 2, now);
	db_bind_int(st, 3, tries);
	if (db_step_done(db, st) != 0)
		return -1;
	return db_changes(db) == 1 ? 0 : 1;
}

int db_link_proof_resend(struct db *db, int64_t link_id, int64_t now)
{
	if (run2(db, SQL_RESEND, link_id, now - LINK_PROOF_RESEND_S) != 0)
		return -1;
	return db_changes(db) == 1 ? 0 : 1;
}

int db_link_proof_prove(struct db *db, int64_t link_id, int64_t now)
{
	if (db_begin(db) != 0)
		return -1;
	struct db_stmt *st = db_stmt(db, SQL_HOLDER);
	if (!st)
		goto fail;
	db_bind_int64(st, 1, link_id);
	int rc = db_step(st);
	int held = rc == DB_ROW ? db_col_int(st, 0) : -1;
	db_reset(st);
	if (held < 0)
		goto fail;
	if (held) {
		/* the address is proved by someone else: this link cannot hold it */
		if (run2(db, SQL_LOST_LINK, link_id, 0) != 0 || run_text(db, SQL_LOST, link_id,
		    "The address is proved, but it is already linked by another CRM user; "
		    "nothing was linked.") != 0 || db_commit(db) != 0)
			goto fail;
		return 1;
	}
	if (run2(db, SQL_PROVE_LINK, link_id, now) != 0)
		goto fail;
	if (db_changes(db) != 1) {
		db_rollback(db);
		return 1;
	}
	if (run2(db, SQL_PROVE, link_id, now) != 0 || db_commit(db) != 0)
		goto fail;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

/* The first row of look (binding ?1 = a, ?2 = b): 1 with *id (column 0) and, when text is not
 * NULL, column 1 into text[textlen]; 0 when none; -1. */
static int look_one(struct db *db, const char *look, int64_t a, int64_t b, int64_t *id,
    char *text, size_t textlen)
{
	struct db_stmt *st = db_stmt(db, look);
	if (!st)
		return -1;
	db_bind_int64(st, 1, a);
	db_bind_int64(st, 2, b);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_col_int64(st, 0);
		if (text)
			copy_col(text, textlen, st, 1);
	} else if (rc != DB_DONE) {
		log_warnx("db: link_proofs: %s", db_errmsg(db));
	}
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

int db_link_proof_claim_send(struct db *db, int64_t now, int64_t *link_id)
{
	int rc = look_one(db, SQL_TO_SEND, now, 0, link_id, NULL, 0);
	if (rc != 1)
		return rc;
	if (run2(db, SQL_CLAIM_SEND, *link_id, now) != 0)
		return -1;
	return db_changes(db) == 1;
}

int db_link_proof_sent(struct db *db, int64_t link_id, const char *code_hash,
    const char *message_id, int64_t expires_at)
{
	struct db_stmt *st = db_stmt(db, SQL_SENT);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link_id);
	db_bind_text(st, 2, code_hash);
	db_bind_text(st, 3, message_id);
	db_bind_int64(st, 4, expires_at);
	return db_step_done(db, st);
}

int db_link_proof_send_failed(struct db *db, int64_t link_id, const char *error)
{
	return run_text(db, SQL_SEND_FAILED, link_id, error);
}

int db_link_proof_claim_check(struct db *db, int64_t now, int every_s, int64_t *link_id,
    char code_hash[LINK_PROOF_HASH_LEN + 1])
{
	int rc = look_one(db, SQL_TO_CHECK, now, every_s, link_id, code_hash,
	    LINK_PROOF_HASH_LEN + 1);
	if (rc != 1)
		return rc;
	if (run2(db, SQL_CLAIM_CHECK, *link_id, now) != 0)
		return -1;
	return db_changes(db) == 1;
}
