/* The sync engine's SQL: scheduling links and their cursors (db_sync_links.c), storing imported
 * mail (db_sync_msgs.c) and appointments (db_sync_events.c). Owned by the sync engine; every
 * function returns 0 (or a count / id as said) and -1 on a database error. Strings borrowed. */
#ifndef CORE_DB_SYNC_H
#define CORE_DB_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "core/db.h"
#include "core/items.h"

/* ---- Scheduling ------------------------------------------------------------------------- */

/* Links with wake=1 become due now (wake cleared); up to max of their ids into ids, *n gets
 * the count. 0, or -1. */
int db_sync_take_wakes(struct db *db, int64_t now, int64_t *ids, size_t max, size_t *n);
/* Up to max active links due at now, earliest first, into ids; *n gets the count. */
int db_sync_due(struct db *db, int64_t now, int64_t *ids, size_t max, size_t *n);
/* Every active link id (for --link checks and push watches), like db_sync_due. */
int db_sync_active(struct db *db, int64_t *ids, size_t max, size_t *n);

/* A stream's cursor: 0 with *out malloc'd, 1 when there is none, -1 on error. */
int db_sync_cursor_get(struct db *db, int64_t link, const char *stream, char **out);
int db_sync_cursor_set(struct db *db, int64_t link, const char *stream, const char *cursor,
    int64_t now);
/* Drop a refused cursor and note cursor_refused_at. */
int db_sync_cursor_drop(struct db *db, int64_t link, const char *stream, int64_t now);

int db_sync_link_attempt(struct db *db, int64_t link, int64_t now);
/* A pass that went well: failures reset, last_success_at, last_error cleared, next due (0:
 * left as it is, after a pass over some streams only). */
int db_sync_link_ok(struct db *db, int64_t link, int64_t now, int64_t next_due);
/* A failed pass: failures + 1, last_error(_at), next due; relink sets status 'relink'. */
int db_sync_link_failed(struct db *db, int64_t link, int64_t now, int64_t next_due,
    const char *error, int relink);
/* The provider asked the link to wait (Retry-After) until until: no pass and no push starts
 * before then, and wake-ups meanwhile wait for it. A later until only ever extends it. */
int db_sync_link_rate_limited(struct db *db, int64_t link, int64_t until);
int db_sync_link_add_items(struct db *db, int64_t link, int64_t n);
/* n more broken items skipped on the link (links.items_skipped). Returns 0 or -1. */
int db_sync_link_add_skipped(struct db *db, int64_t link, int64_t n);
/* Count n outcomes of one kind ("error", "rate_limited", "imported", "skipped") on the link in
 * now's minute (link_events), inside the caller's transaction when there is one; nothing when
 * n <= 0. 0 or -1. */
int db_sync_link_event(struct db *db, int64_t link, int64_t now, const char *kind, int64_t n);
/* Drop the counts of minutes before `before`: the number dropped, or -1. */
int db_sync_link_events_prune(struct db *db, int64_t before);
/* What the link's push watch is now (links.push_state: "idle" held, "reconnecting",
 * "unsupported"; NULL: none), written when it changes. With if_at non-zero only when the row's
 * push_state_at is still if_at (what this daemon wrote: another may have taken the link). */
int db_sync_link_push_state(struct db *db, int64_t link, const char *state, int64_t now,
    int64_t if_at);
int db_sync_link_secret(struct db *db, int64_t link, const uint8_t *blob, size_t len);

/* A link whose user is to be mailed that it needs re-linking; strings owned. */
struct relink_notice {
	int64_t link_id;
	char *to, *address, *provider;   /* the user's login address; the link's address */
};
void relink_notice_free(struct relink_notice *n);
/* Claim one link that is 'relink' and whose user was not mailed since its last good pass
 * (relink_notice_at set to now, so it is mailed at most once, by one daemon; a good pass clears
 * it). 1 with *out filled, 0 when none waits, -1. */
int db_sync_relink_claim(struct db *db, int64_t now, struct relink_notice *out);
/* Which streams a link syncs and how many days back its first pass reaches. */
int db_sync_link_configure(struct db *db, int64_t link, int sync_email, int sync_calendar,
    int backfill_days);

