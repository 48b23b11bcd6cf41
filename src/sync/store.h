/* Storing what a pass found: a page of messages or events and the stream's new cursor in one
 * transaction, matched to contacts, threaded, and merged across users (one mail = one message,
 * one meeting = one appointment). */
#ifndef SYNC_STORE_H
#define SYNC_STORE_H

#include <stdint.h>

#include "core/db.h"
#include "providers/provider.h"

struct store_counts {
	long new_items;     /* messages or appointments stored for the first time */
	long updated;       /* known items changed, seen by one more user, or removed */
	long skipped;       /* unchanged, already stored, or matching no contact */
	long errors;        /* items that could not be stored (logged, the pass goes on) */
	long bad;           /* broken items skipped and counted on the link (see pending_bad) */
};

/* One link's view of the store during a pass. db and address are borrowed. */
struct store {
	struct db *db;
	int64_t link_id, user_id;
	const char *address;        /* the link's own address: mail from it is 'sent' */
	struct store_counts c;
	int64_t now;                /* 0: time(NULL) at each commit */
	long pending_bad;           /* items the provider skipped as broken since the last commit:
	                             * the next commit counts them on the link with its cursor */
	int64_t skipped_max;        /* records of items not imported kept per link (0: no bound) */
	const struct skipped_list *notes;   /* borrowed: items the driver left out, recorded by the
	                             * next store_commit (which sets it back to NULL) */
	long noted;                 /* records of items not imported written (or updated) */
	const struct link_cal_list *cals;   /* borrowed: the driver's notes of the link's
	                             * calendars, written by the next store_commit (which sets it
	                             * back to NULL) */
	const char *lease_holder;   /* borrowed; non-NULL: a commit writes only while this holder
	                             * holds the link's lease (db_leases.h), checked in its
	                             * transaction */
	int lease_lost;             /* set by a commit that found the lease gone */
	const char *files_dir;      /* borrowed: [core] files, where large attachments go */
	size_t attach_max;          /* bytes; a larger attachment is kept as too_large (0: no cap) */
	const struct blocklist *blocks;   /* borrowed: the user's and the company's blocks, read
	                             * by store_commit for its page (NULL: nothing is blocked) */
};

/* The sync_cursors.stream name of a stream: "mail", "events", "folder". */
const char *stream_name(enum stream s);

/* Store msgs and events (both emptied, items freed) and cursor (NULL: leave it) for stream in
 * one transaction, adding the page's broken items (pending_bad and those the store could not
 * keep) to links.items_skipped in it; counts go to s->c. Returns 0, or -1 when the transaction
 * failed (nothing of the page nor the cursor was written); with lease_holder, also -1 with
 * lease_lost set when the lease has gone to another daemon (the page is theirs to import). */
int store_commit(struct store *s, enum stream stream, struct msg_list *msgs,
    struct event_list *events, const char *cursor);

/* Record it (borrowed) as seen and not imported by the store's link (skipped_items). A failure
 * is logged and changes nothing else: recording never makes an import fail. */
void store_note_skip(struct store *s, const struct skipped_item *it);
/* The same for an item whose addresses (normalized) are addrs: it->addresses is filled from them
 * for the record and reset after. Nothing is recorded without it->provider_id. */
struct strset;
void store_note_skip_addrs(struct store *s, struct skipped_item *it, const struct strset *addrs);

/* The addresses of addrs that no block of s->blocks takes, copied into open; returns how many
 * were blocked, or -1 when out of memory. Blocked addresses are never matched to contacts: an
 * item left with no contact but blocked ones is noted SKIP_BLOCKED and not imported. */
long store_unblocked(const struct store *s, const struct strset *addrs, struct strset *open);

/* Why an item whose addresses are addrs (normalized) matched no contact: SKIP_COLLEAGUES when
 * each is a CRM user's (login or linked mailbox), else SKIP_NO_CONTACT (also when a lookup
 * fails, logged: the reason never fails the item). */
struct strset;
enum skip_reason store_no_contact_reason(struct store *s, const struct strset *addrs);

/* Store one message / one event outside any transaction management (for tests and the
 * commit above). Return 0, or -1 on a database error. */
int store_message(struct store *s, const struct sync_msg *m);
/* Store a batch of events (each under a savepoint), then drop the stored occurrences of every
 * complete series (series_complete, or a single event) that the batch no longer lists. */
int store_events(struct store *s, const struct event_list *events);

#endif
