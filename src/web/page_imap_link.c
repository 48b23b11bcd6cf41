/* Link an IMAP mailbox and CalDAV calendar (GET/POST /profile/link/imap): the form, then a test
 * of the IMAP login and of the CalDAV URL that crm-sync runs (GET /profile/link/imap/test/ID
 * shows it under way, reloading itself, then its outcome), then the link (or, with
 * purpose=resync, a new app password for the same mailbox). The web app itself never talks to
 * the mail servers: a silent one holds a worker of crm-sync, not a web worker. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/addr.h"
#include "core/crypto.h"
#include "core/db_link_probe.h"
#include "core/log.h"
#include "web/link_save.h"

#define LATE_GRACE_S 5        /* past a test's expiry, how long its outcome is still awaited */

struct imap_form {
	const char *email, *host, *user, *caldav, *smtp_host;
	int port, tls, smtp_port, resync;
	const char *errors[8];
	int n_errors;
};

static int show_form(struct ctx *c, const struct imap_form *f, const char *json_settings,
    int status)
{
	struct view *v = view_new();
	if (!v)
		return 500;
	json_t *set = json_settings ? json_loads(json_settings, 0, NULL) : NULL;
#define SET_STR(k) (json_string_value(json_object_get(set, k)))
	view_str(v, "csrf", c->csrf);
	view_int(v, "resync", f->resync);
	view_str(v, "email", f->email ? f->email : "");
	view_str(v, "imap_host", f->host ? f->host : SET_STR("imap_host") ? SET_STR("imap_host") : "");
	json_t *jp = json_object_get(set, "imap_port");
	int port = f->port ? f->port : json_is_integer(jp) ? (int)json_integer_value(jp) : 993;
	view_int(v, "imap_port", port);
	json_t *jt = json_object_get(set, "imap_tls");
	view_int(v, "imap_tls", set ? (jt ? json_is_true(jt) : 1) : f->tls);
	view_str(v, "username", f->user ? f->user : SET_STR("username") ? SET_STR("username") : "");
	view_str(v, "caldav_url", f->caldav ? f->caldav : SET_STR("caldav_url") ?
	    SET_STR("caldav_url") : "");
	view_str(v, "smtp_host", f->smtp_host ? f->smtp_host : SET_STR("smtp_host") ?
	    SET_STR("smtp_host") : "");
	json_t *sp = json_object_get(set, "smtp_port");
	int sport = f->smtp_port ? f->smtp_port : json_is_integer(sp) ? (int)json_integer_value(sp) : 0;
	if (sport)
		view_int(v, "smtp_port", sport);
	else
		view_str(v, "smtp_port", "");
#undef SET_STR
	struct vlist *errs = vlist_new();
	for (int i = 0; i < f->n_errors; i++)
		vrow_str(vlist_row(errs), f->errors[i]);
	view_list(v, "errors", errs);
	int st = page_render(c, "link_imap", "Link IMAP + CalDAV", v, status);
	json_decref(set);
	view_free(v);
	return st;
}

/* Read and check the posted fields into f; problems go to f->errors. */
static void read_form(struct ctx *c, struct imap_form *f, char *addr, size_t addrlen)
{
	const char *port = f_get(c, "imap_port"), *sport = f_get(c, "smtp_port");
	f->email = f_get(c, "email");
	f->host = f_get(c, "imap_host");
	f->user = f_get(c, "username");
	f->caldav = f_get(c, "caldav_url");
	f->smtp_host = f_get(c, "smtp_host");
	f->tls = f_get(c, "imap_tls") && strcmp(f_get(c, "imap_tls"), "0") != 0;   /* checkbox */
	f->port = port && !f_invalid(c, "imap_port") ? (int)parse_id(port) : 0;
	f->smtp_port = sport && !f_invalid(c, "smtp_port") ? (int)parse_id(sport) : 0;
	if (!f->email || !addr_normalize(f->email, addr, addrlen) || !addr_valid(addr))
		f->errors[f->n_errors++] = "Enter the mailbox's e-mail address.";
	if (!f->host || !*f->host || f_invalid(c, "imap_host") || strpbrk(f->host, " /@") ||
	    (strchr(f->host, ':') && (f->host[0] != '[' || f->host[strlen(f->host) - 1] != ']')))
		f->errors[f->n_errors++] = "Enter the IMAP server's host name (like imap.example.com).";
	if (f_invalid(c, "imap_port") || f_invalid(c, "smtp_port"))
		f->errors[f->n_errors++] = "A port is a number from 1 to 65535.";
	if (!f_get(c, "password") || !*f_get(c, "password"))
		f->errors[f->n_errors++] = "Enter the app password.";
	if (f_invalid(c, "caldav_url") || (f->caldav && *f->caldav &&
	    strncmp(f->caldav, "http://", 7) != 0 && strncmp(f->caldav, "https://", 8) != 0))
		f->errors[f->n_errors++] = "The CalDAV URL starts with https:// (or http://).";
	if (f_invalid(c, "username") || f_invalid(c, "smtp_host"))
		f->errors[f->n_errors++] = "A field holds characters that are not allowed.";
}

