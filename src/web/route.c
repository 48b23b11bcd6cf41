/* The route table (method + path pattern -> page) and what happens around every page:
 * input checks, session, login redirect, CSRF, error pages. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "web/page_cache.h"
#include "web/web.h"

/* R_CACHE: a GET page that depends only on the database, the user and the URL, so a rendered
 * copy may be served while the database is unchanged (web/page_cache.h). */
enum { R_PUBLIC = 1, R_NO_SESSION = 2, R_CACHE = 4 };
/* R_NO_CSRF: a POST from a provider's server (webhook), which verifies its caller itself. */
enum { R_NO_CSRF = 8 };
/* R_ADMIN: a page for the company's admins only (403 for everyone else). */
enum { R_ADMIN = 16 };

struct route {
	const char *method;
	const char *pattern;   /* '*' is one path segment of letters, digits, '-' or '_' */
	int (*page)(struct ctx *c);
	int flags;
};

static const struct route routes[] = {
	{ "GET", "/login", page_login, R_PUBLIC },
	{ "POST", "/login", page_login, R_PUBLIC },
	{ "POST", "/logout", page_logout, 0 },
	{ "GET", "/", page_home, 0 },
	{ "GET", "/healthz", page_healthz, R_PUBLIC | R_NO_SESSION },
	{ "GET", "/calendar", page_calendar, R_CACHE },
	{ "GET", "/calendar/day", page_day, R_CACHE },
	{ "GET", "/accounts", page_accounts, 0 },
	{ "GET", "/search", page_search, 0 },
	{ "GET", "/accounts/*/calendar", page_account_calendar, R_CACHE },
	{ "GET", "/messages/*", page_message, 0 },
	{ "GET", "/attachments/*", page_attachment, 0 },
	{ "GET", "/appointments/new", page_appointment_new, 0 },
	{ "POST", "/appointments", page_appointment_new, 0 },
	{ "GET", "/appointments/*", page_appointment, 0 },
	{ "POST", "/appointments/*", page_appointment, 0 },
	{ "POST", "/appointments/*/delete", page_appointment_delete, 0 },
	{ "GET", "/contacts/*/activities", page_activities, 0 },
	{ "POST", "/contacts/*/activities", page_activities, 0 },
	/* Linking a mailbox, Sync settings, provider webhooks. */
	{ "GET", "/profile/link", page_link, 0 },
	{ "POST", "/profile/link", page_link_start, 0 },
	{ "GET", "/profile/link/imap", page_imap_link, 0 },
	{ "POST", "/profile/link/imap", page_imap_link, 0 },
	{ "GET", "/profile/link/imap/test/*", page_imap_link_test, 0 },
	{ "GET", "/profile/link/imap/proof/*", page_link_proof, 0 },
	{ "POST", "/profile/link/imap/proof/*", page_link_proof, 0 },
	{ "GET", "/oauth/callback/*", page_oauth_callback, 0 },
	{ "GET", "/settings/sync", page_settings, 0 },
	{ "POST", "/settings/sync", page_settings, 0 },
	{ "POST", "/settings/sync/block", page_block_add, 0 },
	{ "POST", "/settings/sync/unblock", page_block_remove, 0 },
	{ "POST", "/settings/sync/*", page_settings_action, 0 },
	{ "POST", "/hooks/google", page_hook_google, R_PUBLIC | R_NO_SESSION | R_NO_CSRF },
	{ "POST", "/hooks/graph", page_hook_graph, R_PUBLIC | R_NO_SESSION | R_NO_CSRF },
	{ "GET", "/hooks/nylas", page_hook_nylas, R_PUBLIC | R_NO_SESSION },
	{ "POST", "/hooks/nylas", page_hook_nylas, R_PUBLIC | R_NO_SESSION | R_NO_CSRF },
	/* Two-way: mail out, push state retry, unmatched CRM-folder mail, the calendar feed. */
	{ "GET", "/compose", page_compose, 0 },
	{ "POST", "/compose", page_compose, 0 },
	{ "POST", "/outbox/*/retry", page_outbox_retry, 0 },
	{ "GET", "/unmatched", page_unmatched, 0 },
	{ "POST", "/unmatched/*/assign", page_unmatched_assign, 0 },
	{ "POST", "/unmatched/*/discard", page_unmatched_discard, 0 },
	{ "GET", "/admin/health", page_health, R_ADMIN },
	{ "POST", "/admin/block", page_company_block_add, R_ADMIN },
	{ "POST", "/admin/unblock", page_company_block_remove, R_ADMIN },
	{ "GET", "/settings/feed", page_feed_settings, 0 },
	{ "POST", "/settings/feed", page_feed_settings, 0 },
	{ "GET", "/feeds/*.ics", page_feed, R_PUBLIC | R_NO_SESSION },
};

/* 1 if path matches pattern; the '*' segment is copied into seg. The segment ends at '/' or at
 * the pattern's next literal character (as the "." of "feeds/ * .ics"). */
