/* The numbered schema migrations, applied in order at start-up by every program. */
#ifndef CORE_SCHEMA_H
#define CORE_SCHEMA_H

#include <stddef.h>

struct migration {
	const char *name;
	const char *sql;   /* SQLite */
	/* PostgreSQL: the same change in its dialect; "" when an earlier migration's text already
	 * made it (the first one holds the whole schema of its time); NULL: not written for
	 * PostgreSQL, so a PostgreSQL database stops at the migration before. */
	const char *pg;
};

extern const struct migration schema_migrations[];
extern const size_t schema_n_migrations;

#endif
