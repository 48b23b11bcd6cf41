/* The store: turns a page of provider items into rows (see store.h). Each item is written under
 * its own savepoint so one bad item is logged and skipped while the rest of the page lands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/db_attach.h"
#include "core/db_blocklist.h"
#include "core/db_leases.h"
#include "core/db_skipped.h"
#include "core/db_link_cals.h"
#include "core/db_sync.h"
#include "core/log.h"
#include "sync/match.h"
#include "sync/store.h"

#define MAX_THREADS 16
/* message_contacts rows (counted in message ids) a page commit lets wait before it moves them
 * into contact_messages, sorted by contact: one write of each contact's leaf per batch. */
#define CONTACT_BATCH 2048

const char *stream_name(enum stream s)
{
	switch (s) {
	case STREAM_MAIL: return "mail";
	case STREAM_EVENTS: return "events";
	case STREAM_FOLDER: return "folder";
	}
	return "unknown";
}

static int64_t store_now(const struct store *s)
{
	return s->now ? s->now : (int64_t)time(NULL);
}

/* Contacts owning any address of set: all of them, however long the lists. */
static int contacts_of(struct store *s, const struct strset *set, struct id_list *ids)
{
	for (size_t i = 0; i < set->n; i++)
		if (db_sync_contacts_add(s->db, set->v[i], ids) != 0)
			return -1;
	return id_list_unique(ids);
}

void store_note_skip(struct store *s, const struct skipped_item *it)
{
	if (db_skipped_record(s->db, s->link_id, it, store_now(s)) == 0) {
		s->noted++;
		return;
	}
	char key[64];
	snprintf(key, sizeof key, "link %lld: skip record", (long long)s->link_id);
	log_warnx_limited(key, "link %lld: %s %s: the record of it not being imported (%s) was not"
	    " written", (long long)s->link_id, skip_kind_name(it->kind), it->provider_id,
	    skip_reason_code(it->reason));
}

void store_note_skip_addrs(struct store *s, struct skipped_item *it, const struct strset *addrs)
{
	char *joined = it->provider_id ? skipped_addresses((const char *const *)addrs->v, addrs->n) :
	    NULL;
	if (!joined)
		return;
	it->addresses = joined;
	store_note_skip(s, it);
	it->addresses = NULL;
	free(joined);
}

/* The item of provider_id is imported: a record of it not being imported goes. */
static void forget_skip(struct store *s, const char *provider_id)
{
	if (provider_id && db_skipped_forget(s->db, s->link_id, provider_id) != 0)
		log_warnx("link %lld: %s: its record of not being imported was not removed",
		    (long long)s->link_id, provider_id);
}

long store_unblocked(const struct store *s, const struct strset *addrs, struct strset *open)
{
	long blocked = 0;
	for (size_t i = 0; i < addrs->n; i++) {
		if (blocklist_match(s->blocks, addrs->v[i]))
			blocked++;
		else if (strset_add(open, addrs->v[i]) < 0)
			return -1;
	}
	return blocked;
}

enum skip_reason store_no_contact_reason(struct store *s, const struct strset *addrs)
{
	for (size_t i = 0; i < addrs->n; i++) {
		int64_t u = db_sync_user_of_address(s->db, addrs->v[i]);
		if (u < 0)
			log_warnx("link %lld: %s: not known whether a CRM user's", (long long)s->link_id,
			    addrs->v[i]);
		if (u <= 0)
			return SKIP_NO_CONTACT;
	}
	return addrs->n ? SKIP_COLLEAGUES : SKIP_NO_CONTACT;
}

/* Note message m as not imported for reason r (addrs: its addresses). */
static void note_msg(struct store *s, const struct sync_msg *m, const struct strset *addrs,
    enum skip_reason r)
{
	struct skipped_item it = { .kind = SKIP_MAIL, .reason = r, .provider_id = m->provider_id,
	    .item_id = m->message_id, .item_at = m->date, .from_email = m->from.email,
	    .subject = m->subject };
	store_note_skip_addrs(s, &it, addrs);
}

/* The thread a new message joins (merging threads it ties together), or a new one. */
static int64_t thread_for(struct store *s, const struct sync_msg *m, const struct strset *refs,
    int64_t date)
{
	int64_t found[MAX_THREADS];
	size_t n = 0;
	if (db_sync_threads_related(s->db, m->message_id, refs->v, refs->n, found, MAX_THREADS,
	    &n) != 0)
		return -1;
	if (n == 0)
		return db_sync_thread_add(s->db, m->subject, date);
	for (size_t i = 1; i < n; i++)
		if (db_sync_thread_merge(s->db, found[i], found[0]) != 0)
			return -1;
	return db_sync_thread_touch(s->db, found[0], date) == 0 ? found[0] : -1;
}