/* The push_channels row of (link, stream): 0 with *sub filled (strings malloc'd) and
 * *renewed_at, 1 when there is none, -1. */
int db_sync_channel_get(struct db *db, int64_t link, const char *stream, struct subscription *sub,
    int64_t *renewed_at);
/* Insert or replace the row of (link, stream), renewed_at = now. */
int db_sync_channel_set(struct db *db, int64_t link, const char *stream,
    const struct subscription *sub, int64_t now);

/* ---- Contacts --------------------------------------------------------------------------- */

/* A growable list of ids (owned v). */
struct id_list {
	int64_t *v;
	size_t n, cap;
};
void id_list_free(struct id_list *l);
/* Append the contacts owning the normalized address email to l, however many (duplicates
 * kept: id_list_unique drops them). 0 or -1 (database error or out of memory). */
int db_sync_contacts_add(struct db *db, const char *email, struct id_list *l);
/* Drop repeated ids from l, keeping the first of each where it stood (so the contact of the
 * first address stays first). 0, or -1 when out of memory (l unchanged). */
int id_list_unique(struct id_list *l);
/* The account of a contact, 0 when none. */
int64_t db_sync_contact_account(struct db *db, int64_t contact);
/* The CRM user whose login or linked address is email, 0 when none. */
int64_t db_sync_user_of_address(struct db *db, const char *email);

/* ---- Messages --------------------------------------------------------------------------- */

/* 1 when (link, provider_id) is already stored, 0 when not. */
int db_sync_msg_seen(struct db *db, int64_t link, const char *provider_id);
/* The provider id link has for the message with this Message-ID: 0 with *out malloc'd, 1 when
 * the link has none, -1. */
int db_sync_msg_provider_id(struct db *db, int64_t link, const char *message_id, char **out);
/* Id of the message with this Message-ID, 0 when none. */
int64_t db_sync_msg_by_mid(struct db *db, const char *message_id);
/* Distinct threads holding a message related to this one: a stored message whose Message-ID
 * is message_id or one of ids (its In-Reply-To and References), or which names one of those in
 * its own In-Reply-To / References (so a reply that arrived before its parent still joins).
 * Oldest thread first, at most max into out; *n the count. */
int db_sync_threads_related(struct db *db, const char *message_id, char *const *ids, size_t n_ids,
    int64_t *out, size_t max, size_t *n);
int64_t db_sync_thread_add(struct db *db, const char *subject, int64_t started);
/* Widen the thread's [started_at, last_at] to include date. */
int db_sync_thread_touch(struct db *db, int64_t thread, int64_t date);
/* Move message_contacts rows not yet in contact_messages (those above its mark) in, sorted by
 * contact, when they span at least min_rows message ids (0: always). Returns 1 when it moved
 * them, 0 when too few, -1 on error. Run inside the caller's write transaction. */
int db_sync_contact_index_merge(struct db *db, int64_t min_rows);
/* Move every message of thread from into thread into (dates merged), delete from. */
int db_sync_thread_merge(struct db *db, int64_t from, int64_t into);
/* Insert the message into thread; refs is space-separated. Returns its id or -1. */
int64_t db_sync_msg_add(struct db *db, int64_t thread, const struct sync_msg *m,
    const char *refs, const char *to_list, const char *cc_list, int64_t now);
/* Record that user saw message through (link, provider_id); 1 when new or when a row without a
 * provider id (a mail the web app sent) got this one, 0 when known. */
int db_sync_msg_user_add(struct db *db, int64_t msg, int64_t user, int64_t link,
    const char *provider_id, const char *direction);
int db_sync_msg_contact_add(struct db *db, int64_t msg, int64_t contact);
/* A CRM-folder message matching no contact, kept for the user to assign. 1 new, 0 when the
 * link already lists it or the user discarded it (unmatched_discards). */
int db_sync_unmatched_add(struct db *db, int64_t link, int64_t user, const struct sync_msg *m,
    const char *refs, const char *to_list, const char *cc_list, int64_t now);

/* ---- Appointments ----------------------------------------------------------------------- */

