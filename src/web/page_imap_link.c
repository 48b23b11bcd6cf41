/* Link an IMAP mailbox and CalDAV calendar (GET/POST /profile/link/imap): the form, a test of
 * the IMAP login and of the CalDAV URL before anything is saved, then the link (or, with
 * purpose=resync, a new app password for the same mailbox). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/addr.h"
#include "core/log.h"
#include "core/netguard.h"
#include "providers/imap.h"
#include "web/link_save.h"

#define PROBE_TIMEOUT_S 10
/* Every way a connection can fail gets these words: refused by the address guard, unknown
 * host, closed port, timeout, TLS, or an HTTP status, so the form tells nothing of what
 * listens where. */
static const char CONNECT_FAILED[] = "Could not connect with these settings: check the server "
    "names, the ports, TLS and the CalDAV URL.";

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

static size_t discard(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

/* PROPFIND the CalDAV URL with basic auth. Returns NULL when it answers 2xx, else a message. */
static const char *caldav_probe(const char *url, const char *user, const char *password,
    char *msg, size_t msglen)
{
	static const char body[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	    "<d:propfind xmlns:d=\"DAV:\"><d:prop><d:current-user-principal/></d:prop></d:propfind>";
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	struct netguard_curl guard;
	long code = 0;
	if (!h)
		return "The CalDAV test could not run; try again.";
	netguard_curl(h, url, &guard);
	hdr = curl_slist_append(hdr, "Depth: 0");
	hdr = curl_slist_append(hdr, "Content-Type: application/xml; charset=utf-8");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PROPFIND");
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_USERNAME, user);
	curl_easy_setopt(h, CURLOPT_PASSWORD, password);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)PROBE_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK || code < 200 || code >= 300)
		log_info("CalDAV test of %s: %s (HTTP %ld)", url, guard.refused ? guard.why :
		    curl_easy_strerror(rc), code);
	netguard_curl_free(&guard);
	if (rc == CURLE_OK && (code == 401 || code == 403))
		snprintf(msg, msglen, "CalDAV login refused: check the username and app password.");
	else if (rc != CURLE_OK || code < 200 || code >= 300)
		snprintf(msg, msglen, "%s", CONNECT_FAILED);
	else
		return NULL;
	return msg;
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

/* Test the IMAP login and the CalDAV URL. Returns NULL when both work, else a message. */
static const char *probe(const struct imap_form *f, const char *user, const char *password,
    char *msg, size_t msglen)
{
	char err[256] = "";
	struct imap_conn *conn = NULL;
	struct imap_login lg = { .host = f->host, .port = f->port, .tls = f->tls, .user = user,
		.password = password, .timeout_s = PROBE_TIMEOUT_S };
	int rc = imap_open(&lg, &conn, err, sizeof err);
	imap_close(conn);
	if (rc == PROV_AUTH) {
		snprintf(msg, msglen, "The IMAP server refused the login: check the username and app "
		    "password.");
		return msg;
	}
	if (rc != PROV_OK) {
		log_info("IMAP test of %s: %s", f->host, err);
		snprintf(msg, msglen, "%s", CONNECT_FAILED);
		return msg;
	}
	if (f->caldav && *f->caldav)
		return caldav_probe(f->caldav, user, password, msg, msglen);
	return NULL;
}

static int link_post(struct ctx *c, struct imap_form *f)
{
	char addr[320], msg[600], *settings = NULL, *secret = NULL;
	const char *password = f_get(c, "password");
	int64_t link = 0;
	int st = 500;
	read_form(c, f, addr, sizeof addr);
	if (f->n_errors)
		return show_form(c, f, NULL, 400);
	const char *user = f->user && *f->user ? f->user : addr;
	const char *problem = probe(f, user, password, msg, sizeof msg);
	if (problem) {
		log_info("user %lld: IMAP + CalDAV test failed for %s", (long long)c->user.id, addr);
		f->errors[f->n_errors++] = problem;
		return show_form(c, f, NULL, 400);
	}
	json_t *sj = json_pack("{s:s}", "password", password);
	secret = sj ? json_dumps(sj, JSON_COMPACT) : NULL;
	json_decref(sj);
	if (!secret || !(settings = settings_json(f, user)))
		goto out;
	st = link_save(c, "imap", addr, settings, secret, f->resync, msg, sizeof msg, &link);
	if (st == 0) {
		snprintf(msg, sizeof msg, "%s %s (IMAP + CalDAV). Sync has started.",
		    f->resync ? "Resynced" : "Linked", addr);
		st = link_result_page(c, 200, 1, msg);
	} else if (st != 500) {
		f->errors[f->n_errors++] = msg;
		st = show_form(c, f, NULL, st);
	}
out:
	if (secret)
		explicit_bzero(secret, strlen(secret));
	free(secret);
	free(settings);
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
