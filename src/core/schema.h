/* The numbered schema migrations, applied in order at start-up by every program. */
#ifndef CORE_SCHEMA_H
#define CORE_SCHEMA_H

#include <stddef.h>

struct migration {
	const char *name;
	const char *sql;
};

extern const struct migration schema_migrations[];
extern const size_t schema_n_migrations;

#endif
