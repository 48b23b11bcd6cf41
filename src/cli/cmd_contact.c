/* crmctl contact add ACCOUNT NAME EMAIL: a contact gets an address (made when new), which
 * queues the items the sync left out for want of it (re-match); crmctl rematch lists the
 * queue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/addr.h"
#include "core/app.h"
#include "core/db_rematch.h"
#include "core/models.h"

#define LIST_MAX 1000

int cmd_contact(struct app *app, int argc, char **argv)
{
	char email[320];
	if (argc != 5 || strcmp(argv[1], "add") != 0) {
		fprintf(stderr, "usage: crmctl contact add ACCOUNT NAME EMAIL\n");
		return 2;
	}
	if (!addr_normalize(argv[4], email, sizeof email) || !addr_valid(email)) {
		fprintf(stderr, "crmctl: %s is not an e-mail address\n", argv[4]);
		return 1;
	}
	int64_t account = db_accounts_find(app->db, argv[2]);
	if (account <= 0) {
		fprintf(stderr, "crmctl: %s\n", account < 0 ? "database error" :
		    "no account with that number or name");
		return 1;
	}
	int64_t id = 0;
	int added = 0, queued = -1;
	if (db_begin(app->db) != 0)
		return 1;
	if (db_contacts_add_email(app->db, account, argv[3], email, &id, &added) != 0 ||
	    db_commit(app->db) != 0) {
		db_rollback(app->db);
		fprintf(stderr, "crmctl: the contact could not be saved\n");
		return 1;
	}
	struct rematch_list l = { 0 };
	if (db_rematch_all(app->db, LIST_MAX, &l) == 0) {
		queued = 0;
		for (size_t i = 0; i < l.n; i++)
			queued += l.v[i].contact_id == id;
	}
	rematch_list_free(&l);
	printf("contact %lld %s <%s>%s", (long long)id, argv[3], email,
	    added ? "" : " (already had this address)");
	if (queued > 0)
		printf("; %d earlier items queued to import\n", queued);
	else
		printf("\n");
	return 0;
}

int cmd_rematch(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct rematch_list l = { 0 };
	if (db_rematch_all(app->db, LIST_MAX, &l) != 0) {
		fprintf(stderr, "crmctl: database error\n");
		return 1;
	}
	if (l.n == 0)
		printf("nothing queued to fetch again\n");
	for (size_t i = 0; i < l.n; i++) {
		char at[32];
		time_t t = (time_t)l.v[i].queued_at;
		struct tm tm;
		if (!gmtime_r(&t, &tm) || !strftime(at, sizeof at, "%Y-%m-%d %H:%M:%S UTC", &tm))
			snprintf(at, sizeof at, "?");
		printf("link %lld (%s): %s %s for contact %lld, queued %s, %d failed tries\n",
		    (long long)l.v[i].link_id, l.v[i].link_address, skip_kind_name(l.v[i].kind),
		    l.v[i].provider_id, (long long)l.v[i].contact_id, at, l.v[i].tries);
	}
	rematch_list_free(&l);
	return 0;
}
