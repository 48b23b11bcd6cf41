/* Calendar queries: one statement per scope and kind, with the privacy rule written once. None
 * has an ORDER BY: db_calendar_items sorts the rows it collects, which is much cheaper than
 * SQLite's sorter copying every wide row into a temp b-tree. */
#include <stdlib.h>
#include <string.h>

#include "core/db_calendar.h"
#include "core/log.h"
#include "core/visibility.h"

/* Whether user row o's calendar is open to the viewer (?4): own, public, or shared. */
#define VISIBLE_O VIS_COPY("o.id", "?4")

#define APPT_COLS "a.id, a.start_at, a.duration_min, a.all_day, a.title, a.regarding," \
	" (SELECT name FROM users WHERE id = coalesce(a.assigned_user_id, (SELECT min(user_id) FROM" \
	" appointment_users WHERE appointment_id = a.id)))," \
	" " VIS_APPT("a", "?4")
/* Timed appointments by instant; all-day ones by date: those that start on a date before ?6
 * (date_to) and end after ?7 (date_from), found from ?5 (date_from less the longest span). */
#define APPT_WHERE " FROM appointments a WHERE a.hidden = 0 AND a.cancelled = 0" \
	" AND ((a.all_day = 0 AND a.start_at >= ?1 AND a.start_at < ?2) OR (a.all_day = 1" \
	" AND a.start_at >= ?5 AND a.start_at < ?6" \
	" AND a.start_at + greatest(1, (a.duration_min + 1439) / 1440) * 86400 > ?7)) AND "

/* A thread is listed by the first of its messages the viewer may see (m): its day, subject and
 * id; the user is the owner of a copy of m the viewer sees, the viewer first (their own copy,
 * else the lowest user id: the primary key's order, so no sort per row). */
#define MSG_COLS "m.thread_id, m.sent_at, m.subject, t.regarding, m.id," MSG_USER
#define MSG_USER " coalesce((SELECT o.name FROM message_users mu JOIN users o ON o.id = mu.user_id" \
	" WHERE mu.message_id = m.id AND mu.user_id = ?4 AND mu.hidden = 0)," \
	" (SELECT o.name FROM message_users mu JOIN users o ON o.id = mu.user_id" \
	" WHERE mu.message_id = m.id AND mu.hidden = 0 AND " VIS_COPY("mu.user_id", "?4") \
	" ORDER BY mu.user_id LIMIT 1))"
#define MSG_FROM " FROM messages m JOIN threads t ON t.id = m.thread_id" \
	" WHERE m.sent_at >= ?1 AND m.sent_at < ?2 AND "
/* No earlier message p of m's thread passes test (p is the message). The sent_at <= bound lets
 * messages_by_thread find the earlier ones by range rather than read the whole thread. */
#define FIRST_OF_THREAD(test) " AND NOT EXISTS (SELECT 1 FROM messages p WHERE" \
	" p.thread_id = m.thread_id AND p.sent_at <= m.sent_at AND (p.sent_at < m.sent_at" \
	" OR p.id < m.id) AND " test ")"
/* A message of the user's (?3) own mailbox: their copy, not hidden. */
#define USER_COPY(msg) "EXISTS (SELECT 1 FROM message_users uc WHERE uc.message_id = " msg \
	" AND uc.user_id = ?3 AND uc.hidden = 0)"

/* On a user's calendar the owner and the privacy are the same for every row: computed once
 * (uncorrelated subqueries), which makes a full month several times cheaper. The owner's name is
 * bound (?8, SQL_OWNER_NAME): a subquery's text would be copied into every row. */
static const char SQL_OWNER_NAME[] = "SELECT name FROM users WHERE id = ?1";
static const char SQL_APPTS_USER[] = "SELECT a.id, a.start_at, a.duration_min, a.all_day, a.title,"
    " a.regarding, ?8,"
    " (SELECT " VISIBLE_O " FROM users o WHERE o.id = ?3)" APPT_WHERE
    APPT_MINE("a", "?3");
static const char SQL_APPTS_ACCOUNT[] = "SELECT " APPT_COLS APPT_WHERE APPT_HELD("a") " AND"
    " (a.account_id = ?3 OR EXISTS (SELECT 1 FROM appointment_contacts ac JOIN contacts c"
    " ON c.id = ac.contact_id WHERE ac.appointment_id = a.id AND c.account_id = ?3))";
static const char SQL_APPTS_CONTACT[] = "SELECT " APPT_COLS APPT_WHERE APPT_HELD("a") " AND"
    " EXISTS (SELECT 1 FROM appointment_contacts ac WHERE ac.appointment_id = a.id"
    " AND ac.contact_id = ?3)";