static int route_match(const char *pattern, const char *path, char *seg, size_t segsize)
{
	while (*pattern && *path) {
		if (*pattern == '*') {
			size_t n = 0;
			while (path[n] && path[n] != '/' && path[n] != pattern[1]) {
				char ch = path[n];
				if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
					return 0;
				n++;
			}
			if (n == 0 || n >= segsize)
				return 0;
			memcpy(seg, path, n);
			seg[n] = '\0';
			path += n;
			pattern++;
			continue;
		}
		if (*pattern != *path)
			return 0;
		pattern++;
		path++;
	}
	return !*pattern && !*path;
}

/* Find the route; *status is 404 or 405 when there is none. */
static const struct route *route_find(const char *method, const char *path, char *seg,
    size_t segsize, int *status)
{
	int path_known = 0;
	const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (!route_match(routes[i].pattern, path, seg, segsize))
			continue;
		path_known = 1;
		if (strcmp(routes[i].method, m) == 0)
			return &routes[i];
	}
	*status = path_known ? 405 : 404;
	return NULL;
}

static int redirect_to_login(struct ctx *c)
{
	struct buf b = { 0 };
	struct buf next = { 0 };
	buf_puts(&next, c->req->path);
	if (c->req->query.n) {
		/* rebuild the query from the validated parameters only */
		for (size_t i = 0; i < c->req->query.n; i++) {
			buf_puts(&next, i ? "&" : "?");
			html_url_arg(&next, c->req->query.v[i].key);
			buf_puts(&next, "=");
			html_url_arg(&next, c->req->query.v[i].val);
		}
	}
	buf_puts(&b, "/login?next=");
	html_url_arg(&b, next.s ? next.s : "/");
	int st = resp_redirect(c->resp, b.oom ? "/login" : b.s);
	buf_free(&b);
	buf_free(&next);
	return st;
}

/* The cache key of a page: user, session CSRF token (it is in the page), path and query.
 * Returns -1 when it does not fit (the page is then simply not cached). */
static int cache_key(const struct ctx *c, char *key, size_t size)
{
	int n = snprintf(key, size, "%lld|%s|%s", (long long)c->user.id, c->csrf, c->req->path);
	for (size_t i = 0; i < c->req->query.n && n > 0 && (size_t)n < size; i++)
		n += snprintf(key + n, size - (size_t)n, "%c%s=%s", i ? '&' : '?',
		    c->req->query.v[i].key, c->req->query.v[i].val);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

static void route_dispatch(struct ctx *c, const struct route *r, int missing, int snapshot)
{
	char err[160];
	int status;
	if (!r || !(r->flags & R_NO_SESSION)) {
		if (session_load(c) != 0) {
			c->resp->status = page_error(c, 500, "The database did not answer.");
			return;
		}
		if (!c->logged_in)
			session_pre_csrf(c, 0);
	}
	if ((status = input_check(c->req, err, sizeof err)) != 0) {
		c->resp->status = page_error(c, status, err);
		return;
	}
	if (!r) {
		c->resp->status = page_error(c, missing, NULL);
		return;
	}
	int is_post = strcmp(c->req->method, "POST") == 0;
	if (!(r->flags & R_PUBLIC) && !c->logged_in) {
		c->resp->status = is_post ? page_error(c, 403, "Please log in again.") :
		    redirect_to_login(c);
		return;
	}
	if ((r->flags & R_ADMIN) && strcmp(c->user.role, "admin") != 0) {
		c->resp->status = page_error(c, 403, "This page is for the company's administrators.");
		return;
	}
	if (is_post && !(r->flags & R_NO_CSRF) && !csrf_ok(c)) {
		c->resp->status = page_error(c, 403,
		    "The form was stale or forged (missing or wrong CSRF token). Reload the page and try again.");
		return;
	}
	/* Housekeeping rides on a POST, which writes anyway: a GET never writes, so readers
	 * never queue behind the sync daemon's write lock. */
	if (is_post && ++c->w->served % 100 == 1 && !(r->flags & R_NO_SESSION) && !snapshot)
		db_sessions_purge(c->db, time(NULL));
	char key[512];
	int cacheable = (r->flags & R_CACHE) && !is_post && c->logged_in &&
	    cache_key(c, key, sizeof key) == 0;
	int64_t now = time(NULL);
	if (cacheable && page_cache_get(c->w->cache, c->db, key, now, c->resp))
		return;
	status = r->page(c);
	if (status >= 400 && c->resp->body.len == 0)
		status = page_error(c, status, NULL);
	c->resp->status = status;
	if (cacheable)
		page_cache_put(c->w->cache, c->db, key, now, c->resp);
}

void route_request(struct ctx *c)
{
	char seg[64];
	int missing = 404;
	const struct route *r = route_find(c->req->method, c->req->path, seg, sizeof seg, &missing);
	c->arg = r && strchr(r->pattern, '*') ? seg : NULL;
	/* Cacheable pages only read: session, cache check and page share one read snapshot. */
	int snapshot = r && (r->flags & R_CACHE) && strcmp(c->req->method, "POST") != 0 &&
	    db_read_begin(c->db) == 0;
	route_dispatch(c, r, missing, snapshot);
	if (snapshot)
		db_read_end(c->db);
}
