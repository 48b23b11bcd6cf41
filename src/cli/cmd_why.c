/* crmctl why ADDRESS|MESSAGE-ID|UID: why an item is not in the CRM, from the sync's records of
 * what it saw and did not import (core/db_skipped.h), and where it is when it was imported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/app.h"
#include "core/db_skipped.h"

#define WHY_MAX 100

static void utc(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm))
		snprintf(out, len, "unknown date");
}

static void print_record(const struct skipped_item *it)
{
	char at[40], seen[40];
	int has_id = it->item_id && *it->item_id, event = it->kind == SKIP_EVENT;
	utc(it->item_at, at, sizeof at);
	utc(it->recorded_at, seen, sizeof seen);
	printf("link %lld (%s, user %s): %s of %s from %s, \"%s\"\n", (long long)it->link_id,
	    it->link_address, it->user_email, skip_kind_name(it->kind), at,
	    it->from_email && *it->from_email ? it->from_email : "(no sender)",
	    it->subject ? it->subject : "");
	printf("  not imported: %s%s%s\n", skip_reason_words(it->reason),
	    it->detail && *it->detail ? ": " : "", it->detail ? it->detail : "");
	printf("  provider id %s%s%s%s, last seen %s\n", it->provider_id,
	    !has_id ? "" : event ? ", UID " : ", Message-ID <", has_id ? it->item_id : "",
	    has_id && !event ? ">" : "", seen);
}

int cmd_why(struct app *app, int argc, char **argv)
{
	if (argc != 2 || !*argv[1]) {
		fprintf(stderr, "usage: crmctl why ADDRESS|MESSAGE-ID|UID\n");
		return 2;
	}
	const char *what = argv[1];
	struct skipped_list l = { 0 };
	char **lines = NULL;
	size_t n = 0;
	int rc = 1;
	if (db_skipped_why(app->db, what, WHY_MAX, &l) != 0 ||
	    db_skipped_imported(app->db, what, &lines, &n) != 0) {
		fprintf(stderr, "crmctl why: database error\n");
		goto out;
	}
	for (size_t i = 0; i < l.n; i++)
		print_record(&l.v[i]);
	if (l.n == WHY_MAX)
		printf("(the newest %d records shown)\n", WHY_MAX);
	if (l.n == 0)
		printf("No record of %s not being imported in the last %d days.\n", what,
		    app->cfg.skipped_days);
	for (size_t i = 0; i < n; i++)
		printf("imported: %s\n", lines[i]);
	if (n == 0)
		printf("Nothing imported has the Message-ID, UID or provider id %s.\n", what);
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	skipped_list_free(&l);
	return rc;
}
