/* blocklist and audit_log (see db_blocklist.h): the blocks, and the copies of imported mail and
 * meetings a block hides and its removal shows again. Which copies: the candidates are found by
 * the pattern's text in the item's addresses, then each is judged by blocklist_match against
 * its user's blocks: a copy is hidden when every contact linked to the item takes part only
 * under blocked addresses (a contact linked by hand, none of whose addresses take part, keeps
 * it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/db_blocklist.h"
#include "core/db_web.h"
#include "core/log.h"

#define COLS "b.id, b.scope = 'company', coalesce(b.user_id, 0), b.kind, b.pattern," \
	" coalesce(b.created_by, 0), b.created_at, u.email"
static const char SQL_FOR_USER[] =
    "SELECT " COLS " FROM blocklist b LEFT JOIN users u ON u.id = b.created_by"
    " WHERE b.user_id = ?1 OR b.scope = 'company' ORDER BY b.id";
static const char SQL_LIST[] =
    "SELECT " COLS " FROM blocklist b LEFT JOIN users u ON u.id = b.created_by"
    " WHERE (?1 = 1 AND b.scope = 'company') OR (?1 = 0 AND b.user_id = ?2) ORDER BY b.pattern";
static const char SQL_ID[] =
    "SELECT id FROM blocklist WHERE scope = CASE ?1 WHEN 1 THEN 'company' ELSE 'user' END"
    " AND coalesce(user_id, 0) = CASE ?1 WHEN 1 THEN 0 ELSE ?2 END AND pattern = ?3";
static const char SQL_ADD[] =
    "INSERT INTO blocklist (scope, user_id, pattern, kind, created_by, created_at)"
    " VALUES (CASE ?1 WHEN 1 THEN 'company' ELSE 'user' END, CASE ?1 WHEN 1 THEN NULL ELSE ?2 END,"
    " ?3, ?4, nullif(?5, 0), ?6) ON CONFLICT DO NOTHING";
static const char SQL_GET[] =
    "SELECT pattern, kind FROM blocklist WHERE id = ?3"
    " AND scope = CASE ?1 WHEN 1 THEN 'company' ELSE 'user' END"
    " AND coalesce(user_id, 0) = CASE ?1 WHEN 1 THEN 0 ELSE ?2 END";
static const char SQL_DEL[] = "DELETE FROM blocklist WHERE id = ?1";
static const char SQL_AUDIT[] =
    "INSERT INTO audit_log (at, actor_user_id, action, detail) VALUES (?1, nullif(?2, 0), ?3, ?4)";
static const char SQL_AUDIT_RECENT[] =
    "SELECT a.id, a.at, coalesce(u.email, CASE WHEN a.actor_user_id IS NULL THEN 'crmctl'"
    " ELSE 'a removed user' END), a.action, a.detail FROM audit_log a"
    " LEFT JOIN users u ON u.id = a.actor_user_id ORDER BY a.id DESC LIMIT ?1";
static const char SQL_EMAIL[] = "SELECT email FROM users WHERE id = ?1";
/* Items left out as blocked that name the pattern's text (?2), on user ?1's links (0: all),
 * queued to be fetched again (db_rematch.h) under one of their contacts, and their links woken:
 * the store judges each again with the blocks left. */
static const char SQL_REFETCH[] =
    "INSERT INTO rematch (link_id, provider_id, kind, contact_id, queued_at)"
    " SELECT s.link_id, s.provider_id, s.kind, min(ce.contact_id), ?3 FROM skipped_items s"
    " JOIN links l ON l.id = s.link_id JOIN skipped_addresses a ON a.item_id = s.id"
    " JOIN contact_emails ce ON ce.email = a.address"
    " WHERE s.reason = 'blocked' AND (?1 = 0 OR l.user_id = ?1) AND strpos(s.addresses, ?2) > 0"
    " GROUP BY s.id ON CONFLICT (link_id, provider_id) DO NOTHING";
static const char SQL_WAKE[] =
    "UPDATE links SET wake = 1 WHERE status = 'active' AND (?1 = 0 OR user_id = ?1)"
    " AND id IN (SELECT link_id FROM rematch)";

