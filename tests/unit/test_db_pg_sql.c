/* SQLite's placeholders rewritten for PostgreSQL: numbering, and text that is not SQL left alone. */
#include "core/db_pg_sql.h"
#include "t.h"

struct rewrite_case {
	const char *sql, *want;
	int nparams, multi;
	const char *used;   /* '1' for each number that occurs */
};

static const struct rewrite_case cases[] = {
	{ "SELECT 1", "SELECT 1", 0, 0, "" },
	{ "SELECT ?, ?", "SELECT $1, $2", 2, 0, "11" },
	/* A bare ? is one more than the largest number before it. */
	{ "SELECT ?, ?5, ?", "SELECT $1, $5, $6", 6, 0, "100011" },
	{ "SELECT ?3, ?", "SELECT $3, $4", 4, 0, "0011" },
	{ "a = ?1 OR b = ?1 OR c = ?2", "a = $1 OR b = $1 OR c = $2", 2, 0, "11" },
	{ "x = $2 AND y = ?", "x = $2 AND y = $3", 3, 0, "011" },
	{ "?::int8", "$1::int8", 1, 0, "1" },
	/* Literals, quoted names, comments and dollar quotes keep their ? and $1. */
	{ "SELECT '?', ?", "SELECT '?', $1", 1, 0, "1" },
	{ "SELECT 'it''s ?' || ?", "SELECT 'it''s ?' || $1", 1, 0, "1" },
	{ "SELECT E'a\\'?' || ?", "SELECT E'a\\'?' || $1", 1, 0, "1" },
	{ "SELECT \"q?\" FROM t -- ?\nWHERE a = ?", "SELECT \"q?\" FROM t -- ?\nWHERE a = $1", 1, 0, "1" },
	{ "SELECT /* ?1 */ ?", "SELECT /* ?1 */ $1", 1, 0, "1" },
	{ "SELECT $$ ? $1 $$, $t$?$t$, ?", "SELECT $$ ? $1 $$, $t$?$t$, $1", 1, 0, "1" },
	{ "SELECT col$1 FROM t", "SELECT col$1 FROM t", 0, 0, "" },
	{ "SELECT a?1", "SELECT a $1", 1, 0, "1" },
	{ "SELECT 'unterminated ?", "SELECT 'unterminated ?", 0, 0, "" },
	/* Several commands; a trailing ; is one. */
	{ "BEGIN; SELECT 1", "BEGIN; SELECT 1", 0, 1, "" },
	{ "SELECT 1;  \n", "SELECT 1;  \n", 0, 0, "" },
	{ "SELECT ';x'", "SELECT ';x'", 0, 0, "" },
};

static void test_placeholders_become_dollar_numbers(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct rewrite_case *c = &cases[i];
		char *out = NULL;
		unsigned char *used = NULL;
		int n = -1, multi = -1;
		CHECK_INT(db_pg_rewrite(c->sql, &out, &n, &used, &multi), 0);
		int ok = strcmp(out, c->want) == 0 && n == c->nparams && multi == c->multi;
		for (int k = 0; ok && k < n; k++)
			ok = used[k] == (c->used[k] == '1');
		if (!ok)
			fprintf(stderr, "  case %zu: \"%s\" -> \"%s\" n=%d multi=%d\n", i, c->sql, out, n,
			    multi);
		free(out);
		free(used);
		CHECK(ok);
	}
}

static void test_numbers_out_of_range_are_refused(void)
{
	static const char *const bad[] = { "SELECT ?0", "SELECT ?32767", "SELECT $99999999999" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *out = NULL;
		unsigned char *used = NULL;
		int n, multi;
		CHECK_INT(db_pg_rewrite(bad[i], &out, &n, &used, &multi), -1);
		CHECK(out == NULL);
	}
	char *out;
	unsigned char *used;
	int n, multi;
	CHECK_INT(db_pg_rewrite("SELECT ?32766", &out, &n, &used, &multi), 0);
	CHECK_STR(out, "SELECT $32766");
	CHECK_INT(n, 32766);
	free(out);
	free(used);
}

T_MAIN(T(test_placeholders_become_dollar_numbers), T(test_numbers_out_of_range_are_refused))
