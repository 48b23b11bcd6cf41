/* The live tests' HTTP: one struct http_req performed with libcurl's easy interface into a
 * struct http_resp, the way the sync engine does it through curl multi. Header-only, like t.h. */
#ifndef LIVE_HTTP_H
#define LIVE_HTTP_H
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include "providers/provider.h"

struct buf {
	char *p;
	size_t n;
};

struct hdrs {
	char etag[256], location[2048];
	long retry_after;
};

static size_t on_body(char *d, size_t sz, size_t nm, void *u)
{
	struct buf *b = u;
	size_t n = sz * nm;
	char *np = realloc(b->p, b->n + n + 1);
	if (!np)
		return 0;
	memcpy(np + b->n, d, n);
	b->p = np;
	b->n += n;
	b->p[b->n] = 0;
	return n;
}

static void header_value(const char *line, size_t n, char *out, size_t outlen)
{
	const char *c = memchr(line, ':', n);
	if (!c)
		return;
	c++;
	while (c < line + n && (*c == ' ' || *c == '\t'))
		c++;
	size_t len = (size_t)(line + n - c);
	while (len && (c[len - 1] == '\r' || c[len - 1] == '\n'))
		len--;
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, c, len);
	out[len] = 0;
}

static size_t on_header(char *d, size_t sz, size_t nm, void *u)
{
	struct hdrs *h = u;
	size_t n = sz * nm;
	char tmp[64];
	if (n > 5 && strncasecmp(d, "etag:", 5) == 0)
		header_value(d, n, h->etag, sizeof h->etag);
	else if (n > 9 && strncasecmp(d, "location:", 9) == 0)
		header_value(d, n, h->location, sizeof h->location);
	else if (n > 12 && strncasecmp(d, "retry-after:", 12) == 0) {
		header_value(d, n, tmp, sizeof tmp);
		h->retry_after = atol(tmp);
	}
	return n;
}

/* A cap on every request's timeout (0: none), for tests of slow answers. */
static long live_cap_ms;

/* Perform req; fills resp (body in b, headers in h: both must outlive resp). */
static void perform(const struct http_req *req, struct http_resp *resp, struct buf *b, struct hdrs *h)
{
	CURL *c = curl_easy_init();
	struct curl_slist *sl = NULL;
	static char errbuf[CURL_ERROR_SIZE];

	memset(resp, 0, sizeof *resp);
	memset(h, 0, sizeof *h);
	free(b->p);
	b->p = calloc(1, 1);
	b->n = 0;
	for (char **x = req->headers; x && *x; x++)
		sl = curl_slist_append(sl, *x);
	sl = curl_slist_append(sl, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
	if (req->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
	}
	if (req->userpwd)
		curl_easy_setopt(c, CURLOPT_USERPWD, req->userpwd);
	long t = req->timeout_ms ? req->timeout_ms : 20000L;
	if (live_cap_ms && t > live_cap_ms)
		t = live_cap_ms;
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, t);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	else
		resp->error = errbuf;
	resp->body = b->p;
	resp->body_len = b->n;
	resp->etag = h->etag[0] ? h->etag : NULL;
	resp->location = h->location[0] ? h->location : NULL;
	resp->retry_after = h->retry_after;
	curl_slist_free_all(sl);
	curl_easy_cleanup(c);
}

#endif
