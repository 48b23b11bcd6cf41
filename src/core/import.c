/* CSV imports with libcsv: rows are checked and written in one transaction; any bad row makes
 * the whole file refused, with every problem reported as FILE:LINE: reason. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <csv.h>

#include "core/addr.h"
#include "core/import.h"
#include "core/log.h"
#include "core/models.h"
#include "core/timeutil.h"

#define MAX_COLS 32
#define MAX_REPORTED 50

struct row_reader;
typedef void (*row_fn)(struct row_reader *r, char **fields, int n);

struct row_reader {
	struct db *db;
	const char *path;
	FILE *errs;
	struct import_result *res;
	row_fn on_row;
	int line;                /* physical line the current row ends on */
	char *fields[MAX_COLS];
	int nfields;
	int overflow;
	int header_done;
	int col[MAX_COLS];       /* header position -> known column index, -1 unknown */
	int ncols;
	int failed;              /* a database error: stop */
	const char *const *known;
	int nknown;
};

static void row_error(struct row_reader *r, const char *fmt, const char *arg)
{
	r->res->errors++;
	if (r->res->errors > MAX_REPORTED)
		return;
	fprintf(r->errs, "%s:%d: ", r->path, r->line);
	fprintf(r->errs, fmt, arg);
	fputc('\n', r->errs);
}

static void on_field(void *s, size_t len, void *data)
{
	struct row_reader *r = data;
	if (r->nfields >= MAX_COLS) {
		r->overflow = 1;
		return;
	}
	char *f = malloc(len + 1);
	if (!f) {
		r->failed = 1;
		return;
	}
	memcpy(f, s, len);
	f[len] = '\0';
	r->fields[r->nfields++] = f;
}

static void header_row(struct row_reader *r)
{
	r->header_done = 1;
	r->ncols = r->nfields;
	if (r->nfields > 0 && strncmp(r->fields[0], "\xEF\xBB\xBF", 3) == 0)   /* UTF-8 BOM */
		memmove(r->fields[0], r->fields[0] + 3, strlen(r->fields[0] + 3) + 1);
	for (int i = 0; i < r->nfields; i++) {
		char *h = r->fields[i];
		for (char *p = h; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		r->col[i] = -1;
		for (int k = 0; k < r->nknown; k++)
			if (strcmp(h, r->known[k]) == 0)
				r->col[i] = k;
		if (r->col[i] < 0)
			row_error(r, "unknown column \"%s\"", h);
	}
}

static void on_row_end(int c, void *data)
{
	struct row_reader *r = data;
	(void)c;
	if (r->overflow)
		row_error(r, "too many columns%s", "");
	else if (!r->header_done)
		header_row(r);
	else if (r->nfields == 1 && r->fields[0][0] == '\0')
		;  /* a blank line */
	else if (r->nfields != r->ncols) {
		char n[32];
		snprintf(n, sizeof n, "%d", r->ncols);
		row_error(r, "wrong number of columns (expected %s)", n);
	} else {
		r->res->rows++;
		char *by_col[MAX_COLS] = { 0 };
		for (int i = 0; i < r->nfields; i++)
			if (r->col[i] >= 0)
				by_col[r->col[i]] = r->fields[i];
		r->on_row(r, by_col, r->nknown);
	}
	for (int i = 0; i < r->nfields; i++)
		free(r->fields[i]);
	r->nfields = 0;
	r->overflow = 0;
}

/* Feed the file line by line so every row knows the line it ends on. */
static int read_csv(struct row_reader *r)
{
	FILE *f = fopen(r->path, "r");
	if (!f) {
		fprintf(r->errs, "%s:0: cannot open: %s\n", r->path, strerror(errno));
		return -1;
	}
	struct csv_parser p;
	if (csv_init(&p, CSV_APPEND_NULL | CSV_STRICT | CSV_STRICT_FINI) != 0) {
		fclose(f);
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	r->line = 0;
	while (!r->failed && (n = getline(&line, &cap, f)) > 0) {
		r->line++;
		if (csv_parse(&p, line, (size_t)n, on_field, on_row_end, r) != (size_t)n) {
			row_error(r, "malformed CSV: %s", csv_strerror(csv_error(&p)));
			rc = -1;
			break;
		}
	}
	if (rc == 0 && csv_fini(&p, on_field, on_row_end, r) != 0) {
		row_error(r, "malformed CSV: %s", csv_strerror(csv_error(&p)));
		rc = -1;
	}
	csv_free(&p);
	free(line);
	fclose(f);
	for (int i = 0; i < r->nfields; i++)
		free(r->fields[i]);
	if (!r->header_done) {
		row_error(r, "empty file: a header row is needed%s", "");
		rc = -1;
	}
	return r->failed ? -1 : rc;
}

static int run_import(struct db *db, const char *path, FILE *errs, struct import_result *res,
    const char *const *known, int nknown, const char *const *required, row_fn fn)
{
	struct row_reader r = { .db = db, .path = path, .errs = errs, .res = res, .on_row = fn,
		.known = known, .nknown = nknown };
	memset(res, 0, sizeof *res);
	if (db_begin(db) != 0)
		return -1;
	int rc = read_csv(&r);
	for (int k = 0; rc == 0 && r.header_done && required[k]; k++) {
		int found = 0;
		for (int i = 0; i < r.ncols; i++)
			found |= r.col[i] >= 0 && strcmp(known[r.col[i]], required[k]) == 0;
		if (!found) {
			r.line = 1;
			row_error(&r, "missing column \"%s\"", required[k]);
		}
	}
	if (rc != 0 || res->errors > 0 || r.failed) {
		if (res->errors > MAX_REPORTED)
			fprintf(errs, "%s: %d more problems not shown\n", path, res->errors - MAX_REPORTED);
		db_rollback(db);
		return -1;
	}
	return db_commit(db);
}

int parse_money(const char *s, long long *cents)
{
	long long whole = 0, frac = 0;
	int neg = 0, nfrac = 0, any = 0;
	while (*s == ' ' || *s == '$')
		s++;
	if (*s == '-' || *s == '(') {
		neg = 1;
		s++;
	}
	while (*s == '$')
		s++;
	for (; isdigit((unsigned char)*s) || *s == ','; s++) {
		if (*s == ',')
			continue;
		whole = whole * 10 + (*s - '0');
		any = 1;
		if (whole > 100000000000LL)
			return -1;
	}
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++) {
			if (nfrac == 2)
				return -1;
			frac = frac * 10 + (*s - '0');
			nfrac++;
			any = 1;
		}
		if (nfrac == 1)
			frac *= 10;
	}
	if (*s == ')' && neg)
		s++;
	while (*s == ' ')
		s++;
	if (*s)
		return -1;
	if (!any) {
		*cents = 0;
		return 0;
	}
	*cents = (whole * 100 + frac) * (neg ? -1 : 1);
	return 0;
}

