/* A database with a company's contacts, two users and their links, and builders of provider
 * items, for the sync engine's unit tests. */
#ifndef SYNC_FIXTURE_H
#define SYNC_FIXTURE_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpdir.h"
#include "test_db_target.h"
#include "core/db.h"
#include "core/models.h"
#include "providers/provider.h"
#include "sync/store.h"

struct fx {
	struct db *db;
	int64_t alice, bob;            /* users */
	int64_t alice_link, bob_link;
	int64_t john, ana, linda;      /* contacts: john + ana on account A, linda on account B */
	int64_t acct_a, acct_b;
	struct store sa, sb;           /* stores of alice's and bob's links */
};

static __attribute__((unused)) int fx_open(struct fx *f)
{
	char path[128], err[256];
	memset(f, 0, sizeof *f);
	if (!test_db_fresh(path, sizeof path, "crm.db") || !(f->db = db_open(path, err, sizeof err)))
		return -1;
	if (db_users_add(f->db, "Alice", "alice@crm.example", "pw-alice-1", "user", "UTC", &f->alice) ||
	    db_users_add(f->db, "Bob", "bob@crm.example", "pw-bob-1", "user", "UTC", &f->bob))
		return -1;
	struct account a = { 0 };
	a.number = (char *)"1001"; a.name = (char *)"Account A";
	a.address1 = a.address2 = a.city = a.state = a.zip = (char *)"";
	a.status = (char *)"Active"; a.division = a.account_manager = a.class_ = (char *)"";
	a.bill_group = (char *)""; a.billing_mode = (char *)"Arrears"; a.billing_cycle = (char *)"Monthly";
	if (db_accounts_upsert(f->db, &a))
		return -1;
	f->acct_a = a.id;
	a.id = 0; a.number = (char *)"1002"; a.name = (char *)"Account B";
	if (db_accounts_upsert(f->db, &a))
		return -1;
	f->acct_b = a.id;
	const char *john[] = { "john.smith@example.net" }, *ana[] = { "ana@example.net" },
	    *linda[] = { "linda@diner.example" };
	if (db_contacts_upsert(f->db, f->acct_a, "John Smith", "", john, 1, &f->john) ||
	    db_contacts_upsert(f->db, f->acct_a, "Ana Ruiz", "", ana, 1, &f->ana) ||
	    db_contacts_upsert(f->db, f->acct_b, "Linda Park", "", linda, 1, &f->linda))
		return -1;
	if (db_links_add(f->db, f->alice, "imap", "alice@crm.example", "{}", NULL, 0, &f->alice_link) ||
	    db_links_add(f->db, f->bob, "imap", "bob@crm.example", "{}", NULL, 0, &f->bob_link))
		return -1;
	f->sa = (struct store){ .db = f->db, .link_id = f->alice_link, .user_id = f->alice,
	    .address = "alice@crm.example", .now = 1700000000 };
	f->sb = (struct store){ .db = f->db, .link_id = f->bob_link, .user_id = f->bob,
	    .address = "bob@crm.example", .now = 1700000000 };
	return 0;
}

static __attribute__((unused)) void fx_close(struct fx *f)
{
	db_close(f->db);
}

/* "a@b" or "Name <a@b>" -> owned addr. */
static __attribute__((unused)) void fx_addr(struct addr *a, const char *email)
{
	a->name = NULL;
	a->email = strdup(email);
}

/* Add a message to l. to is one address; refs space-separated or NULL. */
static __attribute__((unused)) struct sync_msg *fx_msg(struct msg_list *l, const char *pid,
    const char *mid, const char *from, const char *to, const char *in_reply_to, const char *refs,
    int64_t date)
{
	struct sync_msg *m = msg_list_add(l);
	m->provider_id = strdup(pid);
	m->message_id = strdup(mid);
	m->subject = strdup("Service increase");
	fx_addr(&m->from, from);
	m->to = calloc(1, sizeof *m->to);
	fx_addr(&m->to[0], to);
	m->n_to = 1;
	m->in_reply_to = in_reply_to ? strdup(in_reply_to) : NULL;
	if (refs) {
		char *copy = strdup(refs), *save = NULL;
		m->references = calloc(16, sizeof *m->references);
		for (char *t = strtok_r(copy, " ", &save); t && m->n_references < 16;
		    t = strtok_r(NULL, " ", &save))
			m->references[m->n_references++] = strdup(t);
		free(copy);
	}
	m->date = date;
	m->body_text = strdup("Hello");
	return m;
}

/* Add an event to l with one attendee (organizer given or NULL). */
static __attribute__((unused)) struct sync_event *fx_event(struct event_list *l, const char *pid,
    const char *uid, const char *rid, const char *etag, const char *organizer,
    const char *attendee, int64_t start, const char *title)
{
	struct sync_event *e = event_list_add(l);
	e->provider_id = strdup(pid);
	e->uid = strdup(uid);
	e->recurrence_id = rid ? strdup(rid) : NULL;
	e->etag = etag ? strdup(etag) : NULL;
	e->start = start;
	e->duration_min = 30;
	e->title = strdup(title);
	e->location = strdup("");
	if (organizer)
		fx_addr(&e->organizer, organizer);
	if (attendee) {
		e->attendees = calloc(1, sizeof *e->attendees);
		fx_addr(&e->attendees[0].who, attendee);
		e->attendees[0].partstat = strdup("NEEDS-ACTION");
		e->n_attendees = 1;
	}
	return e;
}

/* The single integer a query returns (bound with one optional integer ?1), -1 on error. */
static __attribute__((unused)) long long fx_int(struct fx *f, const char *sql, long long arg)
{
	struct db_stmt *st;
	long long v = -1;
	if (!(st = db_prepare(f->db, sql)))
		return -1;
	if (db_param_count(st) > 0)
		db_bind_int64(st, 1, arg);
	if (db_step(st) == DB_ROW)
		v = db_col_int64(st, 0);
	db_finalize(st);
	return v;
}

/* The single text a query returns, copied into a static buffer ("" when none). */
static __attribute__((unused)) const char *fx_text(struct fx *f, const char *sql, long long arg)
{
	static char buf[200];
	struct db_stmt *st;
	buf[0] = '\0';
	if (!(st = db_prepare(f->db, sql)))
		return buf;
	if (db_param_count(st) > 0)
		db_bind_int64(st, 1, arg);
	if (db_step(st) == DB_ROW && db_col_text(st, 0))
		snprintf(buf, sizeof buf, "%s", (const char *)db_col_text(st, 0));
	db_finalize(st);
	return buf;
}
#endif
