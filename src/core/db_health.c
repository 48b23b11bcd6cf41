/* The health view's rows: links with their user, push subscriptions and flags. */
#include <stdlib.h>
#include <string.h>

#include "core/db_health.h"
#include "core/db_link_flow.h"
#include "core/log.h"

/* Subscriptions are grouped once (no per-link scan of push_channels). */
static const char SQL_HEALTH_LINKS[] =
    "SELECT l.id, u.email, u.name, l.provider, l.address, l.status, coalesce(l.last_error, ''),"
    " l.linked_at, coalesce(l.last_success_at, 0), l.next_due_at, coalesce(l.last_error_at, 0),"
    " l.rate_limited_until, coalesce(l.cursor_refused_at, 0), l.items_imported, l.failures,"
    " coalesce(p.n, 0), coalesce(p.first_expiry, 0), coalesce(l.proved_at, 0)"
    " FROM links l JOIN users u ON u.id = l.user_id"
    " LEFT JOIN (SELECT link_id, count(*) AS n, min(expires_at) AS first_expiry"
    "   FROM push_channels GROUP BY link_id) p ON p.link_id = l.id"
    " WHERE l.status != 'unlinked' ORDER BY l.id";

void health_list_free(struct health_list *l)
{
	for (size_t i = 0; l && i < l->n; i++) {
		struct link_health *h = &l->v[i];
		free(h->user_email);
		free(h->user_name);
		free(h->provider);
		free(h->address);
		free(h->status);
		free(h->last_error);
	}
	if (l) {
		free(l->v);
		memset(l, 0, sizeof *l);
	}
}

/* Sort key: 0 needs the user, 1 flagged, 2 fine. */
static int rank(const struct link_health *h, int64_t now)
{
	if (h->needs_user)
		return 0;
	if (h->problem || (h->push_expires_at && h->push_expires_at < now))
		return 1;
	return 2;
}

static int by_rank(const void *a, const void *b)
{
	const struct link_health *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	return x->id < y->id ? -1 : x->id > y->id;
}

int db_health_links(struct db *db, int64_t now, int poll_interval, struct health_list *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = db_stmt(db, SQL_HEALTH_LINKS);
	if (!st)
		return -1;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct link_health *nv = realloc(out->v, nc * sizeof *nv);
			if (!nv)
				goto fail;
			out->v = nv;
			cap = nc;
		}
		struct link_health *h = &out->v[out->n++];
		memset(h, 0, sizeof *h);
		h->id = sqlite3_column_int64(st, 0);
		h->user_email = db_col_strdup(st, 1);
		h->user_name = db_col_strdup(st, 2);
		h->provider = db_col_strdup(st, 3);
		h->address = db_col_strdup(st, 4);
		h->status = db_col_strdup(st, 5);
		h->last_error = db_col_strdup(st, 6);
		h->linked_at = sqlite3_column_int64(st, 7);
		h->last_success_at = sqlite3_column_int64(st, 8);
		h->next_due_at = sqlite3_column_int64(st, 9);
		h->last_error_at = sqlite3_column_int64(st, 10);
		h->rate_limited_until = sqlite3_column_int64(st, 11);
		h->cursor_refused_at = sqlite3_column_int64(st, 12);
		h->items_imported = sqlite3_column_int64(st, 13);
		h->failures = sqlite3_column_int(st, 14);
		h->push_channels = sqlite3_column_int(st, 15);
		h->push_expires_at = sqlite3_column_int64(st, 16);
		if (!h->user_email || !h->user_name || !h->provider || !h->address || !h->status ||
		    !h->last_error)
			goto fail;
		struct link l = { .status = h->status, .linked_at = h->linked_at,
		    .last_success_at = h->last_success_at, .cursor_refused_at = h->cursor_refused_at,
		    .provider = h->provider, .proved_at = sqlite3_column_int64(st, 17) };
		h->problem = link_health_problem(&l, poll_interval, now);
		h->needs_user = strcmp(h->status, "relink") == 0;
		h->rank = rank(h, now);
	}
	if (rc != SQLITE_DONE) {
		log_warnx("db: health: %s", sqlite3_errmsg(db->h));
		goto fail;
	}
	sqlite3_reset(st);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof out->v[0], by_rank);
	return 0;
fail:
	sqlite3_reset(st);
	health_list_free(out);
	return -1;
}

const char *link_health_state(const struct link_health *h, int64_t now)
{
	if (h->needs_user)
		return "needs re-link";
	if (h->problem == link_health_cursor_refused)
		return "cursor refused";
	if (h->problem)
		return "stale";
	if (h->rate_limited_until > now)
		return "rate limited";
	if (h->push_expires_at && h->push_expires_at < now)
		return "push expired";
	if (h->failures > 0)
		return "failing";
	return "ok";
}