/* ---- accounts ---- */

enum { A_NUMBER, A_NAME, A_ADDR1, A_ADDR2, A_CITY, A_STATE, A_ZIP, A_STATUS, A_DIVISION,
	A_MANAGER, A_CLASS, A_BILLGROUP, A_MODE, A_CYCLE, A_THRU, A_AGING0 };
static const char *const account_cols[] = { "number", "name", "address1", "address2", "city",
	"state", "zip", "status", "division", "account_manager", "class", "bill_group",
	"billing_mode", "billing_cycle", "billed_thru", "aging_current", "aging_1_30",
	"aging_31_60", "aging_61_90", "aging_91_120", "aging_120_plus" };
static const char *const account_required[] = { "number", "name", NULL };

static int account_exists(struct db *db, const char *number)
{
	struct account a;
	int rc = db_accounts_get_by_number(db, number, &a);
	if (rc == 0)
		account_free(&a);
	return rc == 0;
}

static void account_row(struct row_reader *r, char **f, int n)
{
	(void)n;
	struct account a = { 0 };
	const char *num = f[A_NUMBER] ? f[A_NUMBER] : "", *name = f[A_NAME] ? f[A_NAME] : "";
	struct ymd d;
	if (!*num) {
		row_error(r, "account number is empty%s", "");
		return;
	}
	if (!*name) {
		row_error(r, "account %s: name is empty", num);
		return;
	}
	if (f[A_THRU] && *f[A_THRU] && strcasecmp(f[A_THRU], "none") != 0 &&
	    date_parse(f[A_THRU], &d) != 0) {
		row_error(r, "billed_thru \"%s\" is not a date YYYY-MM-DD", f[A_THRU]);
		return;
	}
	for (int i = 0; i < 6; i++) {
		long long c = 0;
		if (f[A_AGING0 + i] && parse_money(f[A_AGING0 + i], &c) != 0) {
			row_error(r, "\"%s\" is not an amount", f[A_AGING0 + i]);
			return;
		}
		a.aging[i] = c;
	}
	a.number = f[A_NUMBER];
	a.name = f[A_NAME];
	a.address1 = f[A_ADDR1];
	a.address2 = f[A_ADDR2];
	a.city = f[A_CITY];
	a.state = f[A_STATE];
	a.zip = f[A_ZIP];
	a.status = f[A_STATUS] && *f[A_STATUS] ? f[A_STATUS] : "Active";
	a.division = f[A_DIVISION];
	a.account_manager = f[A_MANAGER];
	a.class_ = f[A_CLASS];
	a.bill_group = f[A_BILLGROUP];
	a.billing_mode = f[A_MODE] && *f[A_MODE] ? f[A_MODE] : "Arrears";
	a.billing_cycle = f[A_CYCLE] && *f[A_CYCLE] ? f[A_CYCLE] : "Monthly";
	a.billed_thru = f[A_THRU] && strcasecmp(f[A_THRU], "none") != 0 ? f[A_THRU] : NULL;
	int existed = account_exists(r->db, num);
	if (db_accounts_upsert(r->db, &a) != 0) {
		r->failed = 1;
		return;
	}
	if (existed)
		r->res->updated++;
	else
		r->res->inserted++;
}

