/* POST /settings/sync/block and /settings/sync/unblock: the user's own blocklist; POST
 * /admin/block and /admin/unblock: the company's (R_ADMIN routes, so only admins get here).
 * Adding hides the imported items a block leaves with only blocked contacts, removing shows
 * them again, each written to the audit log (core/db_blocklist.h). */
#include <stdio.h>
#include <time.h>

#include "core/db_blocklist.h"
#include "core/log.h"
#include "web/blocklist_view.h"

/* Back to the list with a notice (n and m: its counts, m left out when 0). */
static int back2(struct ctx *c, int company, const char *done, long n, long m)
{
	char href[160], more[40] = "";
	if (m)
		snprintf(more, sizeof more, "&m=%ld", m);
	snprintf(href, sizeof href, "%s?done=%s&n=%ld%s#blocked",
	    company ? "/admin/health" : "/settings/sync", done, n, more);
	return resp_redirect(c->resp, href);
}

static int back(struct ctx *c, int company, const char *done, long n)
{
	return back2(c, company, done, n, 0);
}

static int add(struct ctx *c, int company)
{
	char pattern[320];
	enum block_kind kind;
	long n = 0;
	if (blocklist_pattern(f_get(c, "pattern"), pattern, sizeof pattern, &kind) != 0)
		return back(c, company, "block_bad", 0);
	int rc = db_blocklist_add(c->db, company, c->user.id, kind, pattern, c->user.id,
	    (int64_t)time(NULL), &n);
	if (rc < 0)
		return 500;
	if (rc == 0)
		return back(c, company, "block_known", 0);
	log_info("user %lld blocked %s %s for %s: %ld items hidden", (long long)c->user.id,
	    block_kind_name(kind), pattern, company ? "the company" : "themselves", n);
	return back(c, company, "blocked", n);
}

static int remove_block(struct ctx *c, int company)
{
	long n = 0, m = 0;
	int64_t id = parse_id(f_get(c, "block"));
	if (id <= 0)
		return 400;
	int rc = db_blocklist_remove(c->db, company, c->user.id, id, c->user.id,
	    (int64_t)time(NULL), &n, &m);
	if (rc < 0)
		return 500;
	if (rc == 0)
		return 404;
	log_info("user %lld removed %s block %lld: %ld items shown again, %ld to fetch again",
	    (long long)c->user.id, company ? "the company's" : "their", (long long)id, n, m);
	return back2(c, company, "unblocked", n, m);
}

int page_block_add(struct ctx *c)
{
	return add(c, 0);
}

int page_block_remove(struct ctx *c)
{
	return remove_block(c, 0);
}

int page_company_block_add(struct ctx *c)
{
	return add(c, 1);
}

int page_company_block_remove(struct ctx *c)
{
	return remove_block(c, 1);
}
