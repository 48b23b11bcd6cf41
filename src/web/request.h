/* One HTTP request as the pages see it (method, path, query, form, cookies) and the response
 * they build. Parsing here is pure so it can be tested without FastCGI. */
#ifndef WEB_REQUEST_H
#define WEB_REQUEST_H

#include <stddef.h>
#include "web/html.h"

/* Larger bodies (forms and webhooks alike) are refused with 413: the same limit as nginx's
 * client_max_body_size in nginx.conf.example, so what nginx lets through the app reads. */
#define REQ_BODY_MAX (1024 * 1024)
#define REQ_MAX_PARAMS 200

struct param {
	char *key, *val;       /* owned, decoded */
	int invalid;           /* a form value that failed its validator (kept for re-showing) */
};
struct params {
	struct param *v;
	size_t n;
};

/* One uploaded file. Strings and data owned. */
struct upload {
	char *field;             /* the form field's name */
	char *filename;          /* the name as the browser sent it (not cleaned; may be "") */
	char *ctype;             /* the part's Content-Type as sent, or NULL */
	unsigned char *data;     /* the bytes; NULL when too_big */
	size_t len;              /* the part's size, also when too_big */
	int too_big;             /* over the per-file limit: bytes not kept */
};
struct uploads {
	struct upload *v;
	size_t n;
	int over_total;          /* the files together are over the per-message limit */
};
void uploads_free(struct uploads *u);

struct req {
	char method[8];
	char *path;            /* owned: the path without the query, not decoded */
	struct params query, form;
	char *cookie_session;  /* owned, may be NULL */
	char *cookie_pre;      /* owned: the pre-login CSRF cookie, may be NULL */
	char remote_addr[64];
	int https;             /* the public URL is https (cookies get Secure) */
	struct uploads files;  /* owned: the files of a multipart/form-data POST */
	char *body;            /* owned: a POST body that is not a form (webhooks), or NULL */
	size_t body_len;
	char **envp;           /* borrowed: the FastCGI parameters ("NAME=value"), for headers */
};

struct resp {
	int status;
	struct buf body;
	const char *content_type;   /* static string; default text/html */
	char *location;             /* owned: for redirects */
	char *csp_form_action;      /* owned: extra CSP form-action sources (OAuth providers'
	                             * origins, for forms that go there), or NULL */
	char *cookies[4];           /* owned Set-Cookie values */
	int n_cookies;
	int retry_after;            /* seconds for a Retry-After header, 0 for none */
	char *ctype;                /* owned: a Content-Type built at run time (replaces
	                             * content_type), or NULL */
	char *headers;              /* owned: more header lines, each ending in CRLF, or NULL */
};

/* Parse "a=1&b=x%20y" (n bytes) into p (appending). Returns 0, or -1 on a bad escape, too many
 * parameters or no memory. */
int params_parse(struct params *p, const char *s, size_t n);
void params_free(struct params *p);
/* The first value of key, or NULL. Borrowed. */
const char *params_get(const struct params *p, const char *key);
/* The first parameter named key (to read its invalid flag), or NULL. */
const struct param *params_find(const struct params *p, const char *key);

/* The value of cookie name in a Cookie header, as a malloc'd string, or NULL. */
char *cookie_get(const char *header, const char *name);

void req_free(struct req *r);
void resp_free(struct resp *r);
/* Add a Set-Cookie value (copied). */
void resp_cookie(struct resp *r, const char *fmt, ...) LOG_PRINTF(2, 3);
/* Make r a redirect (303) to url (copied). Returns 303. */
int resp_redirect(struct resp *r, const char *url);

/* The reason phrase of an HTTP status. */
const char *http_reason(int status);

#endif
