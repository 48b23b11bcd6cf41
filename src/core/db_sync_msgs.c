/* The sync engine's SQL for mail: contacts by address, messages by Message-ID, threads by
 * reference, who saw what, and the CRM folder's unmatched list. */
#include <stdlib.h>
#include <string.h>

#include "core/db_sync.h"
#include "core/log.h"

static const char SQL_CONTACTS_OF[] = "SELECT contact_id FROM contact_emails WHERE email = ?";
static const char SQL_CONTACT_ACCOUNT[] = "SELECT account_id FROM contacts WHERE id = ?";
static const char SQL_USER_OF_ADDRESS[] =
    "SELECT id FROM users WHERE email = ?1 UNION ALL"
    " SELECT user_id FROM links WHERE address = ?1 AND status != 'unlinked'"
    " AND proved_at IS NOT NULL LIMIT 1";
static const char SQL_MSG_SEEN[] =
    "SELECT 1 FROM message_users WHERE link_id = ? AND provider_id = ?";
static const char SQL_MSG_BY_MID[] = "SELECT id FROM messages WHERE message_id = ?";
/* Messages that are or name the id (message_refs holds each message's own Message-ID, its
 * In-Reply-To and its References): one index probe, whatever the number stored. */
static const char SQL_THREAD_NAMING[] =
    "SELECT DISTINCT m.thread_id FROM message_refs r JOIN messages m ON m.id = r.message_row"
    " WHERE r.ref_id = ?";
static const char SQL_REF_ADD[] =
    "INSERT INTO message_refs (ref_id, message_row) VALUES (?, ?) ON CONFLICT DO NOTHING";
static const char SQL_THREAD_STARTED[] = "SELECT started_at FROM threads WHERE id = ?";
static const char SQL_THREAD_ADD[] =
    "INSERT INTO threads (subject, started_at, last_at) VALUES (?1, ?2, ?2) RETURNING id";
/* A reply moves a thread's last_at and only rarely its start: each column is written only when
 * it changes, so the common reply leaves threads_by_start alone (SQLite rewrites an index entry
 * whenever its column is SET, even to the same value: one random leaf per reply in a large
 * history). */
static const char SQL_THREAD_TOUCH_LAST[] =
    "UPDATE threads SET last_at = ?1 WHERE id = ?2 AND last_at < ?1";
static const char SQL_THREAD_TOUCH_START[] =
    "UPDATE threads SET started_at = ?1 WHERE id = ?2 AND started_at > ?1";
static const char SQL_THREAD_MERGE_DATES[] =
    "UPDATE threads SET started_at = least(started_at, (SELECT started_at FROM threads WHERE id = ?1)),"
    " last_at = greatest(last_at, (SELECT last_at FROM threads WHERE id = ?1)),"
    " regarding = CASE WHEN regarding = '' THEN (SELECT regarding FROM threads WHERE id = ?1)"
    " ELSE regarding END WHERE id = ?2";
static const char SQL_THREAD_MOVE[] = "UPDATE messages SET thread_id = ?2 WHERE thread_id = ?1";
static const char SQL_THREAD_DEL[] = "DELETE FROM threads WHERE id = ?";
static const char SQL_MSG_ADD[] =
    "INSERT INTO messages (thread_id, message_id, in_reply_to, refs, subject, from_email,"
    " from_name, to_list, cc_list, sent_at, body_text, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
/* A row written without a provider id (the web app's copy of a mail it sent) gets the one the
 * sync finds the mail under, so the mailbox's copy is known by (link, provider id) from then on. */
static const char SQL_MSG_USER_ADD[] =
    "INSERT INTO message_users (message_id, user_id, link_id, provider_id, direction)"
    " SELECT ?1, ?2, ?3, ?4, ?5 WHERE ?4 IS NULL OR NOT EXISTS (SELECT 1 FROM message_users"
    " WHERE link_id = ?3 AND provider_id = ?4) ON CONFLICT (message_id, user_id) DO UPDATE SET"
    " provider_id = excluded.provider_id, link_id = excluded.link_id"
    " WHERE message_users.provider_id IS NULL AND excluded.provider_id IS NOT NULL";
static const char SQL_MSG_PROVIDER_ID[] =
    "SELECT mu.provider_id FROM messages m JOIN message_users mu ON mu.message_id = m.id"
    " WHERE m.message_id = ?2 AND mu.link_id = ?1 AND mu.provider_id IS NOT NULL LIMIT 1";
static const char SQL_MSG_CONTACT_ADD[] =
    "INSERT INTO message_contacts (message_id, contact_id) VALUES (?, ?) ON CONFLICT DO NOTHING";
/* message_contacts rows above contact_messages_mark go into contact_messages sorted by contact
 * (see migration 12 in schema.c). */
