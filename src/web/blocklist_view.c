/* The blocklists on Sync settings and the admin page (see blocklist_view.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db_blocklist.h"
#include "core/timeutil.h"
#include "web/blocklist_view.h"

static void notice(struct ctx *c, struct view *v)
{
	const char *done = q_get(c, "done");
	const char *ns = q_get(c, "n"), *ms = q_get(c, "m");
	long n = ns ? atol(ns) : 0, m = ms ? atol(ms) : 0;
	if (!done)
		view_str(v, "block_notice", "");
	else if (strcmp(done, "blocked") == 0)
		view_strf(v, "block_notice", "Blocked. %ld imported item%s with no other contact %s"
		    " hidden.", n, n == 1 ? "" : "s", n == 1 ? "is" : "are");
	else if (strcmp(done, "unblocked") == 0 && m)
		view_strf(v, "block_notice", "Unblocked. %ld item%s the block hid %s shown again;"
		    " %ld it kept out %s fetched again and imported within a minute.", n,
		    n == 1 ? "" : "s", n == 1 ? "is" : "are", m, m == 1 ? "is" : "are");
	else if (strcmp(done, "unblocked") == 0)
		view_strf(v, "block_notice", "Unblocked. %ld item%s the block hid %s shown again.", n,
		    n == 1 ? "" : "s", n == 1 ? "is" : "are");
	else if (strcmp(done, "block_known") == 0)
		view_str(v, "block_notice", "That address or domain is already blocked.");
	else if (strcmp(done, "block_bad") == 0)
		view_str(v, "block_notice", "Enter an e-mail address (ann@example.com) or a domain"
		    " (example.com, which blocks its subdomains too).");
	else
		view_str(v, "block_notice", "");
}

int blocklist_view(struct ctx *c, struct view *v, int company)
{
	struct blocklist bl = { 0 };
	if (db_blocklist_list(c->db, company, c->user.id, &bl) != 0)
		return -1;
	struct vlist *rows = vlist_new();
	for (size_t i = 0; i < bl.n; i++) {
		const struct block *b = &bl.v[i];
		struct local_time lt;
		char when[80];
		struct vlist *r = vlist_row(rows);
		vrow_int(r, (long)b->id);
		vrow_str(r, b->pattern);
		vrow_str(r, b->kind == BLOCK_DOMAIN ? "Domain and its subdomains" : "Address");
		vrow_str(r, b->created_by_email ? b->created_by_email : "crmctl");
		if (tz_from_utc(c->user.time_zone, b->created_at, &lt) != 0)
			snprintf(when, sizeof when, "-");
		else
			fmt_long_datetime(&lt, when, sizeof when);
		vrow_str(r, when);
	}
	view_list(v, "blocks", rows);
	view_int(v, "blocks_count", (long)bl.n);
	notice(c, v);
	blocklist_free(&bl);
	return 0;
}
