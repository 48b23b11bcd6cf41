/* The private calendar feed: its settings page (GET/POST /settings/feed: on, off, a new URL) and
 * the feed itself (GET /feeds/{secret}.ics, no session: the secret in the URL is the key; only
 * its hash is stored, so its address is shown once, on the page that made it), the
 * user's appointments from 90 days back to 365 days ahead as RFC 5545 text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/crypto.h"
#include "core/db_feed.h"
#include "core/feed_ics.h"
#include "core/log.h"
#include "web/web.h"

#define FEED_SECRET_BYTES 32
#define FEED_PAST_DAYS 90
#define FEED_AHEAD_DAYS 365

/* The settings page; secret is the new secret right after it was made (its address is shown
 * this once: only its hash is kept), else NULL. */
static int show(struct ctx *c, const char *secret, const char *result)
{
	struct view *v = NULL;
	int on = 0, st = 500;
	if (db_feed_on(c->db, c->user.id, &on) != 0 || !(v = view_new()))
		goto done;
	const char *base = c->w->cfg->base_url ? c->w->cfg->base_url : "";
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	view_int(v, "on", on);
	if (secret)
		view_strf(v, "url", "%.*s/feeds/%s.ics", (int)bl, base, secret);
	else
		view_str(v, "url", "");
	view_str(v, "notice", !result ? "" : strcmp(result, "on") == 0 ? "The feed is on." :
	    strcmp(result, "off") == 0 ? "The feed is off; its old address no longer works." :
	    strcmp(result, "regenerate") == 0 ? "New address made; the old one no longer works." : "");
	view_str(v, "csrf", c->csrf);
	st = page_render(c, "feed", "Calendar feed", v, 200);
done:
	view_free(v);
	return st;
}

static int change(struct ctx *c)
{
	const char *what = f_get(c, "feed");
	char secret[2 * FEED_SECRET_BYTES + 4];
	int on = 0;
	if (!what)
		return page_error(c, 400, "Choose to turn the feed on or off, or make a new address.");
	if (db_feed_on(c->db, c->user.id, &on) != 0)
		return 500;
	int rc = 0, made = 0;
	if (strcmp(what, "off") == 0) {
		rc = db_feed_secret_set(c->db, c->user.id, NULL);
	} else if (strcmp(what, "regenerate") == 0 || !on) {
		crypto_token(secret, sizeof secret, FEED_SECRET_BYTES);
		rc = db_feed_secret_set(c->db, c->user.id, secret);
		made = 1;
	}
	if (rc != 0)
		return 500;
	log_info("feed of user %lld: %s", (long long)c->user.id, what);
	if (made)   /* the one time the address can be shown */
		return show(c, secret, what);
	char url[64];
	snprintf(url, sizeof url, "/settings/feed?result=%s", what);
	return resp_redirect(c->resp, url);
}

int page_feed_settings(struct ctx *c)
{
	return strcmp(c->req->method, "POST") == 0 ? change(c) : show(c, NULL, q_get(c, "result"));
}

int page_feed(struct ctx *c)
{
	int64_t user_id = 0, now = time(NULL);
	struct feed_rows rows = { 0 };
	char *ics = NULL;
	int st = 500;
	/* 32 random bytes are 43 base64url characters */
	if (!c->arg || strlen(c->arg) != 43)
		return page_error(c, 404, NULL);
	int rc = db_feed_user_by_secret(c->db, c->arg, &user_id);
	if (rc != 0) {
		st = rc == 1 ? page_error(c, 404, NULL) : 500;
		goto done;
	}
	if (db_feed_events(c->db, user_id, now - FEED_PAST_DAYS * 86400LL,
	    now + FEED_AHEAD_DAYS * 86400LL, &rows) != 0)
		goto done;
	if (!(ics = feed_ics_build(rows.v, rows.n, "CRM calendar", now)))
		goto done;
	buf_free(&c->resp->body);
	buf_puts(&c->resp->body, ics);
	if (c->resp->body.oom)
		goto done;
	c->resp->content_type = "text/calendar; charset=utf-8";
	st = 200;
done:
	free(ics);
	feed_rows_free(&rows);
	return st;
}
