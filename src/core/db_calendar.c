/* Calendar queries: one statement per scope and kind, with the privacy rule written once. */
#include <stdlib.h>
#include <string.h>

#include "core/db_calendar.h"
#include "core/log.h"

/* Whether user row o's calendar is open to the viewer (?4): own, public, or shared. */
#define VISIBLE_O "(o.id = ?4 OR o.calendar_privacy = 'public' OR EXISTS (SELECT 1 FROM " \
	"calendar_shares s WHERE s.owner_id = o.id AND s.viewer_id = ?4))"

#define APPT_COLS "a.id, a.start_at, a.duration_min, a.all_day, a.title, a.regarding," \
	" (SELECT name FROM users WHERE id = coalesce(a.assigned_user_id, (SELECT min(user_id) FROM" \
	" appointment_users WHERE appointment_id = a.id)))," \
	" EXISTS (SELECT 1 FROM users o WHERE (o.id = a.assigned_user_id OR o.id IN (SELECT user_id" \
	" FROM appointment_users WHERE appointment_id = a.id)) AND " VISIBLE_O ")"
#define APPT_WHERE " FROM appointments a WHERE a.hidden = 0 AND a.cancelled = 0" \
	" AND a.start_at >= ?1 AND a.start_at < ?2 AND "

#define THREAD_COLS "t.id, t.started_at, coalesce(nullif(t.subject, ''), (SELECT subject FROM" \
	" messages WHERE thread_id = t.id ORDER BY sent_at, id LIMIT 1)), t.regarding," \
	" (SELECT id FROM messages WHERE thread_id = t.id ORDER BY sent_at, id LIMIT 1)," \
	" (SELECT o.name FROM messages m JOIN message_users mu ON mu.message_id = m.id JOIN users o" \
	" ON o.id = mu.user_id WHERE m.thread_id = t.id ORDER BY (o.id = ?4) DESC, m.sent_at LIMIT 1)"
#define THREAD_WHERE " FROM threads t WHERE t.started_at >= ?1 AND t.started_at < ?2" \
	" AND EXISTS (SELECT 1 FROM messages m JOIN message_users mu ON mu.message_id = m.id" \
	" JOIN users o ON o.id = mu.user_id WHERE m.thread_id = t.id AND " VISIBLE_O ") AND "

/* On a user's calendar the owner and the privacy are the same for every row: computed once
 * (uncorrelated subqueries), which makes a full month several times cheaper. */
static const char SQL_APPTS_USER[] = "SELECT a.id, a.start_at, a.duration_min, a.all_day, a.title,"
    " a.regarding, (SELECT name FROM users WHERE id = ?3),"
    " (SELECT " VISIBLE_O " FROM users o WHERE o.id = ?3)" APPT_WHERE
    "(a.assigned_user_id = ?3 OR EXISTS (SELECT 1 FROM appointment_users au"
    " WHERE au.appointment_id = a.id AND au.user_id = ?3)) ORDER BY a.start_at, a.id";
static const char SQL_APPTS_ACCOUNT[] = "SELECT " APPT_COLS APPT_WHERE
    "(a.account_id = ?3 OR EXISTS (SELECT 1 FROM appointment_contacts ac JOIN contacts c"
    " ON c.id = ac.contact_id WHERE ac.appointment_id = a.id AND c.account_id = ?3))"
    " ORDER BY a.start_at, a.id";
static const char SQL_APPTS_CONTACT[] = "SELECT " APPT_COLS APPT_WHERE
    "EXISTS (SELECT 1 FROM appointment_contacts ac WHERE ac.appointment_id = a.id"
    " AND ac.contact_id = ?3) ORDER BY a.start_at, a.id";
/* On a user's own calendar a thread shows when that user has one of its messages. */
static const char SQL_THREADS_USER[] = "SELECT " THREAD_COLS THREAD_WHERE
    "EXISTS (SELECT 1 FROM messages m JOIN message_users mu ON mu.message_id = m.id"
    " WHERE m.thread_id = t.id AND mu.user_id = ?3) ORDER BY t.started_at, t.id";
