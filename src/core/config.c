/* Reads the INI config with libinih through one table of keys (section, name, type, default). */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>

#include "core/config.h"
#include "core/db.h"
#include "core/netguard.h"
#include "core/notify.h"

enum ctype { C_STR, C_INT, C_PSTR };  /* C_PSTR: a const char * inside a provider_cfg */

struct ckey {
	const char *section, *name;
	enum ctype type;
	size_t off;
	const char *def;
	int min, max;        /* for C_INT */
};

#define S(sec, n, field, d) { sec, n, C_STR, offsetof(struct config, field), d, 0, 0 }
#define I(sec, n, field, d, lo, hi) { sec, n, C_INT, offsetof(struct config, field), d, lo, hi }
#define P(sec, prov, n, field, d) { sec, n, C_PSTR, offsetof(struct config, prov) + \
	offsetof(struct provider_cfg, field), d, 0, 0 }

static const struct ckey config_keys[] = {
	S("core", "database", database, "run/crm.db"),
	S("core", "secret_key_file", secret_key_file, "run/secret.key"),
	S("core", "base_url", base_url, "http://127.0.0.1:8080"),
	S("core", "listen", listen, "run/app.sock"),
	S("core", "templates", templates, "templates"),
	S("core", "static", static_dir, "static"),
	S("core", "files", files, "run/files"),
	I("core", "threads", threads, "4", 1, 64),
	I("core", "session_hours", session_hours, "12", 1, 24 * 30),
	I("core", "page_cache", page_cache, "1", 0, 1),
	S("core", "time_zone", company_time_zone, "America/Chicago"),
	I("sync", "poll_interval", poll_interval, "900", 1, 86400),
	I("sync", "keep_connections", keep_connections, "64", 0, 100000),
	I("sync", "push_connections", push_connections, "2000", 0, 100000),
	I("sync", "keep_idle_s", keep_idle_s, "1200", 1, 86400),
	I("sync", "subscribe_insecure", subscribe_insecure, "0", 0, 1),
	I("sync", "workers", sync_workers, "8", 1, 256),
	I("sync", "op_timeout_s", op_timeout_s, "60", 1, 3600),
	S("security", "allow_hosts", allow_hosts, ""),
	I("sync", "probe_timeout_s", probe_timeout_s, "20", 1, 300),
	I("sync", "probes_per_minute", probes_per_minute, "5", 1, 1000),
	I("sync", "skipped_days", skipped_days, "30", 1, 3650),
	I("sync", "skipped_max", skipped_max, "5000", 1, 1000000),
	I("sync", "lease_s", lease_s, "30", 3, 3600),
	S("notify", "smtp_url", notify_smtp_url, ""),
	S("notify", "from", notify_from, ""),
	I("sync", "attachment_max_mb", attachment_max_mb, "25", 1, 2048),
	I("web", "send_file_max_mb", send_file_max_mb, "10", 1, 1024),
	I("web", "send_total_max_mb", send_total_max_mb, "10", 1, 1024),
	P("google", google, "client_id", client_id, ""),
	P("google", google, "client_secret", client_secret, ""),
	P("google", google, "auth_url", auth_url, "https://accounts.google.com/o/oauth2/v2/auth"),
	P("google", google, "token_url", token_url, "https://oauth2.googleapis.com/token"),
	P("google", google, "api_base", api_base, "https://gmail.googleapis.com"),
	P("google", google, "calendar_base", calendar_base, "https://www.googleapis.com/calendar/v3"),
	P("microsoft", microsoft, "client_id", client_id, ""),
	P("microsoft", microsoft, "client_secret", client_secret, ""),
	P("microsoft", microsoft, "auth_url", auth_url,
	    "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"),
	P("microsoft", microsoft, "token_url", token_url,
	    "https://login.microsoftonline.com/common/oauth2/v2.0/token"),
	P("microsoft", microsoft, "api_base", api_base, "https://graph.microsoft.com/v1.0"),
	P("microsoft", microsoft, "calendar_base", calendar_base, ""),
	P("nylas", nylas, "client_id", client_id, ""),
	P("nylas", nylas, "client_secret", client_secret, ""),
	P("nylas", nylas, "auth_url", auth_url, "https://api.us.nylas.com/v3/connect/auth"),
	P("nylas", nylas, "token_url", token_url, "https://api.us.nylas.com/v3/connect/token"),
	P("nylas", nylas, "api_base", api_base, "https://api.us.nylas.com"),
	P("nylas", nylas, "calendar_base", calendar_base, ""),
	P("nylas", nylas, "webhook_secret", webhook_secret, ""),
};
#define N_KEYS (sizeof config_keys / sizeof config_keys[0])