/* The copies of one kind of item: candidates holding the pattern's text (?3) with hidden = ?1
 * of user ?2 (0: everyone), the item's participants, the contacts linked to it with their
 * addresses, and the write of a copy's flag. */
struct item_sql {
	const char *what;
	const char *candidates, *people, *contacts, *set;
};
static const struct item_sql MAIL = {
	"mail",
	"SELECT mu.message_id, mu.user_id FROM message_users mu JOIN messages m"
	" ON m.id = mu.message_id WHERE mu.hidden = ?1 AND (?2 = 0 OR mu.user_id = ?2)"
	" AND strpos(lower(m.from_email || ' ' || m.to_list || ' ' || m.cc_list), ?3) > 0"
	" ORDER BY mu.user_id, mu.message_id",
	"SELECT from_email, to_list, cc_list FROM messages WHERE id = ?1",
	"SELECT mc.contact_id, ce.email FROM message_contacts mc LEFT JOIN contact_emails ce"
	" ON ce.contact_id = mc.contact_id WHERE mc.message_id = ?1 ORDER BY mc.contact_id",
	"UPDATE message_users SET hidden = ?3 WHERE message_id = ?1 AND user_id = ?2"
	" AND hidden = ?4",
};
static const struct item_sql MEETING = {
	"meeting",
	"SELECT au.appointment_id, au.user_id FROM appointment_users au JOIN appointments a"
	" ON a.id = au.appointment_id WHERE au.hidden = ?1 AND (?2 = 0 OR au.user_id = ?2)"
	" AND a.source = 'imported' AND (strpos(lower(coalesce(a.organizer_email, '')), ?3) > 0"
	" OR EXISTS (SELECT 1 FROM appointment_attendees aa WHERE aa.appointment_id = a.id"
	" AND strpos(lower(aa.email), ?3) > 0)) ORDER BY au.user_id, au.appointment_id",
	"SELECT lower(organizer_email), '', '' FROM appointments WHERE id = ?1"
	" UNION ALL SELECT lower(email), '', '' FROM appointment_attendees WHERE appointment_id = ?1",
	"SELECT ac.contact_id, ce.email FROM appointment_contacts ac LEFT JOIN contact_emails ce"
	" ON ce.contact_id = ac.contact_id WHERE ac.appointment_id = ?1 ORDER BY ac.contact_id",
	"UPDATE appointment_users SET hidden = ?3 WHERE appointment_id = ?1 AND user_id = ?2"
	" AND hidden = ?4",
};

static int db_fail(struct db *db, const char *what)
{
	log_warnx("db: blocklist: %s: %s", what, db_errmsg(db));
	return -1;
}

static int read_blocks(struct db *db, struct db_stmt *st, struct blocklist *out)
{
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *kind = (const char *)db_col_text(st, 3);
		const char *pat = (const char *)db_col_text(st, 4);
		struct block *b = blocklist_add(out, kind && strcmp(kind, "domain") == 0 ?
		    BLOCK_DOMAIN : BLOCK_ADDRESS, pat ? pat : "");
		if (!b)
			break;
		b->id = db_col_int64(st, 0);
		b->company = db_col_int(st, 1);
		b->user_id = db_col_int64(st, 2);
		b->created_by = db_col_int64(st, 5);
		b->created_at = db_col_int64(st, 6);
		if (!db_col_is_null(st, 7) && !(b->created_by_email =
		    db_col_strdup(st, 7)))
			break;
	}
	db_reset(st);
	if (rc != DB_DONE) {
		log_warnx("db: blocklist: %s", rc == DB_ROW ? "out of memory" :
		    db_errmsg(db));
		return -1;
	}
	return 0;
}

int db_blocklist_for_user(struct db *db, int64_t user, struct blocklist *out)
{
	struct db_stmt *st = db_stmt(db, SQL_FOR_USER);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user);
	return read_blocks(db, st, out);
}

int db_blocklist_list(struct db *db, int company, int64_t user, struct blocklist *out)
{
	struct db_stmt *st = db_stmt(db, SQL_LIST);
	if (!st)
		return -1;
	db_bind_int(st, 1, company ? 1 : 0);
	db_bind_int64(st, 2, user);
	return read_blocks(db, st, out);
}

