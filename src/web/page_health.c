/* GET /admin/health: every link of the company with its state, for admins only (the route is
 * R_ADMIN). Links that need their user come first, then flagged ones (core/db_health.h). Below
 * them, the company's blocklist (blocklist_view.c) and the newest entries of the audit log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/db_blocklist.h"
#include "core/db_health.h"
#include "core/db_web.h"
#include "core/timeutil.h"
#include "web/blocklist_view.h"
#include "web/web.h"

#define AUDIT_SHOWN 20

static void when(const struct ctx *c, int64_t t, char *out, size_t size)
{
	struct local_time lt;
	if (!t || tz_from_utc(c->user.time_zone, t, &lt) != 0)
		snprintf(out, size, "never");
	else
		fmt_long_datetime(&lt, out, size);
}

/* The viewer's midnight today, for the "today" counts (UTC's when the zone is unknown). */
static int64_t day_start(const struct ctx *c, int64_t now)
{
	struct local_time lt;
	int64_t t;
	if (tz_from_utc(c->user.time_zone, now, &lt) == 0 &&
	    tz_to_utc(c->user.time_zone, lt.y, lt.m, lt.d, 0, 0, &t) == 0 && t <= now)
		return t;
	return now - now % 86400;
}

/* The push column: the IDLE watch crm-sync holds (or lost), then the webhook subscriptions. */
static void push_words(const struct ctx *c, const struct link_health *h, int64_t now, char *out,
    size_t size)
{
	const char *idle = link_health_push_words(h);
	char subs[160] = "";
	if (h->push_channels) {
		char until[80];
		when(c, h->push_expires_at, until, sizeof until);
		snprintf(subs, sizeof subs, "%d subscription%s, %s %s", h->push_channels,
		    h->push_channels == 1 ? "" : "s",
		    h->push_expires_at < now ? "expired" : "renewed before", until);
	}
	char since[80] = "";
	if (*idle)
		when(c, h->push_state_at, since, sizeof since);
	if (!*idle && !*subs)
		snprintf(out, size, "none (polled)");
	else
		snprintf(out, size, "%s%s%s%s%s", idle, *idle ? " since " : "", since,
		    *idle && *subs ? "; " : "", subs);
}

/* The newest audit entries (who blocked or unblocked what, and how many items it touched). */
static int audit_view(struct ctx *c, struct view *v)
{
	struct web_rows rows = { 0 };
	if (db_audit_recent(c->db, AUDIT_SHOWN, &rows) != 0)
		return -1;
	struct vlist *l = vlist_new();
	for (size_t i = 0; i < rows.n; i++) {
		char at[80];
		when(c, strtoll(rows.v[i].c[0], NULL, 10), at, sizeof at);
		struct vlist *r = vlist_row(l);
		vrow_int(r, (long)rows.v[i].id);
		vrow_str(r, at);
		vrow_str(r, rows.v[i].c[1]);
		vrow_str(r, strcmp(rows.v[i].c[2], "block_add") == 0 ? "Blocked" :
		    strcmp(rows.v[i].c[2], "block_remove") == 0 ? "Unblocked" : rows.v[i].c[2]);
		vrow_str(r, rows.v[i].c[3]);
	}
	view_list(v, "audit", l);
	view_int(v, "audit_count", (long)rows.n);
	web_rows_free(&rows);
	return 0;
}

int page_health(struct ctx *c)
{
	struct health_list l;
	int64_t now = (int64_t)time(NULL);
	if (db_health_links(c->db, now, day_start(c, now), c->w->cfg->poll_interval, &l) != 0)
		return 500;
	struct view *v = view_new();
	int st = 500;
	if (!v)
		goto done;
	struct vlist *rows = vlist_new();
	int attention = 0;
	for (size_t i = 0; i < l.n; i++) {
		const struct link_health *h = &l.v[i];
		char last[80], next[80], push[320], limited[120], lag[32], mailed[120];
		when(c, h->last_success_at, last, sizeof last);
		when(c, h->next_due_at > now ? h->next_due_at : now, next, sizeof next);
		push_words(c, h, now, push, sizeof push);
		fmt_lag(link_health_lag(h, now), lag, sizeof lag);
		mailed[0] = '\0';
		if (h->needs_user && h->relink_notice_at) {
			char at[80];
			when(c, h->relink_notice_at, at, sizeof at);
			snprintf(mailed, sizeof mailed, " The user was mailed %s.", at);
		}
		limited[0] = '\0';
		if (h->rate_limited_until > now) {
			char until[80];
			when(c, h->rate_limited_until, until, sizeof until);
			snprintf(limited, sizeof limited, "Rate limited until %s.", until);
		}
		attention += h->rank < 2;
		struct vlist *r = vlist_row(rows);
		vrow_int(r, (long)h->id);
		vrow_strf(r, "%s <%s>", h->user_name, h->user_email);
		vrow_str(r, h->provider);
		vrow_str(r, h->address);
		vrow_str(r, link_health_state(h, now));
		vrow_str(r, last);
		vrow_str(r, next);
		vrow_str(r, push);
		vrow_int(r, (long)h->items_imported);
		vrow_strf(r, "%s%s%s%s", h->problem ? h->problem : "", h->problem && *limited ? " " : "",
		    limited, mailed);
		vrow_str(r, h->failures ? h->last_error : "");
		vrow_int(r, h->failures);
		vrow_int(r, h->rank < 2);
		vrow_str(r, lag);
		vrow_int(r, (long)h->errors_hour);
		vrow_int(r, (long)h->rate_limited_hour);
		vrow_int(r, (long)h->imported_today);
		vrow_int(r, (long)h->skipped_today);
		vrow_str(r, h->push_state);
	}
	view_list(v, "links", rows);
	view_int(v, "count", (long)l.n);
	view_int(v, "attention", attention);
	view_str(v, "csrf", c->csrf);
	if (blocklist_view(c, v, 1) != 0 || audit_view(c, v) != 0)
		goto done;
	st = page_render(c, "health", "Sync health", v, 200);
done:
	view_free(v);
	health_list_free(&l);
	return st;
}
