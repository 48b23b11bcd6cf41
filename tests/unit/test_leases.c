/* Link leases shared by several sync daemons: claims up to a fair share, renewal, expiry and
 * take-over, a gone process's links taken at once, the lease check of a page commit, and an
 * outbox item claimed by one daemon only. */
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "t.h"
#include "sync_fixture.h"
#include "core/app.h"
#include "core/db_leases.h"
#include "core/db_outbox.h"
#include "sync/leases.h"
#include "sync/outbox.h"

#define NOW 1700000000
#define LEASE 10

/* Two more users with a link each: four active links. */
static int four_links(struct fx *f, int64_t *carol_link, int64_t *dave_link)
{
	int64_t carol, dave;
	return db_users_add(f->db, "Carol", "carol@crm.example", "pw-carol-1", "user", "UTC",
	    &carol) || db_users_add(f->db, "Dave", "dave@crm.example", "pw-dave-1", "user", "UTC",
	    &dave) || db_links_add(f->db, carol, "imap", "carol@crm.example", "{}", NULL, 0,
	    carol_link) || db_links_add(f->db, dave, "imap", "dave@crm.example", "{}", NULL, 0,
	    dave_link) ? -1 : 0;
}

static long long held_by(struct fx *f, const char *holder)
{
	struct db_stmt *st;
	long long v = -1;
	if (!(st = db_prepare(f->db, "SELECT count(*) FROM link_leases WHERE holder = ?")))
		return -1;
	db_bind_text(st, 1, holder);
	if (db_step(st) == DB_ROW)
		v = db_col_int64(st, 0);
	db_finalize(st);
	return v;
}

static void test_one_daemon_holds_every_active_link(void)
{
	struct fx f;
	int64_t c, d;
	struct lease_tick t;
	CHECK(fx_open(&f) == 0 && four_links(&f, &c, &d) == 0);
	CHECK(db_exec(f.db, "UPDATE links SET status = 'relink' WHERE address LIKE 'dave%'") == 0);
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, NOW, LEASE, &t) == 0);
	CHECK_INT(t.live, 1);
	CHECK_INT(t.links, 3);
	CHECK_INT(t.claimed, 3);
	CHECK_INT(held_by(&f, "h:1:a"), 3);   /* the link waiting for a re-link is no one's */
	CHECK_INT(db_lease_held(f.db, d, "h:1:a", NOW), 0);
	CHECK_INT(db_lease_held(f.db, c, "h:1:a", NOW), 1);
	CHECK_INT(db_lease_held(f.db, c, "h:1:a", NOW + LEASE), 0);   /* expired unless renewed */
	fx_close(&f);
}

/* A link whose address is not proved yet (db_link_proof.h) is nobody's to sync: not leased. */
static void test_unproved_link_is_not_leased(void)
{
	struct fx f;
	int64_t c, d;
	struct lease_tick t;
	CHECK(fx_open(&f) == 0 && four_links(&f, &c, &d) == 0);
	CHECK(db_exec(f.db, "UPDATE links SET proved_at = NULL WHERE address LIKE 'carol%'") == 0);
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, NOW, LEASE, &t) == 0);
	CHECK_INT(t.links, 3);
	CHECK_INT(held_by(&f, "h:1:a"), 3);
	CHECK_INT(db_lease_held(f.db, c, "h:1:a", NOW), 0);
	CHECK_INT(db_lease_held(f.db, d, "h:1:a", NOW), 1);
	fx_close(&f);
}

