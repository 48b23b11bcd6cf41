/* skipped_items: recording, bounding and reading what the sync did not import (see
 * db_skipped.h and migration 15 in schema.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db_skipped.h"
#include "core/log.h"

static const char SQL_RECORD[] =
    "INSERT INTO skipped_items (link_id, provider_id, kind, item_id, item_at, from_email,"
    " addresses, subject, reason, detail, recorded_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    " ON CONFLICT (link_id, provider_id) DO UPDATE SET kind = excluded.kind,"
    " item_id = excluded.item_id, item_at = excluded.item_at, from_email = excluded.from_email,"
    " addresses = excluded.addresses, subject = excluded.subject, reason = excluded.reason,"
    " detail = excluded.detail, recorded_at = excluded.recorded_at";
static const char SQL_FORGET[] =
    "DELETE FROM skipped_items WHERE link_id = ?1 AND provider_id = ?2";
static const char SQL_HAS[] =
    "SELECT 1 FROM skipped_items WHERE link_id = ?1 AND provider_id = ?2";
static const char SQL_BOUND[] =
    "DELETE FROM skipped_items WHERE id IN (SELECT id FROM skipped_items WHERE link_id = ?1"
    " ORDER BY recorded_at DESC, id DESC LIMIT 9223372036854775807 OFFSET ?2)";   /* no limit, on both engines */
static const char SQL_PRUNE_OLD[] = "DELETE FROM skipped_items WHERE recorded_at < ?1";
static const char SQL_OVER_MAX[] =
    "SELECT link_id FROM skipped_items GROUP BY link_id HAVING count(*) > ?1";

#define COLS "s.id, s.link_id, s.kind, s.reason, s.provider_id, s.item_id, s.item_at," \
    " s.from_email, s.addresses, s.subject, s.detail, s.recorded_at, l.address, u.email"
#define FROM " FROM skipped_items s JOIN links l ON l.id = s.link_id JOIN users u ON u.id = l.user_id"
/* The user's links first, then their records by (link_id, item_at) (CROSS JOIN keeps that
 * order, so the list reads only the user's records, whatever the table holds). */
#define FROM_OWN " FROM links l CROSS JOIN skipped_items s JOIN users u ON u.id = l.user_id" \
    " WHERE s.link_id = l.id"
/* ?2: a LIKE pattern (escaped with \), '' for every record. */
#define MATCH " (?2 = '' OR s.addresses LIKE ?2 ESCAPE '\\'" \
	" OR lower(s.subject) LIKE lower(?2) ESCAPE '\\')"
static const char SQL_LIST[] =
    "SELECT " COLS FROM_OWN " AND l.user_id = ?1 AND" MATCH
    " ORDER BY s.item_at DESC, s.id DESC LIMIT ?3 OFFSET ?4";
static const char SQL_COUNT[] =
    "SELECT count(*)" FROM_OWN " AND l.user_id = ?1 AND" MATCH;
/* ?1 the bare id, ?2 the address between spaces, ?3 the id as given. */
static const char SQL_WHY[] =
    "SELECT " COLS FROM " WHERE s.item_id = ?1 OR s.provider_id = ?3 OR s.provider_id = ?1"
    " OR strpos(s.addresses, ?2) > 0"
    " ORDER BY s.item_at DESC, s.id DESC LIMIT ?4";
static const char SQL_IMPORTED_MAIL[] =
    "SELECT m.id, m.subject, u.email, coalesce(mu.link_id, 0), coalesce(mu.provider_id, ''),"
    " mu.hidden FROM messages m JOIN message_users mu ON mu.message_id = m.id"
    " JOIN users u ON u.id = mu.user_id WHERE m.message_id = ?1"
    " UNION SELECT m.id, m.subject, u.email, coalesce(mu.link_id, 0), mu.provider_id, mu.hidden"
    " FROM message_users mu JOIN messages m ON m.id = mu.message_id"
    " JOIN users u ON u.id = mu.user_id WHERE mu.provider_id IN (?1, ?2) ORDER BY 1, 3";
static const char SQL_IMPORTED_APPT[] =
    "SELECT a.id, a.title, u.email, coalesce(au.link_id, 0), coalesce(au.provider_id, ''),"
    " au.hidden FROM appointments a JOIN appointment_users au ON au.appointment_id = a.id"
    " JOIN users u ON u.id = au.user_id WHERE a.ical_uid = ?1"
    " UNION SELECT a.id, a.title, u.email, coalesce(au.link_id, 0), au.provider_id, au.hidden"
    " FROM appointment_users au JOIN appointments a ON a.id = au.appointment_id"
    " JOIN users u ON u.id = au.user_id WHERE au.provider_id IN (?1, ?2) ORDER BY 1, 3";

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

