/* CSV imports with libcsv: rows are checked and written in one transaction; any bad row makes
 * the whole file refused, with every problem reported as FILE:LINE: reason. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <csv.h>
#include <jansson.h>

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
	int json;                /* reading a JSON array: line is then the item number */
};

static void row_error(struct row_reader *r, const char *fmt, const char *arg)
{
	r->res->errors++;
	if (r->res->errors > MAX_REPORTED)
		return;
	if (r->json)
		fprintf(r->errs, "%s: item %d: ", r->path, r->line);
	else
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

/* A JSON value as the text a CSV cell would hold (arrays of strings joined with ';'); NULL
 * when the value has a type no column takes. */
static char *json_cell(json_t *v)
{
	char buf[64];
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_null(v))
		return strdup("");
	if (json_is_integer(v)) {
		snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
		return strdup(buf);
	}
	if (json_is_real(v)) {
		snprintf(buf, sizeof buf, "%.2f", json_real_value(v));
		return strdup(buf);
	}
	if (!json_is_array(v))
		return NULL;
	size_t len = 1, i;
	json_t *e;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return NULL;
		len += strlen(json_string_value(e)) + 1;
	}
	char *out = calloc(1, len);
	json_array_foreach(v, i, e) {
		if (out && i)
			strcat(out, ";");
		if (out)
			strcat(out, json_string_value(e));
	}
	return out;
}

/* The same rows as a CSV, from a JSON array of objects keyed by the column names. */
static int read_json(struct row_reader *r, const char *const *required)
{
	json_error_t jerr;
	json_t *root = json_load_file(r->path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_array(root)) {
		fprintf(r->errs, "%s:%d: %s\n", r->path, root ? 1 : jerr.line,
		    root ? "expected an array of objects" : jerr.text);
		r->res->errors++;
		json_decref(root);
		return -1;
	}
	r->json = 1;
	size_t idx;
	json_t *item;
	json_array_foreach(root, idx, item) {
		char *by_col[MAX_COLS] = { 0 };
		const char *key;
		json_t *v;
		int bad = 0;
		r->line = (int)idx + 1;
		if (!json_is_object(item)) {
			row_error(r, "not an object%s", "");
			continue;
		}
		json_object_foreach(item, key, v) {
			int k = 0;
			while (k < r->nknown && strcmp(r->known[k], key) != 0)
				k++;
			if (k == r->nknown) {
				row_error(r, "unknown field \"%s\"", key);
				bad = 1;
			} else if (!(by_col[k] = json_cell(v))) {
				row_error(r, "field \"%s\" has the wrong type", key);
				bad = 1;
			}
		}
		for (int k = 0; !bad && required[k]; k++) {
			int found = 0;
			for (int c = 0; c < r->nknown; c++)
				found |= by_col[c] && strcmp(r->known[c], required[k]) == 0;
			if (!found) {
				row_error(r, "missing field \"%s\"", required[k]);
				bad = 1;
			}
		}
		if (!bad) {
			r->res->rows++;
			r->on_row(r, by_col, r->nknown);
		}
		for (int k = 0; k < r->nknown; k++)
			free(by_col[k]);
		if (r->failed)
			break;
	}
	json_decref(root);
	return r->failed ? -1 : 0;
}

static int is_json_path(const char *path)
{
	size_t n = strlen(path);
	return n >= 5 && strcasecmp(path + n - 5, ".json") == 0;
}

static int run_import(struct db *db, const char *path, FILE *errs, struct import_result *res,
    const char *const *known, int nknown, const char *const *required, row_fn fn)
{
	struct row_reader r = { .db = db, .path = path, .errs = errs, .res = res, .on_row = fn,
		.known = known, .nknown = nknown };
	memset(res, 0, sizeof *res);
	if (db_begin(db) != 0)
		return -1;
	int rc = is_json_path(path) ? read_json(&r, required) : read_csv(&r);
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
	int existed = db_contacts_exists(r->db, account_id, name);
	if (existed < 0) {
		r->failed = 1;
		goto done;
	}
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
