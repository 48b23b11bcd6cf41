/* Prints the PostgreSQL text of the migrations (schema.c) in order, as a PostgreSQL database
 * runs them, for tests that load it with psql. Exits 1 when a migration has none (NULL): a
 * PostgreSQL database would stop before it. */
#include <stdio.h>

#include "core/schema.h"

int main(void)
{
	for (size_t i = 0; i < schema_n_migrations; i++) {
		if (!schema_migrations[i].pg) {
			fprintf(stderr, "schema_sql: migration %zu (%s) has no PostgreSQL text\n", i + 1,
			    schema_migrations[i].name);
			return 1;
		}
		fputs(schema_migrations[i].pg, stdout);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
