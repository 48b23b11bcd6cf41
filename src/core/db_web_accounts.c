/* Small lists for pages: users, accounts, contacts; and the row list they come in. */
#include <stdlib.h>
#include <string.h>

#include "core/db_web.h"
#include "core/log.h"

static const char SQL_USERS[] =
    "SELECT id, name, email, calendar_privacy FROM users ORDER BY name, id";
static const char SQL_ACCOUNTS[] =
    "SELECT a.id, a.number, a.name, trim(a.address1 || ', ' || a.city || ', ' || a.state || ' ' ||"
    " a.zip, ', '), a.status, (SELECT count(*) FROM contacts WHERE account_id = a.id)"
    " FROM accounts a WHERE ?1 = '' OR strpos(lower(a.number), lower(?1)) > 0"
    " OR strpos(lower(a.name), lower(?1)) > 0 ORDER BY a.number LIMIT ?2";
static const char SQL_CONTACTS[] =
    "SELECT c.id, c.name, coalesce((SELECT min(email) FROM contact_emails WHERE contact_id = c.id),"
    " ''), c.phone FROM contacts c WHERE c.account_id = ? ORDER BY c.name, c.id";
static const char SQL_CONTACT[] =
    "SELECT c.id, c.name, coalesce((SELECT string_agg(email, ', ') FROM contact_emails WHERE"
    " contact_id = c.id), ''), c.phone, a.number, a.name"
    " FROM contacts c JOIN accounts a ON a.id = c.account_id WHERE c.id = ?";

void web_row_free(struct web_row *r)
{
	for (int i = 0; i < 6; i++)
		free(r->c[i]);
	memset(r, 0, sizeof *r);
}

void web_rows_free(struct web_rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		web_row_free(&r->v[i]);
	free(r->v);
	memset(r, 0, sizeof *r);
}

static int row_fill(struct db_stmt *st, int with_id, int ncols, struct web_row *row)
{
	memset(row, 0, sizeof *row);
	int base = with_id ? 1 : 0;
	if (with_id)
		row->id = db_col_int64(st, 0);
	for (int i = 0; i < ncols && i < 6; i++) {
		row->c[i] = db_col_strdup(st, base + i);
		if (!row->c[i] && !(row->c[i] = strdup("")))
			return -1;
	}
	return 0;
}

int db_web_rows_collect(struct db *db, struct db_stmt *st, int with_id, int ncols,
    struct web_rows *out)
{
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (out->n == out->cap) {
			size_t ncap = out->cap ? out->cap * 2 : 16;
			struct web_row *n = realloc(out->v, ncap * sizeof *n);
			if (!n)
				goto fail;
			out->v = n;
			out->cap = ncap;
		}
		if (row_fill(st, with_id, ncols, &out->v[out->n++]) != 0)
			goto fail;
	}
	if (rc != DB_DONE) {
		log_warnx("db: %s", db_errmsg(db));
		goto fail;
	}
	db_reset(st);
	return 0;
fail:
	db_reset(st);
	return -1;
}

int db_web_users(struct db *db, struct web_rows *out)
{
	struct db_stmt *st = db_stmt(db, SQL_USERS);
	return st ? db_web_rows_collect(db, st, 1, 3, out) : -1;
}

int db_web_accounts_search(struct db *db, const char *q, int limit, struct web_rows *out)
{
	struct db_stmt *st = db_stmt(db, SQL_ACCOUNTS);
	if (!st)
		return -1;
	db_bind_text(st, 1, q ? q : "");
	db_bind_int(st, 2, limit);
	return db_web_rows_collect(db, st, 1, 5, out);
}

int db_web_account_contacts(struct db *db, int64_t account_id, struct web_rows *out)
{
	struct db_stmt *st = db_stmt(db, SQL_CONTACTS);
	if (!st)
		return -1;
	db_bind_int64(st, 1, account_id);
	return db_web_rows_collect(db, st, 1, 3, out);
}

int db_web_contact_get(struct db *db, int64_t id, struct web_row *out)
{
	memset(out, 0, sizeof *out);
	struct db_stmt *st = db_stmt(db, SQL_CONTACT);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	int rc = db_step(st), ret = 1;
	if (rc == DB_ROW)
		ret = row_fill(st, 1, 5, out) == 0 ? 0 : -1;
	else if (rc != DB_DONE)
		ret = -1;
	db_reset(st);
	if (ret < 0)
		web_row_free(out);
	return ret;
}
