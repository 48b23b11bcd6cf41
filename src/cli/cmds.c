/* Further crmctl commands, registered here so each area keeps its own file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/addr.h"
#include "core/app.h"
#include "core/crypto.h"
#include "core/db_sync.h"
#include "core/models.h"

static int link_imap_usage(void)
{
	fprintf(stderr, "usage: crmctl link-imap USER_EMAIL [--address ADDR] [--imap-host H"
	    " [--imap-port P] [--tls]] [--username U] [--caldav-url URL] [--calendar-url URL]"
	    " [--backfill-days N]   (password on standard input)\n");
	return 2;
}

/* The options of link-imap, all borrowed from argv. */
struct imap_opts {
	const char *address, *host, *username, *caldav, *calendar;
	int port, tls, backfill;
};

static int link_imap_args(int argc, char **argv, struct imap_opts *o)
{
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--tls") == 0) {
			o->tls = 1;
			continue;
		}
		if (!v)
			return -1;
		if (strcmp(a, "--address") == 0)
			o->address = v;
		else if (strcmp(a, "--imap-host") == 0)
			o->host = v;
		else if (strcmp(a, "--imap-port") == 0)
			o->port = atoi(v);
		else if (strcmp(a, "--username") == 0)
			o->username = v;
		else if (strcmp(a, "--caldav-url") == 0)
			o->caldav = v;
		else if (strcmp(a, "--calendar-url") == 0)
			o->calendar = v;
		else if (strcmp(a, "--backfill-days") == 0)
			o->backfill = atoi(v);
		else
			return -1;
		i++;
	}
	if (o->port < 0 || o->port > 65535 || o->backfill < 0 || (!o->host && !o->caldav))
		return -1;
	return 0;
}

/* The settings JSON of an IMAP + CalDAV link (malloc'd). */
static char *link_imap_settings(const struct imap_opts *o)
{
	json_t *s = json_object();
	if (o->host) {
		json_object_set_new(s, "imap_host", json_string(o->host));
		json_object_set_new(s, "imap_port", json_integer(o->port ? o->port : o->tls ? 993 : 143));
		json_object_set_new(s, "imap_tls", json_boolean(o->tls));
	}
	if (o->username)
		json_object_set_new(s, "username", json_string(o->username));
	if (o->caldav)
		json_object_set_new(s, "caldav_url", json_string(o->caldav));
	if (o->calendar)
		json_object_set_new(s, "calendar_url", json_string(o->calendar));
	char *out = json_dumps(s, JSON_COMPACT);
	json_decref(s);
	return out;
}

/* Link a user's IMAP mailbox and CalDAV calendar; the app password comes on standard input. */
static int cmd_link_imap(struct app *app, int argc, char **argv)
{
	struct imap_opts o = { 0 };
	struct user u = { 0 };
	char pw[512], addr[320];
	char *settings = NULL, *secret = NULL;
	uint8_t *blob = NULL;
	size_t blob_len;
	int64_t id;
	int rc = 1;

	if (argc < 2 || link_imap_args(argc, argv, &o) != 0)
		return link_imap_usage();
	if (db_users_get_by_email(app->db, argv[1], &u) != 0) {
		fprintf(stderr, "crmctl: no user %s\n", argv[1]);
		return 1;
	}
	if (!addr_normalize(o.address ? o.address : u.email, addr, sizeof addr) || !addr_valid(addr)) {
		fprintf(stderr, "crmctl: %s is not a usable address\n", o.address ? o.address : u.email);
		goto out;
	}
	if (!fgets(pw, sizeof pw, stdin) || (pw[strcspn(pw, "\r\n")] = '\0', !pw[0])) {
		fprintf(stderr, "crmctl: the password is read from standard input\n");
		goto out;
	}
	json_t *sj = json_pack("{s:s}", "password", pw);
	secret = sj ? json_dumps(sj, JSON_COMPACT) : NULL;
	json_decref(sj);
	if (!secret || !(settings = link_imap_settings(&o)) ||
	    !(blob = crypto_seal(app->key, secret, strlen(secret), &blob_len)))
		goto out;
	int64_t holder = db_links_find_address(app->db, addr);
	if (holder != 0) {
		fprintf(stderr, "crmctl: %s is already linked%s\n", addr,
		    holder == u.id ? " by this user" : " by another user");
		goto out;
	}
	if (db_links_add(app->db, u.id, "imap", addr, settings, blob, blob_len, &id) != 0) {
		fprintf(stderr, "crmctl: %s already has a link (unlink it first)\n", u.email);
		goto out;
	}
	if (db_sync_link_configure(app->db, id, o.host != NULL, o.caldav != NULL, o.backfill) != 0)
		goto out;
	printf("link %lld added for %s: %s (%s%s%s)\n", (long long)id, u.email, addr,
	    o.host ? "mail" : "", o.host && o.caldav ? " + " : "", o.caldav ? "calendar" : "");
	rc = 0;
out:
	explicit_bzero(pw, sizeof pw);
	if (secret)
		explicit_bzero(secret, strlen(secret));
	free(secret);
	free(settings);
	free(blob);
	user_free(&u);
	return rc;
}

int cmd_link_oauth(struct app *app, int argc, char **argv);   /* src/cli/cmds_oauth.c */

int cmd_why(struct app *app, int argc, char **argv);   /* cmd_why.c */
int cmd_contact(struct app *app, int argc, char **argv);   /* cmd_contact.c */
int cmd_rematch(struct app *app, int argc, char **argv);   /* cmd_contact.c */
int cmd_block(struct app *app, int argc, char **argv);   /* cmd_block.c */

const struct cli_cmd cli_extra_cmds[] = {
	{ "link-imap", cmd_link_imap, "USER_EMAIL --imap-host H [--imap-port P] [--tls] [--username U]"
	    " [--caldav-url URL] [--backfill-days N]: link IMAP + CalDAV (password on stdin)" },
	{ "link-oauth", cmd_link_oauth, "USER_EMAIL google|microsoft|nylas [--address A] [--grant-id G]"
	    " [--backfill-days N]: link an OAuth mailbox (token JSON on stdin)" },
	{ "why", cmd_why, "ADDRESS|MESSAGE-ID|UID: why the sync did not import it, or where it went" },
	{ "contact", cmd_contact, "add ACCOUNT NAME EMAIL: give a contact an address (made when new);"
	    " the items not imported for want of it are fetched again and imported" },
	{ "rematch", cmd_rematch, ": the items queued to fetch again for new contact addresses" },
	{ "block", cmd_block, "add|remove|list [--user EMAIL] [ADDRESS|DOMAIN]: the company's"
	    " blocklist, or a user's; adding hides imported items left with only blocked contacts" },
	{ NULL, NULL, NULL },
};
