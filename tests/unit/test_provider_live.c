/* Live OAuth provider driver: runs the google, microsoft or nylas step machine with libcurl easy
 * handles against the fake providers in PROVIDER_TEST_URL (started by
 * tests/integration/test_provider_*) and prints one JSON line. Without PROVIDER_TEST_URL it
 * prints "ok - skipped" (the unit-test runner calls it bare).
 *   link HINT          authorize (auto-consent) + code exchange + address; secret to the file
 *   sync mail|events|folder   one pass; cursor read from / written to PROVIDER_TEST_CURSOR
 *   push create KEY UID START TITLE ATTENDEE | update ID ETAG START TITLE | delete ID
 *        | send SUBJECT TO | folder_setup | folder_move ID
 *                      one outgoing item (event times 30 min, America/Chicago)
 *   subscribe mail|events NOTIFY_URL TOKEN [CHANNEL_ID [RESOURCE_ID]]
 *                      create (or renew) a webhook subscription
 * Env: PROVIDER_TEST_PROVIDER, PROVIDER_TEST_SECRET (file), PROVIDER_TEST_SINCE (epoch),
 * PROVIDER_TEST_TIMEOUT_MS (caps each request's timeout), PROVIDER_TEST_SETTINGS (JSON). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "live_allow.h"
#include "providers/google.h"
#include "providers/graph.h"
#include "providers/mime.h"
#include "providers/nylas.h"
#include "providers/oauth.h"

#include "live_http.h"
#include "step_sink.h"

static char *read_file(const char *path)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f)
		return NULL;
	char *s = calloc(1, 1 << 20);
	size_t n = fread(s, 1, (1 << 20) - 1, f);
	fclose(f);
	if (!n) {
		free(s);
		return NULL;
	}
	return s;
}

static int write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(s, f);
	return fclose(f);
}

struct collect {
	json_t *msgs, *events;
	int commits, secrets;
	const char *cursor_file, *secret_file;
};

static json_t *addr_json(const struct addr *a)
{
	return json_string(a->email ? a->email : "");
}

static int sink_commit(void *ctx, enum stream s, struct msg_list *msgs, struct event_list *ev,
    const char *cursor)
{
	struct collect *col = ctx;
	(void)s;
	for (size_t i = 0; i < msgs->n; i++) {
		struct sync_msg *m = &msgs->v[i];
		json_t *to = json_array();
		for (size_t k = 0; k < m->n_to; k++)
			json_array_append_new(to, addr_json(&m->to[k]));
		json_array_append_new(col->msgs, json_pack("{s:s?, s:i, s:s?, s:s?, s:s?, s:o, s:s?}",
		    "provider_id", m->provider_id, "folder", (int)m->folder, "message_id", m->message_id,
		    "subject", m->subject, "from", m->from.email, "to", to, "body", m->body_text));
	}
	for (size_t i = 0; i < ev->n; i++) {
		struct sync_event *e = &ev->v[i];
		json_t *atts = json_array();
		for (size_t k = 0; k < e->n_attendees; k++)
			json_array_append_new(atts, json_pack("{s:s, s:s?}", "email", e->attendees[k].who.email,
			    "partstat", e->attendees[k].partstat));
		json_array_append_new(col->events, json_pack("{s:s?, s:s?, s:s?, s:I, s:i, s:i, s:i, s:i, s:s?, s:s?, s:s?, s:s?, s:o}",
		    "provider_id", e->provider_id, "uid", e->uid, "recurrence_id", e->recurrence_id,
		    "start", (json_int_t)e->start, "duration", e->duration_min, "all_day", e->all_day,
		    "deleted", e->deleted, "cancelled", e->cancelled, "tzid", e->tzid, "title", e->title,
		    "location", e->location, "organizer", e->organizer.email, "attendees", atts));
	}
	msg_list_free(msgs);
	event_list_free(ev);
	col->commits++;
	return write_file(col->cursor_file, cursor);
}

static int sink_secret(void *ctx, const char *secret)
{
	struct collect *col = ctx;
	col->secrets++;
	return write_file(col->secret_file, secret);
}

static void cfg_of(const char *prov, const char *base, struct provider_cfg *cfg, char bufs[6][512])
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(bufs[0], 512, "%s-client-id", prov);
	snprintf(bufs[1], 512, "%s-client-secret", prov);
	if (strcmp(prov, "google") == 0) {
		snprintf(bufs[2], 512, "%s/google/o/oauth2/v2/auth", base);
		snprintf(bufs[3], 512, "%s/google/token", base);
		snprintf(bufs[4], 512, "%s/google", base);
		snprintf(bufs[5], 512, "%s/google/calendar/v3", base);
	} else if (strcmp(prov, "microsoft") == 0) {
		snprintf(bufs[2], 512, "%s/microsoft/common/oauth2/v2.0/authorize", base);
		snprintf(bufs[3], 512, "%s/microsoft/common/oauth2/v2.0/token", base);
		snprintf(bufs[4], 512, "%s/microsoft/v1.0", base);
		bufs[5][0] = 0;
	} else {
		snprintf(bufs[2], 512, "%s/nylas/v3/connect/auth", base);
		snprintf(bufs[3], 512, "%s/nylas/v3/connect/token", base);
		snprintf(bufs[4], 512, "%s/nylas", base);
		bufs[5][0] = 0;
	}
	cfg->client_id = bufs[0];
	cfg->client_secret = bufs[1];
	cfg->auth_url = bufs[2];
	cfg->token_url = bufs[3];
	cfg->api_base = bufs[4];
	cfg->calendar_base = bufs[5][0] ? bufs[5] : NULL;
}

static const struct provider *driver_of(const char *prov)
{
	if (strcmp(prov, "google") == 0)
		return &google_provider;
	if (strcmp(prov, "microsoft") == 0)
		return &graph_provider;
	return &nylas_provider;
}

static void print_json(json_t *out)
{
	char *s = json_dumps(out, JSON_COMPACT);
	puts(s);
	free(s);
	json_decref(out);
}

/* Authorize with auto-consent, exchange the code, read the address. */
static int run_link(const struct provider_cfg *cfg, const char *prov, const char *hint, const char *secret_file)
{
	char verifier[65], challenge[44], err[256] = "";
	const char *redirect = "http://127.0.0.1:9/oauth/callback";
	char *url, *secret = NULL, *address = NULL, *code = NULL;
	struct http_req req = { 0 };
	struct http_resp resp;
	struct buf b = { 0 };
	struct hdrs h;
	int rc = -1, shared = 0;

	oauth_pkce_verifier(verifier, sizeof verifier);
	oauth_pkce_challenge(verifier, challenge, sizeof challenge);
	url = oauth_authorize_url(cfg, prov, redirect, "st4te", challenge, hint);
	req.method = "GET";
	req.url = url;
	perform(&req, &resp, &b, &h);
	const char *c = resp.location ? strstr(resp.location, "code=") : NULL;
	if (c) {
		code = strndup(c + 5, strcspn(c + 5, "&"));
		rc = oauth_exchange_code(cfg, prov, code, verifier, redirect, &secret, err, sizeof err);
		if (rc == 0) {
			write_file(secret_file, secret);
			rc = oauth_fetch_address(cfg, prov, secret, &address, &shared, err, sizeof err);
		}
	} else {
		snprintf(err, sizeof err, "authorize: HTTP %ld, no code (%s) %s", resp.status, resp.error ? resp.error : "", url ? url : "no url");
	}
	print_json(json_pack("{s:i, s:s?, s:i, s:s, s:b}", "status", rc, "address", address, "shared", shared,
	    "error", err, "state_ok", resp.location && strstr(resp.location, "state=st4te") != NULL));
	free(url);
	free(code);
	free(secret);
	free(address);
	free(b.p);
	return 0;
}

