/* CSV imports: all rows or none, FILE:LINE: reason for each bad row, re-import updates. */
#include "t.h"
#include "tmpdir.h"
#include "test_db_target.h"
#include "core/db.h"
#include "core/import.h"
#include "core/models.h"

static const char ACCOUNTS[] =
    "number,name,address1,city,state,zip,status,division,account_manager,class,bill_group,"
    "billed_thru,aging_current,aging_1_30\n"
    "48958001,Example Account,1234 Washington Ave,Houston,TX,77007-1062,Active,HOUSTON,"
    "Dave Pike,COMMERCIAL,HOU-COMMERCIAL ARREARS,None,0.00,0\n"
    "48958002,\"Bayou City Diner, LLC\",415 Main St,Houston,TX,77002,Active,HOUSTON,"
    "Dave Pike,COMMERCIAL,HOU-COMMERCIAL ARREARS,2023-06-30,\"1,250.50\",12.5\n";

static int count(struct db *db, const char *table)
{
	char sql[128];
	struct db_stmt *st;
	int n = -1;
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	if ((st = db_prepare(db, sql)) && db_step(st) == DB_ROW)
		n = db_col_int(st, 0);
	db_finalize(st);
	return n;
}

/* Run an import with errors captured into buf. */
static int run(struct db *db, int contacts, const char *path, struct import_result *r, char *buf,
    size_t size)
{
	FILE *errs = fmemopen(buf, size, "w");
	int rc = contacts ? import_contacts(db, path, errs, r) : import_accounts(db, path, errs, r);
	fclose(errs);
	return rc;
}

static struct db *fresh(const char **dir)
{
	char path[128], err[256];
	char file[128];
	*dir = t_tmpdir();
	snprintf(file, sizeof file, "%s/crm.db", *dir);
	if (!test_db_target(path, sizeof path, file))
		return NULL;
	return db_open(path, err, sizeof err);
}

static void test_accounts_import_with_quoted_fields_and_amounts(void)
{
	const char *dir;
	struct db *db = fresh(&dir);
	struct import_result r;
	char errs[1024] = "";
	CHECK(db != NULL);
	CHECK_INT(run(db, 0, t_write(dir, "a.csv", ACCOUNTS), &r, errs, sizeof errs), 0);
	CHECK_INT(r.rows, 2);
	CHECK_INT(r.inserted, 2);
	struct account a;
	CHECK_INT(db_accounts_get_by_number(db, "48958002", &a), 0);
	CHECK_STR(a.name, "Bayou City Diner, LLC");
	CHECK_INT(a.aging[0], 125050);
	CHECK_INT(a.aging[1], 1250);
	CHECK_STR(a.billed_thru, "2023-06-30");
	account_free(&a);
	CHECK_INT(db_accounts_get_by_number(db, "48958001", &a), 0);
	CHECK(a.billed_thru == NULL);
	CHECK_STR(a.billing_mode, "Arrears");
	account_free(&a);
	db_close(db);
}

static void test_reimport_updates_instead_of_duplicating(void)
{
	const char *dir;
	struct db *db = fresh(&dir);
	struct import_result r;
	char errs[1024] = "";
	CHECK(db != NULL);
	CHECK_INT(run(db, 0, t_write(dir, "a.csv", ACCOUNTS), &r, errs, sizeof errs), 0);
	CHECK_INT(run(db, 0, t_write(dir, "a2.csv", "number,name,status\n48958001,Example Account "
	    "Renamed,Inactive\n"), &r, errs, sizeof errs), 0);
	CHECK_INT(r.updated, 1);
	CHECK_INT(r.inserted, 0);
	CHECK_INT(count(db, "accounts"), 2);
	struct account a;
	CHECK_INT(db_accounts_get_by_number(db, "48958001", &a), 0);
	CHECK_STR(a.name, "Example Account Renamed");
	CHECK_STR(a.status, "Inactive");
	account_free(&a);
	const char *contacts = "account_number,name,email,phone\n"
	    "48958001,John Smith, John.Smith@Example.net ;jsmith@example.org,713-555-0101\n";
	CHECK_INT(run(db, 1, t_write(dir, "c.csv", contacts), &r, errs, sizeof errs), 0);
	CHECK_INT(run(db, 1, t_write(dir, "c.csv", contacts), &r, errs, sizeof errs), 0);
	CHECK_INT(r.updated, 1);
	CHECK_INT(count(db, "contacts"), 1);
	CHECK_INT(count(db, "contact_emails"), 2);
	struct db_stmt *st = db_stmt(db, "SELECT count(*) FROM contact_emails WHERE email = "
	    "'john.smith@example.net'");
	CHECK(st && db_step(st) == DB_ROW);
	CHECK_INT(db_col_int(st, 0), 1);
	db_reset(st);
	db_close(db);
}

