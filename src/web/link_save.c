/* Saving a linked mailbox: the rules every link page shares (see link_save.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "core/crypto.h"
#include "core/db_link_flow.h"
#include "core/db_link_proof.h"
#include "core/log.h"
#include "web/link_save.h"

const char *link_provider_label(const char *provider)
{
	static const char *const names[][2] = {
		{ "google", "Google" },
		{ "microsoft", "Microsoft 365" },
		{ "nylas", "Nylas" },
		{ "imap", "IMAP + CalDAV" },
	};
	for (size_t i = 0; provider && i < sizeof names / sizeof names[0]; i++)
		if (strcmp(names[i][0], provider) == 0)
			return names[i][1];
	return "";
}

const char *link_guess_provider(const char *email)
{
	static const char *const domains[][2] = {
		{ "gmail.com", "google" },
		{ "googlemail.com", "google" },
		{ "outlook.com", "microsoft" },
		{ "hotmail.com", "microsoft" },
		{ "live.com", "microsoft" },
		{ "msn.com", "microsoft" },
		{ "office365.com", "microsoft" },
	};
	const char *at = email ? strrchr(email, '@') : NULL;
	if (!at)
		return "imap";
	const char *d = at + 1;
	for (size_t i = 0; i < sizeof domains / sizeof domains[0]; i++)
		if (strcasecmp(d, domains[i][0]) == 0)
			return domains[i][1];
	size_t n = strlen(d), m = strlen(".onmicrosoft.com");
	if (n > m && strcasecmp(d + n - m, ".onmicrosoft.com") == 0)
		return "microsoft";
	return "imap";
}

/* Append the scheme://host[:port] of url to b unless it is already there; URLs with
 * characters that do not belong in a CSP source are skipped. */
static void origin_add(struct buf *b, const char *url)
{
	const char *p = url ? strstr(url, "://") : NULL;
	char origin[256];
	if (!p || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
		return;
	size_t n = (size_t)(p + 3 - url) + strcspn(p + 3, "/?#");
	if (n >= sizeof origin)
		return;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)url[i]) && !strchr(":/.-[]", url[i]))
			return;
	memcpy(origin, url, n);
	origin[n] = '\0';
	for (const char *hit = b->s; hit && (hit = strstr(hit, origin)) != NULL; hit++)
		if ((hit == b->s || hit[-1] == ' ') && (hit[n] == ' ' || hit[n] == '\0'))
			return;
	if (b->len)
		buf_puts(b, " ");
	buf_puts(b, origin);
}

char *link_oauth_origins(const struct config *cfg)
{
	struct buf b = { 0 };
	origin_add(&b, cfg->google.auth_url);
	origin_add(&b, cfg->microsoft.auth_url);
	origin_add(&b, cfg->nylas.auth_url);
	return b.len ? buf_take(&b) : NULL;
}

/* The refusals before anything is written. Returns 0 or a status with msg set. */
static int link_check(struct ctx *c, const char *provider, const char *address,
    const struct link *cur, int has_cur, int resync, char *msg, size_t msglen)
{
	if (resync) {
		if (!has_cur || strcmp(cur->provider, provider) != 0) {
			snprintf(msg, msglen, "There is no %s link to resync; link the mailbox instead.",
			    link_provider_label(provider));
			return 409;
		}
		if (strcmp(cur->address, address) != 0) {
			snprintf(msg, msglen, "You signed in as %s, but your link is for %s. Resync must "
			    "use the same mailbox; nothing was changed.", address, cur->address);
			return 409;
		}
		return 0;
	}
	/* an IMAP link proves its address first: whether another user holds it is told only to
	 * one who proved it (db_link_proof_prove) */
	int64_t holder = strcmp(provider, "imap") == 0 ? 0 : db_links_find_address(c->db, address);
	if (holder < 0)
		return 500;
	if (holder != 0 && holder != c->user.id) {
		snprintf(msg, msglen, "%s is already linked by another CRM user. A mailbox can be "
		    "linked by one user only; nothing was linked.", address);
		return 409;
	}
	if (has_cur) {
		snprintf(msg, msglen, "You already have %s linked (%s). Unlink it in Sync settings "
		    "first, or use Resync there.", cur->address, link_provider_label(cur->provider));
		return 409;
	}
	return 0;
}

int link_save(struct ctx *c, const char *provider, const char *address, const char *settings,
    const char *secret, int resync, char *msg, size_t msglen, int64_t *link)
{
	struct link cur = { 0 };
	uint8_t *blob = NULL;
	size_t blob_len = 0;
	int status = 500;

	snprintf(msg, msglen, "The link could not be saved; it has been logged.");
	if (!c->w->key) {
		log_warnx("link for user %lld: no secret key loaded", (long long)c->user.id);
		return 500;
	}
	int has = db_links_get_for_user(c->db, c->user.id, &cur);
	if (has < 0)
		return 500;
	if ((status = link_check(c, provider, address, &cur, has == 0, resync, msg, msglen)) != 0)
		goto out;
	status = 500;
	if (!(blob = crypto_seal(c->w->key, secret, strlen(secret), &blob_len)))
		goto out;
	if (resync) {
		/* new keys (a Nylas grant id, IMAP servers) over what the link already holds */
		json_t *merged = json_loads(cur.settings, 0, NULL), *add = json_loads(settings, 0, NULL);
		char *ms = NULL;
		if (json_is_object(merged) && json_is_object(add) &&
		    json_object_update(merged, add) == 0)
			ms = json_dumps(merged, JSON_COMPACT);
		json_decref(merged);
		json_decref(add);
		int rc = db_link_resync(c->db, cur.id, blob, blob_len, ms ? ms : settings);
		free(ms);
		if (rc != 0)
			goto out;
		*link = cur.id;
		log_info("link %lld of user %lld re-authorized (%s)", (long long)cur.id,
		    (long long)c->user.id, provider);
	} else {
		int unproved = strcmp(provider, "imap") == 0;
		if ((unproved ? db_link_proof_add_link(c->db, c->user.id, address, settings, blob,
		    blob_len, time(NULL), link) : db_links_add(c->db, c->user.id, provider, address,
		    settings, blob, blob_len, link)) != 0) {
			/* lost a race with another tab or user: the unique indexes refused it */
			snprintf(msg, msglen, "%s is already linked; nothing was linked.", address);
			status = 409;
			goto out;
		}
		log_info("link %lld added for user %lld (%s)", (long long)*link,
		    (long long)c->user.id, provider);
	}
	status = 0;
out:
	free(blob);
	link_free(&cur);
	return status;
}

int link_result_page(struct ctx *c, int status, int ok, const char *message)
{
	struct view *v = view_new();
	if (!v)
		return 500;
	view_int(v, "ok", ok);
	view_str(v, "message", message);
	int st = page_render(c, "link_result", ok ? "Linked" : "Link failed", v, status);
	view_free(v);
	return st;
}