static const char SQL_THREADS_ACCOUNT[] = "SELECT " THREAD_COLS THREAD_WHERE
    "EXISTS (SELECT 1 FROM messages m JOIN message_contacts mc ON mc.message_id = m.id"
    " JOIN contacts c ON c.id = mc.contact_id WHERE m.thread_id = t.id AND c.account_id = ?3)"
    " ORDER BY t.started_at, t.id";
static const char SQL_THREADS_CONTACT[] = "SELECT " THREAD_COLS THREAD_WHERE
    "EXISTS (SELECT 1 FROM messages m JOIN message_contacts mc ON mc.message_id = m.id"
    " WHERE m.thread_id = t.id AND mc.contact_id = ?3) ORDER BY t.started_at, t.id";
static const char SQL_VISIBLE[] = "SELECT " VISIBLE_O " FROM users o WHERE o.id = ?3";

void cal_items_free(struct cal_items *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].title);
		free(l->v[i].user_name);
		free(l->v[i].regarding);
	}
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

static char *col_dup(sqlite3_stmt *st, int i)
{
	char *s = db_col_strdup(st, i);
	return s ? s : strdup("");
}

/* Run st (bound) and append its rows of kind to out. Returns 0 or -1. */
static int cal_collect(struct db *db, sqlite3_stmt *st, enum cal_kind kind, struct cal_items *out)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cal_item *it = cal_items_add(out);
		if (!it)
			goto fail;
		it->kind = kind;
		it->start_at = sqlite3_column_int64(st, 1);
		if (kind == CAL_APPT) {
			it->id = sqlite3_column_int64(st, 0);
			it->duration_min = sqlite3_column_int(st, 2);
			it->all_day = sqlite3_column_int(st, 3);
			it->title = col_dup(st, 4);
			it->regarding = col_dup(st, 5);
			it->user_name = col_dup(st, 6);
			it->detail = sqlite3_column_int(st, 7);
		} else {
			it->thread_id = sqlite3_column_int64(st, 0);
			it->title = col_dup(st, 2);
			it->regarding = col_dup(st, 3);
			it->id = sqlite3_column_int64(st, 4);
			it->user_name = col_dup(st, 5);
			it->detail = 1;
		}
		if (!it->title || !it->regarding || !it->user_name)
			goto fail;
	}
	if (rc != SQLITE_DONE) {
		log_warnx("db: calendar: %s", sqlite3_errmsg(db->h));
		goto fail;
	}
	sqlite3_reset(st);
	return 0;
fail:
	sqlite3_reset(st);
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
    int64_t from, int64_t to, struct cal_items *out)
{
	static const char *const appts[] = { SQL_APPTS_USER, SQL_APPTS_ACCOUNT, SQL_APPTS_CONTACT };
	static const char *const threads[] = { SQL_THREADS_USER, SQL_THREADS_ACCOUNT,
		SQL_THREADS_CONTACT };
	const char *sqls[2] = { appts[scope], threads[scope] };
	size_t first = out->n;
	for (int k = 0; k < 2; k++) {
		sqlite3_stmt *st = db_stmt(db, sqls[k]);
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, from);
		sqlite3_bind_int64(st, 2, to);
		sqlite3_bind_int64(st, 3, scope_id);
		sqlite3_bind_int64(st, 4, viewer_id);
		if (cal_collect(db, st, k == 0 ? CAL_APPT : CAL_EMAIL, out) != 0)
			return -1;
	}
	if (out->n - first > 1)
		qsort(out->v + first, out->n - first, sizeof *out->v, cmp_start);
	return 0;
}

int db_calendar_visible(struct db *db, int64_t owner_id, int64_t viewer_id)
{
	sqlite3_stmt *st = db_stmt(db, SQL_VISIBLE);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 3, owner_id);
	sqlite3_bind_int64(st, 4, viewer_id);
	int rc = sqlite3_step(st), ret = 0;
	if (rc == SQLITE_ROW)
		ret = sqlite3_column_int(st, 0) ? 1 : 0;
	else if (rc != SQLITE_DONE)
		ret = -1;
	sqlite3_reset(st);
	return ret;
}
