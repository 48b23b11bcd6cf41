/* Sessions in the crm_session cookie (the database keeps only its hash), a CSRF token per
 * session, and a double-submit cookie for the login form before there is a session. */
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

void session_pre_csrf(struct ctx *c, int create)
{
	const char *pre = c->req->cookie_pre;
	size_t n = pre ? strlen(pre) : 0;
	int ok = n >= 20 && n < SESSION_TOKEN_MAX;
	for (size_t i = 0; ok && i < n; i++)
		ok = (pre[i] >= 'A' && pre[i] <= 'Z') || (pre[i] >= 'a' && pre[i] <= 'z') ||
		    (pre[i] >= '0' && pre[i] <= '9') || pre[i] == '-' || pre[i] == '_';
	if (ok) {
		snprintf(c->csrf, sizeof c->csrf, "%s", pre);
		return;
	}
	if (!create)
		return;
	crypto_token(c->csrf, sizeof c->csrf, 24);
	resp_cookie(c->resp, "crm_pre=%s" COOKIE_FLAGS "%s", c->csrf, c->req->https ? "; Secure" : "");
}

int csrf_ok(const struct ctx *c)
{
	const char *sent = f_get(c, "csrf");
	return sent && c->csrf[0] && crypto_streq(sent, c->csrf);
}
