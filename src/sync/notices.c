/* Re-link notices (see notices.h): claim -> compose -> a worker sends through the relay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/db_sync.h"
#include "core/log.h"
#include "core/notify.h"
#include "providers/provider.h"
#include "providers/smtp.h"
#include "sync/notices.h"
#include "sync/workers.h"

struct notice_run {
	struct relink_notice n;
	char *mail;
	struct smtp_conf conf;      /* strings borrowed from the notices */
	const char *from;
	char err[256];              /* written by the job */
};

struct notices {
	struct app *app;
	struct workers *ws;
	int on;                     /* [notify] smtp_url is set */
	struct notify_relay relay;
	char from[320];
	struct notice_run *run;     /* the send in flight, or NULL */
};

/* "crm-sync@" and the host of base_url, for a config without [notify] from. */
static void default_from(const char *base_url, char *out, size_t size)
{
	const char *h = base_url ? strstr(base_url, "://") : NULL;
	h = h ? h + 3 : "localhost";
	size_t n = strcspn(h, ":/[]@?# ");
	snprintf(out, size, "crm-sync@%.*s", n ? (int)n : 9, n ? h : "localhost");
}

struct notices *notices_new(struct app *app, struct workers *ws)
{
	struct notices *ns = calloc(1, sizeof *ns);
	if (!ns)
		return NULL;
	ns->app = app;
	ns->ws = ws;
	const char *url = app->cfg.notify_smtp_url;
	if (!url || !*url)
		return ns;
	if (notify_relay_parse(url, &ns->relay) != 0) {
		log_warnx("[notify] smtp_url: not smtp://host[:port] or smtps://host[:port]");
		free(ns);
		return NULL;
	}
	ns->on = 1;
	if (app->cfg.notify_from && *app->cfg.notify_from)
		snprintf(ns->from, sizeof ns->from, "%s", app->cfg.notify_from);
	else
		default_from(app->cfg.base_url, ns->from, sizeof ns->from);
	return ns;
}

static void run_free(struct notice_run *r)
{
	if (!r)
		return;
	relink_notice_free(&r->n);
	free(r->mail);
	free(r);
}

/* On a worker: hand the notice to the relay. */
static int send_job(void *arg)
{
	struct notice_run *r = arg;
	const char *rcpt[1] = { r->n.to };
	return smtp_send(&r->conf, r->from, rcpt, 1, r->mail, strlen(r->mail), r->err,
	    sizeof r->err);
}

void notices_start(struct notices *ns)
{
	if (!ns || !ns->on || ns->run)
		return;
	struct notice_run *r = calloc(1, sizeof *r);
	if (!r)
		return;
	int64_t now = time(NULL);
	if (db_sync_relink_claim(ns->app->db, now, &r->n) != 1) {
		free(r);
		return;
	}
	char mid[160];
	snprintf(mid, sizeof mid, "<relink-%lld-%lld@%s>", (long long)r->n.link_id, (long long)now,
	    strchr(ns->from, '@') ? strchr(ns->from, '@') + 1 : "localhost");
	r->mail = notify_relink_mail(ns->from, r->n.to, r->n.address, r->n.provider,
	    ns->app->cfg.base_url, mid, now);
	r->from = ns->from;
	r->conf = (struct smtp_conf){ .host = ns->relay.host, .port = ns->relay.port,
	    .tls = ns->relay.tls ? SMTP_TLS : SMTP_STARTTLS, .timeout_s = ns->app->cfg.op_timeout_s };
	if (!r->mail || workers_submit_in(ns->ws, WORK_SUSPECT, send_job, r, r,
	    ns->app->cfg.op_timeout_s) != 0) {
		log_warnx("link %lld: the re-link notice to %s could not be started",
		    (long long)r->n.link_id, r->n.to);
		run_free(r);
		return;
	}
	ns->run = r;
}

int notices_owns(const struct notices *ns, const void *owner)
{
	return ns && ns->run && owner == ns->run;
}

void notices_stepped(struct notices *ns, void *owner, int rc, int timed_out_s)
{
	if (!notices_owns(ns, owner))
		return;
	struct notice_run *r = ns->run;
	ns->run = NULL;
	if (timed_out_s) {
		snprintf(r->err, sizeof r->err, "timed out after %d s", timed_out_s);
		rc = PROV_TEMP;
	}
	/* Sent at most once: a relay that failed is logged, the notice is not tried again (the
	 * top-bar badge still tells the user). */
	if (rc == PROV_OK)
		log_info("link %lld %s: needs re-link; %s was mailed through the notice relay",
		    (long long)r->n.link_id, r->n.address, r->n.to);
	else
		log_warnx("link %lld %s: needs re-link; the notice to %s was not sent: %s",
		    (long long)r->n.link_id, r->n.address, r->n.to, r->err[0] ? r->err : "failed");
	run_free(r);
}

void notices_free(struct notices *ns, int left_behind)
{
	if (!ns)
		return;
	if (!left_behind)
		run_free(ns->run);   /* else a thread left behind may still use it: the process ends */
	free(ns);
}
