/* Storing appointments: upsert by (UID, occurrence) with one appointment_users row per user,
 * attendees and contacts replaced, deletions and vanished occurrences retired (db_sync_events.c
 * says how), hidden ones never revived and CRM-owned fields never touched. A meeting is found by
 * its decoded UID or an alias a copy of it has at a provider; only the organizer's copy (see
 * db_sync_appt_role) changes what everyone sees, an attendee's copy only its own status. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/db_skipped.h"
#include "core/db_sync.h"
#include "core/log.h"
#include "core/uid.h"
#include "sync/match.h"
#include "sync/store.h"

/* The appointments each series (provider_id) of a batch kept, for removing the rest. */
struct series {
	char *provider_id;
	int complete;
	int64_t *keep;
	size_t n, cap;
};
struct series_list {
	struct series *v;
	size_t n, cap;
};

static struct series *series_get(struct series_list *l, const char *provider_id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].provider_id, provider_id) == 0)
			return &l->v[i];
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		struct series *nv = realloc(l->v, ncap * sizeof *nv);
		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = ncap;
	}
	struct series *s = &l->v[l->n];
	memset(s, 0, sizeof *s);
	if (!(s->provider_id = strdup(provider_id)))
		return NULL;
	l->n++;
	return s;
}

static int series_keep(struct series *s, int64_t id)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		int64_t *nv = realloc(s->keep, ncap * sizeof *nv);
		if (!nv)
			return -1;
		s->keep = nv;
		s->cap = ncap;
	}
	s->keep[s->n++] = id;
	return 0;
}

static void series_free(struct series_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].provider_id);
		free(l->v[i].keep);
	}
	free(l->v);
}

static int64_t store_now(const struct store *s)
{
	return s->now ? s->now : (int64_t)time(NULL);
}

/* Whether the stored appointment already holds this version of the event. The provider's
 * version wins for CRM-made appointments as for imported ones (db_sync_appt_update touches only
 * the provider's fields), except while a CRM change of it waits to go out: that push goes first
 * (a conflict there keeps the provider's version, which the next pull then brings). */
static int unchanged(const struct db_appt_state *st, const struct sync_event *e)
{
	int crm = strcmp(st->source, "crm") == 0;
	if (st->same_etag || (crm && st->push_pending))
		return 1;
	return crm && !e->etag && e->updated && e->updated == st->provider_updated;
}

/* A copy that may not change the shared meeting st: an attendee's joins it with its own
 * participation status; one from a mailbox neither organizer nor invited changes nothing and
 * is kept aside as a left-out alias, joining when the organizer's copy invites its user (the
 * user's copy, when it already has one, stays as it is). */
static int store_copy(struct store *s, const struct sync_event *e, const struct db_appt_state *st,
    int role, int64_t *kept)
{
	if (role == APPT_ROLE_OUTSIDER) {
		log_info("link %lld: event %s names appointment %lld, but this mailbox is neither its"
		    " organizer nor invited: it changes nothing", (long long)s->link_id,
		    e->provider_id, (long long)st->id);
		if (!st->has_user && db_sync_appt_alias_set(s->db, s->link_id, e->provider_id, st->id,
		    s->user_id, e->uid, 1) != 0)
			return -1;
		*kept = st->id;
		s->c.skipped++;
		return 0;
	}
	if (db_sync_appt_own_status(s->db, st->id, s->user_id, s->address, e) != 0 ||
	    db_sync_appt_user_set(s->db, st->id, s->user_id, s->link_id, e->provider_id,
	    e->etag) != 0 ||
	    db_sync_appt_alias_set(s->db, s->link_id, e->provider_id, st->id, s->user_id,
	    e->uid, 0) != 0)
		return -1;
	*kept = st->id;
	s->c.updated++;
	return 0;
}

/* Note event e as not imported for reason r (addrs: its addresses). */
static void note_event(struct store *s, const struct sync_event *e, const struct strset *addrs,
    enum skip_reason r)
{
	struct skipped_item it = { .kind = SKIP_EVENT, .reason = r, .provider_id = e->provider_id,
	    .item_id = e->uid, .item_at = e->start, .from_email = e->organizer.email,
	    .subject = e->title };
	store_note_skip_addrs(s, &it, addrs);
}

/* Write one live event (uid decoded); *kept gets the appointment id it lives in (0 when not
 * stored). raw_uid is the UID as the provider wrote it. */
