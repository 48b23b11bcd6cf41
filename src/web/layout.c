/* Pages inside the layout (top bar with the profile menu, main) and the error pages. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/db_link_flow.h"
#include "core/db_unmatched.h"
#include "core/log.h"
#include "web/web.h"

int page_render(struct ctx *c, const char *name, const char *title, struct view *v, int status)
{
	struct buf content = { 0 };
	const char *partial = q_get(c, "partial");
	if (render(c->w->tpl, name, v, &content) != 0 || content.oom) {
		buf_free(&content);
		if (strcmp(name, "error") == 0)
			goto plain;
		return page_error(c, 500, "The page could not be rendered.");
	}
	if (partial && strcmp(partial, "1") == 0) {
		buf_free(&c->resp->body);
		c->resp->body = content;
		return status;
	}
	struct view *lv = view_new();
	if (!lv) {
		buf_free(&content);
		goto plain;
	}
	view_str(lv, "title", title);
	view_int(lv, "refresh", c->refresh_s);
	view_int(lv, "logged_in", c->logged_in);
	view_str(lv, "user_name", c->logged_in ? c->user.name : "");
	view_int(lv, "is_admin", c->logged_in && c->user.role && strcmp(c->user.role, "admin") == 0);
	/* the top bar's sync-health badge (one indexed read) */
	view_int(lv, "sync_flag", c->logged_in && db_link_health_flag(c->db, c->user.id,
	    c->w->cfg->poll_interval, (int64_t)time(NULL)) == 1);
	/* CRM-folder messages waiting to be assigned (a count over a small table) */
	view_int(lv, "unmatched", c->logged_in ? (long)db_unmatched_count(c->db, c->user.id) : 0);
	view_str(lv, "csrf", c->csrf);
	view_html(lv, "content_html", content.s ? content.s : "");
	buf_free(&c->resp->body);
	int rc = render(c->w->tpl, "layout", lv, &c->resp->body);
	view_free(lv);
	buf_free(&content);
	if (rc != 0 || c->resp->body.oom)
		goto plain;
	return status;
plain:
	/* The templates themselves failed: a minimal page that needs none. */
	buf_free(&c->resp->body);
	buf_printf(&c->resp->body, "<!doctype html><title>Error</title><h1>%d %s</h1>\n",
	    status >= 400 ? status : 500, http_reason(status >= 400 ? status : 500));
	return status >= 400 ? status : 500;
}

int page_error(struct ctx *c, int status, const char *message)
{
	static const struct {
		int status;
		const char *text;
	} defaults[] = {
		{ 400, "The request was not valid." },
		{ 403, "You do not have access to this page." },
		{ 404, "There is no such page." },
		{ 405, "This page does not accept that method." },
		{ 413, "The form was too large." },
	};
	if (!message) {
		message = "Something went wrong on our side; it has been logged.";
		for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
			if (defaults[i].status == status)
				message = defaults[i].text;
	}
	struct view *v = view_new();
	if (!v)
		return status;
	view_int(v, "status", status);
	view_str(v, "reason", http_reason(status));
	view_str(v, "message", message);
	char title[64];
	snprintf(title, sizeof title, "%d %s", status, http_reason(status));
	c->resp->content_type = NULL;
	/* An error page is always a full page, even when a fragment was asked for. */
	struct params saved = c->req->query;
	memset(&c->req->query, 0, sizeof c->req->query);
	int st = page_render(c, "error", title, v, status);
	c->req->query = saved;
	view_free(v);
	return st;
}
