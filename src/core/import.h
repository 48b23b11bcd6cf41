/* Imports of accounts and contacts from CSV (or a JSON array of objects with the same column
 * names, when the file name ends in .json): one transaction per file, all or nothing. */
#ifndef CORE_IMPORT_H
#define CORE_IMPORT_H

#include <stdio.h>
#include "core/db.h"

struct import_result {
	int rows;        /* data rows read */
	int inserted;    /* rows that made a new record */
	int updated;     /* rows that updated an existing one */
	int errors;      /* rows refused (then nothing was imported) */
};

/* Import accounts from a CSV whose header names the columns (number and name required; see
 * README for the rest). Problems are written to errs as "FILE:LINE: reason", one a line.
 * Returns 0 when imported, -1 when refused (database unchanged). */
int import_accounts(struct db *db, const char *path, FILE *errs, struct import_result *res);
/* Import contacts: columns account_number, name, email (several split by ';'), phone. */
int import_contacts(struct db *db, const char *path, FILE *errs, struct import_result *res);

/* "1,234.56" / "-12.3" / "" into cents. Returns 0 or -1. */
int parse_money(const char *s, long long *cents);

#endif