static void test_two_daemons_split_the_links(void)
{
	struct fx f;
	int64_t c, d;
	struct lease_tick t;
	CHECK(fx_open(&f) == 0 && four_links(&f, &c, &d) == 0);
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, NOW, LEASE, &t) == 0);
	CHECK_INT(t.held, 4);
	/* a second daemon starts: nothing is free, and the first one now holds two too many */
	CHECK(db_leases_tick(f.db, "h:2:b", "h", 2, NOW + 1, LEASE, &t) == 0);
	CHECK_INT(t.live, 2);
	CHECK_INT(t.share, 2);
	CHECK_INT(t.claimed, 0);
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, NOW + 2, LEASE, &t) == 0);
	CHECK_INT(t.over, 2);
	CHECK(db_lease_give_back(f.db, c, "h:1:a") == 0 && db_lease_give_back(f.db, d, "h:1:a") == 0);
	CHECK(db_leases_tick(f.db, "h:2:b", "h", 2, NOW + 3, LEASE, &t) == 0);
	CHECK_INT(t.claimed, 2);
	CHECK_INT(held_by(&f, "h:1:a"), 2);
	CHECK_INT(held_by(&f, "h:2:b"), 2);
	CHECK_INT(db_lease_held(f.db, c, "h:2:b", NOW + 3), 1);
	/* five links among two: three and two, and no more moves */
	int64_t eve, eve_link;
	CHECK(db_users_add(f.db, "Eve", "eve@crm.example", "pw-eve-1", "user", "UTC", &eve) == 0);
	CHECK(db_links_add(f.db, eve, "imap", "eve@crm.example", "{}", NULL, 0, &eve_link) == 0);
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, NOW + 4, LEASE, &t) == 0);
	CHECK_INT(t.share, 3);
	CHECK_INT(t.claimed, 1);
	CHECK(db_leases_tick(f.db, "h:2:b", "h", 2, NOW + 5, LEASE, &t) == 0);
	CHECK_INT(t.claimed, 0);
	CHECK_INT(t.over, 0);
	CHECK_INT(held_by(&f, "h:1:a") + held_by(&f, "h:2:b"), 5);
	fx_close(&f);
}

static void test_renewed_leases_stay_and_expired_ones_are_taken(void)
{
	struct fx f;
	int64_t c, d;
	struct lease_tick t;
	CHECK(fx_open(&f) == 0 && four_links(&f, &c, &d) == 0);
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, NOW, LEASE, &t) == 0);
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, NOW + LEASE - 1, LEASE, &t) == 0);   /* renewed */
	CHECK(db_leases_tick(f.db, "h:2:b", "h", 2, NOW + LEASE + 1, LEASE, &t) == 0);
	CHECK_INT(t.live, 2);
	CHECK_INT(t.claimed, 0);
	CHECK_INT(db_lease_held(f.db, f.alice_link, "h:1:a", NOW + LEASE + 1), 1);
	/* the first daemon stops renewing (stopped, or its host is gone): once its leases expire,
	 * it no longer counts and the other takes every link */
	CHECK(db_leases_tick(f.db, "h:2:b", "h", 2, NOW + 2 * LEASE - 1, LEASE, &t) == 0);
	CHECK_INT(t.claimed, 4);
	CHECK_INT(t.live, 1);
	CHECK_INT(held_by(&f, "h:2:b"), 4);
	CHECK_INT(db_lease_held(f.db, f.alice_link, "h:1:a", NOW + 2 * LEASE - 1), 0);
	/* it comes back: its renewal renews nothing, it counts again and gets its share back */
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, NOW + 2 * LEASE, LEASE, &t) == 0);
	CHECK_INT(t.held, 0);
	CHECK_INT(t.share, 2);
	fx_close(&f);
}

/* n more users with a link each (n + 2 active links). The users are written straight in (no
 * password hashing: only their links matter here). */
static int more_links(struct fx *f, int n)
{
	for (int i = 0; i < n; i++) {
		char sql[256], email[64];
		int64_t link;
		snprintf(email, sizeof email, "user%d@crm.example", i);
		snprintf(sql, sizeof sql, "INSERT INTO users (name, email, password_hash, created_at)"
		    " VALUES ('User %d', '%s', 'x', 0)", i, email);
		if (db_exec(f->db, sql) != 0 ||
		    db_links_add(f->db, fx_int(f, "SELECT max(id) FROM users", 0), "imap", email, "{}",
		    NULL, 0, &link) != 0)
			return -1;
	}
	return 0;
}

