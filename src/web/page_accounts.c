/* Accounts: a searchable list linking to each account's calendar and contacts. */
#include "core/db_web.h"
#include "web/web.h"

int page_accounts(struct ctx *c)
{
	const char *q = q_get(c, "q");
	struct web_rows rows = { 0 };
	if (db_web_accounts_search(c->db, q ? q : "", 200, &rows) != 0)
		return 500;
	struct view *v = view_new();
	if (!v) {
		web_rows_free(&rows);
		return 500;
	}
	struct vlist *l = vlist_new();
	for (size_t i = 0; i < rows.n; i++) {
		struct vlist *r = vlist_row(l);
		for (int k = 0; k < 5; k++)
			vrow_str(r, rows.v[i].c[k]);
	}
	view_str(v, "q", q ? q : "");
	view_int(v, "count", (long)rows.n);
	view_list(v, "accounts", l);
	int st = page_render(c, "accounts", "Accounts", v, 200);
	view_free(v);
	web_rows_free(&rows);
	return st;
}
