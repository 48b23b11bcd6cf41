/* libFuzzer target: SQLite placeholders rewritten for PostgreSQL (db_pg_rewrite) on any text;
 * rewriting the result again must change nothing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/db_pg_sql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *sql = malloc(size + 1);
	if (!sql)
		return 0;
	memcpy(sql, data, size);
	sql[size] = '\0';
	char *out = NULL, *again = NULL;
	unsigned char *used = NULL, *used2 = NULL;
	int n, multi, n2, multi2;
	if (db_pg_rewrite(sql, &out, &n, &used, &multi) == 0) {
		if (db_pg_rewrite(out, &again, &n2, &used2, &multi2) != 0 || strcmp(out, again) != 0 ||
		    n2 != n || multi2 != multi || (n && memcmp(used, used2, (size_t)n) != 0))
			abort();
	}
	free(sql);
	free(out);
	free(again);
	free(used);
	free(used2);
	return 0;
}
