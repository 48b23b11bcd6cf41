/* Search (GET /search?q=...): what the user may see of mail, appointments, contacts and
 * accounts matching every word typed, best first, grouped by kind, each with a snippet whose
 * matches are marked. */
#include <stdlib.h>
#include <string.h>

#include "core/db_search.h"
#include "core/timeutil.h"
#include "web/web.h"

#define SEARCH_SHOWN 20

/* The date of epoch seconds s (text, as the rows carry it) in the viewer's zone. */
static void when_of(const struct ctx *c, const char *s, char *out, size_t size)
{
	struct local_time lt;
	out[0] = '\0';
	long long t = s ? strtoll(s, NULL, 10) : 0;
	if (t && tz_from_utc(c->user.time_zone, (int64_t)t, &lt) == 0)
		fmt_long_datetime(&lt, out, size);
}

/* One kind's rows as a template list: id, title, snippet, then the kind's details. */
static struct vlist *kind_list(const struct ctx *c, enum search_kind kind,
    const struct web_rows *rows)
{
	struct vlist *l = vlist_new();
	for (size_t i = 0; i < rows->n; i++) {
		const struct web_row *r = &rows->v[i];
		struct vlist *row = vlist_row(l);
		char when[80];
		switch (kind) {
		case SEARCH_MAIL:
			vrow_int(row, (long)r->id);
			vrow_str(row, r->c[0][0] ? r->c[0] : "(no subject)");
			vrow_snippet(row, r->c[1]);
			vrow_str(row, r->c[2]);
			when_of(c, r->c[3], when, sizeof when);
			vrow_str(row, when);
			break;
		case SEARCH_APPT:
			vrow_int(row, (long)r->id);
			vrow_str(row, r->c[0][0] ? r->c[0] : "(no title)");
			vrow_snippet(row, r->c[1]);
			vrow_str(row, r->c[3]);
			when_of(c, r->c[2], when, sizeof when);
			vrow_str(row, when);
			break;
		case SEARCH_CONTACT:
			vrow_int(row, (long)r->id);
			vrow_str(row, r->c[0]);
			vrow_snippet(row, r->c[1]);
			vrow_str(row, r->c[2]);
			vrow_str(row, r->c[3]);
			break;
		case SEARCH_ACCOUNT:
			vrow_str(row, r->c[0]);
			vrow_str(row, r->c[1]);
			vrow_snippet(row, r->c[2]);
			break;
		default:
			break;
		}
	}
	return l;
}

int page_search(struct ctx *c)
{
	static const char *const names[SEARCH_NKINDS] = { "mail", "appts", "contacts", "accounts" };
	const char *q = q_get(c, "q");
	struct web_rows rows[SEARCH_NKINDS] = { 0 };
	struct view *v = NULL;
	int none = 0, st = 500;
	long total = 0;
	int searched = 0;
	for (int k = 0; q && *q && k < SEARCH_NKINDS; k++) {
		char *fts = search_fts_query(q, (enum search_kind)k, &none);
		if (!fts && !none)
			goto done;
		if (!fts)
			break;
		searched = 1;
		int bad = db_search(c->db, (enum search_kind)k, fts, c->user.id, SEARCH_SHOWN, &rows[k]);
		free(fts);
		if (bad)
			goto done;
	}
	if (!(v = view_new()))
		goto done;
	for (int k = 0; k < SEARCH_NKINDS; k++) {
		view_list(v, names[k], kind_list(c, (enum search_kind)k, &rows[k]));
		total += (long)rows[k].n;
	}
	view_str(v, "q", q ? q : "");
	view_int(v, "searched", searched);
	view_int(v, "total", total);
	view_int(v, "n_mail", (long)rows[SEARCH_MAIL].n);
	view_int(v, "n_appts", (long)rows[SEARCH_APPT].n);
	view_int(v, "n_contacts", (long)rows[SEARCH_CONTACT].n);
	view_int(v, "n_accounts", (long)rows[SEARCH_ACCOUNT].n);
	st = page_render(c, "search", "Search", v, 200);
done:
	view_free(v);
	for (int k = 0; k < SEARCH_NKINDS; k++)
		web_rows_free(&rows[k]);
	return st;
}
