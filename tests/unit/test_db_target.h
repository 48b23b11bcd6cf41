/* The database a unit test opens: the SQLite file it names, or, when the run is on PostgreSQL
 * ($CRM_TEST_PG_URL set by tests/run), a fresh database on the run's server. */
#ifndef TEST_DB_TARGET_H
#define TEST_DB_TARGET_H
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "tmpdir.h"

extern char **environ;

/* Runs psql on the run's server (its maintenance database) with one statement; 0 or -1. */
static __attribute__((unused)) int test_db_psql(const char *base, const char *sql)
{
	char dsn[512];
	size_t len = strlen(base);
	if ((size_t)snprintf(dsn, sizeof dsn, "%s%spostgres", base,
	    len && base[len - 1] == '/' ? "" : "/") >= sizeof dsn)
		return -1;
	char *argv[] = { (char *)"psql", (char *)"-X", (char *)"-q", (char *)"-v",
	    (char *)"ON_ERROR_STOP=1", (char *)"-d", dsn, (char *)"-c", (char *)sql, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int rc = posix_spawnp(&pid, "psql", &fa, NULL, argv, environ), status = 0;
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

#define TEST_DB_MAX 64
static char test_db_names[TEST_DB_MAX][48];
static int test_db_count;

/* At exit: drop the databases this process made (the run's server is removed anyway). */
static __attribute__((unused)) void test_db_drop_all(void)
{
	const char *base = getenv("CRM_TEST_PG_URL");
	char sql[128];
	for (int i = 0; i < test_db_count; i++) {
		snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", test_db_names[i]);
		test_db_psql(base, sql);
	}
	test_db_count = 0;
}

/* 1 when the run is on PostgreSQL. */
static __attribute__((unused)) int test_db_on_pg(void)
{
	const char *base = getenv("CRM_TEST_PG_URL");
	return base && *base;
}

/* Writes into out (n bytes) what to give db_open: sqlite_path unchanged on SQLite; on
 * PostgreSQL the URL of a new, empty database. Returns out, or NULL when none could be made. */
static __attribute__((unused)) const char *test_db_target(char *out, size_t n, const char *sqlite_path)
{
	const char *base = getenv("CRM_TEST_PG_URL");
	if (!base || !*base) {
		return (size_t)snprintf(out, n, "%s", sqlite_path) < n ? out : NULL;
	}
	if (test_db_count >= TEST_DB_MAX)
		return NULL;
	char *name = test_db_names[test_db_count], sql[128];
	snprintf(name, sizeof test_db_names[0], "crm_u%ld_%d", (long)getpid(), test_db_count);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	if (test_db_psql(base, sql) != 0) {
		fprintf(stderr, "test_db_target: %s failed on %s\n", sql, base);
		return NULL;
	}
	if (test_db_count++ == 0)
		atexit(test_db_drop_all);
	size_t len = strlen(base);
	if ((size_t)snprintf(out, n, "%s%s%s", base, len && base[len - 1] == '/' ? "" : "/", name) >= n)
		return NULL;
	return out;
}

/* test_db_target for a file named file in a fresh temp folder (the usual "crm.db"). */
static __attribute__((unused)) const char *test_db_fresh(char *out, size_t n, const char *file)
{
	char path[256];
	const char *dir = t_tmpdir();
	if (!dir)
		return NULL;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
		return NULL;
	return test_db_target(out, n, path);
}

/* In a case about SQLite itself (its file, WAL, locks, query plans, pragmas): ends it as
 * skipped on PostgreSQL, saying why. */
#define T_SQLITE_ONLY(why) T_SKIP(test_db_on_pg(), "on PostgreSQL", why)
#endif
