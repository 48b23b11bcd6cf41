/* Sessions in the crm_session cookie (the database keeps only its hash), a CSRF token per
 * session, and a double-submit cookie for the login form before there is a session: crm_pre is
 * TOKEN.MAC, the MAC made with the secrets key, so only a cookie this server issued counts. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/crypto.h"
#include "core/log.h"
#include "web/web.h"

#define COOKIE_FLAGS "; Path=/; HttpOnly; SameSite=Lax"

int session_load(struct ctx *c)
{
	int64_t uid;
	c->logged_in = 0;
	if (!c->req->cookie_session)
		return 0;
	int rc = db_sessions_get(c->db, c->req->cookie_session, &uid, c->csrf);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return 0;
	rc = db_users_get(c->db, uid, &c->user);
	if (rc < 0)
		return -1;
	if (rc == 0)
		c->logged_in = 1;
	return 0;
}

int session_start(struct ctx *c, int64_t user_id)
{
	char token[SESSION_TOKEN_MAX];
	if (db_sessions_create(c->db, user_id, c->w->cfg->session_hours, token, c->csrf) != 0)
		return -1;
	resp_cookie(c->resp, "crm_session=%s; Max-Age=%d" COOKIE_FLAGS "%s", token,
	    c->w->cfg->session_hours * 3600, c->req->https ? "; Secure" : "");
	resp_cookie(c->resp, "crm_pre=; Max-Age=0" COOKIE_FLAGS "%s", c->req->https ? "; Secure" : "");
	return 0;
}

int session_end(struct ctx *c)
{
	int rc = 0;
	if (c->req->cookie_session)
		rc = db_sessions_delete(c->db, c->req->cookie_session);
	resp_cookie(c->resp, "crm_session=; Max-Age=0" COOKIE_FLAGS "%s",
	    c->req->https ? "; Secure" : "");
	c->logged_in = 0;
	return rc;
}

/* The key crm_pre is signed with: the secrets key, or one random per process when none is
 * loaded (pre-login cookies then last until a restart). */
static uint8_t pre_key_random[CRYPTO_KEY_BYTES];
static pthread_once_t pre_key_once = PTHREAD_ONCE_INIT;

static void pre_key_init(void)
{
	randombytes_buf(pre_key_random, sizeof pre_key_random);
}

/* The MAC of a pre-login token into mac (44 bytes). */
static void pre_mac(const struct ctx *c, const char *token, char mac[44])
{
	char msg[SESSION_TOKEN_MAX + 16];
	const uint8_t *key = c->w->key;
	if (!key) {
		pthread_once(&pre_key_once, pre_key_init);
		key = pre_key_random;
	}
	snprintf(msg, sizeof msg, "crm_pre|%s", token);
	if (!crypto_hmac_b64url(key, msg, mac, 44))
		mac[0] = '\0';
}

/* 1 if value is TOKEN.MAC with a token of ours and its right MAC; the token into token. */
static int pre_valid(const struct ctx *c, const char *value, char token[SESSION_TOKEN_MAX])
{
	const char *dot = value ? strchr(value, '.') : NULL;
	size_t n = dot ? (size_t)(dot - value) : 0;
	int ok = n >= 20 && n < SESSION_TOKEN_MAX;
	for (size_t i = 0; ok && i < n; i++)
		ok = (value[i] >= 'A' && value[i] <= 'Z') || (value[i] >= 'a' && value[i] <= 'z') ||
		    (value[i] >= '0' && value[i] <= '9') || value[i] == '-' || value[i] == '_';
	if (!ok)
		return 0;
	char mac[44];
	memcpy(token, value, n);
	token[n] = '\0';
	pre_mac(c, token, mac);
	return mac[0] && crypto_streq(mac, dot + 1);
}

void session_pre_csrf(struct ctx *c, int create)
{
	char token[SESSION_TOKEN_MAX], mac[44];
	if (pre_valid(c, c->req->cookie_pre, token)) {
		snprintf(c->csrf, sizeof c->csrf, "%s", token);
		return;
	}
	if (!create)
		return;
	crypto_token(c->csrf, sizeof c->csrf, 24);
	pre_mac(c, c->csrf, mac);
	resp_cookie(c->resp, "crm_pre=%s.%s" COOKIE_FLAGS "%s", c->csrf, mac,
	    c->req->https ? "; Secure" : "");
}

int csrf_ok(const struct ctx *c)
{
	const char *sent = f_get(c, "csrf");
	return sent && c->csrf[0] && crypto_streq(sent, c->csrf);
}
