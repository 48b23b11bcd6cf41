/* /healthz: 200 "ok" when the database answers SELECT 1, 503 otherwise; no session needed. */
#include "web/web.h"

int page_healthz(struct ctx *c)
{
	int ok = db_ping(c->db) == 0;
	c->resp->content_type = "text/plain; charset=utf-8";
	buf_puts(&c->resp->body, ok ? "ok\n" : "database unavailable\n");
	return ok ? 200 : 503;
}