static int run_sync(const struct provider_cfg *cfg, const char *prov, const char *stream, const char *secret_file)
{
	struct collect col = { json_array(), json_array(), 0, 0, getenv("PROVIDER_TEST_CURSOR"), secret_file };
	struct test_sink sink = { .ctx = &col, .commit = sink_commit, .save_secret = sink_secret };
	const struct provider *d = driver_of(prov);
	char *cursor = read_file(col.cursor_file), *secret = read_file(secret_file);
	struct prov_link l = { 1, getenv("PROVIDER_TEST_ADDRESS"), getenv("PROVIDER_TEST_SETTINGS"), secret,
		getenv("PROVIDER_TEST_SINCE") ? atoll(getenv("PROVIDER_TEST_SINCE")) : 0, cfg,
		getenv("PROVIDER_TEST_NOW") ? atoll(getenv("PROVIDER_TEST_NOW")) : 0, 0,
		getenv("PROVIDER_TEST_OWNER_TZ"), NULL, 0 };
	struct pass *p = NULL;
	struct http_req req = { 0 };
	struct http_resp resp;
	struct buf b = { 0 };
	struct hdrs h;
	long retry = 0;
	int steps = 0, requests = 0, rc;

	rc = d->begin(&l, strcmp(stream, "mail") == 0 ? STREAM_MAIL : strcmp(stream, "folder") == 0 ?
	    STREAM_FOLDER : STREAM_EVENTS, cursor, &p);
	if (rc == PROV_OK) {
		rc = test_step(d->step, p, NULL, &req, &sink, &retry);
		while (rc == STEP_MORE && steps++ < 2000) {
			perform(&req, &resp, &b, &h);
			requests++;
			http_req_clear(&req);
			rc = test_step(d->step, p, &resp, &req, &sink, &retry);
		}
		http_req_clear(&req);
		d->end(p);
	}
	print_json(json_pack("{s:i, s:i, s:I, s:i, s:i, s:o, s:o}", "status", rc, "commits", col.commits,
	    "retry_after", (json_int_t)retry, "secrets_saved", col.secrets, "requests", requests,
	    "msgs", col.msgs, "events", col.events));
	free(cursor);
	free(secret);
	free(b.p);
	return 0;
}

