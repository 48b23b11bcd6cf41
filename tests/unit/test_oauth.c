/* OAuth: PKCE, the authorize URL, token answers, and the refresh-and-repeat session; plus the
 * shared JSON helpers' time parsing, status classes and NUL handling. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "providers/json_util.h"
#include "providers/oauth.h"
#include "t.h"

static const struct provider_cfg cfg = {
	.client_id = "cid", .client_secret = "csecret",
	.auth_url = "https://auth.example/authorize", .token_url = "https://auth.example/token",
	.api_base = "https://api.example",
};

static void test_pkce_challenge_matches_rfc7636_example(void)
{
	char c[44];
	CHECK_INT(oauth_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", c, sizeof c), 0);
	CHECK_STR(c, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	CHECK_INT(oauth_pkce_challenge("too-short", c, sizeof c), -1);
}

static void test_pkce_verifiers_are_random_and_well_formed(void)
{
	char a[65], b[65];
	oauth_pkce_verifier(a, sizeof a);
	oauth_pkce_verifier(b, sizeof b);
	CHECK_INT(strlen(a), 64);
	CHECK(strcmp(a, b) != 0);
	CHECK(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 64);
}

static void test_authorize_url_carries_pkce_state_and_provider_extras(void)
{
	static const struct {
		const char *provider, *must[4], *must_not;
	} cases[] = {
		{ "google", { "access_type=offline", "prompt=consent", "gmail.modify", NULL }, NULL },
		{ "microsoft", { "offline_access", "Calendars.ReadWrite", NULL }, "access_type" },
		{ "nylas", { "response_type=code", NULL }, "prompt=" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *u = oauth_authorize_url(&cfg, cases[i].provider, "https://crm.example/oauth/callback/x",
		    "st&te", "CHAL", "a+b@example.com");
		CHECK(u != NULL);
		CHECK(strncmp(u, "https://auth.example/authorize?response_type=code&client_id=cid&", 64) == 0);
		CHECK(strstr(u, "redirect_uri=https%3A%2F%2Fcrm.example%2Foauth%2Fcallback%2Fx"));
		CHECK(strstr(u, "state=st%26te&code_challenge=CHAL&code_challenge_method=S256"));
		CHECK(strstr(u, "login_hint=a%2Bb%40example.com"));
		for (size_t k = 0; cases[i].must[k]; k++)
			CHECK(strstr(u, cases[i].must[k]));
		CHECK(!cases[i].must_not || !strstr(u, cases[i].must_not));
		free(u);
	}
}

static void test_code_exchange_request_sends_the_verifier(void)
{
	struct http_req r;
	CHECK_INT(oauth_code_req(&cfg, "google", "c0de", "verif", "https://crm/cb", &r), 0);
	CHECK_STR(r.method, "POST");
	CHECK_STR(r.url, "https://auth.example/token");
	CHECK(strstr(r.body, "grant_type=authorization_code&code=c0de&redirect_uri=https%3A%2F%2Fcrm%2Fcb"));
	CHECK(strstr(r.body, "code_verifier=verif"));
	CHECK(r.timeout_ms > 0);
	http_req_clear(&r);
	CHECK_INT(oauth_code_req(&cfg, "nylas", "c0de", "verif", "https://crm/cb", &r), 0);
	json_t *j = json_loads(r.body, 0, NULL);
	CHECK_STR(json_string_value(json_object_get(j, "code_verifier")), "verif");
	CHECK_STR(json_string_value(json_object_get(j, "client_secret")), "csecret");
	json_decref(j);
	http_req_clear(&r);
}

static void test_token_answers_become_secrets_or_error_classes(void)
{
	static const struct {
		long status, retry;
		const char *body, *old;
		int want;
		const char *refresh, *grant;
	} cases[] = {
		{ 200, 0, "{\"access_token\":\"A\",\"refresh_token\":\"R2\",\"expires_in\":3600}", NULL, PROV_OK, "R2", NULL },
		{ 200, 0, "{\"access_token\":\"A\",\"expires_in\":\"60\"}", "{\"refresh_token\":\"R1\",\"grant_id\":\"g\"}", PROV_OK, "R1", "g" },
		{ 200, 0, "{\"access_token\":\"A\",\"refresh_token\":\"R\",\"grant_id\":\"g9\"}", NULL, PROV_OK, "R", "g9" },
		{ 400, 0, "{\"error\":\"invalid_grant\",\"error_description\":\"Token has been expired or revoked.\"}", NULL, PROV_AUTH, NULL, NULL },
		{ 401, 0, "{\"error\":\"invalid_client\"}", NULL, PROV_AUTH, NULL, NULL },
		{ 429, 12, "", NULL, PROV_RATE, NULL, NULL },
		{ 503, 0, "", NULL, PROV_RATE, NULL, NULL },
		{ 500, 0, "oops", NULL, PROV_TEMP, NULL, NULL },
		{ 0, 0, NULL, NULL, PROV_TEMP, NULL, NULL },
		{ 200, 0, "{\"access_tok", NULL, PROV_TEMP, NULL, NULL },
		{ 200, 0, "{\"token_type\":\"Bearer\"}", NULL, PROV_TEMP, NULL, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct http_resp r = { .status = cases[i].status, .body = cases[i].body,
			.body_len = cases[i].body ? strlen(cases[i].body) : 0, .retry_after = cases[i].retry };
		char *sec = NULL, err[200];
		long retry = 0;
		int rc = oauth_token_parse(&r, cases[i].old, 1000, &sec, &retry, err, sizeof err);
		if (rc != cases[i].want)
			fprintf(stderr, "  case %zu: %d (%s)\n", i, rc, err);
		CHECK_INT(rc, cases[i].want);
		if (rc == PROV_RATE)
			CHECK_INT(retry, cases[i].retry ? cases[i].retry : JU_DEFAULT_RETRY);
		if (rc != PROV_OK) {
			CHECK(sec == NULL);
			continue;
		}
		json_t *j = json_loads(sec, 0, NULL);
		CHECK_STR(json_string_value(json_object_get(j, "access_token")), "A");
		CHECK_STR(json_string_value(json_object_get(j, "refresh_token")), cases[i].refresh);
		CHECK(json_integer_value(json_object_get(j, "expires_at")) > 1000);
		if (cases[i].grant)
			CHECK_STR(json_string_value(json_object_get(j, "grant_id")), cases[i].grant);
		json_decref(j);
		free(sec);
	}
}

/* ---- The session: refreshed secrets handed back are recorded ---- */

