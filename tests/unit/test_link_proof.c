/* Proving an IMAP link's address: the code, its hash, the verdict on a typed code (expiry,
 * bounded tries with a growing wait), the code mail, and the table (an unproved link holds
 * no address and does not sync; the proof decides who gets it). */
#include <unistd.h>

#include "t.h"
#include "tmpdir.h"
#include "test_db_target.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/db_link_proof.h"
#include "core/db_sync.h"
#include "core/link_proof.h"
#include "core/models.h"

#define NOW 1700000000
#define ADDR "dave@mail.example"

static const uint8_t BLOB[] = { 1, 2, 3 };

static void test_codes_are_digits_and_differ(void)
{
	char a[LINK_PROOF_DIGITS + 1], b[LINK_PROOF_DIGITS + 1];
	int same = 0;
	CHECK_INT(crypto_init(), 0);
	for (int i = 0; i < 20; i++) {
		link_proof_code(a);
		link_proof_code(b);
		CHECK_INT(strlen(a), LINK_PROOF_DIGITS);
		CHECK_INT(strspn(a, "0123456789"), LINK_PROOF_DIGITS);
		same += strcmp(a, b) == 0;
	}
	CHECK(same < 2);
}

static void test_hash_hides_the_code_and_binds_the_link(void)
{
	char h1[LINK_PROOF_HASH_LEN + 1], h2[LINK_PROOF_HASH_LEN + 1], h3[LINK_PROOF_HASH_LEN + 1];
	link_proof_hash(1, "12345678", h1);
	link_proof_hash(1, "12345678", h2);
	link_proof_hash(2, "12345678", h3);
	CHECK_INT(strlen(h1), LINK_PROOF_HASH_LEN);
	CHECK_STR(h1, h2);
	CHECK(strcmp(h1, h3) != 0);
	CHECK(strstr(h1, "12345678") == NULL);
	link_proof_hash(1, "12345679", h2);
	CHECK(strcmp(h1, h2) != 0);
}

static struct link_proof proof_of(const char *code, int64_t sent)
{
	struct link_proof p = { .link_id = 5, .sent_at = sent, .expires_at = sent + LINK_PROOF_TTL_S };
	link_proof_hash(5, code, p.code_hash);
	return p;
}

static void test_right_code_is_right_until_it_expires(void)
{
	struct link_proof p = proof_of("24681357", NOW);
	int64_t wait;
	CHECK_INT(link_proof_judge(&p, "24681357", NOW + 1, &wait), PROOF_RIGHT);
	CHECK_INT(link_proof_judge(&p, " 2468-1357 ", NOW + 1, &wait), PROOF_RIGHT);
	CHECK_INT(link_proof_judge(&p, "24681357", NOW + LINK_PROOF_TTL_S, &wait), PROOF_EXPIRED);
	p.code_hash[0] = '\0';
	CHECK_INT(link_proof_judge(&p, "24681357", NOW + 1, &wait), PROOF_NO_CODE);
	p = proof_of("24681357", NOW);
	p.proved_at = NOW;
	CHECK_INT(link_proof_judge(&p, "00000000", NOW + 1, &wait), PROOF_PROVED);
}

static void test_wrong_tries_wait_longer_each_time_and_run_out(void)
{
	struct link_proof p = proof_of("24681357", NOW);
	int64_t wait, t = NOW + 10;
	CHECK_INT(link_proof_judge(&p, "11111111", t, &wait), PROOF_WRONG);
	CHECK_INT(link_proof_judge(&p, "2468135", t, &wait), PROOF_WRONG);     /* too short */
	CHECK_INT(link_proof_judge(&p, "24681357x", t, &wait), PROOF_WRONG);
	int64_t last_gap = 0;
	for (int tries = 1; tries < LINK_PROOF_MAX_TRIES; tries++) {
		p.tries = tries;
		p.tried_at = t;
		/* right at once after a wrong try: refused, not counted, and the wait grows */
		CHECK_INT(link_proof_judge(&p, "24681357", t, &wait), PROOF_WAIT);
		CHECK(wait > last_gap);
		last_gap = wait;
		CHECK_INT(link_proof_judge(&p, "24681357", t + wait, &wait), PROOF_RIGHT);
	}
	p.tries = LINK_PROOF_MAX_TRIES;
	CHECK_INT(link_proof_judge(&p, "24681357", t + 1000, &wait), PROOF_SPENT);
	CHECK_INT(link_proof_wait(30, t, t), LINK_PROOF_WAIT_MAX_S);
	CHECK_INT(link_proof_wait(0, t, t), 0);
}

static void test_the_mail_carries_the_code_in_its_subject(void)
{
	char mid[128], code[LINK_PROOF_DIGITS + 1];
	link_proof_message_id(9, ADDR, mid, sizeof mid);
	CHECK(strncmp(mid, LINK_PROOF_MID_PREFIX "9.", strlen(LINK_PROOF_MID_PREFIX) + 2) == 0);
	CHECK(strstr(mid, "@mail.example>") != NULL);
	char *m = link_proof_mail(ADDR, "31415926", mid, NOW);
	CHECK(m != NULL);
	int ok = strstr(m, "\r\nSubject: " LINK_PROOF_SUBJECT ": 31415926\r\n") && strstr(m, mid) &&
	    strstr(m, "To: <" ADDR ">");
	free(m);
	CHECK(ok);
	CHECK_INT(link_proof_subject_code(LINK_PROOF_SUBJECT ": 31415926", code), 0);
	CHECK_STR(code, "31415926");
	CHECK_INT(link_proof_subject_code("Re: " LINK_PROOF_SUBJECT ": 31415926", code), 0);
	CHECK_INT(link_proof_subject_code(LINK_PROOF_SUBJECT ": 3141592", code), -1);
	CHECK_INT(link_proof_subject_code(LINK_PROOF_SUBJECT ": 314159261", code), -1);
	CHECK_INT(link_proof_subject_code("Your code: 31415926", code), -1);
	CHECK_INT(link_proof_subject_code(NULL, code), -1);
}

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