int import_accounts(struct db *db, const char *path, FILE *errs, struct import_result *res)
{
	return run_import(db, path, errs, res, account_cols,
	    (int)(sizeof account_cols / sizeof account_cols[0]), account_required, account_row);
}

/* ---- contacts ---- */

enum { C_ACCOUNT, C_NAME, C_EMAIL, C_PHONE };
static const char *const contact_cols[] = { "account_number", "name", "email", "phone" };
static const char *const contact_required[] = { "account_number", "name", "email", NULL };

static const char SQL_CONTACT_EXISTS[] =
    "SELECT 1 FROM contacts WHERE account_id = ? AND name = ?";

static void contact_row(struct row_reader *r, char **f, int n)
{
	(void)n;
	struct account a;
	char *emails[8], list[1024];
	size_t ne = 0;
	const char *num = f[C_ACCOUNT] ? f[C_ACCOUNT] : "", *name = f[C_NAME] ? f[C_NAME] : "";
	if (!*name) {
		row_error(r, "contact name is empty%s", "");
		return;
	}
	int rc = db_accounts_get_by_number(r->db, num, &a);
	if (rc != 0) {
		if (rc < 0)
			r->failed = 1;
		else
			row_error(r, "unknown account \"%s\"", num);
		return;
	}
	int64_t account_id = a.id;
	account_free(&a);
	snprintf(list, sizeof list, "%s", f[C_EMAIL] ? f[C_EMAIL] : "");
	char *save = NULL;
	for (char *tok = strtok_r(list, ";, \t", &save); tok; tok = strtok_r(NULL, ";, \t", &save)) {
		char norm[256];
		if (!addr_normalize(tok, norm, sizeof norm) || !addr_valid(norm)) {
			row_error(r, "\"%s\" is not a valid e-mail address", tok);
			goto done;
		}
		if (ne == sizeof emails / sizeof emails[0]) {
			row_error(r, "too many e-mail addresses for %s", name);
			goto done;
		}
		emails[ne++] = strdup(norm);
		if (!emails[ne - 1]) {
			r->failed = 1;
			goto done;
		}
	}
	if (ne == 0) {
		row_error(r, "contact %s has no e-mail address", name);
		goto done;
	}
	sqlite3_stmt *st = db_stmt(r->db, SQL_CONTACT_EXISTS);
	if (!st) {
		r->failed = 1;
		goto done;
	}
	sqlite3_bind_int64(st, 1, account_id);
	db_bind_text(st, 2, name);
	int existed = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (db_contacts_upsert(r->db, account_id, name, f[C_PHONE], (const char *const *)emails, ne,
	    NULL) != 0) {
		r->failed = 1;
		goto done;
	}
	if (existed)
		r->res->updated++;
	else
		r->res->inserted++;
done:
	for (size_t i = 0; i < ne; i++)
		free(emails[i]);
}

int import_contacts(struct db *db, const char *path, FILE *errs, struct import_result *res)
{
	return run_import(db, path, errs, res, contact_cols,
	    (int)(sizeof contact_cols / sizeof contact_cols[0]), contact_required, contact_row);
}
