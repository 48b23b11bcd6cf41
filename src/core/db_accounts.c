/* Accounts and their contacts: upsert by number (accounts) and by (account, name) (contacts). */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/models.h"

#define ACCOUNT_COLS "id, number, name, address1, address2, city, state, zip, status, division, " \
	"account_manager, class, bill_group, billing_mode, billing_cycle, billed_thru, " \
	"aging_current, aging_1_30, aging_31_60, aging_61_90, aging_91_120, aging_120_plus"

static const char SQL_ACCOUNT_UPSERT[] =
    "INSERT INTO accounts (number, name, address1, address2, city, state, zip, status, division,"
    " account_manager, class, bill_group, billing_mode, billing_cycle, billed_thru,"
    " aging_current, aging_1_30, aging_31_60, aging_61_90, aging_91_120, aging_120_plus) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT (number) DO UPDATE SET name = excluded.name, address1 = excluded.address1,"
    " address2 = excluded.address2, city = excluded.city, state = excluded.state,"
    " zip = excluded.zip, status = excluded.status, division = excluded.division,"
    " account_manager = excluded.account_manager, class = excluded.class,"
    " bill_group = excluded.bill_group, billing_mode = excluded.billing_mode,"
    " billing_cycle = excluded.billing_cycle, billed_thru = excluded.billed_thru,"
    " aging_current = excluded.aging_current, aging_1_30 = excluded.aging_1_30,"
    " aging_31_60 = excluded.aging_31_60, aging_61_90 = excluded.aging_61_90,"
    " aging_91_120 = excluded.aging_91_120, aging_120_plus = excluded.aging_120_plus "
    "RETURNING id";
static const char SQL_ACCOUNT_BY_NUMBER[] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE number = ?";
static const char SQL_ACCOUNT_BY_ID[] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?";
static const char SQL_CONTACT_UPSERT[] =
    "INSERT INTO contacts (account_id, name, phone) VALUES (?, ?, ?) "
    "ON CONFLICT (account_id, name) DO UPDATE SET phone = excluded.phone RETURNING id";
static const char SQL_CONTACT_EXISTS[] =
    "SELECT 1 FROM contacts WHERE account_id = ? AND name = ?";
static const char SQL_CONTACT_EMAILS_CLEAR[] = "DELETE FROM contact_emails WHERE contact_id = ?";
static const char SQL_CONTACT_EMAIL_ADD[] =
    "INSERT INTO contact_emails (contact_id, email) VALUES (?, ?) ON CONFLICT DO NOTHING";
static const char SQL_CONTACT_ID[] = "SELECT id FROM contacts WHERE account_id = ? AND name = ?";
static const char SQL_ACCOUNT_FIND[] =
    "SELECT id FROM accounts WHERE number = ?1 OR name = ?1 ORDER BY number = ?1 DESC, id LIMIT 1";

void account_free(struct account *a)
{
	if (!a)
		return;
	char **s[] = { &a->number, &a->name, &a->address1, &a->address2, &a->city, &a->state,
		&a->zip, &a->status, &a->division, &a->account_manager, &a->class_, &a->bill_group,
		&a->billing_mode, &a->billing_cycle, &a->billed_thru };
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
		free(*s[i]);
	memset(a, 0, sizeof *a);
}

int db_accounts_upsert(struct db *db, struct account *a)
{
	struct db_stmt *st = db_stmt(db, SQL_ACCOUNT_UPSERT);
	if (!st)
		return -1;
	const char *v[] = { a->number, a->name, a->address1, a->address2, a->city, a->state, a->zip,
		a->status, a->division, a->account_manager, a->class_, a->bill_group, a->billing_mode,
		a->billing_cycle };
	for (int i = 0; i < 14; i++)
		db_bind_text(st, i + 1, v[i] ? v[i] : "");
	db_bind_text(st, 15, a->billed_thru && *a->billed_thru ? a->billed_thru : NULL);
	for (int i = 0; i < 6; i++)
		db_bind_int64(st, 16 + i, a->aging[i]);
	if (db_step(st) != DB_ROW) {
		log_warnx("account %s: %s", a->number, db_errmsg(db));
		db_reset(st);
		return -1;
	}
	a->id = db_col_int64(st, 0);
	db_reset(st);
	return 0;
}