struct db_appt_state {
	int64_t id;        /* 0 when the (uid, recurrence_id) is not stored */
	int hidden;
	int has_user;      /* this user already has it */
	int same_etag;     /* ... through the same link with the same etag */
	char source[16];   /* "crm" or "imported" */
	int64_t provider_updated;   /* the provider's last-modified time stored, 0 if none */
	int push_pending;  /* a CRM change of it waits in the outbox (create or update) */
	int has_alias;     /* the link's (provider_id, uid) alias of it is already recorded */
};
/* The stored appointment an event names: the one the link has under (provider_id, occurrence)
 * when provider_id is given and there is one (a CRM appointment the provider gave its own UID),
 * else the one with (uid, occurrence), uid being the decoded UID (uid_canonical) and raw_uid
 * the one the provider wrote (NULL: the same), or whose UID an alias of a copy knows as uid. */
int db_sync_appt_state(struct db *db, const char *uid, const char *raw_uid,
    const char *recurrence_id, int64_t user, int64_t link, const char *etag,
    const char *provider_id, struct db_appt_state *st);
/* Record that user's copy of appt is provider_id in link, where the provider names the meeting
 * uid (decoded); left_out: the copy is not joined (its mailbox is not invited) and waits for the
 * organizer's copy to invite it. Nothing when provider_id or uid is missing. */
int db_sync_appt_alias_set(struct db *db, int64_t link, const char *provider_id, int64_t appt,
    int64_t user, const char *uid, int left_out);
/* Join the left-out copies of appt whose users it now invites. Returns how many, or -1. */
int db_sync_appt_promote(struct db *db, int64_t appt);
/* What user's copy of appt, seen through the mailbox address in an event naming organizer
 * (NULL: none), may do to the shared meeting:
 *  - OWNER changes its fields: the copy is the organizer's own (its mailbox, login or another
 *    link of the user), or, without an organizer, the first copy (the assigned user's); when
 *    the organizer is outside the CRM (or has no linked mailbox), an invited attendee's or the
 *    first copy whose event names that same organizer carries the organizer's update;
 *  - ATTENDEE changes only its own participation status;
 *  - OUTSIDER is neither organizer nor invited attendee and changes nothing.
 * Returns the role or -1. */
enum { APPT_ROLE_OWNER, APPT_ROLE_ATTENDEE, APPT_ROLE_OUTSIDER };
int db_sync_appt_role(struct db *db, int64_t appt, int64_t user, const char *address,
    const char *organizer);
/* Set the participation status of the attendees of appt that are user's own addresses (address
 * being the copy's mailbox) to what e says of them; no other row changes. */
int db_sync_appt_own_status(struct db *db, int64_t appt, int64_t user, const char *address,
    const struct sync_event *e);
/* Insert an imported appointment; returns its id or -1. */
int64_t db_sync_appt_add(struct db *db, const struct sync_event *e, int64_t assigned,
    int64_t account, int64_t now);
/* Update the provider-owned fields in place (never note, completion_note, complete, regarding,
 * hidden); account_id and assigned user only for imported rows and only when non-zero. */
int db_sync_appt_update(struct db *db, int64_t id, const struct sync_event *e, int64_t assigned,
    int64_t account, int64_t now);
int db_sync_appt_user_set(struct db *db, int64_t appt, int64_t user, int64_t link,
    const char *provider_id, const char *etag);
/* Replace attendees (organizer first) and contact matches. */
int db_sync_appt_people(struct db *db, int64_t appt, const struct sync_event *e,
    const int64_t *contacts, size_t n_contacts);
/* Remove the link's rows for provider_id (all, or all but the appointments in keep), then
 * retire the appointments no user has any more; left-out copies of provider_id go too. Returns
 * how many rows went, or -1. */
int db_sync_appt_forget(struct db *db, int64_t link, const char *provider_id,
    const int64_t *keep, size_t n_keep);
/* db_sync_appt_forget() of every provider id of the link that starts with prefix (a CalDAV
 * calendar's path: the calendar is gone or no longer synced), and of its aliases; a copy that
 * another calendar of the link holds as well stays, under that calendar's provider id. Returns
 * the rows gone, or -1. */
int db_sync_appt_forget_prefix(struct db *db, int64_t link, const char *prefix);

#endif
