/* Search against history: the search page's queries (every kind, at most 20 rows each, filtered
 * by what the viewer may see) over a large history of mail and appointments, built fast by
 * batched inserts with the store's row shape (the FTS5 indexes fill through their triggers).
 * The text is drawn from a field-service vocabulary with a skewed word frequency, so common words
 * match a large share of the history and rare ones a handful. Prints p50 and p99 of a whole
 * search (all four kinds, as GET /search runs them) over 20 typical queries beside the targets.
 * Usage: search_history [MESSAGES [APPOINTMENTS]] (defaults 1,000,000 and 100,000; BENCH_MESSAGES
 * and BENCH_APPOINTMENTS in the environment do the same). BENCH_KEEP=PATH keeps the database at
 * PATH and uses it again on the next run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "core/db.h"
#include "core/db_search.h"
#include "core/models.h"

#define USERS 4
#define CONTACTS 400
#define ROUNDS 5
#define SHOWN 20              /* rows per kind, as the search page asks */
#define TARGET_P50_MS 20.0
#define TARGET_P99_MS 100.0

static const char *const words[] = {
	"the", "service", "pickup", "invoice", "schedule", "tuesday", "thanks", "please", "account",
	"dumpster", "container", "delivery", "route", "driver", "gate", "code", "monday", "friday",
	"payment", "quote", "estimate", "mulch", "lawn", "hedge", "trim", "recycling", "roll-off",
	"yard", "cubic", "swap", "missed", "overdue", "march", "april", "repair", "irrigation",
	"sprinkler", "fertilizer", "contract", "renewal", "visit", "crew", "weekly", "biweekly",
	"compactor", "toter", "bin", "extra", "bag", "fee", "credit", "refund", "address", "change",
	"landscaping", "spring", "cleanup", "leaves", "snow", "plow", "salt", "parking", "lot",
	"permit", "city", "county", "holiday", "closed", "early", "late", "confirm", "confirmed",
	"cancel", "reschedule", "photo", "damage", "claim", "lid", "broken", "wheel", "replace",
	"order", "purchase", "statement", "balance", "autopay", "card", "check", "office", "manager",
	"site", "walkthrough", "proposal", "signed", "start", "date", "hours", "window", "tomorrow",
};
#define NWORDS (sizeof words / sizeof words[0])

/* Typical searches: common and rare words, two and three words, a short word, a contact's name, an
 * account number and a reference number. */
static const char *const queries[] = {
	"invoice", "pickup", "dumpster tuesday", "roll-off", "gate code", "mulch delivery",
	"Contact 17", "5012", "inv", "overdue invoice march", "recycling", "landscaping estimate",
	"INV-48213", "repair", "container swap", "missed pickup", "hedge trim", "quote", "payment",
	"walkthrough proposal signed",
};
#define NQUERIES (sizeof queries / sizeof queries[0])

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A word by a skewed frequency: the first words of the list far more often than the last. */
static const char *word(void)
{
	double r = (double)(rnd() % 1000000) / 1e6;
	return words[(size_t)(r * r * r * NWORDS)];
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "search_history: %s\n", what);
	exit(1);
}

static struct db_stmt *prep(struct db *db, const char *sql)
{
	struct db_stmt *st;
	if (!(st = db_prepare(db, sql)))
		die(db_errmsg(db));
	return st;
}

static void step(struct db *db, struct db_stmt *st)
{
	if (db_step(st) != DB_DONE)
		die(db_errmsg(db));
	db_reset(st);
}

/* n words of text into out. */
static void text(char *out, size_t size, int n)
{
	size_t l = 0;
	out[0] = '\0';
	for (int i = 0; i < n && l + 24 < size; i++)
		l += (size_t)snprintf(out + l, size - l, "%s%s", i ? " " : "", word());
	if (rnd() % 50 == 0 && l + 24 < size)   /* now and then a reference number */
		snprintf(out + l, size - l, " INV-%05u", (unsigned)(rnd() % 100000));
}

/* Users (the viewer Public, a Public colleague, a Private one, a Private one who shares with the
 * viewer), their links, CONTACTS contacts on 40 accounts, then the history. */