static int save_progress(void *ctx, const char *progress)
{
	(void)ctx;
	fprintf(stderr, "progress: %s\n", progress);
	return 0;
}

static int run_push(const struct provider_cfg *cfg, const char *prov, int argc, char **argv,
    const char *secret_file)
{
	struct collect col = { json_array(), json_array(), 0, 0, "/dev/null", secret_file };
	struct test_sink sink = { .ctx = &col, .commit = sink_commit, .save_secret = sink_secret };
	const struct provider *d = driver_of(prov);
	char *secret = read_file(secret_file), *raw = NULL;
	struct prov_link l = { 1, getenv("PROVIDER_TEST_ADDRESS"), getenv("PROVIDER_TEST_SETTINGS"), secret, 0, cfg, 0, 0, NULL, NULL, 0 };
	struct attendee att = { { NULL, NULL }, NULL };
	struct sync_event ev = { 0 };
	struct push_item it = { .save_progress = save_progress };
	sink.it = &it;
	struct push_result res = { 0 };
	struct addr to = { NULL, NULL };
	struct sync_msg m = { 0 };
	struct pass *p = NULL;
	struct http_req req = { 0 };
	struct http_resp resp;
	struct buf b = { 0 };
	struct hdrs h;
	long retry = 0;
	int rc = PROV_PERM;
	const char *k = argv[2];

	ev.tzid = "America/Chicago";
	ev.duration_min = 30;
	if (!strcmp(k, "create") && argc >= 8) {
		it.kind = PUSH_EVENT_CREATE;
		it.idempotency_key = argv[3];
		ev.uid = argv[4];
		ev.start = atoll(argv[5]);
		ev.title = argv[6];
		att.who.email = argv[7];
		ev.attendees = &att;
		ev.n_attendees = 1;
	} else if (!strcmp(k, "update") && argc >= 7) {
		it.kind = PUSH_EVENT_UPDATE;
		it.provider_id = argv[3];
		it.etag = *argv[4] ? argv[4] : NULL;
		ev.start = atoll(argv[5]);
		ev.title = argv[6];
	} else if (!strcmp(k, "delete") && argc >= 4) {
		it.kind = PUSH_EVENT_DELETE;
		it.provider_id = argv[3];
	} else if (!strcmp(k, "folder_setup")) {
		it.kind = PUSH_FOLDER_SETUP;
		it.idempotency_key = "folder-setup";
	} else if (!strcmp(k, "folder_move") && argc >= 4) {
		it.kind = PUSH_FOLDER_MOVE;
		it.provider_id = argv[3];
	} else if (!strcmp(k, "send") && argc >= 5) {
		char *mid = mime_new_message_id("crm.example");
		to.email = argv[4];
		struct mime_out mo = { .from_email = l.address, .to = &to, .n_to = 1, .subject = argv[3],
			.message_id = mid, .body = "Sent from the CRM." };
		it.kind = PUSH_MAIL_SEND;
		it.raw = raw = mime_build(&mo, &it.raw_len);
		char e2[100];
		mime_parse(raw, it.raw_len, &m, e2, sizeof e2);
		it.mail = &m;
		free(mid);
	}
	it.event = &ev;
	if (it.kind || it.provider_id || it.idempotency_key || it.raw)
		rc = d->push_begin(&l, &it, &res, &p);
	if (rc == PROV_OK) {
		rc = test_step(d->push_step, p, NULL, &req, &sink, &retry);
		while (rc == STEP_MORE) {
			perform(&req, &resp, &b, &h);
			http_req_clear(&req);
			rc = test_step(d->push_step, p, &resp, &req, &sink, &retry);
		}
		http_req_clear(&req);
		d->end(p);
	}
	print_json(json_pack("{s:i, s:s?, s:s?, s:s?, s:i, s:i, s:s, s:i}", "status", rc,
	    "provider_id", res.provider_id, "etag", res.etag, "uid", res.uid, "conflict",
	    res.conflict, "gone", res.gone, "error", res.error, "secrets_saved", col.secrets));
	free(res.provider_id);
	free(res.listed_id);
	free(res.etag);
	free(res.uid);
	msg_free(&m);
	free(raw);
	free(secret);
	free(b.p);
	json_decref(col.msgs);
	json_decref(col.events);
	return 0;
}