int db_skipped_record(struct db *db, int64_t link, const struct skipped_item *it, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_RECORD);
	if (!st || !it->provider_id)
		return -1;
	db_bind_int64(st, 1, link);
	if (DB_BOUND(db_bind_text(st, 2, it->provider_id)) ||
	    DB_BOUND(db_bind_text(st, 3, skip_kind_name(it->kind))) ||
	    DB_BOUND(db_bind_text(st, 4, or_empty(it->item_id))) ||
	    DB_BOUND(db_bind_int64(st, 5, it->item_at)) ||
	    DB_BOUND(db_bind_text(st, 6, or_empty(it->from_email))) ||
	    DB_BOUND(db_bind_text(st, 7, or_empty(it->addresses))) ||
	    DB_BOUND(db_bind_text(st, 8, or_empty(it->subject))) ||
	    DB_BOUND(db_bind_text(st, 9, skip_reason_code(it->reason))) ||
	    DB_BOUND(db_bind_text(st, 10, or_empty(it->detail))) ||
	    DB_BOUND(db_bind_int64(st, 11, now))) {
		db_reset(st);
		return -1;
	}
	return db_step_done(db, st);
}

int db_skipped_forget(struct db *db, int64_t link, const char *provider_id)
{
	struct db_stmt *st = db_stmt(db, SQL_FORGET);
	if (!st || !provider_id)
		return -1;
	db_bind_int64(st, 1, link);
	if (DB_BOUND(db_bind_text(st, 2, provider_id))) {
		db_reset(st);
		return -1;
	}
	return db_step_done(db, st);
}

