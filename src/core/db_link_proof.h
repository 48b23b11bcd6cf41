/* The proofs of IMAP links' addresses in the database (table link_proofs, links.proved_at; see
 * core/link_proof.h). A link made by the IMAP form starts unproved with a proof row whose code
 * is to be sent; crm-sync claims it, sends a code and stores its hash; the code seen in the
 * INBOX or typed on the page proves the link, which only then syncs and holds its address.
 * Every function returns 0 (or as said) and -1 on a database error. */
#ifndef CORE_DB_LINK_PROOF_H
#define CORE_DB_LINK_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include "core/db.h"
#include "core/link_proof.h"

/* ---- The web app ------------------------------------------------------------------------ */

/* Make user_id's IMAP link to address unproved, with its proof to send, in one transaction; *id
 * gets the link id. -1 also when the user already has a link (the unique index). */
int db_link_proof_add_link(struct db *db, int64_t user_id, const char *address,
    const char *settings, const uint8_t *blob, size_t len, int64_t now, int64_t *id);
/* The proof of link_id if the link belongs to user_id: 0 with *p filled, 1 when none, -1. */
int db_link_proof_get(struct db *db, int64_t link_id, int64_t user_id, struct link_proof *p);
/* Count a code typed at now, before its verdict is acted on, if the proof still has the tries
 * the verdict was made with: 0 when counted; 1 when another request counted one meanwhile (act
 * on nothing: parallel guesses get one verdict per try). */
int db_link_proof_try(struct db *db, int64_t link_id, int tries, int64_t now);
/* Ask crm-sync for a new code: 0, or 1 when the last one went out under LINK_PROOF_RESEND_S
 * ago (or the link is proved). */
int db_link_proof_resend(struct db *db, int64_t link_id, int64_t now);

/* ---- Both ------------------------------------------------------------------------------- */

/* Prove link_id at now (it then syncs at once): 0; 1 when another user holds a proved link
 * to the same address (this link is then unlinked, its proof saying why) or it is not waiting
 * for a proof. */
int db_link_proof_prove(struct db *db, int64_t link_id, int64_t now);

/* ---- crm-sync --------------------------------------------------------------------------- */

/* Claim one proof whose code is to be sent (its sent_at becomes now, so it is claimed once):
 * 1 with *link_id set, 0 when none, -1. */
int db_link_proof_claim_send(struct db *db, int64_t now, int64_t *link_id);
/* The code went out: its hash, good until expires_at, with no tries yet. */
int db_link_proof_sent(struct db *db, int64_t link_id, const char *code_hash,
    const char *message_id, int64_t expires_at);
/* The send failed with error (for the page); no code is out. */
int db_link_proof_send_failed(struct db *db, int64_t link_id, const char *error);
/* Claim one unproved link with a live code whose INBOX was not looked at in the last every_s
 * seconds (checked_at becomes now): 1 with *link_id and code_hash (the hash the mail must
 * match) set, 0 when none, -1. */
int db_link_proof_claim_check(struct db *db, int64_t now, int every_s, int64_t *link_id,
    char code_hash[LINK_PROOF_HASH_LEN + 1]);

#endif