static void test_bad_rows_refuse_the_whole_file_with_line_numbers(void)
{
	const char *dir;
	struct db *db = fresh(&dir);
	struct import_result r;
	char errs[2048] = "";
	CHECK(db != NULL);
	CHECK_INT(run(db, 0, t_write(dir, "a.csv", ACCOUNTS), &r, errs, sizeof errs), 0);
	const char *p = t_write(dir, "bad.csv", "number,name,city\n"
	    "90000001,Good Row,Houston\n"
	    "90000002,Short Row\n"
	    "90000003,Another Good,Katy\n");
	char path[256];
	snprintf(path, sizeof path, "%s", p);
	CHECK_INT(run(db, 0, path, &r, errs, sizeof errs), -1);
	char want[600];
	snprintf(want, sizeof want, "%s:3: wrong number of columns", path);
	CHECK(strstr(errs, want) != NULL);
	CHECK_INT(count(db, "accounts"), 2);   /* the good rows did not go in either */

	p = t_write(dir, "badc.csv", "account_number,name,email,phone\n"
	    "48958001,Ok Person,ok@example.com,1\n"
	    "48958001,No At,not-an-email,2\n"
	    "99999999,Nobody,n@example.com,3\n");
	snprintf(path, sizeof path, "%s", p);
	errs[0] = '\0';
	CHECK_INT(run(db, 1, path, &r, errs, sizeof errs), -1);
	snprintf(want, sizeof want, "%s:3: \"not-an-email\" is not a valid e-mail address", path);
	CHECK(strstr(errs, want) != NULL);
	snprintf(want, sizeof want, "%s:4: unknown account \"99999999\"", path);
	CHECK(strstr(errs, want) != NULL);
	CHECK_INT(count(db, "contacts"), 0);

	p = t_write(dir, "badh.csv", "number,nmae\n1,x\n");
	snprintf(path, sizeof path, "%s", p);
	CHECK_INT(run(db, 0, path, &r, errs, sizeof errs), -1);
	CHECK(strstr(errs, ":1: unknown column \"nmae\"") != NULL);

	p = t_write(dir, "badq.csv", "number,name\n1,\"unterminated\n");
	CHECK_INT(run(db, 0, p, &r, errs, sizeof errs), -1);
	p = t_write(dir, "badm.csv", "number,name,aging_current\n5,X,12.345\n");
	CHECK_INT(run(db, 0, p, &r, errs, sizeof errs), -1);
	CHECK(strstr(errs, "\"12.345\" is not an amount") != NULL);
	CHECK_INT(count(db, "accounts"), 2);
	db_close(db);
}

static void test_money_parsing(void)
{
	struct { const char *in; int rc; long long c; } cases[] = {
		{ "0.00", 0, 0 }, { "12", 0, 1200 }, { "12.5", 0, 1250 }, { "1,234.56", 0, 123456 },
		{ "-3.10", 0, -310 }, { "(4.00)", 0, -400 }, { "$7.25", 0, 725 }, { "", 0, 0 },
		{ "abc", -1, 0 }, { "1.234", -1, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		long long c = -1;
		CHECK_INT(parse_money(cases[i].in, &c), cases[i].rc);
		if (cases[i].rc == 0)
			CHECK_INT(c, cases[i].c);
	}
}

static void test_json_import_takes_the_same_columns(void)
{
	const char *dir;
	struct db *db = fresh(&dir);
	struct import_result r;
	char errs[2048] = "";
	CHECK(db != NULL);
	CHECK_INT(run(db, 0, t_write(dir, "a.json", "[{\"number\": \"48958001\", \"name\": "
	    "\"Example Account\", \"zip\": \"77007-1062\", \"aging_current\": 12.5, "
	    "\"aging_1_30\": 3, \"billed_thru\": null}]"), &r, errs, sizeof errs), 0);
	CHECK_INT(r.inserted, 1);
	struct account a;
	CHECK_INT(db_accounts_get_by_number(db, "48958001", &a), 0);
	CHECK_INT(a.aging[0], 1250);
	CHECK_INT(a.aging[1], 300);
	account_free(&a);
	CHECK_INT(run(db, 1, t_write(dir, "c.json", "[{\"account_number\": \"48958001\", \"name\":"
	    " \"John Smith\", \"email\": [\"John@Example.net\", \"js@example.org\"]}]"), &r, errs,
	    sizeof errs), 0);
	CHECK_INT(count(db, "contact_emails"), 2);

	const char *p = t_write(dir, "bad.json", "[{\"number\": \"1\", \"name\": \"Ok\"},\n"
	    " {\"number\": \"2\"},\n {\"number\": \"3\", \"name\": \"X\", \"colour\": \"red\"}]");
	char path[256], want[600];
	snprintf(path, sizeof path, "%s", p);
	CHECK_INT(run(db, 0, path, &r, errs, sizeof errs), -1);
	snprintf(want, sizeof want, "%s: item 2: missing field \"name\"", path);
	CHECK(strstr(errs, want) != NULL);
	snprintf(want, sizeof want, "%s: item 3: unknown field \"colour\"", path);
	CHECK(strstr(errs, want) != NULL);
	CHECK_INT(count(db, "accounts"), 1);   /* item 1 did not go in either */
	p = t_write(dir, "broken.json", "[{\"number\": \"1\",\n \"name\": }]");
	CHECK_INT(run(db, 0, p, &r, errs, sizeof errs), -1);
	CHECK(strstr(errs, "broken.json:2: ") != NULL);
	db_close(db);
}

T_MAIN(T(test_accounts_import_with_quoted_fields_and_amounts), T(test_json_import_takes_the_same_columns),
    T(test_reimport_updates_instead_of_duplicating),
    T(test_bad_rows_refuse_the_whole_file_with_line_numbers), T(test_money_parsing))
