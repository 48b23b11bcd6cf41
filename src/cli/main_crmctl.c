/* crmctl: the admin command line (init, users, imports, links, sync-now, demo). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/app.h"
#include "core/db_health.h"
#include "core/demo.h"
#include "core/import.h"
#include "core/link_error.h"
#include "core/log.h"
#include "core/models.h"

static int cmd_init(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("database %s at schema version %d, key %s\n", app->cfg.database,
	    db_schema_version(app->db), app->cfg.secret_key_file);
	return 0;
}

/* Read a password from the terminal without echo, or a line from a pipe. */
static int read_password(char *buf, size_t size)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		fprintf(stderr, "Password: ");
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	char *r = fgets(buf, (int)size, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fputc('\n', stderr);
	}
	if (!r)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] ? 0 : -1;
}

static int print_user(void *ctx, const struct user *u)
{
	(void)ctx;
	printf("%-4lld %-28s %-22s %-6s %-20s %s\n", (long long)u->id, u->email, u->name, u->role,
	    u->time_zone, u->calendar_privacy);
	return 0;
}

static int cmd_user(struct app *app, int argc, char **argv)
{
	char pw[256];
	if (argc >= 2 && strcmp(argv[1], "list") == 0) {
		printf("%-4s %-28s %-22s %-6s %-20s %s\n", "ID", "EMAIL", "NAME", "ROLE", "TIME ZONE",
		    "CALENDAR");
		return db_users_list(app->db, print_user, NULL) == 0 ? 0 : 1;
	}
	if (argc >= 4 && strcmp(argv[1], "add") == 0) {
		const char *role = "user", *tz = app->cfg.company_time_zone;
		for (int i = 4; i + 1 < argc; i += 2) {
			if (strcmp(argv[i], "--role") == 0)
				role = argv[i + 1];
			else if (strcmp(argv[i], "--tz") == 0)
				tz = argv[i + 1];
		}
		if (strcmp(role, "admin") != 0 && strcmp(role, "user") != 0) {
			fprintf(stderr, "crmctl: role must be admin or user\n");
			return 1;
		}
		if (read_password(pw, sizeof pw) != 0) {
			fprintf(stderr, "crmctl: a password is needed (on standard input)\n");
			return 1;
		}
		int64_t id;
		if (db_users_add(app->db, argv[3], argv[2], pw, role, tz, &id) != 0) {
			fprintf(stderr, "crmctl: could not add %s (already there, or a bad address or zone)\n",
			    argv[2]);
			return 1;
		}
		printf("user %lld added: %s\n", (long long)id, argv[2]);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "passwd") == 0) {
		if (read_password(pw, sizeof pw) != 0 || db_users_set_password(app->db, argv[2], pw) != 0) {
			fprintf(stderr, "crmctl: no such user, or no password given\n");
			return 1;
		}
		printf("password changed for %s\n", argv[2]);
		return 0;
	}
	fprintf(stderr, "usage: crmctl user list | user add EMAIL NAME [--role admin|user] [--tz ZONE]"
	    " | user passwd EMAIL   (password on standard input)\n");
	return 2;
}

static int cmd_import(struct app *app, int argc, char **argv)
{
	struct import_result r;
	int rc;
	if (argc != 3 || (strcmp(argv[1], "accounts") != 0 && strcmp(argv[1], "contacts") != 0)) {
		fprintf(stderr, "usage: crmctl import accounts|contacts FILE.csv|FILE.json\n");
		return 2;
	}
	if (strcmp(argv[1], "accounts") == 0)
		rc = import_accounts(app->db, argv[2], stderr, &r);
	else
		rc = import_contacts(app->db, argv[2], stderr, &r);
	if (rc != 0) {
		fprintf(stderr, "crmctl: %s: nothing imported (%d problem%s)\n", argv[2], r.errors,
		    r.errors == 1 ? "" : "s");
		return 1;
	}
	printf("%s: %d rows, %d new, %d updated\n", argv[2], r.rows, r.inserted, r.updated);
	return 0;
}