static char *settings_json(const struct imap_form *f, const char *user)
{
	json_t *s = json_pack("{s:s, s:i, s:b, s:s}", "imap_host", f->host, "imap_port",
	    f->port ? f->port : f->tls ? 993 : 143, "imap_tls", f->tls, "username", user);
	if (s && f->caldav && *f->caldav)
		json_object_set_new(s, "caldav_url", json_string(f->caldav));
	if (s && f->smtp_host && *f->smtp_host) {
		json_object_set_new(s, "smtp_host", json_string(f->smtp_host));
		json_object_set_new(s, "smtp_port", json_integer(f->smtp_port ? f->smtp_port : 587));
	}
	char *out = s ? json_dumps(s, JSON_COMPACT) : NULL;
	json_decref(s);
	return out;
}


/* Queue the test of the posted form for crm-sync and send the browser to its page. */
static int link_post(struct ctx *c, struct imap_form *f)
{
	char addr[320], *settings = NULL, *secret = NULL, where[96];
	uint8_t *blob = NULL;
	size_t blob_len = 0;
	int64_t id = 0, now = time(NULL);
	int st = 500;
	read_form(c, f, addr, sizeof addr);
	if (f->n_errors)
		return show_form(c, f, NULL, 400);
	int recent = db_link_probe_count_since(c->db, c->user.id, now - 59);
	if (recent < 0)
		return 500;
	if (recent >= c->w->cfg->probes_per_minute) {
		log_info("user %lld: IMAP + CalDAV test refused, %d in the last minute",
		    (long long)c->user.id, recent);
		char too_many[128];
		snprintf(too_many, sizeof too_many, "Too many connection tests: at most %d a minute. "
		    "Wait a minute, then try again.", c->w->cfg->probes_per_minute);
		f->errors[f->n_errors++] = too_many;
		return show_form(c, f, NULL, 429);
	}
	if (!c->w->key) {
		log_warnx("link test for user %lld: no secret key loaded", (long long)c->user.id);
		return 500;
	}
	const char *user = f->user && *f->user ? f->user : addr;
	json_t *sj = json_pack("{s:s}", "password", f_get(c, "password"));
	secret = sj ? json_dumps(sj, JSON_COMPACT) : NULL;
	json_decref(sj);
	if (!secret || !(settings = settings_json(f, user)) ||
	    !(blob = crypto_seal(c->w->key, secret, strlen(secret), &blob_len)))
		goto out;
	if (db_link_probe_add(c->db, c->user.id, f->resync ? "resync" : "link", addr, settings,
	    blob, blob_len, c->w->cfg->probe_timeout_s, now, &id) != 0)
		goto out;
	log_info("user %lld: IMAP + CalDAV test %lld queued for %s", (long long)c->user.id,
	    (long long)id, addr);
	snprintf(where, sizeof where, "/profile/link/imap/test/%lld", (long long)id);
	st = resp_redirect(c->resp, where);
out:
	if (secret)
		explicit_bzero(secret, strlen(secret));
	free(secret);
	free(blob);
	free(settings);
	return st;
}

/* The form again, filled from test p, with message. */
static int test_form(struct ctx *c, const struct link_probe *p, const char *message, int status)
{
	struct imap_form f = { .email = p->address, .resync = strcmp(p->purpose, "resync") == 0 };
	f.errors[f.n_errors++] = message;
	return show_form(c, &f, p->settings, status);
}