struct load_ctx {
	struct config *cfg;
	const char *path;
	char *err;
	size_t errlen;
	int failed;
	FILE *f;
	int line;            /* lines read so far: the handler runs on the latest one */
};

/* libinih's reader, counting lines: Debian's build has no line number in the handler. */
static char *config_reader(char *buf, int size, void *stream)
{
	struct load_ctx *c = stream;
	char *r = fgets(buf, size, c->f);
	if (r)
		c->line++;
	return r;
}

static int config_set(struct config *cfg, const struct ckey *k, const char *value, char *why, size_t whylen)
{
	char *p = (char *)cfg + k->off;
	if (k->type == C_INT) {
		char *end;
		errno = 0;
		long v = strtol(value, &end, 10);
		if (errno || end == value || *end || v < k->min || v > k->max) {
			snprintf(why, whylen, "expected a whole number from %d to %d", k->min, k->max);
			return -1;
		}
		*(int *)p = (int)v;
		return 0;
	}
	char *copy = strdup(value);
	if (!copy) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (k->type == C_STR) {
		free(*(char **)p);
		*(char **)p = copy;
	} else {
		free((char *)*(const char **)p);
		*(const char **)p = copy;
	}
	return 0;
}

static int config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *c = user;
	int lineno = c->line;
	char why[128];
	if (c->failed)
		return 0;
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct ckey *k = &config_keys[i];
		if (strcmp(k->section, section) != 0 || strcmp(k->name, name) != 0)
			continue;
		if (strcmp(section, "security") == 0 && strcmp(name, "allow_hosts") == 0) {
			struct netguard_rules *r = netguard_rules_parse(value, why, sizeof why);
			if (!r)
				goto bad;
			netguard_rules_free(r);
		}
		if (strcmp(section, "notify") == 0 && strcmp(name, "smtp_url") == 0 && *value) {
			struct notify_relay relay;
			snprintf(why, sizeof why, "not smtp://host[:port] or smtps://host[:port]");
			if (notify_relay_parse(value, &relay) != 0)
				goto bad;
		}
		if (config_set(c->cfg, k, value, why, sizeof why) == 0)
			return 1;
bad:
		snprintf(c->err, c->errlen, "%s:%d: %s.%s: %s", c->path, lineno, section, name, why);
		c->failed = 1;
		return 0;
	}
	snprintf(c->err, c->errlen, "%s:%d: %s.%s: unknown key", c->path, lineno, section, name);
	c->failed = 1;
	return 0;
}

/* Make a relative *p relative to the folder of the config file; a database URL is no path. */
static int config_resolve(const char *cfgpath, char **p)
{
	const char *slash = strrchr(cfgpath, '/');
	if (!*p || (*p)[0] == '/' || !slash || db_target_is_pg(*p))
		return 0;
	size_t dl = (size_t)(slash - cfgpath);
	char *n = malloc(dl + 1 + strlen(*p) + 1);
	if (!n)
		return -1;
	memcpy(n, cfgpath, dl);
	n[dl] = '/';
	strcpy(n + dl + 1, *p);
	free(*p);
	*p = n;
	return 0;
}

int config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	char why[128];
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < N_KEYS; i++)
		if (config_set(cfg, &config_keys[i], config_keys[i].def, why, sizeof why) != 0)
			goto oom;
	if (!(cfg->path = strdup(path)))
		goto oom;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
		config_free(cfg);
		return -1;
	}
	struct load_ctx c = { cfg, path, err, errlen, 0, f, 0 };
	int rc = ini_parse_stream(config_reader, &c, config_handler, &c);
	fclose(f);
	if (c.failed) {
		config_free(cfg);
		return -1;
	}
	if (rc > 0) {
		snprintf(err, errlen, "%s:%d: syntax error", path, rc);
		config_free(cfg);
		return -1;
	}
	char **paths[] = { &cfg->database, &cfg->secret_key_file, &cfg->listen, &cfg->templates,
		&cfg->static_dir, &cfg->files };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (config_resolve(path, paths[i]) != 0)
			goto oom;
	return 0;
oom:
	snprintf(err, errlen, "%s:0: out of memory", path);
	config_free(cfg);
	return -1;
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		char *p = (char *)cfg + config_keys[i].off;
		if (config_keys[i].type == C_STR)
			free(*(char **)p);
		else if (config_keys[i].type == C_PSTR)
			free((char *)*(const char **)p);
	}
	free(cfg->path);
	memset(cfg, 0, sizeof *cfg);
}

const struct provider_cfg *config_provider(const struct config *cfg, const char *name)
{
	if (strcmp(name, "google") == 0)
		return &cfg->google;
	if (strcmp(name, "microsoft") == 0)
		return &cfg->microsoft;
	if (strcmp(name, "nylas") == 0)
		return &cfg->nylas;
	return NULL;
}
