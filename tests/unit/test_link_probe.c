/* The queued login tests of the link form in the database: each user sees only their own, a
 * test is run once, its secret goes when it fails, when its link is saved and when it expires. */
#include "t.h"
#include "tmpdir.h"
#include "test_db_target.h"
#include "core/db.h"
#include "core/db_link_probe.h"
#include "core/models.h"

#define NOW 1700000000
#define TIMEOUT 20

static const uint8_t BLOB[] = { 1, 2, 3, 4, 5 };

static struct db *fresh_db(int64_t *ann, int64_t *bob)
{
	char path[128], err[256];
	struct db *db = test_db_fresh(path, sizeof path, "crm.db") ? db_open(path, err, sizeof err) : NULL;
	if (!db || db_users_add(db, "Ann", "ann@crm.example", "pw", "user", "UTC", ann) != 0 ||
	    db_users_add(db, "Bob", "bob@crm.example", "pw", "user", "UTC", bob) != 0) {
		db_close(db);
		return NULL;
	}
	return db;
}

static int64_t add(struct db *db, int64_t user, int64_t now)
{
	int64_t id = 0;
	if (db_link_probe_add(db, user, "link", "ann@mail.example", "{\"imap_host\":\"h\"}", BLOB,
	    sizeof BLOB, TIMEOUT, now, &id) != 0)
		return 0;
	return id;
}

/* Rows of link_probes that still hold a secret. */
static int secrets_left(struct db *db)
{
	static const char q[] = "SELECT count(*) FROM link_probes WHERE secret IS NOT NULL";
	struct db_stmt *st = db_stmt(db, q);
	int n = st && db_step(st) == DB_ROW ? db_col_int(st, 0) : -1;
	if (st)
		db_reset(st);
	return n;
}

static void test_a_test_is_seen_by_its_user_only(void)
{
	int64_t ann, bob;
	struct link_probe p;
	struct db *db = fresh_db(&ann, &bob);
	CHECK(db != NULL);
	int64_t id = add(db, ann, NOW);
	CHECK(id > 0);
	CHECK_INT(db_link_probe_get(db, id, bob, &p), 1);
	CHECK_INT(db_link_probe_get(db, id, ann, &p), 0);
	CHECK_STR(p.state, "pending");
	CHECK_STR(p.address, "ann@mail.example");
	CHECK_INT(p.expires_at, NOW + TIMEOUT + LINK_PROBE_PICKUP_S);
	CHECK(p.secret == NULL);   /* the page never reads it */
	link_probe_free(&p);
	CHECK_INT(db_link_probe_count_since(db, ann, NOW - 59), 1);
	CHECK_INT(db_link_probe_count_since(db, bob, NOW - 59), 0);
	CHECK_INT(db_link_probe_count_since(db, ann, NOW + 1), 0);
	db_close(db);
}

static void test_a_test_runs_once_and_a_failure_drops_its_secret(void)
{
	int64_t ann, bob;
	struct link_probe p;
	struct db *db = fresh_db(&ann, &bob);
	CHECK(db != NULL);
	int64_t id = add(db, ann, NOW);
	CHECK_INT(db_link_probe_claim(db, NOW, TIMEOUT, &p), 1);
	CHECK_INT(p.id, id);
	CHECK_STR(p.state, "running");
	CHECK(p.secret_len == sizeof BLOB && memcmp(p.secret, BLOB, sizeof BLOB) == 0);
	link_probe_free(&p);
	CHECK_INT(db_link_probe_claim(db, NOW, TIMEOUT, &p), 0);   /* taken already */
	CHECK_INT(db_link_probe_finish(db, id, 0, "refused", NOW + 1), 0);
	CHECK_INT(secrets_left(db), 0);
	CHECK_INT(db_link_probe_get(db, id, ann, &p), 0);
	CHECK_STR(p.state, "failed");
	CHECK_STR(p.error, "refused");
	link_probe_free(&p);
	uint8_t *blob;
	size_t len;
	CHECK_INT(db_link_probe_take(db, id, ann, &blob, &len), 1);
	db_close(db);
}

static void test_a_good_test_gives_its_secret_once_to_its_user(void)
{
	int64_t ann, bob;
	struct link_probe p;
	uint8_t *blob = NULL;
	size_t len = 0;
	struct db *db = fresh_db(&ann, &bob);
	CHECK(db != NULL);
	int64_t id = add(db, ann, NOW);
	CHECK_INT(db_link_probe_claim(db, NOW, TIMEOUT, &p), 1);
	link_probe_free(&p);
	CHECK_INT(db_link_probe_finish(db, id, 1, NULL, NOW + 1), 0);
	CHECK_INT(secrets_left(db), 1);   /* the link is not saved yet */
	CHECK_INT(db_link_probe_take(db, id, bob, &blob, &len), 1);
	CHECK_INT(db_link_probe_take(db, id, ann, &blob, &len), 0);
	CHECK(len == sizeof BLOB && memcmp(blob, BLOB, sizeof BLOB) == 0);
	free(blob);
	CHECK_INT(secrets_left(db), 0);
	CHECK_INT(db_link_probe_take(db, id, ann, &blob, &len), 1);
	CHECK_INT(db_link_probe_get(db, id, ann, &p), 0);
	CHECK_STR(p.state, "saved");
	link_probe_free(&p);
	db_close(db);
}

static void test_secrets_expire_and_late_tests_are_not_started(void)
{
	int64_t ann, bob;
	struct link_probe p;
	struct db *db = fresh_db(&ann, &bob);
	CHECK(db != NULL);
	int64_t queued = add(db, ann, NOW), worked = add(db, bob, NOW);
	CHECK_INT(db_link_probe_claim(db, NOW, TIMEOUT, &p), 1);
	CHECK_INT(p.id, queued);
	link_probe_free(&p);
	CHECK_INT(db_link_probe_finish(db, queued, 1, NULL, NOW + 1), 0);
	/* the other one waited too long to finish before its expiry: not started */
	CHECK_INT(db_link_probe_claim(db, NOW + LINK_PROBE_PICKUP_S - 1, TIMEOUT, &p), 0);
	CHECK_INT(secrets_left(db), 2);
	int64_t late = NOW + TIMEOUT + LINK_PROBE_PICKUP_S + 1;
	CHECK_INT(db_link_probe_purge(db, late, "too late"), 0);
	CHECK_INT(secrets_left(db), 0);
	CHECK_INT(db_link_probe_get(db, worked, bob, &p), 0);
	CHECK_STR(p.state, "failed");
	CHECK_STR(p.error, "too late");
	link_probe_free(&p);
	CHECK_INT(db_link_probe_get(db, queued, ann, &p), 0);
	CHECK_STR(p.state, "failed");   /* worked, but its page was left: no link from it now */
	link_probe_free(&p);
	/* rows go after LINK_PROBE_KEEP_S */
	CHECK_INT(db_link_probe_purge(db, NOW + LINK_PROBE_KEEP_S + 1, "too late"), 0);
	CHECK_INT(db_link_probe_get(db, queued, ann, &p), 1);
	db_close(db);
}

T_MAIN(T(test_a_test_is_seen_by_its_user_only),
    T(test_a_test_runs_once_and_a_failure_drops_its_secret),
    T(test_a_good_test_gives_its_secret_once_to_its_user),
    T(test_secrets_expire_and_late_tests_are_not_started))
