/* Provider webhooks (no session, no CSRF: each verifies its caller instead, then wakes the link
 * so crm-sync pulls at once): POST /hooks/google (Calendar watch channels), /hooks/graph
 * (subscriptions, with the validationToken handshake), GET/POST /hooks/nylas (challenge, and
 * X-Nylas-Signature = hex HMAC-SHA256 of the raw body). Forged calls wake nothing. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "core/crypto.h"
#include "core/db_link_flow.h"
#include "core/log.h"
#include "web/web.h"

#define HOOK_ITEMS_MAX 100   /* notifications looked at per call */

/* A request header by its CGI name ("HTTP_X_GOOG_CHANNEL_ID"), or NULL. Borrowed. */
static const char *header(const struct ctx *c, const char *cgi_name)
{
	size_t n = strlen(cgi_name);
	for (char **e = c->req->envp; e && *e; e++)
		if (strncmp(*e, cgi_name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static int text_answer(struct ctx *c, int status, const char *text)
{
	c->resp->content_type = "text/plain; charset=utf-8";
	buf_puts(&c->resp->body, text);
	return status;
}

/* The channel's token equals token (constant time): wake its link. 1 woken, 0 refused, -1. */
static int channel_wake(struct ctx *c, const char *channel, const char *token, int64_t *link)
{
	char *want = NULL;
	int rc = db_push_channel_find(c->db, channel, link, &want);
	if (rc != 0) {
		free(want);
		return rc < 0 ? -1 : 0;
	}
	int ok = token && crypto_streq(want, token);
	free(want);
	if (!ok)
		return 0;
	return db_links_wake(c->db, *link) == 0 ? 1 : -1;
}

int page_hook_google(struct ctx *c)
{
	const char *channel = header(c, "HTTP_X_GOOG_CHANNEL_ID");
	const char *token = header(c, "HTTP_X_GOOG_CHANNEL_TOKEN");
	const char *state = header(c, "HTTP_X_GOOG_RESOURCE_STATE");
	int64_t link = 0;
	if (!channel || !state)
		return text_answer(c, 400, "missing channel headers\n");
	if (strcmp(state, "sync") == 0)   /* the handshake after watch: nothing changed yet */
		return text_answer(c, 200, "ok\n");
	char *want = NULL;
	int rc = db_push_channel_find(c->db, channel, &link, &want);
	int ok = rc == 0 && token && crypto_streq(want, token);
	free(want);
	if (rc < 0)
		return text_answer(c, 500, "error\n");
	if (!ok) {
		log_info("google webhook refused: channel %.64s unknown or token wrong", channel);
		return text_answer(c, 403, "forbidden\n");
	}
	if (db_links_wake(c->db, link) != 0)
		return text_answer(c, 500, "error\n");
	log_debug("google webhook: link %lld woken (%s)", (long long)link, state);
	return text_answer(c, 200, "ok\n");
}

int page_hook_graph(struct ctx *c)
{
	const char *validation = q_get(c, "validationToken");
	if (validation)   /* subscription handshake: echo the token as text */
		return text_answer(c, 200, validation);
	json_error_t jerr;
	json_t *root = c->req->body ? json_loadb(c->req->body, c->req->body_len, 0, &jerr) : NULL;
	json_t *items = json_object_get(root, "value");
	int woken = 0, refused = 0;
	if (!json_is_array(items)) {
		json_decref(root);
		return text_answer(c, 400, "expected a JSON object with value[]\n");
	}
	for (size_t i = 0; i < json_array_size(items) && i < HOOK_ITEMS_MAX; i++) {
		json_t *it = json_array_get(items, i);
		const char *sub = json_string_value(json_object_get(it, "subscriptionId"));
		const char *state = json_string_value(json_object_get(it, "clientState"));
		int64_t link = 0;
		int rc = sub ? channel_wake(c, sub, state, &link) : 0;
		if (rc < 0) {
			json_decref(root);
			return text_answer(c, 500, "error\n");
		}
		if (rc == 1)
			woken++;
		else
			refused++;
	}
	json_decref(root);
	if (refused)
		log_info("graph webhook: %d notification(s) refused (unknown subscription or wrong "
		    "clientState)", refused);
	if (!woken && refused)
		return text_answer(c, 403, "forbidden\n");
	return text_answer(c, 202, "");
}

/* 1 if sig (hex, any case) is the HMAC-SHA256 of body with secret; constant time. */
static int nylas_signature_ok(const char *secret, const char *body, size_t len, const char *sig)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char hex[2 * sizeof mac + 1], got[2 * sizeof mac + 1];
	crypto_auth_hmacsha256_state st;
	if (!secret || !*secret || !sig || strlen(sig) != 2 * sizeof mac)
		return 0;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)(body ? body : ""), len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
	for (size_t i = 0; i <= 2 * sizeof mac; i++)
		got[i] = (char)tolower((unsigned char)sig[i]);
	return crypto_streq(hex, got);
}

int page_hook_nylas(struct ctx *c)
{
	if (strcmp(c->req->method, "POST") != 0) {
		const char *challenge = q_get(c, "challenge");
		return challenge ? text_answer(c, 200, challenge) : text_answer(c, 400, "no challenge\n");
	}
	const char *secret = c->w->cfg->nylas.webhook_secret;
	if (!nylas_signature_ok(secret, c->req->body, c->req->body_len,
	    header(c, "HTTP_X_NYLAS_SIGNATURE"))) {
		log_info("nylas webhook refused: signature missing or wrong");
		return text_answer(c, 401, "bad signature\n");
	}
	json_t *root = c->req->body ? json_loadb(c->req->body, c->req->body_len, 0, NULL) : NULL;
	json_t *obj = json_object_get(json_object_get(root, "data"), "object");
	const char *grant = json_string_value(json_object_get(obj, "grant_id"));
	int64_t link = grant ? db_link_by_grant(c->db, grant) : 0;
	json_decref(root);
	if (link < 0)
		return text_answer(c, 500, "error\n");
	if (link > 0 && db_links_wake(c->db, link) != 0)
		return text_answer(c, 500, "error\n");
	if (link == 0)
		log_info("nylas webhook: no active link for the grant");
	return text_answer(c, 200, "ok\n");
}
