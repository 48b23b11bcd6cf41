/* Webhook subscriptions on canned answers: Google watch channels (create, renew = new channel
 * then stop the old one) and Graph subscriptions (create, PATCH renew, 404 -> new, errors). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "providers/api_watch.h"
#include "providers/google.h"
#include "providers/graph.h"
#include "providers/nylas.h"
#include "t.h"
#include "step_sink.h"

static const struct provider_cfg cfg = {
	.client_id = "id", .client_secret = "secret", .token_url = "https://login.example/token",
	.api_base = "https://graph.example/v1.0", .calendar_base = "https://cal.example/calendar/v3",
};
static const char secret[] = "{\"access_token\":\"at\",\"refresh_token\":\"rt\","
    "\"expires_at\":4102444800}";
static const struct prov_link link = { 5, "ann@example.com", "{}", secret, 0, &cfg, 0, 0, NULL, NULL, 0 };

struct answer {
	long status;
	const char *body;
	long retry_after;
};

/* What the machine asked, one line per request: "METHOD URL BODY". */
struct seen {
	char lines[6][1024];
	int n;
};

/* Run a subscription to its end, answering its requests from answers in order. */
static int drive(const struct provider *d, enum stream s, struct subscription *sub,
    const struct answer *answers, struct seen *seen, long *retry)
{
	struct pass *p = NULL;
	struct http_req req = { 0 };
	struct test_sink sink = { 0 };
	int rc = d->subscribe_begin(&link, s, "https://crm.example/hooks/x", sub, &p);
	if (rc != PROV_OK)
		return rc;
	memset(seen, 0, sizeof *seen);
	rc = test_step(d->subscribe_step, p, NULL, &req, &sink, retry);
	for (int i = 0; rc == STEP_MORE && i < 6 && answers[i].status; i++) {
		int auth = 0;
		for (char **h = req.headers; h && *h; h++)
			auth |= strcmp(*h, "Authorization: Bearer at") == 0;
		snprintf(seen->lines[seen->n++], sizeof seen->lines[0], "%s %s %s%s", req.method, req.url,
		    req.body ? req.body : "", auth ? "" : " (no token)");
		struct http_resp resp = { .status = answers[i].status, .body = answers[i].body,
			.body_len = strlen(answers[i].body), .retry_after = answers[i].retry_after };
		http_req_clear(&req);
		rc = test_step(d->subscribe_step, p, &resp, &req, &sink, retry);
	}
	http_req_clear(&req);
	d->end(p);
	return rc;
}

static int starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void sub_set(struct subscription *sub, const char *id, const char *res)
{
	memset(sub, 0, sizeof *sub);
	sub->token = strdup("tok-123");
	sub->channel_id = id ? strdup(id) : NULL;
	sub->resource_id = res ? strdup(res) : NULL;
}

static void test_google_watch_asks_for_a_web_hook_with_our_token(void)
{
	char *b = google_watch_body("c-1", "https://crm.example/hooks/google", "tok", 1700000000);
	json_t *j = json_loads(b, 0, NULL);
	CHECK(j);
	CHECK_STR(json_string_value(json_object_get(j, "id")), "c-1");
	CHECK_STR(json_string_value(json_object_get(j, "type")), "web_hook");
	CHECK_STR(json_string_value(json_object_get(j, "address")), "https://crm.example/hooks/google");
	CHECK_STR(json_string_value(json_object_get(j, "token")), "tok");
	CHECK_STR(json_string_value(json_object_get(j, "expiration")), "1700000000000");
	json_decref(j);
	free(b);
	char u1[37], u2[37];
	api_watch_uuid(u1);
	api_watch_uuid(u2);
	CHECK(strlen(u1) == 36 && u1[14] == '4' && strcmp(u1, u2) != 0);
}

static void test_google_calendar_channel_is_created(void)
{
	struct subscription sub;
	struct seen seen;
	long retry = 0;
	const struct answer a[] = {
		{ 200, "{\"kind\":\"api#channel\",\"id\":\"ignored-see-below\",\"resourceId\":\"res-9\","
		  "\"resourceUri\":\"https://cal.example/x\",\"expiration\":\"1800000000000\"}", 0 },
		{ 0, NULL, 0 },
	};
	sub_set(&sub, NULL, NULL);
	CHECK_INT(drive(&google_provider, STREAM_EVENTS, &sub, a, &seen, &retry), STEP_DONE);
	CHECK_INT(seen.n, 1);
	CHECK(starts(seen.lines[0], "POST https://cal.example/calendar/v3/calendars/primary/events/watch {"));
	CHECK(strstr(seen.lines[0], "\"token\":\"tok-123\"") && !strstr(seen.lines[0], "no token"));
	CHECK(strstr(seen.lines[0], "\"address\":\"https://crm.example/hooks/x\""));
	CHECK_STR(sub.channel_id, "ignored-see-below");
	CHECK_STR(sub.resource_id, "res-9");
	CHECK_INT(sub.expires_at, 1800000000);
	CHECK_STR(sub.token, "tok-123");
	subscription_clear(&sub);
}

