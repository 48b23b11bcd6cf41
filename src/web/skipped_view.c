/* The "Not imported" list of Sync settings (see skipped_view.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db_skipped.h"
#include "core/timeutil.h"
#include "web/html.h"
#include "web/skipped_view.h"

/* /settings/sync?q=...&page=N#not-imported, or "" when page is out of range. */
static char *page_href(const char *q, long page)
{
	struct buf b = { 0 };
	buf_puts(&b, "/settings/sync?");
	if (q && *q) {
		buf_puts(&b, "q=");
		html_url_arg(&b, q);
		buf_puts(&b, "&");
	}
	buf_printf(&b, "page=%ld#not-imported", page);
	return buf_take(&b);
}

static void set_href(struct view *v, const char *name, const char *q, long page, int shown)
{
	char *href = shown ? page_href(q, page) : NULL;
	view_str(v, name, href ? href : "");
	free(href);
}

int skipped_view(struct ctx *c, struct view *v)
{
	struct skipped_list l = { 0 };
	int64_t total = 0;
	const char *q = q_get(c, "q");
	long page = q_get(c, "page") ? (long)parse_id(q_get(c, "page")) : 1;
	if (page < 1)
		page = 1;
	if (db_skipped_list(c->db, c->user.id, q, SKIPPED_PAGE, (int)((page - 1) * SKIPPED_PAGE),
	    &l, &total) != 0)
		return -1;
	view_str(v, "skipped_q", q ? q : "");
	view_int(v, "skipped_total", (long)total);
	view_int(v, "skipped_days", c->w->cfg->skipped_days);
	view_int(v, "skipped_first", l.n ? (page - 1) * SKIPPED_PAGE + 1 : 0);
	view_int(v, "skipped_last", (page - 1) * SKIPPED_PAGE + (long)l.n);
	struct vlist *rows = vlist_new();
	for (size_t i = 0; i < l.n; i++) {
		const struct skipped_item *it = &l.v[i];
		struct vlist *r = vlist_row(rows);
		struct local_time lt;
		char when[80] = "Unknown date";
		if (it->item_at > 0 && tz_from_utc(c->user.time_zone, it->item_at, &lt) == 0)
			fmt_long_datetime(&lt, when, sizeof when);
		vrow_str(r, when);
		vrow_str(r, it->kind == SKIP_EVENT ? "Appointment" : "Mail");
		vrow_str(r, it->from_email && *it->from_email ? it->from_email : "(no sender)");
		vrow_str(r, it->subject && *it->subject ? it->subject : "(no subject)");
		vrow_str(r, skip_reason_words(it->reason));
		vrow_str(r, it->detail ? it->detail : "");
		vrow_str(r, it->addresses ? it->addresses : "");
		vrow_str(r, it->provider_id ? it->provider_id : "");
	}
	view_list(v, "skipped", rows);
	set_href(v, "skipped_newer_href", q, page - 1, page > 1);
	set_href(v, "skipped_older_href", q, page + 1, page * SKIPPED_PAGE < total);
	skipped_list_free(&l);
	return 0;
}