static int saved;
static char saved_secret[512];

static int save(void *ctx, const char *s)
{
	(void)ctx;
	saved++;
	snprintf(saved_secret, sizeof saved_secret, "%s", s);
	return 0;
}

/* oauth_answer() as a step sees it: a refreshed secret comes back in step_out.secret and is
 * "stored" here, as the engine stores it before the request that follows. */
static int answer(struct oauth_sess *s, const struct http_resp *r, struct http_req *out)
{
	struct step_out o = { 0 };
	int rc = oauth_answer(s, r, out, &o, NULL);
	if (o.secret)
		save(NULL, o.secret);
	step_out_clear(&o);
	return rc;
}

static const char *header(const struct http_req *r, const char *prefix)
{
	for (char **h = r->headers; h && *h; h++)
		if (strncmp(*h, prefix, strlen(prefix)) == 0)
			return *h;
	return NULL;
}

static int api_get(struct oauth_sess *s, struct http_req *out)
{
	struct http_req api;
	ju_get(&api, strdup("https://api.example/items"), NULL);
	return oauth_send(s, &api, out);
}

static void test_expired_token_is_refreshed_before_the_request(void)
{
	char secret[200];
	snprintf(secret, sizeof secret, "{\"access_token\":\"old\",\"refresh_token\":\"R\",\"expires_at\":%lld}",
	    (long long)time(NULL) - 5);
	struct prov_link l = { .id = 7, .secret = secret, .cfg = &cfg };
	struct oauth_sess s;
	struct http_req out;
	const char *tok = "{\"access_token\":\"new\",\"expires_in\":3600}";
	struct http_resp r = { .status = 200, .body = tok, .body_len = strlen(tok) };

	saved = 0;
	CHECK_INT(oauth_sess_init(&s, "google", &l), PROV_OK);
	CHECK_INT(api_get(&s, &out), STEP_MORE);
	CHECK_STR(out.url, "https://auth.example/token");
	CHECK(strstr(out.body, "grant_type=refresh_token&refresh_token=R"));
	http_req_clear(&out);
	CHECK_INT(answer(&s, &r, &out), STEP_MORE);
	CHECK_STR(out.url, "https://api.example/items");
	CHECK_STR(header(&out, "Authorization:"), "Authorization: Bearer new");
	CHECK_INT(saved, 1);
	CHECK(strstr(saved_secret, "\"refresh_token\":\"R\""));
	http_req_clear(&out);
	oauth_sess_free(&s);
}

/* 401 -> refresh -> 401 again -> the same request once more -> a third 401 is a temporary
 * failure, not a re-link; a later request's 401 in the same pass refreshes again. */