int64_t db_blocklist_id(struct db *db, int company, int64_t user, const char *pattern)
{
	struct db_stmt *st = db_stmt(db, SQL_ID);
	if (!st)
		return -1;
	db_bind_int(st, 1, company ? 1 : 0);
	db_bind_int64(st, 2, user);
	if (DB_BOUND(db_bind_text(st, 3, pattern)) != 0) {
		db_reset(st);
		return -1;
	}
	int rc = db_step(st);
	int64_t id = rc == DB_ROW ? db_col_int64(st, 0) : 0;
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return db_fail(db, "find");
	return id;
}

int db_audit_add(struct db *db, int64_t now, int64_t actor, const char *action,
    const char *detail)
{
	struct db_stmt *st = db_stmt(db, SQL_AUDIT);
	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, actor);
	if (DB_BOUND(db_bind_text(st, 3, action)) != 0 || DB_BOUND(db_bind_text(st, 4, detail)) != 0) {
		db_reset(st);
		return -1;
	}
	return db_step_done(db, st);
}

int db_audit_recent(struct db *db, int limit, struct web_rows *out)
{
	struct db_stmt *st = db_stmt(db, SQL_AUDIT_RECENT);
	if (!st)
		return -1;
	db_bind_int(st, 1, limit);
	return db_web_rows_collect(db, st, 1, 4, out);
}

/* A growable list of strings (owned). */
struct names {
	char **v;
	size_t n, cap;
};

