/* Faults log one clear line each: a repeating line is written once a minute with a count, and
 * a full disk says so once instead of a flood of savepoint errors. */
#include <unistd.h>

#include "t.h"
#include "sync_fixture.h"
#include "core/log.h"

static time_t fake_now = 1700000000;
static time_t fake_clock(void) { return fake_now; }

/* Run fn with stderr going to a file; its text (malloc'd) is returned. */
static char *capture(void (*fn)(void *), void *arg)
{
	char path[160];
	snprintf(path, sizeof path, "%s/stderr.txt", t_tmpdir());
	fflush(stderr);
	int saved = dup(2);
	FILE *f = fopen(path, "w+");
	if (saved < 0 || !f)
		return NULL;
	dup2(fileno(f), 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	char *text = calloc(1, (size_t)n + 1);
	rewind(f);
	if (text && fread(text, 1, (size_t)n, f) != (size_t)n)
		text[0] = 0;
	fclose(f);
	return text;
}

static int count_of(const char *text, const char *what)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void burst(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++) {
		log_warnx_limited("link 7: temporary", "link 7: connection refused");
		if (i % 10 == 0)
			log_warnx_limited("link 8: temporary", "link 8: connection refused");
	}
}

static void a_minute_later(void *arg)
{
	(void)arg;
	fake_now += 61;
	log_warnx_limited("link 7: temporary", "link 7: connection refused");
}

static void test_repeated_fault_logs_once_a_minute_with_a_count(void)
{
	log_set_clock(fake_clock);
	char *first = capture(burst, NULL), *later = capture(a_minute_later, NULL);
	log_set_clock(NULL);
	CHECK(first && later);
	CHECK_INT(count_of(first, "link 7: connection refused"), 1);
	CHECK_INT(count_of(first, "link 8: connection refused"), 1);   /* its own key */
	CHECK_INT(count_of(first, "\n"), 2);
	CHECK(strstr(later, "link 7: connection refused: repeated 99 times in the last minute\n"));
	free(first);
	free(later);
}

struct page { struct fx *f; int rc; };

static void store_page(void *arg)
{
	struct page *p = arg;
	struct msg_list l = { 0 };
	char pid[32], mid[32];
	for (int i = 0; i < 50; i++) {
		snprintf(pid, sizeof pid, "INBOX/1/%d", i);
		snprintf(mid, sizeof mid, "full-%d@x", i);
		struct sync_msg *m = fx_msg(&l, pid, mid, "john.smith@example.net", "alice@crm.example",
		    NULL, NULL, 1700000000 + i);
		free(m->body_text);
		m->body_text = calloc(1, 4000);
		memset(m->body_text, 'x', 3999);
	}
	p->rc = store_commit(&p->f->sa, STREAM_MAIL, &l, NULL, "c1");
}

static void test_disk_full_says_so_once_without_savepoint_noise(void)
{
	struct fx f;
	T_SQLITE_ONLY("SQLite's max_page_count makes the disk full (test_db_pg raises the server's"
	    " disk-full error)");
	CHECK(fx_open(&f) == 0);
	long long pages = fx_int(&f, "PRAGMA page_count", 0);
	CHECK(pages > 0);
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", pages + 2);
	CHECK(db_exec(f.db, sql) == DB_OK);
	struct page p = { &f, 0 };
	char *log = capture(store_page, &p);
	CHECK(log);
	CHECK_INT(p.rc, -1);
	CHECK_INT(db_disk_full(f.db), 1);
	CHECK_INT(count_of(log, "db: disk full: the database cannot grow"), 1);
	CHECK_INT(count_of(log, "savepoint"), 0);
	CHECK_INT(count_of(log, "page of mail not stored: disk full"), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 0);
	free(log);
	/* Space again: the same page lands and the flag goes. */
	CHECK(db_exec(f.db, "PRAGMA max_page_count = 1000000") == DB_OK);
	log = capture(store_page, &p);
	CHECK_INT(p.rc, 0);
	CHECK_INT(db_disk_full(f.db), 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 50);
	free(log);
	fx_close(&f);
}

T_MAIN(T(test_repeated_fault_logs_once_a_minute_with_a_count),
    T(test_disk_full_says_so_once_without_savepoint_noise))
