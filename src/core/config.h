/* The config file (INI): one table of keys with types and defaults; see README "Config". */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include <stddef.h>

/* Endpoints and client credentials of one provider, from the config file: the strings belong
 * to the config (config_free), a provider borrows them (providers/provider.h). */
struct provider_cfg {
	const char *client_id, *client_secret;
	const char *auth_url, *token_url;   /* OAuth authorize and token endpoints */
	const char *api_base;               /* Gmail / Graph / Nylas API base URL */
	const char *calendar_base;          /* Google Calendar API base URL */
	const char *webhook_secret;         /* Nylas webhook signing secret (Google and Graph
	                                     * channels carry a random token per link instead) */
};

struct config {
	char *database;          /* SQLite file */
	char *secret_key_file;   /* 32-byte key for secrets at rest, created by `crmctl init` */
	char *base_url;          /* public URL of the web app, for OAuth redirects and webhooks */
	char *listen;            /* FastCGI unix socket path */
	char *templates;         /* folder of the ctpl templates */
	char *static_dir;        /* folder of static files (served by nginx) */
	char *files;             /* folder of stored attachment files (served by nginx, internal) */
	int threads;             /* FastCGI worker threads */
	int poll_interval;       /* seconds between polls of a link */
	int keep_connections;    /* IMAP connections crm-sync keeps open between passes (0: none) */
	int push_connections;    /* push watches (IMAP IDLE) crm-sync holds; more links poll */
	int keep_idle_s;         /* ... each closed after this long without a pass */
	int subscribe_insecure;  /* tests only: create webhook subscriptions for an http base_url */
	int sync_workers;        /* crm-sync threads for IMAP, SMTP and IDLE set-up */
	int op_timeout_s;        /* deadline of one blocking operation (connect+login, a page, a send) */
	int probe_timeout_s;     /* deadline of a whole login test of the IMAP + CalDAV link form */
	int probes_per_minute;   /* login tests one user may start in any 60 s */
	int skipped_days;        /* items not imported are remembered this many days ... */
	int skipped_max;         /* ... and at most this many per link (newest kept) */
	int attachment_max_mb;   /* an attachment above this many MB is not stored (name kept) */
	int send_file_max_mb;    /* [web] a file attached in Compose may have this many MB ... */
	int send_total_max_mb;   /* ... and the files of one mail this many in all */
	int lease_s;             /* a daemon's lease on a link lasts this long unless renewed */
	int session_hours;       /* web session lifetime */
	int page_cache;          /* 1: keep rendered calendar pages while the database is unchanged */
	char *company_time_zone; /* default time zone for new users */
	char *allow_hosts;       /* [security] servers users may name although private (netguard.h) */
	char *notify_smtp_url;   /* [notify] relay for notices to users ("": none; core/notify.h) */
	char *notify_from;       /* ... their From ("": crm-sync@ the host of base_url) */
	struct provider_cfg google, microsoft, nylas;
	char *path;              /* the file this came from; owned */
};

/* Load path into *cfg (defaults first, then the file). Returns 0, or -1 with a one-line
 * "file:line: key: reason" in err. cfg owns every string; config_free releases them. */
int config_load(const char *path, struct config *cfg, char *err, size_t errlen);
void config_free(struct config *cfg);
/* The provider_cfg of a provider name ("google", "microsoft", "nylas") or NULL. Borrowed. */
const struct provider_cfg *config_provider(const struct config *cfg, const char *name);

#endif
