/* Link External Calendar/Email: the provider guessed from the user's e-mail domain, the list to
 * pick another (GET /profile/link), and starting an OAuth flow (POST /profile/link: a single-use
 * state bound to this session, PKCE S256, then off to the provider's authorize page). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/crypto.h"
#include "core/db_link_flow.h"
#include "core/log.h"
#include "providers/oauth.h"
#include "web/link_save.h"

/* 1 when the provider can be used: IMAP always, OAuth ones when configured. */
static int provider_ready(const struct config *cfg, const char *provider)
{
	if (strcmp(provider, "imap") == 0)
		return 1;
	const struct provider_cfg *p = config_provider(cfg, provider);
	return p && p->client_id && *p->client_id && p->auth_url && *p->auth_url;
}

int page_link(struct ctx *c)
{
	static const char *const providers[] = { "google", "microsoft", "nylas", "imap" };
	struct link cur = { 0 };
	struct view *v = view_new();
	int st = 500;
	if (!v)
		return 500;
	int has = db_links_get_for_user(c->db, c->user.id, &cur);
	if (has < 0)
		goto out;
	const char *guess = link_guess_provider(c->user.email);
	view_str(v, "csrf", c->csrf);
	view_str(v, "email", c->user.email);
	view_str(v, "guess", guess);
	view_str(v, "guess_label", link_provider_label(guess));
	view_int(v, "guess_imap", strcmp(guess, "imap") == 0);
	view_int(v, "guess_ready", provider_ready(c->w->cfg, guess));
	view_int(v, "linked", has == 0);
	view_str(v, "linked_address", has == 0 ? cur.address : "");
	view_str(v, "linked_provider", has == 0 ? link_provider_label(cur.provider) : "");
	struct vlist *l = vlist_new();
	for (size_t i = 0; i < sizeof providers / sizeof providers[0]; i++) {
		struct vlist *r = vlist_row(l);
		vrow_str(r, providers[i]);
		vrow_str(r, link_provider_label(providers[i]));
		vrow_int(r, strcmp(providers[i], "imap") == 0);
		vrow_int(r, provider_ready(c->w->cfg, providers[i]));
	}
	view_list(v, "providers", l);
	c->resp->csp_form_action = link_oauth_origins(c->w->cfg);
	st = page_render(c, "link", "Link External Calendar/Email", v, 200);
out:
	view_free(v);
	link_free(&cur);
	return st;
}

/* base_url without a trailing slash + "/oauth/callback/" + provider, into out. */
static int redirect_uri(const struct config *cfg, const char *provider, char *out, size_t size)
{
	const char *base = cfg->base_url ? cfg->base_url : "";
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	int k = snprintf(out, size, "%.*s/oauth/callback/%s", (int)n, base, provider);
	return k > 0 && (size_t)k < size ? 0 : -1;
}

int page_link_start(struct ctx *c)
{
	const char *provider = f_get(c, "provider"), *purpose = f_get(c, "purpose");
	int resync = purpose && strcmp(purpose, "resync") == 0;
	struct oauth_state s = { .user_id = c->user.id };
	struct link cur = { 0 };
	char state[64], challenge[64], redirect[512], *url = NULL;
	int st = 500;

	if (!provider || strcmp(provider, "imap") == 0)
		return resp_redirect(c->resp, resync ? "/profile/link/imap?purpose=resync" :
		    "/profile/link/imap");
	if (!provider_ready(c->w->cfg, provider))
		return link_result_page(c, 400, 0, "This provider is not set up in the CRM's "
		    "configuration yet; ask an administrator, or pick another provider.");
	if (!c->req->cookie_session)
		return 403;
	int has = db_links_get_for_user(c->db, c->user.id, &cur);
	if (has < 0)
		return 500;
	if (!resync && has == 0) {
		char msg[400];
		snprintf(msg, sizeof msg, "You already have %s linked (%s). Unlink it in Sync settings "
		    "first, or use Resync there.", cur.address, link_provider_label(cur.provider));
		st = link_result_page(c, 409, 0, msg);
		goto out;
	}
	if (resync && (has != 0 || strcmp(cur.provider, provider) != 0)) {
		st = link_result_page(c, 409, 0, "There is no link of this provider to resync.");
		goto out;
	}
	crypto_sha256_hex(c->req->cookie_session, strlen(c->req->cookie_session), s.session_hash);
	snprintf(s.provider, sizeof s.provider, "%s", provider);
	snprintf(s.purpose, sizeof s.purpose, "%s", resync ? "resync" : "link");
	oauth_pkce_verifier(s.verifier, sizeof s.verifier);
	crypto_token(state, sizeof state, 24);
	if (oauth_pkce_challenge(s.verifier, challenge, sizeof challenge) != 0 ||
	    redirect_uri(c->w->cfg, provider, redirect, sizeof redirect) != 0)
		goto out;
	url = oauth_authorize_url(config_provider(c->w->cfg, provider), provider, redirect, state,
	    challenge, resync ? cur.address : NULL);
	if (!url || db_oauth_state_add(c->db, state, &s, (int64_t)time(NULL)) != 0)
		goto out;
	log_info("user %lld starts a %s flow with %s", (long long)c->user.id, s.purpose, provider);
	st = resp_redirect(c->resp, url);
out:
	explicit_bzero(s.verifier, sizeof s.verifier);
	free(url);
	link_free(&cur);
	return st;
}
