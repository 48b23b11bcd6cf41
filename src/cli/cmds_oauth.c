/* crmctl link-oauth: link a Google, Microsoft 365 or Nylas mailbox from tokens obtained
 * elsewhere (the secret JSON of oauth.h on standard input). */
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
#include "providers/oauth.h"

int cmd_link_oauth(struct app *app, int argc, char **argv);

static int usage(void)
{
	fprintf(stderr, "usage: crmctl link-oauth USER_EMAIL google|microsoft|nylas [--address ADDR]"
	    " [--grant-id ID] [--backfill-days N] [--no-mail] [--no-calendar]"
	    "   (secret JSON {\"access_token\",\"refresh_token\",\"expires_at\"} on standard input)\n");
	return 2;
}

struct oauth_opts {
	const char *address, *grant;
	int backfill, mail, calendar;
};

static int parse_opts(int argc, char **argv, struct oauth_opts *o)
{
	o->mail = o->calendar = 1;
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--no-mail") == 0) {
			o->mail = 0;
			continue;
		}
		if (strcmp(a, "--no-calendar") == 0) {
			o->calendar = 0;
			continue;
		}
		if (!v)
			return -1;
		if (strcmp(a, "--address") == 0)
			o->address = v;
		else if (strcmp(a, "--grant-id") == 0)
			o->grant = v;
		else if (strcmp(a, "--backfill-days") == 0)
			o->backfill = atoi(v);
		else
			return -1;
		i++;
	}
	return o->backfill < 0 ? -1 : 0;
}

/* The secret read from stdin, checked to hold a token; malloc'd or NULL. */
static char *read_secret(void)
{
	json_error_t e;
	json_t *j = json_loadf(stdin, 0, &e);
	char *s = NULL;
	if (json_is_object(j) && (json_is_string(json_object_get(j, "refresh_token")) ||
	    json_is_string(json_object_get(j, "access_token"))))
		s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

/* The mailbox address: --address, else asked of the provider (group/shared refused). */
static int find_address(struct app *app, const char *prov, const struct oauth_opts *o,
    const char *secret, char *addr, size_t addrlen)
{
	char err[256], *got = NULL;
	int shared = 0;
	if (o->address)
		return addr_normalize(o->address, addr, addrlen) && addr_valid(addr) ? 0 : -1;
	if (oauth_fetch_address(config_provider(&app->cfg, prov), prov, secret, &got, &shared, err,
	    sizeof err) != 0) {
		fprintf(stderr, "crmctl: cannot read the account's address: %s\n", err);
		return -1;
	}
	int rc = shared ? -1 : addr_normalize(got, addr, addrlen) && addr_valid(addr) ? 0 : -1;
	if (shared)
		fprintf(stderr, "crmctl: %s is a group or shared mailbox; link a personal one\n", got);
	free(got);
	return rc;
}

int cmd_link_oauth(struct app *app, int argc, char **argv)
{
	struct oauth_opts o = { 0 };
	struct user u = { 0 };
	char addr[320];
	char *secret = NULL, *settings = NULL;
	uint8_t *blob = NULL;
	size_t blob_len;
	int64_t id;
	int rc = 1;

	if (argc < 3 || parse_opts(argc, argv, &o) != 0 || !config_provider(&app->cfg, argv[2]))
		return usage();
	if (db_users_get_by_email(app->db, argv[1], &u) != 0) {
		fprintf(stderr, "crmctl: no user %s\n", argv[1]);
		return 1;
	}
	if (!(secret = read_secret())) {
		fprintf(stderr, "crmctl: standard input must hold the token JSON\n");
		goto out;
	}
	if (find_address(app, argv[2], &o, secret, addr, sizeof addr) != 0)
		goto out;
	json_t *sj = o.grant ? json_pack("{s:s}", "grant_id", o.grant) : json_object();
	settings = sj ? json_dumps(sj, JSON_COMPACT) : NULL;
	json_decref(sj);
	if (!settings || !(blob = crypto_seal(app->key, secret, strlen(secret), &blob_len)))
		goto out;
	int64_t holder = db_links_find_address(app->db, addr);
	if (holder != 0) {
		fprintf(stderr, "crmctl: %s is already linked%s\n", addr,
		    holder == u.id ? " by this user" : " by another user");
		goto out;
	}
	if (db_links_add(app->db, u.id, argv[2], addr, settings, blob, blob_len, &id) != 0) {
		fprintf(stderr, "crmctl: %s already has a link (unlink it first)\n", u.email);
		goto out;
	}
	if (db_sync_link_configure(app->db, id, o.mail, o.calendar, o.backfill) != 0)
		goto out;
	printf("link %lld added for %s: %s (%s)\n", (long long)id, u.email, addr, argv[2]);
	rc = 0;
out:
	if (secret)
		explicit_bzero(secret, strlen(secret));
	free(secret);
	free(settings);
	free(blob);
	user_free(&u);
	return rc;
}