static void test_google_renewal_makes_a_new_channel_then_stops_the_old(void)
{
	struct subscription sub;
	struct seen seen;
	long retry = 0;
	const struct answer a[] = {
		{ 200, "{\"id\":\"new-chan\",\"resourceId\":\"res-2\",\"expiration\":1800000000000}", 0 },
		{ 204, "", 0 },
		{ 0, NULL, 0 },
	};
	sub_set(&sub, "old-chan", "res-1");
	CHECK_INT(drive(&google_provider, STREAM_EVENTS, &sub, a, &seen, &retry), STEP_DONE);
	CHECK_INT(seen.n, 2);
	CHECK(strstr(seen.lines[0], "/events/watch") != NULL);
	CHECK(strstr(seen.lines[1], "POST https://cal.example/calendar/v3/channels/stop ") == seen.lines[1]);
	CHECK(strstr(seen.lines[1], "\"id\":\"old-chan\"") && strstr(seen.lines[1], "\"resourceId\":\"res-1\""));
	CHECK_STR(sub.channel_id, "new-chan");
	CHECK_STR(sub.resource_id, "res-2");
	subscription_clear(&sub);

	/* a stop that fails leaves the new channel in place */
	const struct answer b[] = {
		{ 200, "{\"id\":\"c3\",\"resourceId\":\"r3\"}", 0 }, { 404, "{}", 0 }, { 0, NULL, 0 },
	};
	sub_set(&sub, "c2", "r2");
	CHECK_INT(drive(&google_provider, STREAM_EVENTS, &sub, b, &seen, &retry), STEP_DONE);
	CHECK_STR(sub.channel_id, "c3");
	CHECK(sub.expires_at > (int64_t)time(NULL) + GOOGLE_WATCH_S - 60);
	subscription_clear(&sub);
}

static void test_gmail_has_no_webhook_and_nylas_none_per_link(void)
{
	struct subscription sub;
	struct pass *p = NULL;
	sub_set(&sub, NULL, NULL);
	CHECK_INT(google_provider.subscribe_begin(&link, STREAM_MAIL, "https://crm.example/h", &sub, &p),
	    PROV_PERM);
	CHECK(p == NULL);
	CHECK(nylas_provider.subscribe_begin == NULL);
	free(sub.token);
	sub.token = NULL;
	CHECK_INT(graph_provider.subscribe_begin(&link, STREAM_EVENTS, "https://crm.example/h", &sub, &p),
	    PROV_PERM);
	subscription_clear(&sub);
}

static void test_graph_subscription_names_the_resource_and_stays_under_the_maximum(void)
{
	int64_t now = (int64_t)time(NULL);
	struct subscription sub;
	struct seen seen;
	long retry = 0;
	const struct answer a[] = {
		{ 201, "{\"id\":\"sub-1\",\"resource\":\"me/events\",\"expirationDateTime\":"
		  "\"2030-01-01T00:00:00.0000000Z\"}", 0 },
		{ 0, NULL, 0 },
	};
	char *b = graph_sub_body(STREAM_MAIL, "https://crm.example/hooks/graph", "tok", now + 4200 * 60);
	json_t *j = json_loads(b, 0, NULL);
	int64_t exp = 0;
	CHECK(j);
	CHECK_STR(json_string_value(json_object_get(j, "resource")), "me/mailFolders('inbox')/messages");
	CHECK_STR(json_string_value(json_object_get(j, "changeType")), "created,updated,deleted");
	CHECK_STR(json_string_value(json_object_get(j, "clientState")), "tok");
	CHECK_STR(json_string_value(json_object_get(j, "notificationUrl")), "https://crm.example/hooks/graph");
	json_decref(j);
	free(b);

	sub_set(&sub, NULL, NULL);
	CHECK_INT(drive(&graph_provider, STREAM_EVENTS, &sub, a, &seen, &retry), STEP_DONE);
	CHECK(starts(seen.lines[0], "POST https://graph.example/v1.0/subscriptions {"));
	CHECK(strstr(seen.lines[0], "\"resource\":\"me/events\"") && strstr(seen.lines[0], "\"clientState\":\"tok-123\""));
	const char *e = strstr(seen.lines[0], "\"expirationDateTime\":\"");
	char iso[21] = "";
	CHECK(e);
	memcpy(iso, e + 22, 20);
	struct tm tm = { 0 };
	CHECK(strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm));
	exp = (int64_t)timegm(&tm);
	CHECK(exp > now + 4000 * 60 && exp < now + 4230 * 60);
	CHECK_STR(sub.channel_id, "sub-1");
	CHECK_INT(sub.expires_at, 1893456000);
	subscription_clear(&sub);
}

