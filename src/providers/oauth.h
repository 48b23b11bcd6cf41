/* OAuth 2.0 for the Google, Microsoft and Nylas providers: PKCE, the authorize URL, the code
 * exchange and token refresh, and an access-token session the step machines run requests through. */
#ifndef PROVIDERS_OAUTH_H
#define PROVIDERS_OAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "providers/provider.h"

/* The secret JSON of an OAuth link (sealed by the engine / web app):
 *   {"access_token": "...", "refresh_token": "...", "expires_at": <epoch seconds>,
 *    "grant_id": "..." (Nylas only)}
 * A refresh keeps the old refresh_token unless the provider sends a new one. */

/* ---- Link flow (used by the web app) ------------------------------------------------------ */

/* A fresh PKCE code_verifier (RFC 7636: 64 chars of [A-Za-z0-9-_]) into out (size >= 65). */
void oauth_pkce_verifier(char *out, size_t outlen);
/* The S256 challenge of verifier: base64url(SHA-256(verifier)) without padding, 43 chars, into
 * out (size >= 44). Returns 0 or -1. */
int oauth_pkce_challenge(const char *verifier, char *out, size_t outlen);
/* The scopes asked of each provider ("google", "microsoft", "nylas"), space separated. */
const char *oauth_scopes(const char *provider);
/* The URL to send the browser to: cfg->auth_url with response_type=code, client_id,
 * redirect_uri, scope, state, code_challenge, code_challenge_method=S256, plus
 * access_type=offline and prompt=consent for Google, and login_hint when given (may be NULL).
 * Returns a malloc'd URL or NULL. */
char *oauth_authorize_url(const struct provider_cfg *cfg, const char *provider,
    const char *redirect_uri, const char *state, const char *challenge, const char *login_hint);

/* Exchange an authorization code (synchronous, libcurl easy, 20 s timeout). On success returns
 * 0 and a malloc'd secret JSON (see above) in *secret_json_out; else -1 with a one-line reason
 * in err ("invalid_grant: Invalid code verifier.", "token endpoint: HTTP 500", ...). */
int oauth_exchange_code(const struct provider_cfg *cfg, const char *provider, const char *code,
    const char *verifier, const char *redirect_uri, char **secret_json_out, char *err,
    size_t errlen);

/* Read the linked account's e-mail address with the secret's access token (synchronous):
 * Gmail users.getProfile emailAddress, Graph /me mail (or userPrincipalName), Nylas grant
 * email. *shared_out is 1 for a group or shared mailbox (Graph mailboxSettings.userPurpose not
 * "user"; the fakes' accountKind / account_kind "group" or "shared"), else 0. On success
 * returns 0 and a malloc'd lower-case address in *address_out; else -1 with err set. */
int oauth_fetch_address(const struct provider_cfg *cfg, const char *provider,
    const char *secret_json, char **address_out, int *shared_out, char *err, size_t errlen);

/* ---- Token requests and answers (pure) ---------------------------------------------------- */

/* The token endpoint request of a code exchange (form-encoded; JSON for Nylas) or a refresh.
 * Fill *req (release with http_req_clear). Return 0 or -1. */
int oauth_code_req(const struct provider_cfg *cfg, const char *provider, const char *code,
    const char *verifier, const char *redirect_uri, struct http_req *req);
int oauth_refresh_req(const struct provider_cfg *cfg, const char *provider,
    const char *refresh_token, struct http_req *req);

/* Turn a token endpoint answer into the new secret JSON, merged over old_secret (may be NULL):
 * access_token, expires_at = now + expires_in, refresh_token when sent (else the old one),
 * grant_id when sent. Returns PROV_OK with a malloc'd *secret_out; PROV_AUTH for
 * invalid_grant and other 4xx (the link needs re-linking); PROV_RATE (*retry_after set) for
 * 429/503; PROV_TEMP for 5xx, transfer errors and malformed JSON. err gets a short reason. */
int oauth_token_parse(const struct http_resp *resp, const char *old_secret, int64_t now,
    char **secret_out, long *retry_after, char *err, size_t errlen);

/* ---- A pass's access token ---------------------------------------------------------------
 * Every API request of a pass goes through oauth_send(): it adds "Authorization: Bearer", or,
 * when the token is expired (or within 60 s of it), sends a refresh first and keeps the API
 * request until the new token is in. Every answer goes through oauth_answer() first: it takes
 * token answers (the new secret goes out in step_out.secret); a 401 refreshes the token
 * and repeats the request, and a 401 after that refresh repeats it once more. Only a refused
 * refresh (invalid_grant or another refusal of the token endpoint) asks for a re-link. */
struct oauth_sess {
	const struct provider_cfg *cfg;   /* borrowed from the prov_link */
	const char *provider;             /* borrowed string literal */
	int64_t link;
	char *secret;                     /* current secret JSON, owned */
	char *access, *refresh;           /* owned */
	int64_t expires_at;
	struct http_req pending;          /* the API request waiting for a refresh */
	struct http_req last;             /* copy of the last API request, to repeat after a 401 */
	int refreshing;                   /* the request in flight is a token refresh */
	int unauth;                       /* 401s in a row for the current request */
};

/* Read l->secret into s. Returns PROV_OK, or PROV_AUTH when it holds no usable token. */
int oauth_sess_init(struct oauth_sess *s, const char *provider, const struct prov_link *l);
void oauth_sess_free(struct oauth_sess *s);
/* Take api (its members move into out or into s) and fill out with what to send now.
 * Returns STEP_MORE, or a prov_status (PROV_TEMP when out of memory). */
int oauth_send(struct oauth_sess *s, struct http_req *api, struct http_req *out);
/* Look at an answer first. Returns 0 when resp is the answer to the caller's API request (to
 * handle as usual), STEP_MORE with out filled when a refresh or a repeat must go out, or a
 * prov_status error: PROV_AUTH when the refresh token is refused, PROV_TEMP when a 401 persists
 * after a good refresh and one more try. */
int oauth_answer(struct oauth_sess *s, const struct http_resp *resp, struct http_req *out,
    struct step_out *so, long *retry_after);
/* Grant id for Nylas: settings' "grant_id", else the secret's, else "me". Malloc'd. */
char *oauth_grant_id(const struct prov_link *l);

#endif