/* Rows the connection changed during one tick of holder at now (sqlite3_total_changes). */
static long long tick_writes(struct fx *f, const char *holder, int pid, int64_t now,
    struct lease_tick *t)
{
	int64_t others, before, after;
	if (db_change_state(f->db, &others, &before) != 0 ||
	    db_leases_tick(f->db, holder, "h", pid, now, LEASE, t) != 0 ||
	    db_change_state(f->db, &others, &after) != 0)
		return -1;
	return (long long)(after - before);
}

/* A renewal is the holder's own record: one row a tick, for 2 links held as for 202, and the
 * leases then last lease_s from that tick. */
static void test_renewal_writes_one_row_per_holder_whatever_it_holds(void)
{
	struct fx f;
	struct lease_tick t;
	CHECK(fx_open(&f) == 0);
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, NOW, LEASE, &t) == 0);
	CHECK_INT(t.held, 2);
	CHECK_INT(tick_writes(&f, "h:1:a", 1, NOW + 3, &t), 1);
	CHECK_INT(t.held, 2);
	CHECK(more_links(&f, 200) == 0);
	CHECK_INT(tick_writes(&f, "h:1:a", 1, NOW + 6, &t), 1 + 200);   /* the claim of 200 new */
	CHECK_INT(t.claimed, 200);
	CHECK_INT(tick_writes(&f, "h:1:a", 1, NOW + 9, &t), 1);
	CHECK_INT(t.held, 202);
	CHECK_INT(held_by(&f, "h:1:a"), 202);
	/* two holders sharing them: one row each a tick */
	CHECK(db_leases_tick(f.db, "h:2:b", "h", 2, NOW + 10, LEASE, &t) == 0);
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, NOW + 11, LEASE, &t) == 0);
	CHECK_INT(t.over, 101);
	int64_t ids[202];
	size_t n;
	CHECK(db_leases_held(f.db, "h:1:a", NOW + 11, ids, 202, &n) == 0);
	for (size_t i = n; i > n - 101; i--)
		CHECK(db_lease_give_back(f.db, ids[i - 1], "h:1:a") == 0);
	CHECK(db_leases_tick(f.db, "h:2:b", "h", 2, NOW + 12, LEASE, &t) == 0);
	CHECK_INT(t.held, 101);
	CHECK_INT(tick_writes(&f, "h:1:a", 1, NOW + 14, &t), 1);
	CHECK_INT(tick_writes(&f, "h:2:b", 2, NOW + 15, &t), 1);
	CHECK_INT(held_by(&f, "h:1:a") + held_by(&f, "h:2:b"), 202);
	/* renewed by the record: held until lease_s after the last tick, not after the claim */
	CHECK_INT(db_lease_held(f.db, ids[0], "h:1:a", NOW + 14 + LEASE - 1), 1);
	CHECK_INT(db_lease_held(f.db, ids[0], "h:1:a", NOW + 14 + LEASE), 0);
	CHECK(db_leases_held(f.db, "h:2:b", NOW + 15 + LEASE - 1, ids, 202, &n) == 0);
	CHECK_INT(n, 101);
	fx_close(&f);
}

/* A holder whose record went stale (or is gone) holds nothing, all its leases at the same
 * moment: no held or due link, no wake-up, no outbox claim, no page commit; the other holder
 * takes every one of them in one tick. */
