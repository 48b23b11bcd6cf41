/* E-mail threads for the message view and the Regarding of threads. */
#include <stdlib.h>
#include <string.h>

#include "core/db_web.h"
#include "core/log.h"
#include "core/visibility.h"

static const char SQL_THREAD_OF[] = "SELECT thread_id FROM messages WHERE id = ?";
/* The messages of the thread the viewer may see, one by one; direction from the viewer's own
 * copy when they have one, else from a copy they see. */
static const char SQL_MESSAGES[] =
    "SELECT m.id, m.sent_at, m.subject, m.from_name, m.from_email, m.to_list, m.cc_list,"
    " m.body_text, coalesce((SELECT direction FROM message_users mu WHERE mu.message_id = m.id"
    "  AND mu.hidden = 0 AND " VIS_COPY("mu.user_id", "?2") " ORDER BY mu.user_id = ?2 DESC"
    "  LIMIT 1), 'received')"
    " FROM messages m WHERE m.thread_id = ?1 AND " VIS_MSG("m.id", "?2")
    " ORDER BY m.sent_at, m.id";
/* The viewer holds a copy of a message of the thread (theirs to file). */
static const char SQL_HOLDS[] =
    "SELECT EXISTS (SELECT 1 FROM messages m JOIN message_users mu ON mu.message_id = m.id"
    " WHERE m.thread_id = ?1 AND mu.user_id = ?2 AND mu.hidden = 0)";
static const char SQL_REGARDING[] = "UPDATE threads SET regarding = ?2 WHERE id = ?1";

void thread_msgs_free(struct thread_msgs *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct msg_view *m = &l->v[i];
		free(m->subject);
		free(m->from_name);
		free(m->from_email);
		free(m->to_list);
		free(m->cc_list);
		free(m->body_text);
		free(m->direction);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

int db_web_msg_thread_of(struct db *db, int64_t message_id, int64_t *thread_id)
{
	struct db_stmt *st = db_stmt(db, SQL_THREAD_OF);
	if (!st)
		return -1;
	db_bind_int64(st, 1, message_id);
	int rc = db_step(st), ret = 1;
	if (rc == DB_ROW) {
		*thread_id = db_col_int64(st, 0);
		ret = 0;
	} else if (rc != DB_DONE) {
		ret = -1;
	}
	db_reset(st);
	return ret;
}

int db_web_thread_held(struct db *db, int64_t thread_id, int64_t user_id)
{
	struct db_stmt *st = db_stmt(db, SQL_HOLDS);
	if (!st)
		return -1;
	db_bind_int64(st, 1, thread_id);
	db_bind_int64(st, 2, user_id);
	int rc = db_step(st), ret = -1;
	if (rc == DB_ROW)
		ret = db_col_int(st, 0) ? 1 : 0;
	db_reset(st);
	return ret;
}

static char *dup_col(struct db_stmt *st, int i)
{
	char *s = db_col_strdup(st, i);
	return s ? s : strdup("");
}

int db_web_thread_messages(struct db *db, int64_t thread_id, int64_t viewer_id,
    struct thread_msgs *out)
{
	struct db_stmt *st = db_stmt(db, SQL_MESSAGES);
	if (!st)
		return -1;
	db_bind_int64(st, 1, thread_id);
	db_bind_int64(st, 2, viewer_id);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (out->n == out->cap) {
			size_t ncap = out->cap ? out->cap * 2 : 8;
			struct msg_view *n = realloc(out->v, ncap * sizeof *n);
			if (!n)
				goto fail;
			out->v = n;
			out->cap = ncap;
		}
		struct msg_view *m = &out->v[out->n++];
		memset(m, 0, sizeof *m);
		m->id = db_col_int64(st, 0);
		m->sent_at = db_col_int64(st, 1);
		m->subject = dup_col(st, 2);
		m->from_name = dup_col(st, 3);
		m->from_email = dup_col(st, 4);
		m->to_list = dup_col(st, 5);
		m->cc_list = dup_col(st, 6);
		m->body_text = dup_col(st, 7);
		m->direction = dup_col(st, 8);
		if (!m->subject || !m->from_name || !m->from_email || !m->to_list || !m->cc_list ||
		    !m->body_text || !m->direction)
			goto fail;
	}
	if (rc != DB_DONE) {
		log_warnx("db: thread %lld: %s", (long long)thread_id, db_errmsg(db));
		goto fail;
	}
	db_reset(st);
	return 0;
fail:
	db_reset(st);
	return -1;
}

int db_web_thread_set_regarding(struct db *db, int64_t thread_id, const char *text)
{
	struct db_stmt *st = db_stmt(db, SQL_REGARDING);
	if (!st)
		return -1;
	db_bind_int64(st, 1, thread_id);
	db_bind_text(st, 2, text);
	return db_step_done(db, st);
}
