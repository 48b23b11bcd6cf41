/* The health view's rows: links with their user, push subscriptions and flags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db_health.h"
#include "core/db_link_flow.h"
#include "core/log.h"

/* Subscriptions and outcome counts are grouped once (no per-link scan of push_channels or
 * link_events). ?1: the start of the last hour's first minute; ?2: the start of today. */
static const char SQL_HEALTH_LINKS[] =
    "SELECT l.id, u.email, u.name, l.provider, l.address, l.status, coalesce(l.last_error, ''),"
    " l.linked_at, coalesce(l.last_success_at, 0), l.next_due_at, coalesce(l.last_error_at, 0),"
    " l.rate_limited_until, coalesce(l.cursor_refused_at, 0), l.items_imported, l.failures,"
    " coalesce(p.n, 0), coalesce(p.first_expiry, 0), coalesce(l.proved_at, 0),"
    " coalesce(l.newest_item_at, 0), coalesce(l.push_state, ''), coalesce(l.push_state_at, 0),"
    " coalesce(e.errors, 0), coalesce(e.limited, 0), coalesce(e.imported, 0),"
    " coalesce(e.skipped, 0), coalesce(l.relink_notice_at, 0)"
    " FROM links l JOIN users u ON u.id = l.user_id"
    " LEFT JOIN (SELECT link_id, count(*) AS n, min(expires_at) AS first_expiry"
    "   FROM push_channels GROUP BY link_id) p ON p.link_id = l.id"
    " LEFT JOIN (SELECT link_id,"
    "   sum(CASE WHEN kind = 'error' AND at >= ?1 THEN n ELSE 0 END) AS errors,"
    "   sum(CASE WHEN kind = 'rate_limited' AND at >= ?1 THEN n ELSE 0 END) AS limited,"
    "   sum(CASE WHEN kind = 'imported' AND at >= ?2 THEN n ELSE 0 END) AS imported,"
    "   sum(CASE WHEN kind = 'skipped' AND at >= ?2 THEN n ELSE 0 END) AS skipped"
    "   FROM link_events WHERE at >= least(?1, ?2) GROUP BY link_id) e ON e.link_id = l.id"
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
		free(h->push_state);
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

int db_health_links(struct db *db, int64_t now, int64_t day_start, int poll_interval,
    struct health_list *out)
{
	memset(out, 0, sizeof *out);
	struct db_stmt *st = db_stmt(db, SQL_HEALTH_LINKS);
	if (!st)
		return -1;
	int64_t hour = now - 3600;
	db_bind_int64(st, 1, hour - hour % 60);
	db_bind_int64(st, 2, day_start);
	size_t cap = 0;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
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
		h->id = db_col_int64(st, 0);
		h->user_email = db_col_strdup(st, 1);
		h->user_name = db_col_strdup(st, 2);
		h->provider = db_col_strdup(st, 3);
		h->address = db_col_strdup(st, 4);
		h->status = db_col_strdup(st, 5);
		h->last_error = db_col_strdup(st, 6);
		h->linked_at = db_col_int64(st, 7);
		h->last_success_at = db_col_int64(st, 8);
		h->next_due_at = db_col_int64(st, 9);
		h->last_error_at = db_col_int64(st, 10);
		h->rate_limited_until = db_col_int64(st, 11);
		h->cursor_refused_at = db_col_int64(st, 12);
		h->items_imported = db_col_int64(st, 13);
		h->failures = db_col_int(st, 14);
		h->push_channels = db_col_int(st, 15);
		h->push_expires_at = db_col_int64(st, 16);
		h->newest_item_at = db_col_int64(st, 18);
		h->push_state = db_col_strdup(st, 19);
		h->push_state_at = db_col_int64(st, 20);
		h->errors_hour = db_col_int64(st, 21);
		h->rate_limited_hour = db_col_int64(st, 22);
		h->imported_today = db_col_int64(st, 23);
		h->skipped_today = db_col_int64(st, 24);
		h->relink_notice_at = db_col_int64(st, 25);
		if (!h->user_email || !h->user_name || !h->provider || !h->address || !h->status ||
		    !h->last_error || !h->push_state)
			goto fail;
		struct link l = { .status = h->status, .linked_at = h->linked_at,
		    .last_success_at = h->last_success_at, .cursor_refused_at = h->cursor_refused_at,
		    .provider = h->provider, .proved_at = db_col_int64(st, 17) };
		h->problem = link_health_problem(&l, poll_interval, now);
		h->needs_user = strcmp(h->status, "relink") == 0;
		h->rank = rank(h, now);
	}
	if (rc != DB_DONE) {
		log_warnx("db: health: %s", db_errmsg(db));
		goto fail;
	}
	db_reset(st);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof out->v[0], by_rank);
	return 0;
fail:
	db_reset(st);
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

int64_t link_health_lag(const struct link_health *h, int64_t now)
{
	if (!h->newest_item_at)
		return -1;
	return h->newest_item_at < now ? now - h->newest_item_at : 0;
}

const char *link_health_push_words(const struct link_health *h)
{
	if (strcmp(h->push_state, "idle") == 0)
		return "IDLE held";
	if (strcmp(h->push_state, "reconnecting") == 0)
		return "IDLE lost, reconnecting";
	if (strcmp(h->push_state, "unsupported") == 0)
		return "no IDLE on the server";
	return "";
}

char *fmt_lag(int64_t s, char *out, size_t size)
{
	if (s < 0)
		snprintf(out, size, "no items yet");
	else if (s < 120)
		snprintf(out, size, "%lld s", (long long)s);
	else if (s < 7200)
		snprintf(out, size, "%lld min", (long long)(s / 60));
	else if (s < 2 * 86400)
		snprintf(out, size, "%lld h", (long long)(s / 3600));
	else
		snprintf(out, size, "%lld days", (long long)(s / 86400));
	return out;
}