static void test_stale_holder_loses_every_lease_at_once(void)
{
	struct fx f;
	struct lease_tick t;
	int64_t ids[64];
	size_t n;
	struct outbox_job j;
	const char raw[] = "Message-ID: <o3@crm.example>\r\nSubject: hi\r\n\r\nhello\r\n";
	CHECK(fx_open(&f) == 0 && more_links(&f, 40) == 0);
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, NOW, LEASE, &t) == 0);
	CHECK_INT(t.held, 42);
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, NOW + 5, LEASE, &t) == 0);   /* its last tick */
	CHECK(db_leases_held(f.db, "h:1:a", NOW + 5 + LEASE - 1, ids, 64, &n) == 0);
	CHECK_INT(n, 42);
	int64_t held[64], stale = NOW + 5 + LEASE, mail;
	size_t n_held = n;
	memcpy(held, ids, n * sizeof *ids);
	CHECK_INT(db_leases_any_free(f.db, stale - 1), 0);
	CHECK(db_outbox_mail(f.db, f.alice, 0, raw, sizeof raw - 1, &mail) == 0);
	CHECK(db_exec(f.db, "UPDATE links SET wake = 1") == 0);
	/* one second later every lease is gone, though the rows still name it */
	CHECK(db_leases_held(f.db, "h:1:a", stale, ids, 64, &n) == 0);
	CHECK_INT(n, 0);
	CHECK(db_leases_due(f.db, "h:1:a", stale, ids, 64, &n) == 0);
	CHECK_INT(n, 0);
	CHECK_INT(held_by(&f, "h:1:a"), 42);
	int still = 0;
	for (size_t i = 0; i < n_held; i++)
		still += db_lease_held(f.db, held[i], "h:1:a", stale) != 0;
	CHECK_INT(still, 0);
	CHECK_INT(db_leases_any_free(f.db, stale), 1);
	CHECK(db_leases_take_wakes(f.db, "h:1:a", stale, ids, 64, &n) == 0);
	CHECK_INT(n, 0);
	CHECK_INT(outbox_claim_for(f.db, stale, 0, "h:1:a", &j), 0);
	/* the other holder takes all 42 in its next tick, and with them the outbox item */
	CHECK(db_leases_tick(f.db, "h:2:b", "h", 2, stale, LEASE, &t) == 0);
	CHECK_INT(t.live, 1);
	CHECK_INT(t.claimed, 42);
	CHECK_INT(held_by(&f, "h:2:b"), 42);
	CHECK_INT(db_leases_any_free(f.db, stale), 0);
	CHECK(db_leases_take_wakes(f.db, "h:2:b", stale, ids, 64, &n) == 0);
	CHECK_INT(n, 42);
	CHECK_INT(outbox_claim_for(f.db, stale, 0, "h:2:b", &j), 1);
	CHECK_INT(j.row.id, mail);
	outbox_job_free(&j);
	fx_close(&f);
}

/* The page commit reads the holder's record in its transaction: a daemon whose record was
 * dropped (db_leases_drop_holder by another daemon, or forgotten) or went stale writes nothing,
 * even while the lease row still names it. */
static void test_page_commit_needs_the_holders_record(void)
{
	struct fx f;
	struct lease_tick t;
	struct msg_list page = { 0 };
	CHECK(fx_open(&f) == 0);
	int64_t now = time(NULL);
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, now, LEASE, &t) == 0);
	CHECK(db_exec(f.db, "DELETE FROM lease_holders WHERE holder = 'h:1:a'") == 0);
	f.sa.lease_holder = "h:1:a";
	fx_msg(&page, "INBOX/1/1", "m1@x", "john.smith@example.net", "alice@crm.example", NULL, NULL,
	    NOW);
	CHECK_INT(store_commit(&f.sa, STREAM_MAIL, &page, NULL, "INBOX/1/1"), -1);
	CHECK_INT(f.sa.lease_lost, 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 0);
	/* its record back but stale: still nothing */
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, now - LEASE, LEASE, &t) == 0);
	CHECK_INT(held_by(&f, "h:1:a"), 2);
	f.sa.lease_lost = 0;
	fx_msg(&page, "INBOX/1/1", "m1@x", "john.smith@example.net", "alice@crm.example", NULL, NULL,
	    NOW);
	CHECK_INT(store_commit(&f.sa, STREAM_MAIL, &page, NULL, "INBOX/1/1"), -1);
	CHECK_INT(f.sa.lease_lost, 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 0);
	/* renewed: the same lease rows hold again */
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, now, LEASE, &t) == 0);
	f.sa.lease_lost = 0;
	fx_msg(&page, "INBOX/1/1", "m1@x", "john.smith@example.net", "alice@crm.example", NULL, NULL,
	    NOW);
	CHECK_INT(store_commit(&f.sa, STREAM_MAIL, &page, NULL, "INBOX/1/1"), 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 1);
	fx_close(&f);
}