static void fmt_when(int64_t t, char *out, size_t size)
{
	if (!t) {
		snprintf(out, size, "never");
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M:%SZ", &tm);
}

static int print_link(void *ctx, const struct link *l, const char *user_email)
{
	const struct app *app = ctx;
	char last[32], next[32];
	int64_t now = time(NULL);
	fmt_when(l->last_success_at, last, sizeof last);
	fmt_when(l->next_due_at, next, sizeof next);
	const char *health = "ok";
	if (strcmp(l->status, "relink") == 0)
		health = "NEEDS RE-LINK";
	else if (l->cursor_refused_at)
		health = "CURSOR REFUSED";
	else if (strcmp(l->status, "active") == 0 &&
	    now - (l->last_success_at ? l->last_success_at : l->linked_at) >
	    3 * (int64_t)app->cfg.poll_interval)
		health = "STALE";
	char words[256];
	const char *err = link_error_words(l->last_error, link_retry_at(l), "UTC", now, words,
	    sizeof words);
	printf("%-4lld %-22s %-9s %-26s %-8s %-21s %-21s %-6lld %s%s%s\n", (long long)l->id,
	    user_email, l->provider, l->address, l->status, last, next,
	    (long long)l->items_imported, health, *err ? ": " : "", err);
	return 0;
}

static int cmd_links(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("%-4s %-22s %-9s %-26s %-8s %-21s %-21s %-6s %s\n", "ID", "USER", "PROVIDER",
	    "ADDRESS", "STATUS", "LAST SUCCESS", "NEXT SYNC", "ITEMS", "HEALTH / LAST ERROR");
	return db_links_list(app->db, print_link, app) == 0 ? 0 : 1;
}

/* One line per link; the counts are the last hour's failed passes and 429s, and today's
 * (UTC) items imported and left out. */
static int cmd_health(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct health_list l;
	int64_t now = time(NULL);
	if (db_health_links(app->db, now, now - now % 86400, app->cfg.poll_interval, &l) != 0)
		return 1;
	printf("%-4s %-22s %-9s %-26s %-14s %-21s %-21s %-12s %-24s %-32s %-11s %-13s %-6s %s\n",
	    "ID", "USER", "PROVIDER", "ADDRESS", "STATE", "LAST SUCCESS", "NEXT SYNC", "LAG", "IDLE",
	    "PUSH", "ERR/429 1H", "TODAY +/SKIP", "ITEMS", "NOTE / LAST ERROR");
	for (size_t i = 0; i < l.n; i++) {
		const struct link_health *h = &l.v[i];
		char last[32], next[32], exp[32], push[48], lag[32], hour[24], today[32];
		fmt_when(h->last_success_at, last, sizeof last);
		fmt_when(h->next_due_at, next, sizeof next);
		fmt_when(h->push_expires_at, exp, sizeof exp);
		if (h->push_channels)
			snprintf(push, sizeof push, "%d, %s %s", h->push_channels,
			    h->push_expires_at < now ? "expired" : "until", exp);
		else
			snprintf(push, sizeof push, "none");
		fmt_lag(link_health_lag(h, now), lag, sizeof lag);
		snprintf(hour, sizeof hour, "%lld/%lld", (long long)h->errors_hour,
		    (long long)h->rate_limited_hour);
		snprintf(today, sizeof today, "%lld/%lld", (long long)h->imported_today,
		    (long long)h->skipped_today);
		const char *idle = link_health_push_words(h);
		printf("%-4lld %-22s %-9s %-26s %-14s %-21s %-21s %-12s %-24s %-32s %-11s %-13s %-6lld"
		    " %s%s%s%s\n", (long long)h->id, h->user_email, h->provider, h->address,
		    link_health_state(h, now), last, next, lag, *idle ? idle : "-", push, hour, today,
		    (long long)h->items_imported, h->problem ? h->problem : "",
		    h->problem && h->failures ? " " : "", h->failures ? h->last_error : "",
		    h->needs_user && h->relink_notice_at ? " (user mailed)" : "");
	}
	health_list_free(&l);
	return 0;
}

static int cmd_sync_now(struct app *app, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: crmctl sync-now LINK_ID\n");
		return 2;
	}
	char *end;
	long long id = strtoll(argv[1], &end, 10);
	if (*end || id <= 0 || db_links_wake(app->db, id) != 0) {
		fprintf(stderr, "crmctl: no link %s\n", argv[1]);
		return 1;
	}
	printf("link %lld will sync at once\n", id);
	return 0;
}

static int cmd_demo(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (demo_load(app->db, stdout) != 0) {
		fprintf(stderr, "crmctl: demo data could not be loaded\n");
		return 1;
	}
	return 0;
}

static const struct cli_cmd core_cmds[] = {
	{ "init", cmd_init, "create the database and key, apply migrations" },
	{ "user", cmd_user, "list | add EMAIL NAME [--role R] [--tz Z] | passwd EMAIL" },
	{ "import", cmd_import, "accounts|contacts FILE.csv|.json (all rows or none)" },
	{ "links", cmd_links, "every link with its sync status" },
	{ "health", cmd_health, "every link, those that need attention first" },
	{ "sync-now", cmd_sync_now, "LINK_ID: sync that link at once" },
	{ "demo", cmd_demo, "load the demo company" },
};

static void usage(void)
{
	fprintf(stderr, "usage: crmctl [-c CONFIG] COMMAND ...\n");
	for (size_t i = 0; i < sizeof core_cmds / sizeof core_cmds[0]; i++)
		fprintf(stderr, "  %-10s %s\n", core_cmds[i].name, core_cmds[i].help);
	for (const struct cli_cmd *c = cli_extra_cmds; c && c->name; c++)
		fprintf(stderr, "  %-10s %s\n", c->name, c->help);
}

int main(int argc, char **argv)
{
	char err[512];
	struct app app;
	log_init("crmctl", getenv("CRM_DEBUG") != NULL);
	const char *cfg = app_config_path(&argc, argv);
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage();
		return argc < 2 ? 2 : 0;
	}
	const struct cli_cmd *cmd = NULL;
	for (size_t i = 0; i < sizeof core_cmds / sizeof core_cmds[0]; i++)
		if (strcmp(core_cmds[i].name, argv[1]) == 0)
			cmd = &core_cmds[i];
	for (const struct cli_cmd *c = cli_extra_cmds; !cmd && c && c->name; c++)
		if (strcmp(c->name, argv[1]) == 0)
			cmd = c;
	if (!cmd) {
		usage();
		return 2;
	}
	if (app_open(cfg, strcmp(argv[1], "init") == 0 || strcmp(argv[1], "demo") == 0, &app, err,
	    sizeof err) != 0) {
		fprintf(stderr, "crmctl: %s\n", err);
		return 1;
	}
	int rc = cmd->fn(&app, argc - 1, argv + 1);
	app_close(&app);
	return rc;
}
