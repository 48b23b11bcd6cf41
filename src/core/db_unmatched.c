/* The Unmatched list of CRM-folder messages: list, count, assign to a contact, discard. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/db_sync.h"
#include "core/db_web.h"
#include "core/db_unmatched.h"
#include "core/log.h"

#define PREVIEW_CHARS 200
#define MAX_REFS 32
#define MAX_THREADS 16

static const char SQL_LIST[] =
    "SELECT id, sent_at, from_name, from_email, subject, to_list, substr(body_text, 1, 400)"
    " FROM unmatched_messages WHERE user_id = ? ORDER BY sent_at DESC, id DESC LIMIT ?";
static const char SQL_COUNT[] = "SELECT count(*) FROM unmatched_messages WHERE user_id = ?";
static const char SQL_GET[] =
    "SELECT u.link_id, u.provider_id, u.message_id, u.subject, u.from_email, u.from_name,"
    " u.to_list, u.cc_list, u.sent_at, u.body_text, u.in_reply_to, u.refs,"
    " coalesce(l.address, '')"
    " FROM unmatched_messages u LEFT JOIN links l ON l.id = u.link_id"
    " WHERE u.id = ? AND u.user_id = ?";
static const char SQL_CONTACT[] = "SELECT 1 FROM contacts WHERE id = ?";
static const char SQL_CONTACTS[] =
    "SELECT c.id, c.name, a.name, coalesce((SELECT min(email) FROM contact_emails e"
    " WHERE e.contact_id = c.id), '') FROM contacts c JOIN accounts a ON a.id = c.account_id"
    " ORDER BY lower(c.name), a.name LIMIT ?";
static const char SQL_DELETE[] = "DELETE FROM unmatched_messages WHERE id = ? AND user_id = ?";
/* A discarded (or assigned) message is remembered, so the CRM folder never brings it back. */
static const char SQL_REMEMBER[] =
    "INSERT INTO unmatched_discards (link_id, message_id, discarded_at)"
    " SELECT link_id, message_id, ?3 FROM unmatched_messages"
    " WHERE id = ?1 AND user_id = ?2 ON CONFLICT DO NOTHING";

void unmatched_list_free(struct unmatched_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct unmatched *u = &l->v[i];
		free(u->from_name);
		free(u->from_email);
		free(u->subject);
		free(u->to_list);
		free(u->preview);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

static char *col(struct db_stmt *st, int i)
{
	char *s = db_col_strdup(st, i);
	return s ? s : strdup("");
}

/* The first PREVIEW_CHARS characters of text (UTF-8 kept whole), blanks folded to one space,
 * "..." when cut. Malloc'd or NULL. */
static char *preview_of(const char *text)
{
	size_t len = strlen(text), o = 0, chars = 0, i = 0;
	char *out = malloc(len + 4);
	if (!out)
		return NULL;
	int blank = 1;
	for (; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		if ((ch & 0xC0) != 0x80 && chars++ == PREVIEW_CHARS)
			break;
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			if (!blank)
				out[o++] = ' ';
			blank = 1;
			continue;
		}
		blank = 0;
		out[o++] = (char)ch;
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	if (i < len)
		strcat(out, "...");
	return out;
}

int db_unmatched_list(struct db *db, int64_t user_id, int limit, struct unmatched_list *out)
{
	struct db_stmt *st = db_stmt(db, SQL_LIST);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user_id);
	db_bind_int(st, 2, limit);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (out->n == out->cap) {
			size_t ncap = out->cap ? out->cap * 2 : 16;
			struct unmatched *n = realloc(out->v, ncap * sizeof *n);
			if (!n)
				goto fail;
			out->v = n;
			out->cap = ncap;
		}
		struct unmatched *u = &out->v[out->n++];
		memset(u, 0, sizeof *u);
		u->id = db_col_int64(st, 0);
		u->sent_at = db_col_int64(st, 1);
		u->from_name = col(st, 2);
		u->from_email = col(st, 3);
		u->subject = col(st, 4);
		u->to_list = col(st, 5);
		const char *body = (const char *)db_col_text(st, 6);
		u->preview = preview_of(body ? body : "");
		if (!u->from_name || !u->from_email || !u->subject || !u->to_list || !u->preview)
			goto fail;
	}
	if (rc != DB_DONE)
		goto fail;
	db_reset(st);
	return 0;
fail:
	log_warnx("db: unmatched of user %lld: %s", (long long)user_id, db_errmsg(db));
	db_reset(st);
	return -1;
}

int64_t db_unmatched_count(struct db *db, int64_t user_id)
{
	struct db_stmt *st = db_stmt(db, SQL_COUNT);
	if (!st)
		return -1;
	db_bind_int64(st, 1, user_id);
	int64_t n = db_step(st) == DB_ROW ? db_col_int64(st, 0) : -1;
	db_reset(st);
	return n;
}

/* The unmatched row as the sync's message shape (owned strings), its refs text and link. */
struct pending {
	struct sync_msg m;
	int64_t link_id;
	char *refs, *to_list, *cc_list, *link_address;
};