/* On a user's calendar: the messages of that user's mailbox, when their calendar is open to the
 * viewer; a thread sits on the first of them. On one's own calendar the user is oneself (the row
 * is one's own copy, not hidden): the name is found once, not per row. */
static const char SQL_THREADS_USER[] = "SELECT m.thread_id, m.sent_at, m.subject, t.regarding,"
    " m.id, CASE WHEN ?3 = ?4 THEN ?8 ELSE" MSG_USER " END"
    MSG_FROM USER_COPY("m.id")
    " AND (SELECT " VISIBLE_O " FROM users o WHERE o.id = ?3)"
    FIRST_OF_THREAD(USER_COPY("p.id"));
/* On an account's or a contact's calendar: threads with a message the viewer sees that involves
 * the account or contact, on the first message of the thread the viewer sees. */
static const char SQL_THREADS_ACCOUNT[] = "SELECT " MSG_COLS MSG_FROM VIS_MSG("m.id", "?4")
    FIRST_OF_THREAD(VIS_MSG("p.id", "?4"))
    " AND EXISTS (SELECT 1 FROM messages q JOIN message_contacts mc ON mc.message_id = q.id"
    " JOIN contacts c ON c.id = mc.contact_id WHERE q.thread_id = m.thread_id"
    " AND c.account_id = ?3 AND " VIS_MSG("q.id", "?4") ")";
/* The messages of contact c: contact_messages, and the rows of message_contacts not yet moved
 * there (above its mark; see migration 12 in schema.c). */
#define CONTACT_MESSAGES(c) "SELECT message_id FROM contact_messages WHERE contact_id = " c \
	" UNION ALL SELECT message_id FROM message_contacts WHERE message_id > (SELECT upto FROM" \
	" contact_messages_mark WHERE id = 1) AND contact_id = " c
/* A contact's threads are few: found from the contact first, which keeps the all-time list of
 * the activities page from reading every message. */
static const char SQL_THREADS_CONTACT[] = "SELECT " MSG_COLS MSG_FROM
    "m.thread_id IN (SELECT q.thread_id FROM messages q WHERE q.id IN ("
    CONTACT_MESSAGES("?3") ") AND " VIS_MSG("q.id", "?4") ")"
    " AND " VIS_MSG("m.id", "?4") FIRST_OF_THREAD(VIS_MSG("p.id", "?4"));
static const char SQL_VISIBLE[] = "SELECT " VISIBLE_O " FROM users o WHERE o.id = ?3";
static const char SQL_MSG_VISIBLE[] = "SELECT " VIS_MSG("?1", "?2");
static const char SQL_APPT_VISIBLE[] = "SELECT " VIS_APPT("a", "?2") " FROM appointments a"
    " WHERE a.id = ?1 AND a.hidden = 0";

void cal_items_free(struct cal_items *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].title);   /* the item's strings are one block (item_strings) */
	free(l->v);
	memset(l, 0, sizeof *l);
}

static struct cal_item *cal_items_add(struct cal_items *l)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		struct cal_item *n = realloc(l->v, ncap * sizeof *n);
		if (!n)
			return NULL;
		l->v = n;
		l->cap = ncap;
	}
	struct cal_item *it = &l->v[l->n++];
	memset(it, 0, sizeof *it);
	return it;
}

/* Copy the text columns t, r and u (NULL as "") into one allocation owned by it->title, with
 * it->regarding and it->user_name pointing into it: one malloc per item rather than three.
 * Returns 0 or -1. */
static int item_strings(struct db_stmt *st, struct cal_item *it, int t, int r, int u)
{
	const int cols[3] = { t, r, u };
	const char *v[3];
	size_t len[3], total = 0;
	for (int k = 0; k < 3; k++) {
		v[k] = db_col_text(st, cols[k]);
		len[k] = v[k] ? (size_t)db_col_bytes(st, cols[k]) : 0;
		total += len[k] + 1;
	}
	char *block = malloc(total), *p = block;
	if (!block)
		return -1;
	char **dst[3] = { &it->title, &it->regarding, &it->user_name };
	for (int k = 0; k < 3; k++) {
		*dst[k] = p;
		memcpy(p, v[k] ? v[k] : "", len[k]);
		p[len[k]] = '\0';
		p += len[k] + 1;
	}
	return 0;
}

