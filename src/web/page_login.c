/* Log in: the form, and checking a password with throttling that cannot lock others out.
 * Failures are counted per (account, client address) pair: after PAIR_FREE of them each one
 * more doubles a delay from PAIR_BASE up to PAIR_CAP, so a guesser is slowed while the account's
 * owner, from any client that has not failed, logs in as usual. A client address that fails for
 * many accounts (spraying) gets a delay of its own, growing from one second and capped at
 * ADDR_CAP, so neighbours behind the same NAT are slowed, never locked out. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/addr.h"
#include "core/log.h"
#include "web/web.h"

#define PAIR_WINDOW (24 * 3600)   /* a pair's failures are counted over a day */
#define PAIR_FREE 3               /* failures of a pair before delays start */
#define PAIR_BASE 30              /* the first delay, seconds */
#define PAIR_CAP (15 * 60)        /* the longest delay, seconds */
#define ADDR_WINDOW 3600          /* an address's failures are counted over an hour */
#define ADDR_FREE 50              /* failures from one address (offices, NAT) before delays */
#define ADDR_CAP 60               /* the longest delay for a whole address, seconds */

/* The delay, in seconds, that the n-th failure earns: 0 while n <= free, then base doubling
 * per failure up to cap. */
static int64_t login_delay(int n, int free, int64_t base, int64_t cap)
{
	if (n <= free)
		return 0;
	int64_t d = base;
	for (int i = free + 1; i < n && d < cap; i++)
		d *= 2;
	return d < cap ? d : cap;
}

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

/* Returns 1 and a message when the pair or the address must wait. */
static int login_locked(struct ctx *c, const char *kpair, const char *kaddr, char *msg,
    size_t size)
{
	int64_t until = 0, now = time(NULL);
	int a = db_login_locked(c->db, kpair, now, &until);
	int b = a == 1 ? 0 : db_login_locked(c->db, kaddr, now, &until);
	if (a != 1 && b != 1)
		return 0;
	long secs = (long)(until - now);
	if (secs < 60)
		snprintf(msg, size, "Too many failed attempts. Try again in %ld second%s.", secs,
		    secs == 1 ? "" : "s");
	else
		snprintf(msg, size, "Too many failed attempts. Try again in %ld minute%s.",
		    (secs + 59) / 60, (secs + 59) / 60 == 1 ? "" : "s");
	return 1;
}

/* Count a failure for key and set the delay it earns. */
static void login_failed(struct ctx *c, const char *key, int window, int free, int64_t base,
    int64_t cap)
{
	int64_t now = time(NULL);
	int n = 0;
	if (db_login_failed(c->db, key, now, window, &n) != 0)
		return;
	int64_t d = login_delay(n, free, base, cap);
	if (d > 0)
		db_login_lock(c->db, key, now + d);
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
	char norm[256], kpair[400], kaddr[100], msg[200];
	if (!email || !password || !*email || !*password)
		return login_form(c, "Enter your e-mail address and password.", 400);
	if (!addr_normalize(email, norm, sizeof norm))
		norm[0] = '\0';
	snprintf(kpair, sizeof kpair, "pair:%s|%s", norm, c->req->remote_addr);
	snprintf(kaddr, sizeof kaddr, "addr:%s", c->req->remote_addr);
	if (login_locked(c, kpair, kaddr, msg, sizeof msg))
		return login_form(c, msg, 429);
	int64_t uid = 0;
	int rc = db_users_check_password(c->db, email, password, &uid);
	if (rc < 0)
		return 500;
	if (rc == 1) {
		login_failed(c, kpair, PAIR_WINDOW, PAIR_FREE, PAIR_BASE, PAIR_CAP);
		login_failed(c, kaddr, ADDR_WINDOW, ADDR_FREE, 1, ADDR_CAP);
		log_info("login failed for %s from %s", norm, c->req->remote_addr);
		if (login_locked(c, kpair, kaddr, msg, sizeof msg))
			return login_form(c, msg, 429);
		return login_form(c, "The e-mail address or password is wrong.", 200);
	}
	db_login_clear(c->db, kpair);
	if (session_start(c, uid) != 0)
		return 500;
	return resp_redirect(c->resp, next && next[0] == '/' ? next : "/calendar");
}