/* The CRM-folder hook: a dragged-in message matching no contact waits in unmatched_messages
 * for the user to assign it. */
static int store_unmatched(struct store *s, const struct sync_msg *m, const char *refs,
    const char *to, const char *cc)
{
	int rc = db_sync_unmatched_add(s->db, s->link_id, s->user_id, m, refs, to, cc, store_now(s));
	if (rc < 0)
		return -1;
	if (rc)
		s->c.new_items++;
	else
		s->c.skipped++;
	return 0;
}

/* The attachments of message id (new), each blob once however many mails carry it. */
static int store_attachments(struct store *s, int64_t id, const struct sync_msg *m)
{
	for (size_t i = 0; i < m->n_attachments; i++) {
		int new_blob = 0;
		if (db_attach_store(s->db, s->files_dir ? s->files_dir : "run/files", id,
		    &m->attachments[i], s->attach_max, store_now(s), &new_blob) != 0)
			return -1;
	}
	if (m->n_attach_left_out)
		log_warnx("link %lld: message %s: %zu attachments past the first %zu not kept",
		    (long long)s->link_id, m->provider_id ? m->provider_id : "(no id)",
		    m->n_attach_left_out, m->n_attachments);
	return 0;
}

static int store_new_message(struct store *s, const struct sync_msg *m, const struct strset *refs,
    const char *refs_text, const char *to, const char *cc, const char *dir)
{
	int64_t date = m->date > 0 ? m->date : store_now(s);
	struct sync_msg dated = *m;
	dated.date = date;
	int64_t thread = thread_for(s, m, refs, date);
	if (thread < 0)
		return -1;
	int64_t id = db_sync_msg_add(s->db, thread, &dated, refs_text, to, cc, store_now(s));
	if (id < 0 || db_sync_msg_user_add(s->db, id, s->user_id, s->link_id, m->provider_id, dir) < 0 ||
	    store_attachments(s, id, m) != 0)
		return -1;
	s->c.new_items++;
	return (int)(id > 0 ? 0 : -1);
}

int store_message(struct store *s, const struct sync_msg *m)
{
	struct strset addrs = { 0 }, open = { 0 }, refs = { 0 };
	struct id_list contacts = { 0 };
	char *refs_text = NULL, *to = NULL, *cc = NULL;
	int rc = -1, dup = 0;
	long blocked = 0;

	if (addrset_of_msg(&addrs, m) < 0 || (blocked = store_unblocked(s, &addrs, &open)) < 0 ||
	    contacts_of(s, &open, &contacts) < 0 ||
	    msg_refs(&refs, m) < 0 || !(refs_text = strset_join(&refs)) ||
	    !(to = addr_list_shown(m->to, m->n_to)) || !(cc = addr_list_shown(m->cc, m->n_cc)))
		goto out;
	size_t n_contacts = contacts.n;
	if (n_contacts == 0 && blocked) {
		/* a blocked mail the link already holds (imported before the block) is not noted */
		int seen = db_sync_msg_seen(s->db, s->link_id, m->provider_id);
		if (seen < 0)
			goto out;
		if (!seen)
			note_msg(s, m, &addrs, SKIP_BLOCKED);
		rc = 0;
		s->c.skipped++;
		goto out;
	}
	if (n_contacts == 0 && m->folder != FOLDER_CRM) {
		note_msg(s, m, &addrs, store_no_contact_reason(s, &addrs));
		rc = 0;
		s->c.skipped++;
		goto out;
	}
	int seen = db_sync_msg_seen(s->db, s->link_id, m->provider_id);
	if (seen != 0) {
		rc = seen < 0 ? -1 : 0;
		s->c.skipped += seen > 0;
		goto out;
	}
	int64_t id = db_sync_msg_by_mid(s->db, m->message_id);
	if (id < 0)
		goto out;
	if (n_contacts == 0) {
		/* A CRM-folder message already stored (assigned earlier) has nothing to wait for. */
		rc = 0;
		if (id == 0)
			rc = store_unmatched(s, m, refs_text, to, cc);
		else
			s->c.skipped++;
		goto out;
	}
	const char *dir = msg_is_sent(m, s->address) ? "sent" : "received";
	if (id > 0) {
		int added = db_sync_msg_user_add(s->db, id, s->user_id, s->link_id, m->provider_id, dir);
		if (added < 0)
			goto out;
		if (added) {
			s->c.updated++;
		} else {
			s->c.skipped++;
			dup = 1;
		}
	} else {
		if (store_new_message(s, m, &refs, refs_text, to, cc, dir) != 0)
			goto out;
		id = db_sync_msg_by_mid(s->db, m->message_id);
	}
	for (size_t i = 0; i < n_contacts; i++)
		if (db_sync_msg_contact_add(s->db, id, contacts.v[i]) != 0)
			goto out;
	if (dup)
		note_msg(s, m, &addrs, SKIP_DUPLICATE);
	else
		forget_skip(s, m->provider_id);
	rc = 0;
out:
	strset_free(&addrs);
	strset_free(&open);
	strset_free(&refs);
	id_list_free(&contacts);
	free(refs_text);
	free(to);
	free(cc);
	return rc;
}

