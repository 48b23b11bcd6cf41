/* FastCGI glue: CGI variables and body in, status line, headers and body out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "web/multipart.h"
#include "web/server.h"

#define WEB_DB_BUDGET_MS 15000   /* lock waits of one request, in all (nginx waits 30 s) */

/* The CSP ends with form-action 'self', to which a page may add sources (resp.csp_form_action). */
static const char CSP_HEADER[] =
    "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self';"
    " img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none';"
    " form-action 'self'";
static const char SECURITY_HEADERS[] =
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: same-origin\r\n"
    "Cache-Control: no-store\r\n";
/* Sent when base_url is https: browsers then never try the site over plain http. */
static const char HSTS_HEADER[] = "Strict-Transport-Security: max-age=31536000\r\n";

/* Fill r from the CGI variables; returns 0, or an HTTP status to answer with at once (with a
 * reason for the page in why, "" for the status's own words). */
static int read_request(FCGX_Request *fr, const struct config *cfg, struct req *r, char *why,
    size_t whylen)
{
	const char *method = FCGX_GetParam("REQUEST_METHOD", fr->envp);
	const char *uri = FCGX_GetParam("REQUEST_URI", fr->envp);
	const char *qs = FCGX_GetParam("QUERY_STRING", fr->envp);
	const char *ctype = FCGX_GetParam("CONTENT_TYPE", fr->envp);
	const char *clen = FCGX_GetParam("CONTENT_LENGTH", fr->envp);
	const char *cookie = FCGX_GetParam("HTTP_COOKIE", fr->envp);
	const char *addr = FCGX_GetParam("REMOTE_ADDR", fr->envp);
	if (!uri)
		uri = FCGX_GetParam("DOCUMENT_URI", fr->envp);
	snprintf(r->method, sizeof r->method, "%s", method ? method : "GET");
	r->envp = fr->envp;
	snprintf(r->remote_addr, sizeof r->remote_addr, "%s", addr ? addr : "");
	r->https = cfg->base_url && strncmp(cfg->base_url, "https:", 6) == 0;
	size_t plen = uri ? strcspn(uri, "?") : 0;
	r->path = plen ? strndup(uri, plen) : strdup("/");
	if (!r->path)
		return 500;
	if (cookie) {
		r->cookie_session = cookie_get(cookie, "crm_session");
		r->cookie_pre = cookie_get(cookie, "crm_pre");
	}
	if (qs && params_parse(&r->query, qs, strlen(qs)) != 0)
		return 400;
	if (strcmp(r->method, "POST") != 0)
		return 0;
	long len = clen ? strtol(clen, NULL, 10) : 0;
	if (len < 0)
		return 400;
	char boundary[80];
	int multipart = multipart_boundary(ctype, boundary, sizeof boundary) == 0;
	/* Compose's form may carry [web] send_total_max_mb of files, and its fields besides (as
	 * nginx.conf.example's location = /compose lets through) */
	int files_ok = multipart && strcmp(r->path, "/compose") == 0;
	long max = files_ok ? (long)cfg->send_total_max_mb * 1024 * 1024 + REQ_BODY_MAX :
	    REQ_BODY_MAX;
	if (len > max) {
		if (files_ok)
			snprintf(why, whylen, "The attached files are larger than the %d MB one message "
			    "may carry.", cfg->send_total_max_mb);
		return 413;
	}
	if (len == 0)
		return 0;
	char *body = malloc((size_t)len + 1);
	if (!body)
		return 500;
	int got = FCGX_GetStr(body, (int)len, fr->in);
	int rc = 0;
	if (got != len)
		rc = 400;
	else if (ctype && strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0) {
		if (params_parse(&r->form, body, (size_t)len) != 0)
			rc = 400;
	} else if (multipart) {
		char err[160];
		if (multipart_parse(boundary, body, (size_t)len,
		    (size_t)cfg->send_file_max_mb * 1024 * 1024,
		    (size_t)cfg->send_total_max_mb * 1024 * 1024, &r->form, &r->files, err,
		    sizeof err) != 0) {
			log_warnx("POST %s: multipart body refused: %s", r->path, err);
			snprintf(why, whylen, "The form could not be read (%s).", err);
			rc = 400;
		}
	} else if (ctype && strncasecmp(ctype, "multipart/", 10) == 0) {
		snprintf(why, whylen, "The form could not be read (no valid boundary).");
		rc = 400;
	} else {
		body[len] = '\0';   /* kept raw for webhooks (JSON, signed bytes) */
		r->body = body;
		r->body_len = (size_t)len;
		body = NULL;
	}
	free(body);
	return rc;
}