static void names_free(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int names_add(struct names *l, const char *s)
{
	char norm[320];
	if (!s || !addr_normalize(s, norm, sizeof norm) || !*norm)
		return 0;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		char **nv = realloc(l->v, ncap * sizeof *nv);
		if (!nv)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	if (!(l->v[l->n] = strdup(norm)))
		return -1;
	l->n++;
	return 0;
}

static int names_has(const struct names *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/* Add every address of a stored list ("Name <a@b>, c@d") to l. */
static int names_add_list(struct names *l, const char *list)
{
	struct addr *v = NULL;
	size_t n = 0;
	if (!list || !*list)
		return 0;
	if (addr_list_read(list, &v, &n) != 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = names_add(l, v[i].email);
	addr_list_free(v, n);
	return rc;
}

/* The item's participants into people. */
static int item_people(struct db *db, const struct item_sql *q, int64_t item, struct names *people)
{
	struct db_stmt *st = db_stmt(db, q->people);
	if (!st)
		return -1;
	db_bind_int64(st, 1, item);
	int rc, bad = 0;
	while ((rc = db_step(st)) == DB_ROW && !bad)
		bad = names_add(people, (const char *)db_col_text(st, 0)) != 0 ||
		    names_add_list(people, (const char *)db_col_text(st, 1)) != 0 ||
		    names_add_list(people, (const char *)db_col_text(st, 2)) != 0;
	db_reset(st);
	if (bad || (rc != DB_DONE && rc != DB_ROW))
		return bad ? -1 : db_fail(db, "participants");
	return 0;
}

/* 1 when the item has contacts and each takes part only under addresses bl blocks, 0 when
 * one takes part unblocked (or not at all: linked by hand), -1. */
static int only_blocked(struct db *db, const struct item_sql *q, int64_t item,
    const struct blocklist *bl)
{
	struct names people = { 0 };
	if (item_people(db, q, item, &people) != 0) {
		names_free(&people);
		return -1;
	}
	struct db_stmt *st = db_stmt(db, q->contacts);
	if (!st) {
		names_free(&people);
		return -1;
	}
	db_bind_int64(st, 1, item);
	int64_t cur = 0;
	int contacts = 0, in = 0, live = 0, rc;
	while (!live && (rc = db_step(st)) == DB_ROW) {
		int64_t contact = db_col_int64(st, 0);
		if (contact != cur) {
			if (contacts && !in)
				live = 1;   /* the previous one takes no part: linked by hand */
			cur = contact;
			contacts++;
			in = 0;
		}
		const char *email = (const char *)db_col_text(st, 1);
		if (live || !email || !names_has(&people, email))
			continue;
		in = 1;
		if (!blocklist_match(bl, email))
			live = 1;
	}
	if (contacts && !in)
		live = 1;
	if (live)
		rc = DB_DONE;
	db_reset(st);
	names_free(&people);
	if (rc != DB_DONE)
		return db_fail(db, "contacts");
	return contacts > 0 && !live;
}

struct copy {
	int64_t item, user;
};

/* The candidate copies (hidden = from) of user (0: all) whose item holds pattern's text. */
static int candidates(struct db *db, const struct item_sql *q, int from, int64_t user,
    const char *pattern, struct copy **out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	struct db_stmt *st = db_stmt(db, q->candidates);
	if (!st)
		return -1;
	db_bind_int(st, 1, from);
	db_bind_int64(st, 2, user);
	if (DB_BOUND(db_bind_text(st, 3, pattern)) != 0) {
		db_reset(st);
		return -1;
	}
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct copy *nv = realloc(*out, ncap * sizeof *nv);
			if (!nv)
				break;
			*out = nv;
			cap = ncap;
		}
		(*out)[(*n)++] = (struct copy){ db_col_int64(st, 0), db_col_int64(st, 1) };
	}
	db_reset(st);
	if (rc != DB_DONE) {
		free(*out);
		*out = NULL;
		return rc == DB_ROW ? -1 : db_fail(db, "candidates");
	}
	return 0;
}

/* Judge the candidate copies of one kind: hiding (from 0 to 2) those whose item is left with only
 * blocked contacts, or showing again (from 2 to 0) those that are not. Returns how many changed,
 * or -1. */
static long apply(struct db *db, const struct item_sql *q, int hide, int64_t user,
    const char *pattern)
{
	struct copy *v;
	size_t n;
	struct blocklist bl = { 0 };
	int64_t bl_user = -1;
	long changed = 0;
	if (candidates(db, q, hide ? 0 : 2, user, pattern, &v, &n) != 0)
		return -1;
	for (size_t i = 0; i < n && changed >= 0; i++) {
		if (v[i].user != bl_user) {
			blocklist_free(&bl);
			bl_user = v[i].user;
			if (db_blocklist_for_user(db, bl_user, &bl) != 0) {
				changed = -1;
				break;
			}
		}
		int ob = only_blocked(db, q, v[i].item, &bl);
		if (ob < 0) {
			changed = -1;
			break;
		}
		if (ob != hide)
			continue;
		struct db_stmt *st = db_stmt(db, q->set);
		if (!st) {
			changed = -1;
			break;
		}
		db_bind_int64(st, 1, v[i].item);
		db_bind_int64(st, 2, v[i].user);
		db_bind_int(st, 3, hide ? 2 : 0);
		db_bind_int(st, 4, hide ? 0 : 2);
		if (db_step_done(db, st) != 0)
			changed = -1;
		else
			changed += db_changes(db);
	}
	blocklist_free(&bl);
	free(v);
	return changed;
}

/* Hide or show again the copies the block of pattern touches; the total, or -1. */
static long apply_all(struct db *db, int hide, int64_t user, const char *pattern)
{
	long a = apply(db, &MAIL, hide, user, pattern);
	long b = a < 0 ? -1 : apply(db, &MEETING, hide, user, pattern);
	return b < 0 ? -1 : a + b;
}

/* "the company's" or "ann@example.com's" for the audit entry. */
static void whose(struct db *db, int company, int64_t user, char *out, size_t size)
{
	snprintf(out, size, company ? "the company's" : "user %lld's", (long long)user);
	struct db_stmt *st = company ? NULL : db_stmt(db, SQL_EMAIL);
	if (!st)
		return;
	db_bind_int64(st, 1, user);
	if (db_step(st) == DB_ROW && db_col_text(st, 0))
		snprintf(out, size, "%s's", (const char *)db_col_text(st, 0));
	db_reset(st);
}

static int audit(struct db *db, int64_t now, int64_t actor, const char *action, int company,
    int64_t user, enum block_kind kind, const char *pattern, long n, const char *done,
    long refetch)
{
	char who[300], detail[800], more[80] = "";
	whose(db, company, user, who, sizeof who);
	if (refetch)
		snprintf(more, sizeof more, ", %ld left out to fetch again", refetch);
	snprintf(detail, sizeof detail, "%s %s on %s blocklist: %ld item%s %s%s",
	    block_kind_name(kind), pattern, who, n, n == 1 ? "" : "s", done, more);
	return db_audit_add(db, now, actor, action, detail);
}

/* Queue the items left out as blocked that name pattern for fetching again; how many, or -1. */
static long refetch(struct db *db, int64_t user, const char *pattern, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_REFETCH);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user);
	db_bind_int64(st, 3, now);
	if (DB_BOUND(db_bind_text(st, 2, pattern)) != 0) {
		db_reset(st);
		return -1;
	}
	if (db_step_done(db, st) != 0)
		return -1;
	long n = db_changes(db);
	if (n == 0)
		return 0;
	if (!(st = db_stmt(db, SQL_WAKE)))
		return -1;
	db_bind_int64(st, 1, user);
	return db_step_done(db, st) == 0 ? n : -1;
}