/* Close the savepoint of one item: kept when ok is 0, else rolled back, counted and logged. */
static int with_savepoint(struct store *s, int ok, const char *what, const char *id)
{
	if (ok == 0)
		return db_exec(s->db, "RELEASE store_item");
	if (!db_in_transaction(s->db))
		return -1;   /* SQLite ended the page's transaction (disk full): no savepoint left */
	s->c.errors++;
	log_warnx("link %lld: %s %s not stored", (long long)s->link_id, what, id ? id : "(no id)");
	db_exec(s->db, "ROLLBACK TO store_item");
	return db_exec(s->db, "RELEASE store_item");
}

int store_commit(struct store *s, enum stream stream, struct msg_list *msgs,
    struct event_list *events, const char *cursor)
{
	struct store_counts before = s->c;
	const struct skipped_list *notes = s->notes;
	const struct link_cal_list *cals = s->cals;
	struct blocklist blocks = { 0 };
	long noted = s->noted;
	int rc = -1;
	s->notes = NULL;
	s->cals = NULL;
	if (db_begin(s->db) != 0)
		goto out;
	if (s->lease_holder) {
		int held = db_lease_held(s->db, s->link_id, s->lease_holder, (int64_t)time(NULL));
		if (held < 0)
			goto fail;
		if (held == 0) {
			db_rollback(s->db);
			s->lease_lost = 1;
			log_info("link %lld: lease lost; page of %s left to the new holder",
			    (long long)s->link_id, stream_name(stream));
			goto out;
		}
	}
	if (db_blocklist_for_user(s->db, s->user_id, &blocks) != 0)
		goto fail;
	s->blocks = &blocks;
	for (size_t i = 0; notes && i < notes->n; i++)
		store_note_skip(s, &notes->v[i]);
	for (size_t i = 0; msgs && i < msgs->n; i++) {
		const struct sync_msg *m = &msgs->v[i];
		if (db_exec(s->db, "SAVEPOINT store_item") != 0)
			goto fail;
		int ok = m->message_id && *m->message_id ? store_message(s, m) : -1;
		if (with_savepoint(s, ok, "message", m->provider_id) != 0)
			goto fail;
	}
	if (events && events->n && store_events(s, events) != 0)
		goto fail;
	for (size_t i = 0; cals && i < cals->n; i++)
		if (db_link_cals_apply(s->db, s->link_id, &cals->v[i]) != 0)
			goto fail;
	if (cursor && db_sync_cursor_set(s->db, s->link_id, stream_name(stream), cursor,
	    store_now(s)) != 0)
		goto fail;
	if (db_sync_link_add_items(s->db, s->link_id, (s->c.new_items - before.new_items) +
	    (s->c.updated - before.updated)) != 0)
		goto fail;
	if (msgs && msgs->n && db_sync_contact_index_merge(s->db, CONTACT_BATCH) < 0)
		goto fail;
	if (s->noted > noted && s->skipped_max > 0 &&
	    db_skipped_bound(s->db, s->link_id, s->skipped_max) < 0)
		log_warnx("link %lld: records of items not imported not bounded",
		    (long long)s->link_id);
	long bad = s->pending_bad + (s->c.errors - before.errors);
	if (db_sync_link_add_skipped(s->db, s->link_id, bad) != 0)
		goto fail;
	/* the health view's "today": items new to the link, and items that could not be stored
	 * (those left out with a record are counted by the record's trigger, once per item) */
	if (db_sync_link_event(s->db, s->link_id, store_now(s), "imported",
	    s->c.new_items - before.new_items) != 0 ||
	    db_sync_link_event(s->db, s->link_id, store_now(s), "skipped",
	    s->c.errors - before.errors) != 0)
		goto fail;
	if (db_commit(s->db) != 0)
		goto fail;
	s->c.bad += bad;
	s->pending_bad = 0;
	rc = 0;
	goto out;
fail:
	db_rollback(s->db);
	s->c = before;
	s->noted = noted;
	s->c.errors++;
	char key[64];
	snprintf(key, sizeof key, "link %lld: page not stored", (long long)s->link_id);
	log_warnx_limited(key, "link %lld: page of %s not stored%s", (long long)s->link_id,
	    stream_name(stream), db_disk_full(s->db) ? ": disk full" : "");
out:
	s->blocks = NULL;
	blocklist_free(&blocks);
	if (msgs)
		msg_list_free(msgs);
	if (events)
		event_list_free(events);
	return rc;
}