static void write_response(FCGX_Request *fr, const struct resp *rs, int head, int https)
{
	struct buf h = { 0 };
	int status = rs->status ? rs->status : 200;
	buf_printf(&h, "Status: %d %s\r\n", status, http_reason(status));
	buf_printf(&h, "Content-Type: %s\r\n", rs->ctype ? rs->ctype :
	    rs->content_type ? rs->content_type : "text/html; charset=utf-8");
	buf_printf(&h, "%s%s%s\r\n", CSP_HEADER, rs->csp_form_action ? " " : "",
	    rs->csp_form_action ? rs->csp_form_action : "");
	buf_puts(&h, SECURITY_HEADERS);
	if (https)
		buf_puts(&h, HSTS_HEADER);
	if (rs->location)
		buf_printf(&h, "Location: %s\r\n", rs->location);
	for (int i = 0; i < rs->n_cookies; i++)
		buf_printf(&h, "Set-Cookie: %s\r\n", rs->cookies[i]);
	if (rs->retry_after > 0)
		buf_printf(&h, "Retry-After: %d\r\n", rs->retry_after);
	if (rs->headers)
		buf_puts(&h, rs->headers);
	buf_printf(&h, "Content-Length: %lu\r\n\r\n", (unsigned long)rs->body.len);
	if (!h.oom)
		FCGX_PutStr(h.s, (int)h.len, fr->out);
	if (!head && rs->body.len && !rs->body.oom)
		FCGX_PutStr(rs->body.s, (int)rs->body.len, fr->out);
	buf_free(&h);
}

void server_handle(struct worker *w, FCGX_Request *fr)
{
	struct req req = { 0 };
	struct resp resp = { 0 };
	struct ctx c = { .w = w, .db = w->db, .req = &req, .resp = &resp };
	/* A request that meets the database locked by a writer (the sync daemon storing a page)
	 * waits and retries within its own budget; only when that runs out does it answer, and
	 * then 503 with Retry-After rather than a 500. */
	db_busy_deadline(w->db, WEB_DB_BUDGET_MS);
	char why[300] = "";
	int status = read_request(fr, w->cfg, &req, why, sizeof why);
	if (status) {
		if (!req.path)
			req.path = strdup("/");
		resp.status = page_error(&c, status, why[0] ? why : NULL);
	} else {
		route_request(&c);
	}
	if (resp.status >= 500 && db_busy_failed(w->db)) {
		db_busy_deadline(w->db, 0);
		free(resp.location);
		resp.location = NULL;
		buf_free(&resp.body);
		resp.retry_after = 2;
		resp.status = page_error(&c, 503, "The database is busy; try again in a moment.");
		log_warnx("%s %s: database busy for %d ms", req.method, req.path ? req.path : "?",
		    WEB_DB_BUDGET_MS);
	}
	db_busy_deadline(w->db, 0);
	if (resp.body.oom) {
		buf_free(&resp.body);
		resp.status = 500;
		buf_puts(&resp.body, "<!doctype html><title>Error</title><h1>500</h1>\n");
	}
	if (resp.status >= 500)
		log_warnx("%s %s: %d", req.method, req.path ? req.path : "?", resp.status);
	write_response(fr, &resp, strcmp(req.method, "HEAD") == 0, req.https);
	user_free(&c.user);
	req_free(&req);
	resp_free(&resp);
}