#define CONTACT_MERGE_MAX 16384   /* message ids one merge moves at most */
static const char SQL_CONTACT_TAIL[] =
    "SELECT (SELECT coalesce(max(message_id), 0) FROM message_contacts), upto"
    " FROM contact_messages_mark WHERE id = 1";
static const char SQL_CONTACT_MERGE[] =
    "INSERT INTO contact_messages (contact_id, message_id)"
    " SELECT contact_id, message_id FROM message_contacts WHERE message_id > ?1 AND message_id <= ?2"
    " ORDER BY contact_id, message_id ON CONFLICT DO NOTHING";
static const char SQL_CONTACT_MARK[] = "UPDATE contact_messages_mark SET upto = ?2 WHERE id = 1"
    " AND upto = ?1";
static const char SQL_UNMATCHED_ADD[] =
    "INSERT INTO unmatched_messages (link_id, user_id, provider_id, message_id, subject,"
    " from_email, from_name, to_list, cc_list, sent_at, body_text, in_reply_to, refs, created_at)"
    " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14"
    " WHERE NOT EXISTS (SELECT 1 FROM unmatched_discards WHERE link_id = ?1 AND message_id = ?4)"
    " AND NOT EXISTS (SELECT 1 FROM unmatched_messages WHERE link_id = ?1 AND message_id = ?4)"
    " ON CONFLICT DO NOTHING";

/* The first column of the first row as an integer: *out, 1 when no row, -1 on error. */
static int one_int(struct db *db, struct db_stmt *st, int64_t *out)
{
	int rc = db_step(st);
	*out = rc == DB_ROW ? db_col_int64(st, 0) : 0;
	db_reset(st);
	if (rc == DB_ROW)
		return 0;
	if (rc == DB_DONE)
		return 1;
	log_warnx("db: %s", db_errmsg(db));
	return -1;
}

static int add_unique(int64_t *ids, size_t max, size_t *n, int64_t id)
{
	for (size_t i = 0; i < *n; i++)
		if (ids[i] == id)
			return 0;
	if (*n < max)
		ids[(*n)++] = id;
	return 0;
}

void id_list_free(struct id_list *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int id_list_push(struct id_list *l, int64_t id)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		int64_t *nv = realloc(l->v, ncap * sizeof *nv);
		if (!nv)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = id;
	return 0;
}

/* An id and where it stood in the list, to sort by id and keep the first of each. */
struct id_pos {
	int64_t id;
	size_t pos;
};

static int id_pos_cmp(const void *a, const void *b)
{
	const struct id_pos *x = a, *y = b;
	if (x->id != y->id)
		return (x->id > y->id) - (x->id < y->id);
	return (x->pos > y->pos) - (x->pos < y->pos);
}