static void test_401_after_a_good_refresh_retries_once_more_and_never_asks_for_relink(void)
{
	struct prov_link l = { .id = 7, .secret = "{\"access_token\":\"old\",\"refresh_token\":\"R\"}", .cfg = &cfg };
	struct oauth_sess s;
	struct http_req out;
	const char *tok = "{\"access_token\":\"new\",\"expires_in\":3600}";
	struct http_resp unauth = { .status = 401, .body = "", .body_len = 0 };
	struct http_resp ok = { .status = 200, .body = tok, .body_len = strlen(tok) };
	struct http_resp data = { .status = 200, .body = "{}", .body_len = 2 };

	CHECK_INT(oauth_sess_init(&s, "microsoft", &l), PROV_OK);
	CHECK_INT(api_get(&s, &out), STEP_MORE);
	CHECK_STR(header(&out, "Authorization:"), "Authorization: Bearer old");
	http_req_clear(&out);
	CHECK_INT(answer(&s, &unauth, &out), STEP_MORE);
	CHECK_STR(out.url, "https://auth.example/token");
	http_req_clear(&out);
	CHECK_INT(answer(&s, &ok, &out), STEP_MORE);
	CHECK_STR(out.url, "https://api.example/items");
	CHECK_STR(header(&out, "Authorization:"), "Authorization: Bearer new");
	http_req_clear(&out);
	CHECK_INT(answer(&s, &data, &out), 0);

	/* The next request of the pass meets a 401: refreshed, then tried once more. */
	CHECK_INT(api_get(&s, &out), STEP_MORE);
	http_req_clear(&out);
	CHECK_INT(answer(&s, &unauth, &out), STEP_MORE);
	CHECK_STR(out.url, "https://auth.example/token");
	http_req_clear(&out);
	CHECK_INT(answer(&s, &ok, &out), STEP_MORE);
	CHECK_STR(out.url, "https://api.example/items");
	http_req_clear(&out);
	CHECK_INT(answer(&s, &unauth, &out), STEP_MORE);
	CHECK_STR(out.url, "https://api.example/items");   /* once more, no second refresh */
	CHECK_STR(header(&out, "Authorization:"), "Authorization: Bearer new");
	http_req_clear(&out);
	CHECK_INT(answer(&s, &data, &out), 0);

	/* A 401 that persists after the refresh and the retry counts, as a temporary failure. */
	CHECK_INT(api_get(&s, &out), STEP_MORE);
	http_req_clear(&out);
	CHECK_INT(answer(&s, &unauth, &out), STEP_MORE);
	http_req_clear(&out);
	CHECK_INT(answer(&s, &ok, &out), STEP_MORE);
	http_req_clear(&out);
	CHECK_INT(answer(&s, &unauth, &out), STEP_MORE);
	http_req_clear(&out);
	CHECK_INT(answer(&s, &unauth, &out), PROV_TEMP);
	oauth_sess_free(&s);
}

static void test_refused_refresh_token_asks_for_relink(void)
{
	struct prov_link l = { .id = 7, .secret = "{\"refresh_token\":\"R\"}", .cfg = &cfg };
	struct oauth_sess s;
	struct http_req out;
	const char *err = "{\"error\":\"invalid_grant\"}";
	struct http_resp r = { .status = 400, .body = err, .body_len = strlen(err) };
	long retry = 0;

	CHECK_INT(oauth_sess_init(&s, "google", &l), PROV_OK);
	CHECK_INT(api_get(&s, &out), STEP_MORE);   /* no access token: refresh first */
	http_req_clear(&out);
	CHECK_INT(oauth_answer(&s, &r, &out, NULL, &retry), PROV_AUTH);
	oauth_sess_free(&s);
	struct prov_link none = { .id = 8, .secret = "{}", .cfg = &cfg };
	CHECK_INT(oauth_sess_init(&s, "google", &none), PROV_AUTH);
	oauth_sess_free(&s);
}

