/* The unit tests' database: the SQLite path unchanged, or a fresh PostgreSQL database per call. */
#include "t.h"
#include "test_db_target.h"

/* The one value psql prints for sql on the run's server, or "" when it fails. */
static const char *psql_value(const char *sql)
{
	static char out[256];
	char cmd[1024];
	out[0] = '\0';
	snprintf(cmd, sizeof cmd, "psql -X -A -t -q -d '%spostgres' -c \"%s\"",
	    getenv("CRM_TEST_PG_URL"), sql);
	FILE *p = popen(cmd, "r");
	if (!p)
		return out;
	if (!fgets(out, sizeof out, p))
		out[0] = '\0';
	pclose(p);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

static void test_sqlite_path_is_kept(void)
{
	T_SKIP(test_db_on_pg(), "on PostgreSQL", "the SQLite case");
	char out[128];
	CHECK_STR(test_db_target(out, sizeof out, "/tmp/x/crm.db"), "/tmp/x/crm.db");
	CHECK(test_db_target(out, 8, "/tmp/x/crm.db") == NULL);   /* too long: no cut path */
}

static void test_each_call_makes_a_fresh_database(void)
{
	T_SKIP(!test_db_on_pg(), "on SQLite", "CRM_TEST_PG_URL is not set");
	const char *base = getenv("CRM_TEST_PG_URL");
	char a[128], b[128], sql[256];
	CHECK(test_db_fresh(a, sizeof a, "crm.db") != NULL);
	CHECK(test_db_target(b, sizeof b, "/unused/crm.db") != NULL);
	CHECK(strncmp(a, base, strlen(base)) == 0 && strncmp(b, base, strlen(base)) == 0);
	CHECK(strcmp(a, b) != 0);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_database WHERE datname IN ('%s', '%s')",
	    strrchr(a, '/') + 1, strrchr(b, '/') + 1);
	CHECK_STR(psql_value(sql), "2");
}

T_MAIN(T(test_sqlite_path_is_kept), T(test_each_call_makes_a_fresh_database))
