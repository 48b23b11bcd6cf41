/* SQL text for PostgreSQL from the storage code's SQLite text: pure rewriting, no connection. */
#ifndef CORE_DB_PG_SQL_H
#define CORE_DB_PG_SQL_H

/* SQLite numbers a bare ? one more than the largest number used before it, and ?N or $N is
 * number N; PostgreSQL knows only $N. Rewrites sql into *out (malloc'd) with $N everywhere,
 * copying string literals ('' and E'' escapes), quoted identifiers, dollar-quoted strings and
 * comments as they are. *nparams gets the highest number, *used (malloc'd, *nparams bytes; NULL
 * when 0) which numbers occur, *multi whether more than one command follows. Returns 0, or -1
 * on a number out of range (1..32766, as on SQLite) or no memory. */
int db_pg_rewrite(const char *sql, char **out, int *nparams, unsigned char **used, int *multi);

#endif