/* The page while the test waits or runs: it reloads itself every second. */
static int test_waiting(struct ctx *c, const struct link_probe *p)
{
	struct view *v = view_new();
	if (!v)
		return 500;
	json_t *set = json_loads(p->settings, 0, NULL);
	const char *host = json_string_value(json_object_get(set, "imap_host"));
	view_int(v, "id", (long)p->id);
	view_int(v, "resync", strcmp(p->purpose, "resync") == 0);
	view_str(v, "email", p->address);
	view_str(v, "imap_host", host ? host : "");
	view_int(v, "timeout", c->w->cfg->probe_timeout_s);
	c->refresh_s = 1;
	int st = page_render(c, "link_imap_test", "Testing the connection", v, 200);
	json_decref(set);
	view_free(v);
	return st;
}

static int saved_page(struct ctx *c, const struct link_probe *p, int resync)
{
	char msg[600];
	snprintf(msg, sizeof msg, "%s %s (IMAP + CalDAV). Sync has started.",
	    resync ? "Resynced" : "Linked", p->address);
	return link_result_page(c, 200, 1, msg);
}

/* A new link proves its address first: to the page of its proof (page_link_proof.c). */
static int to_proof(struct ctx *c)
{
	struct link cur = { 0 };
	char where[96];
	int rc = db_links_get_for_user(c->db, c->user.id, &cur);
	if (rc != 0)
		return rc < 0 ? 500 : link_result_page(c, 409, 0, "The link is gone; link the "
		    "mailbox again.");
	snprintf(where, sizeof where, "/profile/link/imap/proof/%lld", (long long)cur.id);
	link_free(&cur);
	return resp_redirect(c->resp, where);
}

/* Save the link of the succeeded test p (its secret is taken, so this happens once). */
static int test_save(struct ctx *c, struct link_probe *p)
{
	char msg[600];
	uint8_t *blob = NULL;
	size_t len = 0;
	int64_t link = 0;
	int resync = strcmp(p->purpose, "resync") == 0;
	int rc = db_link_probe_take(c->db, p->id, c->user.id, &blob, &len);
	if (rc < 0)
		return 500;
	if (rc == 1)   /* another request of the same user saved it meanwhile */
		return resync ? saved_page(c, p, 1) : to_proof(c);
	char *secret = crypto_open(c->w->key, blob, len);
	free(blob);
	if (!secret) {
		db_link_probe_refused(c->db, p->id, "The password could not be read; try again.");
		return test_form(c, p, "The password could not be read; try again.", 500);
	}
	int st = link_save(c, "imap", p->address, p->settings, secret, resync, msg, sizeof msg,
	    &link);
	explicit_bzero(secret, strlen(secret));
	free(secret);
	if (st != 0) {
		db_link_probe_refused(c->db, p->id, msg);
		return st == 500 ? 500 : test_form(c, p, msg, st);
	}
	return resync ? saved_page(c, p, 1) : to_proof(c);
}

int page_imap_link_test(struct ctx *c)
{
	struct link_probe p;
	int64_t id = parse_id(c->arg);
	int rc = id ? db_link_probe_get(c->db, id, c->user.id, &p) : 1;
	if (rc < 0)
		return 500;
	if (rc == 1)
		return 404;   /* none, or another user's */
	int st;
	if (strcmp(p.state, "ok") == 0 || strcmp(p.state, "saved") == 0)
		st = test_save(c, &p);
	else if (strcmp(p.state, "failed") == 0)
		st = test_form(c, &p, p.error ? p.error : "The connection test failed.", 400);
	else if (time(NULL) > p.expires_at + LATE_GRACE_S)
		st = test_form(c, &p, "The connection test did not finish in time (is the sync "
		    "service running?); try again.", 503);
	else
		st = test_waiting(c, &p);
	link_probe_free(&p);
	return st;
}

int page_imap_link(struct ctx *c)
{
	int post = strcmp(c->req->method, "POST") == 0;
	const char *purpose = post ? f_get(c, "purpose") : q_get(c, "purpose");
	struct imap_form f = { .tls = 1, .resync = purpose && strcmp(purpose, "resync") == 0 };
	if (post)
		return link_post(c, &f);
	if (!f.resync)
		return show_form(c, &f, NULL, 200);
	struct link cur = { 0 };
	int rc = db_links_get_for_user(c->db, c->user.id, &cur);
	if (rc < 0)
		return 500;
	if (rc == 1 || strcmp(cur.provider, "imap") != 0) {
		link_free(&cur);
		return link_result_page(c, 409, 0, "There is no IMAP + CalDAV link to resync.");
	}
	f.email = cur.address;
	int st = show_form(c, &f, cur.settings, 200);
	link_free(&cur);
	return st;
}