static void build(struct db *db, long n_msg, long n_appt, int64_t *viewer)
{
	static const char *const names[USERS] = { "Alice", "Bob", "Carol", "Dave" };
	int64_t users[USERS], links[USERS];
	for (int u = 0; u < USERS; u++) {
		char email[64];
		snprintf(email, sizeof email, "%s@crm.example", names[u]);
		if (db_users_add(db, names[u], email, "pw-bench-1", "user", "UTC", &users[u]) ||
		    db_links_add(db, users[u], "imap", email, "{}", NULL, 0, &links[u]))
			die("fixture users");
	}
	struct db_stmt *st = prep(db, "UPDATE users SET calendar_privacy = 'private' WHERE id IN (?, ?)");
	db_bind_int64(st, 1, users[2]);
	db_bind_int64(st, 2, users[3]);
	step(db, st);
	db_finalize(st);
	st = prep(db, "INSERT INTO calendar_shares (owner_id, viewer_id) VALUES (?, ?)");
	db_bind_int64(st, 1, users[3]);
	db_bind_int64(st, 2, users[0]);
	step(db, st);
	db_finalize(st);
	*viewer = users[0];

	char cemail[CONTACTS][64], cname[CONTACTS][32];
	for (int i = 0; i < CONTACTS; i++) {
		struct account a = { 0 };
		char num[16], aname[32];
		snprintf(num, sizeof num, "%d", 5000 + i / 10);
		snprintf(aname, sizeof aname, "Account %d", i / 10);
		a.number = num; a.name = aname;
		a.address1 = a.address2 = a.city = a.state = a.zip = (char *)"";
		a.status = (char *)"Active"; a.division = a.account_manager = a.class_ = (char *)"";
		a.bill_group = (char *)""; a.billing_mode = (char *)"Arrears";
		a.billing_cycle = (char *)"Monthly";
		if (db_accounts_upsert(db, &a))
			die("fixture accounts");
		snprintf(cname[i], sizeof cname[i], "Contact %d", i);
		snprintf(cemail[i], sizeof cemail[i], "contact%d@client.example", i);
		const char *e[] = { cemail[i] };
		int64_t cid;
		if (db_contacts_upsert(db, a.id, cname[i], "", e, 1, &cid))
			die("fixture contacts");
	}

	struct db_stmt *th = prep(db, "INSERT INTO threads (id, subject, started_at, last_at)"
	    " VALUES (?, ?, ?, ?)");
	struct db_stmt *msg = prep(db, "INSERT INTO messages (id, thread_id, message_id, subject,"
	    " from_email, from_name, to_list, sent_at, body_text, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	struct db_stmt *mu = prep(db, "INSERT INTO message_users (message_id, user_id, link_id,"
	    " provider_id, direction) VALUES (?, ?, ?, ?, 'received')");
	struct db_stmt *ap = prep(db, "INSERT INTO appointments (id, source, ical_uid, type,"
	    " assigned_user_id, start_at, duration_min, location, title, note, created_at, updated_at)"
	    " VALUES (?, 'imported', ?, 'Imported', ?, ?, 60, ?, ?, ?, ?, ?)");
	struct db_stmt *au = prep(db, "INSERT INTO appointment_users (appointment_id, user_id, link_id,"
	    " provider_id) VALUES (?, ?, ?, ?)");
	if (db_exec(db, "PRAGMA synchronous=OFF") || db_begin(db))
		die("history begin");
	int64_t t0 = 1500000000;
	double t = now_s();
	for (long i = 0; i < n_msg; i++) {
		int64_t row = i + 1, sent = t0 + i * 60;
		int u = (int)(rnd() % USERS), c = (int)(rnd() % CONTACTS);
		char mid[64], subject[160], body[1024], pid[32];
		snprintf(mid, sizeof mid, "s%ld@history.example", i);
		text(subject, sizeof subject, 3 + (int)(rnd() % 4));
		text(body, sizeof body, 20 + (int)(rnd() % 60));
		snprintf(pid, sizeof pid, "INBOX/1/%ld", i + 1);
		db_bind_int64(th, 1, row);
		db_bind_text(th, 2, subject);
		db_bind_int64(th, 3, sent);
		db_bind_int64(th, 4, sent);
		step(db, th);
		db_bind_int64(msg, 1, row);
		db_bind_int64(msg, 2, row);
		db_bind_text(msg, 3, mid);
		db_bind_text(msg, 4, subject);
		db_bind_text(msg, 5, cemail[c]);
		db_bind_text(msg, 6, cname[c]);
		db_bind_text(msg, 7, names[u]);
		db_bind_int64(msg, 8, sent);
		db_bind_text(msg, 9, body);
		db_bind_int64(msg, 10, sent);
		step(db, msg);
		db_bind_int64(mu, 1, row);
		db_bind_int64(mu, 2, users[u]);
		db_bind_int64(mu, 3, links[u]);
		db_bind_text(mu, 4, pid);
		step(db, mu);
		if (i && i % 100000 == 0) {
			if (db_commit(db) || db_begin(db))
				die("history commit");
			fprintf(stderr, "search_history: %ld messages stored (%.0f s)\n", i, now_s() - t);
		}
	}
	for (long i = 0; i < n_appt; i++) {
		int64_t row = i + 1, start = t0 + i * 600;
		int u = (int)(rnd() % USERS);
		char uid[64], title[160], loc[160], note[512], pid[32];
		snprintf(uid, sizeof uid, "a%ld@history.example", i);
		text(title, sizeof title, 2 + (int)(rnd() % 4));
		text(loc, sizeof loc, 2);
		text(note, sizeof note, (int)(rnd() % 30));
		snprintf(pid, sizeof pid, "event-%ld", i + 1);
		db_bind_int64(ap, 1, row);
		db_bind_text(ap, 2, uid);
		db_bind_int64(ap, 3, users[u]);
		db_bind_int64(ap, 4, start);
		db_bind_text(ap, 5, loc);
		db_bind_text(ap, 6, title);
		db_bind_text(ap, 7, note);
		db_bind_int64(ap, 8, start);
		db_bind_int64(ap, 9, start);
		step(db, ap);
		db_bind_int64(au, 1, row);
		db_bind_int64(au, 2, users[u]);
		db_bind_int64(au, 3, links[u]);
		db_bind_text(au, 4, pid);
		step(db, au);
	}
	if (db_commit(db) || db_exec(db, "PRAGMA synchronous=NORMAL") ||
	    db_exec(db, "INSERT INTO messages_fts (messages_fts) VALUES ('optimize')") ||
	    db_exec(db, "INSERT INTO appointments_fts (appointments_fts) VALUES ('optimize')") ||
	    db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)") || db_exec(db, "ANALYZE"))
		die("history commit");
	db_finalize(th);
	db_finalize(msg);
	db_finalize(mu);
	db_finalize(ap);
	db_finalize(au);
	fprintf(stderr, "search_history: history of %ld messages and %ld appointments built in"
	    " %.0f s\n", n_msg, n_appt, now_s() - t);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static long count_of(struct db *db, const char *sql)
{
	struct db_stmt *st = prep(db, sql);
	long n = db_step(st) == DB_ROW ? (long)db_col_int64(st, 0) : 0;
	db_finalize(st);
	return n;
}

int main(int argc, char **argv)
{
	const char *e;
	long n_msg = argc > 1 ? atol(argv[1]) : (e = getenv("BENCH_MESSAGES")) ? atol(e) : 1000000;
	long n_appt = argc > 2 ? atol(argv[2]) : (e = getenv("BENCH_APPOINTMENTS")) ? atol(e) :
	    100000;
	const char *keep = getenv("BENCH_KEEP");
	char dir[] = "/tmp/search_history.XXXXXX", path[300], err[256];
	struct stat sb;
	int reuse = keep && stat(keep, &sb) == 0;
	if (keep) {
		snprintf(path, sizeof path, "%s", keep);
	} else {
		if (!mkdtemp(dir))
			die("mkdtemp");
		snprintf(path, sizeof path, "%s/search.db", dir);
	}
	struct db *db = db_open(path, err, sizeof err);
	if (!db)
		die(err);
	int64_t viewer;
	if (reuse) {
		viewer = count_of(db, "SELECT min(id) FROM users");
		fprintf(stderr, "search_history: using %s again\n", path);
	} else {
		build(db, n_msg, n_appt, &viewer);
	}
	n_msg = count_of(db, "SELECT count(*) FROM messages");
	n_appt = count_of(db, "SELECT count(*) FROM appointments");

	double lat[NQUERIES * ROUNDS], worst[NQUERIES] = { 0 };
	long found[NQUERIES] = { 0 };
	size_t nl = 0;
	for (int r = 0; r < ROUNDS; r++) {
		for (size_t q = 0; q < NQUERIES; q++) {
			int none;
			double t = now_s();
			long rows = 0;
			for (int k = 0; k < SEARCH_NKINDS; k++) {
				char *fts = search_fts_query(queries[q], (enum search_kind)k, &none);
				struct web_rows out = { 0 };
				if (!fts)
					die("query");
				if (db_search(db, (enum search_kind)k, fts, viewer, SHOWN, &out))
					die("search failed");
				rows += (long)out.n;
				web_rows_free(&out);
				free(fts);
			}
			double ms = (now_s() - t) * 1000.0;
			lat[nl++] = ms;
			if (ms > worst[q])
				worst[q] = ms;
			found[q] = rows;
		}
	}
	printf("search against history: %ld messages, %ld appointments, %zu queries x %d rounds\n",
	    n_msg, n_appt, NQUERIES, ROUNDS);
	for (size_t q = 0; q < NQUERIES; q++)
		printf("  %-30s %3ld rows  slowest %7.1f ms\n", queries[q], found[q], worst[q]);
	qsort(lat, nl, sizeof lat[0], cmp_double);
	double p50 = lat[nl / 2], p99 = lat[(size_t)((double)nl * 0.99)];
	printf("search p50 %.1f ms (target < %.0f ms)  p99 %.1f ms (target < %.0f ms)  %s\n", p50,
	    TARGET_P50_MS, p99, TARGET_P99_MS,
	    p50 < TARGET_P50_MS && p99 < TARGET_P99_MS ? "meets the targets" : "MISSES the targets");
	db_close(db);
	if (!keep) {
		char p[340];
		unlink(path);
		snprintf(p, sizeof p, "%s-wal", path);
		unlink(p);
		snprintf(p, sizeof p, "%s-shm", path);
		unlink(p);
		rmdir(dir);
	}
	return 0;
}