static int account_load(struct db *db, struct db_stmt *st, struct account *a)
{
	memset(a, 0, sizeof *a);
	int rc = db_step(st);
	if (rc != DB_ROW) {
		db_reset(st);
		if (rc == DB_DONE)
			return 1;
		log_warnx("db: accounts: %s", db_errmsg(db));
		return -1;
	}
	char **s[] = { &a->number, &a->name, &a->address1, &a->address2, &a->city, &a->state,
		&a->zip, &a->status, &a->division, &a->account_manager, &a->class_, &a->bill_group,
		&a->billing_mode, &a->billing_cycle, &a->billed_thru };
	a->id = db_col_int64(st, 0);
	for (int i = 0; i < 15; i++)
		*s[i] = db_col_strdup(st, i + 1);
	for (int i = 0; i < 6; i++)
		a->aging[i] = db_col_int64(st, 16 + i);
	db_reset(st);
	for (int i = 0; i < 14; i++) {
		if (!*s[i]) {
			account_free(a);
			return -1;
		}
	}
	return 0;
}

int db_accounts_get_by_number(struct db *db, const char *number, struct account *a)
{
	struct db_stmt *st = db_stmt(db, SQL_ACCOUNT_BY_NUMBER);
	if (!st)
		return -1;
	db_bind_text(st, 1, number);
	return account_load(db, st, a);
}

int db_accounts_get(struct db *db, int64_t id, struct account *a)
{
	struct db_stmt *st = db_stmt(db, SQL_ACCOUNT_BY_ID);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	return account_load(db, st, a);
}

int db_contacts_upsert(struct db *db, int64_t account_id, const char *name, const char *phone,
    const char *const *emails, size_t n_emails, int64_t *id)
{
	struct db_stmt *st = db_stmt(db, SQL_CONTACT_UPSERT);
	if (!st)
		return -1;
	db_bind_int64(st, 1, account_id);
	db_bind_text(st, 2, name);
	db_bind_text(st, 3, phone ? phone : "");
	if (db_step(st) != DB_ROW) {
		log_warnx("contact %s: %s", name, db_errmsg(db));
		db_reset(st);
		return -1;
	}
	int64_t cid = db_col_int64(st, 0);
	db_reset(st);
	if (!(st = db_stmt(db, SQL_CONTACT_EMAILS_CLEAR)))
		return -1;
	db_bind_int64(st, 1, cid);
	if (db_step_done(db, st) != 0)
		return -1;
	for (size_t i = 0; i < n_emails; i++) {
		if (!(st = db_stmt(db, SQL_CONTACT_EMAIL_ADD)))
			return -1;
		db_bind_int64(st, 1, cid);
		db_bind_text(st, 2, emails[i]);
		if (db_step_done(db, st) != 0)
			return -1;
	}
	if (id)
		*id = cid;
	return 0;
}

int db_contacts_exists(struct db *db, int64_t account_id, const char *name)
{
	struct db_stmt *st = db_stmt(db, SQL_CONTACT_EXISTS);
	if (!st)
		return -1;
	db_bind_int64(st, 1, account_id);
	db_bind_text(st, 2, name);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

int db_contacts_add_email(struct db *db, int64_t account_id, const char *name,
    const char *email, int64_t *id, int *added)
{
	struct db_stmt *st = db_stmt(db, SQL_CONTACT_ID);
	int64_t cid = 0;
	if (!st)
		return -1;
	db_bind_int64(st, 1, account_id);
	db_bind_text(st, 2, name);
	int rc = db_step(st);
	if (rc == DB_ROW)
		cid = db_col_int64(st, 0);
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return -1;
	if (!cid && db_contacts_upsert(db, account_id, name, "", NULL, 0, &cid) != 0)
		return -1;
	if (!(st = db_stmt(db, SQL_CONTACT_EMAIL_ADD)))
		return -1;
	db_bind_int64(st, 1, cid);
	db_bind_text(st, 2, email);
	if (db_step_done(db, st) != 0)
		return -1;
	if (added)
		*added = db_changes(db) > 0;
	if (id)
		*id = cid;
	return 0;
}

int64_t db_accounts_find(struct db *db, const char *number_or_name)
{
	struct db_stmt *st = db_stmt(db, SQL_ACCOUNT_FIND);
	if (!st)
		return -1;
	db_bind_text(st, 1, number_or_name);
	int rc = db_step(st);
	int64_t id = rc == DB_ROW ? db_col_int64(st, 0) : rc == DB_DONE ? 0 : -1;
	db_reset(st);
	return id;
}
