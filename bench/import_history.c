/* Import against history: a burst of mail stored through the store (store_commit, pages of
 * 200 as the IMAP driver hands them) into an empty database, then the same burst into one that
 * already holds a large history, built fast by batched inserts with the store's row shape.
 * Prints both rates, their ratio and the longest page commit beside the targets.
 * Usage: import_history [HISTORY [BURST]] (defaults 1,000,000 and 2,000; BENCH_HISTORY,
 * BENCH_BURST in the environment do the same). BENCH_KEEP=PATH keeps the history database at
 * PATH and uses it again on the next run (its bursts numbered after those already stored). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "core/db.h"
#include "core/models.h"
#include "providers/provider.h"
#include "sync/store.h"

#define PAGE 200
#define CONTACTS 200
#define THREAD_LEN 5           /* history threads: a root and four replies */

struct bench_db {
	struct db *db;
	int64_t user, link;
	int64_t contacts[CONTACTS];
	char emails[CONTACTS][64];   /* the contacts' addresses */
	int n_contacts;
	char path[256];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "import_history: %s\n", what);
	exit(1);
}

static struct db_stmt *prep(struct db *db, const char *sql);

/* A fresh database with one user, its link and CONTACTS contacts on 20 accounts. */
static void bench_open(struct bench_db *b, const char *dir, const char *name)
{
	char err[256];
	snprintf(b->path, sizeof b->path, "%s/%s.db", dir, name);
	if (!(b->db = db_open(b->path, err, sizeof err)))
		die(err);
	if (db_users_add(b->db, "Alice", "alice@crm.example", "pw-alice-1", "user", "UTC", &b->user) ||
	    db_links_add(b->db, b->user, "imap", "alice@crm.example", "{}", NULL, 0, &b->link))
		die("fixture users");
	for (int i = 0; i < CONTACTS; i++) {
		struct account a = { 0 };
		char num[16], aname[32], cname[32], email[64];
		snprintf(num, sizeof num, "%d", 5000 + i / 10);
		snprintf(aname, sizeof aname, "Account %d", i / 10);
		a.number = num; a.name = aname;
		a.address1 = a.address2 = a.city = a.state = a.zip = (char *)"";
		a.status = (char *)"Active"; a.division = a.account_manager = a.class_ = (char *)"";
		a.bill_group = (char *)""; a.billing_mode = (char *)"Arrears";
		a.billing_cycle = (char *)"Monthly";
		if (db_accounts_upsert(b->db, &a))
			die("fixture accounts");
		snprintf(cname, sizeof cname, "Contact %d", i);
		snprintf(email, sizeof email, "contact%d@client.example", i);
		const char *e[] = { email };
		if (db_contacts_upsert(b->db, a.id, cname, "", e, 1, &b->contacts[i]))
			die("fixture contacts");
		snprintf(b->emails[i], sizeof b->emails[i], "%s", email);
	}
	b->n_contacts = CONTACTS;
}

/* An existing database (a web stack's): the user of link and up to CONTACTS contacts. */
static void bench_attach(struct bench_db *b, const char *path, int64_t link)
{
	char err[256];
	memset(b, 0, sizeof *b);
	snprintf(b->path, sizeof b->path, "%s", path);
	if (!(b->db = db_open(path, err, sizeof err)))
		die(err);
	b->link = link;
	struct db_stmt *st = prep(b->db, "SELECT user_id FROM links WHERE id = ?");
	db_bind_int64(st, 1, link);
	if (db_step(st) != DB_ROW)
		die("no such link");
	b->user = db_col_int64(st, 0);
	db_finalize(st);
	st = prep(b->db, "SELECT contact_id, email FROM contact_emails ORDER BY contact_id LIMIT ?");
	db_bind_int(st, 1, CONTACTS);
	while (db_step(st) == DB_ROW) {
		b->contacts[b->n_contacts] = db_col_int64(st, 0);
		snprintf(b->emails[b->n_contacts], sizeof b->emails[0], "%s",
		    (const char *)db_col_text(st, 1));
		b->n_contacts++;
	}
	db_finalize(st);
	if (!b->n_contacts)
		die("no contacts");
}

