/* /healthz: 200 "ok" when the database answers SELECT 1, 503 otherwise; no session needed. */
#include "web/web.h"

static const char SQL_PING[] = "SELECT 1";

int page_healthz(struct ctx *c)
{
	sqlite3_stmt *st = db_stmt(c->db, SQL_PING);
	int ok = st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
	if (st)
		sqlite3_reset(st);
	c->resp->content_type = "text/plain; charset=utf-8";
	buf_puts(&c->resp->body, ok ? "ok\n" : "database unavailable\n");
	return ok ? 200 : 503;
}