int db_skipped_has(struct db *db, int64_t link, const char *provider_id)
{
	struct db_stmt *st = db_stmt(db, SQL_HAS);
	if (!st || !provider_id)
		return -1;
	db_bind_int64(st, 1, link);
	if (DB_BOUND(db_bind_text(st, 2, provider_id))) {
		db_reset(st);
		return -1;
	}
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

int db_skipped_bound(struct db *db, int64_t link, int64_t max)
{
	struct db_stmt *st = db_stmt(db, SQL_BOUND);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_int64(st, 2, max);
	if (db_step_done(db, st) != 0)
		return -1;
	return db_changes(db);
}

int db_skipped_prune(struct db *db, int64_t now, int days, int64_t max)
{
	struct db_stmt *st = db_stmt(db, SQL_PRUNE_OLD);
	int64_t links[64];
	size_t n = 0;
	if (!st)
		return -1;
	db_bind_int64(st, 1, now - (int64_t)days * 86400);
	if (db_step_done(db, st) != 0)
		return -1;
	int gone = db_changes(db);
	for (;;) {   /* links over the bound, 64 at a time */
		if (!(st = db_stmt(db, SQL_OVER_MAX)))
			return -1;
		db_bind_int64(st, 1, max);
		n = 0;
		int rc;
		while (n < sizeof links / sizeof links[0] && (rc = db_step(st)) == DB_ROW)
			links[n++] = db_col_int64(st, 0);
		db_reset(st);
		if (n == 0)
			return gone;
		for (size_t i = 0; i < n; i++) {
			int k = db_skipped_bound(db, links[i], max);
			if (k < 0)
				return -1;
			gone += k;
		}
	}
}

/* Copy the COLS of st's current row into a new item of out. 0 or -1 (out of memory). */
static int take_row(struct db_stmt *st, struct skipped_list *out)
{
	struct skipped_item *it = skipped_list_add(out);
	if (!it)
		return -1;
	it->id = db_col_int64(st, 0);
	it->link_id = db_col_int64(st, 1);
	const char *kind = (const char *)db_col_text(st, 2);
	it->kind = kind && strcmp(kind, "event") == 0 ? SKIP_EVENT : SKIP_MAIL;
	int r = skip_reason_parse((const char *)db_col_text(st, 3));
	it->reason = r < 0 ? SKIP_NO_CONTACT : (enum skip_reason)r;
	it->item_at = db_col_int64(st, 6);
	it->recorded_at = db_col_int64(st, 11);
	char **s[] = { &it->provider_id, &it->item_id, NULL, &it->from_email, &it->addresses,
	    &it->subject, &it->detail, NULL, &it->link_address, &it->user_email };
	for (int i = 0; i < 10; i++)
		if (s[i] && !(*s[i] = db_col_strdup(st, 4 + i)))
			return -1;
	return 0;
}

static int collect(struct db *db, struct db_stmt *st, struct skipped_list *out)
{
	int rc;
	while ((rc = db_step(st)) == DB_ROW)
		if (take_row(st, out) != 0) {
			db_reset(st);
			return -1;
		}
	db_reset(st);
	if (rc != DB_DONE) {
		log_warnx("db: skipped_items: %s", db_errmsg(db));
		return -1;
	}
	return 0;
}

/* q as a LIKE pattern "%q%" with %, _ and \ escaped by \ (malloc'd; "" for no q). */
static char *like_pattern(const char *q)
{
	size_t n = q ? strlen(q) : 0;
	char *p = malloc(2 * n + 3), *w = p;
	if (!p)
		return NULL;
	if (n) {
		*w++ = '%';
		for (size_t i = 0; i < n; i++) {
			if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
				*w++ = '\\';
			*w++ = q[i];
		}
		*w++ = '%';
	}
	*w = '\0';
	return p;
}

int db_skipped_list(struct db *db, int64_t user, const char *q, int limit, int offset,
    struct skipped_list *out, int64_t *total)
{
	char *pat = like_pattern(q);
	int rc = -1;
	if (!pat)
		return -1;
	struct db_stmt *st = db_stmt(db, SQL_LIST);
	if (!st)
		goto out;
	db_bind_int64(st, 1, user);
	if (DB_BOUND(db_bind_text(st, 2, pat))) {
		db_reset(st);
		goto out;
	}
	db_bind_int(st, 3, limit);
	db_bind_int(st, 4, offset);
	if (collect(db, st, out) != 0)
		goto out;
	if (total) {
		if (!(st = db_stmt(db, SQL_COUNT)))
			goto out;
		db_bind_int64(st, 1, user);
		if (DB_BOUND(db_bind_text(st, 2, pat))) {
			db_reset(st);
			goto out;
		}
		int r = db_step(st);
		*total = r == DB_ROW ? db_col_int64(st, 0) : 0;
		db_reset(st);
		if (r != DB_ROW)
			goto out;
	}
	rc = 0;
out:
	free(pat);
	return rc;
}

/* what without blanks and one pair of <> around it, into buf (lower-cased when lower). */
static void bare_id(const char *what, char *buf, size_t len, int lower)
{
	while (*what == ' ' || *what == '\t' || *what == '<')
		what++;
	size_t n = strlen(what);
	while (n && (what[n - 1] == ' ' || what[n - 1] == '\t' || what[n - 1] == '>'))
		n--;
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = lower && what[i] >= 'A' && what[i] <= 'Z' ? (char)(what[i] + 32) : what[i];
	buf[n] = '\0';
}

int db_skipped_why(struct db *db, const char *what, int limit, struct skipped_list *out)
{
	char bare[1024], addr[1030], low[1024];
	struct db_stmt *st = db_stmt(db, SQL_WHY);
	if (!st)
		return -1;
	bare_id(what, bare, sizeof bare, 0);
	bare_id(what, low, sizeof low, 1);
	snprintf(addr, sizeof addr, " %s ", low);
	if (DB_BOUND(db_bind_text(st, 1, bare)) || DB_BOUND(db_bind_text(st, 2, addr)) ||
	    DB_BOUND(db_bind_text(st, 3, what))) {
		db_reset(st);
		return -1;
	}
	db_bind_int(st, 4, limit);
	return collect(db, st, out);
}

static int add_line(char ***lines, size_t *n, char *line)
{
	char **nv = line ? realloc(*lines, (*n + 1) * sizeof *nv) : NULL;
	if (!nv) {
		free(line);
		return -1;
	}
	*lines = nv;
	nv[(*n)++] = line;
	return 0;
}

int db_skipped_imported(struct db *db, const char *what, char ***lines, size_t *n)
{
	static const char *const sql[2] = { SQL_IMPORTED_MAIL, SQL_IMPORTED_APPT };
	static const char *const kind[2] = { "mail", "appointment" };
	char bare[1024];
	bare_id(what, bare, sizeof bare, 0);
	for (int k = 0; k < 2; k++) {
		struct db_stmt *st = db_stmt(db, sql[k]);
		if (!st)
			return -1;
		if (DB_BOUND(db_bind_text(st, 1, bare)) || DB_BOUND(db_bind_text(st, 2, what))) {
			db_reset(st);
			return -1;
		}
		int rc;
		while ((rc = db_step(st)) == DB_ROW) {
			char *line = NULL;
			if (asprintf(&line, "%s %lld \"%s\" for %s (link %lld, %s)%s", kind[k],
			    (long long)db_col_int64(st, 0),
			    or_empty((const char *)db_col_text(st, 1)),
			    or_empty((const char *)db_col_text(st, 2)),
			    (long long)db_col_int64(st, 3),
			    or_empty((const char *)db_col_text(st, 4)),
			    db_col_int(st, 5) == 2 ? ", hidden by a blocklist" :
			    db_col_int(st, 5) ? ", hidden by the user" : "") < 0)
				line = NULL;
			if (add_line(lines, n, line) != 0) {
				db_reset(st);
				return -1;
			}
		}
		db_reset(st);
		if (rc != DB_DONE)
			return -1;
	}
	return 0;
}