static void test_provider_times_parse_to_utc(void)
{
	static const struct {
		const char *in;
		int64_t want;
		int rc;
	} cases[] = {
		{ "2024-05-01T10:00:00Z", 1714557600, 0 },
		{ "2024-05-01T05:00:00-05:00", 1714557600, 0 },
		{ "2024-05-01T12:00:00+0200", 1714557600, 0 },
		{ "2024-05-01T10:00:00.0000000", 1714557600, 0 },
		{ "2024-05-01T10:00:00.123Z", 1714557600, 0 },
		{ "2024-05-01", 0, -1 },
		{ "2024-13-01T10:00:00Z", 0, -1 },
		{ "2024-05-01T10:00:00 garbage", 0, -1 },
		{ "", 0, -1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t t = 0;
		CHECK_INT(ju_iso_time(cases[i].in, &t), cases[i].rc);
		if (cases[i].rc == 0)
			CHECK_INT(t, cases[i].want);
	}
	int64_t d;
	CHECK_INT(ju_date("2024-05-01", &d), 0);
	CHECK_INT(d, 1714521600);
	CHECK_INT(ju_date("2024-05-01T00:00:00", &d), -1);
	char s[17];
	ju_stamp(1714557600, 0, s);
	CHECK_STR(s, "20240501T100000Z");
	ju_stamp(1714557600, 1, s);
	CHECK_STR(s, "20240501");
}

static void test_http_answers_map_to_error_classes(void)
{
	static const struct {
		long status, retry;
		const char *body;
		int want;
		long want_retry;
	} cases[] = {
		{ 200, 0, "", 0, 0 }, { 204, 0, "", 0, 0 },
		{ 429, 9, "", PROV_RATE, 9 }, { 503, 0, "", PROV_RATE, JU_DEFAULT_RETRY },
		{ 403, 0, "{\"reason\":\"rateLimitExceeded\"}", PROV_RATE, JU_DEFAULT_RETRY },
		{ 403, 0, "{\"reason\":\"forbidden\"}", PROV_AUTH, 0 }, { 401, 0, "", PROV_AUTH, 0 },
		{ 500, 0, "", PROV_TEMP, 0 }, { 502, 0, "", PROV_TEMP, 0 }, { 0, 0, NULL, PROV_TEMP, 0 },
		{ 400, 0, "", PROV_PERM, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct http_resp r = { .status = cases[i].status, .body = cases[i].body,
			.retry_after = cases[i].retry };
		long retry = 0;
		CHECK_INT(ju_http_class(&r, &retry), cases[i].want);
		CHECK_INT(retry, cases[i].want_retry);
	}
}

static void test_nul_in_provider_strings_is_dropped_not_cut_at(void)
{
	static const char page[] = "{\"value\":[{\"id\":\"m1\",\"subject\":\"Pump\\u0000 noise\","
	    "\"to\":[{\"name\":\"\\u0000\\u0000\"}]},{\"id\":\"m2\",\"subject\":\"Quote\"}]}";
	struct http_resp r = { .status = 200, .body = page, .body_len = sizeof page - 1 };
	char why[160];
	json_t *j = ju_load(&r, why, sizeof why), *m1 = json_array_get(json_object_get(j, "value"), 0);
	CHECK(j != NULL);
	CHECK_STR(ju_str(m1, "subject"), "Pump noise");
	CHECK_INT(json_string_length(json_object_get(m1, "subject")), 10);
	CHECK_STR(ju_str(json_array_get(json_object_get(j, "value"), 1), "subject"), "Quote");
	CHECK(ju_dup(json_array_get(json_object_get(m1, "to"), 0), "name") == NULL);
	json_decref(j);

	/* Strings built (or loaded) with a NUL inside: ju_str refuses them, ju_dup drops the NULs. */
	json_t *o = json_object();
	json_object_set_new(o, "id", json_stringn("ab\0cd", 5));
	json_object_set_new(o, "sub", json_object());
	json_object_set_new(json_object_get(o, "sub"), "k", json_stringn("x\0", 2));
	CHECK(ju_str(o, "id") == NULL);
	CHECK(ju_path(o, "sub", "k", NULL) == NULL);
	char *d = ju_dup(o, "id");
	CHECK_STR(d, "abcd");
	free(d);
	CHECK_INT(ju_drop_nuls(o), 0);
	CHECK_STR(ju_str(o, "id"), "abcd");
	CHECK_STR(ju_path(o, "sub", "k", NULL), "x");
	json_decref(o);

	static const char broken[] = "{\"value\": [{\"id\": \"tru";
	r.body = broken;
	r.body_len = sizeof broken - 1;
	CHECK(ju_load(&r, why, sizeof why) == NULL && why[0]);
}

T_MAIN(T(test_pkce_challenge_matches_rfc7636_example), T(test_pkce_verifiers_are_random_and_well_formed),
    T(test_authorize_url_carries_pkce_state_and_provider_extras),
    T(test_code_exchange_request_sends_the_verifier),
    T(test_token_answers_become_secrets_or_error_classes),
    T(test_expired_token_is_refreshed_before_the_request),
    T(test_401_after_a_good_refresh_retries_once_more_and_never_asks_for_relink), T(test_refused_refresh_token_asks_for_relink),
    T(test_provider_times_parse_to_utc), T(test_http_answers_map_to_error_classes),
    T(test_nul_in_provider_strings_is_dropped_not_cut_at))
