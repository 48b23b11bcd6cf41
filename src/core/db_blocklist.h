/* blocklist and audit_log: the blocks of each user and of the company (core/blocklist.h), and
 * the hiding of imported items a block leaves with only blocked contacts (their copies get
 * hidden = 2, so removing the block shows again only what blocks hid). Implemented in
 * db_blocklist.c; functions return 0 (or a count, or 1/0 as said) and -1 on a database error.
 * Arguments are borrowed. */
#ifndef CORE_DB_BLOCKLIST_H
#define CORE_DB_BLOCKLIST_H

#include <stdint.h>

#include "core/blocklist.h"
#include "core/db.h"

/* The blocks that apply to user's items: their own and the company's, appended to out. */
int db_blocklist_for_user(struct db *db, int64_t user, struct blocklist *out);
/* The company's blocks (company 1) or user's own (company 0), by pattern, with who made each. */
int db_blocklist_list(struct db *db, int company, int64_t user, struct blocklist *out);
/* The id of the block of pattern in that list, 0 when there is none, or -1. */
int64_t db_blocklist_id(struct db *db, int company, int64_t user, const char *pattern);

/* In one transaction: add the block (pattern normalized by blocklist_pattern) to the company's
 * list (company 1) or user's, hide every imported copy it leaves with only blocked contacts (of
 * user's items, or of everyone's for the company) and write the audit entry with actor (0:
 * crmctl) and the count, which *hidden gets. Returns 1 added, 0 already listed, -1. */
int db_blocklist_add(struct db *db, int company, int64_t user, enum block_kind kind,
    const char *pattern, int64_t actor, int64_t now, long *hidden);
/* In one transaction: remove block id from that list, show again the copies blocks hid that no
 * block still leaves with only blocked contacts, queue the items left out as blocked that name
 * the pattern (and have a contact) to be fetched again by crm-sync (rematch, the links woken),
 * and write the audit entry; *shown and *queued get the counts. Returns 1 removed, 0 no such
 * block in the list, -1. */
int db_blocklist_remove(struct db *db, int company, int64_t user, int64_t id, int64_t actor,
    int64_t now, long *shown, long *queued);

/* One audit_log row (actor 0: none, written NULL). */
int db_audit_add(struct db *db, int64_t now, int64_t actor, const char *action,
    const char *detail);
/* The newest limit audit entries, newest first: id, then c[0] the time (epoch seconds as
 * text), c[1] who ("crmctl" for none), c[2] the action, c[3] the detail. */
struct web_rows;
int db_audit_recent(struct db *db, int limit, struct web_rows *out);

#endif