static pid_t dead_pid(void)
{
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	return p;
}

static void test_gone_process_on_this_host_loses_its_links_at_once(void)
{
	struct fx f;
	int64_t c, d;
	char host[128] = "", dead[200], alive[200];
	CHECK(fx_open(&f) == 0 && four_links(&f, &c, &d) == 0);
	CHECK(gethostname(host, sizeof host - 1) == 0);
	pid_t gone = dead_pid();
	snprintf(dead, sizeof dead, "%s:%d:x", host, (int)gone);
	snprintf(alive, sizeof alive, "%s:%d:y", host, (int)getppid());
	int64_t now = time(NULL);
	CHECK(db_leases_tick(f.db, dead, host, (int)gone, now, 600, NULL) == 0);
	CHECK_INT(held_by(&f, dead), 4);
	struct app app = { .db = f.db };
	app.cfg.lease_s = 600;
	struct leases *l = leases_new(&app);
	CHECK(l != NULL);
	int64_t lost[4];
	size_t n_lost;
	CHECK_INT(leases_tick(l, 0, NULL, NULL, lost, 4, &n_lost), 1);
	CHECK_INT(leases_count(l), 4);   /* long before its 600 s lease ran out */
	CHECK(leases_holds(l, f.alice_link) && leases_holds(l, d));
	CHECK_INT(held_by(&f, dead), 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM lease_holders WHERE pid = ?", gone), 0);
	/* a holder whose process still runs (only stopped, say) keeps its record and is counted:
	 * the links are shared with it */
	CHECK(db_leases_tick(f.db, alive, host, (int)getppid(), now, 600, NULL) == 0);
	CHECK_INT(leases_tick(l, 0, NULL, NULL, lost, 4, &n_lost), 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM lease_holders WHERE pid = ?", getppid()), 1);
	CHECK_INT(leases_count(l), 2);
	/* a process that has ended but is not yet reaped by its parent is gone too */
	pid_t zombie = fork();
	if (zombie == 0)
		_exit(0);
	CHECK(zombie > 0);
	usleep(200000);
	CHECK(db_leases_release_all(f.db, alive) == 0);
	snprintf(dead, sizeof dead, "%s:%d:z", host, (int)zombie);
	CHECK(db_leases_tick(f.db, dead, host, (int)zombie, now, 600, NULL) == 0);
	CHECK_INT(held_by(&f, dead), 2);   /* the two the stopped one held */
	CHECK(leases_tick(l, 0, NULL, NULL, lost, 4, &n_lost) >= 0);
	waitpid(zombie, NULL, 0);
	CHECK_INT(held_by(&f, dead), 0);
	CHECK_INT(leases_count(l), 4);
	leases_free(l);   /* a clean stop gives everything back */
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM link_leases", 0), 0);
	fx_close(&f);
}

static int running_d(void *ctx, int64_t link)
{
	return link == *(int64_t *)ctx;
}

static void test_daemon_gives_back_its_surplus_but_not_running_links(void)
{
	struct fx f;
	int64_t c, d;
	CHECK(fx_open(&f) == 0 && four_links(&f, &c, &d) == 0);
	struct app app = { .db = f.db };
	app.cfg.lease_s = 600;
	struct leases *l = leases_new(&app);
	CHECK(l != NULL);
	int64_t lost[4];
	size_t n_lost;
	CHECK_INT(leases_tick(l, 0, NULL, NULL, lost, 4, &n_lost), 1);
	CHECK_INT(leases_count(l), 4);
	/* another daemon comes up; the highest links are given back, except d, which is running */
	CHECK(db_leases_tick(f.db, "other:7:z", "other", 7, time(NULL), 600, NULL) == 0);
	CHECK_INT(leases_tick(l, 0, running_d, &d, lost, 4, &n_lost), 1);
	CHECK_INT(leases_count(l), 2);
	CHECK_INT(n_lost, 2);
	CHECK(leases_holds(l, d) && leases_holds(l, f.alice_link));
	CHECK(!leases_holds(l, c) && !leases_holds(l, f.bob_link));
	leases_free(l);
	fx_close(&f);
}

static void test_page_commit_needs_the_lease(void)
{
	struct fx f;
	struct lease_tick t;
	struct msg_list page = { 0 };
	CHECK(fx_open(&f) == 0);
	int64_t now = time(NULL);
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, now, LEASE, &t) == 0);
	f.sa.lease_holder = "h:2:b";   /* a daemon whose lease went to h:1:a */
	fx_msg(&page, "INBOX/1/1", "m1@x", "john.smith@example.net", "alice@crm.example", NULL, NULL,
	    NOW);
	CHECK_INT(store_commit(&f.sa, STREAM_MAIL, &page, NULL, "INBOX/1/1"), -1);
	CHECK_INT(f.sa.lease_lost, 1);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM sync_cursors", 0), 0);
	CHECK_INT(f.sa.c.errors, 0);   /* not an error of the link: another daemon has it */
	f.sa.lease_holder = "h:1:a";
	f.sa.lease_lost = 0;
	fx_msg(&page, "INBOX/1/1", "m1@x", "john.smith@example.net", "alice@crm.example", NULL, NULL,
	    NOW);
	CHECK_INT(store_commit(&f.sa, STREAM_MAIL, &page, NULL, "INBOX/1/1"), 0);
	CHECK_INT(f.sa.lease_lost, 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM messages", 0), 1);
	fx_close(&f);
}

static void test_outbox_item_is_claimed_by_one_daemon_once(void)
{
	struct fx f;
	struct lease_tick t;
	int64_t id;
	struct outbox_job j1, j2;
	const char raw[] = "Message-ID: <o1@crm.example>\r\nSubject: hi\r\n\r\nhello\r\n";
	CHECK(fx_open(&f) == 0);
	int64_t now = time(NULL);
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, now, LEASE, &t) == 0);
	CHECK(db_leases_tick(f.db, "h:2:b", "h", 2, now, LEASE, &t) == 0);
	CHECK(db_lease_give_back(f.db, f.bob_link, "h:1:a") == 0);
	CHECK(db_leases_tick(f.db, "h:2:b", "h", 2, now, LEASE, &t) == 0);
	CHECK_INT(db_lease_held(f.db, f.alice_link, "h:1:a", now), 1);
	CHECK(db_outbox_mail(f.db, f.alice, 0, raw, sizeof raw - 1, &id) == 0);
	CHECK_INT(outbox_claim_for(f.db, now, 0, "h:2:b", &j1), 0);   /* not its link */
	CHECK_INT(outbox_claim_for(f.db, now, 0, "h:1:a", &j1), 1);
	CHECK_INT(j1.row.id, id);
	CHECK_INT(outbox_claim_for(f.db, now, 0, "h:1:a", &j2), 0);   /* in flight */
	CHECK_INT(outbox_claim_for(f.db, now, 0, "h:2:b", &j2), 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM outbox WHERE lease_holder = 'h:1:a'", 0), 1);
	outbox_job_free(&j1);
	fx_close(&f);
}

