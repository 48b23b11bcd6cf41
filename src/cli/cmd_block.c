/* crmctl block add|remove|list [--user EMAIL] [PATTERN]: the company's blocklist, or a user's
 * own with --user (core/db_blocklist.h). Adding hides the imported items the block leaves with
 * only blocked contacts, removing shows them again; both go to the audit log, with no actor. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/app.h"
#include "core/db_blocklist.h"
#include "core/models.h"

static int usage(void)
{
	fprintf(stderr, "usage: crmctl block add|remove [--user EMAIL] ADDRESS|DOMAIN\n"
	    "       crmctl block list [--user EMAIL]\n");
	return 2;
}

static int list(struct app *app, int company, int64_t user)
{
	struct blocklist bl = { 0 };
	if (db_blocklist_list(app->db, company, user, &bl) != 0) {
		fprintf(stderr, "crmctl block: database error\n");
		return 1;
	}
	for (size_t i = 0; i < bl.n; i++)
		printf("%s\t%s\t%s\n", bl.v[i].pattern, block_kind_name(bl.v[i].kind),
		    bl.v[i].created_by_email ? bl.v[i].created_by_email : "crmctl");
	if (bl.n == 0)
		printf("Nothing is blocked.\n");
	blocklist_free(&bl);
	return 0;
}

static int change(struct app *app, int add, int company, int64_t user, const char *text,
    const char *whose)
{
	char pattern[320];
	enum block_kind kind;
	long n = 0, again = 0;
	int rc;
	if (blocklist_pattern(text, pattern, sizeof pattern, &kind) != 0) {
		fprintf(stderr, "crmctl block: %s is neither an address nor a domain\n", text);
		return 2;
	}
	if (add) {
		rc = db_blocklist_add(app->db, company, user, kind, pattern, 0, (int64_t)time(NULL), &n);
	} else {
		int64_t id = db_blocklist_id(app->db, company, user, pattern);
		rc = id <= 0 ? (int)id : db_blocklist_remove(app->db, company, user, id, 0,
		    (int64_t)time(NULL), &n, &again);
	}
	if (rc < 0) {
		fprintf(stderr, "crmctl block: database error\n");
		return 1;
	}
	if (rc == 0) {
		printf("%s %s is %s on %s blocklist.\n", block_kind_name(kind), pattern,
		    add ? "already" : "not", whose);
		return add ? 0 : 1;
	}
	printf("%s %s %s %s %s blocklist: %ld item%s %s.\n", add ? "added" : "removed",
	    block_kind_name(kind), pattern, add ? "to" : "from", whose, n, n == 1 ? "" : "s",
	    add ? "hidden" : "shown again");
	if (again)
		printf("%ld item%s it kept out queued to be fetched again.\n", again,
		    again == 1 ? "" : "s");
	return 0;
}

int cmd_block(struct app *app, int argc, char **argv)
{
	const char *email = NULL, *pattern = NULL;
	if (argc < 2)
		return usage();
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			email = argv[++i];
		else if (!pattern && argv[i][0] != '-')
			pattern = argv[i];
		else
			return usage();
	}
	int is_list = strcmp(argv[1], "list") == 0, is_add = strcmp(argv[1], "add") == 0;
	if (!is_list && !is_add && strcmp(argv[1], "remove") != 0)
		return usage();
	if (is_list ? pattern != NULL : pattern == NULL)
		return usage();
	struct user u = { 0 };
	char whose[300] = "the company's";
	if (email) {
		int found = db_users_get_by_email(app->db, email, &u);
		if (found != 0) {
			fprintf(stderr, "crmctl block: %s\n", found < 0 ? "database error" :
			    "no such user");
			return 1;
		}
		snprintf(whose, sizeof whose, "%s's", u.email);
	}
	int rc = is_list ? list(app, !email, u.id) : change(app, is_add, !email, u.id, pattern,
	    whose);
	user_free(&u);
	return rc;
}
