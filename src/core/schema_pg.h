/* The PostgreSQL text of the schema (schema_pg.c), which schema.c's first migration carries. */
#ifndef CORE_SCHEMA_PG_H
#define CORE_SCHEMA_PG_H

/* The whole schema as SQLite has it after migration 23 (m23_blocklist), in PostgreSQL's
 * dialect: what a new PostgreSQL database is made with. One text of several statements, for
 * one simple-protocol call (PQexec): its functions are quoted with $$. */
extern const char schema_pg_m23[];

#endif
