/* Link leases: several crm-sync daemons on one database share the links, each link worked by
 * the one daemon holding its lease. A daemon (a holder, "host:pid:random") says it is alive at
 * every tick, in its own record (lease_holders: good until now + lease_s), takes free or expired
 * leases up to its fair share (active links / live holders, rounded up) and gives back what it
 * holds beyond it. A lease (link_leases) names its holder and is held while that record is
 * good: the record is the renewal of all of them, one row written a tick however many links
 * the daemon holds, and a holder whose record went stale (stopped, or its host gone) loses
 * every lease at that same moment. A page commit checks the lease in its own transaction
 * (db_lease_held), so a daemon that lost a link, or its own record, writes nothing more of it.
 * Every function returns 0 (or as said) and -1 on a database error; strings are borrowed. */
#ifndef CORE_DB_LEASES_H
#define CORE_DB_LEASES_H

#include <stddef.h>
#include <stdint.h>

#include "core/db.h"

struct lease_tick {
	int live;        /* holders seen within lease_s, this one included */
	int links;       /* active links */
	int share;       /* what this holder may hold: links / live, rounded up */
	int held;        /* what it holds after the tick */
	int claimed;     /* taken in this tick (free, expired, or given back by another) */
	int over;        /* held beyond share: the caller gives back that many (db_lease_give_back) */
};

/* One tick of holder (on host, process pid) at now, in one short write transaction: record it
 * alive until now + lease_s (which renews every lease it holds), free the outbox items claimed
 * by holders no longer alive, and claim free or expired leases of active links (lowest ids
 * first) up to the share. Rows written: one, plus the leases claimed and what a change of the
 * links or the holders frees. *t (may be NULL) gets the counts. */
int db_leases_tick(struct db *db, const char *holder, const char *host, int pid, int64_t now,
    int lease_s, struct lease_tick *t);

/* 1 when an active link has no lease or an expired one (a new link, a holder whose record went
 * stale or is gone), 0 when
 * none, -1: a read only, so the engine can look every half second and tick early. */
int db_leases_any_free(struct db *db, int64_t now);

/* The other holders recorded on host (holder strings malloc'd into holders[], pids[]), at most
 * max. Returns how many, or -1. The caller frees each holders[i]. */
int db_leases_on_host(struct db *db, const char *host, const char *self, char **holders,
    int *pids, int max);
/* A holder known to be gone (its process no longer exists): its leases, its record and its
 * outbox claims go at once, so the others take its links without waiting for the expiry.
 * Returns how many leases were freed, or -1. */
int db_leases_drop_holder(struct db *db, const char *holder);

/* The links holder holds at now (lease not expired), ascending, at most max, into ids. */
int db_leases_held(struct db *db, const char *holder, int64_t now, int64_t *ids, size_t max,
    size_t *n);
/* 1 when holder holds link's lease at now, 0 when not, -1. Call inside the page's transaction. */
int db_lease_held(struct db *db, int64_t link, const char *holder, int64_t now);
/* Give link's lease back (it is free at once for another holder). */
int db_lease_give_back(struct db *db, int64_t link, const char *holder);
/* The links of holder that are due at now (active, next_due_at reached, not rate limited),
 * soonest first, at most max. */
int db_leases_due(struct db *db, const char *holder, int64_t now, int64_t *ids, size_t max,
    size_t *n);
/* Take the wake-ups (links.wake) of the links holder holds at now, as db_sync_take_wakes does
 * for all: each becomes due at once, and its id goes to ids (at most max, *n of them).
 * Wake-ups of other holders' links stay for them. */
int db_leases_take_wakes(struct db *db, const char *holder, int64_t now, int64_t *ids,
    size_t max, size_t *n);
/* The daemon stops: its leases, its record and its outbox claims still pending go. */
int db_leases_release_all(struct db *db, const char *holder);

#endif