static int store_event(struct store *s, const struct sync_event *e, const char *raw_uid,
    int64_t *kept)
{
	struct strset addrs = { 0 }, open = { 0 };
	struct db_appt_state st;
	struct id_list contacts = { 0 };
	int64_t account = 0, assigned = 0, id;
	int rc = -1;

	*kept = 0;
	if (db_sync_appt_state(s->db, e->uid, raw_uid, e->recurrence_id, s->user_id, s->link_id,
	    e->etag, e->provider_id, &st) != 0)
		goto out;
	if (st.id && unchanged(&st, e)) {
		if (!st.has_alias && db_sync_appt_alias_set(s->db, s->link_id, e->provider_id, st.id,
		    s->user_id, e->uid, 0) != 0)
			goto out;
		*kept = st.id;
		s->c.skipped++;
		rc = 0;
		goto out;
	}
	long blocked;
	if (addrset_of_event(&addrs, e) < 0 || (blocked = store_unblocked(s, &addrs, &open)) < 0)
		goto out;
	/* every contact among the organizer and attendees but blocked ones, however many (first
	 * one first) */
	for (size_t i = 0; i < open.n; i++)
		if (db_sync_contacts_add(s->db, open.v[i], &contacts) != 0)
			goto out;
	if (id_list_unique(&contacts) != 0)
		goto out;
	size_t n_contacts = contacts.n;
	if (n_contacts == 0 && blocked && !st.has_user) {
		/* a copy the user has (imported before the block) is updated, and stays as the
		 * block left it */
		note_event(s, e, &addrs, SKIP_BLOCKED);
		s->c.skipped++;
		rc = 0;
		goto out;
	}
	int role = st.id ? db_sync_appt_role(s->db, st.id, s->user_id, s->address,
	    e->organizer.email) : APPT_ROLE_OWNER;
	if (role < 0)
		goto out;
	if (role != APPT_ROLE_OWNER) {
		rc = store_copy(s, e, &st, role, kept);
		goto out;
	}
	if (n_contacts == 0 && !st.id) {
		note_event(s, e, &addrs, store_no_contact_reason(s, &addrs));
		s->c.skipped++;
		rc = 0;
		goto out;
	}
	if (n_contacts && (account = db_sync_contact_account(s->db, contacts.v[0])) < 0)
		goto out;
	if (e->organizer.email && (assigned = db_sync_user_of_address(s->db, e->organizer.email)) < 0)
		goto out;
	if (!st.id) {
		if ((id = db_sync_appt_add(s->db, e, assigned ? assigned : s->user_id, account,
		    store_now(s))) < 0)
			goto out;
		s->c.new_items++;
	} else {
		id = st.id;
		if (db_sync_appt_update(s->db, id, e, assigned, account, store_now(s)) != 0)
			goto out;
		s->c.updated++;
	}
	if (n_contacts && (db_sync_appt_people(s->db, id, e, contacts.v, n_contacts) != 0 ||
	    db_sync_appt_promote(s->db, id) < 0))
		goto out;
	if (db_sync_appt_user_set(s->db, id, s->user_id, s->link_id, e->provider_id, e->etag) != 0 ||
	    db_sync_appt_alias_set(s->db, s->link_id, e->provider_id, id, s->user_id, e->uid, 0) != 0)
		goto out;
	if (db_skipped_forget(s->db, s->link_id, e->provider_id) != 0)
		log_warnx("link %lld: %s: its record of not being imported was not removed",
		    (long long)s->link_id, e->provider_id);
	*kept = id;
	rc = 0;
out:
	strset_free(&addrs);
	strset_free(&open);
	id_list_free(&contacts);
	return rc;
}

static int item_done(struct store *s, int ok, const struct sync_event *e)
{
	if (ok == 0)
		return db_exec(s->db, "RELEASE store_item");
	if (!db_in_transaction(s->db))
		return -1;   /* SQLite ended the page's transaction (disk full): no savepoint left */
	s->c.errors++;
	log_warnx("link %lld: event %s (%s) not stored", (long long)s->link_id,
	    e->provider_id ? e->provider_id : "(no id)", e->uid ? e->uid : "no UID");
	db_exec(s->db, "ROLLBACK TO store_item");
	return db_exec(s->db, "RELEASE store_item");
}

/* One item of the batch: a deletion, or a live event recorded in its series. */
static int store_one(struct store *s, const struct sync_event *e, struct series_list *sl)
{
	if (!e->provider_id)
		return -1;
	if (e->deleted) {
		int n = e->prefix ? db_sync_appt_forget_prefix(s->db, s->link_id, e->provider_id) :
		    db_sync_appt_forget(s->db, s->link_id, e->provider_id, NULL, 0);
		if (n < 0)
			return -1;
		if (n)
			s->c.updated++;
		else
			s->c.skipped++;
		return 0;
	}
	if (!e->uid || !*e->uid)
		return -1;
	int64_t kept;
	struct sync_event named = *e;   /* the same event under the meeting's decoded UID */
	if (!(named.uid = uid_canonical(e->uid)))
		return -1;
	int rc = store_event(s, &named, e->uid, &kept);
	free(named.uid);
	if (rc != 0)
		return -1;
	struct series *ser = series_get(sl, e->provider_id);
	if (!ser)
		return -1;
	if (e->series_complete || !e->recurrence_id)
		ser->complete = 1;
	return kept ? series_keep(ser, kept) : 0;
}

int store_events(struct store *s, const struct event_list *events)
{
	struct series_list sl = { 0 };
	int rc = -1;
	for (size_t i = 0; i < events->n; i++) {
		if (db_exec(s->db, "SAVEPOINT store_item") != 0)
			goto out;
		if (item_done(s, store_one(s, &events->v[i], &sl), &events->v[i]) != 0)
			goto out;
	}
	for (size_t i = 0; i < sl.n; i++) {
		if (!sl.v[i].complete)
			continue;
		int n = db_sync_appt_forget(s->db, s->link_id, sl.v[i].provider_id, sl.v[i].keep,
		    sl.v[i].n);
		if (n < 0)
			goto out;
		s->c.updated += n;
	}
	rc = 0;
out:
	series_free(&sl);
	return rc;
}