int db_blocklist_add(struct db *db, int company, int64_t user, enum block_kind kind,
    const char *pattern, int64_t actor, int64_t now, long *hidden)
{
	*hidden = 0;
	if (db_begin(db) != 0)
		return -1;
	struct db_stmt *st = db_stmt(db, SQL_ADD);
	if (!st)
		goto fail;
	db_bind_int(st, 1, company ? 1 : 0);
	db_bind_int64(st, 2, user);
	db_bind_int64(st, 5, actor);
	db_bind_int64(st, 6, now);
	if (DB_BOUND(db_bind_text(st, 3, pattern)) != 0 ||
	    DB_BOUND(db_bind_text(st, 4, block_kind_name(kind))) != 0) {
		db_reset(st);
		goto fail;
	}
	if (db_step_done(db, st) != 0)
		goto fail;
	if (db_changes(db) == 0) {
		db_rollback(db);
		return 0;
	}
	long n = apply_all(db, 1, company ? 0 : user, pattern);
	if (n < 0 || audit(db, now, actor, "block_add", company, user, kind, pattern, n,
	    "hidden", 0) != 0 || db_commit(db) != 0)
		goto fail;
	*hidden = n;
	return 1;
fail:
	db_rollback(db);
	return -1;
}

int db_blocklist_remove(struct db *db, int company, int64_t user, int64_t id, int64_t actor,
    int64_t now, long *shown, long *queued)
{
	char pattern[320];
	enum block_kind kind;
	*shown = *queued = 0;
	if (db_begin(db) != 0)
		return -1;
	struct db_stmt *st = db_stmt(db, SQL_GET);
	if (!st)
		goto fail;
	db_bind_int(st, 1, company ? 1 : 0);
	db_bind_int64(st, 2, user);
	db_bind_int64(st, 3, id);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		snprintf(pattern, sizeof pattern, "%s", (const char *)db_col_text(st, 0));
		const char *k = (const char *)db_col_text(st, 1);
		kind = k && strcmp(k, "domain") == 0 ? BLOCK_DOMAIN : BLOCK_ADDRESS;
	}
	db_reset(st);
	if (rc == DB_DONE) {
		db_rollback(db);
		return 0;
	}
	if (rc != DB_ROW) {
		db_fail(db, "read");
		goto fail;
	}
	if (!(st = db_stmt(db, SQL_DEL)))
		goto fail;
	db_bind_int64(st, 1, id);
	if (db_step_done(db, st) != 0)
		goto fail;
	long n = apply_all(db, 0, company ? 0 : user, pattern);
	long again = n < 0 ? -1 : refetch(db, company ? 0 : user, pattern, now);
	if (again < 0 || audit(db, now, actor, "block_remove", company, user, kind, pattern, n,
	    "shown again", again) != 0 || db_commit(db) != 0)
		goto fail;
	*shown = n;
	*queued = again;
	return 1;
fail:
	db_rollback(db);
	return -1;
}