static void test_gone_daemons_outbox_claim_comes_back(void)
{
	struct fx f;
	struct lease_tick t;
	int64_t id;
	struct outbox_job j;
	const char raw[] = "Message-ID: <o2@crm.example>\r\nSubject: hi\r\n\r\nhello\r\n";
	CHECK(fx_open(&f) == 0);
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, NOW, LEASE, &t) == 0);
	CHECK(db_outbox_mail(f.db, f.alice, 0, raw, sizeof raw - 1, &id) == 0);
	CHECK_INT(outbox_claim_for(f.db, NOW, 0, "h:1:a", &j), 1);
	outbox_job_free(&j);
	/* h:1:a stops; while its record is fresh the claim holds, then it comes back */
	CHECK(db_leases_tick(f.db, "h:2:b", "h", 2, NOW + LEASE - 1, LEASE, &t) == 0);
	CHECK_INT(outbox_claim_for(f.db, NOW + LEASE - 1, 0, "h:2:b", &j), 0);
	CHECK(db_leases_tick(f.db, "h:2:b", "h", 2, NOW + LEASE + 1, LEASE, &t) == 0);
	CHECK_INT(t.held, 2);
	CHECK_INT(outbox_claim_for(f.db, NOW + LEASE + 1, 0, "h:2:b", &j), 1);
	CHECK_INT(j.row.id, id);
	CHECK_INT(j.row.attempts, 2);
	outbox_job_free(&j);
	fx_close(&f);
}