/* How many links are due (would sync) now. */
static int due(struct db *db)
{
	int64_t ids[8];
	size_t n = 0;
	if (db_sync_due(db, NOW + 100000, ids, 8, &n) != 0)
		return -1;
	return (int)n;
}

static void test_unproved_link_syncs_nothing_and_holds_no_address(void)
{
	int64_t ann, bob, la, lb, id;
	char hash[LINK_PROOF_HASH_LEN + 1];
	struct link_proof p;
	struct db *db = fresh_db(&ann, &bob);
	CHECK(db != NULL);
	CHECK_INT(db_link_proof_add_link(db, ann, ADDR, "{}", BLOB, sizeof BLOB, NOW, &la), 0);
	CHECK_INT(due(db), 0);
	CHECK_INT(db_links_find_address(db, ADDR), 0);   /* nobody is told it is linked */
	/* Bob may link the same address: the proof decides */
	CHECK_INT(db_link_proof_add_link(db, bob, ADDR, "{}", BLOB, sizeof BLOB, NOW, &lb), 0);
	CHECK_INT(db_link_proof_get(db, la, bob, &p), 1);   /* each sees only their own */
	CHECK_INT(db_link_proof_get(db, la, ann, &p), 0);
	CHECK_STR(p.address, ADDR);
	CHECK_INT(p.sent_at, 0);
	/* crm-sync claims each send once */
	CHECK_INT(db_link_proof_claim_send(db, NOW, &id), 1);
	CHECK_INT(id, la);
	CHECK_INT(db_link_proof_claim_send(db, NOW, &id), 1);
	CHECK_INT(id, lb);
	CHECK_INT(db_link_proof_claim_send(db, NOW, &id), 0);
	link_proof_hash(la, "12121212", hash);
	CHECK_INT(db_link_proof_sent(db, la, hash, "<crm-proof.1.x@mail.example>",
	    NOW + LINK_PROOF_TTL_S), 0);
	CHECK_INT(db_link_proof_send_failed(db, lb, "refused"), 0);
	char got[LINK_PROOF_HASH_LEN + 1];
	CHECK_INT(db_link_proof_claim_check(db, NOW + 10, 5, &id, got), 1);
	CHECK_INT(id, la);
	CHECK_STR(got, hash);
	CHECK_INT(db_link_proof_claim_check(db, NOW + 12, 5, &id, got), 0);   /* just looked */
	/* a new code: not within a minute of the last */
	CHECK_INT(db_link_proof_resend(db, la, NOW + 30), 1);
	CHECK_INT(db_link_proof_resend(db, la, NOW + LINK_PROOF_RESEND_S), 0);
	CHECK_INT(db_link_proof_get(db, la, ann, &p), 0);
	CHECK_STR(p.code_hash, "");
	CHECK_INT(db_link_proof_claim_send(db, NOW + 61, &id), 1);
	CHECK_INT(db_link_proof_sent(db, la, hash, "<m>", NOW + LINK_PROOF_TTL_S), 0);
	/* Ann proves it: her link syncs and holds the address; Bob's proof then loses it */
	CHECK_INT(db_link_proof_prove(db, la, NOW + 70), 0);
	CHECK_INT(db_links_find_address(db, ADDR), ann);
	CHECK_INT(due(db), 1);
	CHECK_INT(db_link_proof_prove(db, la, NOW + 71), 1);   /* once */
	CHECK_INT(db_link_proof_prove(db, lb, NOW + 72), 1);
	CHECK_INT(db_link_proof_get(db, lb, bob, &p), 0);
	CHECK_STR(p.link_status, "unlinked");
	CHECK(strstr(p.error, "already linked by another CRM user") != NULL);
	CHECK_INT(due(db), 1);
	db_close(db);
}

static void test_each_try_is_counted_once(void)
{
	int64_t ann, bob, la, id;
	struct link_proof p;
	struct db *db = fresh_db(&ann, &bob);
	CHECK(db != NULL);
	CHECK_INT(db_link_proof_add_link(db, ann, ADDR, "{}", BLOB, sizeof BLOB, NOW, &la), 0);
	CHECK_INT(db_link_proof_claim_send(db, NOW, &id), 1);
	CHECK_INT(db_link_proof_sent(db, la, "ab", "<m>", NOW + LINK_PROOF_TTL_S), 0);
	CHECK_INT(db_link_proof_try(db, la, 0, NOW + 5), 0);
	CHECK_INT(db_link_proof_try(db, la, 0, NOW + 5), 1);   /* a parallel guess: not judged */
	CHECK_INT(db_link_proof_try(db, la, 1, NOW + 9), 0);
	CHECK_INT(db_link_proof_get(db, la, ann, &p), 0);
	CHECK_INT(p.tries, 2);
	CHECK_INT(p.tried_at, NOW + 9);
	db_close(db);
}

T_MAIN(T(test_codes_are_digits_and_differ),
    T(test_hash_hides_the_code_and_binds_the_link),
    T(test_right_code_is_right_until_it_expires),
    T(test_wrong_tries_wait_longer_each_time_and_run_out),
    T(test_the_mail_carries_the_code_in_its_subject),
    T(test_unproved_link_syncs_nothing_and_holds_no_address),
    T(test_each_try_is_counted_once))