static int pos_cmp(const void *a, const void *b)
{
	const struct id_pos *x = a, *y = b;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

int id_list_unique(struct id_list *l)
{
	if (l->n < 2)
		return 0;
	struct id_pos *t = malloc(l->n * sizeof *t);
	if (!t)
		return -1;
	for (size_t i = 0; i < l->n; i++)
		t[i] = (struct id_pos){ l->v[i], i };
	qsort(t, l->n, sizeof *t, id_pos_cmp);
	size_t k = 1;
	for (size_t i = 1; i < l->n; i++)
		if (t[i].id != t[k - 1].id)
			t[k++] = t[i];
	qsort(t, k, sizeof *t, pos_cmp);
	for (size_t i = 0; i < k; i++)
		l->v[i] = t[i].id;
	l->n = k;
	free(t);
	return 0;
}

int db_sync_contacts_add(struct db *db, const char *email, struct id_list *l)
{
	struct db_stmt *st = db_stmt(db, SQL_CONTACTS_OF);
	int rc;
	if (!st)
		return -1;
	db_bind_text(st, 1, email);
	while ((rc = db_step(st)) == DB_ROW)
		if (id_list_push(l, db_col_int64(st, 0)) != 0)
			break;
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int64_t db_sync_contact_account(struct db *db, int64_t contact)
{
	int64_t id;
	struct db_stmt *st = db_stmt(db, SQL_CONTACT_ACCOUNT);
	if (!st)
		return -1;
	db_bind_int64(st, 1, contact);
	return one_int(db, st, &id) < 0 ? -1 : id;
}

int64_t db_sync_user_of_address(struct db *db, const char *email)
{
	int64_t id;
	struct db_stmt *st = db_stmt(db, SQL_USER_OF_ADDRESS);
	if (!st)
		return -1;
	db_bind_text(st, 1, email);
	return one_int(db, st, &id) < 0 ? -1 : id;
}

int db_sync_msg_seen(struct db *db, int64_t link, const char *provider_id)
{
	int64_t one;
	struct db_stmt *st = db_stmt(db, SQL_MSG_SEEN);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_text(st, 2, provider_id);
	int rc = one_int(db, st, &one);
	return rc < 0 ? -1 : rc == 0;
}

int64_t db_sync_msg_by_mid(struct db *db, const char *message_id)
{
	int64_t id;
	struct db_stmt *st = db_stmt(db, SQL_MSG_BY_MID);
	if (!st)
		return -1;
	db_bind_text(st, 1, message_id);
	return one_int(db, st, &id) < 0 ? -1 : id;
}

/* Add the threads sql finds for id (bound as ?1) to out. */
static int threads_of(struct db *db, const char *sql, const char *id, int64_t *out, size_t max,
    size_t *n)
{
	struct db_stmt *st = db_stmt(db, sql);
	int rc;
	if (!st)
		return -1;
	db_bind_text(st, 1, id);
	while ((rc = db_step(st)) == DB_ROW)
		add_unique(out, max, n, db_col_int64(st, 0));
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

static int64_t thread_started(struct db *db, int64_t thread)
{
	int64_t t;
	struct db_stmt *st = db_stmt(db, SQL_THREAD_STARTED);
	if (!st)
		return 0;
	db_bind_int64(st, 1, thread);
	return one_int(db, st, &t) == 0 ? t : 0;
}

int db_sync_threads_related(struct db *db, const char *message_id, char *const *ids, size_t n_ids,
    int64_t *out, size_t max, size_t *n)
{
	*n = 0;
	for (size_t i = 0; i <= n_ids; i++) {
		const char *id = i < n_ids ? ids[i] : message_id;
		if (!id || !*id)
			continue;
		if (threads_of(db, SQL_THREAD_NAMING, id, out, max, n) != 0)
			return -1;
	}
	/* Oldest first (insertion sort: a handful of threads at most). */
	for (size_t i = 1; i < *n; i++) {
		int64_t t = out[i], ts = thread_started(db, t);
		size_t j = i;
		while (j > 0 && (thread_started(db, out[j - 1]) > ts ||
		    (thread_started(db, out[j - 1]) == ts && out[j - 1] > t))) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = t;
	}
	return 0;
}

int64_t db_sync_thread_add(struct db *db, const char *subject, int64_t started)
{
	struct db_stmt *st = db_stmt(db, SQL_THREAD_ADD);
	if (!st)
		return -1;
	db_bind_text(st, 1, subject ? subject : "");
	db_bind_int64(st, 2, started);
	int64_t id;
	return db_step_id(db, st, &id) == 0 ? id : -1;
}

static int step_2(struct db *db, const char *sql, int64_t a, int64_t b)
{
	struct db_stmt *st = db_stmt(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, a);
	db_bind_int64(st, 2, b);
	return db_step_done(db, st);
}

int db_sync_thread_touch(struct db *db, int64_t thread, int64_t date)
{
	if (step_2(db, SQL_THREAD_TOUCH_LAST, date, thread) != 0)
		return -1;
	return step_2(db, SQL_THREAD_TOUCH_START, date, thread);
}

int db_sync_thread_merge(struct db *db, int64_t from, int64_t into)
{
	if (from == into)
		return 0;
	if (step_2(db, SQL_THREAD_MERGE_DATES, from, into) != 0 ||
	    step_2(db, SQL_THREAD_MOVE, from, into) != 0)
		return -1;
	struct db_stmt *st = db_stmt(db, SQL_THREAD_DEL);
	if (!st)
		return -1;
	db_bind_int64(st, 1, from);
	return db_step_done(db, st);
}

static int ref_add(struct db *db, int64_t msg, const char *id, size_t len)
{
	struct db_stmt *st = db_stmt(db, SQL_REF_ADD);
	if (!st)
		return -1;
	db_bind_textn(st, 1, id, len);
	db_bind_int64(st, 2, msg);
	return db_step_done(db, st);
}

/* The message_refs rows of a new message: its Message-ID, its In-Reply-To and each
 * space-separated id of refs (as the stored refs column is read). */
static int refs_add(struct db *db, int64_t msg, const struct sync_msg *m, const char *refs)
{
	if (m->message_id && *m->message_id &&
	    ref_add(db, msg, m->message_id, strlen(m->message_id)) != 0)
		return -1;
	if (m->in_reply_to && *m->in_reply_to &&
	    ref_add(db, msg, m->in_reply_to, strlen(m->in_reply_to)) != 0)
		return -1;
	for (const char *p = refs ? refs : ""; *p;) {
		size_t len = strcspn(p, " ");
		if (len && ref_add(db, msg, p, len) != 0)
			return -1;
		p += len;
		p += *p == ' ';
	}
	return 0;
}

int64_t db_sync_msg_add(struct db *db, int64_t thread, const struct sync_msg *m,
    const char *refs, const char *to_list, const char *cc_list, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_MSG_ADD);
	if (!st)
		return -1;
	db_bind_int64(st, 1, thread);
	db_bind_text(st, 2, m->message_id);
	db_bind_text(st, 3, m->in_reply_to);
	db_bind_text(st, 4, refs ? refs : "");
	db_bind_text(st, 5, m->subject ? m->subject : "");
	db_bind_text(st, 6, m->from.email ? m->from.email : "");
	db_bind_text(st, 7, m->from.name ? m->from.name : "");
	db_bind_text(st, 8, to_list ? to_list : "");
	db_bind_text(st, 9, cc_list ? cc_list : "");
	db_bind_int64(st, 10, m->date);
	db_bind_text(st, 11, m->body_text ? m->body_text : "");
	db_bind_int64(st, 12, now);
	int64_t id;
	if (db_step_id(db, st, &id) != 0)
		return -1;
	return refs_add(db, id, m, refs) == 0 ? id : -1;
}

int db_sync_msg_provider_id(struct db *db, int64_t link, const char *message_id, char **out)
{
	*out = NULL;
	struct db_stmt *st = db_stmt(db, SQL_MSG_PROVIDER_ID);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_text(st, 2, message_id);
	int rc = db_step(st), ret = rc == DB_DONE ? 1 : -1;
	if (rc == DB_ROW)
		ret = (*out = db_col_strdup(st, 0)) ? 0 : -1;
	db_reset(st);
	return ret;
}

int db_sync_msg_user_add(struct db *db, int64_t msg, int64_t user, int64_t link,
    const char *provider_id, const char *direction)
{
	struct db_stmt *st = db_stmt(db, SQL_MSG_USER_ADD);
	if (!st)
		return -1;
	db_bind_int64(st, 1, msg);
	db_bind_int64(st, 2, user);
	db_bind_int64(st, 3, link);
	db_bind_text(st, 4, provider_id);
	db_bind_text(st, 5, direction);
	if (db_step_done(db, st) != 0)
		return -1;
	return db_changes(db) > 0;
}

int db_sync_msg_contact_add(struct db *db, int64_t msg, int64_t contact)
{
	return step_2(db, SQL_MSG_CONTACT_ADD, msg, contact);
}

int db_sync_unmatched_add(struct db *db, int64_t link, int64_t user, const struct sync_msg *m,
    const char *refs, const char *to_list, const char *cc_list, int64_t now)
{
	struct db_stmt *st = db_stmt(db, SQL_UNMATCHED_ADD);
	if (!st)
		return -1;
	db_bind_int64(st, 1, link);
	db_bind_int64(st, 2, user);
	db_bind_text(st, 3, m->provider_id ? m->provider_id : m->message_id);
	db_bind_text(st, 4, m->message_id);
	db_bind_text(st, 5, m->subject ? m->subject : "");
	db_bind_text(st, 6, m->from.email ? m->from.email : "");
	db_bind_text(st, 7, m->from.name ? m->from.name : "");
	db_bind_text(st, 8, to_list ? to_list : "");
	db_bind_text(st, 9, cc_list ? cc_list : "");
	db_bind_int64(st, 10, m->date);
	db_bind_text(st, 11, m->body_text ? m->body_text : "");
	db_bind_text(st, 12, m->in_reply_to);
	db_bind_text(st, 13, refs ? refs : "");
	db_bind_int64(st, 14, now);
	if (db_step_done(db, st) != 0)
		return -1;
	return db_changes(db) > 0;
}

int db_sync_contact_index_merge(struct db *db, int64_t min_rows)
{
	struct db_stmt *st = db_stmt(db, SQL_CONTACT_TAIL);
	if (!st)
		return -1;
	int rc = db_step(st);
	int64_t top = rc == DB_ROW ? db_col_int64(st, 0) : 0;
	int64_t upto = rc == DB_ROW ? db_col_int64(st, 1) : 0;
	db_reset(st);
	if (rc != DB_ROW) {
		log_warnx("db: contact_messages_mark: %s", db_errmsg(db));
		return -1;
	}
	if (top <= upto || top - upto < min_rows)
		return 0;
	if (top - upto > CONTACT_MERGE_MAX)
		top = upto + CONTACT_MERGE_MAX;   /* a bulk write's rows go over several commits */
	if (step_2(db, SQL_CONTACT_MERGE, upto, top) != 0 ||
	    step_2(db, SQL_CONTACT_MARK, upto, top) != 0)
		return -1;
	return 1;
}