static void pending_free(struct pending *p)
{
	free(p->m.provider_id);
	free(p->m.message_id);
	free(p->m.subject);
	free(p->m.from.email);
	free(p->m.from.name);
	free(p->m.body_text);
	free(p->m.in_reply_to);
	free(p->refs);
	free(p->to_list);
	free(p->cc_list);
	free(p->link_address);
}

/* Returns 0, 1 when not found, -1. */
static int load(struct db *db, int64_t id, int64_t user_id, struct pending *p)
{
	memset(p, 0, sizeof *p);
	struct db_stmt *st = db_stmt(db, SQL_GET);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, user_id);
	int rc = db_step(st), ret = rc == DB_DONE ? 1 : -1;
	if (rc == DB_ROW) {
		p->link_id = db_col_int64(st, 0);
		p->m.provider_id = col(st, 1);
		p->m.message_id = col(st, 2);
		p->m.subject = col(st, 3);
		p->m.from.email = col(st, 4);
		p->m.from.name = col(st, 5);
		p->to_list = col(st, 6);
		p->cc_list = col(st, 7);
		p->m.date = db_col_int64(st, 8);
		p->m.body_text = col(st, 9);
		p->m.in_reply_to = db_col_strdup(st, 10);
		p->refs = col(st, 11);
		p->link_address = col(st, 12);
		ret = p->m.provider_id && p->m.message_id && p->m.subject && p->m.from.email &&
		    p->m.from.name && p->to_list && p->cc_list && p->m.body_text && p->refs &&
		    p->link_address ? 0 : -1;
	}
	db_reset(st);
	return ret;
}

/* The thread the message joins (merging the ones it ties together), or a new one. */
static int64_t thread_for(struct db *db, struct pending *p)
{
	char *ids[MAX_REFS + 1], *save = NULL;
	size_t n_ids = 0, n = 0;
	int64_t found[MAX_THREADS];
	char *copy = strdup(p->refs);
	if (!copy)
		return -1;
	if (p->m.in_reply_to && *p->m.in_reply_to)
		ids[n_ids++] = p->m.in_reply_to;
	for (char *t = strtok_r(copy, " ", &save); t && n_ids < MAX_REFS + 1; t = strtok_r(NULL, " ", &save))
		ids[n_ids++] = t;
	int64_t date = p->m.date ? p->m.date : (int64_t)time(NULL), thread = -1;
	if (db_sync_threads_related(db, p->m.message_id, ids, n_ids, found, MAX_THREADS, &n) != 0)
		goto out;
	if (n == 0) {
		thread = db_sync_thread_add(db, p->m.subject, date);
		goto out;
	}
	for (size_t i = 1; i < n; i++)
		if (db_sync_thread_merge(db, found[i], found[0]) != 0)
			goto out;
	thread = db_sync_thread_touch(db, found[0], date) == 0 ? found[0] : -1;
out:
	free(copy);
	return thread;
}

static int contact_exists(struct db *db, int64_t contact_id)
{
	struct db_stmt *st = db_stmt(db, SQL_CONTACT);
	if (!st)
		return -1;
	db_bind_int64(st, 1, contact_id);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

int db_unmatched_assign(struct db *db, int64_t id, int64_t user_id, int64_t contact_id,
    int64_t *msg_id)
{
	struct pending p;
	int ret = load(db, id, user_id, &p);
	if (ret != 0)
		goto out;
	if ((ret = contact_exists(db, contact_id)) != 1) {
		ret = ret == 0 ? 1 : -1;
		goto out;
	}
	ret = -1;
	if (!p.m.date)
		p.m.date = time(NULL);
	const char *dir = p.link_address[0] && strcasecmp(p.m.from.email, p.link_address) == 0 ?
	    "sent" : "received";
	int64_t mid = db_sync_msg_by_mid(db, p.m.message_id);
	if (mid < 0)
		goto out;
	if (mid == 0) {
		int64_t thread = thread_for(db, &p);
		if (thread < 0 || (mid = db_sync_msg_add(db, thread, &p.m, p.refs, p.to_list,
		    p.cc_list, time(NULL))) <= 0)
			goto out;
	}
	if (db_sync_msg_user_add(db, mid, user_id, p.link_id, p.m.provider_id, dir) < 0 ||
	    db_sync_msg_contact_add(db, mid, contact_id) != 0 || db_unmatched_discard(db, id,
	    user_id) != 0)
		goto out;
	*msg_id = mid;
	ret = 0;
out:
	pending_free(&p);
	return ret;
}

int db_unmatched_discard(struct db *db, int64_t id, int64_t user_id)
{
	struct db_stmt *st = db_stmt(db, SQL_REMEMBER);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, user_id);
	db_bind_int64(st, 3, time(NULL));
	if (db_step_done(db, st) != 0 || !(st = db_stmt(db, SQL_DELETE)))
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, user_id);
	if (db_step_done(db, st) != 0)
		return -1;
	return db_changes(db) > 0 ? 0 : 1;
}

int db_unmatched_contacts(struct db *db, int limit, struct web_rows *out)
{
	struct db_stmt *st = db_stmt(db, SQL_CONTACTS);
	if (!st)
		return -1;
	db_bind_int(st, 1, limit);
	return db_web_rows_collect(db, st, 1, 3, out);
}
