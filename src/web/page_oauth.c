/* The OAuth callback (GET /oauth/callback/{provider}): check the single-use state against this
 * session, then exchange the code, read the mailbox address and link (or resync) it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/addr.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/db_link_flow.h"
#include "core/log.h"
#include "providers/oauth.h"
#include "web/link_save.h"

/* Take the state of this answer and check it belongs here. Returns 0 or a status with msg. */
static int state_check(struct ctx *c, const char *provider, struct oauth_state *s, char *msg,
    size_t msglen)
{
	const char *state = q_get(c, "state");
	char hash[65];
	snprintf(msg, msglen, "This sign-in answer is not valid here (unknown, expired or already "
	    "used). Nothing was linked; start again from Link External Calendar/Email.");
	if (!state || !*state || !c->req->cookie_session)
		return 400;
	int rc = db_oauth_state_take(c->db, state, s);
	if (rc < 0)
		return 500;
	if (rc == 1)
		return 400;
	crypto_sha256_hex(c->req->cookie_session, strlen(c->req->cookie_session), hash);
	if (!crypto_streq(hash, s->session_hash) || s->user_id != c->user.id ||
	    strcmp(s->provider, provider) != 0 || s->expires_at < (int64_t)time(NULL)) {
		log_info("oauth callback for user %lld refused: state of another session, user, "
		    "provider or expired", (long long)c->user.id);
		return 400;
	}
	return 0;
}

/* Settings of an OAuth link: {"grant_id"} for Nylas (from the token answer), else {}. */
static char *oauth_settings(const char *provider, const char *secret)
{
	json_t *set = json_object(), *sec = json_loads(secret, 0, NULL);
	const char *grant = json_string_value(json_object_get(sec, "grant_id"));
	if (set && strcmp(provider, "nylas") == 0 && grant)
		json_object_set_new(set, "grant_id", json_string(grant));
	char *out = set ? json_dumps(set, JSON_COMPACT) : NULL;
	json_decref(set);
	json_decref(sec);
	return out;
}

/* Exchange the code and link the mailbox; the result page in every case. */
static int finish(struct ctx *c, const char *provider, const struct oauth_state *s)
{
	const struct provider_cfg *pc = config_provider(c->w->cfg, provider);
	const char *label = link_provider_label(provider), *code = q_get(c, "code");
	char err[256], msg[600], redirect[512], addr[320];
	char *secret = NULL, *address = NULL, *settings = NULL;
	int shared = 0, st;
	int64_t link = 0;
	const char *base = c->w->cfg->base_url ? c->w->cfg->base_url : "";
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	snprintf(redirect, sizeof redirect, "%.*s/oauth/callback/%s", (int)n, base, provider);
	if (!code || !*code) {
		st = link_result_page(c, 400, 0, "The provider sent no authorization code. Nothing "
		    "was linked.");
		goto out;
	}
	if (oauth_exchange_code(pc, provider, code, s->verifier, redirect, &secret, err,
	    sizeof err) != 0) {
		log_warnx("user %lld: %s code exchange failed: %s", (long long)c->user.id, provider, err);
		snprintf(msg, sizeof msg, "%s did not accept the sign-in (%s). Nothing was linked.",
		    label, err);
		st = link_result_page(c, 502, 0, msg);
		goto out;
	}
	if (oauth_fetch_address(pc, provider, secret, &address, &shared, err, sizeof err) != 0 ||
	    !addr_normalize(address, addr, sizeof addr) || !addr_valid(addr)) {
		log_warnx("user %lld: %s address lookup failed: %s", (long long)c->user.id, provider,
		    address ? "not an address" : err);
		snprintf(msg, sizeof msg, "%s did not tell us the mailbox's address. Nothing was "
		    "linked; try again.", label);
		st = link_result_page(c, 502, 0, msg);
		goto out;
	}
	if (shared) {
		snprintf(msg, sizeof msg, "%s is a group or shared mailbox. Only a personal mailbox "
		    "can be linked; nothing was linked.", addr);
		st = link_result_page(c, 403, 0, msg);
		goto out;
	}
	int resync = strcmp(s->purpose, "resync") == 0;
	if (!(settings = oauth_settings(provider, secret))) {
		st = 500;
		goto out;
	}
	st = link_save(c, provider, addr, settings, secret, resync, msg, sizeof msg, &link);
	if (st != 0) {
		st = st == 500 ? 500 : link_result_page(c, st, 0, msg);
		goto out;
	}
	if (resync)
		snprintf(msg, sizeof msg, "Resynced %s (%s). Sync has started again; nothing already "
		    "imported will be duplicated.", addr, label);
	else
		snprintf(msg, sizeof msg, "Linked %s (%s). Sync has started.", addr, label);
	st = link_result_page(c, 200, 1, msg);
out:
	if (secret)
		explicit_bzero(secret, strlen(secret));
	free(secret);
	free(address);
	free(settings);
	return st;
}

int page_oauth_callback(struct ctx *c)
{
	const char *provider = c->arg;
	struct oauth_state s;
	char msg[400];
	if (!provider || !config_provider(c->w->cfg, provider))
		return 404;
	int st = state_check(c, provider, &s, msg, sizeof msg);
	if (st == 500)
		return 500;
	if (st != 0)
		return link_result_page(c, st, 0, msg);
	const char *error = q_get(c, "error");
	if (error && *error) {
		if (strcmp(error, "access_denied") == 0)
			snprintf(msg, sizeof msg, "You declined access at %s; nothing was linked.",
			    link_provider_label(provider));
		else
			snprintf(msg, sizeof msg, "%s refused the sign-in (%s); nothing was linked.",
			    link_provider_label(provider), error);
		st = link_result_page(c, 200, 0, msg);
	} else {
		st = finish(c, provider, &s);
	}
	explicit_bzero(s.verifier, sizeof s.verifier);
	return st;
}
