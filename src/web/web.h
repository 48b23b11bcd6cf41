/* The web app's shared types: a worker (one thread's database and templates), the context of
 * one request, input validation, sessions, and every page's entry function. */
#ifndef WEB_WEB_H
#define WEB_WEB_H

#include <stdint.h>

#include "core/config.h"
#include "core/db.h"
#include "core/db_sessions.h"
#include "core/models.h"
#include "web/render.h"
#include "web/request.h"

struct worker {
	const struct config *cfg;     /* borrowed, shared read-only */
	unsigned long served;         /* POSTs served, for occasional housekeeping */
	struct db *db;                /* owned by this worker's thread */
	struct templates *tpl;        /* owned by this worker */
	struct page_cache *cache;     /* owned by this worker; NULL runs without one */
	const uint8_t *key;           /* borrowed: the secrets key (32 bytes); NULL if not loaded */
};

struct ctx {
	struct worker *w;
	struct db *db;
	struct req *req;
	struct resp *resp;
	int logged_in;
	struct user user;             /* the signed-in user when logged_in; owned */
	char csrf[SESSION_TOKEN_MAX]; /* the session's (or pre-login) CSRF token */
	const char *arg;              /* the path segment captured by the route, or NULL */
	int refresh_s;                /* > 0: the page reloads itself after this many seconds */
};

/* Check every query and form parameter against the input table. Returns 0, or the HTTP
 * status to answer (400) with a reason in err. Form fields marked soft that fail keep their
 * value and get param.invalid = 1 so the page can re-show them with a message. */
int input_check(struct req *r, char *err, size_t errlen);
/* Parameters after input_check: query, form. Borrowed; NULL when absent. */
const char *q_get(const struct ctx *c, const char *key);
const char *f_get(const struct ctx *c, const char *key);
/* 1 if the form field key was present but failed its validator. */
int f_invalid(const struct ctx *c, const char *key);
/* Parse a positive id; returns it or 0. */
int64_t parse_id(const char *s);

/* Sessions: load the user from the cookie (sets logged_in); start and end a session.
 * Return 0 or -1. */
int session_load(struct ctx *c);
int session_start(struct ctx *c, int64_t user_id);
int session_end(struct ctx *c);
/* The pre-login CSRF token (double-submit cookie crm_pre) into c->csrf; when the cookie is
 * missing and create is set, a new one is made and the cookie sent. */
void session_pre_csrf(struct ctx *c, int create);
/* 1 if the form's csrf field matches the session's token (constant time). */
int csrf_ok(const struct ctx *c);

/* Dispatch one parsed request into c->resp (status, headers, body). */
void route_request(struct ctx *c);

/* Render the page template name inside the layout (top bar, main) into c->resp; partial
 * renders the template alone (for the dialog). Returns status, or 500 when rendering fails. */
int page_render(struct ctx *c, const char *name, const char *title, struct view *v, int status);
/* An error page for status with a one-line message (escaped). Returns status. */
int page_error(struct ctx *c, int status, const char *message);

/* Pages: one entry each, returning the HTTP status. */
int page_login(struct ctx *c);
int page_logout(struct ctx *c);
int page_home(struct ctx *c);
int page_healthz(struct ctx *c);
int page_calendar(struct ctx *c);
int page_day(struct ctx *c);
int page_accounts(struct ctx *c);
int page_search(struct ctx *c);
int page_account_calendar(struct ctx *c);
int page_message(struct ctx *c);
int page_attachment(struct ctx *c);   /* page_attachment.c: download of one attachment */
int page_appointment(struct ctx *c);
int page_appointment_delete(struct ctx *c);
int page_appointment_new(struct ctx *c);
int page_activities(struct ctx *c);
/* Linking a mailbox, Sync settings and provider webhooks (page_link.c, page_oauth.c,
 * page_imap_link.c, page_link_proof.c, page_settings.c, page_hooks.c). */
int page_link(struct ctx *c);
int page_link_start(struct ctx *c);
int page_oauth_callback(struct ctx *c);
int page_imap_link(struct ctx *c);
int page_imap_link_test(struct ctx *c);
int page_link_proof(struct ctx *c);    /* page_link_proof.c */
int page_settings(struct ctx *c);
int page_settings_action(struct ctx *c);
int page_hook_google(struct ctx *c);
int page_hook_graph(struct ctx *c);
int page_hook_nylas(struct ctx *c);
/* Two-way (page_compose.c, outbox_view.c, page_unmatched.c, page_feed.c). */
int page_compose(struct ctx *c);
int page_outbox_retry(struct ctx *c);
int page_unmatched(struct ctx *c);
int page_health(struct ctx *c);    /* page_health.c: admins only */
/* Blocklists (page_blocklist.c): the user's own, and the company's for admins only. */
int page_block_add(struct ctx *c);
int page_block_remove(struct ctx *c);
int page_company_block_add(struct ctx *c);
int page_company_block_remove(struct ctx *c);
int page_unmatched_assign(struct ctx *c);
int page_unmatched_discard(struct ctx *c);
int page_feed_settings(struct ctx *c);
int page_feed(struct ctx *c);

#endif