/* Run st (bound) and append its rows of kind to out. Returns 0 or -1. */
static int cal_collect(struct db *db, struct db_stmt *st, enum cal_kind kind, struct cal_items *out)
{
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct cal_item *it = cal_items_add(out);
		if (!it)
			goto fail;
		it->kind = kind;
		it->start_at = db_col_int64(st, 1);
		if (kind == CAL_APPT) {
			it->id = db_col_int64(st, 0);
			it->duration_min = db_col_int(st, 2);
			it->all_day = db_col_int(st, 3);
			it->detail = db_col_int(st, 7);
			if (item_strings(st, it, 4, 5, 6) != 0)
				goto fail;
		} else {
			it->thread_id = db_col_int64(st, 0);
			it->id = db_col_int64(st, 4);
			it->detail = 1;
			if (item_strings(st, it, 2, 3, 5) != 0)
				goto fail;
		}
	}
	if (rc != DB_DONE) {
		log_warnx("db: calendar: %s", db_errmsg(db));
		goto fail;
	}
	db_reset(st);
	return 0;
fail:
	db_reset(st);
	return -1;
}

static int cmp_start(const void *a, const void *b)
{
	const struct cal_item *x = a, *y = b;
	if (x->start_at != y->start_at)
		return x->start_at < y->start_at ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind == CAL_APPT ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

int db_calendar_items(struct db *db, enum cal_scope scope, int64_t scope_id, int64_t viewer_id,
    const struct cal_span *span, struct cal_items *out)
{
	static const char *const appts[] = { SQL_APPTS_USER, SQL_APPTS_ACCOUNT, SQL_APPTS_CONTACT };
	static const char *const threads[] = { SQL_THREADS_USER, SQL_THREADS_ACCOUNT,
		SQL_THREADS_CONTACT };
	const char *sqls[2] = { appts[scope], threads[scope] };
	size_t first = out->n;
	char *owner = NULL;
	int ret = -1;
	if (scope == CAL_USER) {
		struct db_stmt *st = db_stmt(db, SQL_OWNER_NAME);
		if (!st)
			return -1;
		db_bind_int64(st, 1, scope_id);
		int rc = db_step(st);
		if (rc == DB_ROW)
			owner = db_col_strdup(st, 0);
		db_reset(st);
		if (rc != DB_ROW && rc != DB_DONE)
			return -1;
	}
	for (int k = 0; k < 2; k++) {
		struct db_stmt *st = db_stmt(db, sqls[k]);
		if (!st)
			goto done;
		db_bind_int64(st, 1, span->from);
		db_bind_int64(st, 2, span->to);
		db_bind_int64(st, 3, scope_id);
		db_bind_int64(st, 4, viewer_id);
		if (k == 0) {
			db_bind_int64(st, 5, span->date_from - CAL_ALLDAY_MAX_DAYS * 86400LL);
			db_bind_int64(st, 6, span->date_to);
			db_bind_int64(st, 7, span->date_from);
		}
		if (scope == CAL_USER)
			db_bind_text(st, 8, owner);
		int rc = cal_collect(db, st, k == 0 ? CAL_APPT : CAL_EMAIL, out);
		if (scope == CAL_USER)
			db_bind_null(st, 8);
		if (rc != 0)
			goto done;
	}
	if (out->n - first > 1)
		qsort(out->v + first, out->n - first, sizeof *out->v, cmp_start);
	ret = 0;
done:
	free(owner);
	return ret;
}

int db_calendar_visible(struct db *db, int64_t owner_id, int64_t viewer_id)
{
	struct db_stmt *st = db_stmt(db, SQL_VISIBLE);
	if (!st)
		return -1;
	db_bind_int64(st, 3, owner_id);
	db_bind_int64(st, 4, viewer_id);
	int rc = db_step(st), ret = 0;
	if (rc == DB_ROW)
		ret = db_col_int(st, 0) ? 1 : 0;
	else if (rc != DB_DONE)
		ret = -1;
	db_reset(st);
	return ret;
}

/* Run a two-parameter yes/no query. Returns 1, 0 (also when no row), -1. */
static int ask(struct db *db, const char *sql, int64_t a, int64_t b)
{
	struct db_stmt *st = db_stmt(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, a);
	db_bind_int64(st, 2, b);
	int rc = db_step(st), ret = 0;
	if (rc == DB_ROW)
		ret = db_col_int(st, 0) ? 1 : 0;
	else if (rc != DB_DONE)
		ret = -1;
	db_reset(st);
	return ret;
}

int db_msg_visible(struct db *db, int64_t msg_id, int64_t viewer_id)
{
	return ask(db, SQL_MSG_VISIBLE, msg_id, viewer_id);
}

int db_appt_visible(struct db *db, int64_t appt_id, int64_t viewer_id)
{
	return ask(db, SQL_APPT_VISIBLE, appt_id, viewer_id);
}
