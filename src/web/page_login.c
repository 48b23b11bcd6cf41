/* Log in: the form, and checking a password with throttling per e-mail and client address. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/addr.h"
#include "core/log.h"
#include "web/web.h"

#define LOGIN_WINDOW (15 * 60)     /* failures counted over, and lock length, in seconds */
#define LOGIN_MAX_EMAIL 5          /* failures for one e-mail before it locks */
#define LOGIN_MAX_ADDR 50          /* failures from one client address (shared offices, NAT) */

static int login_form(struct ctx *c, const char *error, int status)
{
	struct view *v = view_new();
	if (!v)
		return 500;
	const char *next = q_get(c, "next") ? q_get(c, "next") : f_get(c, "next");
	view_str(v, "csrf", c->csrf);
	view_str(v, "error", error ? error : "");
	view_str(v, "email", f_get(c, "email") ? f_get(c, "email") : "");
	view_str(v, "next", next ? next : "/calendar");
	int st = page_render(c, "login", "Log in", v, status);
	view_free(v);
	return st;
}

/* Returns 1 and a message when the e-mail or the address is locked out. */
static int login_locked(struct ctx *c, const char *kemail, const char *kaddr, char *msg,
    size_t size)
{
	int64_t until = 0, now = time(NULL);
	int a = db_login_locked(c->db, kemail, now, &until);
	int b = a == 1 ? 0 : db_login_locked(c->db, kaddr, now, &until);
	if (a != 1 && b != 1)
		return 0;
	long mins = (long)((until - now + 59) / 60);
	snprintf(msg, size, "Too many failed attempts. Log-in is blocked for %ld more minute%s; "
	    "try again later.", mins, mins == 1 ? "" : "s");
	return 1;
}

int page_login(struct ctx *c)
{
	if (strcmp(c->req->method, "POST") != 0) {
		if (c->logged_in)
			return resp_redirect(c->resp, "/calendar");
		session_pre_csrf(c, 1);
		return login_form(c, NULL, 200);
	}
	const char *email = f_get(c, "email"), *password = f_get(c, "password");
	const char *next = f_get(c, "next");
	char norm[256], kemail[300], kaddr[100], msg[200];
	if (!email || !password || !*email || !*password)
		return login_form(c, "Enter your e-mail address and password.", 400);
	if (!addr_normalize(email, norm, sizeof norm))
		norm[0] = '\0';
	snprintf(kemail, sizeof kemail, "email:%s", norm);
	snprintf(kaddr, sizeof kaddr, "addr:%s", c->req->remote_addr);
	if (login_locked(c, kemail, kaddr, msg, sizeof msg))
		return login_form(c, msg, 429);
	int64_t uid = 0;
	int rc = db_users_check_password(c->db, email, password, &uid);
	if (rc < 0)
		return 500;
	if (rc == 1) {
		int64_t now = time(NULL);
		db_login_failed(c->db, kemail, now, LOGIN_MAX_EMAIL, LOGIN_WINDOW);
		db_login_failed(c->db, kaddr, now, LOGIN_MAX_ADDR, LOGIN_WINDOW);
		log_info("login failed for %s from %s", norm, c->req->remote_addr);
		if (login_locked(c, kemail, kaddr, msg, sizeof msg))
			return login_form(c, msg, 429);
		return login_form(c, "The e-mail address or password is wrong.", 200);
	}
	db_login_clear(c->db, kemail);
	if (session_start(c, uid) != 0)
		return 500;
	return resp_redirect(c->resp, next && next[0] == '/' ? next : "/calendar");
}