static void bench_close(struct bench_db *b)
{
	char p[300];
	db_close(b->db);
	unlink(b->path);
	snprintf(p, sizeof p, "%s-wal", b->path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", b->path);
	unlink(p);
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

/* n history messages in threads of THREAD_LEN, written in one transaction with the rows the
 * store writes for each (thread, message, its message_refs, message_users, message_contacts). */
static void bench_history(struct bench_db *b, long n)
{
	struct db *db = b->db;
	struct db_stmt *mx = prep(db, "SELECT coalesce(max(id), 0) FROM messages");
	int64_t base = db_step(mx) == DB_ROW ? db_col_int64(mx, 0) : 0;
	db_finalize(mx);
	mx = prep(db, "SELECT coalesce(max(id), 0) FROM threads");
	int64_t tbase = db_step(mx) == DB_ROW ? db_col_int64(mx, 0) : 0;
	db_finalize(mx);
	struct db_stmt *th = prep(db, "INSERT INTO threads (id, subject, started_at, last_at)"
	    " VALUES (?, 'Service visit', ?, ?)");
	struct db_stmt *msg = prep(db, "INSERT INTO messages (id, thread_id, message_id, in_reply_to,"
	    " refs, subject, from_email, from_name, to_list, cc_list, sent_at, body_text, created_at)"
	    " VALUES (?, ?, ?, ?, ?, 'Service visit', ?, 'Contact', 'alice@crm.example', '', ?,"
	    " 'Hello, the visit is confirmed for Tuesday at nine; the gate code is unchanged.', ?)");
	struct db_stmt *ref = prep(db, "INSERT INTO message_refs (ref_id, message_row) VALUES (?, ?)"
	    " ON CONFLICT DO NOTHING");
	struct db_stmt *mu = prep(db, "INSERT INTO message_users (message_id, user_id, link_id,"
	    " provider_id, direction) VALUES (?, ?, ?, ?, 'received')");
	struct db_stmt *mc = prep(db, "INSERT INTO message_contacts (message_id, contact_id)"
	    " VALUES (?, ?)");
	/* a contact's messages by contact, as the store leaves them (schema.c, migration 12) */
	struct db_stmt *cm = prep(db, "INSERT INTO contact_messages (contact_id, message_id)"
	    " VALUES (?, ?)");
	if (db_exec(db, "PRAGMA synchronous=OFF") || db_begin(db))
		die("history begin");
	/* rows already waiting for the store's merge go in first: the mark moves past them below */
	if (db_exec(db, "INSERT OR IGNORE INTO contact_messages (contact_id, message_id)"
	    " SELECT contact_id, message_id FROM message_contacts WHERE message_id >"
	    " (SELECT upto FROM contact_messages_mark WHERE id = 1)"))
		die("history merge");
	int64_t t0 = 1500000000;
	for (long i = 0; i < n; i++) {
		long thread = i / THREAD_LEN + 1, pos = i % THREAD_LEN;
		int64_t row = base + i + 1;
		int64_t sent = t0 + i * 60;
		char mid[64], parent[64], refs[400] = "", from[64], pid[32];
		snprintf(mid, sizeof mid, "h%ld@history.example", i);
		snprintf(parent, sizeof parent, "h%ld@history.example", i - 1);
		for (long k = i - pos; k < i; k++) {
			size_t l = strlen(refs);
			snprintf(refs + l, sizeof refs - l, "%sh%ld@history.example", l ? " " : "", k);
		}
		int64_t contact = b->contacts[thread % b->n_contacts];
		snprintf(from, sizeof from, "%s", b->emails[thread % b->n_contacts]);
		snprintf(pid, sizeof pid, "HISTORY/1/%ld", i + 1);
		if (pos == 0) {
			db_bind_int64(th, 1, tbase + thread);
			db_bind_int64(th, 2, sent);
			db_bind_int64(th, 3, sent + (THREAD_LEN - 1) * 60);
			step(db, th);
		}
		db_bind_int64(msg, 1, row);
		db_bind_int64(msg, 2, tbase + thread);
		db_bind_text(msg, 3, mid);
		if (pos)
			db_bind_text(msg, 4, parent);
		else
			db_bind_null(msg, 4);
		db_bind_text(msg, 5, refs);
		db_bind_text(msg, 6, from);
		db_bind_int64(msg, 7, sent);
		db_bind_int64(msg, 8, sent);
		step(db, msg);
		db_bind_int64(ref, 2, row);
		db_bind_text(ref, 1, mid);
		step(db, ref);
		for (long k = i - pos; k < i; k++) {
			char r[64];
			snprintf(r, sizeof r, "h%ld@history.example", k);
			db_bind_text(ref, 1, r);
			db_bind_int64(ref, 2, row);
			step(db, ref);
		}
		db_bind_int64(mu, 1, row);
		db_bind_int64(mu, 2, b->user);
		db_bind_int64(mu, 3, b->link);
		db_bind_text(mu, 4, pid);
		step(db, mu);
		db_bind_int64(mc, 1, row);
		db_bind_int64(mc, 2, contact);
		step(db, mc);
		db_bind_int64(cm, 1, contact);
		db_bind_int64(cm, 2, row);
		step(db, cm);
	}
	if (db_exec(db, "UPDATE contact_messages_mark SET upto = (SELECT max(message_id)"
	    " FROM message_contacts) WHERE id = 1"))
		die("history mark");
	if (db_commit(db) || db_exec(db, "PRAGMA synchronous=NORMAL") ||
	    db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)"))
		die("history commit");
	db_finalize(th);
	db_finalize(msg);
	db_finalize(ref);
	db_finalize(mu);
	db_finalize(mc);
	db_finalize(cm);
	sync();   /* the build's writes reach the disk before anything is measured */
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		die("out of memory");
	return d;
}

/* Mail i of the burst: new threads from contacts, replies inside the burst, and replies to
 * history threads (their ids unknown in the empty database, so a new thread there). */
static void burst_msg(struct msg_list *l, const struct bench_db *b, long i, long history)
{
	struct sync_msg *m = msg_list_add(l);
	char buf[128];
	if (!m)
		die("out of memory");
	snprintf(buf, sizeof buf, "INBOX/2/%ld", i + 1);
	m->provider_id = xstrdup(buf);
	snprintf(buf, sizeof buf, "b%ld@burst.example", i);
	m->message_id = xstrdup(buf);
	m->subject = xstrdup("Re: Service visit");
	m->from.email = xstrdup(b->emails[i % b->n_contacts]);
	m->to = calloc(2, sizeof *m->to);
	if (!m->to)
		die("out of memory");
	m->to[0].email = xstrdup("alice@crm.example");
	m->to[1].email = xstrdup("office@fieldco.example");
	m->n_to = 2;
	m->references = calloc(4, sizeof *m->references);
	if (!m->references)
		die("out of memory");
	if (i % 10 == 3 && history > 0) {
		long root = ((i * 7919) % (history / THREAD_LEN)) * THREAD_LEN;
		snprintf(buf, sizeof buf, "h%ld@history.example", root);
		m->references[m->n_references++] = xstrdup(buf);
		snprintf(buf, sizeof buf, "h%ld@history.example", root + 1);
		m->references[m->n_references++] = xstrdup(buf);
		m->in_reply_to = xstrdup(buf);
	} else if (i % 2 == 1) {
		snprintf(buf, sizeof buf, "b%ld@burst.example", i - 1);
		m->references[m->n_references++] = xstrdup(buf);
		m->in_reply_to = xstrdup(buf);
	}
	m->date = 1700000000 + i * 30;
	m->body_text = xstrdup("Thanks, Tuesday at nine works for us. Please bring the new filters.");
}

struct burst_result {
	double rate;          /* mails per second of wall time */
	double cpu_s;         /* user + system CPU time of the burst */
	long written_kb;      /* written to disk (WAL, checkpoints) */
	double max_page_s;    /* longest store_commit of one page */
	long stored;
};

static double tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + tv->tv_usec / 1e6;
}

/* The burst, numbered from first (so repeated bursts are new mail). */
static struct burst_result bench_burst(struct bench_db *b, long first, long burst, long history)
{
	struct store s = { .db = b->db, .link_id = b->link, .user_id = b->user,
	    .address = "alice@crm.example" };
	struct burst_result r = { 0 };
	struct rusage u0, u1;
	getrusage(RUSAGE_SELF, &u0);
	double t0 = now_s();
	for (long i = first; i < first + burst; i += PAGE) {
		struct msg_list l = { 0 };
		for (long k = i; k < first + burst && k < i + PAGE; k++)
			burst_msg(&l, b, k, history);
		double p0 = now_s();
		if (store_commit(&s, STREAM_MAIL, &l, NULL, "cursor") != 0)
			die("store_commit failed");
		double took = now_s() - p0;
		if (took > r.max_page_s)
			r.max_page_s = took;
	}
	double all = now_s() - t0;
	getrusage(RUSAGE_SELF, &u1);
	r.cpu_s = tv_s(&u1.ru_utime) - tv_s(&u0.ru_utime) + tv_s(&u1.ru_stime) - tv_s(&u0.ru_stime);
	r.written_kb = (u1.ru_oublock - u0.ru_oublock) / 2;
	r.stored = s.c.new_items;
	r.rate = all > 0 ? (double)burst / all : 0;
	return r;
}

static long arg_long(int argc, char **argv, int i, const char *env, long def)
{
	const char *v = argc > i ? argv[i] : getenv(env);
	long n = v ? strtol(v, NULL, 10) : def;
	return n > 0 ? n : def;
}

/* The best of REPS bursts (the disk is shared: the fastest run is the least disturbed one);
 * the longest page commit of all of them. */
static struct burst_result best_of(struct burst_result *v, int n)
{
	struct burst_result best = v[0];
	for (int i = 1; i < n; i++) {
		double worst_page = best.max_page_s > v[i].max_page_s ? best.max_page_s : v[i].max_page_s;
		if (v[i].rate > best.rate)
			best = v[i];
		best.max_page_s = worst_page;
	}
	return best;
}

static void print_row(const char *what, const struct burst_result *r, long burst)
{
	printf("  %-28s %7.0f mails/s  (CPU %.2f s = %.0f mails/CPU-s, %ld KB written,"
	    " longest page %.0f ms, %ld stored)\n", what, r->rate, r->cpu_s,
	    r->cpu_s > 0 ? burst / r->cpu_s : 0, r->written_kb, r->max_page_s * 1000, r->stored);
}

#define REPS 3

/* On an existing database: --db PATH --link ID, then --history N (build it) or --burst N
 * --first K (store one burst numbered from K; prints its rate). */
static int attached(int argc, char **argv)
{
	const char *path = NULL;
	long link = 0, history = 0, burst = 0, first = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		long v = strtol(argv[i + 1], NULL, 10);
		if (strcmp(argv[i], "--db") == 0)
			path = argv[i + 1];
		else if (strcmp(argv[i], "--link") == 0)
			link = v;
		else if (strcmp(argv[i], "--history") == 0)
			history = v;
		else if (strcmp(argv[i], "--burst") == 0)
			burst = v;
		else if (strcmp(argv[i], "--first") == 0)
			first = v;
	}
	if (!path || link <= 0 || (history <= 0) == (burst <= 0))
		die("usage: --db PATH --link ID (--history N | --burst N [--first K])");
	struct bench_db b;
	bench_attach(&b, path, link);
	if (history > 0) {
		bench_history(&b, history);
	} else {
		struct burst_result r = bench_burst(&b, first, burst, 0);
		printf("%ld stored %.0f mails/s longest page %.0f ms\n", r.stored, r.rate,
		    r.max_page_s * 1000);
	}
	db_close(b.db);
	return 0;
}

