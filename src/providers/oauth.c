/* OAuth 2.0 authorization code flow with PKCE, token refresh, and the access-token session of a
 * provider pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "core/log.h"
#include "providers/json_util.h"
#include "providers/oauth.h"

#define REFRESH_MARGIN 60       /* refresh this many seconds before the token expires */
#define SYNC_TIMEOUT_MS 20000L
#define SYNC_MAX_BODY (4L << 20)

/* ---- PKCE and the authorize URL ---------------------------------------------------------- */

void oauth_pkce_verifier(char *out, size_t outlen)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = outlen > 65 ? 64 : outlen - 1;
	if (sodium_init() < 0) {
		/* sodium_init only fails when no randomness source exists: refuse to make one up */
		out[0] = 0;
		return;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[randombytes_uniform(64)];
	out[n] = 0;
}

int oauth_pkce_challenge(const char *verifier, char *out, size_t outlen)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	size_t n = verifier ? strlen(verifier) : 0;
	if (n < 43 || n > 128 || outlen < 44 || sodium_init() < 0)
		return -1;
	crypto_hash_sha256(h, (const unsigned char *)verifier, n);
	sodium_bin2base64(out, outlen, h, sizeof h, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

const char *oauth_scopes(const char *provider)
{
	if (strcmp(provider, "google") == 0)
		return "openid email https://www.googleapis.com/auth/gmail.modify "
		       "https://www.googleapis.com/auth/calendar.events";
	if (strcmp(provider, "microsoft") == 0)
		return "openid email offline_access User.Read Mail.ReadWrite Mail.Send "
		       "MailboxSettings.Read Calendars.ReadWrite";
	return "openid email";
}

/* Append "&key=value" (value percent-encoded) to f; the first one without '&' when *first. */
static void qparam(FILE *f, int *first, const char *key, const char *value)
{
	char *v = ju_urlenc(value ? value : "");
	fprintf(f, "%s%s=%s", *first ? "" : "&", key, v ? v : "");
	*first = 0;
	free(v);
}

/* Close a memstream and return its buffer, or NULL when it failed. */
static char *mem_close(FILE *f, char **buf)
{
	if (fclose(f) != 0) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

char *oauth_authorize_url(const struct provider_cfg *cfg, const char *provider,
    const char *redirect_uri, const char *state, const char *challenge, const char *login_hint)
{
	char *buf = NULL;
	size_t len = 0;
	int first = 0;
	FILE *f;

	if (!cfg || !cfg->auth_url || !*cfg->auth_url || !state || !challenge || !redirect_uri ||
	    !(f = open_memstream(&buf, &len)))
		return NULL;
	fprintf(f, "%s%c", cfg->auth_url, strchr(cfg->auth_url, '?') ? '&' : '?');
	first = 1;
	qparam(f, &first, "response_type", "code");
	qparam(f, &first, "client_id", cfg->client_id);
	qparam(f, &first, "redirect_uri", redirect_uri);
	qparam(f, &first, "scope", oauth_scopes(provider));
	qparam(f, &first, "state", state);
	qparam(f, &first, "code_challenge", challenge);
	qparam(f, &first, "code_challenge_method", "S256");
	if (strcmp(provider, "google") == 0) {
		qparam(f, &first, "access_type", "offline");
		qparam(f, &first, "prompt", "consent");
	}
	if (login_hint && *login_hint)
		qparam(f, &first, "login_hint", login_hint);
	return mem_close(f, &buf);
}

/* ---- Token requests ---------------------------------------------------------------------- */

/* A POST to the token endpoint with the given key/value pairs (NULL-terminated list). */
static int token_req(const struct provider_cfg *cfg, const char *provider, struct http_req *req,
    const char *const *kv)
{
	char *body = NULL;
	int json = strcmp(provider, "nylas") == 0;

	memset(req, 0, sizeof *req);
	if (!cfg || !cfg->token_url || !*cfg->token_url)
		return -1;
	if (json) {
		json_t *o = json_object();
		for (size_t i = 0; kv[i]; i += 2)
			json_object_set_new(o, kv[i], json_string(kv[i + 1] ? kv[i + 1] : ""));
		body = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
	} else {
		size_t len = 0;
		int first = 1;
		FILE *f = open_memstream(&body, &len);
		if (!f)
			return -1;
		for (size_t i = 0; kv[i]; i += 2)
			qparam(f, &first, kv[i], kv[i + 1]);
		body = mem_close(f, &body);
	}
	if (!body)
		return -1;
	char *url = strdup(cfg->token_url);
	if (ju_send(req, "POST", url, body, json ? "application/json" :
	    "application/x-www-form-urlencoded") != STEP_MORE)
		return -1;
	return 0;
}

int oauth_code_req(const struct provider_cfg *cfg, const char *provider, const char *code,
    const char *verifier, const char *redirect_uri, struct http_req *req)
{
	const char *kv[] = { "grant_type", "authorization_code", "code", code,
		"redirect_uri", redirect_uri, "client_id", cfg ? cfg->client_id : "",
		"client_secret", cfg ? cfg->client_secret : "", "code_verifier", verifier, NULL };
	if (!code || !verifier || !redirect_uri)
		return -1;
	return token_req(cfg, provider, req, kv);
}

int oauth_refresh_req(const struct provider_cfg *cfg, const char *provider,
    const char *refresh_token, struct http_req *req)
{
	const char *kv[] = { "grant_type", "refresh_token", "refresh_token", refresh_token,
		"client_id", cfg ? cfg->client_id : "", "client_secret", cfg ? cfg->client_secret : "",
		NULL };
	if (!refresh_token)
		return -1;
	return token_req(cfg, provider, req, kv);
}

int oauth_token_parse(const struct http_resp *resp, const char *old_secret, int64_t now,
    char **secret_out, long *retry_after, char *err, size_t errlen)
{
	json_t *j = NULL, *sec = NULL;
	int rc = PROV_TEMP;
	int cls = ju_http_class(resp, retry_after);

	*secret_out = NULL;
	j = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
	if (cls) {
		const char *e = ju_str(j, "error");
		const char *d = ju_str(j, "error_description");
		snprintf(err, errlen, "%s%s%s (HTTP %ld%s%s)", e ? e : "token endpoint", d ? ": " : "",
		    d ? d : "", resp->status, resp->error ? ": " : "", resp->error ? resp->error : "");
		rc = cls == PROV_PERM ? PROV_AUTH : cls;
		if (e && strcmp(e, "invalid_grant") == 0)
			rc = PROV_AUTH;
		goto out;
	}
	const char *at = ju_str(j, "access_token");
	if (!at || !*at) {
		snprintf(err, errlen, "token answer without access_token");
		goto out;
	}
	sec = old_secret ? json_loads(old_secret, 0, NULL) : NULL;
	if (!json_is_object(sec)) {
		json_decref(sec);
		sec = json_object();
	}
	json_object_set_new(sec, "access_token", json_string(at));
	json_int_t ttl = json_integer_value(json_object_get(j, "expires_in"));
	if (json_is_string(json_object_get(j, "expires_in")))
		ttl = atoll(ju_str(j, "expires_in"));
	json_object_set_new(sec, "expires_at", json_integer(now + (ttl > 0 ? ttl : 3600)));
	const char *rt = ju_str(j, "refresh_token");
	if (rt && *rt)
		json_object_set_new(sec, "refresh_token", json_string(rt));
	const char *gid = ju_str(j, "grant_id");
	if (gid && *gid)
		json_object_set_new(sec, "grant_id", json_string(gid));
	*secret_out = json_dumps(sec, JSON_COMPACT | JSON_SORT_KEYS);
	rc = *secret_out ? PROV_OK : PROV_TEMP;
out:
	json_decref(j);
	json_decref(sec);
	return rc;
}

/* ---- Synchronous requests (web app) ------------------------------------------------------ */

struct ebuf {
	char *p;
	size_t n;
	long retry_after;
};

static size_t on_body(char *d, size_t sz, size_t nm, void *u)
{
	struct ebuf *b = u;
	size_t n = sz * nm;
	if (b->n + n > (size_t)SYNC_MAX_BODY)
		return 0;
	char *np = realloc(b->p, b->n + n + 1);
	if (!np)
		return 0;
	memcpy(np + b->n, d, n);
	b->p = np;
	b->n += n;
	b->p[b->n] = 0;
	return n;
}

static size_t on_header(char *d, size_t sz, size_t nm, void *u)
{
	struct ebuf *b = u;
	size_t n = sz * nm;
	if (n > 12 && strncasecmp(d, "retry-after:", 12) == 0)
		b->retry_after = atol(d + 12);
	return n;
}

/* Perform req with libcurl easy; fills resp whose body lives in b (freed by the caller). */
static void easy_perform(const struct http_req *req, struct http_resp *resp, struct ebuf *b,
    char errbuf[CURL_ERROR_SIZE])
{
	CURL *c = curl_easy_init();
	struct curl_slist *sl = NULL;

	memset(resp, 0, sizeof *resp);
	errbuf[0] = 0;
	if (!c) {
		resp->error = "curl_easy_init failed";
		return;
	}
	for (char **h = req->headers; h && *h; h++)
		sl = curl_slist_append(sl, *h);
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
	if (req->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, SYNC_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	else
		resp->error = errbuf[0] ? errbuf : "transfer failed";
	resp->body = b->p;
	resp->body_len = b->n;
	resp->retry_after = b->retry_after;
	curl_slist_free_all(sl);
	curl_easy_cleanup(c);
}

int oauth_exchange_code(const struct provider_cfg *cfg, const char *provider, const char *code,
    const char *verifier, const char *redirect_uri, char **secret_json_out, char *err,
    size_t errlen)
{
	struct http_req req;
	struct http_resp resp;
	struct ebuf b = { 0 };
	char cerr[CURL_ERROR_SIZE];
	long retry = 0;
	int rc = -1;

	*secret_json_out = NULL;
	if (oauth_code_req(cfg, provider, code, verifier, redirect_uri, &req) < 0) {
		snprintf(err, errlen, "%s: token endpoint or code missing", provider);
		return -1;
	}
	easy_perform(&req, &resp, &b, cerr);
	if (oauth_token_parse(&resp, NULL, (int64_t)time(NULL), secret_json_out, &retry, err,
	    errlen) == PROV_OK)
		rc = 0;
	http_req_clear(&req);
	free(b.p);
	return rc;
}

/* GET url with the bearer token; returns the parsed JSON object or NULL with err set. */
static json_t *get_json(const char *url, const char *token, char *err, size_t errlen)
{
	struct http_req req;
	struct http_resp resp;
	struct ebuf b = { 0 };
	char cerr[CURL_ERROR_SIZE], auth[4096];
	json_t *j = NULL;

	if (ju_get(&req, strdup(url), NULL) != STEP_MORE) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
	if (ju_add_header(&req, auth) == 0) {
		easy_perform(&req, &resp, &b, cerr);
		if (resp.status >= 200 && resp.status <= 299) {
			j = json_loadb(b.p ? b.p : "", b.n, 0, NULL);
			if (!json_is_object(j)) {
				json_decref(j);
				j = NULL;
				snprintf(err, errlen, "%s: malformed JSON", url);
			}
		} else {
			snprintf(err, errlen, "%s: HTTP %ld%s%s", url, resp.status,
			    resp.error ? ": " : "", resp.error ? resp.error : "");
		}
	}
	http_req_clear(&req);
	free(b.p);
	return j;
}

static int kind_shared(const char *k)
{
	return k && (strcasecmp(k, "group") == 0 || strcasecmp(k, "shared") == 0);
}

int oauth_fetch_address(const struct provider_cfg *cfg, const char *provider,
    const char *secret_json, char **address_out, int *shared_out, char *err, size_t errlen)
{
	json_t *sec = secret_json ? json_loads(secret_json, 0, NULL) : NULL;
	json_t *j = NULL, *j2 = NULL;
	const char *token = ju_str(sec, "access_token"), *addr = NULL;
	char *url = NULL;
	int rc = -1;

	*address_out = NULL;
	*shared_out = 0;
	if (!token || !cfg || !cfg->api_base) {
		snprintf(err, errlen, "%s: no access token", provider);
		goto out;
	}
	if (strcmp(provider, "google") == 0) {
		if (asprintf(&url, "%s/gmail/v1/users/me/profile", cfg->api_base) < 0 ||
		    !(j = get_json(url, token, err, errlen)))
			goto out;
		addr = ju_str(j, "emailAddress");
		*shared_out = kind_shared(ju_str(j, "accountKind"));
	} else if (strcmp(provider, "microsoft") == 0) {
		if (asprintf(&url, "%s/me", cfg->api_base) < 0 || !(j = get_json(url, token, err, errlen)))
			goto out;
		addr = ju_str(j, "mail");
		if (!addr || !*addr)
			addr = ju_str(j, "userPrincipalName");
		free(url);
		char e2[256];
		if (asprintf(&url, "%s/me/mailboxSettings", cfg->api_base) >= 0 &&
		    (j2 = get_json(url, token, e2, sizeof e2)) != NULL) {
			const char *purpose = ju_str(j2, "userPurpose");
			*shared_out = purpose && strcasecmp(purpose, "user") != 0 &&
			    strcasecmp(purpose, "linked") != 0;
		} else {
			log_warnx("microsoft: mailbox purpose unknown: %s", url ? e2 : "out of memory");
		}
	} else if (strcmp(provider, "nylas") == 0) {
		const char *gid = ju_str(sec, "grant_id");
		char *g = ju_urlenc(gid && *gid ? gid : "me");
		if (!g || asprintf(&url, "%s/v3/grants/%s", cfg->api_base, g) < 0) {
			free(g);
			goto out;
		}
		free(g);
		if (!(j = get_json(url, token, err, errlen)))
			goto out;
		json_t *d = json_object_get(j, "data");
		addr = ju_str(d, "email");
		*shared_out = kind_shared(ju_str(d, "account_kind"));
	} else {
		snprintf(err, errlen, "%s: not an OAuth provider", provider);
		goto out;
	}
	if (!addr || !strchr(addr, '@')) {
		snprintf(err, errlen, "%s: the account's address is missing", provider);
		goto out;
	}
	if ((*address_out = strdup(addr)) != NULL) {
		for (char *p = *address_out; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		rc = 0;
	}
out:
	free(url);
	json_decref(j);
	json_decref(j2);
	json_decref(sec);
	return rc;
}

/* ---- The access-token session of a pass -------------------------------------------------- */

/* Take the tokens out of secret (a JSON string) into s. */
static void sess_load(struct oauth_sess *s, const char *secret)
{
	json_t *j = secret ? json_loads(secret, 0, NULL) : NULL;
	free(s->access);
	free(s->refresh);
	s->access = ju_dup(j, "access_token");
	s->refresh = ju_dup(j, "refresh_token");
	s->expires_at = json_integer_value(json_object_get(j, "expires_at"));
	if (json_is_real(json_object_get(j, "expires_at")))
		s->expires_at = (int64_t)json_real_value(json_object_get(j, "expires_at"));
	json_decref(j);
}

int oauth_sess_init(struct oauth_sess *s, const char *provider, const struct prov_link *l)
{
	memset(s, 0, sizeof *s);
	s->cfg = l->cfg;
	s->provider = provider;
	s->link = l->id;
	s->secret = l->secret ? strdup(l->secret) : NULL;
	sess_load(s, s->secret);
	if (!s->access && !s->refresh) {
		log_warnx("%s link %lld: no OAuth tokens stored, re-link needed", provider, (long long)l->id);
		return PROV_AUTH;
	}
	return PROV_OK;
}

void oauth_sess_free(struct oauth_sess *s)
{
	free(s->secret);
	free(s->access);
	free(s->refresh);
	http_req_clear(&s->pending);
	http_req_clear(&s->last);
	memset(s, 0, sizeof *s);
}

/* Put a refresh request in out, keeping api (taken) as the pending request. */
static int start_refresh(struct oauth_sess *s, struct http_req *api, struct http_req *out)
{
	http_req_clear(&s->pending);
	s->pending = *api;
	memset(api, 0, sizeof *api);
	if (!s->refresh) {
		log_warnx("%s link %lld: access token expired and no refresh token, re-link needed",
		    s->provider, (long long)s->link);
		return PROV_AUTH;
	}
	if (oauth_refresh_req(s->cfg, s->provider, s->refresh, out) < 0)
		return PROV_TEMP;
	s->refreshing = 1;
	return STEP_MORE;
}

int oauth_send(struct oauth_sess *s, struct http_req *api, struct http_req *out)
{
	char *auth = NULL;
	memset(out, 0, sizeof *out);
	if (!s->access || (s->expires_at && s->expires_at - REFRESH_MARGIN <= (int64_t)time(NULL)))
		return start_refresh(s, api, out);
	http_req_clear(&s->last);
	if (ju_req_dup(&s->last, api) < 0 || asprintf(&auth, "Authorization: Bearer %s", s->access) < 0 ||
	    ju_add_header(api, auth) < 0) {
		free(auth);
		http_req_clear(api);
		return PROV_TEMP;
	}
	free(auth);
	*out = *api;
	memset(api, 0, sizeof *api);
	return STEP_MORE;
}

/* The answer to a refresh: keep and save the new secret, then send the pending request. */
static int on_refresh(struct oauth_sess *s, const struct http_resp *resp, struct http_req *out,
    struct step_out *so, long *retry_after)
{
	char err[256], *sec = NULL;
	int rc = oauth_token_parse(resp, s->secret, (int64_t)time(NULL), &sec, retry_after, err,
	    sizeof err);

	s->refreshing = 0;
	if (rc != PROV_OK) {
		log_warnx("%s link %lld: token refresh failed: %s%s", s->provider, (long long)s->link,
		    err, rc == PROV_AUTH ? ", re-link needed" : "");
		http_req_clear(&s->pending);
		return rc;
	}
	free(s->secret);
	s->secret = sec;
	sess_load(s, sec);
	if (so && step_out_secret(so, sec) < 0)
		log_warnx("%s link %lld: could not store the refreshed token", s->provider,
		    (long long)s->link);
	log_info("%s link %lld: access token refreshed", s->provider, (long long)s->link);
	struct http_req api = s->pending;
	memset(&s->pending, 0, sizeof s->pending);
	return oauth_send(s, &api, out);
}

int oauth_answer(struct oauth_sess *s, const struct http_resp *resp, struct http_req *out,
    struct step_out *so, long *retry_after)
{
	memset(out, 0, sizeof *out);
	if (s->refreshing)
		return on_refresh(s, resp, out, so, retry_after);
	if (resp->status != 401) {
		s->unauth = 0;
		return 0;
	}
	const char *url = s->last.url ? s->last.url : "?";
	struct http_req again = s->last;
	memset(&s->last, 0, sizeof s->last);
	if (++s->unauth > 2 || !again.url) {
		/* A token that refreshed well is not a refused grant: a provider that still says 401
		 * (a new token not yet known to every server) is tried again after the back-off. */
		log_warnx("%s link %lld: %s: still 401 after a token refresh and a retry; trying again"
		    " later", s->provider, (long long)s->link, url);
		http_req_clear(&again);
		return PROV_TEMP;
	}
	if (s->unauth == 2) {
		log_info("%s link %lld: 401 again from %s after a token refresh, retrying once more",
		    s->provider, (long long)s->link, url);
		return oauth_send(s, &again, out);
	}
	log_info("%s link %lld: 401 from %s, refreshing the token", s->provider, (long long)s->link,
	    url);
	return start_refresh(s, &again, out);
}

char *oauth_grant_id(const struct prov_link *l)
{
	json_t *set = l->settings ? json_loads(l->settings, 0, NULL) : NULL;
	json_t *sec = l->secret ? json_loads(l->secret, 0, NULL) : NULL;
	char *g = ju_dup(set, "grant_id");
	if (!g)
		g = ju_dup(sec, "grant_id");
	if (!g)
		g = strdup("me");
	json_decref(set);
	json_decref(sec);
	return g;
}