static void test_released_holder_frees_everything_and_wakes_reach_the_holder(void)
{
	struct fx f;
	struct lease_tick t;
	CHECK(fx_open(&f) == 0);
	CHECK(db_leases_tick(f.db, "h:1:a", "h", 1, NOW, LEASE, &t) == 0);
	CHECK(db_leases_tick(f.db, "h:2:b", "h", 2, NOW, LEASE, &t) == 0);
	CHECK_INT(t.held, 0);
	CHECK(db_leases_release_all(f.db, "h:1:a") == 0);
	CHECK(db_leases_tick(f.db, "h:2:b", "h", 2, NOW + 1, LEASE, &t) == 0);
	CHECK_INT(t.live, 1);
	CHECK_INT(t.claimed, 2);
	int64_t ids[4];
	size_t n;
	CHECK(db_leases_due(f.db, "h:2:b", NOW + 1, ids, 4, &n) == 0);
	CHECK_INT(n, 2);   /* both links are due (next_due_at 0) and now its own */
	CHECK(db_leases_due(f.db, "h:1:a", NOW + 1, ids, 4, &n) == 0);
	CHECK_INT(n, 0);
	/* a wake-up is taken by the link's holder only */
	CHECK(db_exec(f.db, "UPDATE links SET wake = 1, next_due_at = 1800000000") == 0);
	CHECK(db_leases_take_wakes(f.db, "h:1:a", NOW + 1, ids, 4, &n) == 0);
	CHECK_INT(n, 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM links WHERE wake = 1", 0), 2);
	CHECK(db_leases_take_wakes(f.db, "h:2:b", NOW + 1, ids, 4, &n) == 0);
	CHECK_INT(n, 2);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM links WHERE wake = 1", 0), 0);
	CHECK(db_leases_due(f.db, "h:2:b", NOW + 1, ids, 4, &n) == 0);
	CHECK_INT(n, 2);
	fx_close(&f);
}

T_MAIN(T(test_one_daemon_holds_every_active_link), T(test_unproved_link_is_not_leased),
    T(test_two_daemons_split_the_links),
    T(test_renewed_leases_stay_and_expired_ones_are_taken),
    T(test_gone_process_on_this_host_loses_its_links_at_once),
    T(test_daemon_gives_back_its_surplus_but_not_running_links),
    T(test_page_commit_needs_the_lease), T(test_outbox_item_is_claimed_by_one_daemon_once),
    T(test_gone_daemons_outbox_claim_comes_back), T(test_released_holder_frees_everything_and_wakes_reach_the_holder),
    T(test_renewal_writes_one_row_per_holder_whatever_it_holds),
    T(test_stale_holder_loses_every_lease_at_once), T(test_page_commit_needs_the_holders_record))