/* Bursts already stored in a kept history database (each mail is INBOX/2/N, N from 1 up). */
static long bursts_stored(struct bench_db *b)
{
	struct db_stmt *st = prep(b->db, "SELECT count(*) FROM message_users WHERE link_id = ?"
	    " AND provider_id >= 'INBOX/2/' AND provider_id < 'INBOX/20'");
	db_bind_int64(st, 1, b->link);
	long n = db_step(st) == DB_ROW ? (long)db_col_int64(st, 0) : 0;
	db_finalize(st);
	return n;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strncmp(argv[1], "--", 2) == 0)
		return attached(argc, argv);
	long history = arg_long(argc, argv, 1, "BENCH_HISTORY", 1000000);
	long burst = arg_long(argc, argv, 2, "BENCH_BURST", 2000);
	char dir[] = "/tmp/crm-bench-import-XXXXXX", what[64];
	struct burst_result runs[REPS];
	if (!mkdtemp(dir))
		die("mkdtemp");

	for (int i = 0; i < REPS; i++) {
		struct bench_db empty;
		bench_open(&empty, dir, "empty");
		runs[i] = bench_burst(&empty, 0, burst, 0);
		bench_close(&empty);
	}
	struct burst_result a = best_of(runs, REPS);

	struct bench_db full;
	const char *keep = getenv("BENCH_KEEP");
	long first = 0;
	double built = 0;
	if (keep && *keep && access(keep, F_OK) == 0) {
		bench_attach(&full, keep, 1);
		first = bursts_stored(&full);
		sync();   /* the last run's writes reach the disk before anything is measured */
	} else {
		bench_open(&full, dir, "history");
		double h0 = now_s();
		bench_history(&full, history);
		built = now_s() - h0;
	}
	for (int i = 0; i < REPS; i++)
		runs[i] = bench_burst(&full, first + i * burst, burst, history);
	struct burst_result b = best_of(runs, REPS);
	if (keep && *keep) {
		db_close(full.db);
		if (first == 0 && rename(full.path, keep) != 0)
			die("cannot keep the history database");
	} else {
		bench_close(&full);
	}
	rmdir(dir);

	printf("import against history: %ld mails through store_commit in pages of %d, best of %d\n",
	    burst, PAGE, REPS);
	if (built > 0)
		printf("  history of %ld messages built in %.1f s (batched inserts, one transaction)\n",
		    history, built);
	else
		printf("  history kept in %s from an earlier run\n", keep);
	print_row("into an empty database:", &a, burst);
	snprintf(what, sizeof what, "into %ld stored messages:", history);
	print_row(what, &b, burst);
	printf("  ratio history / empty:       %7.2f          target >= 0.8 (CPU time: %.2f)\n",
	    a.rate > 0 ? b.rate / a.rate : 0, b.cpu_s > 0 ? a.cpu_s / b.cpu_s : 0);
	printf("  longest page commit:         %7.0f ms       target < 1000 ms\n",
	    (a.max_page_s > b.max_page_s ? a.max_page_s : b.max_page_s) * 1000);
	return 0;
}