static void test_graph_renewal_patches_and_recreates_a_vanished_subscription(void)
{
	struct subscription sub;
	struct seen seen;
	long retry = 0;
	const struct answer patch[] = {
		{ 200, "{\"id\":\"sub-1\",\"expirationDateTime\":\"2030-01-02T00:00:00Z\"}", 0 }, { 0, NULL, 0 },
	};
	sub_set(&sub, "sub-1", NULL);
	CHECK_INT(drive(&graph_provider, STREAM_MAIL, &sub, patch, &seen, &retry), STEP_DONE);
	CHECK_INT(seen.n, 1);
	CHECK(starts(seen.lines[0], "PATCH https://graph.example/v1.0/subscriptions/sub-1 {\"expirationDateTime\":"));
	CHECK_STR(sub.channel_id, "sub-1");
	CHECK_INT(sub.expires_at, 1893542400);
	subscription_clear(&sub);

	const struct answer gone[] = {
		{ 404, "{\"error\":{\"code\":\"ResourceNotFound\"}}", 0 },
		{ 201, "{\"id\":\"sub-2\",\"expirationDateTime\":\"2030-01-02T00:00:00Z\"}", 0 }, { 0, NULL, 0 },
	};
	sub_set(&sub, "sub-1", NULL);
	CHECK_INT(drive(&graph_provider, STREAM_MAIL, &sub, gone, &seen, &retry), STEP_DONE);
	CHECK_INT(seen.n, 2);
	CHECK(strstr(seen.lines[1], "POST https://graph.example/v1.0/subscriptions {") == seen.lines[1]);
	CHECK(strstr(seen.lines[1], "me/mailFolders('inbox')/messages") != NULL);
	CHECK_STR(sub.channel_id, "sub-2");
	subscription_clear(&sub);
}

static void test_subscription_errors_keep_their_class(void)
{
	struct subscription sub;
	struct seen seen;
	long retry = 0;
	const struct answer rate[] = { { 429, "{}", 9 }, { 0, NULL, 0 } };
	const struct answer bad[] = { { 400, "{\"error\":{\"code\":\"InvalidRequest\"}}", 0 }, { 0, NULL, 0 } };
	const struct answer noid[] = { { 200, "{\"kind\":\"api#channel\"}", 0 }, { 0, NULL, 0 } };
	sub_set(&sub, "sub-1", NULL);
	CHECK_INT(drive(&graph_provider, STREAM_EVENTS, &sub, rate, &seen, &retry), PROV_RATE);
	CHECK_INT(retry, 9);
	CHECK_STR(sub.channel_id, "sub-1");
	subscription_clear(&sub);
	sub_set(&sub, NULL, NULL);
	CHECK_INT(drive(&graph_provider, STREAM_EVENTS, &sub, bad, &seen, &retry), PROV_PERM);
	CHECK(sub.channel_id == NULL);
	CHECK_INT(drive(&google_provider, STREAM_EVENTS, &sub, noid, &seen, &retry), PROV_TEMP);
	CHECK(sub.channel_id == NULL);
	subscription_clear(&sub);
}

T_MAIN(T(test_google_watch_asks_for_a_web_hook_with_our_token),
    T(test_google_calendar_channel_is_created),
    T(test_google_renewal_makes_a_new_channel_then_stops_the_old),
    T(test_gmail_has_no_webhook_and_nylas_none_per_link),
    T(test_graph_subscription_names_the_resource_and_stays_under_the_maximum),
    T(test_graph_renewal_patches_and_recreates_a_vanished_subscription),
    T(test_subscription_errors_keep_their_class))