static int run_subscribe(const struct provider_cfg *cfg, const char *prov, int argc, char **argv,
    const char *secret_file)
{
	struct collect col = { json_array(), json_array(), 0, 0, "/dev/null", secret_file };
	struct test_sink sink = { .ctx = &col, .commit = sink_commit, .save_secret = sink_secret };
	const struct provider *d = driver_of(prov);
	char *secret = read_file(secret_file);
	struct prov_link l = { 1, getenv("PROVIDER_TEST_ADDRESS"), getenv("PROVIDER_TEST_SETTINGS"), secret, 0, cfg, 0, 0, NULL, NULL, 0 };
	struct subscription sub = { 0 };
	struct pass *p = NULL;
	struct http_req req = { 0 };
	struct http_resp resp;
	struct buf b = { 0 };
	struct hdrs h;
	long retry = 0;
	int rc = PROV_PERM, offered = d->subscribe_begin != NULL;

	if (argc >= 5) {
		sub.token = strdup(argv[4]);
		sub.channel_id = argc >= 6 ? strdup(argv[5]) : NULL;
		sub.resource_id = argc >= 7 ? strdup(argv[6]) : NULL;
		if (offered)
			rc = d->subscribe_begin(&l, strcmp(argv[2], "mail") == 0 ? STREAM_MAIL : STREAM_EVENTS,
			    argv[3], &sub, &p);
	}
	if (rc == PROV_OK) {
		rc = test_step(d->subscribe_step, p, NULL, &req, &sink, &retry);
		while (rc == STEP_MORE) {
			perform(&req, &resp, &b, &h);
			http_req_clear(&req);
			rc = test_step(d->subscribe_step, p, &resp, &req, &sink, &retry);
		}
		http_req_clear(&req);
		d->end(p);
	}
	print_json(json_pack("{s:i, s:b, s:s?, s:s?, s:I}", "status", rc, "offered", offered,
	    "channel_id", sub.channel_id, "resource_id", sub.resource_id, "expires_at",
	    (json_int_t)sub.expires_at));
	subscription_clear(&sub);
	free(secret);
	free(b.p);
	json_decref(col.msgs);
	json_decref(col.events);
	return 0;
}

int main(int argc, char **argv)
{
	const char *base = getenv("PROVIDER_TEST_URL"), *prov = getenv("PROVIDER_TEST_PROVIDER");
	const char *secret_file = getenv("PROVIDER_TEST_SECRET");
	struct provider_cfg cfg;
	char bufs[6][512];

	if (!base || !prov || !secret_file || argc < 3) {
		puts("ok - skipped (PROVIDER_TEST_URL not set)");
		return 0;
	}
	live_cap_ms = getenv("PROVIDER_TEST_TIMEOUT_MS") ? atol(getenv("PROVIDER_TEST_TIMEOUT_MS")) : 0;
	curl_global_init(CURL_GLOBAL_ALL);
	if (live_allow(base, NULL) != 0)
		return 1;
	cfg_of(prov, base, &cfg, bufs);
	int rc = strcmp(argv[1], "link") == 0 ? run_link(&cfg, prov, argv[2], secret_file) :
	    strcmp(argv[1], "push") == 0 ? run_push(&cfg, prov, argc, argv, secret_file) :
	    strcmp(argv[1], "subscribe") == 0 ? run_subscribe(&cfg, prov, argc, argv, secret_file) :
	    run_sync(&cfg, prov, argv[2], secret_file);
	curl_global_cleanup();
	return rc;
}
