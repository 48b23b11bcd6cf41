/* Saving a linked mailbox for the link pages (OAuth callback and the IMAP + CalDAV form): the
 * one-mailbox-one-user rules, resync of the same mailbox, sealing the secret, waking the daemon,
 * and the result page. */
#ifndef WEB_LINK_SAVE_H
#define WEB_LINK_SAVE_H

#include <stddef.h>

#include "web/web.h"

/* "Google", "Microsoft 365", "Nylas", "IMAP + CalDAV" for a provider name ("" if unknown). */
const char *link_provider_label(const char *provider);
/* The provider guessed from an e-mail address's domain (pure): "google", "microsoft", else
 * "imap". */
const char *link_guess_provider(const char *email);

/* The origins ("https://accounts.google.com ...") of the configured OAuth providers' authorize
 * URLs, space separated, for the CSP form-action of pages whose forms start a flow (the browser
 * checks the redirect to the provider against it). Malloc'd; NULL when none. */
char *link_oauth_origins(const struct config *cfg);

/* Link (resync = 0) or re-authorize (resync = 1) the signed-in user's mailbox address (already
 * normalized) at provider with settings JSON and the secret JSON (sealed here with the worker's
 * key; never stored in the clear). On refusal returns an HTTP status (403, 409, 500) with a
 * message for the user in msg; on success returns 0 with the link id in *link. A new IMAP link
 * starts unproved (core/db_link_proof.h): another user's link of the same address does not
 * refuse it, the proof decides. */
int link_save(struct ctx *c, const char *provider, const char *address, const char *settings,
    const char *secret, int resync, char *msg, size_t msglen, int64_t *link);

/* The outcome page of a link attempt: ok shows message as a notice with a link to Sync
 * settings, else as an error with a link back to Link External Calendar/Email. */
int link_result_page(struct ctx *c, int status, int ok, const char *message);

#endif
